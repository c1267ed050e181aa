"""Engines and migrations for SQLite and PostgreSQL.

SQLite: WAL, a busy timeout and `BEGIN IMMEDIATE` for every transaction, so concurrent
writers queue instead of failing with "database is locked" half-way through.
PostgreSQL: psycopg 3; the event log serialises appends with an advisory lock (eventlog.py).
The schema is created and upgraded by Alembic only (server/migrations).
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import TimeoutError as PoolTimeout

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def normalise_url(url: str) -> str:
    """Accept postgres:// and postgresql:// and pick the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


class _SQLiteConnection(sqlite3.Connection):
    """A sqlite3 connection that lets go of this process's write lock (see make_engine)
    once its transaction is over."""

    holds_write_lock: Any = None

    def _release(self) -> None:
        lock, self.holds_write_lock = self.holds_write_lock, None
        if lock is not None:
            lock.release()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            if self.in_transaction is False:
                self._release()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._release()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._release()

    def __del__(self) -> None:  # dropped without close(): the lock must not stay taken
        self._release()


class WouldWait(Exception):
    """A write on a `nowait` engine found the write lock taken (by a thread of this process or
    by another process): nothing was done; run it where waiting is allowed."""


def make_engine(url: str, *, pool_size: int = 20, nowait: bool = False, write_lock: threading.Lock | None = None) -> Engine:
    """An engine on `url`. With `nowait`, one connection whose write transactions never wait
    (`WouldWait` instead: for the event loop's own writes, deps.run_write); SQLite only:
    `write_lock` shares this process's write lock with the engine it came from."""
    url = normalise_url(url)
    if is_sqlite(url):
        path = make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        sizes = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 0} if nowait else {"pool_size": pool_size, "max_overflow": 20}
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 0 if nowait else 30, "factory": _SQLiteConnection}, **sizes)

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy, not pysqlite, decide when transactions begin.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute(f"PRAGMA busy_timeout={0 if nowait else 30000}")
            if nowait:  # the event loop's commits never copy the WAL back (an fsync): see checkpoint()
                cur.execute("PRAGMA wal_autocheckpoint=0")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        # The threads of this process queue for the write lock on a Python lock first: SQLite's
        # busy handler polls with sleeps growing to 100 ms, so many threads waiting in
        # BEGIN IMMEDIATE leave the lock idle most of the time (writes fell to ~30/s under
        # load); a lock handed from thread to thread keeps it busy. It is released by the
        # DBAPI connection's own commit/rollback/close, after SQLite has let go. Other
        # processes still queue through the busy handler.
        lock = write_lock or threading.Lock()
        engine.sqlite_write_lock = lock  # type: ignore[attr-defined]  # (the nowait engine shares it)

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            # Writers take the write lock up front (no upgrade deadlocks); readers don't.
            if conn.get_execution_options().get("write"):
                dbapi_conn = conn.connection.dbapi_connection
                if nowait:
                    if not lock.acquire(blocking=False):
                        raise WouldWait("another thread of this process is writing")
                    dbapi_conn.holds_write_lock = lock
                # (A thread that already holds it in another transaction waits out the
                # timeout, then meets SQLite's own busy timeout: an error, as before, not a hang.)
                elif dbapi_conn.holds_write_lock is None and lock.acquire(timeout=30):
                    dbapi_conn.holds_write_lock = lock
                try:
                    conn.exec_driver_sql("BEGIN IMMEDIATE")
                except BaseException as exc:
                    dbapi_conn._release()
                    if nowait:  # busy_timeout 0: another process holds SQLite's lock
                        raise WouldWait(f"the database is locked: {exc}") from exc
                    raise
            else:
                conn.exec_driver_sql("BEGIN")

        return engine
    if nowait:
        return _postgres_nowait_engine(url)
    return create_engine(url, pool_size=pool_size, max_overflow=20, pool_pre_ping=True)


# How long the event loop's PostgreSQL connection may wait for a row lock before giving up
# (`WouldWait`): every writer takes the log's advisory lock first, and the loop only tries
# it (eventlog.serialise_writes), so a wait here means a write that skipped it.
LOOP_LOCK_TIMEOUT_MS = 50


# The log's write lock (eventlog.serialise_writes): a transaction-scoped advisory lock.
PG_LOG_LOCK_KEY = 7_261_354


def _postgres_nowait_engine(url: str) -> Engine:
    """PostgreSQL's engine for the event loop's writes (every transaction on it is a write
    to the log). One connection; never pinged on checkout (a dead connection fails the
    write, which then runs in a thread on the pinged engine); a short lock timeout. Each
    transaction begins by trying the log's write lock in the same round trip as its BEGIN
    (the driver, left in autocommit, sends no BEGIN of its own; its commit and rollback
    still end the transaction): `WouldWait` when another transaction holds it. Option
    `nowait` tells eventlog.serialise_writes the lock is held."""
    engine = create_engine(url, pool_size=1, max_overflow=0, pool_timeout=0, connect_args={"connect_timeout": 2})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        with dbapi_conn.cursor() as cur:
            cur.execute(f"SET lock_timeout = {LOOP_LOCK_TIMEOUT_MS}")
        dbapi_conn.commit()
        dbapi_conn.autocommit = True

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        try:
            with conn.connection.dbapi_connection.cursor() as cur:
                cur.execute(f"BEGIN; SELECT pg_try_advisory_xact_lock({PG_LOG_LOCK_KEY})")  # no parameters: one simple query
                cur.nextset()
                row = cur.fetchone()
        except Exception as exc:  # a dead connection (a restart): dropped; a pinged one in a thread
            conn.invalidate()
            raise WouldWait(f"the loop's connection failed: {exc}") from exc
        if not (row and row[0]):
            conn.connection.dbapi_connection.rollback()
            raise WouldWait("another transaction holds the log's write lock")

    return engine.execution_options(nowait=True)


def make_loop_reader(url: str) -> Engine:
    """An engine for the reads the event loop makes itself (the log's tail after each commit,
    eventlog.LogTail): one connection of its own, so the loop never waits for the pool. On
    PostgreSQL, in autocommit (a read is one round trip: no BEGIN, no ROLLBACK) and never
    pinged (a dead connection fails the read, which is then made in a thread)."""
    url = normalise_url(url)
    if is_sqlite(url):
        return make_engine(url, pool_size=1)
    return create_engine(url, pool_size=1, max_overflow=0, pool_timeout=0, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 2})


def is_local_postgres(url: str) -> bool:
    """Whether the PostgreSQL server of `url` is on this machine (loopback or a Unix socket):
    only then may the event loop wait for its round trips."""
    parsed = make_url(normalise_url(url))
    host = parsed.host or parsed.query.get("host") or ""
    if isinstance(host, tuple):
        host = host[0] if host else ""
    return host in ("", "localhost", "127.0.0.1", "::1") or host.startswith("/")


def would_wait(exc: BaseException) -> bool:
    """Whether `exc` is a nowait engine declining to wait, nothing written: the write lock
    taken (`WouldWait`), a row lock past the lock timeout (SQLSTATE 55P03,
    lock_not_available), or its one connection busy on another event loop (PoolTimeout)."""
    return isinstance(exc, (WouldWait, PoolTimeout)) or getattr(getattr(exc, "orig", None), "sqlstate", None) == "55P03"


def checkpoint(engine: Engine) -> tuple[int, int] | None:
    """SQLite: copy what the WAL holds back into the database file, as far as readers allow
    (PASSIVE: waits for nobody). The event loop's write connection never does it itself (a
    checkpoint is an fsync, a stall of every stream), so the background loop does, each
    second; the other connections still checkpoint on their own past 1,000 pages."""
    if engine.dialect.name != "sqlite":
        return None
    with engine.connect() as conn:
        _busy, log, done = conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)").one()
    return log, done  # pages in the WAL, and of those now in the database file


def writer(engine: Engine) -> Engine:
    """The engine to open write transactions on (BEGIN IMMEDIATE on SQLite)."""
    return engine.execution_options(write=True)


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def migrate(url: str) -> None:
    """Bring the database at `url` to the newest schema."""
    from alembic import command

    command.upgrade(alembic_config(url), "head")
