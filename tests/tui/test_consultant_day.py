"""A consultant's day at 80×24: urgent work on top, the selected row whole under the list,
the number and the last words in the call form, one key to take a wrong move back, and a
record that opens at its top."""

from __future__ import annotations

import time

import pendulum

from carcrm_tui.services import process
from carcrm_tui.store.models import AuditLog, Customer, FollowUp, Lead
from carcrm_tui.ui.screens.log_contact import LogContactScreen
from carcrm_tui.ui.screens.lost import LostScreen
from carcrm_tui.ui.screens.main import MainScreen
from carcrm_tui.ui.widgets.today import TodayTable
from tests import factory
from tests.conftest import NOW, session_for
from tests.tui.helpers import make_app, running, screen_text, wait_for, wait_for_text


def utc(*args):
    return pendulum.datetime(*args, tz="UTC")


def a_day(me):
    """A routine call today, a silent H lead, an overdue call and a new lead on its response clock."""
    routine = factory.lead(factory.customer(me, "例行客户"), grade="B", last_contact=utc(2026, 3, 3, 2),
                           first_response_at=utc(2026, 2, 1, 2))
    factory.due(routine, utc(2026, 3, 10, 6))  # 14:00 local
    silent = factory.lead(factory.customer(me, "沉默H客户"), grade="H", last_contact=NOW.subtract(days=23),
                          first_response_at=utc(2026, 1, 1, 2))
    factory.due(silent, NOW.add(days=5))
    FollowUp.create(lead=silent, owner=me, channel="wechat", due_at=NOW.subtract(days=23),
                    done_at=NOW.subtract(days=23), summary="问了置换政策", feedback="嫌旧车估价低", outcome="reached",
                    created_at=NOW.subtract(days=24))
    late = factory.lead(factory.customer(me, "逾期客户"), grade="A", last_contact=utc(2026, 3, 5, 2),
                        first_response_at=utc(2026, 2, 1, 2))
    factory.due(late, NOW.subtract(days=1))
    waiting = factory.lead(factory.customer(me, "新线索客户"), grade="A", at=NOW.subtract(minutes=5))
    factory.due(waiting, NOW.add(hours=3))
    return routine, silent, late, waiting


async def test_urgent_work_is_on_top_and_the_detail_says_why(database):
    me = factory.account("李娜")
    a_day(me)
    app = make_app("李娜")
    async with running(app, size=(80, 24)) as pilot:
        table = app.screen.query_one(TodayTable)
        await wait_for(pilot, lambda: table.selected is not None, what="Today's rows")
        names = [table.rows_by_key[line.key].customer_name for line in table.lines if line.key in table.rows_by_key]
        assert names == ["新线索客户", "逾期客户", "沉默H客户", "例行客户"]
        assert table.selected.customer_name == "新线索客户"  # the cursor starts on the most pressing
        await wait_for_text(pilot, "Urgent: a new lead awaits its first answer")
        for _ in range(2):
            row = table.cursor_row
            await pilot.press("j")
            await wait_for(pilot, lambda: table.cursor_row != row, what="the next row")
        # the silent lead: why it is urgent, and what was said last time — all at 80 columns
        await wait_for_text(pilot, "Urgent: no contact for 23 days, longer than grade H's 2-day cadence.",
                            "Last: 02-15 10:30 WeChat · Reached: 问了置换政策  Feedback: 嫌旧车估价低")
        shown = screen_text(app)
        assert "138****" in shown  # the number masked
        await pilot.press("p")  # privacy mode: initials, no number, no last words
        await wait_for_text(pilot, "Privacy mode: the number and the last conversation are hidden")
        shown = screen_text(app)
        assert "问了置换政策" not in shown and "138****" not in shown and "沉默H客户" not in shown


async def test_the_last_contacts_are_read_ahead_so_the_detail_follows_the_cursor_at_once(database, monkeypatch):
    """Today reads what was said last on all its rows in one go after it is shown: moving the
    cursor then shows a row's last contact without a read of its own (one repaint, not a "…"
    and a second one), never through Textual's loading indicator; a call logged elsewhere
    is read again."""
    from carcrm_tui.services import contacts
    from carcrm_tui.services.views import ContactInput
    from carcrm_tui.ui.panes.today import TodayPane
    from carcrm_tui.ui.widgets.today_detail import TodayDetail

    me = factory.account("李娜")
    _routine, silent, late, _waiting = a_day(me)
    app = make_app("李娜")
    single_reads = []
    real_recent = contacts.recent
    monkeypatch.setattr(contacts, "recent", lambda s, lead_id, n=1: single_reads.append(lead_id) or real_recent(s, lead_id, n))
    async with running(app, size=(80, 24)) as pilot:
        table = app.screen.query_one(TodayTable)
        pane, detail = app.screen.query_one(TodayPane), app.screen.query_one(TodayDetail)
        await wait_for(pilot, lambda: table.selected is not None, what="Today's rows")
        leads = {row.lead_id for row in table.rows_by_key.values()}
        await wait_for(pilot, lambda: leads <= set(pane._said), what="the rows' last contacts read ahead")
        before = list(single_reads)
        for _ in range(3):
            row = table.cursor_row
            await pilot.press("j")
            await wait_for(pilot, lambda: table.cursor_row != row, what="the next row")
            assert not detail.waiting and not app.screen.query("LoadingIndicator")
            if table.selected.lead_id == silent.id:
                assert "问了置换政策" in screen_text(app)
        assert single_reads == before  # every row came from the read-ahead
        # another terminal logs a call on the overdue lead: the live refresh reads it again
        logged = contacts.log_contact(session_for("李娜"), late.id, ContactInput(summary="约了周六来店"))
        key = f"f{logged.next_id}"
        await wait_for(pilot, lambda: key in table.rows_by_key, what="the live refresh")
        table.move_to(key)
        await wait_for_text(pilot, "约了周六来店")


async def test_the_call_form_shows_the_number_and_the_last_two_contacts_and_copies_the_number(database):
    me = factory.account("李娜")
    _routine, silent, _late, _waiting = a_day(me)
    FollowUp.create(lead=silent, owner=me, channel="phone", due_at=NOW.subtract(days=40),
                    done_at=NOW.subtract(days=40), summary="第一次电话", outcome="reached", created_at=NOW.subtract(days=41))
    FollowUp.create(lead=silent, owner=me, channel="visit", due_at=NOW.subtract(days=30),
                    done_at=NOW.subtract(days=30), summary="到店看车", outcome="reached", created_at=NOW.subtract(days=31))
    phone = Customer.get_by_id(silent.customer_id).phone_digits
    app = make_app("李娜")
    async with running(app, size=(80, 24)) as pilot:
        table = app.screen.query_one(TodayTable)
        await wait_for(pilot, lambda: table.selected is not None, what="Today's rows")
        table.move_to(next(k for k, r in table.rows_by_key.items() if r.lead_id == silent.id))
        await pilot.press("c")
        form = await wait_for(pilot, lambda: app.screen if isinstance(app.screen, LogContactScreen) else None,
                              what="the call form")
        text = await wait_for_text(pilot, f"Call {phone[:3]} {phone[3:7]} {phone[7:]}", "问了置换政策", "到店看车")
        assert "第一次电话" not in text  # the last two only
        await pilot.press("ctrl+y")
        await wait_for(pilot, lambda: app.clipboard == phone, what="the number on the clipboard")
        await wait_for_text(pilot, "Copied to the clipboard")
        # the owner's look at the full number is in the audit trail, like any reveal
        assert AuditLog.select().where((AuditLog.action == "reveal") & (AuditLog.new == "call")
                                       & (AuditLog.customer_id == silent.customer_id)).count() == 1
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), what="the form closed")
        assert form.sheet.phone


async def test_a_manager_logging_for_a_consultant_sees_the_number_masked(database):
    me = factory.account("李娜")
    factory.account("王经理", role="manager")
    _routine, silent, _late, _waiting = a_day(me)
    app = make_app("王经理")
    async with running(app, size=(160, 50)) as pilot:
        app.screen.open_customer(silent.customer_id)
        await wait_for(pilot, lambda: app.screen.detail is not None and app.screen.detail.id == silent.customer_id,
                       what="the consultant's customer")
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, LogContactScreen), what="the call form")
        phone = Customer.get_by_id(silent.customer_id).phone_digits
        await wait_for_text(pilot, f"Call {phone[:3]}****{phone[-4:]}")
        await pilot.press("ctrl+y")
        await wait_for_text(pilot, "Only the lead's own consultant gets the full number here")
        assert app.clipboard != phone


async def test_u_takes_back_a_wrong_lost_and_refuses_after_a_colleagues_change(database):
    me = factory.account("李娜")
    factory.account("王经理", role="manager")
    lead = factory.lead(factory.customer(me, "误点战败"), grade="A", stage="quote")
    app = make_app("李娜")
    async with running(app, size=(80, 24)) as pilot:
        app.screen.open_customer(lead.customer_id)
        await wait_for(pilot, lambda: app.screen.detail is not None and app.screen.detail.id == lead.customer_id,
                       what="the record")
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, LostScreen), what="the lost form")
        await pilot.press("1", "tab", *"比亚迪汉", "ctrl+s")
        await wait_for(pilot, lambda: Lead.get_by_id(lead.id).status == "lost", what="marked lost")
        await pilot.press("u")
        await wait_for(pilot, lambda: Lead.get_by_id(lead.id).status == "open", what="taken back")
        await wait_for_text(pilot, "Taken back")
        assert Lead.get_by_id(lead.id).stage == "quote"
        # a grade change, then the manager edits the lead: the undo is refused, naming who changed it
        process.set_grade(session_for("李娜"), lead.id, Lead.get_by_id(lead.id).version, "B", "预算不够")
        process.set_dormant(session_for("王经理"), lead.id, Lead.get_by_id(lead.id).version)
        await pilot.press("u")
        await wait_for_text(pilot, "王经理")
        assert Lead.get_by_id(lead.id).grade == "B" and Lead.get_by_id(lead.id).status == "dormant"


async def test_a_record_opens_at_its_top(database):
    me = factory.account("李娜")
    long = factory.customer(me, "长备注客户")
    Customer.update(notes="\n".join(f"第{i}行备注：客户的情况" for i in range(60))).where(
        Customer.id == long.id).execute()
    factory.due(factory.lead(long, grade="A"), NOW.add(hours=2))
    other = factory.customer(me, "第二位客户")
    factory.due(factory.lead(other, grade="B"), NOW.add(hours=3))
    app = make_app("李娜")
    async with running(app, size=(80, 24)) as pilot:
        app.screen.open_customer(long.id)
        view = await wait_for(pilot, lambda: app.screen.customer_view if app.screen.pane == "customer" else None,
                              what="the first record")
        await wait_for_text(pilot, "第0行备注")  # notes whole, on their own lines
        view.scroll_end(animate=False)
        await wait_for(pilot, lambda: view.scroll_y > 0 and "第0行备注" not in screen_text(app), what="scrolled down")
        await pilot.press("1")
        await wait_for(pilot, lambda: app.screen.pane == "today", what="Today")
        app.screen.open_customer(other.id)
        await wait_for(pilot, lambda: app.screen.customer_id == other.id and view.scroll_y == 0
                       and "第二位客户" in screen_text(app), what="the next record, at its top")


async def test_u_on_the_board_brings_the_card_back_under_the_cursor(database):
    """A card moved on by mistake is taken back with u, and the cursor follows it to its column."""
    me = factory.account("李娜")
    leads = [factory.lead(factory.customer(me, f"客户{i}"), grade="A", stage="test_drive") for i in range(3)]
    app = make_app("李娜")
    async with running(app, size=(160, 50)) as pilot:
        await pilot.press("2")
        view = app.screen.board_view
        await wait_for(pilot, lambda: app.screen.pane == "board" and view.columns and view.has_focus, what="the board")
        view.select_stage("test_drive")
        await wait_for(pilot, lambda: view.selected is not None and view.stage == "test_drive", what="a test-drive card")
        moved = view.selected.lead_id
        await pilot.press("left_square_bracket")  # back a stage by mistake
        await wait_for(pilot, lambda: Lead.get_by_id(moved).stage == "presentation", what="moved back")
        await wait_for(pilot, lambda: view.stage == "presentation", what="the cursor with the card")
        await pilot.press("u")
        await wait_for(pilot, lambda: Lead.get_by_id(moved).stage == "test_drive", what="taken back")
        await wait_for(pilot, lambda: view.stage == "test_drive" and view.selected is not None
                       and view.selected.lead_id == moved, what="the cursor on the card, back in its column")
        assert moved in {ld.id for ld in leads}


async def test_notes_are_written_on_several_lines_and_kept_whole(database):
    """Enter starts a new line in the notes (it used to move on and drop what followed); notes
    already on several lines keep their breaks when another field is saved."""
    from carcrm_tui.ui.screens.edit_customer import EditCustomerScreen

    me = factory.account("李娜")
    cust = factory.customer(me, "多行备注")
    factory.lead(cust, grade="A")
    Customer.update(notes="第一行\n第二行").where(Customer.id == cust.id).execute()
    app = make_app("李娜")
    async with running(app, size=(80, 24)) as pilot:
        app.screen.open_customer(cust.id)
        await wait_for(pilot, lambda: app.screen.detail is not None and app.screen.detail.id == cust.id, what="the record")
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EditCustomerScreen), what="the edit form")
        app.screen.query_one("#f-wechat").value = "wx_duohang"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: Customer.get_by_id(cust.id).wechat == "wx_duohang", what="saved")
        assert Customer.get_by_id(cust.id).notes == "第一行\n第二行"
        await wait_for(pilot, lambda: not isinstance(app.screen, EditCustomerScreen), what="the form closed")
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(app.screen, EditCustomerScreen), what="the edit form again")
        notes = app.screen.query_one("#f-notes")
        notes.focus()
        await wait_for(pilot, lambda: notes.has_focus, what="the notes focused")
        notes.move_cursor(notes.document.end)
        await pilot.press("enter", *"P:oil", "enter", *"N:suv")
        await wait_for(pilot, lambda: notes.value.endswith("N:suv"), what="typed on new lines")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: Customer.get_by_id(cust.id).notes == "第一行\n第二行\nP:oil\nN:suv",
                       what="every line saved")


async def test_a_notice_clears_itself_a_problem_stays(database, monkeypatch):
    """A sentence naming a customer does not stay on a shared screen for whoever passes."""
    from carcrm_tui.ui.screens import main

    monkeypatch.setattr(main, "STATUS_SECONDS", 0.5)
    factory.account("李娜")
    app = make_app("李娜")
    async with running(app, size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), what="the main screen")
        status = app.screen.query_one("#status")
        app.screen.status("已记录与张伟的联系")
        await wait_for(pilot, lambda: "张伟" in str(status.render()), what="the notice shown")
        await wait_for(pilot, lambda: "张伟" not in str(status.render()), what="the notice cleared")
        app.screen.status("数据库忙", error=True)
        app.screen.status("another notice")
        app.screen.status("连接中断", error=True)  # replaces the notice before it clears
        said = time.monotonic()
        # longer than a notice stays, the problem is still said
        await wait_for(pilot, lambda: time.monotonic() - said > 1.0 and "连接中断" in str(status.render()),
                       what="the problem still said after a notice's time")
        assert "连接中断" in str(status.render())


async def test_a_long_notice_wraps_whole_on_the_status_line_at_80_columns(database):
    """An import's result names the file with the rejected rows: cut at 80 columns, the path was lost."""
    factory.account("李娜")
    app = make_app("李娜")
    async with running(app, size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), what="the main screen")
        path = "/home/showroom/imports/2026-11-30/customers.errors.csv"
        app.screen.status("Batch 1 imported: 4 created, 1 updated, 0 contacts; 1 rejected, with the reasons in " + path)
        await wait_for(pilot, lambda: "customers.errors.csv" in screen_text(app), what="the whole sentence")
        app.screen.status("")
        await wait_for(pilot, lambda: app.screen.query_one("#status").size.height == 1, what="one line again")
