"""Search correctness: Chinese 2- and 3-character names, pinyin, phone runs and tails,
WeChat, vehicle, VIN, notes, ranking, permissions and hostile query strings."""

import pytest

from carcrm_tui.domain.names import pinyin_keys
from carcrm_tui.services import search, walkins
from carcrm_tui.services.views import ContactInput, WalkInInput
from carcrm_tui.store.models import Customer, Lead
from tests import factory
from tests.conftest import session_for


def person(owner, name, phone, **extra):
    c = factory.customer(owner, name, phone=phone)
    Customer.update(name_pinyin=pinyin_keys(name), **extra).where(Customer.id == c.id).execute()
    return c


@pytest.fixture
def book(database):
    lina, zw = factory.account("李娜"), factory.account("张伟")
    factory.account("王经理", role="manager")
    han = factory.vehicle("汉", 209_800)
    people = {
        "张伟": person(lina, "张伟", "13812345678", wechat="zw_wechat"),
        "张伟强": person(lina, "张伟强", "13912345678"),
        "曾慧": person(lina, "曾慧", "13700001111", notes="想要白色，年底前提车"),
        "欧阳娜娜": person(lina, "欧阳娜娜", "13600002222"),
        "他人张伟": person(zw, "张伟", "13500003333"),
    }
    lead = factory.lead(people["欧阳娜娜"], vehicle_id=han.id)
    Lead.update(vin="LSGJA52U7KS123456", plate="京A12345").where(Lead.id == lead.id).execute()
    return people


def names(hits):
    return [h.name for h in hits]


def test_two_character_chinese_name_exact_first_then_longer(book):
    hits = search.search(session_for("李娜"), "张伟")
    assert names(hits) == ["张伟", "张伟强"] and hits[0].matched == "name"


def test_three_character_name_and_fragment(book):
    assert names(search.search(session_for("李娜"), "张伟强")) == ["张伟强"]
    assert names(search.search(session_for("李娜"), "伟强")) == ["张伟强"]


@pytest.mark.parametrize("query, expected", [("zw", ["张伟", "张伟强"]), ("zhangwei", ["张伟", "张伟强"]),
                                             ("zenghui", ["曾慧"]), ("oynn", ["欧阳娜娜"]), ("ZW", ["张伟", "张伟强"])])
def test_pinyin_full_and_initials_including_surname_readings(book, query, expected):
    hits = search.search(session_for("李娜"), query)
    assert names(hits) == expected and {h.matched for h in hits} == {"pinyin"}


def test_phone_exact_runs_and_last_four(book):
    s = session_for("李娜")
    assert names(search.search(s, "138 1234 5678")) == ["张伟"]
    assert names(search.search(s, "+86 13812345678")) == ["张伟"]
    assert set(names(search.search(s, "5678"))) == {"张伟", "张伟强"}
    assert names(search.search(s, "0000111")) == ["曾慧"]
    assert search.search(s, "5678")[0].phone == "138****5678"


def test_wechat_vehicle_vin_plate_and_notes_say_why(book):
    s = session_for("李娜")
    assert [(h.name, h.matched) for h in search.search(s, "zw_we")] == [("张伟", "wechat")]
    assert [(h.name, h.matched) for h in search.search(s, "汉")] == [("欧阳娜娜", "vehicle")]
    assert [(h.name, h.matched) for h in search.search(s, "ks123")] == [("欧阳娜娜", "vin")]
    assert [(h.name, h.matched) for h in search.search(s, "京A123")] == [("欧阳娜娜", "vin")]
    assert [(h.name, h.matched) for h in search.search(s, "年底前")] == [("曾慧", "note")]


def test_follow_up_notes_are_searchable_with_the_note_as_snippet(book):
    from carcrm_tui.services import contacts

    lead = factory.lead(book["张伟强"])
    contacts.log_contact(session_for("李娜"), lead.id, ContactInput(summary="客户说预算可以再加两万"))
    hits = search.search(session_for("李娜"), "再加两万")
    assert [(h.name, h.matched) for h in hits] == [("张伟强", "note")]
    assert "再加两万" in hits[0].snippet


def test_consultants_never_find_others_customers_managers_find_all(book):
    assert "13500003333" not in [h.phone for h in search.search(session_for("李娜"), "张伟")]
    assert search.search(session_for("李娜"), "13500003333") == []
    assert len(search.search(session_for("王经理"), "张伟")) == 3
    assert names(search.search(session_for("张伟"), "zw")) == ["张伟"]


@pytest.mark.parametrize("query", ['"', '" OR name : "', "NEAR(a b)", "*", "张伟*", "%", "_", "'; DROP TABLE customer; --",
                                   "[/]", "\x1b[31m", "a" * 500, "name : 张", "-张伟", "^张"])
def test_hostile_query_strings_are_just_text(book, query):
    hits = search.search(session_for("李娜"), query)
    assert all(h.name in {"张伟", "张伟强", "曾慧", "欧阳娜娜"} for h in hits)
    assert Customer.select().count() == 5


def test_new_and_renamed_customers_are_found_at_once(book):
    from carcrm_tui.services import customers

    s = session_for("李娜")
    walkins.register_walkin(s, WalkInInput(phone="13300004444", name="司马光"))
    assert [h.matched for h in search.search(s, "smg")] == ["pinyin"]
    assert names(search.search(s, "13300004444")) == ["司马光"]
    customer = book["曾慧"]
    customers.update(s, customer.id, {"name": "曾小慧"}, base={"name": customer.name})
    assert names(search.search(s, "zengxiaohui")) == ["曾小慧"]
    assert names(search.search(s, "曾小慧")) == ["曾小慧"]


def test_one_or_two_digits_wait_for_more(book):
    assert search.search(session_for("李娜"), "1") == [] and search.search(session_for("李娜"), "13") == []


def _index_matches_the_notes() -> bool:
    """FTS5's own check of the notes' index against the follow-up rows (rank 1: the content too)."""
    from carcrm_tui.store.models import database

    try:
        database.execute_sql("INSERT INTO followup_fts (followup_fts, rank) VALUES ('integrity-check', 1)")
    except Exception:
        return False
    return True


def _sqlite_queue_only() -> None:
    from carcrm_tui.store import search_index
    from carcrm_tui.store.models import database

    if not search_index.available(database.obj):
        pytest.skip("the notes' queue is SQLite's (FTS5); PostgreSQL indexes notes with trigrams as they are written")


def _queued() -> int:
    from carcrm_tui.store.models import database

    return database.execute_sql("SELECT COUNT(*) FROM followup_fts_pending").fetchone()[0]


def test_a_just_logged_note_is_found_before_and_after_it_reaches_the_index(book):
    """Notes are indexed a batch at a time (outside the contact's write): search reads the
    queued ones as they are, so nothing is missed in between, and the index ends up exact."""
    _sqlite_queue_only()
    from carcrm_tui.services import contacts
    from carcrm_tui.store import search_index
    from carcrm_tui.store.models import FollowUp, database

    s = session_for("李娜")
    lead = factory.lead(book["张伟强"])
    contacts.log_contact(s, lead.id, ContactInput(summary="客户想看深蓝色内饰", feedback="Wants 100% Financing"))
    assert _queued() == 2  # the closed contact and the next call it scheduled
    assert [(h.name, h.matched) for h in search.search(s, "深蓝色")] == [("张伟强", "note")]
    assert names(search.search(s, "100% fin")) == ["张伟强"]  # the feedback too; % is a character, any case
    assert search.search(s, "0% Z") == [] and search.search(s, "_inanc") == []
    assert names(search.search(session_for("张伟"), "深蓝色")) == []  # still only one's own
    assert search_index.catch_up(database.obj) == 2 and _queued() == 0 and _index_matches_the_notes()
    assert names(search.search(s, "深蓝色")) == ["张伟强"] and names(search.search(s, "100% fin")) == ["张伟强"]

    # a note changed after it was indexed: found by its new words at once, never by the old
    note = FollowUp.select().where(FollowUp.summary == "客户想看深蓝色内饰").get()
    FollowUp.update(summary="改看珍珠白外观").where(FollowUp.id == note.id).execute()
    assert names(search.search(s, "深蓝色")) == [] and names(search.search(s, "珍珠白")) == ["张伟强"]
    assert not _index_matches_the_notes()  # the index still holds the old words until catch_up …
    search_index.catch_up(database.obj)
    assert _index_matches_the_notes() and names(search.search(s, "珍珠白")) == ["张伟强"]
    # … and a deleted one leaves the index with it
    FollowUp.delete().where(FollowUp.id == note.id).execute()
    assert names(search.search(s, "珍珠白")) == []
    search_index.catch_up(database.obj)
    assert _index_matches_the_notes() and _queued() == 0


def test_the_writer_that_finds_a_long_queue_indexes_it_and_the_score_still_moves(book):
    _sqlite_queue_only()
    from carcrm_tui.services import contacts
    from carcrm_tui.store import search_index

    s = session_for("李娜")
    lead = factory.lead(book["张伟强"])
    before = Lead.get_by_id(lead.id).score
    n = 0
    while _queued() < search_index.CATCH_UP_AT - 1:  # each contact queues the call it schedules
        contacts.log_contact(s, lead.id, ContactInput(summary=f"第{n}次回访", attitude="positive"))
        n += 1
    assert _queued() == search_index.CATCH_UP_AT - 1 and n > 100
    assert Lead.get_by_id(lead.id).score > before  # engagement in the last 30 days counts at once
    contacts.log_contact(s, lead.id, ContactInput(summary="最后一次回访"))
    assert _queued() == 0 and _index_matches_the_notes()
    assert names(search.search(s, "第7次回访")) == ["张伟强"] and names(search.search(s, "最后一次")) == ["张伟强"]


def test_a_two_character_word_finds_a_consultants_own_notes(database):
    """首付 or 贷款 — most Chinese words are two characters, below the trigram index: a consultant's
    own customers' notes and contacts are read through; a colleague's are not."""
    from carcrm_tui.services import contacts

    me, other = factory.account("李娜"), factory.account("张伟")
    mine = factory.lead(factory.customer(me, "老王"))
    contacts.log_contact(session_for("李娜"), mine.id, ContactInput(summary="询问贷款方案和首付比例", outcome="reached"))
    noted = factory.customer(me, "备注客户")
    Customer.update(notes="想要低首付").where(Customer.id == noted.id).execute()
    theirs = factory.lead(factory.customer(other, "别人的"))
    contacts.log_contact(session_for("张伟"), theirs.id, ContactInput(summary="也问了首付", outcome="reached"))
    found = {h.name: h.matched for h in search.search(session_for("李娜"), "首付")}
    assert found == {"老王": "note", "备注客户": "note"}
    assert {h.name for h in search.search(session_for("李娜"), "贷款")} == {"老王"}
    assert {h.name for h in search.search(session_for("张伟"), "首付")} == {"别人的"}


def test_a_two_character_word_reads_the_notes_of_the_leads_contacted_last(database, monkeypatch):
    """A big book: the contacts of the RECENT_BOOK leads called last are read through for a
    two-character word; three characters find every note through the index."""
    from carcrm_tui.services import contacts
    from tests.conftest import NOW

    monkeypatch.setattr(search, "RECENT_BOOK", 1)
    me = factory.account("李娜")
    earlier, later = (factory.lead(factory.customer(me, name)) for name in ("早先的", "最近的"))
    contacts.log_contact(session_for("李娜", at=NOW.subtract(days=9)), earlier.id,
                         ContactInput(summary="问了首付比例", outcome="reached"))
    contacts.log_contact(session_for("李娜"), later.id, ContactInput(summary="问了贷款首付", outcome="reached"))
    s = session_for("李娜")
    assert {h.name for h in search.search(s, "首付")} == {"最近的"}
    assert {h.name for h in search.search(s, "首付比")} == {"早先的"}
