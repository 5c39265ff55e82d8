import pendulum
import pytest

from carcrm_tui.domain.validation import (
    Invalid, format_budget, parse_budget, parse_date, parse_email, parse_phone, phone_digits,
)


@pytest.mark.parametrize("text", ["13800138000", "138 0013 8000", "138-0013-8000", "+86 138 0013 8000", "+8613800138000"])
def test_chinese_mobiles_normalise_to_one_form(text):
    p = parse_phone(text)
    assert (p.e164, p.digits) == ("+8613800138000", "13800138000")


@pytest.mark.parametrize("text", ["", "12345", "abc", "1380013800099"])
def test_bad_phones_are_rejected(text):
    with pytest.raises(Invalid):
        parse_phone(text)


def test_phone_digits_fragment():
    assert phone_digits("138-0013") == "1380013"


@pytest.mark.parametrize("text", ["2025-03-05", "2025/3/5", "2025.3.5", "2025年3月5日", "3月5日"])
def test_dates_as_chinese_sheets_write_them(text):
    assert parse_date(text, today=pendulum.date(2025, 6, 1)) == pendulum.date(2025, 3, 5)


@pytest.mark.parametrize("text", ["2025-02-30", "yesterday", "5/2025"])
def test_bad_dates(text):
    with pytest.raises(Invalid):
        parse_date(text, today=pendulum.date(2025, 6, 1))


@pytest.mark.parametrize(
    "text, expected",
    [("15-20万", (150_000, 200_000)), ("15万-20万", (150_000, 200_000)), ("150000-200000", (150_000, 200_000)),
     ("20万以内", (None, 200_000)), ("≤25万", (None, 250_000)), ("30万以上", (300_000, None)),
     ("≥30万", (300_000, None)), ("30万", (300_000, 300_000)), ("", (None, None)), ("12.5-15万", (125_000, 150_000))],
)
def test_budgets(text, expected):
    assert parse_budget(text) == expected


@pytest.mark.parametrize("text", ["20-15万", "lots", "1-2-3"])
def test_bad_budgets(text):
    with pytest.raises(Invalid):
        parse_budget(text)


def test_budget_round_trips_through_its_display():
    for budget in ((150_000, 200_000), (None, 250_000), (300_000, None), (180_000, 180_000)):
        assert parse_budget(format_budget(*budget)) == budget


def test_email():
    assert parse_email(" a@b.cn ") == "a@b.cn"
    with pytest.raises(Invalid):
        parse_email("not-an-email")
