"""Start-up: the garbage collector is off while `carcrm` starts and on once the first screen is drawn."""

import gc

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
