"""Never lose a colleague's work, never crash in front of a customer: the screens' side.

Two terminals are two sessions on one database file; a "colleague" saves through the
services while this app's form is open. Every test waits for what it asserts.
"""

import pytest

from carcrm_tui.demo.build import load_data
from carcrm_tui.services import accounts, auth, customers, notices
from carcrm_tui.store import faults
from carcrm_tui.store.models import AuditLog, Customer, FollowUp, Lead, database as proxy
from carcrm_tui.ui.screens.edit_customer import EditCustomerScreen
from carcrm_tui.ui.screens.log_contact import LogContactScreen
from carcrm_tui.ui.screens.main import MainScreen
from carcrm_tui.ui.screens.sign_in import SignInScreen
from carcrm_tui.ui.widgets.today import TodayTable
from tests.conftest import NOW, session_for
from tests.tui.helpers import make_app, running, screen_text, signed_out_app, wait_for

PINS = {a["name"]: a["pin"] for a in load_data()["accounts"]}
MANAGER = "王建国"


async def open_first_customer(pilot):
    app = pilot.app
    await wait_for(pilot, lambda: app.screen.query_one(TodayTable).selected, what="Today's first row")
    await pilot.press("enter")
    await wait_for(pilot, lambda: app.screen.pane == "customer" and app.screen.detail, what="the customer")
    return app.screen.customer_id


def opened_form(app):
    return app.screen if isinstance(app.screen, EditCustomerScreen) else None


async def edit_first_record(pilot) -> tuple[int, EditCustomerScreen]:
    """A manager opens the first customer's edit form; returns its id and the form."""
    app = pilot.app
    customer_id = Customer.select(Customer.id).order_by(Customer.id).first().id
    app.screen.open_customer(customer_id)
    await wait_for(pilot, lambda: app.screen.detail and app.screen.detail.id == customer_id)
    await pilot.press("e")
    return customer_id, await wait_for(pilot, lambda: opened_form(app), what="the edit form")


async def test_a_colleagues_save_is_merged_not_overwritten(demo):
    """李娜 sets the e-mail while 王建国's form is open; he changes WeChat and saves: both survive."""
    app = make_app(MANAGER)
    async with running(app, size=(160, 50)) as pilot:
        customer_id, form = await edit_first_record(pilot)
        owner = Customer.get_by_id(customer_id).owner.name
        customers.update(session_for(owner), customer_id, {"email": "her@example.com"}, base={"email": ""})
        form.query_one("#f-wechat").value = "his_wechat"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, EditCustomerScreen), what="the form to save")
        row = Customer.get_by_id(customer_id)
        assert (row.email, row.wechat) == ("her@example.com", "his_wechat")


async def test_a_field_both_changed_is_shown_side_by_side_and_chosen(demo):
    app = make_app(MANAGER)
    async with running(app, size=(160, 50)) as pilot:
        customer_id, form = await edit_first_record(pilot)
        before = Customer.get_by_id(customer_id).notes
        owner = Customer.get_by_id(customer_id).owner.name
        customers.update(session_for(owner), customer_id, {"notes": "theirs", "age_range": "36-45岁"},
                         base={"notes": before, "age_range": Customer.get_by_id(customer_id).age_range})
        form.query_one("#f-notes").value = "mine"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: form.query("#clash-notes"), what="theirs and yours side by side")
        text = screen_text(app)
        assert "theirs (" + owner + "): theirs" in text and "yours: mine" in text
        assert form.query_one("#f-age_range").value == "36-45岁"  # untouched here: their value shown
        assert Customer.get_by_id(customer_id).notes == "theirs"  # nothing written yet
        await pilot.press("ctrl+s")  # nothing chosen: nothing written, and it says so
        await wait_for(pilot, lambda: "Choose theirs or yours" in screen_text(app))
        form.query_one("#clash-notes").value = "mine"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not isinstance(app.screen, EditCustomerScreen))
        row = Customer.get_by_id(customer_id)
        assert (row.notes, row.age_range) == ("mine", "36-45岁")


async def test_a_reveal_lasts_through_live_refresh_until_the_record_changes(demo):
    app = make_app("李娜")
    async with running(app, size=(120, 40)) as pilot:
        customer_id = await open_first_customer(pilot)
        digits = Customer.get_by_id(customer_id).phone_digits
        full = f"{digits[:3]} {digits[3:7]} {digits[7:]}"
        await pilot.press("v")
        await wait_for(pilot, lambda: full in screen_text(app), what="the full number")
        assert AuditLog.select().where(AuditLog.action == "reveal").count() == 1
        # ticks of the live refresh, including the one the reveal's own audit row causes
        for _ in range(3):
            app.screen.seen_change = 0
            app.screen.poll_changes()  # redraws the record at once (a refresh)
            assert app.screen.detail.phones_revealed
            await wait_for(pilot, lambda: full in screen_text(app))
        assert AuditLog.select().where(AuditLog.action == "reveal").count() == 1  # one reveal, one row
        # another terminal changes an unrelated record: still shown
        other = Customer.select().where(Customer.id != customer_id).first()
        customers.update(session_for(MANAGER), other.id, {"notes": "x"}, base={"notes": other.notes})
        app.screen.poll_changes()
        assert app.screen.detail.phones_revealed
        await wait_for(pilot, lambda: full in screen_text(app))
        # this record changes: masked again
        customers.update(session_for("李娜"), customer_id, {"wechat": "new_wx"},
                         base={"wechat": Customer.get_by_id(customer_id).wechat})
        app.screen.poll_changes()
        await wait_for(pilot, lambda: full not in screen_text(app), what="masked after the record changed")


async def test_moving_away_or_locking_ends_a_reveal(demo):
    app = make_app("李娜")
    async with running(app, size=(120, 40)) as pilot:
        customer_id = await open_first_customer(pilot)
        digits = Customer.get_by_id(customer_id).phone_digits
        full = f"{digits[:3]} {digits[3:7]} {digits[7:]}"
        await pilot.press("v")
        await wait_for(pilot, lambda: full in screen_text(app))
        await pilot.press("1", "3")
        await wait_for(pilot, lambda: app.screen.pane == "customer" and full not in screen_text(app))
        await pilot.press("v")
        await wait_for(pilot, lambda: full in screen_text(app))
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "LockScreen")
        await pilot.press(*PINS["李娜"], "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await wait_for(pilot, lambda: full not in screen_text(app), what="masked after the lock")


async def test_g_on_the_board_sets_the_grade(demo):
    app = make_app("李娜")
    async with running(app, size=(160, 50)) as pilot:
        await pilot.press("2")
        await wait_for(pilot, lambda: app.screen.pane == "board" and app.screen.board_view.selected)
        await pilot.press("j", "g")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "GradeScreen", what="the grade form")


def test_no_widget_binding_shadows_a_pane_or_screen_key():
    """Collected from the code: the keys of each pane's widget (its list, board or record) against
    the keys of the pane around it and of the main screen — where a widget takes a key first, a
    pane's action on that key must not be one that applies on this pane."""
    from carcrm_tui.ui.panes.board import BoardPane
    from carcrm_tui.ui.panes.customer import CustomerPane
    from carcrm_tui.ui.panes.late import LatePane
    from carcrm_tui.ui.panes.metrics import MetricsPane
    from carcrm_tui.ui.panes.record import RecordPane
    from carcrm_tui.ui.panes.today import TodayPane
    from carcrm_tui.ui.widgets.board import BoardView
    from carcrm_tui.ui.widgets.customer import CustomerView
    from carcrm_tui.ui.widgets.late import LateTable
    from carcrm_tui.ui.widgets.metrics import MetricsView

    def keys(cls) -> dict[str, str]:
        out: dict[str, str] = {}
        for c in cls.__mro__:
            for b in vars(c).get("BINDINGS", []):
                for key in b.key.split(","):
                    out.setdefault(key.strip(), b.action.partition("(")[0])
        return out

    record_actions = {b.action.partition("(")[0] for b in RecordPane.BINDINGS}
    panes = {TodayPane: TodayTable, BoardPane: BoardView, CustomerPane: CustomerView, LatePane: LateTable,
             MetricsPane: MetricsView}
    clashes = []
    for pane, widget in panes.items():
        live = {key: action for key, action in {**keys(MainScreen), **keys(pane)}.items()
                if action not in record_actions or action in getattr(pane, "RECORD_ACTIONS", ())}
        clashes += [(pane.__name__, key, action, live[key]) for key, action in keys(widget).items() if key in live]
    assert clashes == []


async def test_q_asks_before_a_signed_in_terminal_drops_to_the_shell(demo):
    app = make_app("李娜")
    async with running(app) as pilot:
        await pilot.press("q")
        await wait_for(pilot, lambda: "Quit carcrm?" in screen_text(app))
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        assert app.is_running
        await pilot.press("q")
        await wait_for(pilot, lambda: "Quit carcrm?" in screen_text(app))
        await pilot.press("enter")
        await wait_for(pilot, lambda: not app.is_running, what="the app to quit")


async def test_esc_on_a_form_with_changes_asks_first(demo):
    app = make_app("李娜")
    async with running(app) as pilot:
        await wait_for(pilot, lambda: app.screen.query_one(TodayTable).selected)
        await pilot.press("c")
        form = await wait_for(pilot, lambda: app.screen if isinstance(app.screen, LogContactScreen) else None)
        await pilot.press("escape")  # nothing typed: leaves at once
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.press("c", *"customer wants a quote")
        form = await wait_for(pilot, lambda: app.screen if isinstance(app.screen, LogContactScreen) else None)
        await wait_for(pilot, lambda: form.query_one("#summary").value == "customer wants a quote")
        await pilot.press("escape")
        await wait_for(pilot, lambda: "Discard your changes?" in screen_text(app))
        await pilot.press("escape")  # back to the form, input intact
        await wait_for(pilot, lambda: app.screen is form)
        assert form.query_one("#summary").value == "customer wants a quote"
        await pilot.press("escape", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), what="discarded")


ESCAPES = "\x1b[2J\x1b]0;pwned\x07张\x00"


async def test_escape_codes_reach_the_terminal_through_no_path(demo):
    """Status line after logging, the edit form's Name field, notices, titles: one cleaning for all."""
    app = make_app("李娜")
    async with running(app, size=(160, 50)) as pilot:
        row = await wait_for(pilot, lambda: app.screen.query_one(TodayTable).selected)
        Customer.update(name=ESCAPES).where(Customer.id == row.customer_id).execute()
        notices.tell(app.session.actor.id, NOW, "be_back", row.customer_id, customer=ESCAPES, by=ESCAPES)
        app.screen.refresh_pane()
        await pilot.press("c", "1", *"called", "enter")
        await wait_for(pilot, lambda: "Contact with" in screen_text(app), what="the logged status line")
        await pilot.press("enter")  # Today's cursor stays on the row just logged: its customer
        await wait_for(pilot, lambda: app.screen.pane == "customer")
        await pilot.press("e")
        form = await wait_for(pilot, lambda: opened_form(app))
        assert "\x1b" not in form.query_one("#f-name").value
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        await pilot.press("1")
        await wait_for(pilot, lambda: "Messages (1)" in screen_text(app))
        written = _written(app)
        assert "\x1b[2J" not in written and "pwned\x07" not in written and "\x00" not in written
        assert "␛[2J" in screen_text(app)  # as typed, visibly


def _written(app) -> str:
    """What the terminal gets: the compositor's lines, after the app's line filters."""
    return screen_text(app)


@pytest.mark.parametrize("kind", ["busy", "disk_full", "read_only"])
async def test_a_storage_fault_while_logging_keeps_the_input_and_says_why(demo, kind, monkeypatch):
    monkeypatch.setattr(type(proxy.obj), "begin_patience", 0.2)
    app = make_app("李娜")
    async with running(app) as pilot:
        row = await wait_for(pilot, lambda: app.screen.query_one(TodayTable).selected)
        await pilot.press("c", "1", *"talked about financing")
        form = await wait_for(pilot, lambda: app.screen if isinstance(app.screen, LogContactScreen) else None)
        await wait_for(pilot, lambda: form.query_one("#summary").value == "talked about financing")
        before = FollowUp.select().where(FollowUp.done_at.is_null(False)).count()
        with faults.inject(proxy, kind, times=10**6):
            await pilot.press("ctrl+s")
            sentence = {"busy": "busy", "disk_full": "disk is full", "read_only": "only be read"}[kind]
            await wait_for(pilot, lambda: sentence in screen_text(app), what="a sentence about the fault")
        assert "Traceback" not in screen_text(app)
        assert app.screen is form and form.query_one("#summary").value == "talked about financing"
        assert FollowUp.select().where(FollowUp.done_at.is_null(False)).count() == before  # nothing half-written
        await pilot.press("ctrl+s")  # the fault is gone: the same input saves
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen))
        assert FollowUp.select().where(FollowUp.summary == "talked about financing").count() == 1


async def test_a_database_that_stops_answering_is_said_on_the_status_line(demo):
    app = make_app("李娜")
    async with running(app) as pilot:
        await wait_for(pilot, lambda: app.screen.query_one(TodayTable).selected)
        with faults.inject(proxy, "unavailable", times=10**6, writes_only=False):
            app.screen.poll_changes()
            await wait_for(pilot, lambda: "cannot be reached" in screen_text(app))
        app.screen._poll_resume = 0
        app.screen.poll_changes()
        await wait_for(pilot, lambda: "answers again" in screen_text(app))
        assert app.is_running


@pytest.mark.parametrize("kind, said", [("busy", "busy"), ("read_only", "only be read")])
async def test_sign_in_on_a_busy_or_read_only_database_says_so_and_never_shows_the_pin(demo, monkeypatch, kind, said):
    monkeypatch.setattr(type(proxy.obj), "begin_patience", 0.1)
    app = signed_out_app(user="李娜")
    async with running(app) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, SignInScreen))
        with faults.inject(proxy, kind, times=10**6):
            await pilot.press(*PINS["李娜"], "enter")
            await wait_for(pilot, lambda: said in screen_text(app), timeout=20)
            await wait_for(pilot, lambda: not app.screen.query_one("#pin").disabled, timeout=20,
                           what="the retries to give up")
        assert PINS["李娜"] not in screen_text(app)
        assert app.screen.query_one("#pin").value == PINS["李娜"]  # kept: Enter tries again
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, MainScreen), timeout=20)


async def test_an_unexpected_error_ends_with_a_sentence_and_a_log_not_a_traceback(demo, tmp_path, monkeypatch,
                                                                                 capsys):
    monkeypatch.setenv("CARCRM_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setattr("carcrm_tui.logs._handler", None)
    app = make_app("李娜")
    secret = "pin = '4831'"
    with pytest.raises(ZeroDivisionError):
        async with running(app) as pilot:
            await wait_for(pilot, lambda: app.screen.query_one(TodayTable).selected)

            def boom():
                pin = "4831"  # noqa: F841 - a local a rich traceback would print
                return 1 / 0

            app.call_later(boom)
            await wait_for(pilot, lambda: not app.is_running, what="the app to stop")
    assert app.return_code == 5
    shown = capsys.readouterr().err  # what the terminal shows once the app has gone
    assert "unexpected error" in shown and "Traceback" not in shown and "4831" not in shown
    log = (tmp_path / "logs" / "carcrm.log").read_text(encoding="utf-8")
    assert "ZeroDivisionError" in log and secret not in log and "4831" not in log
    assert oct((tmp_path / "logs" / "carcrm.log").stat().st_mode & 0o777) == "0o600"


async def test_a_disabled_accounts_session_ends_within_seconds(demo):
    app = make_app("李娜")
    async with running(app) as pilot:
        await wait_for(pilot, lambda: app.screen.query_one(TodayTable).selected)
        admin = accounts.find("系统管理员")
        auth.disable(admin, "李娜", NOW)
        def ended() -> bool:  # each check is a tick of the live refresh, sooner than its timer
            if isinstance(app.screen, MainScreen):
                app.screen.poll_changes()
            return isinstance(app.screen, SignInScreen)

        await wait_for(pilot, ended, what="the session ended")
        await wait_for(pilot, lambda: "disabled or its role changed" in screen_text(app))
        assert app.session is None


async def test_a_colleagues_be_back_is_recorded_and_the_owner_told(demo):
    lina = accounts.find("李娜")
    theirs = Customer.select().where(Customer.owner != lina.id).first()
    app = make_app("李娜")
    async with running(app, size=(100, 30)) as pilot:
        await wait_for(pilot, lambda: app.screen.query_one(TodayTable).selected)
        await pilot.press("n", *theirs.phone_digits, "enter")
        await wait_for(pilot, lambda: "A customer of" in screen_text(app))
        assert theirs.name not in screen_text(app)  # who owns them, nothing more
        await pilot.press("enter")
        await wait_for(pilot, lambda: "the visit is recorded" in screen_text(app))
    owner = Customer.get_by_id(theirs.id).owner.name
    told = notices.unread(session_for(owner))
    assert told and told[0].kind == "be_back" and told[0].customer_id == theirs.id


async def test_messages_on_today_open_their_customer_and_are_read(demo):
    lina = accounts.find("李娜")
    mine = Customer.select().where(Customer.owner == lina.id).first()
    notices.tell(lina.id, NOW, "lead_received", mine.id, customer=mine.name, source="张伟", by=MANAGER)
    app = make_app("李娜")
    async with running(app, size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: "Messages (1)" in screen_text(app))
        table = app.screen.query_one(TodayTable)
        table.move_to(next(iter(table.notices_by_key)))
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.pane == "customer" and app.screen.customer_id == mine.id)
        assert notices.unread(session_for("李娜")) == []


async def test_the_merge_picker_moves_into_the_list_and_shows_the_numbers(demo):
    app = make_app(MANAGER)
    async with running(app, size=(120, 40)) as pilot:
        first, second = Customer.select().order_by(Customer.id).limit(2)
        app.screen.open_customer(first.id)
        await wait_for(pilot, lambda: app.screen.detail and app.screen.detail.id == first.id)
        await pilot.press("m")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "MergeScreen")
        await pilot.press(*second.phone_digits[-6:])
        found = await wait_for(pilot, lambda: app.screen.query_one("#found").option_count and app.screen.query_one("#found"))
        digits = second.phone_digits
        assert f"{digits[:3]} {digits[3:7]} {digits[7:]}" in screen_text(app)  # to compare, numbers in full
        await pilot.press("down")
        await wait_for(pilot, lambda: app.screen.focused is found)
        assert app.screen.other is None  # Down alone chooses nothing
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.other is not None and app.screen.other.id == second.id)


async def test_the_metrics_label_names_the_month_its_numbers_are_for(demo):
    from carcrm_tui.services import metrics

    app = make_app(MANAGER)
    async with running(app, size=(160, 50)) as pilot:
        await pilot.press("5")
        await wait_for(pilot, lambda: app.screen.pane == "metrics")
        await pilot.press(*",,.,", ",")
        await app.workers.wait_for_complete()
        await wait_for(pilot, lambda: "counting" not in screen_text(app).lower())
        label = app.screen.pane_widget("metrics").period.label
        assert label == metrics.month("2025-12").label  # March 2026, four back and one forward
        title = str(app.screen.query_one("#metrics-title").render())
        assert label in title


async def test_a_stage_move_that_changes_the_grade_says_so(demo):
    from carcrm_tui.services import board
    from carcrm_tui.ui.panes.record import Record

    app = make_app("李娜")
    async with running(app, size=(160, 50)) as pilot:
        lead = Lead.select().where((Lead.owner == app.session.actor.id) & (Lead.status == "open")
                                   & (Lead.stage == "quote") & (Lead.grade != "O")).first()
        await pilot.press("2")
        await wait_for(pilot, lambda: app.screen.pane == "board" and app.screen.board_view.selected)
        record = Record(lead.id, lead.customer_id, lead.customer.name, lead.grade, lead.version)
        moved = board.move(app.session, lead.id, lead.version, +1,
                           {"deposit": "5000", "deal_price": "18万", "expected_delivery_date": "2026-03-30"})
        app.screen.pane_widget("board")._moved(record, moved)
        await wait_for(pilot, lambda: f"grade {lead.grade} → O" in screen_text(app), what="the grade change said")
