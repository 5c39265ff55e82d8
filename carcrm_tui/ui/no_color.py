"""NO_COLOR (no-color.org): not one colour code reaches the terminal.

Textual's own answer is a monochrome filter that still writes 256-colour greys
(and red, our "overdue", becomes the faintest of them), or, for ANSI themes,
"default colour" codes. Here every colour is taken off each segment as it goes
out, keeping bold, dim, underline and reverse; the `carcrm-mono` theme draws
the cursor in reverse video, and the panes carry urgency, grade and health in
text, glyphs (█▓▒░, ! and ⏱ on cards) and bold, so nothing depends on colour.
"""

from __future__ import annotations

from functools import lru_cache

from rich.segment import Segment
from rich.style import Style
from textual.app import App
from textual.filter import LineFilter, Monochrome, NoColor

from carcrm_tui.theme_files import MONO_THEME


@lru_cache(1024)
def without_colour(style: Style) -> Style:
    return style.without_color


class PlainOutput(LineFilter):
    """Drop foreground and background colours; keep the text attributes."""

    def apply(self, segments: list[Segment], background) -> list[Segment]:
        return [Segment(text, without_colour(style) if style else style, control)
                for text, style, control in segments]


def plain_output(app: App) -> None:
    """Make `app` (whose NO_COLOR Textual has already noticed) write no colour codes."""
    # Textual keeps its filters in App._filters and adds its own for NO_COLOR in
    # App.__init__; ours replaces that one and comes last, after ANSI->RGB conversion
    app._filters = [f for f in app._filters if not isinstance(f, (Monochrome, NoColor))]
    app._filters.append(PlainOutput())
    app.theme = MONO_THEME
