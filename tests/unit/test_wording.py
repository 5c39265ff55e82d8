"""How the words read: English plurals, Chinese punctuation, money with ¥, one humanising rule.

The catalog checks render every key as the code would (each parameter in turn set to 1, the
others to a word), so a new string that says "1 leads" or "客户反馈: " fails here, not in a
showroom."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pendulum
import pytest

from carcrm_tui import i18n
from carcrm_tui.i18n import catalog, count_param, duration, humanize, humanize_short, money, set_language, span, t

SOURCE = Path(__file__).parents[2] / "carcrm_tui"
NOW = pendulum.datetime(2026, 3, 10, 2, 30, tz="UTC")


@pytest.fixture(autouse=True)
def english_after():
    yield
    set_language("en")


def params_of(text: str) -> set[str]:
    return {re.split(r"[.\[!:]", name)[0] for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


def en_keys():
    """Every English string with {parameters} (argparse's own %-strings aside), but not the _one variants."""
    en = catalog("en")
    for key, text in en.items():
        if key.startswith("argparse.") or (key.endswith("_one") and key[:-4] in en):
            continue
        names = params_of(text)
        if names:
            yield key, text, names


# ---- English plurals ------------------------------------------------------------------------
# words that may follow a number and end in -s without being a plural noun
NOT_PLURAL = {"is", "has", "was", "does", "this", "its", "wants", "applies", "cancels", "imports", "belongs",
              "takes", "shows", "gets", "needs",
              "logs", "resolves", "copies", "holds",
              "s"}  # "s": seconds, as in "retrying in 1 s"  # verbs after a key's name ("c logs a call")
IRREGULAR = {"people", "children", "men", "women"}
ADJECTIVES = {"marked", "older", "won", "rejected", "first", "new", "open", "more", "other", "overdue"}


def is_plural(word: str) -> bool:
    w = word.lower()
    return w in IRREGULAR or (w.endswith("s") and not w.endswith("ss") and w not in NOT_PLURAL)


def one_and_a_plural(text: str) -> str | None:
    """"1 leads", "1 marked leads", "1 be-backs" in `text`, or None ("1 of your leads" is fine)."""
    for m in re.finditer(r"(?<![\w.\-/+])1 ([A-Za-z-]+)(?: ([A-Za-z-]+))?", text):
        first, second = m.groups()
        if is_plural(first):
            return f"1 {first}"
        if first.lower() in ADJECTIVES and second and is_plural(second):
            return f"1 {first} {second}"
    return None


def test_the_detector_finds_what_issue_15_saw():
    assert one_and_a_plural("walk-ins: 3 first visits, 1 be-backs") == "1 be-backs"
    assert one_and_a_plural("Wrong PIN; 1 tries left") == "1 tries"
    assert one_and_a_plural("Merging 王 (1 leads) into") == "1 leads"
    assert one_and_a_plural("1 marked leads") == "1 marked leads"
    assert one_and_a_plural("reassigned 1 of your leads; 1 lead; 1 has no header") is None


def test_every_number_followed_by_a_plural_noun_has_a_singular():
    """Each parameter set to 1 in turn: where the catalog would say "1 <plurals>", that parameter
    must be the key's count (n, or declared in i18n.COUNTED_BY) and a `<key>_one` must exist that
    says it in the singular. A sentence counting two kinds of things cannot be fixed with one
    _one, so it fails here too (use counted() phrases)."""
    set_language("en")
    en = catalog("en")
    problems = []
    for key, text, names in en_keys():
        for name in sorted(names):
            params = {p: "Q" for p in names} | {name: 1}
            plain = text.format(**params)
            said = one_and_a_plural(plain)
            if said is None:
                continue
            if name != count_param(key):
                problems.append(f"{key}: {{{name}}} counts ('{said}') but the key counts by {count_param(key)!r}")
            elif f"{key}_one" not in en:
                problems.append(f"{key}: no {key}_one for '{said}'")
            elif (still := one_and_a_plural(t(key, **params))) is not None:
                problems.append(f"{key}_one still says '{still}'")
    assert not problems, "\n".join(problems)


def test_singulars_render_at_one_and_plurals_at_two():
    set_language("en")
    en = catalog("en")
    variants = [k for k in en if k.endswith("_one") and k[:-4] in en and not k.startswith("argparse.")]
    assert len(variants) >= 30  # every count string of the catalog, not a token few
    for one_key in variants:
        key = one_key[:-4]
        names = params_of(en[key])
        counter = count_param(key)
        assert counter in names, f"{key} has a _one variant but no {{{counter}}} to count by"
        assert params_of(en[one_key]) <= names, f"{one_key} asks for parameters {key} does not get"
        one, two = ({p: "Q" for p in names} | {counter: n} for n in (1, 2))
        assert t(key, **one) == en[one_key].format(**one) and one_and_a_plural(t(key, **one)) is None, key
        assert t(key, **two) == en[key].format(**two), key


def test_the_words_from_issue_15():
    set_language("en")
    assert t("signin.wrong_pin", n=1) == "Wrong PIN; 1 try left before the account locks."
    assert t("signin.wrong_pin", n=3) == "Wrong PIN; 3 tries left before the account locks."
    assert t("merge.ready", other="王", leads=1, save="ctrl+s").startswith("Merging 王 (1 lead) into")
    assert t("why.every", n=1) == "every day" and t("why.every", n=2) == "every 2 days"
    assert t("late.days", n=1) == "1 day" and t("notice.reassigned", n=1) == "1 lead reassigned."
    assert i18n.counted("be_backs", 1) == "1 be-back" and i18n.counted("people", 1) == "1 person"
    set_language("zh")  # no plural forms, and never English's singular
    assert t("signin.wrong_pin", n=1) == "PIN 错误；再错 1 次账号将被锁定。"
    assert t("why.every", n=1) == "每1天"


def test_the_daily_review_counts_be_backs_in_the_singular():
    from types import SimpleNamespace

    from carcrm_tui import reports

    review = SimpleNamespace(day=NOW.date(), first_visits=1, be_backs=1, new_leads=1, response_breaches=0,
                             overdue=[("李娜", 2)], grade_changes=[("王先生", "A", "H", "李娜")],
                             won=[("赵敏", "张伟")], lost=[("钱多", "李娜", "competitor", "丰田 凯美瑞")],
                             tomorrow=[("李娜", 4)])
    set_language("en")
    text = reports.daily_text(review)
    assert "walk-ins: 1 first visit, 1 be-back" in text and one_and_a_plural(text) is None
    assert "  王先生: A → H (李娜)" in text and "  钱多 (李娜): Bought a competitor → 丰田 凯美瑞" in text
    set_language("zh")
    text = reports.daily_text(review)
    assert "到店：首次 1 组，回头客 1 组" in text
    assert "  李娜：2" in text and "  王先生：A → H（李娜）" in text and "  赵敏（张伟）" in text
    assert "  钱多（李娜）：选择竞品 → 丰田 凯美瑞" in text


# ---- Chinese punctuation --------------------------------------------------------------------
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\u3000-\u303f\uff00-\uffef“”‘’…—]")
HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
ASCII_PUNCTUATION = ":,;?!()"
# placeholders and argparse's %-fields are not text: "{id:>5}", "{value}", "%(prog)s"
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\([a-z_]+\)[sr]|%[sr]")


def ascii_punctuation_in_chinese(text: str) -> list[str]:
    """ASCII : , ; ? ! ( ) whose nearest non-space neighbour is Chinese text. A mark standing
    alone between spaces is a key or a symbol ("应用内帮助 ? 列出"), not punctuation; one inside
    ASCII ("ctrl+s", "14:30", "https://", "b,f2", "(#rrggbb") is not next to Chinese."""
    masked = PLACEHOLDER.sub(lambda m: "\0" * len(m.group()), text)
    found = []
    for i, ch in enumerate(masked):
        if ch not in ASCII_PUNCTUATION:
            continue
        left = masked[:i].rstrip(" ")
        right = masked[i + 1:].lstrip(" ")
        alone = 0 < i < len(masked) - 1 and masked[i - 1] == masked[i + 1] == " "
        if not alone and (CJK.match(left[-1:] or "x") or CJK.match(right[:1] or "x")):
            found.append(text[max(0, i - 8):i + 8])
    return found


def test_the_punctuation_detector():
    assert ascii_punctuation_in_chinese("客户反馈: 很好") == ["客户反馈: 很好"]
    assert ascii_punctuation_in_chinese("近期(1个月内)") and ascii_punctuation_in_chinese("! 响应已超时")
    assert not ascii_punctuation_in_chinese("按 ctrl+s 保存，14:30 到店，见 https://example.com")
    assert not ascii_punctuation_in_chinese("应用内帮助 ? 列出全部 id")
    assert not ascii_punctuation_in_chinese("{id:>5}  {label}：%(prog)s：错误")


def test_chinese_catalog_uses_chinese_punctuation():
    bad = {key: found for key, text in catalog("zh").items()
           if HAN.search(text) and (found := ascii_punctuation_in_chinese(text))}
    assert not bad, bad


def test_separators_follow_the_language():
    set_language("zh")
    assert i18n.labelled("客户反馈") == "客户反馈：" and i18n.listed(["甲", "乙"]) == "甲、乙"
    assert i18n.aside("李娜") == "（李娜）"
    set_language("en")
    assert i18n.labelled("Feedback") == "Feedback: " and i18n.listed(["a", "b"]) == "a, b"
    assert i18n.aside("李娜") == " (李娜)"


# Where code puts words around translated text, the punctuation must come from the catalog
# (labelled, listed, aside, or a whole sentence key): a literal ": " after t(...) is English in Chinese.
WORDS = {"t", "label", "codes", "money", "why_due", "due_text", "humanize", "humanize_short", "duration",
         "purpose_text"}
GLUE = re.compile(r"[:,;()]")


def _words_call(node) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in WORDS
               for n in ast.walk(node))


def glued_literals(tree: ast.AST) -> list[tuple[int, str]]:
    out = []
    for node in ast.walk(tree):
        literals: list = []
        if isinstance(node, ast.JoinedStr) and any(isinstance(v, ast.FormattedValue) and _words_call(v)
                                                   for v in node.values):
            literals = [v for v in node.values if isinstance(v, ast.Constant)]
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and (
                _words_call(node.left) or _words_call(node.right)):
            literals = [x for x in (node.left, node.right) if isinstance(x, ast.Constant)]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "join"
              and isinstance(node.func.value, ast.Constant) and _words_call(node)):
            literals = [node.func.value]
        out += [(node.lineno, c.value) for c in literals if isinstance(c.value, str) and GLUE.search(c.value)]
    return out


def test_no_ascii_punctuation_glued_to_translated_text():
    files = [*SOURCE.glob("ui/**/*.py"), SOURCE / "reports.py", *SOURCE.glob("cli*.py")]
    glued = [f"{path.relative_to(SOURCE)}:{line}: {text!r}" for path in files
             for line, text in glued_literals(ast.parse(path.read_text(encoding="utf-8")))]
    assert not glued, "\n".join(glued)


def test_the_glue_detector():
    assert glued_literals(ast.parse('x = f"{t(\'field.feedback\')}: "'))
    assert glued_literals(ast.parse('x = t("a") + ":\\n"'))
    assert not glued_literals(ast.parse('x = f"{labelled(t(\'field.feedback\'))}" + " · "'))


# ---- money ----------------------------------------------------------------------------------
def test_money_always_carries_the_yuan_sign():
    set_language("zh")
    assert [money(None), money(0), money(800), money(5000), money(150_000), money(159_800), money(209_800),
            money(12_345_678), money(123_456_789), money(-30_000)] == [
        "¥0", "¥0", "¥800", "¥5,000", "¥15万", "¥15.98万", "¥20.98万", "¥1,235万", "¥1.23亿", "-¥3万"]
    assert [money(2_423_300), money(9_999), money(9_999_960)] == ["¥242.3万", "¥1万", "¥1,000万"]
    set_language("en")
    assert [money(None), money(0), money(800), money(5000), money(159_800), money(999_960), money(1_250_000),
            money(223_199.4)] == ["¥0", "¥0", "¥800", "¥5k", "¥159.8k", "¥1M", "¥1.25M", "¥223.2k"]


def hand_made_amounts(tree: ast.AST) -> list[int]:
    """Lines that write a yuan sign, or divide by 1,000 / 10,000 inside an f-string, outside money()."""
    docstrings = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and "¥" in node.value \
                and id(node) not in docstrings:
            out.append(node.lineno)
        if isinstance(node, ast.FormattedValue) and any(
                isinstance(b, ast.BinOp) and isinstance(b.op, (ast.Div, ast.FloorDiv))
                and isinstance(b.right, ast.Constant) and b.right.value in (1000, 10_000) for b in ast.walk(node)):
            out.append(node.lineno)
    return out


def test_no_amount_is_formatted_by_hand():
    """Amounts reach the screen through money(): no yuan sign or 万/k arithmetic anywhere else."""
    files = [*SOURCE.glob("ui/**/*.py"), SOURCE / "reports.py", *SOURCE.glob("cli*.py")]
    offenders = [f"{p.relative_to(SOURCE)}:{line}" for p in files
                 for line in hand_made_amounts(ast.parse(p.read_text(encoding="utf-8")))]
    assert not offenders
    assert hand_made_amounts(ast.parse('x = f"{v / 10_000:.1f}万"')) == [1]
    assert hand_made_amounts(ast.parse('x = "¥" + str(v)')) == [1]
    assert not hand_made_amounts(ast.parse('def f():\n    """¥15万"""'))


def test_budget_on_the_record_is_money_and_in_the_form_is_as_typed():
    from carcrm_tui.ui.format import budget_money, budget_text

    set_language("zh")
    assert budget_money(150_000, 200_000) == "¥15万–¥20万" and budget_money(None, 200_000) == "≤¥20万"
    assert budget_money(None, None) == "" and budget_text(150_000, 200_000) == "15-20万"
    set_language("en")
    assert budget_money(300_000, None) == "≥¥300k" and budget_money(200_000, 200_000) == "¥200k"


# ---- one humanising rule ----------------------------------------------------------------------
@pytest.mark.parametrize("ago, unit, n, long_en, short_en, zh", [
    (dict(days=2, hours=23), "d", 3, "3 days ago", "3d ago", "3天前"),
    (dict(hours=47), "d", 2, "2 days ago", "2d ago", "2天前"),
    (dict(days=13), "d", 13, "13 days ago", "13d ago", "13天前"),
    (dict(days=13, hours=12), "w", 2, "2 weeks ago", "2w ago", "2周前"),
    (dict(hours=23, minutes=29), "h", 23, "23 hours ago", "23h ago", "23小时前"),
    (dict(hours=23, minutes=30), "d", 1, "1 day ago", "1d ago", "1天前"),
    (dict(minutes=59, seconds=40), "h", 1, "1 hour ago", "1h ago", "1小时前"),
    (dict(minutes=1), "m", 1, "1 minute ago", "1m ago", "1分钟前"),
    (dict(seconds=10), "m", 1, "1 minute ago", "1m ago", "1分钟前"),
    (dict(days=62), "mo", 2, "2 months ago", "2mo ago", "2个月前"),
])
def test_one_rule_long_and_short_say_the_same_number(ago, unit, n, long_en, short_en, zh):
    past, future = NOW.subtract(**ago), NOW.add(**ago)
    seconds = (NOW - past).total_seconds()
    assert span(seconds) == span(-seconds) == (unit, n)
    set_language("en")
    assert (humanize(past, NOW), humanize_short(past, NOW)) == (long_en, short_en)
    assert humanize(future, NOW) == "in " + long_en.removesuffix(" ago")
    assert humanize_short(future, NOW) == "in " + short_en.removesuffix(" ago")
    assert duration(seconds / 60) == short_en.removesuffix(" ago")
    set_language("zh")
    assert humanize(past, NOW) == humanize_short(past, NOW) == zh
    assert humanize(future, NOW) == zh.replace("前", "后")


def test_the_rule_never_says_sixty_minutes_or_twenty_four_hours():
    for seconds in range(0, 90 * 86400, 97):
        unit, n = span(seconds)
        limit = dict((u, lim) for u, _s, lim in i18n.SPAN_UNITS)[unit]
        assert n >= 1 and (limit is None or n < limit), (seconds, unit, n)
    # and the count only grows with time
    said = [span(s) for s in range(0, 90 * 86400, 600)]
    order = [u for u, _s, _l in i18n.SPAN_UNITS]
    assert said == sorted(said, key=lambda un: (order.index(un[0]), un[1]))


def test_today_and_the_board_say_the_same_time():
    """Today's due column and reason, the board card: one instant, one number."""
    from carcrm_tui.domain.schedule import DueReason
    from carcrm_tui.ui.format import due_text, why_due

    last = NOW.subtract(days=2, hours=23)
    set_language("en")
    assert due_text(last, NOW) == "3 days ago" and humanize_short(last, NOW) == "3d ago"
    assert why_due(DueReason("H", 2, last, 2), NOW) == "H · last contact 3 days ago · every 2 days"
    assert why_due(DueReason("A", 1, NOW.subtract(hours=47), 1), NOW) == "A · last contact 2 days ago · every day"
    assert why_due(DueReason("B", 14, None, None), NOW) == "B · no contact yet · every 14 days"
    set_language("zh")
    assert why_due(DueReason("H", 2, last, 2), NOW) == "H · 上次联系3天前 · 每2天"


def test_every_problem_carcrm_check_names_has_words():
    from carcrm_tui.services.maintenance import ORPHANS

    for name in [*ORPHANS, "broken references"]:
        key = "check." + name.replace("-", "_").replace(" ", "_")
        assert key in catalog("en") and key in catalog("zh"), name
    set_language("en")
    assert t("check.follow_ups_without_a_lead", n=1) == "1 follow-up without a lead"


def test_a_refusal_that_names_a_price_says_it_as_money():
    from carcrm_tui.services.errors import Rejected
    from carcrm_tui.ui_text import error_sentence

    set_language("zh")
    assert error_sentence(Rejected("price_changed", price=209_800)) == "价格已被他人修改（现为 ¥20.98万）；未保存。"
    set_language("en")
    assert error_sentence(Rejected("price_changed", price=209_800)) == (
        "The price was changed meanwhile (now ¥209.8k); nothing was saved.")
