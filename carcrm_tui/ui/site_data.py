"""The office's data work from the command palette: import a sheet, look back at past imports
(and undo one), keep the vehicle catalogue. Managers and admins; the services check again."""

from __future__ import annotations

from functools import partial
from pathlib import Path

from carcrm_tui.i18n import t
from carcrm_tui.services import catalogue
from carcrm_tui.ui.panes.base import REFUSALS, form
from carcrm_tui.ui_text import error_sentence


def import_sheet(main) -> None:
    from carcrm_tui.services import importing
    from carcrm_tui.ui_text import invalid_sentence

    session, policy = main.session, main.policy
    if not session.sees_everyone:  # the service refuses too; say so before a form opens
        main.status(t("error.import_managers_only"), error=True)
        return
    chosen: dict[str, str] = {}

    def describe(thing) -> str:
        if isinstance(thing, importing.RowProblem):
            return t("cli.row_problem", row=thing.row, column=thing.column, reason=invalid_sentence(thing.error))
        if isinstance(thing, importing.SheetError):
            return t(f"sheet.{thing.code}", **{k: str(v) for k, v in thing.params.items()})
        if isinstance(thing, importing.ImportStopped):
            cause = describe(thing.cause) if isinstance(thing.cause, importing.SheetError) else thing.reason
            return t("import.stopped", reason=cause, batch=thing.batch_id)
        if isinstance(thing, (*REFUSALS, OSError)):
            return error_sentence(thing, policy)
        from carcrm_tui import logs

        logs.record_exception(thing, "import")  # a sentence here, the details in the log
        return t("error.unexpected")

    def finished(report) -> None:
        if report is None:
            return
        counts = dict(created=report.created, updated=report.updated, contacts=report.contacts,
                      batch=report.batch_id)
        if report.rejected_rows:
            path = Path(chosen["path"])
            target = path.with_name(path.stem + ".errors.csv")
            importing.write_errors(report, target, describe)
            main.status(t("notice.imported_with_errors", rejected=report.rejected, path=str(target), **counts))
        else:
            main.status(t("notice.imported", **counts))
        main.catalogue_changed()  # the import may have added models
        main.refresh_pane()

    def run(path: str, sheet: str):
        chosen["path"] = path
        return importing.import_file(session, path, sheet_name=sheet or None)

    main.app.push_screen(
        form("ImportScreen")(
            preview=lambda path, sheet: importing.import_file(session, path, sheet_name=sheet or None, dry_run=True),
            run=run, describe=describe),
        finished,
    )


def vehicle_catalogue(main) -> None:
    """The vehicle catalogue (managers and admins change it; the service checks)."""
    s = main.session

    def done(changed) -> None:
        if changed:
            main.catalogue_changed()
            main.status(t("notice.catalogue_changed"))

    main.app.push_screen(form("CatalogueScreen")(
        entries=catalogue.entries, add=partial(catalogue.add, s), price=partial(catalogue.set_price, s),
        retire=partial(catalogue.set_retired, s), policy=main.policy), done)


def past_imports(main) -> None:
    from carcrm_tui.services import import_batches

    def done(changed) -> None:
        if changed:
            main.catalogue_changed()
            main.status(t("notice.imports_changed"))
            main.refresh_pane()

    main.app.push_screen(form("ImportBatchesScreen")(
        batches=partial(import_batches.batches, main.session), undo=partial(import_batches.undo, main.session),
        policy=main.policy, describe=lambda e: error_sentence(e, main.policy)), done)


def palette_commands(main):
    if main.session.sees_everyone:
        yield t("palette.import"), t("palette.import_help"), partial(import_sheet, main)
        yield t("palette.imports"), t("palette.imports_help"), partial(past_imports, main)
        yield t("palette.catalogue"), t("palette.catalogue_help"), partial(vehicle_catalogue, main)
    else:  # listed, so a consultant learns whom to ask
        yield t("palette.import"), t("palette.import_managers"), partial(import_sheet, main)
