"""Which themes exist and which one suits this terminal, without importing Textual.

Themes are TOML files: the ones shipped in themes/ and a site's own in a
`themes/` folder next to config.toml (a site file with a shipped name replaces
it). A theme is named by its file name. A terminal that says it shows 8 or 16
colours (TERM=xterm, xterm-16color, screen, linux …) gets `carcrm-ansi`, drawn
in the terminal's own palette, unless --theme says otherwise: the RGB themes
rounded down to 16 colours lose the difference between panel and background.
With NO_COLOR the app uses `carcrm-mono` whatever was asked (ui/no_color.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

from carcrm_tui.resources import data_path

ANSI_THEME = "carcrm-ansi"
MONO_THEME = "carcrm-mono"
TRUECOLOR = 1 << 24

# terminals that show 8 or 16 colours when TERM names no more (terminfo's "colors#8" family)
_SIXTEEN = {"xterm", "xterm-color", "screen", "linux", "vt100", "vt220", "ansi", "rxvt", "cygwin", "tmux",
            "putty", "konsole", "eterm", "cons25", "rxvt-unicode"}
_DIRECT = {"xterm-kitty", "xterm-ghostty", "alacritty", "wezterm", "foot", "contour", "iterm2"}


def theme_files(site_dir: Path | None = None) -> dict[str, Path]:
    """name -> file: shipped themes, then the site's (which win on a shared name)."""
    found = {p.stem: p for p in sorted(data_path("themes").glob("*.toml"))}
    if site_dir is not None and site_dir.is_dir():
        found.update({p.stem: p for p in sorted(site_dir.glob("*.toml"))})
    return found


def theme_names(site_dir: Path | None = None) -> list[str]:
    return sorted(theme_files(site_dir))


def colours_reported(environ: Mapping[str, str]) -> int | None:
    """How many colours the terminal says it shows (None: it does not say)."""
    system = environ.get("TEXTUAL_COLOR_SYSTEM", "").lower()  # textual-serve sets truecolor
    if system in ("truecolor", "256", "standard", "windows"):
        return {"truecolor": TRUECOLOR, "256": 256}.get(system, 16)
    if environ.get("COLORTERM", "").lower() in ("truecolor", "24bit"):
        return TRUECOLOR
    term = environ.get("TERM", "").lower()
    if not term or term == "dumb":
        return None
    if term.endswith("-direct") or term in _DIRECT:
        return TRUECOLOR
    if "256col" in term:
        return 256
    if term.endswith(("-16color", "-16colour")):
        return 16
    if term.endswith(("-8color", "-color", "-colour", "-mono")) or term in _SIXTEEN:
        return 16 if not term.endswith("-mono") else 2
    return None


def pick_theme(asked: str | None, configured: str, environ: Mapping[str, str]) -> str:
    """--theme if given; the ANSI theme on an 8/16-colour terminal; else the config's."""
    if asked:
        return asked
    colours = colours_reported(environ)
    if colours is not None and colours <= 16:
        return ANSI_THEME
    return configured
