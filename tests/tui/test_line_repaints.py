"""Lists drawn line by line: a key repaints the lines it changed (the board, Today), and a
board nobody changed is not read again when a person switches back to it."""

import pytest

from carcrm_tui.domain.process import ResponseClock
from carcrm_tui.services import contacts, reassign
from carcrm_tui.services.views import BoardCard, ContactInput
from carcrm_tui.store.models import Account, Lead
from carcrm_tui.ui.widgets.board import HEAD, BoardView
from carcrm_tui.ui.widgets.today import TodayTable
from tests import factory
from tests.conftest import NOW, session_for
from tests.tui.helpers import make_app, running, screen_text, wait_for, wait_for_text


def repaints(widget, monkeypatch) -> list:
    """Record what the widget asks to repaint: regions, or None for the whole widget."""
    asked: list = []
    original = type(widget).refresh

    def refresh(self, *regions, **kwargs):
        if self is widget:
            asked.extend(regions or [None])
        return original(self, *regions, **kwargs)

    monkeypatch.setattr(type(widget), "refresh", refresh)
    return asked


def lines_of(regions) -> set[int]:
    assert None not in regions, "the whole widget was repainted"
    return {y for r in regions for y in range(r.y, r.y + r.height)}


def card_line(board: BoardView, stage: str, index: int) -> int:
    """The screen line of a column's card `index` (under the three header lines)."""
    column = board.columns[stage]
    return HEAD + column.line_of[index] - column.top


async def board_of(pilot, app) -> BoardView:
    await pilot.press("2")
    board = app.screen.board_view
    await wait_for(pilot, lambda: board.selected and board.health and not board.stale_lines(),
                   what="the board and its health line, painted")
    return board


@pytest.mark.parametrize("size", [(80, 24), (160, 50)])
async def test_a_card_key_repaints_the_two_cursor_lines_and_a_column_key_the_titles(demo, monkeypatch, size):
    app = make_app("王建国")
    async with running(app, size=size) as pilot:
        board = await board_of(pilot, app)
        stage = board.stage
        asked = repaints(board, monkeypatch)
        await pilot.press("j")
        await wait_for(pilot, lambda: board.columns[stage].cursor == 1, what="the cursor on the second card")
        assert lines_of(asked) == {card_line(board, stage, 0), card_line(board, stage, 1)}
        await wait_for(pilot, lambda: "▶" + board.selected.customer_name[:2] in screen_text(app).replace(" ", ""))

        asked.clear()
        await pilot.press("l")
        nxt = await wait_for(pilot, lambda: board.stage != stage and board.stage, what="the next column")
        # the two columns' titles (▶ and focus) and their cursor cards, nothing else
        assert lines_of(asked) == {0, card_line(board, stage, 1), card_line(board, nxt, 0)}
        asked.clear()
        await pilot.press("space")  # a manager marks the card: its own line only
        await wait_for(pilot, lambda: board.marked == {board.selected.lead_id}, what="the card marked")
        assert lines_of(asked) == {card_line(board, nxt, 0)}


async def test_a_long_column_scrolls_under_its_cursor_and_the_others_stay(demo):
    me = Account.get(Account.name == "李娜")
    for i in range(60):  # a long first column, two grades
        factory.lead(factory.customer(me, name=f"新客户{i:02d}"), grade="AB"[i // 30], stage="new")
    factory.lead(factory.customer(me, name="接待中的人"), grade="H", stage="reception")
    app = make_app("李娜")
    async with running(app, size=(80, 24)) as pilot:
        board = await board_of(pilot, app)
        stage, other = board.stages[:2]
        first_other = board.columns[other].cards[0].customer_name
        for _ in range(40):
            await pilot.press("j")
        column = board.columns[stage]
        await wait_for(pilot, lambda: column.cursor == 40, what="the cursor 40 cards down")
        assert column.top > 20
        # the B title scrolled into view; the next column stayed at its top
        await wait_for_text(pilot, board.selected.customer_name, " B · ", first_other[:2])
        assert board.columns[other].top == 0
        await pilot.press("home")
        await wait_for(pilot, lambda: column.cursor == 0 and column.top == 0, what="back at the top")
        await wait_for_text(pilot, board.selected.customer_name)


async def test_switching_back_to_a_board_reads_only_what_changed(demo, monkeypatch):
    from carcrm_tui.services import board as board_service
    from carcrm_tui.services import process

    counted = []
    summary = board_service.summary
    counted_stages = []

    def counting(session, filt=None, stages=None):
        counted.append(1)
        counted_stages.append(stages)
        return summary(session, filt, stages)

    monkeypatch.setattr(board_service, "summary", counting)
    app = make_app("李娜")
    async with running(app, size=(160, 50)) as pilot:
        board = await board_of(pilot, app)
        assert len(counted) == 1
        await pilot.press("j")
        card = await wait_for(pilot, lambda: board.columns[board.stage].cursor == 1 and board.selected)
        await pilot.press("1", "2")
        await wait_for(pilot, lambda: app.screen.pane == "board")
        assert len(counted) == 1 and board.selected == card  # unchanged: as it was left, cursor included

        # another terminal logs a call on that lead: only its card is read again, with its new due time
        await pilot.press("1")
        logged = contacts.log_contact(session_for("李娜"), card.lead_id, ContactInput(summary="另一台终端", next_in_days=5))
        await wait_for(pilot, lambda: app.screen.seen_change and app.screen.query_one(TodayTable).row_count)
        await pilot.press("2")
        await wait_for(pilot, lambda: board.selected.next_due != card.next_due, what="the card's new due time")
        assert board.selected.lead_id == card.lead_id and board.selected.next_due == logged.next_due
        assert len(counted) == 1
        await wait_for_text(pilot, "in 5d")

        # a grade changed elsewhere moves the card to another group: its column is counted and paged
        # again, the others are kept; the counts are those of a board read whole
        await pilot.press("1")
        lead = Lead.get_by_id(card.lead_id)
        grade = "C" if lead.grade != "C" else "B"
        kept = {stage: board.columns[stage] for stage in board.stages if stage != lead.stage}
        process.set_grade(session_for("李娜"), lead.id, lead.version, grade, reason="另一台终端")
        await pilot.press("2")
        await wait_for(pilot, lambda: len(counted) == 2, what="the column counted again after a grade change")
        await wait_for(pilot, lambda: board.selected is not None and board.selected.grade == grade)
        assert counted_stages[-1] == {lead.stage} and board.selected.lead_id == lead.id
        assert all(board.columns[stage] is column for stage, column in kept.items())
        assert board.summary.cells == summary(app.session, app.screen.board_filter).cells
        await wait_for_text(pilot, f" {grade} · {board.summary.cell(lead.stage, grade).count} · ")

        # a stage moved elsewhere: the column it left and the one it went to, the others kept
        await pilot.press("1")
        lead = Lead.get_by_id(card.lead_id)
        back = -1 if lead.stage != board.stages[0] else 1  # the first stage's lead: on to reception (no form)
        both = {lead.stage, board.stages[board.stages.index(lead.stage) + back]}
        kept = {stage: board.columns[stage] for stage in board.stages if stage not in both}
        paged = {stage: board.columns[stage] for stage in both}
        board_service.move(session_for("李娜"), lead.id, lead.version, back)
        await pilot.press("2")
        await wait_for(pilot, lambda: len(counted) == 3, what="two columns counted again after a move")
        assert counted_stages[-1] == both
        assert all(board.columns[stage] is column for stage, column in kept.items())
        assert all(board.columns[stage] is not column for stage, column in paged.items())  # paged again
        assert board.summary.cells == summary(app.session, app.screen.board_filter).cells
        assert all(c.lead_id != lead.id for c in board.columns[lead.stage].cards)  # gone from where it was

        # handed to a colleague elsewhere: it leaves this board, its column is counted again
        await pilot.press("1")
        lead = Lead.get_by_id(lead.id)
        reassign.reassign(session_for("王建国"), ["张伟"], lead_ids=[lead.id])
        await pilot.press("2")
        await wait_for(pilot, lambda: len(counted) == 4, what="its column counted again after a reassignment")
        assert counted_stages[-1] == {lead.stage}
        assert board.summary.cells == summary(app.session, app.screen.board_filter).cells
        await pilot.press("r")  # the reload key reads it whole whatever happened
        await wait_for(pilot, lambda: len(counted) == 5, what="r reading the board")
        assert counted_stages[-1] is None


async def test_the_board_is_counted_while_today_is_shown_and_drawn_from_that(demo, monkeypatch):
    """The first 2 of the day: the counts and each column's first page were read behind Today;
    nothing is counted or paged again to draw it."""
    from carcrm_tui.services import board as board_service

    counted, paged = [], []
    summary, page = board_service.summary, board_service.page
    monkeypatch.setattr(board_service, "summary", lambda *a, **k: counted.append(1) or summary(*a, **k))
    monkeypatch.setattr(board_service, "page", lambda *a, **k: paged.append(a[1]) or page(*a, **k))
    app = make_app("王建国")
    async with running(app, size=(160, 50)) as pilot:
        stages = app.session.policy.stages
        await wait_for(pilot, lambda: set(paged) == set(stages), what="the board read ahead")
        assert app.screen.pane == "today" and len(counted) == 1 and len(paged) == len(stages)
        board = await board_of(pilot, app)
        assert len(counted) == 1 and len(paged) == len(stages)
        assert board.summary.cells == summary(app.session).cells
        await wait_for_text(pilot, f"({board.summary.stage(board.stages[0]).count})")


async def test_a_board_switched_back_to_draws_no_card_again_unless_the_theme_changed(demo, monkeypatch):
    """Textual restyles the board on every pane switch and focus change: its drawn cards are kept
    unless its look changed."""
    built, painted = [], set()
    card_spans, render_line = BoardView._card_spans, BoardView.render_line
    monkeypatch.setattr(BoardView, "_card_spans", lambda self, *a: built.append(1) or card_spans(self, *a))
    monkeypatch.setattr(BoardView, "render_line", lambda self, y: painted.add(y) or render_line(self, y))
    app = make_app("王建国")
    async with running(app, size=(160, 50)) as pilot:
        board = await board_of(pilot, app)
        await pilot.press("1")
        await wait_for(pilot, lambda: app.screen.pane == "today")
        built.clear(), painted.clear()
        await pilot.press("2")
        await wait_for(pilot, lambda: app.screen.pane == "board" and len(painted) == board.size.height,
                       what="every line of the board painted again")
        assert built == []
        app.theme = "carcrm-light"
        await wait_for(pilot, lambda: len(built) > 20, what="the cards drawn again in the new theme's colours")


async def test_a_today_key_repaints_the_old_and_new_cursor_lines(demo, monkeypatch):
    app = make_app()
    async with running(app, size=(80, 24)) as pilot:
        table = app.screen.query_one(TodayTable)
        await wait_for(pilot, lambda: table.selected)
        asked = repaints(table, monkeypatch)
        before = table.cursor_row
        await pilot.press("j")
        after = await wait_for(pilot, lambda: table.cursor_row > before and table.cursor_row, what="the cursor moved")
        assert round(table.scroll_y) == 0
        # ScrollView regions are in content lines: the titles are line 0, list line i is i + 1
        assert lines_of(asked) == {before + 1, after + 1}


def test_a_first_response_clock_is_drawn_late_by_the_time_it_is_drawn():
    """A board kept across pane switches draws its cards again at the new time."""
    board = BoardView(("new",), ("H",), fetch=lambda *a: [])
    clock = ResponseClock(deadline=NOW.add(minutes=5), breached=False, minutes_left=5)
    card = BoardCard(1, 1, "王芳", "李娜", "H", "new", "汉", 0, None, 1, clock)
    board.now = NOW
    assert board._card_spans(card, 30, False, False, False)[0][0] == "⏱"
    board.now = NOW.add(minutes=6)
    assert board._card_spans(card, 30, False, False, False)[0][0] == "!"


async def test_todays_detail_is_kept_per_row_and_follows_what_it_shows(demo):
    """A row's detail lines are built and drawn once and kept: going back to a row (or to one drawn
    ahead, either side of the cursor) repaints them from the cache; what was said, privacy and the
    minute are part of the key, so a change is never shown stale."""
    from carcrm_tui.ui.widgets.today_detail import TodayDetail

    app = make_app()
    async with running(app, size=(120, 40)) as pilot:
        table = app.screen.query_one(TodayTable)
        detail = app.screen.query_one(TodayDetail)
        first = await wait_for(pilot, lambda: table.selected, what="a row under the cursor")
        pane = app.screen.query_one("#today")
        await wait_for(pilot, lambda: pane._said_now(first) is not None, what="the last contacts read ahead")
        await wait_for(pilot, lambda: not detail.waiting and detail._key is not None, what="the detail shown")
        key = detail._key
        width, height = detail.size
        style = detail.visual_style
        drawn = detail._drawn[(key, width, height, style)]
        await pilot.press("j")
        second = await wait_for(pilot, lambda: table.selected != first and table.selected, what="the cursor moved")
        # the row below is drawn ahead while the app waits for the next key, and that key uses it
        third = table.neighbours()[0]
        ahead = await wait_for(pilot, lambda: next((strips for k, strips in detail._drawn.items() if k[0][0] == third),
                                                   None), what="the row below drawn ahead")
        await pilot.press("j")
        await wait_for(pilot, lambda: detail._key is not None and detail._key[0] == third, what="on the third row")
        assert detail._drawn[(detail._key, width, height, style)] is ahead
        await pilot.press("k", "k")
        await wait_for(pilot, lambda: table.selected == first and detail._key == key, what="back on the first row")
        assert second != first and detail._drawn[(key, width, height, style)] is drawn  # from the cache
        # privacy: another key, initials and no number
        await pilot.press("p")
        await wait_for(pilot, lambda: detail._key is not None and detail._key != key, what="the private detail")
        assert first.customer_name not in detail._text.plain
        await pilot.press("p")
        await wait_for(pilot, lambda: detail._key == key, what="the detail in full again")
        # a contact logged elsewhere closes the row's follow-up: the row goes, and the detail shows
        # the row that took its place, not the kept lines of the one that went
        contacts.log_contact(session_for(app.session.actor.name), first.lead_id,
                             ContactInput(summary="试驾约在周六上午"))
        app.screen.action_reload()
        now_on = await wait_for(pilot, lambda: table.selected not in (None, first) and table.selected,
                                what="the next row under the cursor")
        await wait_for(pilot, lambda: now_on.customer_name in detail._text.plain and not detail.waiting,
                       what="the detail of the row under the cursor")
        assert first.customer_name not in detail._text.plain.splitlines()[0]
