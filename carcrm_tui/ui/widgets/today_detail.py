"""The lines under Today's list: the selected row whole.

A row's cells are cut to fit 80 columns; here is what they could not hold —
the full name and the (masked) number, why the row is where it is in a
sentence, and what was said the last time — so a consultant can start the call
without opening the record. In privacy mode names are initials and the number
and the last words stay off the screen (customers walk past it).

A cursor move is the hot path (the busiest consultant walks hundreds of rows):
a row's lines are built and drawn once, kept under a key of everything they
show (the row, what was said, privacy, the naming, the minute, the policy, the
language; the drawing also under the width and styles), so going back to a row
— or to one the pane drew ahead — repaints the four lines from the cache.
"""

from __future__ import annotations

from rich.text import Text
from textual.strip import Strip
from textual.visual import Visual, visualize
from textual.widget import Widget

from carcrm_tui.domain.schedule import DueGroup, Urgency
from carcrm_tui.i18n import duration, humanize, label, language, t
from carcrm_tui.services.views import DueRow
from carcrm_tui.ui.format import local, stage_text, why_due
from carcrm_tui.ui.keymap import hint_keys
from carcrm_tui.ui.text import plain
from carcrm_tui.ui.widgets.customer import purpose_text

HEIGHT = 4
KEEP = 512  # rows' lines kept; then the cache starts again (a page of Today is 100 rows a group)


def urgency_sentence(row: DueRow, now, policy) -> str:
    """Why the row is in its group, as a sentence."""
    when = local(row.due_at, policy, "MM-DD HH:mm")
    clock = row.response
    if row.urgency == Urgency.RESPONSE and clock is not None:
        by = local(clock.deadline, policy, "MM-DD HH:mm")
        key = "today.urgent.response_late" if clock.breached else "today.urgent.response_left"
        return t(key, d=duration(clock.minutes_left), when=by)
    if row.urgency == Urgency.OVERDUE:
        return t("today.urgent.overdue", ago=humanize(row.due_at, now), when=when)
    if row.urgency == Urgency.SILENT:
        return t("today.urgent.silent", n=row.reason.days_since_contact, grade=row.reason.grade,
                 every=row.reason.cadence_days)
    if row.group is DueGroup.TODAY:
        return t("today.urgent.today", when=local(row.due_at, policy, "HH:mm"))
    return t("today.urgent.upcoming", ago=humanize(row.due_at, now), when=when)


def last_contact_text(contact, policy) -> Text:
    if contact is None:
        return Text(t("today.detail.no_contact"), style="dim")
    line = Text(t("today.detail.last", when=local(contact.at, policy, "MM-DD HH:mm"),
                  channel=label("channel", contact.channel)), style="bold")
    if contact.outcome:
        line.append(" · " + label("outcome", contact.outcome), style="bold")
    line.append(t("sep.colon"))
    line.append_text(plain(contact.summary, one_line=True))
    if contact.feedback:
        line.append("  " + t("today.detail.feedback"), style="dim")
        line.append_text(plain(contact.feedback, one_line=True))
    return line


def lines(*parts: Text) -> Text:
    """One line each, cut with an ellipsis at the edge (the widget is as tall as the parts)."""
    out = Text(no_wrap=True, overflow="ellipsis")
    for n, part in enumerate(parts):
        if n:
            out.append("\n")
        out.append_text(part)
    return out


def row_key(row: DueRow, contacts, *, now, policy, privacy: bool, display_name) -> tuple | None:
    """Everything `row_text` shows depends on but the policy (the caches start again when it
    changes), or None when something in it cannot be a key."""
    key = (row, contacts, privacy, display_name, int(now.timestamp()) // 60, language())
    try:
        hash(key)
    except TypeError:
        return None
    return key


def row_text(row: DueRow, contacts, *, now, policy, privacy: bool, display_name) -> Text:
    """Four lines, each cut at the edge rather than wrapped: who; why now; the reason; last time.
    `contacts`: the latest contact as a tuple of one (empty: none), or None while it loads."""
    who = plain(display_name(row.customer_name), "bold")
    if not privacy and row.phone:
        who.append("  " + row.phone, style="bold")
    stage = stage_text(row.stage)
    who.append(f"  {row.grade} · {stage}")
    if row.vehicle:
        who.append(" · ").append_text(plain(row.vehicle))
    who.append(" · " + label("channel", row.channel))
    urgent = row.group is DueGroup.URGENT
    why = Text(urgency_sentence(row, now, policy), style="bold red" if urgent else "bold")
    reason = plain(purpose_text(row.purpose) if row.purpose else why_due(row.reason, now), "dim")
    if privacy:
        said = Text(t("today.detail.private", **hint_keys()), style="dim")
    elif contacts is None:
        said = Text("…", style="dim")
    else:
        said = last_contact_text(contacts[0] if contacts else None, policy)
    return lines(who, why, reason, said)


class TodayDetail(Widget):
    """Drawn from plain values given to `show_*`; it never reads the database."""

    DEFAULT_CSS = f"""
    TodayDetail {{ height: {HEIGHT}; background: $boost; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis; }}
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._text = Text()
        self._key: tuple | None = None  # what `_text` shows (None: not kept)
        self._texts: dict[tuple, Text] = {}  # row key -> its lines
        self._drawn: dict[tuple, list[Strip]] = {}  # (row key, size, style) -> its lines drawn
        self._policy = None  # the site policy the kept lines were built under
        # the last contact is on its way from a worker (not Widget.loading: that mounts an
        # animated LoadingIndicator over the lines, a second repaint on every move)
        self.waiting = False

    def render(self) -> Text:
        return self._text

    def render_line(self, y: int) -> Strip:
        if self._key is None or self.text_selection is not None:  # (a selection is drawn over the text)
            return super().render_line(y)
        width, height = self.size
        style = self.visual_style
        strips = self._drawn.get((self._key, width, height, style))
        if strips is None:
            strips = self._draw(self._key, self._text, width, height, style)
        return strips[y] if y < len(strips) else Strip.blank(width, style.rich_style)

    def _draw(self, key: tuple, text: Text, width: int, height: int, style) -> list[Strip]:
        """As Textual draws `render()`'s text, kept."""
        if len(self._drawn) >= KEEP:
            self._drawn.clear()
        strips = Visual.to_strips(self, visualize(self, text, markup=False), width, height, style)
        self._drawn[(key, width, height, style)] = strips
        return strips

    def _set(self, text: Text, waiting: bool = False, key: tuple | None = None) -> None:
        self.waiting = waiting
        if key is not None and key == self._key:
            return  # the same lines: nothing to repaint
        self._text = text
        self._key = key
        self.refresh()

    def _row(self, key: tuple | None, row: DueRow, contacts, **how) -> Text:
        if how["policy"] is not self._policy:  # (a policy holds tables: it is no part of a key)
            self._policy = how["policy"]
            self._texts.clear()
            self._drawn.clear()
        text = self._texts.get(key) if key is not None else None
        if text is None:
            text = row_text(row, contacts, **how)
            if key is not None:
                if len(self._texts) >= KEEP:
                    self._texts.clear()
                self._texts[key] = text
        return text

    def show_nothing(self) -> None:
        self._set(Text(t("today.detail.none"), style="dim"))

    def show_row(self, row: DueRow, contacts, *, now, policy, privacy: bool, display_name) -> None:
        """`contacts`: the latest contact as a tuple of one (empty: none), or None while it loads."""
        how = dict(now=now, policy=policy, privacy=privacy, display_name=display_name)
        key = row_key(row, contacts, **how)
        self._set(self._row(key, row, contacts, **how), waiting=contacts is None and not privacy, key=key)

    def prepare_row(self, row: DueRow, contacts, *, now, policy, privacy: bool, display_name) -> None:
        """Build and draw a row's lines without showing them (the rows next to the cursor, while
        the app is idle), so the key that reaches the row only repaints."""
        how = dict(now=now, policy=policy, privacy=privacy, display_name=display_name)
        key = row_key(row, contacts, **how)
        if key is None or self.text_selection is not None:
            return
        width, height = self.size
        style = self.visual_style
        if width and height and (key, width, height, style) not in self._drawn:
            self._draw(key, self._row(key, row, contacts, **how), width, height, style)

    def show_complaint(self, c, *, now, policy, display_name) -> None:
        who = plain(display_name(c.customer_name), "bold")
        who.append(f"  {label('category', c.category)} · {label('department', c.department)} · "
                   f"{label('complaint_status', c.status)}")
        late = c.breached(now)
        when = local(c.due_at, policy, "MM-DD HH:mm")
        due = Text(t("today.complaint_late" if late else "today.complaint_due", when=when),
                   style="bold red" if late else "bold")
        keys = Text(t("today.detail.complaint_keys", **hint_keys()), style="dim")
        self._set(lines(who, due, plain(c.description), keys))

    def show_notice(self, notice, *, display_name) -> None:
        params = dict(notice.params)
        if "customer" in params:
            params["customer"] = display_name(params["customer"])
        text = plain(t(f"notice_kind.{notice.kind}", **params), one_line=False)
        text.append("\n")
        text.append(t("today.notice_hint"), style="dim")
        self._set(text)
