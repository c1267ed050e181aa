"""Request dependencies: database sessions and the signed-in advisor."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Annotated

from fastapi import Depends, Header, Request
from sqlalchemy import Engine
from sqlmodel import Session

from ..domain.models import Advisor, Role
from .errors import ApiError, forbidden
from .eventlog import EventBus, LogTail, utcnow
from .fanout import new_registry
from .presence import PresenceHub
from .security import token_digest
from .tables import AdvisorRow, TokenRow


@dataclass
class ServerState:
    engine: Engine
    write_engine: Engine
    bus: EventBus
    token_ttl_seconds: int
    presence: PresenceHub = field(default_factory=PresenceHub)  # who views/types where (not logged)
    tail: LogTail | None = None  # the newest events, shared by this process's SSE streams
    whatsapp: Any = None  # channels.whatsapp.WhatsAppConfig when the adapter is enabled
    streams: Any = field(default_factory=new_registry)  # the SSE streams of each event loop (fanout.StreamHub)


def server_state(request: Request) -> ServerState:
    return request.app.state.server


def read_session(request: Request) -> Iterator[Session]:
    with Session(server_state(request).engine) as session:
        yield session


def current_advisor(
    request: Request,
    authorization: Annotated[str | None, Header()] = None,
) -> Advisor:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise ApiError(401, "unauthorized", "Sign in first: send Authorization: Bearer <token>.", {"WWW-Authenticate": "Bearer"})
    token = authorization[7:].strip()
    with Session(server_state(request).engine) as session:
        row = session.get(TokenRow, token_digest(token))
        if row is None:
            raise ApiError(401, "unauthorized", "This token is not valid. Sign in again.", {"WWW-Authenticate": "Bearer"})
        if row.expires_at <= utcnow():
            raise ApiError(401, "token_expired", "This token has expired. Sign in again.", {"WWW-Authenticate": "Bearer"})
        adv = session.get(AdvisorRow, row.advisor_id)
        if adv is None:
            raise ApiError(401, "unauthorized", "This account no longer exists.")
        request.state.advisor_role = adv.role  # for the trainer's masking (server/trainer_masking.py)
        return adv.to_model()


CurrentAdvisor = Annotated[Advisor, Depends(current_advisor)]
ReadSession = Annotated[Session, Depends(read_session)]
State = Annotated[ServerState, Depends(server_state)]


def require(advisor: Advisor, *roles: Role) -> None:
    if advisor.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise forbidden(f"This needs the role {allowed}; you are signed in as {advisor.role.value}.")


STAFF = (Role.advisor, Role.supervisor)
READERS = (Role.advisor, Role.supervisor, Role.trainer)
