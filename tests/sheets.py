"""Dealer sheets built in code, shaped like real exports (no real customer data).

The customer sheet of ../shared/seeds/004 (客户信息管理表) with every one of its
fields, a follow-up log (one row per contact), and the shapes dealer systems
produce: a title and subtitle row above the header, merged title cells,
`(必填)` and `*` in header names, a 序号 column, phones stored as numbers, the
consultant's own phone next to their name, date-times, and the encodings
Chinese offices save text in.
"""

from __future__ import annotations

import csv
from pathlib import Path

# every field of the dealer's sheet, under the names the sheet itself uses
FULL_HEADER = [
    "序号", "客户姓名(必填)", "性别", "年龄范围", "*主要联系电话", "备用联系电话", "微信", "QQ", "电子邮箱", "客户来源",
    "客户类型", "意向品牌", "系列/车型", "配置偏好", "颜色偏好", "购车预算范围", "主要关注点", "购车用途", "购车紧急程度",
    "预计购车时间", "对比车型", "首次接触日期", "跟进日期与时间", "跟进方式", "沟通内容摘要", "客户反馈与态度",
    "下次跟进计划", "下次跟进时间", "跟进负责人", "负责人联系电话", "看车/试驾车型", "试驾反馈", "已提供资料", "决策人",
    "主要顾虑点/异议", "成交状态", "成交车型", "成交配置", "成交颜色", "成交价格", "订车日期", "交车日期", "销售顾问",
    "战败原因", "战败车型", "提车后回访记录", "保养提醒", "节日/生日祝福", "客户级别",
]


def full_row(n: int, **values) -> list:
    """A row of FULL_HEADER: an open prospect with every needs field filled; `values` by header."""
    base = {
        "序号": n, "客户姓名(必填)": "周晓明", "性别": "男", "年龄范围": "36-45岁", "*主要联系电话": "13800138001",
        "备用联系电话": "010-62345678", "微信": "zxm_wx", "QQ": "88112233", "电子邮箱": "zxm@example.com",
        "客户来源": "汽车之家", "客户类型": "意向客户", "意向品牌": "吉利、领克", "系列/车型": "星越L",
        "配置偏好": "全景天窗，真皮座椅", "颜色偏好": "晶石白", "购车预算范围": "20万左右", "主要关注点": "空间、油耗、安全",
        "购车用途": "家庭使用", "购车紧急程度": "近期(1个月内)", "预计购车时间": "年底", "对比车型": "丰田 RAV4",
        "首次接触日期": "2026/2/20", "跟进日期与时间": "2026-03-05 14:30:00", "跟进方式": "电话沟通",
        "沟通内容摘要": "介绍了金融方案", "客户反馈与态度": "犹豫", "下次跟进计划": "邀约周末试驾", "下次跟进时间": "2026-03-14",
        "跟进负责人": "李娜", "负责人联系电话": "13911112222", "看车/试驾车型": "星越L", "试驾反馈": "底盘扎实，后排略窄",
        "已提供资料": "宣传册、报价单、U盘", "决策人": "父母", "主要顾虑点/异议": "落地价偏高", "成交状态": "未成交",
        "成交车型": "", "成交配置": "", "成交颜色": "", "成交价格": "", "订车日期": "", "交车日期": "", "销售顾问": "李娜",
        "战败原因": "", "战败车型": "", "提车后回访记录": "", "保养提醒": "", "节日/生日祝福": "", "客户级别": "A级",
    }
    base.update(values)
    return [base[h] for h in FULL_HEADER]


LOG_HEADER = ["客户姓名", "手机", "跟进日期", "跟进时间", "跟进方式", "沟通内容摘要", "客户反馈", "下次跟进时间", "跟进人"]
LOG_ROWS = [  # three contacts with one customer, two with another, newest last but not in order
    ["钱多多", "13700001111", "2026-02-01", "10:15", "到店接待", "首次到店看星越L", "积极", "2026-02-03", "李娜"],
    ["钱多多", "13700001111", "2026-02-03", "16:40", "电话沟通", "约了周六试驾", "积极", "2026-02-07", "李娜"],
    ["孙小美", "13700002222", "2026-02-10", "11:00", "微信沟通", "发了配置单", "一般", "2026-02-17", "张伟"],
    ["钱多多", "13700001111", "2026-02-07", "15:00", "试驾体验", "试驾后想再比较", "犹豫", "2026-03-20", "李娜"],
    ["孙小美", "13700002222", "2026-02-17", "09:30", "电话沟通", "家人还在商量", "犹豫", "2026-03-25", "张伟"],
]


def write_csv(path: Path, rows: list[list], encoding: str = "utf-8-sig", delimiter: str = ",") -> Path:
    with path.open("w", encoding=encoding, newline="") as fh:
        csv.writer(fh, delimiter=delimiter).writerows([[("" if c is None else c) for c in r] for r in rows])
    return path


def write_xlsx(path: Path, sheets: dict[str, list[list]], *, title_rows: dict[str, int] | None = None) -> Path:
    """Sheets by name; `title_rows` merges the first N rows of a sheet across its width, as templates do."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        for row in rows:
            ws.append(row)
        width = max((len(r) for r in rows), default=1)
        for r in range(1, (title_rows or {}).get(name, 0) + 1):
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)
    book.save(path)
    return path


def titled(header: list, rows: list[list]) -> list[list]:
    """A dealer template: a title row, a subtitle row and a blank row above the header."""
    return [["汽车销售客户信息管理表"], ["星辰汽车4S店 · 导出时间 2026-03-10"], [], header, *rows]
