"""Keyset paging stays correct at page boundaries while another connection inserts rows."""

import sqlite3

from carcrm_tui.services import board
from carcrm_tui.store.fields import utc_text
from tests import factory
from tests.conftest import NOW, session_for


def test_board_pages_see_every_existing_lead_once_while_rows_arrive(database, tmp_path):
    me = factory.account("李娜")
    original = []
    for i in range(130):
        c = factory.customer(me, f"客户{i}")
        original.append(factory.lead(c, grade="HABCO"[i % 5], stage="quote").id)
    session = session_for("李娜")
    other = sqlite3.connect(database.database)  # a second terminal

    seen, after, page_no = [], None, 0
    while True:
        page = board.page(session, "quote", after, limit=50)
        seen += page
        page_no += 1
        if page_no == 1:  # between pages, the other terminal adds leads in every grade
            customer_id = original[0]
            for grade in "HABCO":
                other.execute(
                    "INSERT INTO lead (customer_id, owner_id, grade, score, stage, status, focus_points, use, urgency,"
                    " competitor_models, decision_maker, objections, expected_value, vin, plate, lost_reason,"
                    " lost_competitor, created_at, stage_changed_at, updated_at, version)"
                    " VALUES (?, ?, ?, 0, 'quote', 'open', '', '', '', '', '', '', 0, '', '', '', '', ?, ?, ?, 1)",
                    (customer_id, me.id, grade, utc_text(NOW), utc_text(NOW), utc_text(NOW)))
            other.commit()
        if len(page) < 50:
            break
        after = page[-1].key
    ids = [c.lead_id for c in seen]
    assert len(ids) == len(set(ids))  # nothing twice across page boundaries
    assert set(original) <= set(ids)  # nothing that existed was skipped
    order = [("HABCO".index(c.grade), c.lead_id) for c in seen]
    assert order == sorted(order)  # grade by grade, oldest first
    other.close()


def test_page_boundary_exactly_at_a_grade_change(database):
    me = factory.account("李娜")
    for grade in "HHHAA":
        factory.lead(factory.customer(me), grade=grade, stage="needs")
    s = session_for("李娜")
    first = board.page(s, "needs", None, limit=3)
    assert [c.grade for c in first] == ["H", "H", "H"]
    second = board.page(s, "needs", first[-1].key, limit=3)
    assert [c.grade for c in second] == ["A", "A"]
    assert board.page(s, "needs", second[-1].key, limit=3) == []
