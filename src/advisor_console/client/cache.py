"""The workstation's local SQLite file: events seen, the outbox, drafts, cached documents.

One file per (server, account) in the user data dir. The outbox is written with
synchronous=FULL before any HTTP call, so a write the advisor made survives a crash of the
app, of the machine, or a dead network.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, delete, event, func, insert, select, update
from sqlalchemy.orm import registry
from sqlmodel import Field, Session, SQLModel

from ..config import data_dir


class _CacheModel(SQLModel, registry=registry()):
    """Base of the cache's own tables, kept apart from the server's metadata."""


_metadata = _CacheModel.metadata


class CachedEvent(_CacheModel, table=True):
    __tablename__ = "cached_event"
    seq: int = Field(primary_key=True)
    body: str  # the event as JSON


class Meta(_CacheModel, table=True):
    __tablename__ = "meta"
    key: str = Field(primary_key=True)
    value: str


class OutboxItem(_CacheModel, table=True):
    __tablename__ = "outbox"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(unique=True)
    op: str
    conversation_id: int | None = None  # the target: a conversation, client or task id (see op)
    payload: str = "{}"
    created_at: str
    attempts: int = 0
    state: str = "pending"  # pending | failed
    error: str | None = None


class Draft(_CacheModel, table=True):
    __tablename__ = "draft"
    conversation_id: int = Field(primary_key=True)
    text: str
    updated_at: str


class Document(_CacheModel, table=True):
    __tablename__ = "document"
    kind: str = Field(primary_key=True)
    id: str = Field(primary_key=True)
    body: str


CONVERSATION_OPS = frozenset({"claim", "message", "resolve", "reopen", "transfer", "snooze", "conversation_update"})


def cache_path(server_url: str, username: str, root: Path | None = None) -> Path:
    digest = hashlib.sha256(f"{server_url.rstrip('/')}\n{username}".encode()).hexdigest()[:16]
    return (root or data_dir()) / "cache" / f"{username}-{digest}.sqlite"


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


class LocalCache:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(self.engine, "connect")
        def _pragmas(conn: Any, _: Any) -> None:
            cur = conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        _metadata.create_all(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    # ---- events -----------------------------------------------------------------

    def load_events(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(CachedEvent.body).order_by(CachedEvent.seq)).scalars().all()
        return [json.loads(body) for body in rows]

    def store_events(self, events: list[dict[str, Any]], cursor: int) -> None:
        """Keep events and move the cursor in one transaction."""
        with self.engine.begin() as conn:
            if events:
                conn.execute(
                    insert(CachedEvent).prefix_with("OR IGNORE"),
                    [{"seq": e["seq"], "body": json.dumps(e, ensure_ascii=False, separators=(",", ":"))} for e in events],
                )
            self._set_meta(conn, "cursor", str(cursor))

    def cursor(self) -> int:
        with self.engine.connect() as conn:
            stored = conn.execute(select(Meta.value).where(Meta.key == "cursor")).scalar()
            top = conn.execute(select(func.max(CachedEvent.seq))).scalar() or 0
        return max(int(stored or 0), top)

    @staticmethod
    def _set_meta(conn: Any, key: str, value: str) -> None:
        conn.execute(insert(Meta).prefix_with("OR REPLACE"), {"key": key, "value": value})

    def get_meta(self, key: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(select(Meta.value).where(Meta.key == key)).scalar()

    def set_meta(self, key: str, value: str) -> None:
        with self.engine.begin() as conn:
            self._set_meta(conn, key, value)

    # ---- outbox -------------------------------------------------------------------

    def enqueue(self, op: str, conversation_id: int | None, payload: dict[str, Any]) -> str:
        key = str(uuid.uuid4())
        with self.engine.begin() as conn:
            conn.execute(
                insert(OutboxItem),
                {"key": key, "op": op, "conversation_id": conversation_id, "payload": json.dumps(payload, ensure_ascii=False), "created_at": _now()},
            )
        return key

    def next_pending(self) -> OutboxItem | None:
        with Session(self.engine) as session:
            item = session.exec(select(OutboxItem).where(OutboxItem.state == "pending").order_by(OutboxItem.id).limit(1)).scalars().first()  # type: ignore[call-overload]
            if item is not None:
                session.expunge(item)
            return item

    def mark_attempt(self, key: str, error: str | None) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(OutboxItem).where(OutboxItem.key == key).values(attempts=OutboxItem.attempts + 1, error=error))

    def mark_failed(self, key: str, error: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(OutboxItem).where(OutboxItem.key == key).values(state="failed", error=error))

    def delivered(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(OutboxItem).where(OutboxItem.key == key))

    def discard(self, key: str) -> None:
        self.delivered(key)

    def retry(self, key: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(update(OutboxItem).where(OutboxItem.key == key).values(state="pending", error=None))

    def pending_items(self) -> list[dict[str, Any]]:
        """Undelivered and failed items, in order, as the reducer's PendingItem fields.
        `conversation_id` is set only for operations on a conversation (the thread shows
        them); `target_id` is the conversation, client or task the item acts on."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(OutboxItem).order_by(OutboxItem.id)).all()
        items = []
        for row in rows:
            payload = json.loads(row.payload)
            items.append(
                {
                    "key": row.key,
                    "op": row.op,
                    "conversation_id": row.conversation_id if row.op in CONVERSATION_OPS else None,
                    "target_id": row.conversation_id,
                    "body": payload.get("body", ""),
                    "kind": payload.get("kind", "reply"),
                    "attachments": payload.get("attachments", []),
                    "error": row.error if row.state == "failed" else None,
                }
            )
        return items

    def unsent_count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(OutboxItem).where(OutboxItem.state == "pending")).scalar() or 0

    # ---- drafts and documents ---------------------------------------------------------

    def get_draft(self, conversation_id: int) -> str:
        with self.engine.connect() as conn:
            return conn.execute(select(Draft.text).where(Draft.conversation_id == conversation_id)).scalar() or ""

    def set_draft(self, conversation_id: int, text: str) -> None:
        with self.engine.begin() as conn:
            if text:
                conn.execute(insert(Draft).prefix_with("OR REPLACE"), {"conversation_id": conversation_id, "text": text, "updated_at": _now()})
            else:
                conn.execute(delete(Draft).where(Draft.conversation_id == conversation_id))

    def get_document(self, kind: str, doc_id: int | str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            body = conn.execute(select(Document.body).where(Document.kind == kind, Document.id == str(doc_id))).scalar()
        return json.loads(body) if body else None

    def documents(self, kind: str) -> dict[str, dict[str, Any]]:
        """Every document of a kind, by id."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(Document.id, Document.body).where(Document.kind == kind)).all()
        return {doc_id: json.loads(body) for doc_id, body in rows}

    def put_document(self, kind: str, doc_id: int | str, data: dict[str, Any]) -> None:
        with self.engine.begin() as conn:
            conn.execute(insert(Document).prefix_with("OR REPLACE"), {"kind": kind, "id": str(doc_id), "body": json.dumps(data, ensure_ascii=False)})
