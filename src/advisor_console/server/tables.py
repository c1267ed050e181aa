"""SQLModel tables of the server. API shapes live in domain/models.py; `to_*` convert."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Index, Text, TypeDecorator, UniqueConstraint
from sqlmodel import Field, SQLModel

from ..domain.models import (
    Advisor,
    Client,
    ConversationDetail,
    ConversationSummary,
    Message,
    Product,
    Purchase,
    ScheduledMessage,
    Task,
    TryonSelection,
)

WHATSAPP_WINDOW = timedelta(hours=24)


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC everywhere (SQLite has no zones); read back as aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _json(default: Any = None) -> Any:
    return Field(default_factory=(lambda: type(default)()) if default is not None else None, sa_column=Column(JSON, nullable=default is None))


class AdvisorRow(SQLModel, table=True):
    __tablename__ = "advisor"
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(index=True, unique=True, max_length=200)
    name: str
    hub: str = Field(index=True, max_length=8)
    languages: list[str] = _json([])
    role: str = Field(default="advisor", max_length=20)
    status: str = Field(default="available", max_length=20)
    capacity: int = 6
    password_hash: str

    def to_model(self) -> Advisor:
        return Advisor.model_validate(self.model_dump(exclude={"password_hash"}))


class TokenRow(SQLModel, table=True):
    __tablename__ = "auth_token"
    token_hash: str = Field(primary_key=True, max_length=64)
    advisor_id: int = Field(foreign_key="advisor.id", index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)


class ClientRow(SQLModel, table=True):
    __tablename__ = "client"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True)
    native_name: str | None = None
    locale: str = Field(max_length=20)
    country: str = Field(max_length=2)
    hub: str = Field(index=True, max_length=8)
    vic_tier: str = Field(default="none", max_length=20)
    preferred_channel: str = Field(default="email", max_length=20)
    consent: dict[str, bool] = _json({})
    contact_max_per_month: int | None = None
    sizes: dict[str, str] = _json({})
    taste: dict[str, list[str]] = _json({})
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    lifetime_spend: float = 0.0
    currency: str = Field(default="EUR", max_length=3)
    personal_advisor_id: int | None = Field(default=None, foreign_key="advisor.id")
    email: str | None = Field(default=None, index=True)
    phone: str | None = Field(default=None, index=True)
    birthday: date | None = None

    def to_model(self) -> Client:
        return Client.model_validate(self.model_dump())


class ProductRow(SQLModel, table=True):
    __tablename__ = "product"
    id: int | None = Field(default=None, primary_key=True)
    sku: str = Field(index=True, unique=True, max_length=40)
    name: str
    line: str = Field(index=True)
    category: str = Field(index=True)
    season: str
    iconic: bool = False
    colours: list[str] = _json([])
    materials: list[str] = _json([])
    prices: dict[str, float] = _json({})
    stock: dict[str, dict[str, int]] = _json({})
    image: str | None = None
    # Lower-cased name, sku, line, colours and materials: what search matches.
    search_text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # What is in stock where, as tokens the lookbook's filters match (see `stock_keys`).
    stock_keys: str = Field(default="", sa_column=Column(Text, nullable=False, default="", server_default=""))

    def to_model(self) -> Product:
        return Product.model_validate(self.model_dump(exclude={"search_text", "stock_keys"}))


def stock_keys(stock: dict[str, dict[str, int]] | None) -> str:
    """`|HUB|HUB=SIZE|=SIZE|...|`: for every hub with a unit of any size in stock `HUB`, for
    every size in stock at a hub `HUB=SIZE`, and for every size in stock somewhere `=SIZE`.
    The lookbook's `in_stock_hub` and `size` filters are a LIKE on one token (product
    `stock` changes must rewrite it; the seed and migration 0005 write it)."""
    hubs: set[str] = set()
    pairs: list[str] = []
    sizes: list[str] = []
    for size, per_hub in (stock or {}).items():
        here = [hub for hub, units in (per_hub or {}).items() if units and units > 0]
        if here:
            sizes.append(f"={size}")
        for hub in here:
            hubs.add(hub)
            pairs.append(f"{hub}={size}")
    tokens = sorted(hubs) + pairs + sizes
    return "|" + "|".join(tokens) + "|" if tokens else ""


class PurchaseRow(SQLModel, table=True):
    __tablename__ = "purchase"
    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    product_id: int = Field(foreign_key="product.id")
    sku: str
    product_name: str
    size: str | None = None
    price: float
    currency: str = Field(max_length=3)
    at: datetime = Field(sa_type=UTCDateTime)
    channel: str
    returned: bool = False

    def to_model(self) -> Purchase:
        return Purchase.model_validate(self.model_dump())


class TaskRow(SQLModel, table=True):
    __tablename__ = "task"
    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    advisor_id: int | None = Field(default=None, foreign_key="advisor.id", index=True)
    kind: str
    title: str
    due: datetime = Field(sa_type=UTCDateTime)
    place: str | None = None
    done: bool = False
    outcome: str | None = None
    appointment_kind: str | None = Field(default=None, max_length=20)
    video_link: str | None = Field(default=None, max_length=500)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    tryon_selection_id: int | None = None

    def to_model(self) -> Task:
        return Task.model_validate(self.model_dump())


class TryonSelectionRow(SQLModel, table=True):
    """Pieces sent to a client to try on (issue 5), and what she kept or returned."""

    __tablename__ = "tryon_selection"
    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    conversation_id: int | None = Field(default=None, foreign_key="conversation.id")
    message_id: int | None = None
    task_id: int | None = None
    advisor: str = Field(max_length=200)  # username
    items: list[dict[str, Any]] = _json([])  # TryonItem
    note: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    status: str = Field(default="sent", max_length=20)  # sent | partly_kept | kept | returned
    kept: list[dict[str, Any]] = _json([])  # TryonPick
    returned: list[dict[str, Any]] = _json([])
    created_at: datetime = Field(sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    def to_model(self) -> TryonSelection:
        return TryonSelection.model_validate(self.model_dump())


class ConversationRow(SQLModel, table=True):
    __tablename__ = "conversation"
    __table_args__ = (Index("ix_conversation_status_hub", "status", "hub"),)
    id: int | None = Field(default=None, primary_key=True)
    client_id: int = Field(foreign_key="client.id", index=True)
    channel: str = Field(max_length=20)
    stage: str = Field(default="intent", max_length=20)
    status: str = Field(default="queued", max_length=20)
    language: str = Field(max_length=10)
    hub: str = Field(max_length=8)
    assignee_id: int | None = Field(default=None, foreign_key="advisor.id", index=True)
    priority: int = 0
    created_at: datetime = Field(sa_type=UTCDateTime)
    first_response_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_activity_at: datetime = Field(sa_type=UTCDateTime)
    last_inbound_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    snoozed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    tags: list[str] = _json([])
    preview: str = ""
    subject: str | None = Field(default=None, max_length=500)  # email: the first inbound's subject

    def window_closes_at(self) -> datetime | None:
        """WhatsApp's customer-service window: 24 h after the client's last message."""
        if self.channel != "whatsapp" or self.last_inbound_at is None:
            return None
        return self.last_inbound_at + WHATSAPP_WINDOW


class MessageRow(SQLModel, table=True):
    __tablename__ = "message"
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    kind: str = Field(max_length=20)
    body: str = Field(sa_column=Column(Text, nullable=False))
    attachments: list[dict[str, Any]] = _json([])
    author: str
    at: datetime = Field(sa_type=UTCDateTime)
    delivery: str = "sent"
    idempotency_key: str | None = None
    subject: str | None = Field(default=None, max_length=600)
    scheduled_id: int | None = None
    whisper_to: str | None = Field(default=None, max_length=80)  # a whisper: the one advisor who sees it
    external_id: str | None = Field(default=None, max_length=200, index=True)  # the channel's id (a wamid)
    delivery_error: str | None = Field(default=None, max_length=500)  # why the channel refused it

    def to_model(self) -> Message:
        return Message.model_validate(self.model_dump())


class ScheduledMessageRow(SQLModel, table=True):
    """A reply the server sends at `send_at` (services.send_scheduled), then deletes."""

    __tablename__ = "scheduled_message"
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    kind: str = Field(max_length=20)
    body: str = Field(sa_column=Column(Text, nullable=False))
    attachments: list[dict[str, Any]] = _json([])
    author: str
    author_id: int = Field(foreign_key="advisor.id")
    template: str | None = Field(default=None, max_length=100)
    send_at: datetime = Field(sa_type=UTCDateTime, index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)

    def to_model(self) -> ScheduledMessage:
        return ScheduledMessage.model_validate(self.model_dump())


class EventRow(SQLModel, table=True):
    """The append-only log. `seq` is assigned under a lock so commit order = seq order."""

    __tablename__ = "event"
    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    type: str = Field(max_length=60)
    at: datetime = Field(sa_type=UTCDateTime)
    actor: str
    data: dict[str, Any] = _json({})
    # For filtering a stream by what its reader may see.
    conversation_id: int | None = Field(default=None, index=True)
    hub: str | None = Field(default=None, max_length=8)
    assignee: str | None = None
    # A transfer is seen by the side it leaves as well as the side it reaches.
    prev_hub: str | None = Field(default=None, max_length=8)
    prev_assignee: str | None = None


class IdempotencyRow(SQLModel, table=True):
    """First answer to a write, replayed for a repeat of the same key by the same actor."""

    __tablename__ = "idempotency"
    __table_args__ = (UniqueConstraint("scope", "key", name="uq_idempotency_scope_key"),)
    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=220)  # actor username, or "inbound:<channel>"
    key: str = Field(max_length=200)
    request_hash: str = Field(max_length=64)
    status_code: int
    response: dict[str, Any] = _json({})
    created_at: datetime = Field(sa_type=UTCDateTime)


def conversation_summary(conv: ConversationRow, client: ClientRow, assignee: str | None) -> ConversationSummary:
    return ConversationSummary(
        id=conv.id or 0,
        client_id=conv.client_id,
        client_name=client.name,
        client_native_name=client.native_name,
        vic_tier=client.vic_tier,
        channel=conv.channel,  # type: ignore[arg-type]
        stage=conv.stage,  # type: ignore[arg-type]
        status=conv.status,  # type: ignore[arg-type]
        language=conv.language,
        hub=conv.hub,
        assignee=assignee,
        priority=conv.priority,
        created_at=conv.created_at,
        first_response_at=conv.first_response_at,
        last_activity_at=conv.last_activity_at,
        last_inbound_at=conv.last_inbound_at,
        snoozed_until=conv.snoozed_until,
        tags=list(conv.tags or []),
        preview=conv.preview,
        window_closes_at=conv.window_closes_at(),
        subject=conv.subject,
    )


def conversation_detail(summary: ConversationSummary, messages: list[MessageRow]) -> ConversationDetail:
    return ConversationDetail(**summary.model_dump(), messages=[m.to_model() for m in messages])


class AuditRow(SQLModel, table=True):
    """Who viewed or changed a client's profile, and when (supervisors read it)."""

    __tablename__ = "audit"
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    actor: str = Field(index=True)
    action: str = Field(max_length=40)  # client.view | client.notes | task.create | task.update
    client_id: int | None = Field(default=None, index=True)
    detail: dict[str, Any] = _json({})


# ---- supervision ----------------------------------------------------------------------------


class SettingRow(SQLModel, table=True):
    """A team-lead setting: one JSON document per key (server/supervision.py)."""

    __tablename__ = "setting"
    key: str = Field(primary_key=True, max_length=60)
    value: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))


# ---- web chat ---------------------------------------------------------------------------------


class WebVisitorRow(SQLModel, table=True):
    """A visitor of the website's chat page (server/webchat.py). Her token is kept hashed."""

    __tablename__ = "web_visitor"
    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    last_seen_at: datetime = Field(sa_type=UTCDateTime, index=True)
    visit_started_at: datetime = Field(sa_type=UTCDateTime)
    visits: int = 1
    live: bool = True
    locale: str = Field(default="en", max_length=35)
    client_id: int | None = Field(default=None, foreign_key="client.id", index=True)
    known_client: bool = False  # linked to a client who existed before her visit
    current_page: str | None = Field(default=None, max_length=2000)
    current_sku: str | None = Field(default=None, max_length=40)
    current_product: str | None = None
    current_since: datetime = Field(sa_type=UTCDateTime)
    viewed: list[dict[str, Any]] = _json([])  # VisitorView, newest first
    conversation_ids: list[int] = _json([])  # the conversations she wrote in from this browser
    invited_by_id: int | None = Field(default=None, foreign_key="advisor.id")
    invitation_status: str | None = Field(default=None, max_length=20)  # pending | accepted | dismissed
    invitation_message: str | None = Field(default=None, max_length=500)
    invitation_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
