"""Start-up: the first screen whole in the first frame; the garbage collector off while `carcrm`
starts and on once the first screen is drawn."""

import gc

from tests.terminal import Terminal, app_env
from tests.tui.helpers import make_app, running, wait_for


async def test_the_collector_runs_again_once_the_first_screen_is_drawn(demo):
    app = make_app()
    gc.disable()  # as cli.main leaves it for the app
    try:
        async with running(app, size=(80, 24)) as pilot:
            await wait_for(pilot, gc.isenabled, what="the collector switched back on")
            assert app.screen.query_one("#today-table").row_count
    finally:
        gc.unfreeze()  # (the app froze what start-up built; give the test process its objects back)
        gc.enable()


async def test_an_app_started_with_the_collector_on_leaves_it_alone(demo):
    app = make_app()
    assert gc.isenabled()
    async with running(app, size=(80, 24)):
        assert gc.isenabled() and gc.get_freeze_count() == 0


def test_the_first_frame_on_the_terminal_holds_the_whole_first_screen(demo_path, trusting_config):
    """The real program in a terminal, let in by its OS login: Today's list is in the first frame it
    writes, not a frame after the top and key bars (Textual threw away a first screen laid out while
    the app was still starting, and the list followed ~20 ms later)."""
    env = app_env(str(trusting_config))
    with Terminal.carcrm("--db", str(demo_path), "--lang", "en", env=env, size=(100, 30)) as term:
        term.wait_for("Quit")  # the key bar: the last line of the first frame
        term.wait_for("Why")  # the list's heading, the second line
        text = term.text
    assert text.index("Why") < text.index("Quit"), text[:400]



def test_the_sign_in_screen_is_whole_in_its_first_frame(demo_path, tmp_path):
    """The PIN screen, the first screen of a shared terminal: its name field is in the same frame as
    its title (it came a frame later, with the title drawn again)."""
    env = app_env(str(tmp_path / "none.toml"))
    with Terminal.carcrm("--db", str(demo_path), "--lang", "en", env=env, size=(100, 30)) as term:
        term.wait_for("type your name")
        text = term.text
    assert text[:text.index("type your name")].count("Sign in") == 1, text[:400]
