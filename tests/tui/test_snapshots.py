"""How each pane looks at 80×24 and 160×50, in Chinese and English (fixed clock and seed)."""

import pytest

from tests.tui.helpers import first_screen_ready, make_app, wait_for, workers_idle


async def today_shown(pilot) -> None:
    await wait_for(pilot, lambda: first_screen_ready(pilot.app), what="Today")


async def board_shown(pilot) -> None:
    await today_shown(pilot)
    screen = pilot.app.screen
    await pilot.press("2")
    await wait_for(pilot, lambda: screen.pane == "board" and screen.board_view.selected is not None, what="the board")
    board = screen.board_view
    await pilot.press("j")
    # the second card of the first column, and the health bars (counted on a worker) drawn
    await wait_for(pilot, lambda: board.columns[board.stage].cursor == 1 and board.health and workers_idle(pilot.app),
                   what="the second card, with the columns' health")


async def customer_shown(pilot) -> None:
    await today_shown(pilot)
    screen = pilot.app.screen
    await pilot.press("enter")
    await wait_for(pilot, lambda: screen.pane == "customer" and screen.detail is not None, what="the customer record")


SHOWN = {"today": today_shown, "board": board_shown, "customer": customer_shown}


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("size", [(80, 24), (160, 50)], ids=["80x24", "160x50"])
@pytest.mark.parametrize("pane", ["today", "board", "customer"])
def test_pane(snap_compare, demo, pane, size, language):
    app = make_app(language=language)
    assert snap_compare(app, terminal_size=size, run_before=SHOWN[pane])


def test_log_contact_form(snap_compare, demo):
    from carcrm_tui.ui.screens.log_contact import LogContactScreen

    app = make_app(language="zh")

    async def typed(pilot) -> None:
        await today_shown(pilot)
        await pilot.press("c", *"ok")
        await wait_for(pilot, lambda: isinstance(app.screen, LogContactScreen)
                       and app.screen.query_one("#summary").value == "ok", what="'ok' in the summary")

    assert snap_compare(app, terminal_size=(80, 24), run_before=typed)
