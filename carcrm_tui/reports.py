"""The review and lost-deal analysis as plain text or Markdown, ready for WeChat or e-mail.

Used by `carcrm report` and by the review screen; no Textual here."""

from __future__ import annotations

from carcrm_tui.i18n import label, t


def daily_text(r, markdown: bool = False) -> str:
    h = "## " if markdown else ""
    b = "- " if markdown else "  "
    lines = [f"{'# ' if markdown else ''}{t('report.daily_title', day=r.day.isoformat())}", ""]
    lines += [f"{h}{t('report.traffic')}",
              f"{b}{t('report.visits', first=r.first_visits, back=r.be_backs)}",
              f"{b}{t('report.new_leads', n=r.new_leads)}",
              f"{b}{t('report.breaches', n=r.response_breaches)}", ""]
    lines.append(f"{h}{t('report.overdue')}")
    lines += [f"{b}{who}: {n}" for who, n in r.overdue] or [f"{b}{t('report.none')}"]
    lines += ["", f"{h}{t('report.grades')}"]
    lines += [f"{b}{c}: {old} → {new} ({who})" for c, old, new, who in r.grade_changes] or [f"{b}{t('report.none')}"]
    lines += ["", f"{h}{t('report.won', n=len(r.won))}"]
    lines += [f"{b}{c} ({who})" for c, who in r.won] or [f"{b}{t('report.none')}"]
    lines += ["", f"{h}{t('report.lost', n=len(r.lost))}"]
    lines += [f"{b}{c} ({who}): {label('lost', reason)}" + (f" → {comp}" if comp else "")
              for c, who, reason, comp in r.lost] or [f"{b}{t('report.none')}"]
    lines += ["", f"{h}{t('report.tomorrow')}"]
    lines += [f"{b}{who}: {n}" for who, n in r.tomorrow] or [f"{b}{t('report.none')}"]
    return "\n".join(lines) + "\n"


def lost_text(r, markdown: bool = False) -> str:
    h = "## " if markdown else ""
    b = "- " if markdown else "  "
    lines = [f"{'# ' if markdown else ''}{t('report.lost_title', month=r.month, n=r.total)}", ""]
    lines.append(f"{h}{t('report.by_reason')}")
    lines += [f"{b}{label('lost', reason)}: {n}" for reason, n in r.by_reason] or [f"{b}{t('report.none')}"]
    lines += ["", f"{h}{t('report.by_competitor')}"]
    lines += [f"{b}{comp}: {n}" for comp, n in r.by_competitor] or [f"{b}{t('report.none')}"]
    lines += ["", f"{h}{t('report.by_consultant')}"]
    lines += [f"{b}{who}: {n}" for who, n in r.by_consultant] or [f"{b}{t('report.none')}"]
    return "\n".join(lines) + "\n"
