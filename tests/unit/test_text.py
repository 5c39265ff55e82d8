from carcrm_tui.ui.text import clean, fit, plain


def test_markup_is_kept_as_typed():
    assert plain("[/] [Acme] Corp [b]x").plain == "[/] [Acme] Corp [b]x"


def test_control_characters_never_reach_the_terminal():
    shown = clean("red\x1b[31m text\x07\x00 end\u202e")
    assert "\x1b" not in shown and "\x07" not in shown and "\x00" not in shown and "\u202e" not in shown
    assert "␛[31m" in shown


def test_fit_counts_chinese_as_two_cells():
    text = fit("张伟伟伟伟", 6)
    assert text.cell_len == 6
    assert text.plain.endswith("…")
