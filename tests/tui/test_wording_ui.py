"""The words on the screens themselves: money with ¥ on the board and the record, Chinese
punctuation on the record, and the board saying the same time as Today."""

import re

from carcrm_tui.i18n import humanize, humanize_short
from carcrm_tui.store.models import Customer, FollowUp, Lead
from carcrm_tui.ui.widgets.today import TodayTable
from tests.conftest import NOW
from tests.tui.helpers import make_app, running, screen_text, wait_for, wait_for_text
from tests.tui.test_flows import board_shown


def board_header_values(text: str) -> list[str]:
    """The money of each column's second line ("value ¥1.2M" / "预计 ¥120万")."""
    return re.findall(r"(?:value|预计) (\S+)", text)


async def test_the_board_and_the_record_show_money_with_the_yuan_sign(demo):
    app = make_app()
    async with running(app, size=(160, 50)) as pilot:
        await pilot.press("2")
        board = await board_shown(pilot)
        shown = await wait_for(pilot, lambda: len(board_header_values(screen_text(app))) >= 4
                               and screen_text(app), what="the columns' values")
        values = board_header_values(shown)
        assert all(v.startswith("¥") for v in values), values
        assert "¥0" in values or any(v.endswith("k") or v.endswith("M") for v in values)
        card = board.selected
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.pane == "customer", what="the customer pane")
        text = await wait_for_text(pilot, card.customer_name, "Expected value")
        assert re.search(r"Expected value +¥", text), text


async def test_the_record_in_chinese_uses_chinese_punctuation(demo):
    app = make_app(language="zh")
    mine = (Customer.select().join(Lead).join(FollowUp)
            .where(Customer.owner == app.session.actor.id, FollowUp.feedback != "", FollowUp.done_at.is_null(False),
                   Lead.status == "open")  # a short record: all of it on one screen
            .order_by(Customer.id).first())
    async with running(app, size=(160, 50)) as pilot:
        digits = mine.phone_digits[-8:]
        await pilot.press("slash", *digits)
        await wait_for_text(pilot, "找到 1 位")
        await pilot.press("enter")
        text = await wait_for_text(pilot, "跟进记录（", "预计金额", "客户反馈")
        assert "客户反馈：" in text and "客户反馈:" not in text
        assert re.search(r"预计金额 +¥", text), text


async def test_the_board_says_the_same_time_as_today(demo):
    """The first card on the board with a next follow-up: Today and the card say its due time in
    the same words; the long spelling (the detail lines) has the same number."""
    app = make_app()
    async with running(app, size=(160, 50)) as pilot:
        rows = {r.lead_id: r for r in app.screen.query_one(TodayTable).rows_by_key.values()
                if hasattr(r, "lead_id")}
        await pilot.press("2")
        board = await board_shown(pilot)
        text = await wait_for(pilot, lambda: board.selected and screen_text(app), what="the cards")
        cards = [c for column in board.columns.values() for c in column.cards
                 if c.next_due is not None and c.lead_id in rows and rows[c.lead_id].due_at == c.next_due]
        assert cards, "a lead on both Today and the board"
        for card in cards:
            short, long = humanize_short(card.next_due, NOW), humanize(card.next_due, NOW)
            assert re.findall(r"\d+", short) == re.findall(r"\d+", long), (short, long)
        shown = [c for c in cards if humanize_short(c.next_due, NOW) in text]
        assert shown, "a shared card drawn on the board"
        # Today says what falls on another day as the card does ("3d ago"), today's by the clock
        tz = app.session.policy.tz
        other_day = [c for c in shown if c.next_due.in_timezone(tz).date() != NOW.in_timezone(tz).date()]
        assert other_day, "a shared card due on another day"
        await pilot.press("1")
        await wait_for_text(pilot, humanize_short(other_day[0].next_due, NOW))
