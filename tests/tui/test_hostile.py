"""Customer text is data: markup, escapes, emoji, long and Chinese text through every pane."""

from carcrm_tui.store.models import Customer, CustomerTag, FollowUp, Lead
from carcrm_tui.ui.screens.edit_customer import EditCustomerScreen
from carcrm_tui.ui.screens.log_contact import LogContactScreen
from carcrm_tui.ui.screens.process_forms import BoardFilterScreen
from carcrm_tui.ui.widgets.board import BoardView
from tests import factory
from tests.conftest import NOW
from tests.tui.helpers import make_app, running, screen_text, wait_for, wait_for_text

HOSTILE_NAME = "[/] [Acme] \x1b[31m😀张"
HOSTILE_NOTE = "[b]bold?[/b] [link=http://x]x[/link] \x1b]0;pwned\x07 " + "长" * 500


def plant(actor_id: int) -> int:
    """A customer with hostile text, due today, first on the board."""
    c = Customer.create(name=HOSTILE_NAME, phone="+8613100000000", phone_digits="13100000000",
                        wechat="[red]wx[/red]", notes=HOSTILE_NOTE, owner=actor_id, created_at=NOW, updated_at=NOW)
    CustomerTag.insert_many([{"customer": c.id, "tag": "[x]"}, {"customer": c.id, "tag": "价格敏感型"}]).execute()
    lead = Lead.create(customer=c, owner=actor_id, grade="H", stage="new", status="open",
                       competitor_models="[Acme] Roadster [/]", objections=HOSTILE_NOTE,
                       created_at=NOW, stage_changed_at=NOW, updated_at=NOW)
    FollowUp.create(lead=lead, owner=actor_id, channel="phone", due_at=NOW.subtract(days=30),
                    created_at=NOW)
    FollowUp.create(lead=lead, owner=actor_id, channel="wechat", due_at=NOW.subtract(days=40),
                    done_at=NOW.subtract(days=40), summary=HOSTILE_NOTE, feedback="[/]", created_at=NOW)
    return c.id


def assert_clean(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text and "\x00" not in text


async def test_hostile_text_renders_as_typed_in_every_pane(database):
    factory.account("李娜")
    app = make_app("李娜")
    customer_id = plant(app.session.actor.id)
    for size in ((80, 24), (160, 50)):
        async with running(make_app("李娜"), size=size) as pilot:
            a = pilot.app
            main = a.screen
            # cropped to its column at 80, whole at 160; never parsed
            # the name column stops at 10 cells; the lines under the list show the name whole
            today = await wait_for_text(pilot, "[/] [Acme…" if size[0] == 80 else "[/] [Acme] ␛[31m😀张",
                                        "[/] [Acme] ␛[31m😀张  ")
            assert_clean(today)

            await pilot.press("2")
            board = await wait_for(pilot, lambda: main.pane == "board" and main.query_one(BoardView).selected
                                   and main.query_one(BoardView), what="the board")
            assert board.selected.customer_id == customer_id
            text = await wait_for_text(pilot, "▶[/] [Ac")  # cropped to the card, never parsed
            assert_clean(text)

            await pilot.press("enter")
            await wait_for(pilot, lambda: main.pane == "customer" and main.customer_id == customer_id, what="the record")
            text = await wait_for_text(pilot, "[red]wx[/red]", "[b]bold?[/b]")  # the notes whole, at the top
            assert_clean(text)
            view = main.query_one("#customer-view")
            while "[Acme] Roadster [/]" not in screen_text(a) and view.scroll_y < view.max_scroll_y:
                y = view.scroll_y
                await pilot.press("pagedown")  # the needs, under the long notes
                await wait_for(pilot, lambda: view.scroll_y > y, what="the record scrolled")
            assert_clean(await wait_for_text(pilot, "[Acme] Roadster [/]"))

            await pilot.press("e")  # the edit form shows the values as typed, escapes made visible
            await wait_for(pilot, lambda: isinstance(a.screen, EditCustomerScreen), what="the edit form")
            assert a.screen.query_one("#f-name").value == "[/] [Acme] ␛[31m😀张"
            await pilot.press("escape", "c")
            await wait_for(pilot, lambda: isinstance(a.screen, LogContactScreen), what="the log-contact form")
            await wait_for(pilot, lambda: HOSTILE_NAME[:3] in screen_text(a), what="the form's title on screen")
            assert_clean(screen_text(a))
            assert Customer.get_by_id(customer_id).name == HOSTILE_NAME  # nothing untouched was written


async def test_hostile_names_on_the_manager_panes_and_reports(database):
    """Consultant names, competitor models and tags are data on the metrics pane, the board filter and reports."""
    from carcrm_tui import reports
    from carcrm_tui.services import metrics
    from tests.conftest import session_for

    factory.account("[b]王[/b]\x1b[2J", role="manager")
    seller = factory.account("[red]李娜[/red]")
    customer_id = plant(seller.id)
    Lead.update(status="lost", lost_reason="competitor", lost_competitor="[link=x]丰田[/link] \x1b[31m",
                closed_at=NOW.subtract(hours=1)).where(Lead.customer == customer_id).execute()
    text = reports.metrics_text(metrics.snapshot(session_for("[b]王[/b]\x1b[2J"), metrics.month("2026-03")))
    assert "→ [link=x]丰田[/link] ␛[31m" in text and "\x1b" not in text  # as typed, but escapes cannot act
    app = make_app("[b]王[/b]\x1b[2J")
    async with running(app, size=(160, 50)) as pilot:
        main = app.screen
        await pilot.press("5")
        await wait_for(pilot, lambda: main.pane == "metrics", what="the metrics pane")
        text = await wait_for_text(pilot, "[red]李娜[/red]", "→ [link=x]丰田[/link] ␛[31m")
        assert_clean(text)
        await pilot.press("2")
        await wait_for(pilot, lambda: main.pane == "board", what="the board")
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, BoardFilterScreen), what="the board filter")
        text = await wait_for_text(pilot, "[red]李娜[/red]", "[x]")
        assert_clean(text)
