"""Stored text on screen: always data, never markup, never terminal control codes.

Names and notes may contain "[/]", "[Acme]", emoji or pasted ANSI escapes.
Widgets put them on screen through `plain()`, which builds a rich Text (no
markup parsing) and swaps control characters for visible stand-ins (␛). The
same pattern also runs as the app's last line filter (`ControlFilter`) over
every line about to be written — status line, notifications, titles, the
value an input starts with — so a path that forgot `plain()` still cannot
send an escape sequence to the terminal. (Rich only, no Textual: the headless
reports clean their text here too.)
"""

from __future__ import annotations

import re

from rich.cells import cell_len
from rich.text import Text

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")


def _visible(match: re.Match) -> str:
    ch = match.group(0)
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)  # ␛ for ESC, ␀ for NUL …
    if code == 0x7F:
        return "␡"
    return "�"


def clean(value: object, *, one_line: bool = True) -> str:
    """The string with control characters made visible (newlines too, on one line)."""
    text = "" if value is None else str(value)
    if one_line:
        text = text.replace("\r\n", " ").replace("\n", " ").replace("\t", " ")
    else:
        text = text.replace("\t", "    ")
    return CONTROL.sub(_visible, text)


def visible_lines(text: str) -> str:
    """As `visible`, keeping the line breaks: for multi-line fields' starting values."""
    return "\n".join(visible(line) for line in (text or "").split("\n"))


def visible(text: str) -> str:
    """Only the control characters swapped (newlines too): for one-line inputs' starting values."""
    return CONTROL.sub(_visible, text.replace("\n", " ").replace("\t", " "))


def plain(value: object, style: str = "", *, one_line: bool = True) -> Text:
    return Text(clean(value, one_line=one_line), style=style, end="")


def fit(value: object, width: int, style: str = "") -> Text:
    """Exactly `width` cells: cropped with an ellipsis or padded (East Asian text is 2 cells)."""
    text = plain(value, style)
    if width <= 0:
        return Text("")
    if cell_len(text.plain) > width:
        text.truncate(width, overflow="ellipsis")
    text.pad_right(width - cell_len(text.plain))
    return text
