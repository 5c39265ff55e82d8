"""16 colours, no colour, site themes: what a 16-colour terminal, NO_COLOR and a site's own theme get."""

import pytest

from carcrm_tui.domain.policy import Policy
from carcrm_tui.services.session import fixed_clock, open_session
from carcrm_tui.theme_files import ANSI_THEME, MONO_THEME, colours_reported, pick_theme, theme_names
from carcrm_tui.ui.app import CarCrmApp
from tests.conftest import NOW
from tests.terminal import SGR, Terminal, app_env, colour_codes
from tests.tui.helpers import make_app, running, screen_text, wait_for
from tests.tui.test_snapshots import SHOWN


@pytest.mark.parametrize("env, colours", [
    ({"TERM": "xterm"}, 16), ({"TERM": "xterm-16color"}, 16), ({"TERM": "screen"}, 16), ({"TERM": "linux"}, 16),
    ({"TERM": "xterm-color"}, 16), ({"TERM": "rxvt-unicode"}, 16),
    ({"TERM": "xterm-256color"}, 256), ({"TERM": "screen-256color"}, 256), ({"TERM": "tmux-256color"}, 256),
    ({"TERM": "xterm", "COLORTERM": "truecolor"}, 1 << 24), ({"TERM": "xterm-kitty"}, 1 << 24),
    ({"TERM": "screen", "TEXTUAL_COLOR_SYSTEM": "truecolor"}, 1 << 24),  # textual-serve's browser terminal
    ({"TERM": "dumb"}, None), ({}, None), ({"TERM": "some-new-terminal"}, None),
])
def test_colours_the_terminal_reports(env, colours):
    assert colours_reported(env) == colours


def test_the_ansi_theme_is_chosen_on_16_colour_terminals_unless_asked_otherwise():
    assert pick_theme(None, "carcrm-light", {"TERM": "xterm-16color"}) == ANSI_THEME
    assert pick_theme(None, "carcrm-light", {"TERM": "linux"}) == ANSI_THEME
    assert pick_theme("carcrm-contrast", "carcrm-light", {"TERM": "linux"}) == "carcrm-contrast"
    assert pick_theme(None, "carcrm-light", {"TERM": "xterm-256color"}) == "carcrm-light"
    assert {ANSI_THEME, MONO_THEME, "carcrm-dark", "carcrm-light", "carcrm-contrast"} <= set(theme_names())


def test_the_command_line_lists_and_picks_the_ansi_theme(monkeypatch, tmp_path):
    from carcrm_tui import cli

    monkeypatch.setenv("CARCRM_CONFIG", str(tmp_path / "none.toml"))
    monkeypatch.setenv("TERM", "xterm-16color")
    monkeypatch.delenv("COLORTERM", raising=False)
    monkeypatch.delenv("TEXTUAL_COLOR_SYSTEM", raising=False)
    chosen = {}
    monkeypatch.setattr(cli, "_open", lambda *a, **k: chosen.setdefault("theme", a[4]) and 0)
    assert cli.main(["--lang", "en"]) == 0
    assert chosen["theme"] == ANSI_THEME
    assert "carcrm-ansi" in cli.build_parser().format_help()


async def test_ansi_theme_draws_in_the_terminals_own_colours(demo):
    app = make_app(language="zh")
    app.theme = ANSI_THEME
    async with running(app, size=(80, 24)) as pilot:
        await pilot.press("2")
        await app.workers.wait_for_complete()
        await wait_for(pilot, lambda: app.screen.pane == "board" and app.current_theme.ansi and app.native_ansi_color,
                       what="the board in the ANSI theme")
        strips = app.screen._compositor.render_strips()
        colours = {seg.style.color for strip in strips for seg in strip if seg.style and seg.style.color}
        # nothing in RGB: every colour is one of the terminal's 16 (or its default)
        assert colours and all(c.type.name in ("STANDARD", "DEFAULT") for c in colours), colours


@pytest.mark.parametrize("pane", ["today", "board"])
def test_ansi_theme_snapshot(snap_compare, demo, pane):
    app = make_app(language="en")
    app.theme = ANSI_THEME

    assert snap_compare(app, terminal_size=(80, 24), run_before=SHOWN[pane])


def _signed_in(demo_path, *, env, size=(80, 24), lang="en") -> Terminal:
    term = Terminal.carcrm("--db", str(demo_path), "--lang", lang, "--user", "李娜", env=env, size=size)
    term.wait_for("PIN")
    term.settle()
    term.send("4831\r")
    term.wait_for("Urgent" if lang == "en" else "紧急")
    term.settle()
    return term


def test_no_color_writes_not_one_colour_code(demo_path, tmp_path):
    """The bytes the app writes with NO_COLOR: bold, dim and reverse only (the cursor in reverse)."""
    env = app_env(str(tmp_path / "none.toml"), NO_COLOR="1", COLORTERM="truecolor")
    with _signed_in(demo_path, env=env) as term:
        term.send("2")  # the board: grades, health line, marked and focused cards
        term.wait_for("Needs")
        term.settle()
        term.send("?")
        term.wait_for("pane.board")
        term.settle()
        output = term.output
    assert not colour_codes(output), sorted(set(colour_codes(output)))[:10]
    attributes = {p for params in SGR.findall(output) for p in params.split(b";")}
    assert b"7" in attributes and b"1" in attributes  # the selection is reverse video; titles bold
    assert "█" in term.text or "▒" in term.text  # the board's health line is glyphs


def test_without_no_color_the_same_run_is_in_colour(demo_path, tmp_path):
    """The check above can fail: the same steps without NO_COLOR write colours."""
    env = app_env(str(tmp_path / "none.toml"), COLORTERM="truecolor")
    with _signed_in(demo_path, env=env) as term:
        output = term.output
    assert colour_codes(output)


async def test_no_color_uses_the_mono_theme_whatever_was_asked(demo, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    policy = Policy()
    app = CarCrmApp(policy, session=open_session(None, policy, clock=fixed_clock(NOW)), clock=fixed_clock(NOW),
                    theme="carcrm-light")
    async with running(app, size=(80, 24)):
        assert app.theme == MONO_THEME
        strips = app.screen._compositor.render_strips()
        lines = [[seg for seg in strip] for strip in strips]
        filtered = [app._filters[-1].apply(line, None) for line in lines]
        assert not any(seg.style and (seg.style.color or seg.style.bgcolor) for line in filtered for seg in line)


SHOP_THEME = """
name = "whatever the file says"
dark = true
primary = "#aa2233"
accent = "ansi_yellow"
foreground = "#f0f0f0"
background = "#101010"
[variables]
block-cursor-text-style = "reverse"
"""


def test_site_themes_come_from_the_folder_next_to_the_config(tmp_path, monkeypatch):
    from carcrm_tui import cli

    folder = tmp_path / "themes"
    folder.mkdir()
    (folder / "showroom.toml").write_text(SHOP_THEME, encoding="utf-8")
    assert "showroom" in theme_names(folder) and "carcrm-dark" in theme_names(folder)
    monkeypatch.setenv("CARCRM_CONFIG", str(tmp_path / "config.toml"))
    assert "showroom" in cli.build_parser().format_help()  # listed by --theme
    chosen = {}
    monkeypatch.setattr(cli, "_open", lambda db, user, args, prefs, theme, **k:
                        chosen.update(theme=theme, site=args.site_themes) or 0)
    assert cli.main(["--lang", "en", "--theme", "showroom"]) == 0
    assert chosen == {"theme": "showroom", "site": folder}


async def test_a_site_theme_is_used_and_a_broken_one_is_skipped_with_a_sentence(demo, tmp_path):
    folder = tmp_path / "themes"
    folder.mkdir()
    (folder / "showroom.toml").write_text(SHOP_THEME, encoding="utf-8")
    (folder / "broken.toml").write_text('primary = "#zz0000"\n', encoding="utf-8")
    (folder / "typo.toml").write_text('primery = "#aa0000"\n', encoding="utf-8")
    (folder / "[b]odd[i.toml").write_text('primary = "#zz0000"\n', encoding="utf-8")  # a name is not markup
    policy = Policy()
    session = open_session(None, policy, clock=fixed_clock(NOW))
    app = CarCrmApp(policy, session=session, clock=fixed_clock(NOW), theme="showroom", site_themes=folder)
    async with running(app, size=(100, 30)):
        assert app.theme == "showroom" and app.current_theme.primary == "#aa2233"
        assert "broken" not in app.available_themes and "typo" not in app.available_themes
    app = CarCrmApp(policy, session=session, clock=fixed_clock(NOW), theme="broken", site_themes=folder)
    async with running(app, size=(120, 30)) as pilot:
        assert app.theme == Policy().theme  # fell back to the default
        notes = await wait_for(pilot, lambda: " ".join(str(n.message) for n in app._notifications),
                               what="the notes about the skipped themes")
        assert "broken.toml" in notes and "primary" in notes and "#zz0000" in notes
        assert "typo.toml" in notes and "primery" in notes and "unknown setting" in notes
        assert "[b]odd[i.toml" in notes
        assert not any(n.markup for n in app._notifications)  # drawn as written, never as markup
        assert "Traceback" not in screen_text(app)
