"""Data screens: merging two records of one person, and importing a sheet from the app."""

from __future__ import annotations

from typing import Callable

from rich.text import Text
from textual import work
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from carcrm_tui.i18n import catalog, label, labelled, listed, t
from carcrm_tui.services.session import in_worker
from carcrm_tui.ui.format import date_text, phone_text
from carcrm_tui.ui_text import error_sentence
from carcrm_tui.ui.screens.form import FormScreen, Row
from carcrm_tui.ui.text import fit, plain
from carcrm_tui.ui.widgets.choice_bar import ChoiceBar
from carcrm_tui.ui.keymap import hint_keys

MERGE_FIELDS = ("name", "phone", "phone2", "gender", "age_range", "wechat", "email", "source", "customer_type",
                "birthday", "notes", "do_not_contact", "owner")


def _value(detail, name: str) -> str:
    value = {"owner": detail.owner_name, "birthday": date_text(detail.birthday),
             "phone": phone_text(detail.phone) if detail.phone else "",
             "phone2": phone_text(detail.phone2) if detail.phone2 else "",
             "gender": label("gender", detail.gender), "source": label("source", detail.source),
             "customer_type": label("ctype", detail.customer_type),
             "do_not_contact": label("yesno", "yes" if detail.do_not_contact else "no")}.get(name)
    return value if value is not None else str(getattr(detail, name) or "")


class MergeScreen(FormScreen):
    """Find the other record (↓ into the list, Enter picks), see both side by side with their
    full numbers, choose per field which value survives, and which open lead stays open when
    both have one; ctrl+s merges. Every phone number is kept whatever is chosen."""

    DEFAULT_CSS = """
    MergeScreen #merge-fields { height: auto; max-height: 16; }
    MergeScreen OptionList { height: auto; max-height: 8; border: none; }
    """

    def __init__(self, *, keep, find: Callable[[str], list], load: Callable[[int], object],
                 submit: Callable[[int, set, int | None], object], policy) -> None:
        super().__init__()
        self.keep, self.find, self.load, self.submit, self.policy = keep, find, load, submit, policy
        self.other = None

    def compose(self):
        with Vertical(id="form"):
            yield Static(Text(t("merge.title")).append(" — ").append_text(plain(self.keep.name))
                         .append(f"  {phone_text(self.keep.phone)}"), id="form-title")
            yield Input(placeholder=t("merge.find_hint"), id="find")
            yield OptionList(id="found")
            yield VerticalScroll(id="merge-fields")
            yield Static("", id="form-message")
            yield self.keys_hint()

    def on_mount(self) -> None:
        self.query_one("#find", Input).focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "find":
            self.lookup(event.value)

    @work(thread=True, exclusive=True, group="merge-find")
    def lookup(self, text: str) -> None:
        try:
            hits = [h for h in in_worker(self.find, text) if h.customer_id != self.keep.id]
        except Exception as e:  # a refusal or a storage fault: said in the form, the query kept
            self.app.call_from_thread(self.message, error_sentence(e, self.policy))
            return
        self.app.call_from_thread(self.show_found, hits)

    def show_found(self, hits) -> None:
        found = self.query_one("#found", OptionList)
        found.clear_options()
        for h in hits:
            line = plain(h.name, "bold").append(f"  {phone_text(h.phone)}  ").append_text(plain(h.owner_name))
            if h.stage:
                line.append(f"  {h.grade} · {label('stage', h.stage) if h.stage in self.policy.stages else label('status', h.stage)}",
                            style="dim")
            found.add_option(Option(line, id=str(h.customer_id)))

    def on_key(self, event) -> None:
        """↓ in the query moves into the list (nothing is chosen until Enter there)."""
        found = self.query_one("#found", OptionList)
        if event.key == "down" and self.focused is self.query_one("#find") and found.option_count:
            found.focus()
            found.highlighted = 0
            event.stop()
            event.prevent_default()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        found = self.query_one("#found", OptionList)
        if event.input.id == "find" and found.option_count == 1:
            self.choose(int(found.get_option_at_index(0).id))  # one hit: Enter takes it
        elif event.input.id == "find" and found.option_count:
            found.focus()
            found.highlighted = 0

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.choose(int(event.option.id))

    def choose(self, customer_id: int) -> None:
        ok, other = self.attempt(self.load, customer_id)
        if not ok:
            return
        self.other = other
        box = self.query_one("#merge-fields", VerticalScroll)
        box.remove_children()
        rows = []
        older = self.other if self.other.id < self.keep.id else self.keep  # the record that was there first
        owner = older.owner_name
        for name in MERGE_FIELDS:
            mine, theirs = _value(self.keep, name), _value(self.other, name)
            if mine != theirs:
                options = [("keep", fit(mine or "—", 30).plain.rstrip()), ("other", fit(theirs or "—", 30).plain.rstrip())]
                rows.append(Row(name, ChoiceBar(options, self._default(name, mine, theirs, owner), id=f"m-{name}")))
        open_leads = [ld for ld in (*self.keep.leads, *self.other.leads) if ld.status == "open"]
        if len(open_leads) > 1:
            options = [(str(ld.id), f"{ld.grade} · {label('stage', ld.stage)} · {ld.owner_name}") for ld in open_leads]
            # the owner's own lead stays open (theirs carries what they learnt), the furthest of them
            furthest = max(open_leads, key=lambda ld: (ld.owner_name == owner, self.policy.stages.index(ld.stage)
                                                       if ld.stage in self.policy.stages else -1))
            rows.append(Row("lead", ChoiceBar(options, str(furthest.id), id="m-lead"), caption=t("merge.open_lead")))
        phones = {p for p in (self.keep.phone, self.keep.phone2, self.other.phone, self.other.phone2,
                              *self.keep.more_phones, *self.other.more_phones) if p}
        rows.append(Static(Text(t("merge.phones_kept", phones=listed(phone_text(p) for p in sorted(phones))),
                                style="dim")))
        if not any(isinstance(r, Row) and r.field != "lead" for r in rows):
            rows.insert(0, Static(Text(t("merge.same"), style="dim")))
        box.mount_all(rows)
        self.query_one("#found").display = False
        self.message(t("merge.ready", other=self.other.name, leads=len(self.other.leads), **hint_keys(self.app)))

    def _default(self, name: str, mine: str, theirs: str, owner: str) -> str:
        """What a merge saved at once keeps: a value over an empty one, "do not contact" if either
        record says so, and the owner of the record that was there first (a walk-in registered
        by someone else does not take a colleague's customer)."""
        if name == "owner":
            return "keep" if mine == owner else "other"
        if name == "do_not_contact":
            return "other" if self.other.do_not_contact and not self.keep.do_not_contact else "keep"
        return "other" if not mine and theirs else "keep"

    def action_save(self) -> None:
        if self.other is None:
            return
        take = {name for name in MERGE_FIELDS
                if self.query(f"#m-{name}") and self.query_one(f"#m-{name}", ChoiceBar).value == "other"}
        lead = int(self.query_one("#m-lead", ChoiceBar).value) if self.query("#m-lead") else None
        ok, result = self.attempt(self.submit, self.other.id, take, lead)
        if ok:
            self.dismiss(result)


class ImportScreen(FormScreen):
    """A sheet's column mapping, its warnings and first problems before anything is written; ctrl+s imports.

    The preview is a dry run (reads only). `preview` and `run` take the path and
    the worksheet ("" = the first with a header); both run on a worker.
    """

    DEFAULT_CSS = """
    ImportScreen #preview { height: auto; max-height: 14; }
    """

    def __init__(self, *, preview: Callable[[str, str], object], run: Callable[[str, str], object],
                 describe: Callable[[object], str]) -> None:
        super().__init__()
        self.preview_fn, self.run_fn, self.describe = preview, run, describe
        self.previewed: tuple[str, str] | None = None

    def compose(self):
        with Vertical(id="form"):
            yield Static(Text(t("import.title")), id="form-title")
            yield Row("file", Input(placeholder=t("import.file_hint"), id="path"), caption=t("import.file"))
            yield Row("sheet", Input(placeholder=t("import.sheet_hint"), id="sheet"), caption=t("field.sheet"))
            yield VerticalScroll(Static("", id="preview-text"), id="preview")
            yield Static("", id="form-message")
            yield Static(Text(t("import.keys", **hint_keys(self.app))), id="form-keys")

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    def target(self) -> tuple[str, str]:
        return self.query_one("#path", Input).value.strip(), self.query_one("#sheet", Input).value.strip()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.message(t("import.reading"))
        self.do_preview(*self.target())

    @work(thread=True, exclusive=True, group="import")
    def do_preview(self, path: str, sheet: str) -> None:
        try:
            report = in_worker(self.preview_fn, path, sheet)
        except Exception as e:  # a sheet that cannot be read: say why, keep the form
            self.app.call_from_thread(self.message, self.describe(e))
            return
        self.app.call_from_thread(self.show_preview, (path, sheet), report)

    def show_preview(self, target: tuple[str, str], report) -> None:
        self.previewed = target
        # what matters first: the counts, what is left out, what is kept as typed, the first problems
        lines = Text()
        lines.append(t("cli.import_dry", rows=report.rows, created=report.created, updated=report.updated,
                       unchanged=report.unchanged, skipped=report.skipped, rejected=report.rejected,
                       contacts=report.contacts) + "\n", style="bold")
        if report.unknown_columns:
            lines.append(t("import.unknown", columns=listed(report.unknown_columns)) + "\n", style="yellow")
        if report.unknown_words:
            words = t("sep.group").join(f"{labelled(c)}{w} ×{n}" for (c, w), n in report.unknown_words.most_common(8))
            lines.append_text(plain(t("import.warnings", n=sum(report.unknown_words.values()), words=words), "yellow"))
            lines.append("\n")
        if report.new_vehicles:
            lines.append_text(plain(t("import.vehicles_dry" if report.dry_run else "import.vehicles",
                                      models=listed(dict.fromkeys(report.new_vehicles))),
                                    "yellow"))
            lines.append("\n")
        if report.unassigned:
            names = listed(report.unassigned)
            lines.append_text(plain(t("import.unassigned", names=names,
                                      n=sum(len(r) for r in report.unassigned.values())), "yellow"))
            lines.append("\n")
        for problem in report.problems[:5]:
            lines.append_text(plain(self.describe(problem), "red"))
            lines.append("\n")
        for n, (header, field) in enumerate(report.mapping.items()):
            lines.append(" · " if n else "", style="dim").append_text(plain(header))
            lines.append(f"→{t(f'field.{field}') if f'field.{field}' in catalog('en') else field}", style="dim")
        self.query_one("#preview-text", Static).update(lines)
        self.message(t("import.confirm", **hint_keys(self.app)))

    def action_save(self) -> None:
        target = self.target()
        if self.previewed != target:
            self.do_preview(*target)
            return
        self.message(t("import.running"))
        self.do_import(*target)

    @work(thread=True, exclusive=True, group="import")
    def do_import(self, path: str, sheet: str) -> None:
        try:
            report = in_worker(self.run_fn, path, sheet)
        except Exception as e:
            self.app.call_from_thread(self.message, self.describe(e))
            return
        self.app.call_from_thread(self.dismiss, report)


class ReassignScreen(FormScreen):
    """To whom (several = round-robin); for a whole book, also from whom. Dismisses with the count moved."""

    DEFAULT_CSS = """
    ReassignScreen SelectionList { height: auto; max-height: 10; border: none; }
    """

    def __init__(self, *, what: str, consultants: list[str], submit: Callable[[list[str], str | None], int],
                 choose_source: bool = False, policy=None) -> None:
        super().__init__()
        self.what, self.consultants, self.submit = what, consultants, submit
        self.choose_source, self.policy = choose_source, policy

    def compose(self):
        from textual.widgets import SelectionList

        with Vertical(id="form"):
            yield Static(Text(t("reassign.title")).append(" — ").append_text(plain(self.what)), id="form-title")
            if self.choose_source:
                yield Row("from", ChoiceBar([(n, n) for n in self.consultants], id="from"),
                          caption=t("reassign.from"))
            yield Row("to", SelectionList(*[(Text(n), n) for n in self.consultants], id="to"),
                      caption=t("reassign.to"))
            yield Static(Text(t("reassign.hint"), style="dim"))
            yield Static("", id="form-message")
            yield self.keys_hint()

    def on_mount(self) -> None:
        self.query_one("#from" if self.choose_source else "#to").focus()

    def action_save(self) -> None:
        from textual.widgets import SelectionList

        targets = list(self.query_one("#to", SelectionList).selected)
        source = self.query_one("#from", ChoiceBar).value if self.choose_source else None
        ok, moved = self.attempt(self.submit, targets, source)
        if ok:
            self.dismiss(moved)
