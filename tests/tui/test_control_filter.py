"""ControlFilter, the app's last line filter: user text never carries a live escape code to the
terminal, and the styling Textual itself draws with still does."""

from __future__ import annotations

import re

from rich.console import Console
from rich.segment import ControlType, Segment
from rich.style import Style
from rich.text import Text
from textual.color import Color
from textual.strip import Strip
from textual.widgets import Static

from carcrm_tui.ui.filters import ControlFilter
from tests import factory
from tests.tui.helpers import make_app, running, wait_for

BACKGROUND = Color(0, 0, 0)
# user text with every kind of sequence inside it: CSI colour and screen clear, OSC title ended
# by BEL, OSC 8 link ended by ST, 8-bit C1 CSI / DCS / ST, a lone BEL, NUL, DEL, bidi override, zero-width
HOSTILE = ("王\x1b[31m红\x1b[0m \x1b[2J清屏 \x1b]0;pwned\x07标题 \x1b]8;;http://x\x1b\\链接\x1b]8;;\x1b\\ "
           "\x9b1;1H八位 \x90q\x9c设备 响\x07铃\x00空\x7f删 \u202e反向\u202c 零\u200b宽")
SHOWN = "王[31m红[0m [2J清屏 ]0;pwned标题 ]8;;http://x\\链接]8;;\\ 1;1H八位 q设备 响铃空删 反向 零宽"
ANY_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]")
SGR = re.compile(r"\x1b\[[0-9;]*m")  # Select Graphic Rendition: colours, bold — styling only


def test_escape_sequences_in_user_text_lose_their_control_characters_and_keep_their_style():
    name, note = Style(bold=True), Style(color="red", bgcolor="black", italic=True)
    segments = [Segment("姓名: ", name), Segment(HOSTILE, note), Segment(" 尾", None)]

    out = ControlFilter().apply(segments, BACKGROUND)

    assert [s.text for s in out] == ["姓名: ", SHOWN, " 尾"]
    assert [s.style for s in out] == [name, note, None]  # the text's own styling untouched
    assert not any(ANY_CONTROL.search(s.text) for s in out)


def test_a_clean_line_is_passed_through_as_it_came():
    segments = [Segment("[/] [Acme] ␛[31m😀张", Style(bold=True)), Segment(" 价格敏感型 ¥15万–¥20万")]
    assert ControlFilter().apply(segments, BACKGROUND) is segments  # nothing copied, nothing changed


def test_textual_s_own_control_segments_and_styling_codes_still_reach_the_terminal():
    move = Segment("", None, ((ControlType.CURSOR_MOVE_TO, 4, 2),))  # what the compositor writes to place a line
    segments = [move, Segment("红\x1b[5m", Style(color="red", bold=True)), Segment("ok", Style(underline=True))]

    out = ControlFilter().apply(segments, BACKGROUND)

    assert out[0] is move  # control segments are Textual's own: never touched
    assert [s.text for s in out[1:]] == ["红[5m", "ok"]
    console = Console(color_system="truecolor", force_terminal=True, width=80)
    ansi = Strip(out[1:]).render(console)
    assert "\x1b[1;" in ansi and "\x1b[4m" in ansi  # bold red and underline, as styled
    assert SGR.sub("", ansi) == "红[5mok"  # every escape in the output is a style's, none is the user's


async def test_the_running_app_draws_user_text_that_skipped_plain_without_its_escapes(database):
    factory.account("李娜")
    app = make_app("李娜")
    assert isinstance(app._filters[-1], ControlFilter)  # the last step before the terminal
    async with running(app, size=(100, 24)) as pilot:
        # a path that forgot plain(): a rich Text of stored text straight into a widget
        await app.screen.mount(Static(Text(HOSTILE, style="bold red"), id="unclean"))

        def drawn() -> list[Strip]:
            strips = app.screen._compositor.render_strips()
            return [s for s in strips if "清屏" in s.text]

        strips = await wait_for(pilot, drawn, what="the hostile line drawn")
        line = strips[0]
        assert SHOWN[:20] in line.text and not ANY_CONTROL.search(line.text)
        assert any(seg.style and seg.style.bold for seg in line if "清屏" in seg.text)  # styled as asked
        ansi = line.render(app.console)
        assert SGR.search(ansi), "Textual's styling codes were lost"
        assert "\x1b" not in SGR.sub("", ansi) and "\x07" not in ansi and not ANY_CONTROL.search(SGR.sub("", ansi))
