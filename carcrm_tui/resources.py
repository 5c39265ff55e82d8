"""Where shipped data lives: inside the wheel (_data/) or at the repository top."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).parent
_REPO = _PACKAGE.parent


def data_path(kind: str) -> Path:
    """`themes` or `demo`: the packaged copy when installed, the repo folder in a checkout."""
    packaged = _PACKAGE / "_data" / kind
    if packaged.is_dir():
        return packaged
    repo = {"themes": _REPO / "themes", "demo": _REPO / "fixtures" / "demo"}[kind]
    return repo
