"""How each pane looks at 80×24 and 160×50, in Chinese and English (fixed clock and seed)."""

import pytest

from tests.tui.helpers import make_app

PRESS = {"today": [], "board": ["2", "j"], "customer": ["enter"]}


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=["80x24", "160x50"])
@pytest.mark.parametrize("pane", ["today", "board", "customer"])
def test_pane(snap_compare, demo, pane, size, language):
    app = make_app(language=language)

    async def settled(pilot):
        await pilot.press(*PRESS[pane])
        await pilot.app.workers.wait_for_complete()  # the board's health bar is counted on a worker
        await pilot.pause()

    assert snap_compare(app, terminal_size=size, run_before=settled)


def test_log_contact_form(snap_compare, demo):
    app = make_app(language="zh")
    assert snap_compare(app, terminal_size=(80, 24), press=["c", *"ok"])
