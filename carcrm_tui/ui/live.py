"""Live refresh told by the PostgreSQL server: a worker thread listens, the main screen redraws.

On a SQLite file every terminal asks for the newest change once a second (the
main screen's poll). A dealer group's server tells its terminals instead: the
listener (store/notify) waits on a connection of its own in a thread worker and
posts a message to the app for each burst of commits; the app hands it to the
main screen, which redraws the visible pane at once. Posting a message never
blocks the thread, and never reaches an app that is closing.

A lost connection is said on the status line (input stays where it is — forms
never touch this connection) and tried again after 1, 2, 4 … 30 seconds; when it
is back, the screen is redrawn once, since commits told meanwhile were missed.
While nothing listens the main screen falls back to polling, so nothing is
missed either way. Details go to the log, scrubbed of passwords.
"""

from __future__ import annotations

import threading

from textual.message import Message
from textual.worker import get_current_worker

from carcrm_tui.services import audit
from carcrm_tui.store.faults import StorageFault

WAIT_SECONDS = 0.5  # a listening thread looks up this often to see whether the app is closing
BACKOFF_SECONDS = (1, 2, 4, 8, 16, 30)


def backoff(failures: int) -> int:
    """Seconds before the next try after `failures` failed ones in a row: 1, 2, 4 … 30."""
    return BACKOFF_SECONDS[min(max(failures, 1), len(BACKOFF_SECONDS)) - 1]


class ChangesTold(Message):
    """Other terminals committed (one message for a burst)."""

    def __init__(self, change_id: int) -> None:
        super().__init__()
        self.change_id = change_id


class ListenerLost(Message):
    def __init__(self, kind: str, seconds: int) -> None:
        super().__init__()
        self.kind = kind
        self.seconds = seconds


class ListenerBack(Message):
    pass


class LiveFeed:
    """What the server has told this terminal so far; run by a thread worker of the app."""

    def __init__(self, app, listener) -> None:
        self.app = app
        self.listener = listener
        self.generation = 0  # bursts of commits told so far; a screen compares it with what it last drew
        self.latest = 0  # the newest audit id told
        self.listening = False  # False while (re)connecting: the main screen polls meanwhile
        self._told = threading.Event()  # a ChangesTold is on its way: bursts meanwhile ride along with it

    def run(self) -> None:
        try:
            self._listen(get_current_worker())
        except Exception as e:  # a bug here must not end anyone's session: polling takes over, details logged
            self.listening = False
            try:
                from carcrm_tui import logs

                logs.record_exception(e, "live refresh stopped; the screen polls instead")
            except Exception:
                pass
        finally:
            self.listener.close()

    def _listen(self, worker) -> None:
        failures = 0
        while not worker.is_cancelled:
            if not self.listener.connected:
                try:
                    self.listener.connect()
                except StorageFault as e:
                    failures += 1
                    self._lost(e, failures)
                    worker.cancelled_event.wait(backoff(failures))
                    continue
                self.listening = True
                if failures:
                    failures = 0
                    self.generation += 1  # whatever was committed while nobody listened
                    self._post(ListenerBack())
            try:
                newest = self.listener.wait(WAIT_SECONDS)
            except StorageFault as e:
                self.listening = False
                failures = 1
                self._lost(e, failures)
                worker.cancelled_event.wait(backoff(failures))
                continue
            if newest is not None:
                self.generation += 1
                self.latest = max(self.latest, newest)
                if not self._told.is_set():
                    self._told.set()
                    self._post(ChangesTold(self.latest))
        self.listening = False

    def handled(self) -> None:
        """The app has acted on a ChangesTold: the next burst posts a new one."""
        self._told.clear()

    def _lost(self, error: StorageFault, failures: int) -> None:
        self.listening = False
        if failures == 1:
            try:
                from carcrm_tui import logs

                logs.setup()  # the private log file (never the terminal: Python's last-resort handler is stderr)
                logs.logger("live").warning("live refresh: %s; trying again", error)  # scrubbed by the log
            except Exception:
                pass
        self._post(ListenerLost(error.kind, backoff(failures)))

    def _post(self, message: Message) -> None:
        try:
            self.app.post_message(message)
        except RuntimeError:  # the app's loop has closed: nobody to tell
            pass


class LiveRefresh:
    """Mixed into the app: starts the listener on PostgreSQL and hands its news to the main screens."""

    live: LiveFeed | None = None

    def start_live_refresh(self) -> None:
        listener = audit.change_listener()
        if listener is None:  # a SQLite file: the main screen polls
            return
        self.live = LiveFeed(self, listener)
        self.run_worker(self.live.run, thread=True, group="live", name="live refresh", exclusive=True,
                        exit_on_error=False)

    def _main_screens(self):
        from carcrm_tui.ui.screens.main import MainScreen

        return [s for s in self.screen_stack if isinstance(s, MainScreen)]

    def on_changes_told(self, message: ChangesTold) -> None:
        if self.live is not None:
            self.live.handled()
        for screen in self._main_screens():
            screen.changes_told()

    def on_listener_lost(self, message: ListenerLost) -> None:
        for screen in self._main_screens():
            screen.live_lost(message.kind, message.seconds)

    def on_listener_back(self, message: ListenerBack) -> None:
        for screen in self._main_screens():
            screen.live_back()
