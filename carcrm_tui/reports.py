"""The review and lost-deal analysis as plain text or Markdown, ready for WeChat or e-mail.

Used by `carcrm report` and by the review screen; no Textual here."""

from __future__ import annotations

from dataclasses import dataclass

from carcrm_tui.i18n import aside, counted, duration, label, labelled, money, t
from carcrm_tui.ui.text import clean  # rich only: no Textual in headless commands


def safe(text: str) -> str:
    """A report goes to a terminal or a chat: names pasted with escape codes show as ␛, never act."""
    return clean(text, one_line=False)


def daily_text(r, markdown: bool = False) -> str:
    h = "## " if markdown else ""
    b = "- " if markdown else "  "
    lines = [f"{'# ' if markdown else ''}{t('report.daily_title', day=r.day.isoformat())}", ""]
    lines += [f"{h}{t('report.traffic')}",
              f"{b}{t('report.visits', first=counted('first_visits', r.first_visits), back=counted('be_backs', r.be_backs))}",
              f"{b}{t('report.new_leads', n=r.new_leads)}",
              f"{b}{t('report.breaches', n=r.response_breaches)}", ""]
    lines.append(f"{h}{t('report.overdue')}")
    lines += [f"{b}{labelled(who)}{n}" for who, n in r.overdue] or [f"{b}{t('report.none')}"]
    lines += ["", f"{h}{t('report.grades')}"]
    lines += [f"{b}{labelled(c)}{old} → {new}{aside(who)}" for c, old, new, who in r.grade_changes] or [f"{b}{t('report.none')}"]
    lines += ["", f"{h}{t('report.won', n=len(r.won))}"]
    lines += [f"{b}{c}{aside(who)}" for c, who in r.won] or [f"{b}{t('report.none')}"]
    lines += ["", f"{h}{t('report.lost', n=len(r.lost))}"]
    lines += [f"{b}{labelled(c + aside(who))}{label('lost', reason)}" + (f" → {comp}" if comp else "")
              for c, who, reason, comp in r.lost] or [f"{b}{t('report.none')}"]
    lines += ["", f"{h}{t('report.tomorrow')}"]
    lines += [f"{b}{labelled(who)}{n}" for who, n in r.tomorrow] or [f"{b}{t('report.none')}"]
    return safe("\n".join(lines) + "\n")


def lost_text(r, markdown: bool = False) -> str:
    h = "## " if markdown else ""
    b = "- " if markdown else "  "
    lines = [f"{'# ' if markdown else ''}{t('report.lost_title', month=r.month, n=r.total)}", ""]
    lines.append(f"{h}{t('report.by_reason')}")
    lines += [f"{b}{labelled(label('lost', reason))}{n}" for reason, n in r.by_reason] or [f"{b}{t('report.none')}"]
    lines += ["", f"{h}{t('report.by_competitor')}"]
    lines += [f"{b}{labelled(comp)}{n}" for comp, n in r.by_competitor] or [f"{b}{t('report.none')}"]
    lines += ["", f"{h}{t('report.by_consultant')}"]
    lines += [f"{b}{labelled(who)}{n}" for who, n in r.by_consultant] or [f"{b}{t('report.none')}"]
    return safe("\n".join(lines) + "\n")


# ---- the manager's metrics: one set of tables for the pane and the printed report ------------
@dataclass(frozen=True)
class Table:
    """A titled table of plain strings; `chart` (one number per row) is drawn as bars."""

    title: str
    headers: list[str]
    rows: list[list[str]]
    chart: list[float] | None = None
    note: str = ""


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def change(now: int, before: int) -> str:
    """"+3" / "−2" / "±0" against the previous period."""
    diff = now - before
    return f"+{diff}" if diff > 0 else (f"−{-diff}" if diff < 0 else "±0")


def metrics_tables(funnel, traffic, forecast, owners, standings, showrooms=()) -> list[Table]:
    from carcrm_tui.domain.metrics import conversions, sparkline
    from carcrm_tui.domain.metrics import rate as rate_of

    tables = []
    conv = [None] + conversions(funnel.reached)
    prev_conv = [None] + conversions(funnel.previous)
    rows = [[label("stage", s), str(n), percent(conv[i]), str(funnel.previous[i]), percent(prev_conv[i]),
             change(n, funnel.previous[i])] for i, (s, n) in enumerate(zip(funnel.stages, funnel.reached))]
    rows.append([t("metrics.won"), str(funnel.won), percent(rate_of(funnel.won, funnel.reached[-1])),
                 str(funnel.previous_won), percent(rate_of(funnel.previous_won, funnel.previous[-1])),
                 change(funnel.won, funnel.previous_won)])
    tables.append(Table(t("metrics.funnel", period=funnel.period.label, previous=funnel.against.label),
                        [t("metrics.col.stage"), t("metrics.col.leads"), t("metrics.col.conversion"),
                         t("metrics.col.previous"), t("metrics.col.conversion"), t("metrics.col.change")],
                        rows, [float(n) for n in funnel.reached] + [float(funnel.won)]))
    breakdown_headers = [t("metrics.col.leads"), t("metrics.col.test_drive"), t("metrics.col.won"),
                         t("metrics.col.close_rate")]
    for key, parts, name in (("metrics.by_source", funnel.by_source, lambda s: label("source", s) or "—"),
                             ("metrics.by_consultant", funnel.by_consultant, lambda s: s)):
        tables.append(Table(t(key), [t("metrics.col.who")] + breakdown_headers,
                            [[name(who), str(n), percent(rate_of(td, n)), str(won), percent(rate_of(won, n))]
                             for who, n, td, won in parts], [float(n) for _w, n, _t, _won in parts]))
    tables.append(Table(t("metrics.lost"), [t("metrics.col.reason"), t("metrics.col.count")],
                        [[label("lost", r), str(n)] for r, n in funnel.lost_reasons]
                        + [[f"→ {c}", str(n)] for c, n in funnel.competitors],
                        [float(n) for _r, n in funnel.lost_reasons] + [float(n) for _c, n in funnel.competitors]))
    tables.append(Table(t("metrics.traffic"), [t("metrics.col.measure"), t("metrics.col.value")], [
        [t("metrics.first_visits"), str(traffic.first_visits)],
        [t("metrics.be_backs"), str(traffic.be_backs)],
        [t("metrics.test_drive_rate"), percent(traffic.test_drive_rate)],
        [t("metrics.close_rate"), percent(traffic.close_rate)],
    ], note=t("metrics.per_day", line=sparkline(traffic.per_day))))
    months = [m.strftime("%Y-%m") for m in forecast.months]
    fc_rows = [[r.consultant, money(r.closed), money(round(r.this_month)),
                *[money(round(v)) for v in r.months[1:]], money(round(r.later)), money(round(r.undated))]
               for r in forecast.rows + [forecast.total]]
    fc_rows[-1][0] = t("metrics.total")
    tables.append(Table(t("metrics.forecast"),
                        [t("metrics.col.who"), t("metrics.col.closed"), t("metrics.col.this_month", month=months[0]),
                         *months[1:], t("metrics.col.later"), t("metrics.col.undated")],
                        fc_rows, note=t("metrics.forecast_note")))
    tables.append(Table(t("metrics.owners", n=owners.owners), [t("metrics.col.class"), t("metrics.col.count"),
                                                               t("metrics.col.spent")],
                        [[label("owner_class", c), str(n), money(owners.spent[c])] for c, n in owners.classes.items()],
                        [float(n) for n in owners.classes.values()],
                        note=t("metrics.owners_note", repeat=owners.repeat, referrers=owners.referrers,
                               referred=owners.referred)))
    tables.append(Table(t("metrics.leaderboard"),
                        [t("metrics.col.who"), t("metrics.col.contacts"), t("metrics.col.new_leads"),
                         t("metrics.col.response"), t("metrics.col.won"), t("metrics.col.lost"),
                         t("metrics.col.win_rate")],
                        [[s.consultant, str(s.contacts), str(s.new_leads),
                          "—" if s.median_response is None else duration(round(s.median_response)),
                          str(s.won), str(s.lost), percent(s.conversion)] for s in standings],
                        [float(s.contacts) for s in standings]))
    if showrooms:  # a dealer group seen whole: its showrooms side by side
        tables.insert(0, Table(t("metrics.by_showroom"),
                               [t("field.showroom"), t("metrics.col.new_leads"), t("metrics.col.visits"),
                                t("metrics.col.won"), t("metrics.col.lost"), t("metrics.col.win_rate"),
                                t("metrics.col.revenue"), t("metrics.col.open_value")],
                               [[r.showroom, str(r.new_leads), str(r.visits), str(r.won), str(r.lost),
                                 percent(r.conversion), money(r.revenue), money(r.open_value)] for r in showrooms],
                               [float(r.revenue) for r in showrooms]))
    return tables


def tables_text(title: str, tables: list[Table], markdown: bool = False, bar_width: int = 12) -> str:
    """Aligned columns (CJK counted double-width) or Markdown tables, with bars in block characters."""
    from rich.cells import cell_len

    from carcrm_tui.domain.metrics import bar

    lines = [f"{'# ' if markdown else ''}{title}", ""]
    for table in tables:
        lines.append(f"{'## ' if markdown else ''}{table.title}")
        top = max(table.chart or [0], default=0)
        bars = [bar(v, top, bar_width) for v in table.chart] if table.chart else None
        if markdown:
            lines.append("| " + " | ".join(table.headers) + " |")
            lines.append("|" + "---|" * len(table.headers))
            lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in table.rows]
        else:
            widths = [max(cell_len(str(r[i])) for r in [table.headers] + table.rows)
                      for i in range(len(table.headers))]

            def line(cells, extra=""):
                padded = [c + " " * (w - cell_len(c)) if i == 0 else " " * (w - cell_len(c)) + c
                          for i, (c, w) in enumerate(zip(cells, widths))]
                return ("  " + "  ".join(padded) + (f"  {extra}" if extra else "")).rstrip()

            lines.append(line(table.headers))
            lines += [line(row, bars[i] if bars and i < len(bars) else "") for i, row in enumerate(table.rows)]
        if not table.rows:
            lines.append(f"{'- ' if markdown else '  '}{t('report.none')}")
        if table.note:
            lines.append(("" if markdown else "  ") + table.note)
        lines.append("")
    return safe("\n".join(lines))


def metrics_title(snap) -> str:
    return t("metrics.title", period=snap.period.label, previous=snap.funnel.against.label)


def metrics_text(snap, markdown: bool = False) -> str:
    tables = metrics_tables(snap.funnel, snap.traffic, snap.forecast, snap.owners, snap.leaderboard, snap.showrooms)
    return tables_text(metrics_title(snap), tables, markdown=markdown)
