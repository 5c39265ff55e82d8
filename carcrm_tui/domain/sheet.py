"""The dealer's customer sheet (客户信息管理表): its column names and the values people type.

Headers are matched in Chinese or English, with the usual variants of the
sheet's field names; values are normalised the way a Chinese sheet holds them
(dates as 2025/3/5, 2025年3月5日, 3月5日 or Excel serial numbers; budgets as
"15-20万"; grades as "A级"; urgency, source and gender words). Pure: the import
service supplies the catalogue and the accounts.
"""

from __future__ import annotations

import datetime as dt
import re

from carcrm_tui.domain.validation import Invalid, parse_budget, parse_date

# field -> header spellings (compared case-insensitively, without spaces and punctuation)
HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("客户姓名", "姓名", "客户名称", "客户", "name", "customer", "customer name"),
    "phone": ("联系电话", "手机", "电话", "手机号", "手机号码", "主要联系电话", "phone", "mobile", "phone number"),
    "phone2": ("备用电话", "备用联系电话", "其他电话", "phone2", "backup phone", "other phone"),
    "gender": ("性别", "gender", "sex"),
    "age_range": ("年龄段", "年龄范围", "年龄", "age", "age range"),
    "wechat": ("微信", "微信号", "微信/qq", "wechat", "wechat id"),
    "email": ("邮箱", "电子邮箱", "email", "e-mail"),
    "source": ("客户来源", "来源", "渠道", "source", "channel", "lead source"),
    "customer_type": ("客户类型", "类型", "customer type", "type"),
    "tags": ("标签", "客户标签", "tags"),
    "birthday": ("生日", "出生日期", "birthday", "date of birth"),
    "notes": ("备注", "notes", "remarks"),
    "owner": ("销售顾问", "顾问", "跟进负责人", "负责人", "跟进人", "consultant", "owner", "sales consultant"),
    "grade": ("客户级别", "级别", "意向级别", "grade", "level"),
    "vehicle": ("意向车型", "车型", "系列/车型", "vehicle", "model", "vehicle of interest"),
    "budget": ("购车预算", "预算", "预算范围", "budget"),
    "urgency": ("购车紧急程度", "紧急程度", "urgency"),
    "expected_purchase_date": ("预计购车时间", "预计购车日期", "expected purchase", "expected purchase date"),
    "use": ("购车用途", "用途", "use", "usage"),
    "focus_points": ("主要关注点", "关注点", "focus points", "focus"),
    "competitor_models": ("对比车型", "竞品车型", "competitor models", "competitors"),
    "decision_maker": ("决策人", "decision maker"),
    "objections": ("主要顾虑", "顾虑", "异议", "objections"),
    "first_contact": ("首次接触日期", "首次接触", "first contact", "created"),
    "last_contact": ("最近跟进时间", "跟进日期", "上次跟进", "last contact"),
    "followup": ("跟进记录", "沟通内容摘要", "沟通记录", "follow-up", "followup", "follow up notes"),
    "next_followup": ("下次跟进时间", "下次跟进", "next follow-up", "next followup", "next contact"),
    "stage": ("销售阶段", "阶段", "stage"),
    "status": ("成交状态", "状态", "status"),
    "do_not_contact": ("勿扰", "请勿联系", "do not contact"),
}

# the export writes these headers (first spelling of each language)
EXPORT_HEADERS = {
    "zh": {f: names[0] for f, names in HEADERS.items()},
    "en": {f: next(n for n in names if n.isascii()) for f, names in HEADERS.items()},
}


def _key(text: str) -> str:
    return re.sub(r"[\s_\-:：()（）*]", "", str(text or "")).lower()


_ALIASES = {_key(alias): field for field, names in HEADERS.items() for alias in names}


def match_headers(headers: list[str], extra: dict[str, str] | None = None) -> tuple[dict[int, str], list[str]]:
    """Column index -> field, and the headers nobody knows (reported, never silently dropped).

    `extra` maps a header to a field (the `--map "表头=field"` option) and wins.
    """
    extra_keys = {_key(h): f for h, f in (extra or {}).items()}
    mapping: dict[int, str] = {}
    unknown: list[str] = []
    for i, header in enumerate(headers):
        k = _key(header)
        if not k:
            continue
        field = extra_keys.get(k) or _ALIASES.get(k)
        if field and field not in mapping.values():
            mapping[i] = field
        else:
            unknown.append(str(header))
    return mapping, unknown


WORDS: dict[str, dict[str, str]] = {
    "gender": {"男": "m", "先生": "m", "m": "m", "male": "m", "女": "f", "女士": "f", "f": "f", "female": "f"},
    "urgency": {"近期": "near", "1个月内": "near", "一个月内": "near", "近期(1个月内)": "near", "near": "near",
                "中期": "mid", "1-3个月": "mid", "中期(1-3个月)": "mid", "mid": "mid",
                "远期": "far", "3个月以上": "far", "远期(3个月以上)": "far", "far": "far",
                "暂不确定": "unsure", "不确定": "unsure", "unsure": "unsure"},
    "source": {"展厅自然到店": "walk_in", "自然到店": "walk_in", "展厅": "walk_in", "到店": "walk_in", "walk-in": "walk_in",
               "walkin": "walk_in", "来电": "phone_in", "电话": "phone_in", "phone-in": "phone_in",
               "汽车之家": "autohome", "autohome": "autohome", "易车": "yiche", "易车网": "yiche", "yiche": "yiche",
               "官网": "official_site", "官网/app": "official_site", "app": "official_site", "official site": "official_site",
               "微信": "wechat", "wechat": "wechat", "抖音": "douyin", "douyin": "douyin", "小红书": "xiaohongshu",
               "车展": "auto_show", "巡展": "auto_show", "车展/巡展": "auto_show", "auto show": "auto_show",
               "朋友推荐": "referral", "老客户介绍": "referral", "老客户转介绍": "referral", "转介绍": "referral",
               "referral": "referral", "异业合作": "partner", "partner": "partner", "售后": "service",
               "售后转介": "service", "service": "service"},
    "customer_type": {"潜在客户": "prospect", "潜在": "prospect", "prospect": "prospect", "意向客户": "intent",
                      "意向": "intent", "intent": "intent", "保有客户": "owner", "保有客户(增换购)": "owner",
                      "保有": "owner", "owner": "owner", "战败客户": "lost", "战败": "lost", "lost": "lost"},
    "use": {"日常通勤": "commute", "通勤": "commute", "commute": "commute", "家庭使用": "family", "家用": "family",
            "家庭": "family", "family": "family", "商务接待": "business", "商务": "business", "business": "business",
            "越野探险": "offroad", "越野": "offroad", "off-road": "offroad", "offroad": "offroad"},
    "decision_maker": {"本人": "self", "自己": "self", "self": "self", "配偶": "spouse", "爱人": "spouse",
                       "spouse": "spouse", "家人": "family", "家庭": "family", "family": "family", "公司": "company",
                       "company": "company"},
    "status": {"未成交": "open", "跟进中": "open", "open": "open", "已成交": "won", "成交": "won", "won": "won",
               "已战败": "lost", "战败": "lost", "lost": "lost", "休眠": "dormant", "dormant": "dormant"},
    "focus": {"价格": "price", "价格与优惠": "price", "price": "price", "性能": "performance", "车辆性能": "performance",
              "performance": "performance", "品牌": "brand", "品牌口碑": "brand", "brand": "brand",
              "油耗": "economy", "燃油经济性": "economy", "economy": "economy", "fuel economy": "economy",
              "空间": "space", "空间与舒适性": "space", "space": "space", "售后": "service", "售后服务": "service",
              "after-sales": "service", "科技": "tech", "科技配置": "tech", "tech": "tech"},
    "yesno": {"是": "1", "y": "1", "yes": "1", "true": "1", "1": "1", "否": "", "n": "", "no": "", "false": "", "0": "", "": ""},
}


def word(kind: str, text: str) -> str:
    """A sheet word → its code; raises Invalid for words the sheet should not hold."""
    raw = str(text or "").strip()
    if not raw:
        return ""
    code = WORDS[kind].get(raw.lower()) or WORDS[kind].get(_key(raw))
    if code is None:
        raise Invalid("unknown_word", value=raw)
    return code


def grade(text: str, grades: tuple[str, ...]) -> str:
    raw = str(text or "").strip().upper().replace("级", "").replace("类", "")
    if raw in grades:
        return raw
    raise Invalid("unknown_word", value=text)


def focus_points(text: str) -> str:
    parts = [p for p in re.split(r"[,，、/;；\s]+", str(text or "")) if p]
    return ",".join(dict.fromkeys(word("focus", p) for p in parts))


EXCEL_EPOCH = dt.date(1899, 12, 30)


def sheet_date(value, today: dt.date) -> dt.date | None:
    """A date cell: datetime/date objects, Excel serial numbers, or the text forms of parse_date."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) or re.fullmatch(r"\d{5}(\.\d+)?", str(value).strip()):
        serial = float(value)
        if not 20_000 <= serial <= 80_000:  # 1954 … 2119
            raise Invalid("date_invalid", value=value)
        return EXCEL_EPOCH + dt.timedelta(days=int(serial))
    text = str(value).strip().split(" ")[0].split("T")[0]
    return parse_date(text, today=today)


def budget(value) -> tuple[int | None, int | None]:
    if isinstance(value, (int, float)):
        amount = int(value * 10_000) if value < 1000 else int(value)
        return (amount, amount)
    return parse_budget(str(value or ""))
