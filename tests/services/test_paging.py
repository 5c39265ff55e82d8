"""Keyset paging stays correct at page boundaries while another connection inserts rows."""

import sqlite3

from carcrm_tui.services import board
from tests import factory
from tests.conftest import session_for


def test_board_pages_see_every_existing_lead_once_while_rows_arrive(file_database, tmp_path):
    database = file_database  # a second terminal writes through sqlite3 itself
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
            cols = [r[1] for r in other.execute("PRAGMA table_info(lead)") if r[1] != "id"]
            for grade in "HABCO":  # copies of an existing lead, in every grade
                picked = ", ".join("?" if col == "grade" else col for col in cols)
                other.execute(f"INSERT INTO lead ({', '.join(cols)}) SELECT {picked} FROM lead WHERE id = ?",
                              (grade, original[0]))
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
