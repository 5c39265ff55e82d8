"""The actions on "the record under the cursor", whichever pane shows it.

Today's row, the board's card and the open customer are each a lead of a
customer; logging a call, moving a stage, changing the grade, marking it lost
and handing it to a colleague work the same on all three. They live here once,
in the pane those three are built on: each says which apply to what it shows
(`RECORD_ACTIONS`) and what is under its cursor (`current`), and may redraw its
own way afterwards (`after_move`).
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

from textual.binding import Binding

from carcrm_tui.i18n import t
from carcrm_tui.services import board, contacts, customers, process, reassign
from carcrm_tui.services.errors import ServiceError
from carcrm_tui.ui.format import stage_text
from carcrm_tui.ui.panes.base import REFUSALS, Pane, form, survives
from carcrm_tui.ui_text import error_sentence


class Record(NamedTuple):
    lead_id: int
    customer_id: int
    name: str
    grade: str
    version: int | None  # None: the row does not carry the lead's version (Today), so no stage keys
    followup_id: int | None = None  # the due follow-up a logged call answers
    status: str = "open"


@survives()
class RecordPane(Pane):
    """A pane that shows leads of customers: the record's keys and what they do."""

    BINDINGS = [
        Binding("c", "log_contact", "key.log", id="contact.log"),
        Binding("right_square_bracket,greater_than_sign,shift+right", "move(1)", "key.next_stage", id="lead.next_stage"),
        Binding("left_square_bracket,less_than_sign,shift+left", "move(-1)", "key.prev_stage", id="lead.prev_stage"),
        Binding("x", "lost", "key.lost", id="lead.lost"),
        Binding("g", "grade", "key.grade", id="lead.grade", show=False),
        Binding("a", "reassign", "key.reassign", id="lead.reassign", show=False),
    ]
    RECORD_ACTIONS = frozenset({"log_contact", "move", "lost", "grade", "reassign"})

    def check_action(self, action: str, parameters) -> bool | None:
        if action in ("log_contact", "move", "lost", "grade", "reassign"):
            if action not in self.RECORD_ACTIONS:
                return False
            if action == "reassign":
                return self.session.is_manager
        return super().check_action(action, parameters)

    def _record_or_say(self, *, versioned: bool = False) -> Record | None:
        record = self.current()
        if record is None or (versioned and record.version is None):
            self.status(t("notice.nothing_selected"), error=True)
            return None
        return record

    # ---- a call or a visit -------------------------------------------------
    def action_log_contact(self, channel: str = "phone") -> None:
        record = self._record_or_say()
        if record is None:
            return
        if record.status not in ("open", "won"):  # a won customer still gets after-sales calls
            self.status(t("error.lead_closed"), error=True)
            return
        sheet = contacts.call_sheet(self.session, record.lead_id)
        main = self.main

        def done(result) -> None:
            if result is not None:
                if result.next_due:
                    when = result.next_due.in_timezone(self.policy.tz).format("MM-DD HH:mm")
                    main.status(t("notice.logged", name=record.name, when=when))
                else:
                    main.status(t("notice.logged_no_next", name=record.name))
                main.refresh_pane()

        self.app.push_screen(
            form("LogContactScreen")(title=record.name, grade=record.grade, policy=self.policy, now=self.now,
                                     submit=partial(contacts.log_contact, self.session, record.lead_id),
                                     channel=channel, followup_id=record.followup_id, sheet=sheet,
                                     privacy=main.privacy),
            done,
        )

    # ---- the sales stage -----------------------------------------------------
    def action_move(self, direction: int) -> None:
        """Next/previous stage; a stage that records something asks for it in one form first."""
        record = self._record_or_say(versioned=True)
        if record is None:
            return
        try:
            target, fields = process.fields_for(self.session, record.lead_id, direction)
        except ServiceError as e:
            self.status(error_sentence(e, self.policy), error=True)
            return
        move = partial(board.move, self.session, record.lead_id, record.version, direction)
        if not fields:
            try:
                moved = move()
            except REFUSALS as e:
                self.refused(e)
                self.refresh_data()
                return
            self._moved(record, moved)
            return
        lead = customers.detail(self.session, record.customer_id).lead
        self.app.push_screen(
            form("StageScreen")(name=record.name, target=target, fields=fields, lead=lead,
                                vehicles=self.main.vehicles(), policy=self.policy, now=self.now,
                                submit=lambda values: move(values)),
            lambda moved: moved and self._moved(record, moved),
        )

    def _moved(self, record: Record, moved) -> None:
        stage = moved.stage
        where = stage_text(stage)
        if moved.grade != moved.grade_before:  # an order makes it O; needs analysis may regrade it: say so
            self.status(t("notice.moved_regraded", name=record.name, stage=where, before=moved.grade_before,
                          after=moved.grade))
        else:
            self.status(t("notice.moved", name=record.name, stage=where))
        self.after_move(record, moved)

    def after_move(self, record: Record, moved) -> None:
        """Redraw after a stage move (the board keeps the card in view in its new column)."""
        self.refresh_data()

    def action_grade(self) -> None:
        record = self._record_or_say(versioned=True)
        if record is None:
            return
        suggested = process.suggested_grade(self.session, record.lead_id)
        score = customers.detail(self.session, record.customer_id).lead.score
        self.app.push_screen(
            form("GradeScreen")(name=record.name, grade=record.grade, suggested=suggested, score=score,
                                policy=self.policy,
                                submit=partial(process.set_grade, self.session, record.lead_id, record.version)),
            lambda done: done and (self.status(t("notice.graded")), self.refresh_data()),
        )

    def action_lost(self) -> None:
        record = self._record_or_say(versioned=True)
        if record is None:
            return

        def done(result) -> None:
            if result:
                self.status(t("notice.lost", name=record.name))
                self.refresh_data()

        self.app.push_screen(
            form("LostScreen")(title=record.name, policy=self.policy,
                               submit=partial(board.mark_lost, self.session, record.lead_id, record.version)),
            done,
        )

    # ---- managers: hand it to a colleague -------------------------------------
    def reassign_what(self) -> tuple[dict, str] | None:
        """The leads a reassignment moves and how the form names them (the board adds marked cards)."""
        record = self._record_or_say(versioned=True)
        if record is None:
            return None
        return {"lead_ids": [record.lead_id]}, record.name

    def action_reassign(self, whole_book: bool = False) -> None:
        """Managers: the lead here, the marked cards, or (palette) a consultant's whole book."""
        if whole_book:
            kwargs, what = {}, t("reassign.whole_book")
        else:
            chosen = self.reassign_what()
            if chosen is None:
                return
            kwargs, what = chosen

        def submit(targets: list[str], source: str | None) -> int:
            return reassign.reassign(self.session, targets, from_account=source, **kwargs)

        def done(moved) -> None:
            if moved is not None:
                self.reassigned()
                self.status(t("notice.reassigned", n=moved))
                self.refresh_data()

        self.app.push_screen(
            form("ReassignScreen")(what=what, consultants=reassign.consultants(self.session), submit=submit,
                                   choose_source=whole_book, policy=self.policy),
            done,
        )

    def reassigned(self) -> None:
        """After a reassignment (the board clears its marks)."""

    def record_commands(self):
        """The palette's commands for the record under the cursor."""
        record = self.current()
        if record is None:
            return
        name = record.name
        if "log_contact" in self.RECORD_ACTIONS:
            yield t("palette.log_for", name=name), t("palette.record_help"), self.action_log_contact
        if record.version is None:
            return
        if "lost" in self.RECORD_ACTIONS:
            yield t("palette.lost", name=name), t("palette.record_help"), self.action_lost
        if "move" in self.RECORD_ACTIONS:
            yield t("key.next_stage"), t("palette.record_help"), partial(self.action_move, 1)
            yield t("key.prev_stage"), t("palette.record_help"), partial(self.action_move, -1)
        if "grade" in self.RECORD_ACTIONS:
            yield t("palette.grade", name=name), t("palette.record_help"), self.action_grade
        if self.session.is_manager and "reassign" in self.RECORD_ACTIONS:
            yield t("palette.reassign", name=name), t("palette.record_help"), self.action_reassign
