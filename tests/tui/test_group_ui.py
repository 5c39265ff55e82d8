"""A group manager on the terminal: every showroom, or the one chosen in the filter."""

from carcrm_tui.services import accounts, auth, showrooms
from carcrm_tui.store.models import Customer, FollowUp, Lead
from tests.conftest import NOW
from tests.tui.helpers import make_app, running, screen_text, wait_for


def two_showrooms() -> int:
    """The demo's showroom and 西城店 with a third of the customers; a group manager."""
    admin = accounts.find("系统管理员")
    west = showrooms.add(admin, "西城店", NOW).id
    auth.add_account(admin, "总经理", "group_manager", "975318", NOW)
    auth.add_account(admin, "王五", "consultant", "5811", NOW, showroom="西城店")
    wang = accounts.find("王五").id
    moved = [c for (c,) in Customer.select(Customer.id).where(Customer.id % 3 == 0).tuples()]
    Customer.update(showroom=west, owner=wang).where(Customer.id.in_(moved)).execute()
    Lead.update(showroom=west, owner=wang).where(Lead.customer.in_(moved)).execute()
    FollowUp.update(owner=wang).where(FollowUp.lead.in_(Lead.select(Lead.id).where(Lead.customer.in_(moved)))).execute()
    return west


async def test_a_group_manager_compares_showrooms_and_picks_one(demo):
    two_showrooms()
    app = make_app("总经理")
    async with running(app, size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: app.screen.panes_ready)
        await pilot.press("5")
        await wait_for(pilot, lambda: "Showroom against showroom" in screen_text(app) and "西城店" in screen_text(app),
                       what="the showrooms side by side")
        await pilot.press("f")
        await wait_for(pilot, lambda: app.screen.query("#showroom"), what="the showroom choice")
        app.screen.query_one("#showroom").value = "西城店"
        await pilot.press("enter")
        await wait_for(pilot, lambda: "⧩ 西城店" in screen_text(app).split("\n")[0]
                       and "Showroom against showroom" not in screen_text(app), what="西城店 only")
        assert app.session.showroom == showrooms.find("西城店")
        await pilot.press("2")
        await wait_for(pilot, lambda: app.screen.pane == "board" and app.screen.board_view.selected, what="the board")
        board = app.screen.board_view
        assert {c.owner_name for col in board.columns.values() for c in col.cards} == {"王五"}
