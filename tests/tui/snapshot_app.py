"""A workstation built from fixed data, for snapshot tests and for trying the UI without a
server: a fake Workspace (same methods, no I/O) over state from the real reducer.

    python tests/tui/snapshot_app.py          # look at it
"""

from __future__ import annotations

import asyncio
import itertools
import shutil
import tempfile
from pathlib import Path
from datetime import date, datetime, timedelta, timezone
from typing import Any

from advisor_console.config import Settings
from advisor_console.domain import events as ev
from advisor_console.domain.models import Advisor, AdvisorRef, Attachment, CallListItem, CallListWhy, Client360, ContactCheck, Product, ProductDetail, Purchase, RecentConversation, Task, TaskListItem, TryonItem, TryonSelection
from advisor_console.client.cache import LocalCache
from advisor_console.client.workspace import Workspace, message_payload
from advisor_console.domain.reducer import apply

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)  # 18:00 in Tokyo
ME = Advisor(id=1, username="advisor", name="Aiko Mori", hub="TYO", languages=["ja", "en"])
COLLEAGUE = Advisor(id=2, username="kenji.watanabe", name="Kenji Watanabe", hub="TYO", languages=["ja", "en", "zh"])


def _t(minutes_ago: float) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).isoformat()


def _client(cid: int, name: str, native: str | None, tier: str, **kw: Any) -> dict[str, Any]:
    return {"id": cid, "name": name, "native_name": native, "tier": tier, **kw}


CLIENTS = {
    101: _client(101, "Yuki Tanaka", "田中 由紀", "gold", locale="ja-JP", country="JP"),
    102: _client(102, "Marco Rossi", None, "none", locale="it-IT", country="IT"),
    103: _client(103, "Kim Seo-yeon", "김서연", "platinum", locale="ko-KR", country="KR"),
    104: _client(104, "Li Wei 👩‍👩‍👧", "李伟", "black", locale="zh-CN", country="CN"),
    105: _client(105, "Zoe\u0308 A\u030angstro\u0308m", None, "silver", locale="sv-SE", country="SE"),
    106: _client(106, "José Nuñez", None, "none", locale="es-MX", country="MX"),
    107: _client(107, "\x1b[31mEvil\u202egnp.exe", None, "none", locale="en-US", country="US"),
}


class _Events:
    def __init__(self) -> None:
        self.seq = itertools.count(1)
        self.msg = itertools.count(1000)
        self.events: list[dict[str, Any]] = []
        self.convs: dict[int, dict[str, Any]] = {}

    def conversation(self, conv_id: int, client_id: int, channel: str, minutes_ago: float, *, status: str = "queued", assignee: str | None = None, language: str = "ja", priority: int = 0) -> None:
        c = CLIENTS[client_id]
        self.convs[conv_id] = {
            "id": conv_id, "client_id": client_id, "client_name": c["name"], "client_native_name": c["native_name"],
            "vic_tier": c["tier"], "channel": channel, "stage": "intent", "status": status, "language": language,
            "hub": "TYO", "assignee": assignee, "priority": priority, "created_at": _t(minutes_ago),
            "last_activity_at": _t(minutes_ago), "last_inbound_at": None, "tags": [], "preview": "",
        }
        self._emit(ev.CONVERSATION_CREATED, minutes_ago, {"conversation": dict(self.convs[conv_id])})

    def message(self, conv_id: int, kind: str, body: str, minutes_ago: float, author: str = "client", attachments: list[dict[str, Any]] | None = None) -> None:
        conv = self.convs[conv_id]
        conv["last_activity_at"] = _t(minutes_ago)
        if kind == "inbound":
            conv["last_inbound_at"] = _t(minutes_ago)
            if conv["channel"] == "whatsapp":  # as the server computes it
                conv["window_closes_at"] = _t(minutes_ago - 24 * 60)
        if kind in ("inbound", "reply"):
            conv["preview"] = body[:120]
        mid = next(self.msg)
        message = {"id": mid, "conversation_id": conv_id, "kind": kind, "body": body, "attachments": attachments or [], "author": author, "at": _t(minutes_ago)}
        self._emit(ev.MESSAGE_CREATED, minutes_ago, {"conversation": dict(conv), "message": message})

    def claim(self, conv_id: int, who: str, minutes_ago: float) -> None:
        self.convs[conv_id].update(status="assigned", assignee=who)
        self._emit(ev.CONVERSATION_CLAIMED, minutes_ago, {"conversation": dict(self.convs[conv_id])})

    def _emit(self, etype: str, minutes_ago: float, data: dict[str, Any]) -> None:
        self.events.append({"seq": next(self.seq), "type": etype, "at": _t(minutes_ago), "actor": "system", "data": data})


def fixed_events() -> list[dict[str, Any]]:
    e = _Events()
    for adv in (ME, COLLEAGUE):
        e._emit(ev.ADVISOR_UPDATED, 600, {"advisor": adv.model_dump(mode="json")})
    e.conversation(1, 101, "whatsapp", 95, language="ja")
    e.message(1, "inbound", "こんにちは。来週の京都旅行に合わせて、軽いトートバッグを探しています。", 95)
    e.claim(1, "advisor", 90)
    e.message(1, "system", "Aiko Mori claimed the conversation", 90, author="system")
    e.message(1, "reply", "田中様、こんにちは。Aikoです。ご旅行用でしたら、軽量のキャンバスのトートがおすすめです。", 88, author="advisor")
    e.message(1, "note", "Prefers neutral colours; returned a red bag in May (too bright). Birthday next week.", 87, author="advisor")
    e.message(1, "reply", "Siena Canvas Tote", 86, author="advisor", attachments=[{"type": "product_card", "sku": "BAG-0042", "name": "Siena Canvas Tote", "price": "¥198,000"}])
    e.message(1, "inbound", "素敵ですね！ベージュはありますか？\nサイズも教えてください 🙏", 7)
    e.conversation(2, 102, "email", 40, language="it")
    e.message(2, "inbound", "Buongiorno, vorrei sapere se il mocassino Arno è disponibile nel 42.", 14)
    e.conversation(3, 103, "phone", 200, language="ko", priority=1)
    e.message(3, "inbound", "Callback requested: 통화 가능하신 시간 알려주세요.", 130)
    e.message(3, "call_note", "Rang at 14:05, voicemail in Korean; she prefers evenings.", 60, author="advisor", attachments=[{"type": "call", "data": {"outcome": "voicemail"}}])
    e.conversation(4, 104, "chat", 30, language="zh")
    e.message(4, "inbound", "你好！我想给家人👩‍👩‍👧买礼物，有推荐吗？", 9)
    e.claim(4, "advisor", 8)
    e.message(4, "reply", "您好，李先生！Cafe\u0301 au lait leather, nai\u0308ve charm: 这款很适合全家 👨‍👩‍👧‍👦。", 6, author="advisor")
    e.message(4, "reply", "Silk Twill Scarf 絹", 5, author="advisor", attachments=[{"type": "product_card", "sku": "SCA-0003", "name": "Silk Twill Scarf 絹 🧣", "price": "¥58,000"}])
    e.message(4, "note", "客户喜欢红色 🧧 — wants gift wrap; pay attention to e\u0301 spelling.", 4, author="advisor")
    e.message(4, "inbound", "太好了 👍🏽 谢谢！", 3)
    e.message(4, "reply", "不客气！礼盒包装已经为您准备好了。", 2, author="advisor",
              attachments=[{"type": "quote", "data": {"message_id": 1013, "author": "client", "kind": "inbound", "excerpt": "太好了 👍🏽 谢谢！"}}])
    e.conversation(5, 105, "chat", 300, language="sv")
    e.message(5, "inbound", "Hej! Is the Ångström-blue scarf back in stock? Zoë", 200)
    e.claim(5, "kenji.watanabe", 190)
    e.conversation(6, 106, "whatsapp", 25, language="es")
    e.message(6, "inbound", "Hola, ¿tienen el cinturón en café? Gracias — José", 25)
    e.claim(6, "advisor", 20)
    e.conversation(7, 107, "chat", 12, language="en")
    e.message(7, "inbound", "hi \x1b]0;pwned\x07 there \u202ereversed\u202c text\u200b!", 12)
    return e.events


def client_360(client_id: int) -> Client360 | None:
    c = CLIENTS.get(client_id)
    if c is None:
        return None
    purchases, tasks, extras = [], [], {}
    if client_id in (101, 104):
        extras = {
            "personal_advisor": AdvisorRef(username="advisor", name="Aiko Mori"),
            "lifetime_spend_formatted": "￥493,000",
            "birthday": date(1988, 11, 29) if client_id == 101 else date(1975, 3, 2),
            "contacts_this_month": 2 if client_id == 101 else 1,
            "tryon_selections": [
                TryonSelection(id=7, client_id=client_id, conversation_id=1, advisor="advisor", created_at=NOW - timedelta(days=3), task_id=31, items=[
                    TryonItem(sku="SHO-0101", name="Duomo Loafer", sizes=["36.5", "37"], price="¥115,000"),
                    TryonItem(sku="BAG-0042", name="Siena Canvas Tote", sizes=["OS"], price="¥198,000"),
                ]),
            ] if client_id == 101 else [],
            "last_contacted_at": NOW - timedelta(minutes=86),
            "recent_conversations": [
                RecentConversation(id=1 if client_id == 101 else 4, channel="whatsapp" if client_id == 101 else "chat", status="assigned", last_activity_at=NOW - timedelta(minutes=7), preview="素敵ですね！ベージュはありますか？"),
                RecentConversation(id=90, channel="email", status="resolved", last_activity_at=NOW - timedelta(days=31), preview="Thank you for the \x1b[31mscarf\u202e — arrived safely."),
                RecentConversation(id=91, channel="phone", status="resolved", last_activity_at=NOW - timedelta(days=120), preview="Callback about the Duomo loafer size"),
            ],
        }
        purchases = [
            Purchase(id=1, sku="BAG-0007", product_name="Arno Leather Bucket Bag", size=None, price=320000, currency="JPY", at=NOW - timedelta(days=200), channel="store:Ginza"),
            Purchase(id=2, sku="SHO-0101", product_name="Duomo Loafer", size="37", price=115000, currency="JPY", at=NOW - timedelta(days=120), channel="chat", returned=True),
            Purchase(id=3, sku="SCA-0003", product_name="Silk Twill Scarf 絹", size=None, price=58000, currency="JPY", at=NOW - timedelta(days=30), channel="whatsapp"),
        ]
        tasks = [
            Task(id=1, client_id=client_id, kind="follow_up", title="Send beige tote photos", due=NOW + timedelta(hours=20)),
            Task(id=2, client_id=client_id, kind="call", title="Birthday call 🎂", due=NOW - timedelta(hours=3)),
        ]
    return Client360(
        id=client_id, name=c["name"], native_name=c["native_name"], locale=c["locale"], country=c["country"], hub="TYO",
        vic_tier=c["tier"], preferred_channel="whatsapp", consent={"chat": True, "whatsapp": True, "email": False, "phone": True},
        contact_max_per_month=2, sizes={"shoes_eu": "37", "shoes_us": "6.5", "shoes_jp": "23.5", "ready_to_wear": "S / IT 40", "rings": "JP 9"},
        taste={"lines": ["Siena", "Arno"], "colours": ["beige", "ivory", "navy"], "materials": ["canvas", "calfskin"]},
        notes="Travels to Kyoto often. Prefers quiet colours.", lifetime_spend=493000 if purchases else 0, currency="JPY",
        purchases=purchases, tasks=tasks, **extras,
    )


PRODUCTS = [
    Product(id=1, sku="BAG-0042", name="Siena Canvas Tote", line="Siena", category="bags", season="FW26", iconic=True, colours=["sand", "navy"], materials=["canvas"], prices={"EUR": 1250, "JPY": 198000}, stock={"OS": {"TYO": 3, "FLR": 1}}, image="bag-0042"),
    Product(id=2, sku="BAG-0043", name="Siena Canvas Tote Mini", line="Siena", category="bags", season="FW26", iconic=False, prices={"EUR": 890, "JPY": 142000}, stock={"OS": {"FLR": 2}}),
    Product(id=3, sku="SHO-0101", name="Duomo Loafer", line="Duomo", category="shoes", season="SS26", iconic=True, colours=["black"], materials=["calfskin"], prices={"EUR": 720, "JPY": 115000}, stock={"36.5": {"TYO": 2, "SEL": 1}, "37": {"TYO": 1}, "38": {"FLR": 4}}, image="sho-0101"),
    Product(id=5, sku="SHO-0102", name="Duomo Loafer Suede", line="Duomo", category="shoes", season="FW26", iconic=False, colours=["cognac"], materials=["suede"], prices={"EUR": 760, "JPY": 121000}, stock={"36.5": {"TYO": 1}, "37": {"FLR": 2, "SEL": 1}}),
    Product(id=4, sku="SCA-0003", name="Silk Twill Scarf 絹", line="Arno", category="scarves", season="FW26", iconic=False, prices={"EUR": 360, "JPY": 58000}, stock={}),
]


class FakeWorkspace(Workspace):
    """The Workspace over fixed state: commands go to `state.pending`, never out; what the
    advisor keeps locally (read marks, queue view, notification settings) goes to a real
    local cache in a temporary directory, as in the real one."""

    def __init__(self, events: list[dict[str, Any]] | None = None, me: Advisor = ME, cache_dir: Path | None = None) -> None:
        self._scratch = None if cache_dir else Path(tempfile.mkdtemp(prefix="fake-ws-"))
        cache = LocalCache((cache_dir or self._scratch) / "cache.sqlite")
        super().__init__(api=None, cache=cache, me=me)  # type: ignore[arg-type] - never talks to a server
        self._events = fixed_events() if events is None else events
        self.drafts: dict[int, str] = {}
        self.commands: list[tuple[str, Any]] = []
        self.presence_calls: list[tuple[int, str]] = []
        self.contact_checks: list[tuple[int, str]] = []
        self.searches: list[tuple[str, dict[str, Any]]] = []
        self.call_lists: list[dict[str, Any]] = []
        self._stop = asyncio.Event()
        self._keys = itertools.count(1)

    def load_cached(self) -> None:
        for event in self._events:
            apply(self.state, event)
        apply(self.state, {"seq": 0, "type": ev.LOCAL_CONNECTION, "at": NOW.isoformat(), "actor": "local", "data": {"state": "live"}})
        self.state.take_changes()

    async def start(self) -> None:
        await self._stop.wait()

    async def stop(self) -> None:
        self._stop.set()
        self.cache.close()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)

    def feed(self, events: list[dict[str, Any]]) -> None:
        self._apply_events(events)

    async def announce_presence(self, conversation_id: int, state: str) -> None:
        self.presence_calls.append((conversation_id, state))

    async def canned_replies(self, language: str | None = None) -> list[dict[str, Any]]:
        return [r for r in CANNED if language is None or r["language"] == language]

    def _enqueue(self, op: str, conversation_id: int | None, **payload: Any) -> str:
        key = f"k{next(self._keys)}"
        self.commands.append((op, {"conversation_id": conversation_id, **payload}))
        pending = [p.__dict__ for p in self.state.pending] + [{"key": key, "op": op, "conversation_id": conversation_id, "target_id": conversation_id, **payload}]
        self.feed([{"seq": 0, "type": ev.LOCAL_OUTBOX, "at": NOW.isoformat(), "actor": "local", "data": {"pending": pending}}])
        return key

    def claim(self, conversation_id: int) -> str:
        return self._enqueue("claim", conversation_id)

    def send_message(self, conversation_id: int, body: str, kind: str = "reply", attachments: list[Attachment] | None = None, **extras: Any) -> str:
        return self._enqueue("message", conversation_id, **message_payload(body, kind, attachments, **extras))

    def update_conversation(self, conversation_id: int, **changes: Any) -> str:
        return self._enqueue("conversation_update", conversation_id, **{k: v for k, v in changes.items() if v is not None})

    def reopen(self, conversation_id: int) -> str:
        return self._enqueue("reopen", conversation_id)

    def create_task(self, client_id: int, kind: str, title: str, due_iso: str, place: str | None = None, **appointment: str | None) -> str:
        return self._enqueue("task_create", client_id, kind=kind, title=title, due=due_iso, place=place, **appointment)

    def set_client_notes(self, client_id: int, notes: str) -> str:
        return self._enqueue("client_notes", None, client_id=client_id, notes=notes)

    def update_task(self, task_id: int, *, done: bool | None = None, outcome: str | None = None, due_iso: str | None = None) -> str:
        return self._enqueue("task_update", None, task_id=task_id, done=done, outcome=outcome)

    def send_tryon(self, conversation_id: int, items: list[dict[str, Any]], note: str | None = None, due_iso: str | None = None) -> str:
        return self._enqueue("tryon", conversation_id, items=items)

    def resolve(self, conversation_id: int) -> str:
        return self._enqueue("resolve", conversation_id)

    def snooze(self, conversation_id: int, until_iso: str) -> str:
        return self._enqueue("snooze", conversation_id, until=until_iso)

    def transfer(self, conversation_id: int, *, to_advisor: str | None = None, to_hub: str | None = None, note: str = "") -> str:
        return self._enqueue("transfer", conversation_id, to_advisor=to_advisor, to_hub=to_hub, note=note)

    async def sign_in_again(self, password: str) -> None:
        if password != "demo":
            raise RuntimeError("wrong password")
        self.feed([{"seq": 0, "type": ev.LOCAL_CONNECTION, "at": NOW.isoformat(), "actor": "local", "data": {"state": "live"}}])

    def failed_sends(self) -> list[str]:
        return [p.key for p in self.state.pending if p.error]

    def draft(self, conversation_id: int) -> str:
        return self.drafts.get(conversation_id, "")

    def save_draft(self, conversation_id: int, text: str) -> None:
        self.drafts[conversation_id] = text

    async def client_360(self, client_id: int) -> Client360 | None:
        return client_360(client_id)

    def cached_client_360(self, client_id: int) -> Client360 | None:
        return client_360(client_id)

    async def contact_check(self, client_id: int, channel: str) -> ContactCheck | None:
        """Email refused by everyone (no consent); Yuki Tanaka at her monthly cap."""
        self.contact_checks.append((client_id, channel))
        c = client_360(client_id)
        if c is None:
            return None
        if not c.consent.get(channel, False):
            return ContactCheck(allowed=False, code="consent_refused", reason=f"{c.name} has not consented to be contacted by {channel}.", channel=channel, contacts_this_month=c.contacts_this_month, max_per_month=c.contact_max_per_month)
        if c.contact_max_per_month is not None and c.contacts_this_month >= c.contact_max_per_month:
            return ContactCheck(
                allowed=False, code="contact_frequency_exceeded", channel=channel, contacts_this_month=c.contacts_this_month, max_per_month=c.contact_max_per_month,
                reason=f"{c.name} asked not to be contacted more than {c.contact_max_per_month} times a month; already contacted {c.contacts_this_month} times this month.",
                next_allowed_at=datetime(2026, 12, 1, tzinfo=timezone.utc), last_contacted_at=c.last_contacted_at,
            )
        return ContactCheck(allowed=True, reason="allowed", channel=channel, contacts_this_month=c.contacts_this_month, max_per_month=c.contact_max_per_month)

    async def ensure_thread(self, conversation_id: int) -> None:
        return None

    async def tasks_today(self) -> list[TaskListItem]:
        return list(TODAY)

    async def search_products(self, q: str = "", limit: int = 50, **filters: Any) -> list[Product]:
        self.searches.append((q, {k: v for k, v in filters.items() if v is not None}))
        q = q.lower()
        out = [p for p in PRODUCTS if q in p.name.lower() or q in p.line.lower() or q in p.category.lower()]
        if filters.get("category"):
            out = [p for p in out if p.category == filters["category"]]
        if filters.get("season"):
            out = [p for p in out if p.season == filters["season"]]
        if filters.get("iconic") is not None:
            out = [p for p in out if p.iconic == filters["iconic"]]
        hub, size = filters.get("in_stock_hub"), filters.get("size")
        if hub:
            out = [p for p in out if any(units.get(hub, 0) > 0 for sz, units in p.stock.items() if size in (None, sz))]
        return out[:limit]

    async def product_facets(self) -> dict[str, list[str]]:
        return {"categories": sorted({p.category for p in PRODUCTS}), "lines": sorted({p.line for p in PRODUCTS}), "seasons": sorted({p.season for p in PRODUCTS})}

    async def product_detail(self, sku: str) -> ProductDetail | None:
        product = next((p for p in PRODUCTS if p.sku == sku), None)
        return ProductDetail.of(product) if product else None

    async def product_image(self, sku: str) -> bytes | None:
        """The server's own drawing of the piece (no HTTP here)."""
        from advisor_console.server.images import render_png

        product = next((p for p in PRODUCTS if p.sku == sku), None)
        return render_png(product.category, tuple(product.colours)) if product and product.image else None

    async def call_list(self, **criteria: Any) -> list[CallListItem]:
        self.call_lists.append(criteria)
        tiers = (criteria.get("vic_tier") or "").split(",")
        return [i for i in CALL_LIST if tiers == [""] or i.vic_tier in tiers]

    def record_tryon_outcome(self, selection_id: int, kept: list[dict[str, str]], returned: list[dict[str, str]]) -> str:
        return self._enqueue("tryon_outcome", None, selection_id=selection_id, kept=kept, returned=returned)

    def retry_delivery(self, message_id: int) -> str:
        return self._enqueue("retry_delivery", None, message_id=message_id)

    async def supervision(self, what: str, **params: Any) -> dict[str, Any]:
        return {"board": BOARD, "series": SERIES, "rules": RULES}[what]

    def outreach(self, client_id: int, channel: str, body: str) -> str:
        return self._enqueue("outreach", None, client_id=client_id, channel=channel, body=body)


CALL_LIST = [
    CallListItem(client_id=101, name="Yuki Tanaka", native_name="田中 由紀", hub="TYO", country="JP", locale="ja-JP", vic_tier="platinum", preferred_channel="whatsapp", channel="whatsapp", contactable=False, code="contact_frequency_exceeded", reason="Yuki Tanaka asked not to be contacted more than 2 times a month; already contacted 2 times this month.", contacts_this_month=2, max_per_month=2, last_purchase_at=NOW - timedelta(days=30), why=[CallListWhy(criterion="vic_tier", text="VIC platinum"), CallListWhy(criterion="birthday_month", text="Birthday on 29 November")]),
    CallListItem(client_id=103, name="Kim Seo-yeon", native_name="김서연", hub="SEL", country="KR", locale="ko-KR", vic_tier="gold", preferred_channel="chat", channel="chat", contactable=True, reason="allowed", contacts_this_month=0, max_per_month=4, last_purchase_at=NOW - timedelta(days=90), why=[CallListWhy(criterion="bought_within_days", text="Bought 90 days ago"), CallListWhy(criterion="line", text="Likes Duomo")]),
    CallListItem(client_id=102, name="Marco Rossi \x1b[31m", native_name=None, hub="FLR", country="IT", locale="it-IT", vic_tier="gold", preferred_channel="email", channel="email", contactable=False, code="consent_refused", reason="Marco Rossi has not consented to be contacted by email.", contacts_this_month=0, max_per_month=None, why=[CallListWhy(criterion="no_contact_days", text="No contact for 64 days")]),
]


def _today(tid: int, client_id: int | None, name: str, native: str | None, hub: str, tz: str, kind: str, title: str, hours: float) -> TaskListItem:
    return TaskListItem(id=tid, client_id=client_id or 0, kind=kind, title=title, due=NOW + timedelta(hours=hours), client_name=name, client_native_name=native, client_hub=hub, client_hub_tz=tz, overdue=hours < 0)


TODAY = [
    _today(21, 103, "Kim Seo-yeon", "김서연", "SEL", "Asia/Seoul", "callback", "Call back about the evening slot", 2),
    _today(22, 101, "Yuki Tanaka", "田中 由紀", "TYO", "Asia/Tokyo", "call", "Birthday call 🎂", -3),
    _today(23, 102, "Marco Rossi", None, "FLR", "Europe/Rome", "follow_up", "Arno loafer in 42: confirm the \x1b[2Jdelivery", 4.5),
    _today(24, 108, "Camille Dubois", None, "FLR", "Europe/Rome", "appointment", "Video try-on of the FW26 scarves", 5),
]


CANNED = [
    {"id": "ja-greeting", "language": "ja", "title": "ご挨拶", "body": "{address}、お問い合わせありがとうございます。{advisor}がご案内いたします。", "whatsapp_approved": True, "channels": ["whatsapp", "chat"]},
    {"id": "ja-size", "language": "ja", "title": "サイズ確認", "body": "{address}、{size}のご用意がございます。", "whatsapp_approved": False, "channels": ["whatsapp", "chat", "email"]},
    {"id": "en-greeting", "language": "en", "title": "Greeting", "body": "Dear {address}, thank you for writing. This is {advisor}.", "whatsapp_approved": True, "channels": ["whatsapp", "chat", "email"]},
]


SUPERVISOR = Advisor(id=3, username="supervisor", name="Takeshi Kobayashi", hub="TYO", languages=["ja", "en"], role="supervisor", capacity=4)


def _bucket(i: int, waiting: int, median: int | None) -> dict[str, Any]:
    start = NOW - timedelta(minutes=15 * (24 - i))
    return {"start": start.isoformat(), "end": (start + timedelta(minutes=15)).isoformat(), "awaiting_first_response": waiting, "first_response_median_seconds": median, "answered": 1 if median else 0}


BOARD = {
    "hub": None, "at": NOW.isoformat(), "open_conversations": 9,
    "advisors": [
        {"username": "advisor", "name": "Aiko Mori", "hub": "TYO", "role": "advisor", "status": "available", "capacity": 6, "languages": ["ja", "en"], "load": 3, "open_conversations": [1, 3, 6], "oldest_unanswered_seconds": 420},
        {"username": "kenji.watanabe", "name": "Kenji Watanabe", "hub": "TYO", "role": "advisor", "status": "busy", "capacity": 2, "languages": ["ja", "en", "zh"], "load": 2, "open_conversations": [4, 7], "oldest_unanswered_seconds": 1500},
        {"username": "jiwoo.park", "name": "Park Ji-woo", "hub": "SEL", "role": "advisor", "status": "away", "capacity": 6, "languages": ["ko", "en"], "load": 0, "open_conversations": [], "oldest_unanswered_seconds": None},
        {"username": "giulia.bernardi", "name": "Giulia Bernardi \x1b[31m", "hub": "FLR", "role": "advisor", "status": "offline", "capacity": 6, "languages": ["it", "en", "fr"], "load": 1, "open_conversations": [9], "oldest_unanswered_seconds": 60},
        {"username": "supervisor", "name": "Takeshi Kobayashi", "hub": "TYO", "role": "supervisor", "status": "available", "capacity": 4, "languages": ["ja", "en"], "load": 0, "open_conversations": [], "oldest_unanswered_seconds": None},
    ],
    "queue_depth": {"total": 4, "hub": {"TYO": 2, "SEL": 1, "FLR": 1}, "channel": {"chat": 2, "whatsapp": 1, "email": 1}, "language": {"ja": 2, "ko": 1, "it": 1}},
    "longest_wait": {"conversation_id": 2, "seconds": 5400, "hub": "TYO", "channel": "email"},
    "past_target": [
        {"conversation_id": 5, "client": "Li Wei 👩‍👩‍👧", "client_native_name": "李伟", "hub": "TYO", "channel": "chat", "language": "zh", "status": "queued", "assignee": None, "waited_seconds": 900, "target_seconds": 120},
        {"conversation_id": 7, "client": "\x1b[2JEvil", "client_native_name": None, "hub": "TYO", "channel": "whatsapp", "language": "en", "status": "assigned", "assignee": "kenji.watanabe", "waited_seconds": 1500, "target_seconds": 900},
    ],
    "first_response_targets": {"chat": 120, "whatsapp": 900, "email": 14400, "phone": 600, "video": 300},
}
SERIES = {"hub": None, "hours": 6, "bucket_minutes": 15, "buckets": [_bucket(i, w, m) for i, (w, m) in enumerate(zip([2, 3, 3, 4, 6, 8, 7, 5, 4, 4, 3, 2, 2, 3, 5, 7, 9, 8, 6, 5, 4, 4, 3, 4], [60, 90, None, 120, 300, 420, 360, 240, 180, 120, 90, 60, None, 80, 200, 480, 600, 540, 300, 200, 150, 120, 100, 90]))]}
RULES = {"first_response_targets": BOARD["first_response_targets"], "routing": {"enabled": True, "personal_advisor_first": True, "language_match": True, "follow_the_sun": True, "business_hours": {}}}


def make_app(events: list[dict[str, Any]] | None = None, *, theme: str = "advisor-dark", cache_dir: Path | None = None, me: Advisor = ME) -> Any:
    from advisor_console.tui.app import AdvisorApp

    class SnapshotApp(AdvisorApp):
        """Fixed clock, no cursor blink."""

        def on_mount(self) -> None:
            super().on_mount()
            for widget in self.query("TextArea, Input"):
                widget.cursor_blink = False  # type: ignore[attr-defined]

    return SnapshotApp(FakeWorkspace(events, cache_dir=cache_dir, me=me), Settings(theme=theme), clock=lambda: NOW)


if __name__ == "__main__":
    make_app().run()
