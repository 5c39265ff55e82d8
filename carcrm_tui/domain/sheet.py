"""The dealer's customer sheet (客户信息管理表): its column names and the values people type.

Headers are matched in Chinese (simplified or traditional) or English, with the
usual variants of the sheet's field names and the decorations templates add
(`(必填)`, `*`, full-width brackets, a leading tab). Values are read the way
Chinese sheets hold them: dates as 2025/3/5, 2025年3月5日, 3月5日, Excel serial
numbers or date-times; budgets as 15-20万, 20万左右, 30W+; grades as A级 or
高/中/低. A word the vocabulary does not know is not an error: it comes back
as typed with `known=False`, and the import keeps it and counts a warning.
Pure: the import service supplies the catalogue, the accounts and the app's
own labels.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Mapping

from carcrm_tui.domain.validation import Invalid, parse_budget, parse_date

# field -> header spellings (compared after header_key: case, spaces, brackets and decorations ignored)
HEADERS: dict[str, tuple[str, ...]] = {
    # the customer
    "name": ("客户姓名", "姓名", "客户名称", "客户名", "客户", "联系人", "name", "customer", "customer name",
             "full name"),
    "phone": ("联系电话", "主要联系电话", "联络电话", "手机", "电话", "手机号", "手机号码", "客户电话", "客户手机", "移动电话",
              "联系方式", "phone", "mobile", "phone number", "mobile phone", "tel"),
    "phone2": ("备用电话", "备用联系电话", "其他电话", "备用手机", "电话2", "手机2", "phone2", "backup phone",
               "other phone", "alternate phone"),
    "gender": ("性别", "gender", "sex"),
    "age_range": ("年龄段", "年龄范围", "年龄", "age", "age range"),
    "wechat": ("微信", "微信号", "wechat", "wechat id"),
    "wechat_qq": ("微信/qq", "微信/qq号", "微信或qq", "社交账号", "wechat/qq"),
    "qq": ("qq", "qq号", "qq号码"),
    "email": ("邮箱", "电子邮箱", "电子邮件", "email", "e-mail"),
    "source": ("客户来源", "来源", "来源渠道", "信息来源", "渠道", "source", "channel", "lead source"),
    "customer_type": ("客户类型", "类型", "customer type", "type"),
    "tags": ("标签", "客户标签", "tags"),
    "birthday": ("生日", "出生日期", "birthday", "date of birth"),
    "notes": ("备注", "notes", "remarks"),
    "owner": ("销售顾问", "顾问", "负责人", "所属顾问", "归属顾问", "销售", "consultant", "owner",
              "sales consultant", "salesperson"),
    "do_not_contact": ("勿扰", "请勿联系", "do not contact"),
    # the consultant's own phone, next to their name: recognised so it is never taken for the customer's
    "owner_phone": ("负责人联系电话", "负责人电话", "顾问电话", "顾问手机", "顾问联系电话", "销售顾问电话",
                    "销售顾问手机", "销售电话", "跟进人电话", "consultant phone", "owner phone"),
    # needs
    "brands": ("意向品牌", "品牌", "关注品牌", "brands", "brand", "brands of interest"),
    "vehicle": ("系列/车型", "意向车型", "车型", "意向车系", "车系", "vehicle", "model", "vehicle of interest",
                "series"),
    "configuration": ("配置偏好", "意向配置", "configuration preferences", "configuration"),
    "colour": ("颜色偏好", "意向颜色", "颜色", "colour", "color", "colour preference", "color preference"),
    "budget": ("购车预算", "预算", "预算范围", "购车预算范围", "budget"),
    "focus_points": ("主要关注点", "关注点", "focus points", "focus"),
    "use": ("购车用途", "用途", "use", "usage"),
    "urgency": ("购车紧急程度", "紧急程度", "urgency"),
    "expected_purchase_date": ("预计购车时间", "预计购车日期", "expected purchase", "expected purchase date",
                               "expected purchase time"),
    "competitor_models": ("对比车型", "是否有对比车型", "竞品车型", "competitor models", "competitors"),
    "grade": ("客户级别", "级别", "意向级别", "客户等级", "意向等级", "grade", "level"),
    "stage": ("销售阶段", "阶段", "stage"),
    # the follow-up log: one contact per row
    "first_contact": ("首次接触日期", "首次接触", "首次接触时间", "首次到店日期", "建档日期", "first contact",
                      "created"),
    "contact_at": ("跟进日期", "每次跟进日期与时间", "跟进日期与时间", "跟进日期时间", "跟进时间", "最近跟进时间",
                   "上次跟进", "联系时间", "沟通时间", "last contact", "contact date", "contacted at",
                   "follow-up date"),
    "contact_channel": ("跟进方式", "沟通方式", "联系途径", "follow-up channel", "contact channel", "via"),
    "summary": ("沟通内容摘要", "跟进记录", "沟通内容", "跟进内容", "沟通记录", "跟进情况", "summary",
                "follow-up", "followup", "follow up notes", "contact summary"),
    "feedback": ("客户反馈与态度", "客户反馈", "反馈", "feedback", "customer feedback"),
    "attitude": ("客户态度", "态度", "attitude"),
    "next_step": ("下次跟进计划", "下一步计划", "跟进计划", "下次跟进计划与时间", "next step", "next steps"),
    "next_followup": ("下次跟进时间", "下次跟进日期", "下次跟进", "计划跟进时间", "next follow-up",
                      "next followup", "next contact"),
    "contact_owner": ("跟进负责人", "跟进人", "跟进顾问", "followed up by"),
    # visits and test drives
    "models_seen": ("看车/试驾车型", "看车车型", "试驾车型", "看车试驾车型", "models seen", "model seen",
                    "test drive model"),
    "drive_feedback": ("试驾反馈", "试驾感受", "test drive feedback", "drive feedback"),
    "materials": ("已提供资料", "提供资料", "已提供的资料", "materials", "materials provided"),
    # the decision
    "decision_maker": ("决策人", "decision maker"),
    "objections": ("主要顾虑点/异议", "主要顾虑点", "主要顾虑", "顾虑", "异议", "objections"),
    # the outcome
    "status": ("成交状态", "状态", "跟进状态", "status"),
    "deal_vehicle": ("成交车型", "deal vehicle", "model bought", "won model"),
    "deal_configuration": ("成交配置", "具体配置", "deal configuration"),
    "deal_colour": ("成交颜色", "deal colour", "deal color"),
    "deal_price": ("成交价格", "成交价", "成交金额", "deal price"),
    "ordered_on": ("订车日期", "下订日期", "订单日期", "order date", "ordered on"),
    "delivered_on": ("交车日期", "提车日期", "delivery date", "delivered on"),
    "order_delivery": ("订/交车日期", "订交车日期", "order/delivery date"),
    "lost_reason": ("战败原因", "战败原因分析", "流失原因", "lost reason"),
    "lost_competitor": ("战败车型", "战败品牌", "购买竞品", "competitor won", "lost to"),
    # after the delivery
    "aftersales_log": ("提车后回访记录", "回访记录", "回访", "after-delivery calls", "after-sales calls"),
    "maintenance": ("保养提醒", "maintenance reminder"),
    "greetings": ("节日/生日祝福", "节日祝福", "生日祝福", "greetings"),
}

# columns that are recognised and left out on purpose (a row counter is not data)
IGNORED = ("序号", "no", "no.", "#", "index", "行号")

# a second column of the same field: what it is
SECOND = {"contact_at": "contact_time", "phone": "phone2"}

# the export writes these headers (first spelling of each language)
EXPORT_HEADERS = {
    "zh": {f: names[0] for f, names in HEADERS.items()},
    "en": {f: next(n for n in names if n.isascii()) for f, names in HEADERS.items()},
}

# Traditional characters of the words above → simplified: a Big5 sheet's headers and words match too.
# Generated with zhconv for the characters these tables use; the cells themselves are stored as typed.
_TRADITIONAL = str.maketrans(
    "萬與業個書買價優傳體關興養內冊決況劃別務動單廳參變號後圍備對屬幣帶異強歸錄徑態戰戶擾報擇換數無時暫機來極標檔溝濟滿潛點愛狀猶電畫碼確積稱競籤類緊紅約級紹經絕緩網聯節範薦慮觀觸計訂議記訪試話請調談負責敗帳賬購資車轉輛還進遠遲適選郵銷問間階險顧預顏額饋馬駕驗齡絡連員",
    "万与业个书买价优传体关兴养内册决况划别务动单厅参变号后围备对属币带异强归录径态战户扰报择换数无时暂机来极标档沟济满潜点爱状犹电画码确积称竞签类紧红约级绍经绝缓网联节范荐虑观触计订议记访试话请调谈负责败账账购资车转辆还进远迟适选邮销问间阶险顾预颜额馈马驾验龄络连员",
)


def simplified(text: str) -> str:
    return str(text or "").translate(_TRADITIONAL)


_REQUIRED_MARK = re.compile(r"[(\[【{<《](?:必填|必填项|必输|选填|可选|非必填|required|optional)[)\]】}>》]",
                            re.IGNORECASE)
_BRACKETED = re.compile(r"[(\[【{<《][^)\]】}>》]*[)\]】}>》]")
_NOISE = re.compile(r"[\s_\-:：*※!！?？'\"“”]")
_BRACKETS = re.compile(r"[()\[\]【】{}<>《》]")


def header_keys(text: str) -> tuple[str, str]:
    """A header's comparison keys: with bracketed words kept, and with them left out.

    "客户姓名(必填)", "*客户姓名", "\t客户姓名", "【客户姓名】" and "客戶姓名" all give "客户姓名";
    "购车预算（万元）" gives "购车预算万元" and "购车预算".
    """
    s = simplified(unicodedata.normalize("NFKC", str(text or ""))).strip().lower()
    s = _REQUIRED_MARK.sub("", s)
    s = s.replace("必填", "") if s.endswith("必填") else s
    s = _NOISE.sub("", s)
    full = _BRACKETS.sub("", s)
    short = _BRACKETS.sub("", _BRACKETED.sub("", s))
    return full, short or full


_ALIASES = {header_keys(alias)[0]: field for field, names in HEADERS.items() for alias in names}
_IGNORED = {header_keys(name)[0] for name in IGNORED} | {"no", "#"}


def header_field(text: str, extra: Mapping[str, str] | None = None) -> str | None:
    """The field a header names; "" for a column left out on purpose; None when unknown."""
    full, short = header_keys(text)
    if not full and not str(text or "").strip():
        return None
    raw = str(text or "").strip().lower()
    if raw in IGNORED or full in _IGNORED:
        return ""
    for key in (full, short):
        if extra and key in extra:
            return extra[key]
        if key in _ALIASES:
            return _ALIASES[key]
    return None


def match_headers(headers: list, extra: dict[str, str] | None = None) -> tuple[dict[int, str], list[str], list[str]]:
    """Column index -> field; the headers nobody knows (reported, never silently dropped);
    and the columns left out on purpose (序号).

    `extra` maps a header to a field (the `--map "表头=field"` option) and wins. A
    second column of a field takes its SECOND meaning (跟进日期 + 跟进时间, or a
    phone next to the consultant's name: the consultant's own phone).
    """
    extra_keys = {header_keys(h)[0]: f for h, f in (extra or {}).items()}
    mapping: dict[int, str] = {}
    unknown: list[str] = []
    ignored: list[str] = []
    taken: set[str] = set()
    for i, header in enumerate(headers):
        field = header_field(header, extra_keys)
        if field == "":
            ignored.append(str(header).strip())
            continue
        if field is None:
            if str(header or "").strip():
                unknown.append(str(header).strip())
            continue
        if field in taken:
            previous = mapping.get(i - 1)
            if field == "phone" and previous in ("owner", "contact_owner"):
                field = "owner_phone"  # 销售顾问, 联系电话: the consultant's number
            else:
                field = SECOND.get(field, "")
            if not field or field in taken:
                unknown.append(str(header).strip())
                continue
        mapping[i] = field
        taken.add(field)
    return mapping, unknown, ignored


def header_score(row: list) -> int:
    """How many cells of a row are header names we know (to find the header under title rows)."""
    fields = {header_field(c) for c in row if isinstance(c, str) and 0 < len(c) <= 40}
    fields.discard(None)
    fields.discard("")
    return len(fields)


def is_header(row: list, extra: Mapping[str, str] | None = None) -> bool:
    """A row naming a customer's name or phone among two known columns (or four of any)."""
    extra_keys = {header_keys(h)[0]: f for h, f in (extra or {}).items()}
    fields = {header_field(c, extra_keys) for c in row if isinstance(c, str) and 0 < len(c) <= 40}
    known = fields - {None, ""}
    return len(known) >= 2 and bool(known & {"name", "phone"}) or len(known) >= 4


# the maker's price list: brand, series, model, guide price
CATALOGUE_HEADERS: dict[str, tuple[str, ...]] = {
    "brand": ("品牌", "厂商品牌", "厂商", "brand", "make"),
    "series": ("车系", "系列", "车型系列", "series", "model line"),
    "model": ("车型", "型号", "款型", "配置", "车款", "model", "version", "trim"),
    "price": ("指导价", "厂商指导价", "官方指导价", "指导价格", "价格", "售价", "guide price", "price", "msrp"),
}
_CATALOGUE = {header_keys(a)[0]: f for f, names in CATALOGUE_HEADERS.items() for a in names}


def match_catalogue(headers: list) -> dict[int, str]:
    out: dict[int, str] = {}
    for i, header in enumerate(headers):
        full, short = header_keys(header)
        field = _CATALOGUE.get(full) or _CATALOGUE.get(short)
        if field and field not in out.values():
            out[i] = field
    return out


def is_catalogue_header(row: list) -> bool:
    fields = set(match_catalogue([c if isinstance(c, str) else "" for c in row]).values())
    return {"series", "price"} <= fields or {"model", "price"} <= fields and len(fields) >= 2


# ---- words ------------------------------------------------------------------------------
WORDS: dict[str, dict[str, str]] = {
    "gender": {"男": "m", "先生": "m", "男士": "m", "m": "m", "male": "m", "女": "f", "女士": "f", "小姐": "f",
               "f": "f", "female": "f"},
    "urgency": {"近期": "near", "1个月内": "near", "一个月内": "near", "近期(1个月内)": "near", "急": "near",
                "马上": "near", "一周内": "near", "near": "near",
                "中期": "mid", "1-3个月": "mid", "中期(1-3个月)": "mid", "3个月内": "mid", "三个月内": "mid",
                "mid": "mid",
                "远期": "far", "3个月以上": "far", "远期(3个月以上)": "far", "半年以上": "far", "far": "far",
                "暂不确定": "unsure", "不确定": "unsure", "未定": "unsure", "unsure": "unsure"},
    "source": {"展厅自然到店": "walk_in", "自然到店": "walk_in", "展厅": "walk_in", "到店": "walk_in",
               "展厅到店": "walk_in", "walk-in": "walk_in", "walkin": "walk_in",
               "来电": "phone_in", "电话": "phone_in", "400来电": "phone_in", "phone-in": "phone_in",
               "汽车之家": "autohome", "autohome": "autohome", "易车": "yiche", "易车网": "yiche", "yiche": "yiche",
               "官网": "official_site", "官网/app": "official_site", "app": "official_site",
               "official site": "official_site",
               "微信": "wechat", "wechat": "wechat", "抖音": "douyin", "douyin": "douyin", "小红书": "xiaohongshu",
               "车展": "auto_show", "巡展": "auto_show", "车展/巡展": "auto_show", "auto show": "auto_show",
               "朋友推荐": "referral", "老客户介绍": "referral", "老客户转介绍": "referral", "转介绍": "referral",
               "老带新": "referral", "referral": "referral", "异业合作": "partner", "partner": "partner",
               "售后": "service", "售后转介": "service", "service": "service"},
    "customer_type": {"潜在客户": "prospect", "潜在": "prospect", "prospect": "prospect", "意向客户": "intent",
                      "意向": "intent", "intent": "intent", "保有客户": "owner", "保有客户(增换购)": "owner",
                      "增换购": "owner", "保有": "owner", "owner": "owner", "战败客户": "lost", "战败": "lost",
                      "lost": "lost"},
    "use": {"日常通勤": "commute", "通勤": "commute", "上下班": "commute", "commute": "commute",
            "家庭使用": "family", "家用": "family", "家庭": "family", "family": "family",
            "商务接待": "business", "商务": "business", "business": "business",
            "越野探险": "offroad", "越野": "offroad", "off-road": "offroad", "offroad": "offroad"},
    "decision_maker": {"本人": "self", "自己": "self", "客户本人": "self", "self": "self",
                       "配偶": "spouse", "爱人": "spouse", "老公": "spouse", "老婆": "spouse", "妻子": "spouse",
                       "丈夫": "spouse", "spouse": "spouse", "家人": "family", "家庭": "family", "父母": "family",
                       "family": "family", "公司": "company", "单位": "company", "company": "company"},
    "status": {"未成交": "open", "跟进中": "open", "洽谈中": "open", "意向中": "open", "open": "open",
               "已订车": "ordered", "已下订": "ordered", "已下定": "ordered", "ordered": "ordered",
               "已成交": "won", "成交": "won", "已交车": "won", "已提车": "won", "won": "won",
               "已战败": "lost", "战败": "lost", "流失": "lost", "lost": "lost", "休眠": "dormant",
               "dormant": "dormant"},
    "focus": {"价格": "price", "价格与优惠": "price", "优惠": "price", "price": "price",
              "性能": "performance", "车辆性能": "performance", "动力": "performance", "performance": "performance",
              "品牌": "brand", "品牌口碑": "brand", "口碑": "brand", "brand": "brand",
              "油耗": "economy", "燃油经济性": "economy", "经济性": "economy", "economy": "economy",
              "fuel economy": "economy",
              "空间": "space", "空间与舒适性": "space", "舒适性": "space", "space": "space",
              "售后": "service", "售后服务": "service", "after-sales": "service",
              "科技": "tech", "科技配置": "tech", "智能": "tech", "tech": "tech"},
    "lost": {"选择竞品": "competitor", "购买竞品": "competitor", "买了竞品": "competitor", "竞品": "competitor",
             "选择其他品牌": "competitor", "competitor": "competitor",
             "预算调整": "budget", "预算不足": "budget", "预算变化": "budget", "budget": "budget",
             "暂不购车": "postponed", "暂缓购车": "postponed", "推迟购车": "postponed", "postponed": "postponed",
             "价格": "price", "价格原因": "price", "价格太高": "price", "price": "price",
             "联系不上": "no_contact", "失联": "no_contact", "无法联系": "no_contact", "no contact": "no_contact",
             "其他": "other", "other": "other"},
    "channel": {"电话": "phone", "电话沟通": "phone", "电话回访": "phone", "phone": "phone",
                "微信": "wechat", "微信沟通": "wechat", "wechat": "wechat",
                "到店": "visit", "到店接待": "visit", "展厅接待": "visit", "到店看车": "visit", "visit": "visit",
                "试驾": "test_drive", "试驾体验": "test_drive", "试乘试驾": "test_drive", "test drive": "test_drive",
                "邀约活动": "event", "活动": "event", "活动邀约": "event", "event": "event",
                "短信": "sms", "sms": "sms"},
    "attitude": {"积极": "positive", "满意": "positive", "很满意": "positive", "有兴趣": "positive",
                 "意向强": "positive", "positive": "positive",
                 "一般": "neutral", "中立": "neutral", "还行": "neutral", "neutral": "neutral",
                 "犹豫": "hesitant", "观望": "hesitant", "考虑中": "hesitant", "hesitant": "hesitant",
                 "消极": "negative", "不满意": "negative", "冷淡": "negative", "拒绝": "negative",
                 "negative": "negative"},
    "materials": {"宣传册": "brochure", "宣传资料": "brochure", "车型手册": "brochure", "画册": "brochure",
                  "brochure": "brochure", "配置单": "spec_sheet", "配置表": "spec_sheet", "参数表": "spec_sheet",
                  "spec sheet": "spec_sheet", "报价单": "quote", "报价": "quote", "quote": "quote"},
    "yesno": {"是": "1", "y": "1", "yes": "1", "true": "1", "1": "1", "√": "1", "否": "", "n": "", "no": "",
              "false": "", "0": "", "": ""},
}


def _word_key(text: str) -> str:
    return header_keys(text)[0]


_WORD_KEYS = {kind: {_word_key(w): code for w, code in words.items()} for kind, words in WORDS.items()}


def word(kind: str, text, labels: Mapping[str, str] | None = None) -> tuple[str, bool]:
    """A sheet word → (its code, True), or (the word as typed, False) when nobody knows it.

    `labels` are the app's own names for the codes (zh and en, lower case), so an
    exported sheet reads back.
    """
    raw = " ".join(str(text or "").split())
    if not raw:
        return "", True
    lowered = simplified(raw).lower()
    if labels and lowered in labels:
        return labels[lowered], True
    code = WORDS[kind].get(lowered)
    if code is None:
        code = _WORD_KEYS[kind].get(_word_key(raw))
    if code is None and labels:
        code = labels.get(_word_key(raw))
    return (code, True) if code is not None else (raw, False)


SPLIT = re.compile(r"[,，、/;；|\n]+")


def words(kind: str, text, labels: Mapping[str, str] | None = None) -> tuple[list[str], list[str]]:
    """A list cell ("空间、油耗、安全") → (codes in the order typed, the words nobody knows)."""
    codes: list[str] = []
    unknown: list[str] = []
    for part in SPLIT.split(str(text or "")):
        part = part.strip()
        if not part:
            continue
        code, known = word(kind, part, labels)
        if not known:
            unknown.append(part)
        if code not in codes:
            codes.append(code)
    return codes, unknown


def grade(text, grades: tuple[str, ...], grade_words: Mapping[str, str]) -> tuple[str, bool]:
    """"A级", "h", "A类", "高" → a grade of the policy; (typed, False) when it is none."""
    raw = str(text or "").strip()
    if not raw:
        return "", True
    key = unicodedata.normalize("NFKC", raw).upper().replace("级", "").replace("類", "").replace("类", "").strip()
    key = key.replace("級", "")
    if key in grades:
        return key, True
    for word_, g in grade_words.items():
        if simplified(raw).lower() in (word_.lower(), f"{word_}意向".lower(), f"意向{word_}".lower()) and g in grades:
            return g, True
    return raw, False


# ---- dates and times --------------------------------------------------------------------
EXCEL_EPOCH = dt.date(1899, 12, 30)
_TIME = re.compile(r"^(\d{1,2})(?::|时|點|点)(\d{1,2})?(?:(?::|分)(\d{1,2})?秒?)?$")
_DATE_SHAPED = re.compile(r"^\d{1,4}\s*[-/.年]\s*\d{1,2}|^\d{1,2}\s*月|^\d{8}$|^\d{4}\s*年")
_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?(?:份)?(?:底|末)?$")


def _serial(value) -> dt.datetime:
    serial = float(value)
    if not 20_000 <= serial <= 80_000:  # 1954 … 2119
        raise Invalid("date_invalid", value=value)
    whole = int(serial)
    seconds = round((serial - whole) * 86_400)
    return dt.datetime.combine(EXCEL_EPOCH + dt.timedelta(days=whole), dt.time()) + dt.timedelta(seconds=seconds)


def _time(text: str, raw) -> dt.time:
    m = _TIME.match(text.strip())
    if not m:
        raise Invalid("time_invalid", value=raw)
    h, mi, s = int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0)
    if h > 23 or mi > 59 or s > 59:
        raise Invalid("time_invalid", value=raw)
    return dt.time(h, mi, s)


def sheet_datetime(value, today: dt.date) -> tuple[dt.date, dt.time | None] | None:
    """A date cell with or without its time: datetime objects, Excel serials (the fraction is
    the time), "2026-10-17 21:24:59", "2026/3/5 14:30", "2026年3月5日 14时30分", "3月5日".

    Raises Invalid("date_invalid") for a date that cannot exist (2026-13-45) and
    Invalid("not_a_date") for text that is no date at all ("年底", "下周").
    """
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date(), (value.time() if value.time() != dt.time() else None)
    if isinstance(value, dt.date):
        return value, None
    if isinstance(value, dt.time):
        raise Invalid("not_a_date", value=value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        stamp = _serial(value)
        return stamp.date(), (stamp.time() if stamp.time() != dt.time() else None)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return sheet_datetime(float(text), today)
    if re.fullmatch(r"\d{8}", text):  # 20260305
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
    m = re.match(r"^(.*?\d\s*日?)[\sT]+(\d{1,2}\s*(?::|时|点)[\d:：分秒\s]*)$", text)
    day_text, time_text = (m.group(1).strip(), m.group(2).replace(" ", "")) if m else (text, "")
    day_text = day_text.rstrip("日号") + ("日" if "月" in day_text else "") if "年" in day_text or "月" in day_text else day_text
    if not _DATE_SHAPED.match(day_text):
        raise Invalid("not_a_date", value=value)
    day = parse_date(day_text, today=today)
    return day, (_time(time_text, value) if time_text else None)


def sheet_date(value, today: dt.date) -> dt.date | None:
    found = sheet_datetime(value, today)
    return found[0] if found else None


def month_end(value) -> dt.date | None:
    """"2026年5月", "2026-05", "2026年5月底" → the month's last day (an expected purchase window)."""
    m = _MONTH.match(unicodedata.normalize("NFKC", str(value or "")).strip())
    if not m:
        return None
    year, month = int(m.group(1)), int(m.group(2))
    if not 1 <= month <= 12:
        raise Invalid("date_invalid", value=value)
    first_next = dt.date(year + month // 12, month % 12 + 1, 1)
    return first_next - dt.timedelta(days=1)


_PLAN_DATE = re.compile(r"(\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?|\d{1,2}\s*月\s*\d{1,2}\s*[日号]?)")


def split_plan(value, today: dt.date) -> tuple[dt.date | None, str]:
    """"3月15日邀约试驾" or "邀约试驾 2026-03-15" → (the date, "邀约试驾"); no date → (None, text)."""
    if isinstance(value, (dt.date, int, float)) and not isinstance(value, bool):
        return sheet_date(value, today), ""
    text = " ".join(str(value or "").split())
    m = _PLAN_DATE.search(text)
    if not m:
        return None, text
    day = sheet_date(m.group(1).replace(" ", "").replace("号", "日"), today)
    rest = (text[:m.start()] + " " + text[m.end():]).strip(" ,，;；:：")
    return day, " ".join(rest.split())


# ---- numbers ----------------------------------------------------------------------------
_SCIENTIFIC = re.compile(r"^[+-]?\d(?:\.\d+)?[eE][+]?\d+$")


def phone_cell(value) -> str:
    """A phone cell as text. Excel stores numbers (13800138000.0): read back whole. A number
    Excel showed as 1.38E+10 and saved as text has lost its digits: refused, saying so."""
    if isinstance(value, bool):
        return ""
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        raise Invalid("phone_invalid", value=value)
    if isinstance(value, int):
        return str(value)
    text = unicodedata.normalize("NFKC", str(value or "")).strip()
    if _SCIENTIFIC.match(text):
        raise Invalid("phone_digits_lost", value=text)
    return text


def budget(value) -> tuple[int | None, int | None]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        amount = int(round(value * 10_000)) if value < 1000 else int(value)
        return (amount, amount)
    return parse_budget(unicodedata.normalize("NFKC", str(value or "")))


def money(value) -> int | None:
    """An amount in yuan: 205000, "205,000元", "20.5万", "¥205000"; a bare 20.5 on a car sheet is 万."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        amount = float(value)
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "").replace("¥", "")
        text = text.replace("元", "").replace("人民币", "").replace("RMB", "").strip()
        unit = 1
        if text.endswith(("万", "w", "W")):
            text, unit = text[:-1], 10_000
        try:
            amount = float(text) * unit
        except ValueError:
            raise Invalid("money_invalid", value=value) from None
    if amount < 0:
        raise Invalid("money_invalid", value=value)
    if amount < 1000:
        amount *= 10_000
    return int(round(amount))
