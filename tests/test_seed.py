"""The demo seed: deterministic, big enough, coherent with its own event log, and working
on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import time
import unicodedata
import uuid
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlmodel import Session, SQLModel

from advisor_console.demo import corpus
from advisor_console.demo.seed import client_languages, client_profiles, demo_accounts, is_seeded, seed
from advisor_console.domain.models import HUBS, ConversationSummary
from advisor_console.domain.reducer import reduce
from advisor_console.server import eventlog
from advisor_console.server.db import make_engine, migrate
from advisor_console.server.security import verify_password
from advisor_console.server.tables import (
    AdvisorRow,
    ClientRow,
    ConversationRow,
    EventRow,
    MessageRow,
    ProductRow,
    PurchaseRow,
    TaskRow,
)

NOW = datetime(2026, 11, 23, 9, 30, 0, tzinfo=timezone.utc)
SMALL = {"clients": 300, "products": 150, "conversations": 40}
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


def _fresh_sqlite(path: Path) -> Engine:
    url = f"sqlite:///{path}"
    migrate(url)
    return make_engine(url)


def _digest(engine: Engine) -> str:
    h = hashlib.sha256()
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if table.name == "alembic_version":
                continue
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            h.update(table.name.encode())
            for row in rows:
                h.update(json.dumps(list(row), default=str, sort_keys=True).encode())
    return h.hexdigest()


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> tuple[Engine, list[dict[str, str]], float]:
    engine = _fresh_sqlite(tmp_path_factory.mktemp("seed") / "big.db")
    t0 = time.perf_counter()
    accounts = seed(engine, now=NOW)
    elapsed = time.perf_counter() - t0
    yield engine, accounts, elapsed
    engine.dispose()


# ---- determinism ---------------------------------------------------------------------------


def test_same_seed_same_rows_other_seed_other_rows(tmp_path: Path) -> None:
    digests = []
    for name, s in (("a", 7), ("b", 7), ("c", 8)):
        engine = _fresh_sqlite(tmp_path / f"{name}.db")
        seed(engine, seed=s, now=NOW, **SMALL)
        digests.append(_digest(engine))
        engine.dispose()
    assert digests[0] == digests[1]
    assert digests[0] != digests[2]


def test_refuses_a_database_that_holds_data(tmp_path: Path) -> None:
    engine = _fresh_sqlite(tmp_path / "x.db")
    assert not is_seeded(engine)
    seed(engine, clients=20, products=10, conversations=5, now=NOW)
    assert is_seeded(engine)
    with pytest.raises(RuntimeError):
        seed(engine, clients=20, products=10, conversations=5, now=NOW)
    engine.dispose()


# ---- size and coverage at the default size -------------------------------------------------


def test_default_size_is_fast(big: tuple[Engine, list[dict[str, str]], float]) -> None:
    _engine, _accounts, elapsed = big
    print(f"default seed: {elapsed:.2f}s")
    assert elapsed < 10


def test_accounts_cover_every_role_and_log_in(big: tuple[Engine, list[dict[str, str]], float]) -> None:
    engine, accounts, _ = big
    assert accounts == demo_accounts("demo")
    assert {a["role"] for a in accounts} == {"advisor", "supervisor", "trainer", "channel"}
    by_name = {a["username"]: a for a in accounts}
    assert by_name["advisor"]["role"] == "advisor" and by_name["advisor"]["hub"] == "TYO"
    assert by_name["supervisor"]["role"] == "supervisor" and by_name["supervisor"]["hub"] == "TYO"
    assert by_name["trainer"]["role"] == "trainer" and by_name["trainer"]["hub"] == "FLR"
    assert by_name["channel-sim"]["role"] == "channel" and "channel-web" in by_name
    with Session(engine) as s:
        staff = s.exec(select(AdvisorRow)).scalars().all()
        assert {a.username for a in staff} == set(by_name)
        for hub in HUBS:
            team = [a for a in staff if a.hub == hub]
            assert sum(a.role == "advisor" for a in team) >= 4
            assert sum(a.role == "supervisor" for a in team) == 1
        assert sum(a.role == "trainer" for a in staff) == 2
        assert verify_password("demo", staff[0].password_hash)
        assert not verify_password("wrong", staff[0].password_hash)


def test_clients(big: tuple[Engine, list[dict[str, str]], float]) -> None:
    engine, _, _ = big
    with Session(engine) as s:
        clients = s.exec(select(ClientRow)).scalars().all()
        advisors = {a.id: a for a in s.exec(select(AdvisorRow)).scalars().all()}
    assert len(clients) >= 5000
    assert len({c.country for c in clients}) >= 26
    assert {c.hub for c in clients} == set(HUBS)
    natives = {c.locale.split("-")[0] for c in clients if c.native_name}
    assert {"ja", "ko", "zh"} <= natives
    ja = next(c for c in clients if c.locale == "ja-JP")
    assert ja.native_name and any("\u4e00" <= ch <= "\u9fff" for ch in ja.native_name)
    ko = next(c for c in clients if c.locale == "ko-KR")
    assert ko.native_name and all("\uac00" <= ch <= "\ud7a3" for ch in ko.native_name)
    tiers = Counter(c.vic_tier for c in clients)
    assert set(tiers) == {"none", "silver", "gold", "platinum", "black"}
    assert tiers["none"] > tiers["silver"] > tiers["gold"] > tiers["platinum"] > tiers["black"] > 0
    assert {c.currency for c in clients} == set(corpus.CURRENCIES)
    assert len({c.email for c in clients}) == len(clients)
    for c in clients:
        assert set(c.consent) == {"chat", "whatsapp", "email", "phone"}
        assert c.consent[c.preferred_channel]
        if c.vic_tier != "none":
            adv = advisors[c.personal_advisor_id]
            assert adv.hub == c.hub and adv.role == "advisor"
        else:
            assert c.personal_advisor_id is None
        if "shoes_eu" in c.sizes:
            assert {"shoes_us", "shoes_jp"} <= set(c.sizes)
        if c.vic_tier in ("gold", "platinum", "black"):
            assert c.lifetime_spend > 0
    special = [c.notes for c in clients if any(unicodedata.combining(ch) for ch in c.notes) or any(ord(ch) > 0x1F000 for ch in c.notes)]
    assert special, "a few notes carry emoji or combining marks"


def test_products(big: tuple[Engine, list[dict[str, str]], float]) -> None:
    engine, _, _ = big
    with Session(engine) as s:
        products = s.exec(select(ProductRow)).scalars().all()
    assert len(products) >= 1500
    assert len({p.sku for p in products}) == len(products)
    assert len({p.line for p in products}) >= 10
    assert len({p.category for p in products}) >= 8
    assert any(p.iconic for p in products) and any(not p.iconic for p in products)
    for p in products[:300]:
        assert set(p.prices) == set(corpus.CURRENCIES)
        assert p.prices["JPY"] % 1000 == 0 and p.prices["KRW"] % 10000 == 0
        assert p.prices["USD"] > p.prices["EUR"]
        assert p.stock and all(set(by_hub) == set(HUBS) for by_hub in p.stock.values())
        assert p.sku.lower() in p.search_text and p.name.lower() in p.search_text
    shoes = next(p for p in products if p.category == "shoes")
    assert "38" in shoes.stock or "42" in shoes.stock


def test_purchases_and_tasks(big: tuple[Engine, list[dict[str, str]], float]) -> None:
    engine, _, _ = big
    with Session(engine) as s:
        purchases = s.exec(select(PurchaseRow)).scalars().all()
        tasks = s.exec(select(TaskRow)).scalars().all()
        tiers = dict(s.execute(select(ClientRow.id, ClientRow.vic_tier)).all())
        currencies = dict(s.execute(select(ClientRow.id, ClientRow.currency)).all())
    per_client = Counter(p.client_id for p in purchases)
    assert len(per_client) == len(tiers)
    assert min(per_client.values()) >= 1 and max(per_client.values()) <= 8
    assert any(p.returned for p in purchases) and sum(p.returned for p in purchases) < len(purchases) / 4
    assert all(p.currency == currencies[p.client_id] for p in purchases[:500])
    assert all(p.at <= NOW for p in purchases)
    assert {t.kind for t in tasks} == {"call", "follow_up", "appointment"}
    assert all(tiers[t.client_id] != "none" for t in tasks)
    assert all(t.place for t in tasks if t.kind == "appointment")


def test_conversations_and_threads(big: tuple[Engine, list[dict[str, str]], float]) -> None:
    engine, _, _ = big
    with Session(engine) as s:
        convs = s.exec(select(ConversationRow)).scalars().all()
        messages = s.exec(select(MessageRow).order_by(MessageRow.id)).scalars().all()
        staff = {a.id: a for a in s.exec(select(AdvisorRow)).scalars().all()}
    assert len(convs) >= 300
    assert {c.status for c in convs} == {"queued", "assigned", "snoozed"}
    assert {c.channel for c in convs} >= {"chat", "whatsapp", "email", "phone"}
    assert len({c.language for c in convs}) >= 6
    assert {c.stage for c in convs} == {"intent", "purchase", "after_sales"}
    thread: dict[int, list[MessageRow]] = {}
    for m in messages:
        thread.setdefault(m.conversation_id, []).append(m)
    for c in convs:
        msgs = thread[c.id]
        assert 1 <= len(msgs) <= 9
        assert msgs[0].at == c.created_at
        assert c.created_at <= c.last_activity_at <= NOW
        assert c.last_inbound_at is not None and c.last_inbound_at <= c.last_activity_at
        visible = [m for m in msgs if m.kind != "note"]
        assert c.preview == " ".join(visible[-1].body.split())[:120] or c.preview.endswith("…")
        if c.status == "queued":
            assert c.assignee_id is None and c.first_response_at is None
        else:
            adv = staff[c.assignee_id]
            assert adv.hub == c.hub and adv.role == "advisor"
            assert c.first_response_at is not None and c.first_response_at >= c.created_at
        if c.status == "snoozed":
            assert c.snoozed_until is not None and c.snoozed_until > NOW
        if c.channel == "phone":
            assert {m.kind for m in msgs} <= {"system", "note"}
        else:
            assert msgs[0].kind == "inbound"
    kinds = Counter(m.kind for m in messages)
    assert kinds["inbound"] and kinds["reply"] and kinds["note"] and kinds["system"]
    assert any(a["type"] == "product_card" and a["sku"] and a["price"] for m in messages for a in m.attachments)
    bodies = [m.body for m in messages]
    assert any("\u200d" in b for b in bodies) or any(ord(ch) > 0x1F000 for b in bodies for ch in b)
    assert any(unicodedata.combining(ch) for b in bodies for ch in b)


def test_events_rebuild_the_conversations(big: tuple[Engine, list[dict[str, str]], float]) -> None:
    engine, _, _ = big
    with Session(engine) as s:
        rows = s.exec(select(EventRow).order_by(EventRow.seq)).scalars().all()
        convs = {c.id: c for c in s.exec(select(ConversationRow)).scalars().all()}
        messages = s.exec(select(MessageRow)).scalars().all()
        staff = {a.id: a.username for a in s.exec(select(AdvisorRow)).scalars().all()}
    assert [r.seq for r in rows] == list(range(1, len(rows) + 1))
    assert all(a.at <= b.at for a, b in zip(rows, rows[1:])), "seq order is time order"
    state = reduce(eventlog.to_event(r) for r in rows)
    assert state.last_seq == len(rows)
    assert set(state.conversations) == set(convs)
    assert state.complete_threads == set(convs)
    assert len(state.advisors) == len([u for u in staff.values() if not u.startswith("channel-")])
    counts = Counter(m.conversation_id for m in messages)
    for cid, conv in convs.items():
        summary: ConversationSummary = state.conversations[cid]
        assert summary.status == conv.status
        assert summary.assignee == (staff[conv.assignee_id] if conv.assignee_id else None)
        assert summary.preview == conv.preview
        assert summary.last_activity_at == conv.last_activity_at
        assert summary.first_response_at == conv.first_response_at
        assert len(state.threads[cid]) == counts[cid]
    for r in rows:
        if r.conversation_id is None:
            assert r.type == "advisor.updated" and r.hub is None
            continue
        conv = convs[r.conversation_id]
        assert r.hub == conv.hub
        assert r.assignee == r.data["conversation"]["assignee"]
        if r.type == "message.created":
            assert r.actor == r.data["message"]["author"]
    types = Counter(r.type for r in rows)
    assert types["conversation.created"] == len(convs)
    assert types["message.created"] == len(messages)
    assert types["conversation.claimed"] == sum(c.status != "queued" for c in convs.values())
    assert types["conversation.snoozed"] == sum(c.status == "snoozed" for c in convs.values())


def test_client_profiles_match_the_database(big: tuple[Engine, list[dict[str, str]], float]) -> None:
    engine, _, _ = big
    from_db = client_languages(engine, limit=400)
    predicted = client_profiles(7, 400)
    assert {cid: lang for cid, (lang, _hub) in predicted.items()} == from_db
    assert len(set(from_db.values())) >= 6


# ---- PostgreSQL ----------------------------------------------------------------------------


@pytest.mark.postgres
def test_small_seed_on_postgresql() -> None:
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except Exception as exc:  # noqa: BLE001
        pytest.skip(f"PostgreSQL unreachable at 127.0.0.1:5432 ({exc.__class__.__name__})")
    name = f"ac_test_seed_{uuid.uuid4().hex[:10]}"
    admin.execute(f"CREATE DATABASE {name}")
    url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    engine = None
    try:
        migrate(url)
        engine = make_engine(url)
        accounts = seed(engine, clients=200, products=80, conversations=30, now=NOW)
        assert {a["role"] for a in accounts} == {"advisor", "supervisor", "trainer", "channel"}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM client")).scalar() == 200
            assert conn.execute(text("SELECT count(*) FROM conversation")).scalar() == 30
            seqs = [r[0] for r in conn.execute(text("SELECT seq FROM event ORDER BY seq"))]
            assert seqs == list(range(1, len(seqs) + 1))
        # New rows after the seed get fresh ids (the sequences were moved past the seed).
        with engine.begin() as conn:
            new_id = conn.execute(
                text(
                    "INSERT INTO client (name, locale, country, hub, vic_tier, preferred_channel, consent, sizes, taste, notes,"
                    " lifetime_spend, currency) VALUES ('New', 'en', 'GB', 'FLR', 'none', 'email', '{}', '{}', '{}', '', 0, 'EUR')"
                    " RETURNING id"
                )
            ).scalar()
            assert new_id == 201
        with Session(engine) as s:
            rows = s.exec(select(EventRow).order_by(EventRow.seq)).scalars().all()
            state = reduce(eventlog.to_event(r) for r in rows)
            assert len(state.conversations) == 30
    finally:
        if engine is not None:
            engine.dispose()
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.close()
