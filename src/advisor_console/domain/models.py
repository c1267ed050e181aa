"""Pydantic models shared by the server (API schemas) and the client (cache, state).

These are the wire shapes of shared/API.md. The server's SQLModel tables live apart
(server/tables.py) and are converted to these at the edge.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from enum import StrEnum
import unicodedata
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator


class Role(StrEnum):
    advisor = "advisor"
    supervisor = "supervisor"
    trainer = "trainer"
    channel = "channel"


class AdvisorStatus(StrEnum):
    available = "available"
    busy = "busy"
    away = "away"
    offline = "offline"


class Channel(StrEnum):
    chat = "chat"
    whatsapp = "whatsapp"
    email = "email"
    phone = "phone"
    video = "video"


class Stage(StrEnum):
    intent = "intent"
    purchase = "purchase"
    after_sales = "after_sales"


class ConversationStatus(StrEnum):
    queued = "queued"
    assigned = "assigned"
    snoozed = "snoozed"
    resolved = "resolved"


class MessageKind(StrEnum):
    inbound = "inbound"
    reply = "reply"  # outbound, to the client
    note = "note"  # internal, never reaches the client
    call_note = "call_note"  # internal: what was said on a phone call, with its outcome
    whisper = "whisper"  # internal: a team lead to the advisor holding the conversation, only
    system = "system"


# Kinds that never reach the client.
INTERNAL_KINDS = frozenset({MessageKind.note, MessageKind.call_note, MessageKind.whisper})

# What a call_note records (MessageIn.outcome).
CALL_OUTCOMES = ("answered", "no_answer", "voicemail", "callback_requested", "wrong_number")


class Hub(BaseModel):
    code: str
    name: str
    tz: str
    currency: str  # what the hub's clients see prices in


HUBS: dict[str, Hub] = {
    h.code: h
    for h in (
        Hub(code="FLR", name="Florence", tz="Europe/Rome", currency="EUR"),
        Hub(code="NYC", name="New York", tz="America/New_York", currency="USD"),
        Hub(code="TYO", name="Tokyo", tz="Asia/Tokyo", currency="JPY"),
        Hub(code="SEL", name="Seoul", tz="Asia/Seoul", currency="KRW"),
        Hub(code="SHA", name="Shanghai", tz="Asia/Shanghai", currency="CNY"),
        Hub(code="SIN", name="Singapore", tz="Asia/Singapore", currency="SGD"),
    )
}


HUB_CURRENCY: dict[str, str] = {h.code: h.currency for h in HUBS.values()}

# Which hub serves a client's country; Florence serves the rest of the world.
COUNTRY_HUB: dict[str, str] = {
    **dict.fromkeys(("US", "CA", "MX", "BR", "AR", "CL", "CO"), "NYC"),
    "JP": "TYO",
    "KR": "SEL",
    **dict.fromkeys(("CN", "HK", "TW", "MO"), "SHA"),
    **dict.fromkeys(("SG", "MY", "TH", "ID", "AU", "NZ", "IN", "PH", "VN"), "SIN"),
}


def hub_for_country(country: str | None) -> str:
    return COUNTRY_HUB.get((country or "").upper(), "FLR")


def language_of_locale(locale: str) -> str:
    """The conversation language for a locale: "ja-JP" -> "ja"; Traditional Chinese -> "zh-Hant"."""
    parts = locale.replace("_", "-").split("-")
    lang = parts[0].lower() or "en"
    if lang == "zh" and (len(parts) > 1 and parts[1].upper() in ("TW", "HK", "MO") or "HANT" in locale.upper()):
        return "zh-Hant"
    return lang[:10]


def _storable_time(value: datetime) -> datetime:
    """A time the server can store: in UTC it must stay within years 1..9999 (year 1 at
    +00:02 is year 0 in UTC, which no datetime holds)."""
    if value.tzinfo is not None:
        try:
            value.astimezone(timezone.utc)
        except OverflowError:
            raise ValueError("this time is out of range once converted to UTC") from None
    return value


# A time sent by a client (a due date, a snooze, a send_at).
InTime = Annotated[datetime, AfterValidator(_storable_time)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", defer_build=True)


class Advisor(_Model):
    id: int
    username: str
    name: str
    hub: str
    languages: list[str] = Field(default_factory=list)
    role: Role = Role.advisor
    status: AdvisorStatus = AdvisorStatus.available
    capacity: int = 6

    @property
    def sees_everything(self) -> bool:
        """Team leads and trainers see every hub's conversations and events (trainers with
        client data masked); an advisor sees her hub's and her own."""
        return self.role in (Role.supervisor, Role.trainer)


class Purchase(_Model):
    id: int
    sku: str
    product_name: str
    size: str | None = None
    price: float
    currency: str
    at: datetime
    channel: str
    returned: bool = False


class Task(_Model):
    id: int
    client_id: int
    kind: str  # call | follow_up | appointment | callback
    title: str
    due: datetime
    place: str | None = None
    done: bool = False
    outcome: str | None = None
    advisor_id: int | None = None
    appointment_kind: str | None = None  # appointments: in_store | video
    video_link: str | None = None  # video appointments: an https:// link
    completed_at: datetime | None = None  # when it was marked done
    tryon_selection_id: int | None = None  # the try-on selection this follow-up confirms


class Client(_Model):
    id: int
    name: str
    native_name: str | None = None
    locale: str
    country: str
    hub: str
    vic_tier: str  # none | silver | gold | platinum | black
    preferred_channel: str
    consent: dict[str, bool] = Field(default_factory=dict)
    contact_max_per_month: int | None = None
    sizes: dict[str, str] = Field(default_factory=dict)
    taste: dict[str, list[str]] = Field(default_factory=dict)
    notes: str = ""
    lifetime_spend: float = 0.0
    currency: str = "EUR"
    personal_advisor_id: int | None = None
    email: str | None = None
    phone: str | None = None
    birthday: date | None = None


class RecentConversation(_Model):
    id: int
    channel: str
    status: str
    last_activity_at: datetime
    preview: str = ""


class AdvisorRef(_Model):
    username: str
    name: str


TRYON_STATUSES = ("sent", "partly_kept", "kept", "returned")
MAX_TRYON_ITEMS = 10
MAX_TRYON_SIZES = 3


class TryonItem(_Model):
    sku: str
    name: str
    sizes: list[str]
    price: str  # formatted in the client's currency and locale (Babel), e.g. "¥178,000"
    amount: float | None = None
    currency: str | None = None


class TryonPick(_Model):
    sku: str = Field(min_length=1, max_length=40)
    size: str = Field(min_length=1, max_length=20)


class TryonSelection(_Model):
    """Pieces sent to a client to try, with what she kept and sent back."""

    id: int
    client_id: int
    conversation_id: int | None = None
    message_id: int | None = None
    task_id: int | None = None
    advisor: str  # username of the advisor who sent it
    items: list[TryonItem] = Field(default_factory=list)
    note: str | None = None
    status: str = "sent"  # sent | partly_kept | kept | returned
    kept: list[TryonPick] = Field(default_factory=list)
    returned: list[TryonPick] = Field(default_factory=list)
    created_at: datetime
    decided_at: datetime | None = None


class HistoryEntry(_Model):
    """One line of the client's clienteling history: a task done (with its outcome)."""

    at: datetime
    kind: str  # the task's kind: call | follow_up | appointment | callback
    title: str
    outcome: str | None = None
    task_id: int
    advisor_id: int | None = None
    tryon_selection_id: int | None = None


class Client360(Client):
    purchases: list[Purchase] = Field(default_factory=list)
    tasks: list[Task] = Field(default_factory=list)
    # Issue 5 (clienteling), all additive:
    recent_conversations: list[RecentConversation] = Field(default_factory=list)  # last 10, newest activity first
    personal_advisor: AdvisorRef | None = None
    lifetime_spend_formatted: str = ""  # Babel: format_currency(lifetime_spend, currency, locale)
    tryon_selections: list[TryonSelection] = Field(default_factory=list)  # newest first, at most 20
    last_contacted_at: datetime | None = None  # the last advisor reply in any of her conversations
    contacts_this_month: int = 0  # see server/contacts.py for the exact rule
    history: list[HistoryEntry] = Field(default_factory=list)  # tasks done, newest first, at most 50


class Product(_Model):
    id: int
    sku: str
    name: str
    line: str
    category: str
    season: str
    iconic: bool
    colours: list[str] = Field(default_factory=list)
    materials: list[str] = Field(default_factory=list)
    prices: dict[str, float] = Field(default_factory=dict)
    # size -> hub -> units
    stock: dict[str, dict[str, int]] = Field(default_factory=dict)
    image: str | None = None


class Attachment(_Model):
    type: str  # product_card | tryon | quote | call
    sku: str | None = None
    name: str | None = None
    price: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class Message(_Model):
    id: int
    conversation_id: int
    kind: MessageKind
    body: str
    attachments: list[Attachment] = Field(default_factory=list)
    author: str  # advisor username, "client", or "system"
    at: datetime
    delivery: str = "sent"
    idempotency_key: str | None = None
    subject: str | None = None  # email
    scheduled_id: int | None = None  # sent by the server at a time the advisor chose
    whisper_to: str | None = None  # a whisper: the advisor it is for
    delivery_error: str | None = None  # delivery "failed": why


class ConversationSummary(_Model):
    id: int
    client_id: int
    client_name: str
    client_native_name: str | None = None
    vic_tier: str = "none"
    channel: Channel
    stage: Stage = Stage.intent
    status: ConversationStatus = ConversationStatus.queued
    language: str
    hub: str
    assignee: str | None = None  # advisor username
    priority: int = 0
    created_at: datetime
    first_response_at: datetime | None = None
    last_activity_at: datetime
    last_inbound_at: datetime | None = None
    snoozed_until: datetime | None = None
    tags: list[str] = Field(default_factory=list)
    preview: str = ""
    subject: str | None = None  # email conversations
    window_closes_at: datetime | None = None  # WhatsApp: 24 h after the client's last message


class ConversationDetail(ConversationSummary):
    messages: list[Message] = Field(default_factory=list)


class Event(_Model):
    seq: int
    type: str
    at: datetime
    actor: str
    data: dict[str, Any] = Field(default_factory=dict)


# ---- request bodies -------------------------------------------------------------


class TokenRequest(_Model):
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)


class TokenResponse(_Model):
    token: str
    advisor: Advisor
    expires_at: datetime


MAX_MESSAGE_CHARS = 10_000  # longer bodies are refused with 413 (server/services.py)


class MessageIn(_Model):
    body: str = ""
    kind: MessageKind = MessageKind.reply
    attachments: list[Attachment] = Field(default_factory=list, max_length=20)
    # A reply sent later (future, within 30 days): the POST answers 202 with a ScheduledMessage.
    send_at: InTime | None = None
    # The id of an approved WhatsApp canned reply the body fills (outside the 24-hour window).
    template: str | None = Field(default=None, max_length=100)
    # A message of the same conversation quoted by this one.
    quote_message_id: int | None = Field(default=None, ge=1, le=2**31 - 1)
    # call_note only: one of CALL_OUTCOMES.
    outcome: str | None = Field(default=None, max_length=40)


MAX_TAGS = 20
MAX_TAG_CHARS = 40


def normalise_tags(tags: list[str]) -> list[str]:
    """Stripped, lower-cased, deduplicated (first wins); ValueError for a bad tag."""
    out: list[str] = []
    for raw in tags:
        tag = raw.strip().lower()
        if not 1 <= len(tag) <= MAX_TAG_CHARS:
            raise ValueError(f"a tag has 1 to {MAX_TAG_CHARS} characters: {raw[:50]!r}")
        if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Zl", "Zp") for ch in tag):
            raise ValueError(f"a tag may not hold control characters: {raw[:50]!r}")
        if tag not in out:
            out.append(tag)
    if len(out) > MAX_TAGS:
        raise ValueError(f"at most {MAX_TAGS} tags")
    return out


class ConversationUpdateIn(_Model):
    priority: int | None = Field(default=None, ge=0, le=3, strict=True)
    tags: list[str] | None = Field(default=None, max_length=100)
    stage: Stage | None = None

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else normalise_tags(value)


class ScheduledMessage(_Model):
    id: int
    conversation_id: int
    body: str
    kind: MessageKind = MessageKind.reply
    attachments: list[Attachment] = Field(default_factory=list)
    author: str
    send_at: datetime
    created_at: datetime


class CannedReply(_Model):
    id: str
    language: str
    title: str
    body: str  # may hold {address} {first_name} {advisor} {personal_advisor} {size} {product}
    whatsapp_approved: bool = False
    channels: list[str] = Field(default_factory=list)


PresenceState = Literal["viewing", "typing", "left"]


class PresenceIn(_Model):
    state: PresenceState


class PresenceEntry(_Model):
    username: str
    name: str
    state: str  # viewing | typing
    since: datetime


class Presence(_Model):
    """Who is on a conversation now (ephemeral: not in the event log)."""

    conversation_id: int
    advisors: list[PresenceEntry] = Field(default_factory=list)


class TransferIn(_Model):
    to_advisor: str | None = None
    to_hub: str | None = None
    note: str = Field(default="", max_length=5_000)


class ClientNotesIn(_Model):
    notes: str = Field(max_length=20_000)


class TaskIn(_Model):
    kind: str = Field(pattern="^(call|follow_up|appointment|callback)$")
    title: str = Field(min_length=1, max_length=500)
    due: InTime
    place: str | None = Field(default=None, max_length=500)
    # Appointments only: in_store (needs place) or video (needs an https:// video_link).
    appointment_kind: Literal["in_store", "video"] | None = None
    video_link: str | None = Field(default=None, max_length=500)


class TaskUpdateIn(_Model):
    done: bool | None = None
    outcome: str | None = Field(default=None, max_length=5_000)
    due: InTime | None = None


class TaskListItem(Task):
    """A task in the advisor's day: with the client's name and hub (to show due times in
    the advisor's zone and the client's hub zone)."""

    client_name: str
    client_native_name: str | None = None
    client_hub: str
    client_hub_tz: str
    overdue: bool = False


class TaskList(_Model):
    items: list[TaskListItem]
    next_cursor: str | None = None


class ProductDetail(Product):
    """A product with its stock read both ways: `stock` is size -> hub -> units."""

    sizes: list[str] = Field(default_factory=list)  # in catalogue order
    stock_by_hub: dict[str, dict[str, int]] = Field(default_factory=dict)  # hub -> size -> units
    total_by_hub: dict[str, int] = Field(default_factory=dict)  # hub -> units over all sizes
    in_stock_hubs: list[str] = Field(default_factory=list)

    @classmethod
    def of(cls, product: Product) -> "ProductDetail":
        """The product's stock read per hub as well as per size (every hub listed)."""
        by_hub: dict[str, dict[str, int]] = {hub: {} for hub in HUBS}
        for size, per_hub in product.stock.items():
            for hub, units in per_hub.items():
                by_hub.setdefault(hub, {})[size] = units
        totals = {hub: sum(sizes.values()) for hub, sizes in by_hub.items()}
        return cls(
            **product.model_dump(),
            sizes=list(product.stock),
            stock_by_hub=by_hub,
            total_by_hub=totals,
            in_stock_hubs=[hub for hub, total in totals.items() if total > 0],
        )


class OutreachIn(_Model):
    """An advisor-initiated contact: opens (or reuses the open) conversation on `channel`."""

    channel: Channel
    body: str = ""
    attachments: list[Attachment] = Field(default_factory=list, max_length=20)
    subject: str | None = Field(default=None, max_length=500)  # email: the new thread's subject
    template: str | None = Field(default=None, max_length=100)  # WhatsApp outside the window


class ContactCheck(_Model):
    allowed: bool
    code: str | None = None  # None | consent_refused | contact_frequency_exceeded
    reason: str
    channel: str
    contacts_this_month: int
    max_per_month: int | None = None
    next_allowed_at: datetime | None = None  # frequency cap: the first moment of next month (UTC)
    last_contacted_at: datetime | None = None


class TryonItemIn(_Model):
    sku: str = Field(min_length=1, max_length=40)
    # 1 to 3 sizes to try; may be empty for a one-size piece.
    sizes: list[str] = Field(default_factory=list, max_length=MAX_TRYON_SIZES)


class TryonIn(_Model):
    items: list[TryonItemIn] = Field(min_length=1, max_length=MAX_TRYON_ITEMS)
    note: str | None = Field(default=None, max_length=5_000)
    due: InTime | None = None  # of the follow-up task; default: in 7 days


class TryonOutcomeIn(_Model):
    kept: list[TryonPick] = Field(default_factory=list, max_length=30)
    returned: list[TryonPick] = Field(default_factory=list, max_length=30)


class OutreachResult(_Model):
    conversation: ConversationSummary  # after the message
    created_conversation: bool
    message: Message


class TryonResult(_Model):
    selection: TryonSelection
    message: Message  # the reply that carries the selection (attachment type "tryon")
    task: Task  # the follow-up: "Confirm what {name} keeps from the try-on selection"


VIC_TIERS = ("none", "silver", "gold", "platinum", "black")


class CallListWhy(_Model):
    criterion: str  # bought_within_days | vic_tier | line | no_contact_days | birthday_month | hub
    text: str


class CallListItem(_Model):
    client_id: int
    name: str
    native_name: str | None = None
    hub: str
    country: str
    locale: str
    vic_tier: str
    preferred_channel: str
    channel: str  # the channel checked: the `channel` asked for, else the preferred one
    contactable: bool
    code: str | None = None  # as ContactCheck.code
    reason: str
    contacts_this_month: int
    max_per_month: int | None = None
    last_contacted_at: datetime | None = None
    last_purchase_at: datetime | None = None
    birthday: date | None = None
    personal_advisor: str | None = None  # username
    why: list[CallListWhy] = Field(default_factory=list)


class CallList(_Model):
    items: list[CallListItem]
    next_cursor: str | None = None


class AdvisorUpdateIn(_Model):
    status: AdvisorStatus | None = None
    capacity: int | None = Field(default=None, ge=0, le=50)


class SnoozeIn(_Model):
    until: InTime


class InboundContact(_Model):
    name: str = Field(min_length=1, max_length=200)
    email: str | None = Field(default=None, max_length=320)
    phone: str | None = Field(default=None, max_length=40)
    locale: str = "en"
    country: str | None = None


class InboundIn(_Model):
    channel: Channel
    client_id: int | None = None
    contact: InboundContact | None = None
    body: str = Field(min_length=1)
    external_id: str | None = Field(default=None, max_length=200)
    language: str | None = Field(default=None, max_length=10)
    subject: str | None = Field(default=None, max_length=500)  # email


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class EventsPage(_Model):
    events: list[Event]
    last_seq: int


# ---- web chat ---------------------------------------------------------------------------
# The client-facing chat page (/chat) and the live visitors of the website (issue 10).
# See server/webchat.py.


class VisitorView(_Model):
    """A product a visitor viewed."""

    sku: str
    name: str
    at: datetime


class VisitorInvitation(_Model):
    advisor: str  # username
    advisor_name: str
    message: str
    status: Literal["pending", "accepted", "dismissed"]
    at: datetime


class Visitor(_Model):
    """A visitor of the website, as advisors see her (GET /api/v1/visitors, visitor.updated)."""

    id: int
    label: str  # the client's name once linked, else "Visitor <id>"
    client_id: int | None = None
    vic_tier: str = "none"
    vic: bool = False
    returning: bool = False  # seen on an earlier visit, or linked to a client who existed before
    visits: int = 1
    locale: str = "en"
    first_seen_at: datetime
    last_seen_at: datetime
    live: bool = True  # her page reported within the last VISITOR_TTL seconds
    current_page: str | None = None
    current_sku: str | None = None
    current_product: str | None = None
    since: datetime  # on the current page/product since
    viewed: list[VisitorView] = Field(default_factory=list)  # newest first
    conversation_id: int | None = None
    invitation: VisitorInvitation | None = None


class VisitorList(_Model):
    items: list[Visitor]


class VisitorSessionIn(_Model):
    locale: str | None = Field(default=None, max_length=35)
    page: str | None = Field(default=None, max_length=2000)
    sku: str | None = Field(default=None, max_length=40)


class VisitorChatMessage(_Model):
    """A message of her conversation as the visitor sees it: hers, or an advisor's reply."""

    id: int
    conversation_id: int
    kind: Literal["inbound", "reply"]
    body: str
    author_name: str  # "You" for hers, the advisor's name for a reply
    at: datetime
    attachments: list[Attachment] = Field(default_factory=list)


class VisitorSession(_Model):
    """What the page gets when it starts or resumes: keep `token` (localStorage)."""

    token: str
    visitor_id: int
    name: str | None = None  # once linked to a client
    linked: bool = False
    messages: list[VisitorChatMessage] = Field(default_factory=list)
    invitation: VisitorInvitation | None = None
    last_seq: int = 0  # resume the stream after this


class VisitorMessageIn(_Model):
    body: str = Field(min_length=1)


class VisitorTypingIn(_Model):
    typing: bool


class VisitorViewIn(_Model):
    sku: str = Field(min_length=1, max_length=40)
    page: str | None = Field(default=None, max_length=2000)


class VisitorPingIn(_Model):
    page: str | None = Field(default=None, max_length=2000)


class VisitorIdentifyIn(_Model):
    email: str = Field(min_length=3, max_length=320)
    name: str | None = Field(default=None, max_length=200)


class VisitorInvitationIn(_Model):
    accept: bool


class VisitorInviteIn(_Model):
    message: str | None = Field(default=None, max_length=500)
