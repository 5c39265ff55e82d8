"""What the command line prints besides our own catalog: argparse's words, on any locale.

argparse writes its own English ("usage:", "options", "show this help message
and exit", "error: the following arguments are required") through the
module-level gettext function it imported (`from gettext import gettext as _`).
Python ships no catalogs for it, so `--help` in Chinese was half English. Our
translation layer stands in for that one function: each message argparse asks
for is looked up in the `argparse` section of locales/*.toml by its English
text; messages we do not know (a newer Python's) stay as argparse wrote them.

A terminal whose locale is not UTF-8 (LANG=en_US.ISO-8859-1) made `--help`
die with UnicodeEncodeError on the first "—" or Chinese name: standard output
and error are switched to UTF-8 instead (GB18030 on a GBK locale), which is
what every terminal that can show the app's screens reads anyway. Pure
Python: headless commands use it.
"""

from __future__ import annotations

import argparse
import codecs
import os
import re
import sys
from functools import lru_cache

from rich.cells import cell_len

from carcrm_tui.i18n import t

# argparse's English message -> our catalog key (Python 3.11-3.13 wording)
MESSAGES = {
    "usage: ": "argparse.usage",
    "positional arguments": "argparse.positional",
    "options": "argparse.options",
    "subcommands": "argparse.subcommands",
    "show this help message and exit": "argparse.help",
    "show program's version number and exit": "argparse.version",
    "%(prog)s: error: %(message)s\n": "argparse.error",
    "argument %(argument_name)s: %(message)s": "argparse.argument",
    "the following arguments are required: %s": "argparse.required",
    "one of the arguments %s is required": "argparse.one_required",
    "unrecognized arguments: %s": "argparse.unrecognized",
    "not allowed with argument %s": "argparse.not_allowed",
    "ignored explicit argument %r": "argparse.ignored",
    "expected one argument": "argparse.expected_one",
    "expected at most one argument": "argparse.expected_at_most_one",
    "expected at least one argument": "argparse.expected_at_least_one",
    "ambiguous option: %(option)s could match %(matches)s": "argparse.ambiguous",
    "unexpected option string: %s": "argparse.unexpected",
    "invalid %(type)s value: %(value)r": "argparse.invalid_type",
    "invalid choice: %(value)r (choose from %(choices)s)": "argparse.invalid_choice",
    "can't open '%(filename)s': %(error)s": "argparse.cant_open",
    "unknown parser %(parser_name)r (choices: %(choices)s)": "argparse.unknown_parser",
}
PLURALS = {"expected %s argument": "argparse.expected_n"}


def argparse_text(message: str) -> str:
    """argparse's `_()`: the message in the UI language (untranslated ones as they are)."""
    key = MESSAGES.get(message)
    return t(key) if key else message


def argparse_plural(singular: str, plural: str, n: int) -> str:
    key = PLURALS.get(singular)
    if key:
        return t(key)
    return singular if n == 1 else plural


def translate_argparse() -> None:
    """Point argparse's gettext names at our catalog; they follow set_language() from then on."""
    argparse._ = argparse_text  # type: ignore[attr-defined]
    argparse.ngettext = argparse_plural  # type: ignore[attr-defined]


# a run of wide (CJK) characters may break anywhere, except before closing punctuation
_TOKENS = r"\s+|[\u1100-\uffff][，。、；：！？）」』》]*|[^\s\u1100-\uffff]+"


@lru_cache(maxsize=1)
def _tokens() -> re.Pattern:
    return re.compile(_TOKENS)  # ~10 ms to compile: only when help is printed, not at every start


def wrap_cells(text: str, width: int) -> list[str]:
    """Lines of at most `width` terminal cells: Chinese is two cells a character and has no spaces."""
    lines, line = [], ""
    for token in _tokens().findall(text):
        if token.isspace():
            token = " "
            if not line:
                continue
        if line and cell_len(line + token.rstrip()) > width:
            lines.append(line.rstrip())
            line = "" if token == " " else token
        else:
            line += token
    if line.strip():
        lines.append(line.rstrip())
    return lines


class _CellWidth:
    """argparse counts characters; a terminal counts cells (用法 is four, not two)."""

    def _format_usage(self, usage, actions, groups, prefix):
        if prefix is None:
            prefix = argparse_text("usage: ")
        pad = " " * cell_len(prefix)  # wrap as if the prefix were this wide, then put it back
        text = super()._format_usage(usage, actions, groups, pad)  # type: ignore[misc]
        return prefix + text[len(pad):]

    def _split_lines(self, text, width):
        return wrap_cells(" ".join(text.split()), width)


class HelpFormatter(_CellWidth, argparse.HelpFormatter):
    def _fill_text(self, text, width, indent):
        return "\n".join(indent + line for line in wrap_cells(" ".join(text.split()), width))


class RawDescriptionHelpFormatter(_CellWidth, argparse.RawDescriptionHelpFormatter):
    """Keeps the description's and epilog's own lines; wraps only a line too wide for the terminal."""

    def _fill_text(self, text, width, indent):
        out = []
        for line in text.splitlines():
            if cell_len(line) <= width:
                out.append(indent + line)
                continue
            lead = line[: len(line) - len(line.lstrip())]
            out += [indent + lead + part for part in wrap_cells(line.strip(), width - len(lead))]
        return "\n".join(out)


class Parser(argparse.ArgumentParser):
    """ArgumentParser whose help wraps by terminal cells; sub-commands get the same class."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def add_subparsers(self, **kwargs):
        kwargs.setdefault("parser_class", Parser)
        return super().add_subparsers(**kwargs)


# encodings that can write every character our catalogs and users' data hold
_WHOLE_UNICODE = {"utf-8", "utf-16", "utf-32", "gb18030"}
# a GBK terminal (an old zh_CN.GBK server) reads GB18030, GBK's superset that covers all of Unicode
_GB = {"gbk", "gb2312", "hz", "gb18030"}


def _encoding(stream) -> str | None:
    encoding = getattr(stream, "encoding", None)
    if not encoding:
        return None
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return "unknown"


def speaks_unicode(stream) -> bool:
    encoding = _encoding(stream)
    return encoding is None or encoding in _WHOLE_UNICODE  # None: not a text stream we can judge


def utf8_streams() -> None:
    """Standard output and error can write any text whatever the locale (never UnicodeEncodeError).

    Latin-1, ASCII and the like get UTF-8 (what every terminal that can show the
    app's screens reads); GBK and GB2312 get GB18030, which a GBK terminal reads
    as it always did. The app's screens go out through standard error too
    (Textual's driver), so this covers them.
    """
    for stream in (sys.stdout, sys.stderr):
        if stream is None or speaks_unicode(stream) or not hasattr(stream, "reconfigure"):
            continue
        stream.reconfigure(encoding="gb18030" if _encoding(stream) in _GB else "utf-8", errors="replace")


def run_in_utf8_mode() -> None:
    """On a Latin-1 or ASCII locale, start again in Python's UTF-8 mode (returns only if not needed).

    Reconfiguring the output is not enough there: Python also decodes the
    command line and file names with the locale's encoding, so `--user 李娜`
    typed in a UTF-8 terminal arrived as "æ\x9d\x8eå¨\x9c" and no account
    matched. UTF-8 mode reads arguments, names and paths as UTF-8, as the
    terminal sent them. A GBK locale keeps its encoding (its terminal is GBK).
    """
    if sys.flags.utf8_mode:
        return
    try:
        encoding = codecs.lookup(sys.getfilesystemencoding()).name
    except LookupError:
        encoding = "unknown"
    if encoding in _WHOLE_UNICODE or encoding in _GB:
        return
    os.execv(sys.executable, [sys.executable, "-X", "utf8", "-m", "carcrm_tui", *sys.argv[1:]])
