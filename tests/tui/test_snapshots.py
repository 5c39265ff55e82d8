"""How each pane looks at 80×24 and 160×50, in Chinese and English (fixed clock and seed)."""

import pytest

from tests.tui.helpers import first_screen_ready, make_app, wait_for, workers_idle


async def today_shown(pilot) -> None:
    """Today with the selected row's last contact in the lines under the list (read on a worker)."""
    app = pilot.app
    await wait_for(pilot, lambda: first_screen_ready(app) and not app.screen.query_one("#today-detail").waiting
                   and workers_idle(app), what="Today and its detail lines")


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


@pytest.mark.parametrize("language", ["zh", "en"])
def test_log_contact_form(snap_compare, demo, language):
    """The number to call, the last two contacts, the outcome chosen with a digit, the summary typed."""
    from carcrm_tui.ui.screens.log_contact import LogContactScreen

    app = make_app(language=language)

    async def typed(pilot) -> None:
        from carcrm_tui.store.models import FollowUp

        await today_shown(pilot)
        table = app.screen.query_one("#today-table")
        talked = next(key for key, row in table.rows_by_key.items()  # a row with earlier contacts to show
                      if FollowUp.select().where((FollowUp.lead == row.lead_id) & FollowUp.done_at.is_null(False))
                      .count() >= 2)
        table.move_to(talked)
        await pilot.press("c", "1", *"ok")
        await wait_for(pilot, lambda: isinstance(app.screen, LogContactScreen)
                       and app.screen.query_one("#summary").value == "ok", what="'ok' in the summary")

    assert snap_compare(app, terminal_size=(80, 24), run_before=typed)
