"""Search keys for a person's name: full pinyin and initials, surname readings included.

A consultant types "zw" or "zhangwei" for 张伟. Surnames are often read
differently from the common word (曾 is zēng as a surname, céng otherwise), so
every reading of the first character is indexed. pypinyin loads its
dictionaries on import (~0.15 s): imported here lazily, never at app start.
"""

from __future__ import annotations

import itertools
import re

_HAN = re.compile(r"[\u3400-\u9fff]")


def pinyin_keys(name: str) -> str:
    """"张伟" → "zhangwei zw"; "曾慧" → "cenghui zenghui ch zh"; Latin names → lower case."""
    name = (name or "").strip()
    if not name or not _HAN.search(name):
        return name.lower()
    from pypinyin import Style, lazy_pinyin, pinyin

    first = pinyin(name[0], style=Style.NORMAL, heteronym=True)[0] if _HAN.match(name[0]) else [name[0]]
    rest = lazy_pinyin(name[1:], errors="ignore")
    fulls, initials = [], []
    for reading in itertools.islice(dict.fromkeys(r.lower() for r in first), 3):
        syllables = [reading, *rest]
        fulls.append("".join(syllables))
        initials.append("".join(s[0] for s in syllables if s))
    return " ".join(dict.fromkeys(fulls + initials))
