"""A multi-line field for notes, objections and the SPIN summary.

Those are paragraphs a consultant writes over weeks; an Input would keep one
line and move on at Enter, dropping what is typed after it. Enter starts a new
line here, Tab moves on, ctrl+s saves the form as everywhere. `value` reads and
writes the text, so forms treat it like any other field.
"""

from __future__ import annotations

from textual.widgets import TextArea

LONG_TEXT = ("notes", "objections", "spin_summary", "grade_reason")  # the fields that take paragraphs


class NoteArea(TextArea):
    DEFAULT_CSS = """
    NoteArea { height: auto; min-height: 3; max-height: 8; border: none; padding: 0 1; background: $boost; }
    NoteArea:focus { border: none; background: $primary 30%; }
    """

    def __init__(self, value: str = "", *, placeholder: str = "", id: str | None = None) -> None:
        super().__init__(value, soft_wrap=True, tab_behavior="focus", show_line_numbers=False,
                         highlight_cursor_line=False, placeholder=placeholder, id=id, compact=True)

    @property
    def value(self) -> str:
        return self.text

    @value.setter
    def value(self, text: str) -> None:
        self.load_text(text or "")
