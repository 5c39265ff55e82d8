"""Files that appear whole or not at all.

An export, a backup or an error file is written under a temporary name next to
its target and renamed only when complete: a full disk or a crash half-way
leaves neither a truncated file under the real name nor a `.part` behind.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

DISK_FULL = (28, 27, 122)  # ENOSPC, EFBIG (a file-size limit), EDQUOT


@contextmanager
def whole(path: str | Path) -> Iterator[Path]:
    """Yields the temporary path to write; renames it to `path` on success, removes it on failure."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
    tmp.unlink(missing_ok=True)
    try:
        yield tmp
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def as_the_umask_allows(path: str | Path) -> None:
    """SQLite makes its files 0644 before the umask (0640 under a shared group's 007): give a file
    it made the mode Python's own files get — 0600 for one login, 0660 for the site's group."""
    mask = os.umask(0)
    os.umask(mask)
    os.chmod(path, 0o666 & ~mask)
