"""The customer's history in words (ui/format.history_value and the trail a manager reads):
codes as labels, stored UTC instants as the dealership's local time, account ids as names, in
English and in Chinese, with the policy (time zone) fixed."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from rich.console import Console

from carcrm_tui.domain.policy import Policy
from carcrm_tui.i18n import set_language
from carcrm_tui.services import audit, board, contacts, process
from carcrm_tui.services.views import ContactInput
from carcrm_tui.store.models import AuditLog, Lead
from carcrm_tui.ui.format import history_value
from carcrm_tui.ui.widgets.customer import trail
from tests import factory
from tests.conftest import NOW, session_for

SHANGHAI = Policy()  # Asia/Shanghai, UTC+8 all year
NEW_YORK = dataclasses.replace(Policy(), timezone="America/New_York")  # on daylight time from 8 March 2026

WORDS = {  # field, stored value -> (English, Chinese)
    ("stage", "needs"): ("Needs", "需求分析"),
    ("status", "lost"): ("Lost", "已战败"),
    ("gender", "f"): ("Female", "女"),
    ("source", "walk_in"): ("Walk-in", "展厅自然到店"),
    ("channel", "wechat"): ("WeChat", "微信"),
    ("lost_reason", "budget"): ("Budget changed", "预算调整"),
    ("customer_type", "owner"): ("Owner", "保有客户"),
    ("role", "manager"): ("Manager", "销售经理"),
    ("focus_points", "price,space"): ("Price, Space", "价格与优惠、空间与舒适性"),
    ("focus_points", "price,,space,"): ("Price, Space", "价格与优惠、空间与舒适性"),  # empty items dropped
    ("retired", "True"): ("Yes", "是"),
    ("active", "False"): ("No", "否"),
    ("notes", ""): ("—", "—"),  # nothing before
    ("stage", "showroom_party"): ("showroom_party", "showroom_party"),  # a code no catalog knows: as stored
    ("notes", "[b]不是标记[/b] 价格"): ("[b]不是标记[/b] 价格", "[b]不是标记[/b] 价格"),  # free text as typed
    ("birthday", "1990-05-01"): ("1990-05-01", "1990-05-01"),  # a date is a date, not an instant
}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize(("field", "value"), sorted(WORDS))
def test_codes_flags_and_lists_read_as_words_in_both_languages(lang, field, value):
    set_language(lang)
    en, zh = WORDS[(field, value)]
    assert history_value(field, value, SHANGHAI) == (en if lang == "en" else zh)


INSTANTS = {  # as audit._text stored it -> (in Shanghai, in New York)
    "2026-03-10T02:30:00+00:00": ("2026-03-10 10:30", "2026-03-09 22:30"),  # pendulum's isoformat
    "2026-03-10 02:30:00": ("2026-03-10 10:30", "2026-03-09 22:30"),  # a naive stored instant is UTC
    "2026-03-10T18:45:12.123456+00:00": ("2026-03-11 02:45", "2026-03-10 14:45"),  # past midnight in Shanghai
    "2026-03-01T02:30:00+00:00": ("2026-03-01 10:30", "2026-02-28 21:30"),  # New York still on standard time
    "2026-03-10T10:30:00+08:00": ("2026-03-10 10:30", "2026-03-09 22:30"),  # an offset is honoured
}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("stored", sorted(INSTANTS))
def test_instants_read_in_the_dealership_s_local_time(lang, stored):
    set_language(lang)
    shanghai, new_york = INSTANTS[stored]
    assert history_value("next_due", stored, SHANGHAI) == shanghai
    assert history_value("next_due", stored, NEW_YORK) == new_york


def test_what_only_looks_like_an_instant_is_kept_as_typed():
    for text in ("2026-13-45 99:99:99", "2026-03-10 02:30 左右回电话", "2026/03/10 02:30:00"):
        assert history_value("notes", text, SHANGHAI) == text


def version(lead_id: int) -> int:
    return Lead.get_by_id(lead_id).version


def _trail_text(entries, policy) -> str:
    console = Console(width=200, color_system=None, force_terminal=False, record=True)
    console.print(trail(entries, policy))
    return console.export_text()


TRAIL = {  # the lines of the trail, newest first, after the setup below
    "en": ["History (5)",
           "2026-03-10 10:30 王经理 reassigned Owner: 李娜 → 张伟",
           "2026-03-10 10:30 李娜 changed Status: Open → Dormant",
           "2026-03-10 10:30 李娜 moved Stage: Needs → Presentation",
           "2026-03-10 10:30 李娜 created Due: — → 2026-03-12 10:00",
           "2026-03-10 10:30 李娜 logged a contact Channel: — → WeChat"],
    "zh": ["操作记录（5）",
           "2026-03-10 10:30 王经理 转派 负责人：李娜 → 张伟",
           "2026-03-10 10:30 李娜 修改 状态：跟进中 → 休眠",
           "2026-03-10 10:30 李娜 移动 阶段：需求分析 → 产品介绍",
           "2026-03-10 10:30 李娜 创建 到期时间：— → 2026-03-12 10:00",
           "2026-03-10 10:30 李娜 记录跟进 跟进方式：— → 微信"],
}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_trail_names_accounts_says_codes_in_words_and_times_locally(database, lang):
    """What the services wrote (UTC instants, codes, and an older row's account ids), as a manager reads it."""
    manager = factory.account("王经理", role="manager")
    lina, zw = factory.account("李娜"), factory.account("张伟")
    customer = factory.customer(lina, "客户甲", phone="13800001111")
    ld = factory.lead(customer, grade="A", stage="needs")
    s = session_for("李娜")
    # the next call on 12 March is stored as 02:00 UTC; the summary is free text (its row comes first)
    contacts.log_contact(s, ld.id, ContactInput(channel="wechat", summary="回访", next_on=dt.date(2026, 3, 12)))
    board.move(s, ld.id, version(ld.id), +1)
    process.set_dormant(s, ld.id, version(ld.id))
    # rows written before owners were stored by name hold account ids
    audit.record(manager.id, NOW, "reassign", "lead", ld.id, customer.id, {"owner": (str(lina.id), str(zw.id))})
    assert AuditLog.get(AuditLog.field == "due_at").new.startswith("2026-03-12T02:00:00")

    set_language(lang)
    entries = [e for e in audit.customer_history(session_for("王经理"), customer.id)
               if e.field not in ("summary", "outcome", "score")]
    owner = next(e for e in entries if e.field == "owner")
    assert (owner.actor, owner.old, owner.new) == ("王经理", "李娜", "张伟")  # ids became names
    lines = _trail_text(entries, SHANGHAI).splitlines()
    assert lines == TRAIL[lang]
