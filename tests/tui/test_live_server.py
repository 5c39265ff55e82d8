"""Live refresh on a real PostgreSQL server: commits are told by the server (LISTEN/NOTIFY), not polled;
a listener whose connection is cut says so, tries again with growing pauses and redraws once back."""

from __future__ import annotations

import asyncio

import psycopg

from carcrm_tui.i18n import t
from carcrm_tui.services import contacts
from carcrm_tui.services.session import in_worker
from carcrm_tui.services.views import ContactInput
from carcrm_tui.ui import live
from carcrm_tui.ui.screens.main import MainScreen
from carcrm_tui.ui.widgets.today import TodayTable
from tests.conftest import session_for
from tests.tui.helpers import make_app, running, screen_text, wait_for


def _no_polling(monkeypatch) -> None:
    """The poll neither asks for changes nor redraws: whatever redraws the screen was told by the server."""
    monkeypatch.setattr(MainScreen, "poll_changes", lambda self: None)


def _statuses(monkeypatch) -> list[str]:
    said: list[str] = []
    status = MainScreen.status

    def recorded(self, text, *, error=False):
        said.append(text)
        status(self, text, error=error)

    monkeypatch.setattr(MainScreen, "status", recorded)
    return said


async def _log_elsewhere(lead_id: int, summary: str) -> None:
    """Another terminal: another thread, hence another connection, commits a contact."""
    await asyncio.to_thread(in_worker, contacts.log_contact, session_for("李娜"), lead_id,
                            ContactInput(summary=summary))


def test_backoff_doubles_up_to_half_a_minute():
    assert [live.backoff(n) for n in range(1, 9)] == [1, 2, 4, 8, 16, 30, 30, 30]


async def test_a_sqlite_terminal_polls_and_listens_to_nothing(demo):
    app = make_app("李娜")
    async with running(app):
        assert app.live is None
        assert not [w for w in app.workers if w.group == "live"]


async def test_a_commit_on_another_connection_reaches_the_screen_without_the_poll(pg_demo, monkeypatch):
    _no_polling(monkeypatch)
    app = make_app("李娜")
    async with running(app, size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.live is not None and app.live.listening, what="the listener")
        table = app.screen.query_one(TodayTable)
        first = table.selected
        await _log_elsewhere(first.lead_id, "from terminal 2")
        await wait_for(pilot, lambda: f"f{first.followup_id}" not in table.rows_by_key,
                       what="the row logged on another connection leaving Today")
        assert app.live.latest > 0  # told with the newest audit id


async def test_a_cut_connection_is_said_tried_again_with_backoff_and_redrawn_once_back(pg_demo, pg_server, pg_url,
                                                                                     monkeypatch, tmp_path):
    monkeypatch.setenv("CARCRM_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.setattr("carcrm_tui.logs._handler", None)
    _no_polling(monkeypatch)
    said = _statuses(monkeypatch)
    name = pg_url.rsplit("/", 1)[1]
    app = make_app("李娜")
    async with running(app, size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.live is not None and app.live.listening, what="the listener")
        table = app.screen.query_one(TodayTable)
        first = table.selected
        pid = app.live.listener.backend_pid()
        with psycopg.connect(pg_server, autocommit=True) as admin:
            # the server refuses new connections to this database until we say so: the listener cannot come back
            admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false')
            try:
                admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
                await wait_for(pilot, lambda: t("live.lost", seconds=2) in said,
                               what="the lost connection said, a first try failed, the next in 2 s")
                assert t("live.lost", seconds=1) in said and not app.live.listening
                # committed while nobody listens (on this terminal's own open connection: no new ones now)
                contacts.log_contact(session_for("李娜"), first.lead_id, ContactInput(summary="while cut off"))
                assert f"f{first.followup_id}" in table.rows_by_key  # not told: not redrawn
            finally:
                admin.execute(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true')
        await wait_for(pilot, lambda: t("live.back") in said, what="the listener back", timeout=30)
        await wait_for(pilot, lambda: f"f{first.followup_id}" not in table.rows_by_key,
                       what="one redraw once back, with what was committed meanwhile")
        assert app.live.listening and app.live.listener.backend_pid() != pid
        assert said.index(t("live.lost", seconds=1)) < said.index(t("live.back"))
        assert app._exception is None and "Traceback" not in screen_text(app)
        assert "carcrm_test" not in " ".join(said)  # no address, no password: sentences only
    log = (tmp_path / "logs" / "carcrm.log").read_text(encoding="utf-8")
    assert "live refresh: connection_lost" in log and "carcrm_test:carcrm_test" not in log  # the details, there


async def test_a_disabled_accounts_session_still_ends_within_seconds_on_the_server(pg_demo):
    """The listener tells of changes; whether the account may still work is still asked every few seconds."""
    from carcrm_tui.services import accounts, auth
    from carcrm_tui.ui.screens.sign_in import SignInScreen
    from tests.conftest import NOW

    app = make_app("李娜")
    async with running(app) as pilot:
        await wait_for(pilot, lambda: app.live is not None and app.live.listening, what="the listener")
        await asyncio.to_thread(in_worker, auth.disable, accounts.find("系统管理员"), "李娜", NOW)
        await wait_for(pilot, lambda: isinstance(app.screen, SignInScreen), what="the session ended")
        await wait_for(pilot, lambda: "disabled or its role changed" in screen_text(app))
        assert app.session is None
