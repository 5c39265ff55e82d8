"""The sheet's words, pure: headers with decorations, budgets, grades, dates and times, phones."""

import datetime as dt

import pytest

from carcrm_tui.domain import sheet
from carcrm_tui.domain.validation import Invalid, parse_budget

TODAY = dt.date(2026, 3, 10)


@pytest.mark.parametrize("header, field", [
    ("客户姓名(必填)", "name"), ("客户姓名（必填）", "name"), ("*联系电话", "phone"), ("\t客户姓名", "name"),
    ("【客户来源】", "source"), ("客戶姓名", "name"), ("購車預算（萬元）", "budget"), ("Phone Number", "phone"),
    ("负责人联系电话", "owner_phone"), ("顾问电话", "owner_phone"), ("微信/QQ", "wechat_qq"),
    ("订/交车日期", "order_delivery"), ("看车/试驾车型", "models_seen"), ("主要顾虑点/异议", "objections"),
    ("序号", ""), ("No.", ""), ("客户QQ", None)])
def test_headers_are_recognised_through_their_decorations(header, field):
    assert sheet.header_field(header) == field


def test_a_second_phone_next_to_the_consultant_is_the_consultants():
    mapping, unknown, ignored = sheet.match_headers(["序号", "客户姓名", "联系电话", "销售顾问", "联系电话", "跟进日期",
                                                     "跟进时间", "意向车型", "意向车型"])
    assert mapping == {1: "name", 2: "phone", 3: "owner", 4: "owner_phone", 5: "contact_at", 6: "contact_time",
                       7: "vehicle"}
    assert (unknown, ignored) == (["意向车型"], ["序号"])


@pytest.mark.parametrize("text, expected", [
    ("20万左右", (180_000, 220_000)), ("30W+", (300_000, None)), ("10万以内", (None, 100_000)),
    ("15万上下", (135_000, 165_000)), ("15-20万", (150_000, 200_000)), ("150000-200000", (150_000, 200_000)),
    ("20-30万之间", (200_000, 300_000)), ("约25万", (225_000, 275_000)), ("30万以上", (300_000, None))])
def test_budgets(text, expected):
    assert parse_budget(text) == expected


def test_a_budget_that_is_no_budget_is_said_so():
    with pytest.raises(Invalid):
        parse_budget("看情况")


@pytest.mark.parametrize("value, expected", [
    ("2026-10-17 21:24:59", (dt.date(2026, 10, 17), dt.time(21, 24, 59))),
    ("2026/3/5 14:30", (dt.date(2026, 3, 5), dt.time(14, 30))),
    ("2026年3月5日 14时30分", (dt.date(2026, 3, 5), dt.time(14, 30))),
    ("3月5日", (dt.date(2026, 3, 5), None)), ("20260305", (dt.date(2026, 3, 5), None)),
    (46388.5, (dt.date(2027, 1, 1), dt.time(12, 0))),
    (dt.datetime(2026, 3, 5, 9, 0), (dt.date(2026, 3, 5), dt.time(9, 0)))])
def test_dates_and_times(value, expected):
    assert sheet.sheet_datetime(value, TODAY) == expected


@pytest.mark.parametrize("value, code", [("2026-13-45", "date_invalid"), ("2026-02-30", "date_invalid"),
                                         ("年底", "not_a_date"), ("下周", "not_a_date")])
def test_impossible_dates_and_words_that_are_no_date(value, code):
    with pytest.raises(Invalid) as err:
        sheet.sheet_datetime(value, TODAY)
    assert err.value.code == code


def test_phones_stored_as_numbers_and_phones_that_lost_their_digits():
    assert sheet.phone_cell(13800138000.0) == sheet.phone_cell(13800138000) == "13800138000"
    with pytest.raises(Invalid) as err:
        sheet.phone_cell("1.38E+10")
    assert err.value.code == "phone_digits_lost"


def test_words_nobody_knows_come_back_as_typed():
    assert sheet.word("decision_maker", "父母") == ("family", True)
    assert sheet.word("decision_maker", "岳父出钱") == ("岳父出钱", False)
    assert sheet.word("channel", "電話溝通") == ("phone", True)  # a traditional-character sheet
    assert sheet.words("focus", "空间、油耗、安全") == (["space", "economy", "安全"], ["安全"])


def test_grades_through_the_policy_words():
    grades, words = ("H", "A", "B", "C", "O"), {"高": "H", "中": "B", "低": "C"}
    assert [sheet.grade(w, grades, words) for w in ("H级", "a", "B类", "高", "低")] == [
        ("H", True), ("A", True), ("B", True), ("H", True), ("C", True)]
    assert sheet.grade("特急", grades, words) == ("特急", False)


def test_a_plan_with_its_date_inside():
    assert sheet.split_plan("3月15日邀约试驾", TODAY) == (dt.date(2026, 3, 15), "邀约试驾")
    assert sheet.split_plan("邀约试驾 2026-03-15", TODAY) == (dt.date(2026, 3, 15), "邀约试驾")
    assert sheet.split_plan("再联系", TODAY) == (None, "再联系")
    assert sheet.month_end("2026年5月") == dt.date(2026, 5, 31)


def test_money():
    assert sheet.money("20.5万") == sheet.money("205,000元") == sheet.money(20.5) == sheet.money("¥205000") == 205_000
