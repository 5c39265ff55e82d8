"""Customer text is data: markup, escapes, emoji, long and Chinese text through every pane."""


from carcrm_tui.store.models import Customer, CustomerTag, FollowUp, Lead
from carcrm_tui.ui.widgets.board import BoardView
from tests import factory
from tests.conftest import NOW
from tests.tui.helpers import make_app, running, screen_text

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
            today = screen_text(a)
            # cropped to its column at 80, whole at 160; never parsed
            assert ("[/] [Acme] ␛[31…" if size[0] == 80 else "[/] [Acme] ␛[31m😀张") in today
            assert_clean(today)

            await pilot.press("2")
            await pilot.pause()
            board = a.screen.query_one(BoardView)
            assert board.selected.customer_id == customer_id
            text = screen_text(a)
            assert_clean(text)
            assert "▶[/] [Ac" in text  # cropped to the card, never parsed

            await pilot.press("enter")
            await pilot.pause()
            text = screen_text(a)
            assert_clean(text)
            assert "[red]wx[/red]" in text and "[b]bold?[/b]" in text and "[Acme] Roadster [/]" in text

            await pilot.press("e")  # the edit form shows the values as typed, escapes made visible
            await pilot.pause()
            assert a.screen.query_one("#f-name").value == "[/] [Acme] ␛[31m😀张"
            await pilot.press("escape", "c")
            await pilot.pause()
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
        await pilot.press("5")
        await app.workers.wait_for_complete()
        await pilot.pause()
        text = screen_text(app)
        assert_clean(text)
        assert "[red]李娜[/red]" in text and "→ [link=x]丰田[/link] ␛[31m" in text
        await pilot.press("2", "f")
        await pilot.pause()
        text = screen_text(app)
        assert_clean(text)
        assert "[red]李娜[/red]" in text and "[x]" in text
