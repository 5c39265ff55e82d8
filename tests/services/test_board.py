import pytest

from carcrm_tui.services import board
from carcrm_tui.services.errors import Conflict, NotFound, Rejected, ValidationFailed
from carcrm_tui.store.models import Customer, FollowUp, Lead
from tests import factory
from tests.conftest import NOW, session_for


@pytest.fixture
def floor(database):
    me, other = factory.account("李娜"), factory.account("张伟")
    factory.account("王经理", role="manager")
    leads = []
    for i, grade in enumerate("CABHAOCB"):
        leads.append(factory.lead(factory.customer(me, f"客户{i}"), grade=grade, stage="quote", value=100_000 * (i + 1)))
    factory.lead(factory.customer(other, "别人"), grade="H", stage="quote", value=999_000)
    return me, leads


def test_summary_counts_and_values_per_stage_and_grade(floor):
    s = board.summary(session_for("李娜"))
    assert s.stage("quote").count == 8
    assert s.cell("quote", "A").count == 2
    assert s.cell("quote", "A").value == 200_000 + 500_000
    manager = board.summary(session_for("王经理"))
    assert manager.stage("quote").count == 9


def test_pages_walk_grade_by_grade_and_return_every_lead_once(floor):
    session = session_for("李娜")
    seen, after = [], None
    while True:
        page = board.page(session, "quote", after, limit=3)
        seen += page
        if len(page) < 3:
            break
        after = page[-1].key
    assert [c.grade for c in seen] == list("HAABBCCO")
    assert len({c.lead_id for c in seen}) == 8


def test_team_board_filters_and_column_health(floor):
    """NOW is 10:30 on 10 March in Shanghai; the dealership's day ends at 16:00 UTC."""
    from carcrm_tui.services.views import BoardFilter
    from carcrm_tui.store.models import CustomerTag

    me, leads = floor
    han, seal = factory.vehicle("汉"), factory.vehicle("海豹", 189_800)
    Lead.update(vehicle=han.id).where(Lead.id.in_([leads[0].id, leads[1].id])).execute()
    Lead.update(vehicle=seal.id).where(Lead.id == leads[2].id).execute()
    Customer.update(source="autohome").where(Customer.id == leads[1].customer_id).execute()
    CustomerTag.create(customer=leads[0].customer_id, tag="家庭用户")
    factory.due(leads[0], NOW.subtract(hours=2))  # overdue
    factory.due(leads[0], NOW.add(hours=1))  # a later one does not count: the next one is overdue
    factory.due(leads[1], NOW.add(hours=3))  # later today
    factory.due(leads[2], NOW.add(days=2))  # planned
    # the rest of 李娜's eight have nothing planned; days in stage: created 1 March 02:00 → 9.02 days
    Lead.update(stage_changed_at=NOW.subtract(days=1)).where(Lead.id == leads[3].id).execute()
    manager = session_for("王经理")

    h = board.health(manager)["quote"]
    assert (h.overdue, h.today, h.planned, h.unplanned) == (1, 1, 1, 6)
    # eight leads at 9 days 30 minutes, one at 1 day: (8 × 9.0208 + 1) / 9
    assert h.days_in_stage == pytest.approx((8 * (9 + 0.5 / 24) + 1) / 9, abs=1e-4)

    def count(**kw):
        f = BoardFilter(**kw)
        return board.summary(manager, f).stage("quote").count, [c.lead_id for c in board.page(manager, "quote", filt=f)]

    assert count(owner="张伟")[0] == 1
    assert count(series="汉") == (2, [leads[1].id, leads[0].id])  # A before C
    assert count(source="autohome", series="汉") == (1, [leads[1].id])
    assert count(grade="B") == (2, [leads[2].id, leads[7].id])
    assert count(tag="家庭用户", owner="李娜") == (1, [leads[0].id])
    assert count(owner="李娜", grade="H")[1] == [leads[3].id]
    assert board.health(manager, BoardFilter(grade="O"))["quote"].total == 1
    assert board.page(manager, "quote", ("H", 0), filt=BoardFilter(grade="B")) == []
    # a consultant's filter never widens what they may see
    assert board.summary(session_for("李娜"), BoardFilter(owner="张伟")).cells == {}
    assert board.health(session_for("李娜"), BoardFilter(owner="张伟")) == {}


ORDER = {"deposit": "10000", "deal_price": "19.5万", "expected_delivery_date": "2026-03-25"}
DELIVERY = {"delivered_on": "2026-03-10", "vin": "LSGJA52U7KS123456", "service_advisor": "售后顾问 马文"}


def test_move_forward_back_and_to_won(floor):
    _, leads = floor
    session = session_for("李娜")
    lead = leads[3]  # H in quote
    moved = board.move(session, lead.id, 1, +1, ORDER)
    assert moved.stage == "order" and (moved.grade_before, moved.grade) == ("H", "O")  # said, not silent
    ordered = Lead.get_by_id(lead.id)
    assert (ordered.grade, ordered.deal_price, ordered.deposit) == ("O", 195_000, 10_000)  # an order is grade O
    assert board.move(session, lead.id, 2, -1).stage == "quote"
    board.move(session, lead.id, 3, +1, ORDER)
    assert board.move(session, lead.id, 4, +1).stage == "delivery"
    factory.due(Lead.get_by_id(lead.id), NOW.add(days=1))
    assert board.move(session, lead.id, 5, +1, DELIVERY).stage == "won"
    won = Lead.get_by_id(lead.id)
    assert won.status == "won" and won.closed_at == NOW and won.vin == "LSGJA52U7KS123456"
    assert Customer.get_by_id(won.customer_id).customer_type == "owner"
    still_open = FollowUp.select().where(FollowUp.done_at.is_null())
    assert still_open.count() > 0 and all(f.purpose for f in still_open)  # only the after-sales schedule


def test_first_stage_cannot_go_back(database):
    me = factory.account("李娜")
    lead = factory.lead(factory.customer(me), stage="new")
    with pytest.raises(Rejected):
        board.move(session_for("李娜"), lead.id, 1, -1)


def test_a_stale_card_conflicts_instead_of_overwriting(floor):
    _, leads = floor
    board.move(session_for("李娜"), leads[0].id, 1, -1)
    with pytest.raises(Conflict) as err:
        board.move(session_for("李娜"), leads[0].id, 1, -1)
    assert err.value.who == "李娜"
    assert Lead.get_by_id(leads[0].id).stage == "test_drive"


def test_lost_needs_a_reason_and_for_competitors_the_model(floor):
    _, leads = floor
    session = session_for("李娜")
    with pytest.raises(ValidationFailed) as err:
        board.mark_lost(session, leads[1].id, 1, "bored")
    assert "reason" in err.value.errors
    with pytest.raises(ValidationFailed) as err:
        board.mark_lost(session, leads[1].id, 1, "competitor", "")
    assert "competitor" in err.value.errors
    assert Lead.get_by_id(leads[1].id).status == "open"
    board.mark_lost(session, leads[1].id, 1, "competitor", "丰田 凯美瑞")
    lost = Lead.get_by_id(leads[1].id)
    assert (lost.status, lost.lost_reason, lost.lost_competitor) == ("lost", "competitor", "丰田 凯美瑞")


def test_consultants_cannot_move_others_leads(floor):
    other_lead = Lead.get(Lead.grade == "H", Lead.expected_value == 999_000)
    with pytest.raises(NotFound):
        board.move(session_for("李娜"), other_lead.id, 1, +1)


def test_after_calls_logged_only_those_leads_cards_are_read_again(floor):
    """What a terminal showing the board re-reads after other terminals' commits."""
    from carcrm_tui.services import audit, auth, contacts
    from carcrm_tui.services.views import ContactInput

    me, leads = floor
    s = session_for("李娜")
    since = audit.last_change()
    assert board.changes(s, since) == board.BoardChanges(set(), set())
    contacts.log_contact(s, leads[0].id, ContactInput(summary="回访"))
    contacts.log_contact(s, leads[1].id, ContactInput(summary="回访", next_in_days=3))
    assert board.changes(s, since) == board.BoardChanges({leads[0].id, leads[1].id}, set())  # no column counted again
    fresh = board.cards(s, {leads[1].id})[leads[1].id]
    assert fresh.next_due == NOW.add(days=3) and fresh.response is None  # answered: no first-response clock
    audit.record(me.id, NOW, "sign_in", "account", me.id)  # a sign-in elsewhere changes no card
    assert board.changes(s, since) == board.BoardChanges({leads[0].id, leads[1].id}, set())

    lead = Lead.get_by_id(leads[2].id)
    board.mark_lost(s, lead.id, lead.version, "price")  # a lead left the board: its column is counted again
    assert board.changes(s, since) == board.BoardChanges({leads[0].id, leads[1].id, lead.id}, {lead.stage})
    assert board.cards(s, {lead.id, leads[3].id}) == {lead.id: None, leads[3].id: board.cards(s, {leads[3].id})[leads[3].id]}
    assert board.cards(session_for("张伟"), {leads[3].id}) == {leads[3].id: None}  # not theirs to see


def test_a_grade_or_status_change_elsewhere_rereads_only_that_column(floor):
    """A grade changed or a lead lost elsewhere: the board counts its column again (the same
    counts a whole read gives) and keeps the others; a stage move counts the column it left and
    the one it is in, and so does a lead handed to someone else (on both their boards)."""
    from carcrm_tui.services import audit, customers, process, reassign, undo, walkins

    me, leads = floor
    s = session_for("李娜")
    since = audit.last_change()
    lead = Lead.get_by_id(leads[0].id)
    process.set_grade(s, lead.id, lead.version, "C" if lead.grade != "C" else "B", reason="客户说再等等")
    other = Lead.get_by_id(leads[2].id)
    board.mark_lost(s, other.id, other.version, "price")
    found = board.changes(s, since)
    assert found.leads == {lead.id, other.id} and found.stages == {lead.stage, other.stage}
    counted = board.summary(s, stages=found.stages)
    whole = board.summary(s)
    assert counted.cells == {cell: tally for cell, tally in whole.cells.items() if cell[0] in found.stages}
    assert board.changes(session_for("张伟"), since) == board.BoardChanges(set(), set())  # not on their board

    since = audit.last_change()
    lead = Lead.get_by_id(leads[1].id)
    back = -1 if lead.stage != s.policy.stages[0] else 1
    moved = board.move(s, lead.id, lead.version, back)
    assert board.changes(s, since) == board.BoardChanges({lead.id}, {lead.stage, moved.stage})
    counted = board.summary(s, stages={lead.stage, moved.stage})
    assert counted.cells == {cell: tally for cell, tally in board.summary(s).cells.items()
                             if cell[0] in (lead.stage, moved.stage)}
    undo.undo_last(s)  # taken back: the same two columns
    assert board.changes(s, since) == board.BoardChanges({lead.id}, {lead.stage, moved.stage})

    since = audit.last_change()
    lead = Lead.get_by_id(lead.id)
    reassign.reassign(session_for("王经理"), ["张伟"], lead_ids=[lead.id])
    # it left 李娜's board and joined 张伟's: its column is counted again on both, its card on his only
    assert board.changes(s, since) == board.BoardChanges(set(), {lead.stage})
    assert board.changes(session_for("张伟"), since) == board.BoardChanges({lead.id}, {lead.stage})
    assert board.summary(s, stages={lead.stage}).cells == {
        cell: tally for cell, tally in board.summary(s).cells.items() if cell[0] == lead.stage}

    since = audit.last_change()
    was = Customer.get_by_id(lead.customer_id).name
    customers.update(session_for("张伟"), lead.customer_id, {"name": "改了名字"}, base={"name": was})
    assert board.changes(session_for("张伟"), since) == board.BoardChanges({lead.id}, {lead.stage})
    assert board.changes(s, since) == board.BoardChanges(set(), set())  # not on 李娜's board any more

    since = audit.last_change()
    walkins.colleague_be_back(s, Customer.get_by_id(lead.customer_id).phone)  # 李娜 at reception: his customer is back
    assert board.changes(session_for("张伟"), since) == board.BoardChanges({lead.id}, {lead.stage})
    assert board.cards(session_for("张伟"), {lead.id})[lead.id].next_due <= NOW.add(hours=2)  # the thank-you call
