"""The workstation's local SQLite file: events seen, the outbox, drafts, cached documents.

One file per (server, account) in the user data dir. The outbox is written with
synchronous=FULL before any HTTP call, so a write the advisor made survives a crash of the
app, of the machine, or a dead network.

Plain `sqlite3` (no ORM): the cache is opened on the way to the first frame, and an ORM's
import alone took longer than the rest of the start. One connection, used under a lock;
every write is one transaction.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..config import data_dir

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS cached_event (seq INTEGER PRIMARY KEY, body TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, op TEXT NOT NULL,
        conversation_id INTEGER, payload TEXT NOT NULL DEFAULT '{}', created_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0, state TEXT NOT NULL DEFAULT 'pending', error TEXT)""",
    "CREATE TABLE IF NOT EXISTS draft (conversation_id INTEGER PRIMARY KEY, text TEXT NOT NULL, updated_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS document (kind TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, PRIMARY KEY (kind, id))",
    # The state folded from the events up to `seq` (see Workspace.save_snapshot): one row.
    "CREATE TABLE IF NOT EXISTS snapshot (id INTEGER PRIMARY KEY CHECK (id = 1), version TEXT NOT NULL, seq INTEGER NOT NULL, body BLOB NOT NULL)",
)


@dataclass(frozen=True)
class OutboxItem:
    key: str
    op: str
    conversation_id: int | None  # the target: a conversation, client or task id (see op)
    payload: str


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
        self._lock = threading.RLock()
        self._db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=30000")
        with self._write() as db:
            for statement in SCHEMA:
                db.execute(statement)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (committed, or rolled back on an error)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def _one(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        rows = self._read(sql, params)
        return rows[0][0] if rows else None

    # ---- events -----------------------------------------------------------------

    def load_events(self, after: int = 0) -> list[dict[str, Any]]:
        """The events kept, in order; with `after`, only those after that seq."""
        return [json.loads(body) for (body,) in self._read("SELECT body FROM cached_event WHERE seq > ? ORDER BY seq", (after,))]

    # ---- the state snapshot --------------------------------------------------------------

    def load_snapshot(self) -> tuple[str, int, bytes] | None:
        """(version, seq, body) of the state snapshot, or None."""
        rows = self._read("SELECT version, seq, body FROM snapshot WHERE id = 1")
        return (rows[0][0], int(rows[0][1]), bytes(rows[0][2])) if rows else None

    def save_snapshot(self, version: str, seq: int, body: bytes) -> None:
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO snapshot (id, version, seq, body) VALUES (1, ?, ?, ?)", (version, seq, body))

    def drop_snapshot(self) -> None:
        with self._write() as db:
            db.execute("DELETE FROM snapshot")

    def store_events(self, events: list[dict[str, Any]], cursor: int) -> None:
        """Keep events and move the cursor in one transaction."""
        with self._write() as db:
            if events:
                db.executemany(
                    "INSERT OR IGNORE INTO cached_event (seq, body) VALUES (?, ?)",
                    [(e["seq"], json.dumps(e, ensure_ascii=False, separators=(",", ":"))) for e in events],
                )
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('cursor', ?)", (str(cursor),))

    def cursor(self) -> int:
        stored = self._one("SELECT value FROM meta WHERE key = 'cursor'")
        top = self._one("SELECT max(seq) FROM cached_event") or 0
        return max(int(stored or 0), top)

    def get_meta(self, key: str) -> str | None:
        return self._one("SELECT value FROM meta WHERE key = ?", (key,))

    def set_meta(self, key: str, value: str) -> None:
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    # ---- outbox -------------------------------------------------------------------

    def enqueue(self, op: str, conversation_id: int | None, payload: dict[str, Any]) -> str:
        key = str(uuid.uuid4())
        with self._write() as db:
            db.execute(
                "INSERT INTO outbox (key, op, conversation_id, payload, created_at) VALUES (?, ?, ?, ?, ?)",
                (key, op, conversation_id, json.dumps(payload, ensure_ascii=False), _now()),
            )
        return key

    def next_pending(self) -> OutboxItem | None:
        rows = self._read("SELECT key, op, conversation_id, payload FROM outbox WHERE state = 'pending' ORDER BY id LIMIT 1")
        return OutboxItem(*rows[0]) if rows else None

    def mark_attempt(self, key: str, error: str | None) -> None:
        with self._write() as db:
            db.execute("UPDATE outbox SET attempts = attempts + 1, error = ? WHERE key = ?", (error, key))

    def mark_failed(self, key: str, error: str) -> None:
        with self._write() as db:
            db.execute("UPDATE outbox SET state = 'failed', error = ? WHERE key = ?", (error, key))

    def delivered(self, key: str) -> None:
        with self._write() as db:
            db.execute("DELETE FROM outbox WHERE key = ?", (key,))

    def discard(self, key: str) -> None:
        self.delivered(key)

    def retry(self, key: str) -> None:
        with self._write() as db:
            db.execute("UPDATE outbox SET state = 'pending', error = NULL WHERE key = ?", (key,))

    def pending_items(self) -> list[dict[str, Any]]:
        """Undelivered and failed items, in order, as the reducer's PendingItem fields.
        `conversation_id` is set only for operations on a conversation (the thread shows
        them); `target_id` is the conversation, client or task the item acts on."""
        items = []
        for key, op, target, payload_text, state, error in self._read("SELECT key, op, conversation_id, payload, state, error FROM outbox ORDER BY id"):
            payload = json.loads(payload_text)
            items.append(
                {
                    "key": key,
                    "op": op,
                    "conversation_id": target if op in CONVERSATION_OPS else None,
                    "target_id": target,
                    "body": payload.get("body", ""),
                    "kind": payload.get("kind", "reply"),
                    "attachments": payload.get("attachments", []),
                    "error": error if state == "failed" else None,
                }
            )
        return items

    def unsent_count(self) -> int:
        return self._one("SELECT count(*) FROM outbox WHERE state = 'pending'") or 0

    # ---- drafts and documents ---------------------------------------------------------

    def get_draft(self, conversation_id: int) -> str:
        return self._one("SELECT text FROM draft WHERE conversation_id = ?", (conversation_id,)) or ""

    def set_draft(self, conversation_id: int, text: str) -> None:
        with self._write() as db:
            if text:
                db.execute("INSERT OR REPLACE INTO draft (conversation_id, text, updated_at) VALUES (?, ?, ?)", (conversation_id, text, _now()))
            else:
                db.execute("DELETE FROM draft WHERE conversation_id = ?", (conversation_id,))

    def get_document(self, kind: str, doc_id: int | str) -> dict[str, Any] | None:
        body = self._one("SELECT body FROM document WHERE kind = ? AND id = ?", (kind, str(doc_id)))
        return json.loads(body) if body else None

    def documents(self, kind: str) -> dict[str, dict[str, Any]]:
        """Every document of a kind, by id."""
        return {doc_id: json.loads(body) for doc_id, body in self._read("SELECT id, body FROM document WHERE kind = ?", (kind,))}

    def put_document(self, kind: str, doc_id: int | str, data: dict[str, Any]) -> None:
        with self._write() as db:
            db.execute("INSERT OR REPLACE INTO document (kind, id, body) VALUES (?, ?, ?)", (kind, str(doc_id), json.dumps(data, ensure_ascii=False)))
