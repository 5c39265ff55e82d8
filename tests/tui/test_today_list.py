"""The Today list (drawn line by line) and the key bar, driven as a consultant would."""

from textual import events

from carcrm_tui.store.models import Account
from carcrm_tui.ui.widgets.key_bar import KeyBar
from carcrm_tui.ui.widgets.line_list import Line, column_widths, fit_spans
from carcrm_tui.ui.widgets.today import COLUMNS, TodayTable
from tests import factory
from tests.conftest import NOW
from tests.tui.helpers import make_app, running, screen_text, visible_keys, wait_for, wait_for_text


def busy_day(app) -> None:
    """Sixty more calls for the signed-in consultant, overdue and later today."""
    me = Account.get_by_id(app.session.actor.id)
    for i in range(60):
        lead = factory.lead(factory.customer(me, name=f"客户{i:02d}"), grade="AB"[i % 2])
        factory.due(lead, NOW.subtract(hours=i + 1) if i % 3 else NOW.add(minutes=10 * i))


async def test_cursor_stays_on_screen_and_skips_titles_at_80x24(demo):
    app = make_app()
    busy_day(app)
    async with running(app, size=(80, 24)) as pilot:
        table = app.screen.query_one(TodayTable)
        assert len(table.lines) > 40  # more than a screen
        last = max(i for i in range(len(table.lines)) if table._actionable(i))
        first = min(i for i in range(len(table.lines)) if table._actionable(i))
        seen = set()
        for _ in range(45):
            before = table.cursor_row
            await pilot.press("j")
            await wait_for(pilot, lambda: (table.cursor_row != before or before == last)
                           and table.lines[table.cursor_row].key in visible_keys(table), what="j: the next row, on screen")
            key = table.lines[table.cursor_row].key
            assert not key.startswith(("group:", "empty:")), key
            seen.add(key)
        assert len(seen) > 30
        await pilot.press("G")
        await wait_for(pilot, lambda: table.cursor_row == last and table.lines[table.cursor_row].key in visible_keys(table),
                       what="G: the last row, on screen")
        await pilot.press("g")
        # back at the top, the group's title shows above its first row
        await wait_for(pilot, lambda: table.cursor_row == first and visible_keys(table)[0] == table.lines[0].key,
                       what="g: the first row under its title")
        await pilot.press("pagedown")
        await wait_for(pilot, lambda: table.cursor_row > first + 10
                       and table.lines[table.cursor_row].key in visible_keys(table), what="a page down, on screen")
        await wait_for_text(pilot, table.selected.customer_name)


async def test_click_moves_the_cursor_and_a_second_click_opens(demo):
    app = make_app()
    async with running(app, size=(160, 50)) as pilot:
        table = app.screen.query_one(TodayTable)
        target = next(i for i in range(table.cursor_row + 1, len(table.lines)) if table.lines[i].key in table.rows_by_key)
        row = table.rows_by_key[table.lines[target].key]
        y = target - round(table.scroll_y) + 1  # + the column titles
        await pilot.click(TodayTable, offset=(10, y))
        await wait_for(pilot, lambda: table.cursor_row == target, what="the click moving the cursor")
        assert app.screen.pane == "today"
        await pilot.click(TodayTable, offset=(10, y))
        await wait_for(pilot, lambda: app.screen.pane == "customer" and app.screen.customer_id == row.customer_id,
                       what="the second click opening the customer")


def test_columns_share_a_narrow_terminal_and_the_reason_keeps_room():
    keys = COLUMNS.keys
    long = "长" * 30
    line = Line("f1", tuple(((long, ""),) for _ in keys))
    titles = {key: key for key in keys}
    for width in (80, 100, 160):
        widths = column_widths([line], width, titles, COLUMNS)
        assert 1 + sum(widths.values()) + 2 * (len(keys) - 1) == width
        assert widths["why"] >= COLUMNS.last_min
    assert column_widths([line], 160, titles, COLUMNS)["customer"] > column_widths([line], 80, titles, COLUMNS)["customer"]
    # short content on a very narrow terminal: no column is widened past its text to reach a minimum
    short = Line("f2", tuple((("ab", ""),) for _ in keys))
    for width in (40, 45, 50, 60):
        widths = column_widths([short], width, {key: "x" for key in keys}, COLUMNS)
        assert 1 + sum(widths.values()) + 2 * (len(keys) - 1) == width, (width, widths)
    # the name is the last thing to give up room
    en = column_widths([line], 60, titles, COLUMNS)
    assert en["customer"] >= en["due"]


def test_cells_are_cropped_with_an_ellipsis_or_padded_to_their_width():
    from rich.cells import cell_len

    spans = fit_spans((("张伟伟", "bold"), ("abc", "")), 5)
    assert "".join(text for text, _ in spans) == "张伟…" and spans[0][1] == "bold"
    assert fit_spans((("ab", ""),), 4) == [("ab", ""), ("  ", "")]
    # a wide character that does not fit whole becomes a space, never half a glyph
    cropped = fit_spans((("a张伟", ""),), 4)
    assert "".join(text for text, _ in cropped) == "a张…"
    assert sum(cell_len(text) for text, _ in fit_spans((("ab张", ""),), 4)) == 4


def key_bar_line(app) -> str:
    return screen_text(app).splitlines()[-1]


async def test_key_bar_follows_the_pane_and_a_click_runs_the_key(demo):
    app = make_app()
    async with running(app, size=(80, 24)) as pilot:
        bar = app.screen.query_one(KeyBar)
        await wait_for(pilot, lambda: "Log contact" in key_bar_line(app) and "^p Commands" in key_bar_line(app),
                       what="Today's keys in the key bar")
        assert "Next stage" not in key_bar_line(app)
        await pilot.press("2")
        await wait_for(pilot, lambda: "Next stage" in key_bar_line(app), what="the board's keys in the bar")
        assert "? Help" in key_bar_line(app)  # pinned at the right, however many keys the pane has
        start = next(s for s, _e, item in bar._spans if item.key == "f")
        await pilot.click(KeyBar, offset=(start + 1, 0))
        from carcrm_tui.ui.screens.process_forms import BoardFilterScreen
        await wait_for(pilot, lambda: isinstance(app.screen, BoardFilterScreen), what="the filter the click opened")


async def test_key_bar_drops_whole_keys_when_narrow(demo):
    app = make_app()
    async with running(app, size=(50, 24)) as pilot:
        await wait_for(pilot, lambda: key_bar_line(app).rstrip().endswith("^p Commands"),
                       what="the key bar ending with ^p Commands")
        line = key_bar_line(app)
        items, _palette = app.screen.query_one(KeyBar).items()
        shown = [item for item in items if f" {item.display} {item.description} " in line]
        assert 0 < len(shown) < len(items)
        assert shown == items[:len(shown)]  # in order, none cut in half


async def test_a_pane_key_before_the_panes_have_mounted_still_opens_it(demo, monkeypatch):
    from carcrm_tui.ui.screens.main import MainScreen

    # hold back the mount that normally follows Today's first paint
    monkeypatch.setattr(MainScreen, "on_mount", lambda self: self.show_pane("today"))
    app = make_app()
    async with running(app, size=(80, 24)) as pilot:
        screen = app.screen
        assert not screen.panes_ready and not screen.query("#board-view")
        await pilot.press("2")
        await wait_for(pilot, lambda: screen.panes_ready and screen.pane == "board", what="the board, once mounted")
        assert screen.board_view.selected is not None


async def test_after_logging_a_call_the_cursor_is_on_the_next_call_not_the_top(demo):
    app = make_app()
    busy_day(app)
    async with running(app, size=(80, 24)) as pilot:
        table = app.screen.query_one(TodayTable)
        for _ in range(5):
            before = table.cursor_row
            await pilot.press("j")
            await wait_for(pilot, lambda: table.cursor_row != before, what="j: the next row")
        logged = table.selected
        following = table.rows_by_key[table.lines[table.cursor_row + 1].key]
        await pilot.press("c", "1", *"called", "ctrl+s")
        await wait_for(pilot, lambda: f"f{logged.followup_id}" not in table.rows_by_key, what="the logged call gone")
        assert table.selected.followup_id == following.followup_id


async def test_keys_typed_right_after_a_pane_key_go_to_the_new_pane(demo):
    app = make_app()
    async with running(app, size=(160, 50)) as pilot:
        table = app.screen.query_one(TodayTable)
        screen = app.screen
        await pilot.press("2")
        await wait_for(pilot, lambda: screen.pane == "board" and screen.board_view.selected is not None, what="the board")
        board_card = screen.board_view.selected
        start = table.cursor_row
        two_down = [i for i in range(start + 1, len(table.lines)) if table._actionable(i)][1]
        for key in ("1", "j", "j"):  # as fast as a terminal delivers them: no pause between
            app.post_message(events.Key(key, key))
        await wait_for(pilot, lambda: screen.pane == "today" and table.cursor_row == two_down,
                       what="Today, its cursor two rows down")
        assert table.cursor_row > start
        assert screen.board_view.selected == board_card  # the hidden board did not take them


async def test_page_down_and_up_land_on_the_first_call_of_the_next_screen(demo):
    app = make_app()
    busy_day(app)
    async with running(app, size=(80, 24)) as pilot:
        table = app.screen.query_one(TodayTable)
        body = table.scrollable_content_region.height - 1
        calls = [i for i in range(len(table.lines)) if table._actionable(i)]
        for key, direction in (("pagedown", 1), ("pagedown", 1), ("pageup", -1)):
            target = max(0, min(len(table.lines) - 1, table.cursor_row + direction * body))
            ahead = [i for i in calls if (i >= target if direction > 0 else i <= target)]
            expected = (min(ahead) if direction > 0 else max(ahead)) if ahead else \
                (max(i for i in calls if i <= target) if direction > 0 else min(i for i in calls if i >= target))
            await pilot.press(key)
            await wait_for(pilot, lambda: table.cursor_row == expected and table.lines[expected].key in visible_keys(table),
                           what=f"{key} to row {expected} (target {target}), on screen")


async def test_the_last_pane_key_wins_before_the_panes_have_mounted(demo, monkeypatch):
    from carcrm_tui.ui.screens.main import MainScreen

    monkeypatch.setattr(MainScreen, "on_mount", lambda self: self.show_pane("today"))
    app = make_app()
    async with running(app, size=(80, 24)) as pilot:
        screen = app.screen
        screen.show_pane("board")
        screen.show_pane("today")  # changed their mind before the board could mount
        await wait_for(pilot, lambda: screen.panes_ready, what="the panes mounted")
        assert screen.pane == "today"
        screen.show_pane("board")
        screen.show_pane("customer")
        await wait_for(pilot, lambda: screen.pane == "customer", what="the customer pane")


async def test_a_be_back_before_the_panes_have_mounted_logs_the_visit_on_their_record(demo, monkeypatch):
    from carcrm_tui.store.models import Customer, Lead
    from carcrm_tui.ui.screens.log_contact import LogContactScreen
    from carcrm_tui.ui.screens.main import MainScreen

    monkeypatch.setattr(MainScreen, "on_mount", lambda self: self.show_pane("today"))
    app = make_app()
    known = (Customer.select().join(Lead, on=(Lead.customer == Customer.id))
             .where((Customer.owner == app.session.actor.id) & (Lead.status == "open")).first())
    async with running(app, size=(80, 24)) as pilot:
        assert not app.screen.panes_ready
        await pilot.press("n", *known.phone_digits, "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, LogContactScreen), what="the visit form")
        assert app.screen.title_text == known.name  # their record, not the row under Today's cursor
        main = app.screen_stack[-2]
        assert main.pane == "customer" and main.customer_id == known.id
