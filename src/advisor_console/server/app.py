"""The FastAPI application: `create_app(database_url)`."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from .. import __version__
from . import errors
from .db import is_sqlite, make_engine, migrate, normalise_url, writer
from .deps import ServerState
from .eventlog import EventBus, LogTail, listen_postgres
from .background import BackgroundLoop
from .limits import Limits, LimitsMiddleware
from .trainer_masking import TrainerMasking
from .channels.whatsapp import WhatsAppConfig, WhatsAppSender
from .presence import listen_postgres as listen_presence
from .presence import postgres_notifier
from .routes import advisors, audit, auth, catalogue, clienteling, conversations, events, inbound, presence, recordings, replies, supervision, webhooks

DEFAULT_TOKEN_TTL = 12 * 3600


def create_app(
    database_url: str,
    *,
    token_ttl_seconds: int = DEFAULT_TOKEN_TTL,
    run_migrations: bool = True,
    limits: Limits | None = None,
    background_period: float = 1.0,
    whatsapp: WhatsAppConfig | None = None,
) -> FastAPI:
    url = normalise_url(database_url)
    if run_migrations:
        migrate(url)
    engine = make_engine(url)
    bus = EventBus()
    bus.install(engine)
    state = ServerState(engine=engine, write_engine=writer(engine), bus=bus, token_ttl_seconds=token_ttl_seconds, tail=LogTail(engine, events.sse_frame))
    state.whatsapp = whatsapp or WhatsAppConfig.from_env()
    sender = None
    if state.whatsapp is not None:
        # WhatsApp replies start "pending" and the sender moves them on.
        for e in (engine, state.write_engine):
            e.outbound_channels = frozenset({"whatsapp"})  # type: ignore[attr-defined]
        sender = WhatsAppSender(state.whatsapp, state.write_engine, engine)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = threading.Event()
        if not is_sqlite(url):
            listen_postgres(url, bus, stop)
            state.presence.notify_peers = postgres_notifier(engine)
            listen_presence(url, state.presence, stop)
        background = BackgroundLoop(state, period=background_period, senders=[sender] if sender else [])  # snooze wake-ups, scheduled sends, channels
        background.start()
        yield
        background.stop()
        if sender is not None:
            sender.close()
        stop.set()
        bus.notify()  # let open streams notice the shutdown
        engine.dispose()

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
    for module in (auth, advisors, conversations, catalogue, clienteling, inbound, events, audit, replies, presence, supervision, recordings, webhooks):
        app.include_router(module.router, responses=errors.ERROR_RESPONSES)

    @app.get("/api/v1/health", tags=["meta"], responses={429: errors.ERROR_RESPONSES[429]})
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    return app
