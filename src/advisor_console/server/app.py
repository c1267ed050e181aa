"""The FastAPI application: `create_app(database_url)`."""

from __future__ import annotations

import threading
import warnings
from collections.abc import AsyncIterator
from typing import Any
from contextlib import asynccontextmanager

from fastapi import FastAPI
from pydantic.warnings import UnsupportedFieldAttributeWarning

from .. import __version__
from . import errors
from .db import is_local_postgres, is_sqlite, make_engine, make_loop_reader, migrate, normalise_url, writer
from .deps import ServerState
from .eventlog import EventBus, LogTail, listen_postgres
from .fanout import DirectSend
from .background import BackgroundLoop
from .limits import Limits, LimitsMiddleware
from .trainer_masking import TrainerMasking
from .channels.email import EmailConfig, EmailSender, start_smtp
from .channels.whatsapp import WhatsAppConfig, WhatsAppSender
from .presence import listen_postgres as listen_presence
from .presence import postgres_notifier
from .routes import advisors, audit, auth, catalogue, clienteling, conversations, events, inbound, presence, recordings, replies, supervision, webchat, webhooks

DEFAULT_TOKEN_TTL = 12 * 3600


# FastAPI builds a body parameter's validator as Annotated[Model, Field(alias=<parameter>)]
# when the first request comes; for a model whose schema is built lazily (domain models use
# defer_build), pydantic warns that the alias has no effect there. It has none: FastAPI
# reads the body by the parameter's name itself. One line per route in every server log.
warnings.filterwarnings("ignore", message="The 'alias' attribute with value 'body'", category=UnsupportedFieldAttributeWarning)


def create_app(
    database_url: str,
    *,
    token_ttl_seconds: int = DEFAULT_TOKEN_TTL,
    run_migrations: bool = True,
    limits: Limits | None = None,
    background_period: float = 1.0,
    whatsapp: WhatsAppConfig | None = None,
    email: EmailConfig | None = None,
) -> FastAPI:
    url = normalise_url(database_url)
    if run_migrations:
        migrate(url)
    engine = make_engine(url)
    bus = EventBus()
    bus.install(engine)
    tail = LogTail(engine)
    state = ServerState(engine=engine, write_engine=writer(engine), bus=bus, token_ttl_seconds=token_ttl_seconds, tail=tail)
    # The event loop's own writes (deps.run_write): on SQLite sharing the process's write lock;
    # on PostgreSQL only when the server is on this machine (the loop waits out its round trips).
    loop_engine = None
    if is_sqlite(url):
        loop_engine = make_engine(url, nowait=True, write_lock=engine.sqlite_write_lock)  # type: ignore[attr-defined]
    elif is_local_postgres(url):
        loop_engine = make_engine(url, nowait=True)
    if loop_engine is not None:
        bus.install(loop_engine)
        state.loop_write_engine = writer(loop_engine)
        tail.loop_engine = make_loop_reader(url)
    state.whatsapp = whatsapp or WhatsAppConfig.from_env()
    email = email or EmailConfig.from_env()
    senders: list[Any] = []
    if state.whatsapp is not None:
        senders.append(WhatsAppSender(state.whatsapp, state.write_engine, engine))
    if email is not None and email.relay_host:
        senders.append(EmailSender(email, state.write_engine, engine))
    # Replies on channels with a sender start "pending"; the sender moves them on.
    outbound = frozenset(ch for ch, on in (("whatsapp", state.whatsapp is not None), ("email", bool(email and email.relay_host))) if on)
    for e in (engine, state.write_engine, state.loop_write_engine):
        if e is not None:
            e.outbound_channels = outbound  # type: ignore[attr-defined]

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        if not is_sqlite(url):
            listen_postgres(url, bus, stop)
            state.presence.notify_peers = postgres_notifier(engine)
            listen_presence(url, state.presence, stop)
        background = BackgroundLoop(state, period=background_period, senders=senders)  # snooze wake-ups, scheduled sends, channels
        background.start()
        smtp = start_smtp(email, state.write_engine) if email is not None and email.smtp_port else None
        yield
        if smtp is not None:
            smtp.stop()
        background.stop()
        for sender in senders:
            sender.close()
        stop.set()
        bus.notify()  # let open streams notice the shutdown
        engine.dispose()
        for own in (state.loop_write_engine, tail.loop_engine):
            if own is not None:
                own.dispose()

    app = FastAPI(
        title="Advisor Console API",
        version=__version__,
        description="The server of Advisor Console: event log, conversations, clients, lookbook. See shared/API.md.",
        lifespan=lifespan,
    )
    app.state.server = state
    errors.install(app)
    app.add_middleware(TrainerMasking, engine=engine)  # trainers see client data masked, always
    app.add_middleware(LimitsMiddleware, limits=limits or Limits())
    app.add_middleware(DirectSend)  # outermost of ours: the SSE broadcaster writes through it
    for module in (auth, advisors, conversations, catalogue, clienteling, inbound, events, audit, replies, presence, supervision, recordings, webhooks, webchat):
        app.include_router(module.router, responses=errors.ERROR_RESPONSES)

    @app.get("/api/v1/health", tags=["meta"], responses={429: errors.ERROR_RESPONSES[429]})
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app
