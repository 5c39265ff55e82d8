"""The app's last line filter: no control character reaches the terminal, whatever the path.

See carcrm_tui.ui.text for the cleaning widgets do themselves; this is the net under it.
"""

from __future__ import annotations

from rich.segment import Segment
from textual.filter import LineFilter

from carcrm_tui.ui.text import CONTROL


class ControlFilter(LineFilter):
    """The last step before the terminal: control characters out of every segment's text.

    Characters are dropped rather than swapped, because a line's width was measured with
    them (zero cells each); `plain()` has already made the ones it saw visible."""

    def apply(self, segments, background):
        out = None
        for i, seg in enumerate(segments):
            if seg.control is None and CONTROL.search(seg.text):
                if out is None:
                    out = list(segments[:i])
                out.append(Segment(CONTROL.sub("", seg.text), seg.style))
            elif out is not None:
                out.append(seg)
        return segments if out is None else out
