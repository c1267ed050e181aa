"""Deterministic demo data: staff, clients, the lookbook, purchases, tasks, and open
conversations with their threads, written to the tables *and* to the event log (the
clients build their state from the log alone).

Everything comes from `random.Random` instances seeded from `seed` (one per section, so
the catalogue does not change when the number of clients does), and every time is `now`
minus a drawn offset: the same seed and the same `now` give identical rows.
Rows are written with bulk Core inserts in one write transaction.
"""

from __future__ import annotations

import hashlib
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Sequence

from sqlalchemy import Engine, func, insert, select, text

from ..domain import events as ev
from ..domain.models import HUBS, Advisor, Attachment, Message
from ..server.db import writer
from ..server.security import hash_password
from ..server.services import reply_subject
from ..server.tables import (
    AdvisorRow,
    ClientRow,
    ConversationRow,
    EventRow,
    MessageRow,
    ProductRow,
    PurchaseRow,
    TaskRow,
    conversation_summary,
    stock_keys,
)
from . import corpus as C
from .corpus import PersonName

UTC = timezone.utc
PREVIEW_CHARS = 120  # as the server's services.py

# ---- staff ---------------------------------------------------------------------------------
# (username, name, hub, languages, role). The first four are the easy demo accounts.
STAFF: tuple[tuple[str, str, str, tuple[str, ...], str], ...] = (
    ("advisor", "Aiko Mori", "TYO", ("ja", "en"), "advisor"),
    ("supervisor", "Takeshi Kobayashi", "TYO", ("ja", "en"), "supervisor"),
    ("trainer", "Beatrice Landi", "FLR", ("it", "en", "fr"), "trainer"),
    ("channel-sim", "Client simulator", "FLR", (), "channel"),
    ("channel-web", "Web and messaging channels", "FLR", (), "channel"),
    # Florence
    ("giulia.bernardi", "Giulia Bernardi", "FLR", ("it", "en", "fr"), "advisor"),
    ("lorenzo.vitali", "Lorenzo Vitali", "FLR", ("it", "en", "de"), "advisor"),
    ("sofia.marchetti", "Sofia Marchetti", "FLR", ("it", "en", "es"), "advisor"),
    ("camille.roux", "Camille Roux", "FLR", ("fr", "en", "it", "de"), "advisor"),
    ("alessandra.neri", "Alessandra Neri", "FLR", ("it", "en", "fr"), "supervisor"),
    # New York
    ("olivia.bennett", "Olivia Bennett", "NYC", ("en", "es"), "advisor"),
    ("daniel.ortiz", "Daniel Ortiz", "NYC", ("en", "es", "pt"), "advisor"),
    ("hannah.weiss", "Hannah Weiss", "NYC", ("en", "de", "fr"), "advisor"),
    ("marco.deluca", "Marco DeLuca", "NYC", ("en", "it", "es"), "advisor"),
    ("rachel.goldman", "Rachel Goldman", "NYC", ("en", "fr"), "supervisor"),
    # Tokyo (with "advisor" and "supervisor" above)
    ("yui.tanaka", "Yui Tanaka", "TYO", ("ja", "en"), "advisor"),
    ("kenji.watanabe", "Kenji Watanabe", "TYO", ("ja", "en", "zh"), "advisor"),
    ("haruka.sato", "Haruka Sato", "TYO", ("ja", "en", "fr"), "advisor"),
    # Seoul
    ("jiwoo.park", "Park Ji-woo", "SEL", ("ko", "en"), "advisor"),
    ("minji.kim", "Kim Min-ji", "SEL", ("ko", "en", "ja"), "advisor"),
    ("hyunwoo.lee", "Lee Hyun-woo", "SEL", ("ko", "en"), "advisor"),
    ("seoyeon.choi", "Choi Seo-yeon", "SEL", ("ko", "en", "zh"), "advisor"),
    ("eunha.jung", "Jung Eun-ha", "SEL", ("ko", "en", "ja"), "supervisor"),
    # Shanghai
    ("fang.wang", "Wang Fang", "SHA", ("zh", "en"), "advisor"),
    ("lei.chen", "Chen Lei", "SHA", ("zh", "en"), "advisor"),
    ("xinyi.zhou", "Zhou Xinyi", "SHA", ("zh", "en", "ja"), "advisor"),
    ("hao.liu", "Liu Hao", "SHA", ("zh", "en", "ko"), "advisor"),
    ("meiling.sun", "Sun Meiling", "SHA", ("zh", "en"), "supervisor"),
    # Singapore
    ("weiling.tan", "Tan Wei Ling", "SIN", ("en", "zh", "ms"), "advisor"),
    ("priya.nair", "Priya Nair", "SIN", ("en", "ms", "ta"), "advisor"),
    ("nurul.hakim", "Nurul Hakim", "SIN", ("en", "ms", "id"), "advisor"),
    ("ploy.srisuk", "Ploy Srisuk", "SIN", ("en", "th"), "advisor"),
    ("daniel.koh", "Daniel Koh", "SIN", ("en", "zh"), "supervisor"),
    # the second trainer
    ("grace.lim", "Grace Lim", "SIN", ("en", "zh"), "trainer"),
)

_CAPACITY = {"advisor": 6, "supervisor": 4, "trainer": 4, "channel": 0}
_EASY = ("advisor", "supervisor", "trainer", "channel-sim")


def demo_accounts(password: str = "demo") -> list[dict[str, str]]:
    """The demo accounts `seed` creates (no database needed): easy ones first."""
    return [
        {"username": u, "password": password, "role": role, "hub": hub, "name": name}
        for (u, name, hub, _langs, role) in STAFF
    ]


def account_for_role(accounts: Sequence[dict[str, str]], role: str) -> dict[str, str]:
    """The first (easiest) demo account of a role."""
    for acc in accounts:
        if acc["role"] == role:
            return acc
    raise KeyError(role)


def is_seeded(engine: Engine) -> bool:
    """Whether the database already holds data (any account or client)."""
    with engine.connect() as conn:
        for table in (AdvisorRow.__table__, ClientRow.__table__):
            if conn.execute(select(func.count()).select_from(table)).scalar():
                return True
    return False


def _section_rng(seed: int, section: str) -> random.Random:
    # A str seed is hashed with SHA-512 by `random`: stable across runs and platforms.
    return random.Random(f"advisor-console:{seed}:{section}")


def _weighted(rng: random.Random, items: Sequence[Any], weights: Sequence[float]) -> Any:
    return rng.choices(items, weights=weights, k=1)[0]


def _preview(body: str) -> str:
    flat = " ".join(body.split())
    return flat if len(flat) <= PREVIEW_CHARS else flat[: PREVIEW_CHARS - 1] + "…"


# ---- staff rows ----------------------------------------------------------------------------


def _advisor_rows(seed: int, password: str) -> list[dict[str, Any]]:
    rng = _section_rng(seed, "staff")
    # scrypt is slow: hash once and share the string. The salt comes from the seed so that
    # the rows are reproducible; this is demo data with a published password anyway.
    salt = hashlib.sha256(f"advisor-console-demo-salt:{seed}".encode()).digest()[:16]
    pw_hash = hash_password(password, salt=salt)
    rows = []
    for i, (username, name, hub, langs, role) in enumerate(STAFF, start=1):
        if username in _EASY or role == "channel":
            status = "available"
        else:
            status = _weighted(rng, ("available", "busy", "away", "offline"), (6, 2, 1, 1))
        rows.append(
            {
                "id": i,
                "username": username,
                "name": name,
                "hub": hub,
                "languages": list(langs),
                "role": role,
                "status": status,
                "capacity": _CAPACITY[role],
                "password_hash": pw_hash,
            }
        )
    return rows


# ---- products ------------------------------------------------------------------------------

_SEASON_CODE = {"SS26": "SS26", "Pre-Fall 26": "PF26", "FW26": "FW26", "Cruise 27": "CR27", "SS27": "SS27", C.PERMANENT: "PRM"}
_HEELED = {"Pump", "Slingback", "Sandal", "Mule", "Ankle Boot"}
_MEN_TYPES = {
    "shoes": ("Loafer", "Sneaker", "Derby", "Ankle Boot", "Espadrille", "Riding Boot"),
    "ready_to_wear": ("Blazer", "Wool Coat", "Trench Coat", "Cardigan", "Poplin Shirt", "Cashmere Jumper", "Leather Jacket", "Wide Trousers"),
}
_WOMEN_ONLY = {"Pump", "Ballerina", "Slingback", "Silk Dress", "Pleated Skirt", "Silk Blouse"}


@dataclass
class _Product:
    row: dict[str, Any]
    category: str
    sizing: str  # shoes_f shoes_m rtw_f rtw_m ring bracelet belt one

    @property
    def sizes(self) -> list[str]:
        return list(self.row["stock"])


def _round_eur(x: float) -> float:
    step = 10 if x < 1000 else 50
    return float(round(x / step) * step)


def _products(seed: int, count: int) -> list[_Product]:
    rng = _section_rng(seed, "products")
    cats = C.CATEGORIES
    weights = [c.weight for c in cats]
    hubs = list(HUBS)
    out: list[_Product] = []
    for i in range(1, count + 1):
        cat = _weighted(rng, cats, weights)
        line, line_code, _sig = rng.choice(C.LINES)
        men = cat.key in _MEN_TYPES and rng.random() < 0.25
        ptype = rng.choice(_MEN_TYPES[cat.key]) if men else rng.choice(cat.types)
        variant = rng.choice(cat.variants)
        if cat.key == "shoes":
            name = f"{line} {ptype} {variant}" if (ptype in _HEELED and variant and variant != "Flat" and not men) else f"{line} {ptype}"
        elif cat.key in ("belts", "watches"):
            name = f"{line} {ptype} {variant}".strip()
        else:
            name = f"{line} {variant} {ptype}" if variant else f"{line} {ptype}"
        if men:
            name = name.replace(f"{line} ", f"{line} Men's ", 1)
        iconic = rng.random() < (0.4 if cat.key in ("jewellery", "watches", "bags") else 0.2)
        season = C.PERMANENT if iconic else rng.choice(C.SEASONS)
        colours = rng.sample(C.COLOURS, 2 if rng.random() < 0.3 else 1)
        materials = rng.sample(cat.materials, 2 if rng.random() < 0.4 else 1)

        lo, hi = cat.price_eur
        eur = lo + (hi - lo) * rng.random() ** 1.7
        if "diamonds" in materials or "Pavé" in name:
            eur *= 2.2
        if any(m.startswith("18k") for m in materials) and cat.key == "watches":
            eur *= 1.8
        if "Mini" in name:
            eur *= 0.8
        if "Large" in name or "Weekender" in name:
            eur *= 1.15
        eur = _round_eur(eur)
        prices = {cur: (eur if cur == "EUR" else C.price_in(eur, cur)) for cur in C.CURRENCIES}

        if cat.sizing == "shoes":
            sizing, sizes = ("shoes_m", C.MEN_SHOES_EU) if men else ("shoes_f", C.WOMEN_SHOES_EU)
        elif cat.sizing == "rtw":
            sizing, sizes = ("rtw_m", C.MEN_RTW_IT) if men else ("rtw_f", C.WOMEN_RTW_IT)
        elif cat.sizing == "jewellery" and ptype == "Ring":
            sizing, sizes = "ring", C.RING_EU
        elif cat.sizing == "jewellery" and ptype in ("Bracelet", "Cuff"):
            sizing, sizes = "bracelet", C.BRACELET
        elif cat.sizing == "belt":
            sizing, sizes = "belt", C.BELT_CM
        else:
            sizing, sizes = "one", (C.ONE_SIZE,)
        sold_out = rng.random() < 0.03
        top = (12 if iconic else 6) if sizing == "one" else (5 if iconic else 3)
        empty = 0.15 if iconic else 0.35
        stock = {
            size: {hub: (0 if sold_out or rng.random() < empty else rng.randint(1, top)) for hub in hubs}
            for size in sizes
        }
        sku = f"{line_code}-{cat.code}-{_SEASON_CODE[season]}-{i:05d}"
        image = sku.lower() if rng.random() < 0.85 else None
        row = {
            "id": i,
            "sku": sku,
            "name": name,
            "line": line,
            "category": cat.key,
            "season": season,
            "iconic": iconic,
            "colours": colours,
            "materials": materials,
            "prices": prices,
            "stock": stock,
            "image": image,
            "search_text": " ".join([name, sku, line, *colours, *materials]).lower(),
            "stock_keys": stock_keys(stock),
        }
        out.append(_Product(row, cat.key, sizing))
    return out


# ---- clients -------------------------------------------------------------------------------

_TIERS = ("none", "silver", "gold", "platinum", "black")
_TIER_WEIGHTS = (52, 22, 14, 8, 4)
_VIC = ("gold", "platinum", "black")
_WHATSAPP_COUNTRIES = {"BR", "MX", "IT", "ES", "SG", "MY", "IN", "AE", "HK", "ID", "PH", "DE", "FR"}
_DOMAINS = ("example.com", "example.net", "example.org")
_TIER_HISTORY_EUR = {"none": (0, 0), "silver": (3_000, 12_000), "gold": (12_000, 40_000), "platinum": (40_000, 120_000), "black": (120_000, 600_000)}


@dataclass
class _Client:
    row: dict[str, Any]
    person: PersonName
    language: str


def _client_sizes(rng: random.Random, gender: str) -> dict[str, str]:
    sizes: dict[str, str] = {}
    if rng.random() < 0.85:
        pool = C.WOMEN_SHOES_EU[2:11] if gender == "f" else C.MEN_SHOES_EU[1:10]
        sizes.update(C.shoe_sizes(rng.choice(pool), gender))
    if rng.random() < 0.75:
        sizes["rtw"] = "IT " + rng.choice(C.WOMEN_RTW_IT[:6] if gender == "f" else C.MEN_RTW_IT[1:6])
    if rng.random() < 0.35:
        ring = rng.choice(C.RING_EU[1:9] if gender == "f" else C.RING_EU[6:])
        sizes["ring"] = ring
        sizes["ring_us"] = C.ring_us(ring)
    if rng.random() < 0.4:
        sizes["belt"] = rng.choice(C.BELT_CM[1:6] if gender == "f" else C.BELT_CM[3:])
    return sizes


def _clients(seed: int, count: int, advisors: Sequence[dict[str, Any]]) -> list[_Client]:
    """Client i depends on the seed and on clients before it only, not on `count`."""
    rng = _section_rng(seed, "clients")
    countries = C.COUNTRIES
    cweights = [c.weight for c in countries]
    by_hub: dict[str, list[int]] = {}
    for a in advisors:
        if a["role"] == "advisor":
            by_hub.setdefault(a["hub"], []).append(a["id"])
    emails: set[str] = set()
    phones: set[str] = set()
    out: list[_Client] = []
    for i in range(1, count + 1):
        country = _weighted(rng, countries, cweights)
        pool, locale, _w = _weighted(rng, country.people, [p[2] for p in country.people])
        person = C.make_name(rng, pool)
        tier = _weighted(rng, _TIERS, _TIER_WEIGHTS)

        wa = 0.8 if country.code in _WHATSAPP_COUNTRIES else (0.25 if country.code in ("JP", "KR", "CN") else 0.5)
        consent = {
            "chat": rng.random() < 0.9,
            "whatsapp": rng.random() < wa,
            "email": rng.random() < 0.88,
            "phone": rng.random() < (0.75 if tier in _VIC else 0.55),
        }
        if not any(consent.values()):
            consent["email"] = True
        pref_w = {"chat": 3.0, "whatsapp": 5.0 if country.code in _WHATSAPP_COUNTRIES else 2.0, "email": 3.0, "phone": 1.5 if tier in _VIC else 0.7}
        allowed = [ch for ch in ("chat", "whatsapp", "email", "phone") if consent[ch]]
        preferred = _weighted(rng, allowed, [pref_w[ch] for ch in allowed])

        taste = {
            "lines": rng.sample(C.LINE_NAMES, rng.randint(1, 3)),
            "colours": rng.sample(C.COLOURS, rng.randint(1, 3)),
            "materials": rng.sample(("calfskin", "suede", "silk", "cashmere", "18k yellow gold", "pearls", "nappa", "raffia", "tweed", "patent leather"), rng.randint(1, 2)),
        }
        notes: list[str] = []
        ctx = {"line": taste["lines"][0], "city": rng.choice(("Paris", "London", "Dubai", "Hong Kong", "Los Angeles", "Osaka", "Busan", "Bangkok"))}
        for note in rng.sample(C.CLIENT_NOTES, _weighted(rng, (0, 1, 2), (3, 5, 2))):
            notes.append(C.fill(note, ctx))
        if rng.random() < 0.02:
            notes.append(rng.choice(C.CLIENT_NOTES_SPECIAL))

        local = C.ascii_slug(person.given) or "client"
        fam = C.ascii_slug(person.family) or str(i)
        email = f"{local}.{fam}@{rng.choice(_DOMAINS)}"
        n = 2
        while email in emails:
            email = f"{local}.{fam}{n}@{email.split('@')[1]}"
            n += 1
        emails.add(email)
        phone = f"{country.dial} {rng.randint(200, 999)} {rng.randint(100, 999)} {rng.randint(0, 9999):04d}"
        while phone in phones:
            phone = f"{country.dial} {rng.randint(200, 999)} {rng.randint(100, 999)} {rng.randint(0, 9999):04d}"
        phones.add(phone)

        advisor_id = rng.choice(by_hub[country.hub]) if tier != "none" and by_hub.get(country.hub) else None
        row = {
            "id": i,
            "name": person.name,
            "native_name": person.native_name,
            "locale": locale,
            "country": country.code,
            "hub": country.hub,
            "vic_tier": tier,
            "preferred_channel": preferred,
            "consent": consent,
            "contact_max_per_month": _weighted(rng, (None, 1, 2, 4, 8), (3, 2, 3, 2, 1)),
            "sizes": _client_sizes(rng, person.gender),
            "taste": taste,
            "notes": " ".join(notes),
            "lifetime_spend": 0.0,  # filled from purchases
            "currency": country.currency,
            "personal_advisor_id": advisor_id,
            "email": email,
            "phone": phone,
        }
        out.append(_Client(row, person, C.language_for_locale(locale)))
    _birthdays(seed, out)
    return out


def _birthdays(seed: int, clients: Sequence[_Client]) -> None:
    """Most clients (~85%) told us their birthday: drawn from their own section of the seed,
    so the other client fields are the same as before birthdays existed."""
    rng = _section_rng(seed, "birthdays")
    for c in clients:
        known = rng.random() < 0.85
        age_days = rng.randint(22 * 365, 75 * 365)
        day_of_year = rng.randint(0, 364)
        if known:
            year = 2026 - age_days // 365
            c.row["birthday"] = (datetime(year, 1, 1) + timedelta(days=day_of_year)).date()
        else:
            c.row["birthday"] = None


def client_profiles(seed: int = 7, count: int = 5000) -> dict[int, tuple[str, str]]:
    """{client id: (language, hub)} of the clients `seed(seed=seed)` creates, computed
    without a database (the simulator uses it to write in each client's language)."""
    advisors = _advisor_rows_light()
    return {c.row["id"]: (c.language, c.row["hub"]) for c in _clients(seed, count, advisors)}


def _advisor_rows_light() -> list[dict[str, Any]]:
    return [{"id": i, "hub": hub, "role": role} for i, (_u, _n, hub, _l, role) in enumerate(STAFF, start=1)]


def client_languages(engine: Engine, *, limit: int | None = None) -> dict[int, str]:
    """{client id: language} read from a database (for the simulator)."""
    stmt = select(ClientRow.__table__.c.id, ClientRow.__table__.c.locale).order_by(ClientRow.__table__.c.id)
    if limit:
        stmt = stmt.limit(limit)
    with engine.connect() as conn:
        return {cid: C.language_for_locale(loc) for cid, loc in conn.execute(stmt)}


# ---- purchases and tasks -------------------------------------------------------------------

_PURCHASES_BY_TIER = {"none": (1, 2), "silver": (1, 4), "gold": (2, 5), "platinum": (3, 7), "black": (4, 8)}
_SIZE_KEY = {"shoes_f": "shoes_eu", "shoes_m": "shoes_eu", "rtw_f": "rtw", "rtw_m": "rtw", "ring": "ring", "belt": "belt"}


def _size_for(client: _Client, product: _Product, rng: random.Random) -> str | None:
    sizes = product.sizes
    if sizes == [C.ONE_SIZE]:
        return None
    key = _SIZE_KEY.get(product.sizing)
    mine = client.row["sizes"].get(key) if key else None
    if mine is not None and key == "rtw":
        mine = mine.replace("IT ", "")
    if mine in sizes:
        return mine
    return sizes[len(sizes) // 2] if rng.random() < 0.5 else rng.choice(sizes)


def _purchases(seed: int, now: datetime, clients: Sequence[_Client], products: Sequence[_Product]) -> list[dict[str, Any]]:
    rng = _section_rng(seed, "purchases")
    if not products:
        return []
    by_line: dict[str, list[_Product]] = {}
    for p in products:
        by_line.setdefault(p.row["line"], []).append(p)
    rows: list[dict[str, Any]] = []
    pid = 0
    for c in clients:
        tier = c.row["vic_tier"]
        lo, hi = _PURCHASES_BY_TIER[tier]
        cur = c.row["currency"]
        spend = 0.0
        hub = c.row["hub"]
        channels = ("web", "chat", "whatsapp", "email", "phone", C.STORES[hub])
        picks = []
        for _ in range(rng.randint(lo, hi)):
            liked = [p for ln in c.row["taste"]["lines"] for p in by_line.get(ln, ())]
            product = rng.choice(liked) if liked and rng.random() < 0.6 else rng.choice(products)
            days = rng.uniform(2, 3 * 365)
            picks.append((now - timedelta(seconds=int(days * 86400)), product))
        picks.sort(key=lambda x: x[0])
        for at, product in picks:
            pid += 1
            price = product.row["prices"][cur]
            returned = rng.random() < (0.15 if product.category in ("shoes", "ready_to_wear") else 0.06)
            if not returned:
                spend += price
            rows.append(
                {
                    "id": pid,
                    "client_id": c.row["id"],
                    "product_id": product.row["id"],
                    "sku": product.row["sku"],
                    "product_name": product.row["name"],
                    "size": _size_for(c, product, rng),
                    "price": price,
                    "currency": cur,
                    "at": at,
                    "channel": _weighted(rng, channels, (5, 3, 2, 1, 1, 4)),
                    "returned": returned,
                }
            )
        lo_h, hi_h = _TIER_HISTORY_EUR[tier]
        history = C.price_in(rng.uniform(lo_h, hi_h), cur) if hi_h else 0.0
        total = spend + history
        c.row["lifetime_spend"] = float(round(total)) if cur in ("JPY", "KRW") else round(total, 2)
    return rows


def _tasks(seed: int, now: datetime, clients: Sequence[_Client]) -> list[dict[str, Any]]:
    rng = _section_rng(seed, "tasks")
    rows: list[dict[str, Any]] = []
    tid = 0
    quarter = now.replace(minute=now.minute - now.minute % 15, second=0, microsecond=0)
    for c in clients:
        tier = c.row["vic_tier"]
        if tier == "none" or (tier == "silver" and rng.random() > 0.3):
            continue
        for _ in range(rng.randint(1, 3)):
            tid += 1
            kind = _weighted(rng, ("call", "follow_up", "appointment"), (4, 3.5, 2.5))
            minutes = rng.randint(-10 * 24 * 4, 30 * 24 * 4) * 15
            due = quarter + timedelta(minutes=minutes)
            done = due < now and rng.random() < 0.8
            ctx = {"line": rng.choice(c.row["taste"]["lines"]), "season": rng.choice(C.SEASONS)}
            rows.append(
                {
                    "id": tid,
                    "client_id": c.row["id"],
                    "advisor_id": c.row["personal_advisor_id"],
                    "kind": kind,
                    "title": C.fill(rng.choice(C.TASK_TITLES[kind]), ctx),
                    "due": due,
                    "place": rng.choice(C.APPOINTMENT_PLACES[c.row["hub"]]) if kind == "appointment" else None,
                    "done": done,
                    "outcome": rng.choice(C.TASK_OUTCOMES) if done else None,
                }
            )
    return rows


# ---- conversations and the event log -------------------------------------------------------


@dataclass
class _Action:
    at: datetime
    order: int
    kind: str  # create | inbound | system | reply | note | claim | snooze
    body: str = ""
    attachments: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Plan:
    client: _Client
    channel: str
    stage: str
    status: str
    language: str
    hub: str
    assignee: dict[str, Any] | None
    priority: int
    tags: list[str]
    actions: list[_Action]
    snoozed_until: datetime | None = None
    conv_id: int = 0


def _pick_clients(rng: random.Random, clients: Sequence[_Client], k: int) -> list[_Client]:
    # Weighted sampling without replacement (VICs write more often): top-k of u^(1/w).
    weight = {"none": 1.0, "silver": 1.6, "gold": 2.4, "platinum": 3.2, "black": 4.0}
    keyed = sorted(((rng.random() ** (1.0 / weight[c.row["vic_tier"]]), idx) for idx, c in enumerate(clients)), reverse=True)
    return [clients[idx] for _key, idx in keyed[:k]]


def _assignee_for(rng: random.Random, hub: str, language: str, staff: Sequence[dict[str, Any]]) -> dict[str, Any]:
    primary = language.split("-")[0]
    team = [a for a in staff if a["hub"] == hub and a["role"] == "advisor"]
    speakers = [a for a in team if primary in a["languages"]]
    chosen = speakers or team
    # The easy demo account gets a little more of its hub's work, so its queue is not empty.
    return _weighted(rng, chosen, [2.0 if a["username"] == "advisor" else 1.0 for a in chosen])


def _context(rng: random.Random, client: _Client, products_by_line: dict[str, list[_Product]], sized: Sequence[_Product], all_products: Sequence[_Product], language: str) -> tuple[dict[str, Any], _Product | None]:
    if not all_products:
        return {"product": "Nodo Tote", "size": "", "line": "Nodo", "city": ""}, None
    liked = [p for ln in client.row["taste"]["lines"] for p in products_by_line.get(ln, ())]
    if sized and rng.random() < 0.55:
        product = rng.choice(sized)
    else:
        product = rng.choice(liked) if liked and rng.random() < 0.7 else rng.choice(all_products)
    size = ""
    if product.sizes != [C.ONE_SIZE]:
        size = _size_for(client, product, rng) or ""
        if product.sizing.startswith("shoes") and language == "ja":
            size = C.shoe_sizes(size, "f" if product.sizing == "shoes_f" else "m")["shoes_jp"]
        elif product.sizing.startswith("rtw"):
            size = f"IT {size}"
    hub = client.row["hub"]
    ctx = {
        "product": product.row["name"],
        "size": size,
        "line": product.row["line"],
        "city": C.CITY_NAMES.get(language, C.CITY_NAMES["en"])[hub],
    }
    return ctx, product


def _plan_conversations(
    seed: int, now: datetime, count: int, clients: Sequence[_Client], products: Sequence[_Product], staff: Sequence[dict[str, Any]]
) -> list[_Plan]:
    rng = _section_rng(seed, "conversations")
    by_line: dict[str, list[_Product]] = {}
    for p in products:
        by_line.setdefault(p.row["line"], []).append(p)
    sized = [p for p in products if p.sizing in ("shoes_f", "shoes_m", "rtw_f", "rtw_m")]
    chosen = _pick_clients(rng, clients, min(count, len(clients)))
    # More conversations than clients: the same clients again, on other channels.
    seen: set[tuple[int, str]] = set()
    plans: list[_Plan] = []
    rounds = 0
    while len(plans) < count and clients and rounds < 8:
        for client in chosen:
            if len(plans) >= count:
                break
            consent = client.row["consent"]
            allowed = [ch for ch in ("chat", "whatsapp", "email", "phone") if consent.get(ch)] or ["email"]
            if rng.random() < 0.6 and rounds == 0:
                channel = client.row["preferred_channel"]
            else:
                channel = _weighted(rng, allowed, [{"chat": 3.5, "whatsapp": 3, "email": 2.5, "phone": 1}[c] for c in allowed])
            if (client.row["id"], channel) in seen:
                continue
            seen.add((client.row["id"], channel))
            plans.append(_plan_one(rng, now, client, channel, by_line, sized, products, staff))
        rounds += 1
        chosen = list(clients)
        rng.shuffle(chosen)
    return plans


def _plan_one(
    rng: random.Random,
    now: datetime,
    client: _Client,
    channel: str,
    by_line: dict[str, list[_Product]],
    sized: Sequence[_Product],
    products: Sequence[_Product],
    staff: Sequence[dict[str, Any]],
) -> _Plan:
    hub = client.row["hub"]
    language = client.language
    tier = client.row["vic_tier"]
    status = _weighted(rng, ("queued", "assigned", "snoozed"), (60, 30, 10))
    stage = _weighted(rng, ("intent", "purchase", "after_sales"), (50, 25, 25))
    first_kind = "appointment" if stage == "intent" and rng.random() < 0.2 else stage
    assignee = _assignee_for(rng, hub, language, staff) if status != "queued" else None
    # The advisor writes in the client's language when she speaks it, in English otherwise.
    reply_lang = language if assignee is None or language.split("-")[0] in assignee["languages"] else "en"
    ctx, product = _context(rng, client, by_line, sized, products, language)
    rctx = dict(ctx, salutation=C.salutation(reply_lang, client.person), city=C.CITY_NAMES.get(reply_lang, C.CITY_NAMES["en"])[hub])

    tags: list[str] = []
    if tier in _VIC:
        tags.append("vic")
    if first_kind == "appointment":
        tags.append("appointment")
    priority = {"black": 2, "platinum": 1}.get(tier, 0)
    if stage == "after_sales" and priority < 2:
        priority += 1

    # Offsets in seconds from the first message; scaled to fit before `now` at the end.
    if status == "queued":
        age = rng.randint(120, 36 * 3600) if rng.random() < 0.85 else rng.randint(36 * 3600, 3 * 86400)
    elif status == "assigned":
        age = rng.randint(15 * 60, 3 * 86400)
    else:
        age = rng.randint(86400, 5 * 86400)
    steps: list[tuple[int, str, str, list[dict[str, Any]]]] = []  # (offset, kind, body, attachments)

    if channel == "phone":
        if status == "queued":
            tags.append("callback")
            steps.append((0, "system", C.SYSTEM_MISSED_CALL, []))
        else:
            minutes = rng.randint(2, 18)
            steps.append((0, "system", C.SYSTEM_CALL, []))
            steps.append((5, "claim", "", []))
            note = C.fill(rng.choice(C.CALL_NOTES), dict(ctx, minutes=minutes))
            steps.append((minutes * 60 + rng.randint(30, 600), "note", note, []))
    else:
        steps.append((0, "inbound", C.decorate(rng, C.inbound_text(rng, language, first_kind, ctx), language), []))
        t = 0
        if status == "queued":
            for _ in range(_weighted(rng, (0, 1, 2), (6, 3, 1))):
                t += rng.randint(60, 1800)
                steps.append((t, "inbound", C.decorate(rng, C.inbound_text(rng, language, "followup", ctx), language), []))
        else:
            total = rng.randint(2, 8)
            t += rng.randint(60, 1800)
            steps.append((t, "claim", "", []))
            last = "inbound"
            replied = False
            n_msgs = 1
            while n_msgs < total:
                if last == "inbound":
                    nxt = _weighted(rng, ("reply", "inbound"), (8, 2)) if replied else "reply"
                elif last == "reply":
                    nxt = _weighted(rng, ("inbound", "note", "reply"), (75, 15, 10))
                else:  # note
                    nxt = _weighted(rng, ("inbound", "reply"), (7, 3))
                gap = {"reply": rng.randint(60, 2400), "inbound": rng.randint(300, 6 * 3600), "note": rng.randint(60, 240)}[nxt]
                t += gap if not (nxt == "reply" and not replied) else rng.randint(60, 300)
                if nxt == "inbound":
                    body = C.decorate(rng, C.inbound_text(rng, language, "followup", ctx), language)
                    steps.append((t, "inbound", body, []))
                elif nxt == "reply":
                    kind = first_kind if not replied else "followup"
                    body = C.reply_text(rng, reply_lang, kind, rctx)
                    attachments: list[dict[str, Any]] = []
                    if product is not None and not replied and stage in ("intent", "purchase") and rng.random() < 0.5:
                        cur = client.row["currency"]
                        card = Attachment(
                            type="product_card",
                            sku=product.row["sku"],
                            name=product.row["name"],
                            price=C.format_price(product.row["prices"][cur], cur),
                        )
                        attachments.append(card.model_dump(mode="json"))
                    steps.append((t, "reply", body, attachments))
                    replied = True
                else:
                    notes = C.NOTES if tier in _VIC else [n for n in C.NOTES if not n.startswith("VIC")]
                    steps.append((t, "note", rng.choice(notes), []))
                last = nxt
                n_msgs += 1
            if status == "snoozed":
                while steps and steps[-1][1] == "inbound" and len(steps) > 2:
                    steps.pop()
                if steps[-1][1] in ("claim", "inbound"):  # make sure the advisor answered before snoozing
                    t = steps[-1][0] + rng.randint(60, 600)
                    steps.append((t, "reply", C.reply_text(rng, reply_lang, first_kind, rctx), []))
        if status == "snoozed":
            steps.append((steps[-1][0] + rng.randint(60, 600), "snooze", "", []))
    if channel == "phone" and status == "snoozed":
        steps.append((steps[-1][0] + rng.randint(60, 600), "snooze", "", []))

    span = steps[-1][0]
    window = max(age - 60, 1)
    scale = min(1.0, window / span) if span else 1.0
    start = now - timedelta(seconds=age)
    actions = [_Action(start, 0, "create")]
    prev = start
    for order, (off, kind, body, att) in enumerate(steps, start=1):
        at = start + timedelta(seconds=int(off * scale))
        at = max(at, prev)  # never out of order within a conversation
        prev = at
        actions.append(_Action(at, order, kind, body, att))
    snoozed_until = None
    if status == "snoozed":
        snoozed_until = (now + timedelta(minutes=rng.randint(24, 3 * 24 * 12) * 5)).replace(second=0, microsecond=0)
    return _Plan(client, channel, stage, status, language, hub, assignee, priority, tags, actions, snoozed_until)


def _build_log(
    plans: list[_Plan], staff: Sequence[dict[str, Any]], now: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Walk every conversation's actions in global time order: conversation rows, message
    rows, and the event rows (seq 1..N) the clients rebuild their state from."""
    plans.sort(key=lambda p: (p.actions[0].at, p.client.row["id"], p.channel))
    for cid, plan in enumerate(plans, start=1):
        plan.conv_id = cid
    states: dict[int, dict[str, Any]] = {}
    client_objs: dict[int, ClientRow] = {}
    timeline = sorted(
        ((a.at, plan.conv_id, a.order, plan, a) for plan in plans for a in plan.actions),
        key=lambda x: (x[0], x[1], x[2]),
    )
    events: list[dict[str, Any]] = []
    messages: list[dict[str, Any]] = []
    first_at = timeline[0][0] if timeline else now
    staff_at = first_at - timedelta(minutes=1)
    for a in staff:
        if a["role"] == "channel":
            continue
        adv = Advisor.model_validate({k: v for k, v in a.items() if k != "password_hash"})
        events.append(
            {"type": ev.ADVISOR_UPDATED, "at": staff_at, "actor": "system", "data": {"advisor": adv.model_dump(mode="json")}, "conversation_id": None, "hub": None, "assignee": None}
        )

    for at, cid, _order, plan, action in timeline:
        if action.kind == "create":
            states[cid] = {
                "id": cid,
                "client_id": plan.client.row["id"],
                "channel": plan.channel,
                "stage": plan.stage,
                "status": "queued",
                "language": plan.language,
                "hub": plan.hub,
                "assignee_id": None,
                "priority": plan.priority,
                "created_at": at,
                "first_response_at": None,
                "last_activity_at": at,
                "last_inbound_at": None,
                "snoozed_until": None,
                "tags": list(plan.tags),
                "preview": "",
                "subject": None,
            }
            client_objs[cid] = ClientRow(**plan.client.row)
        st = states[cid]
        message: dict[str, Any] | None = None
        assignee = plan.assignee["username"] if st["assignee_id"] else None
        actor = "client" if plan.channel != "phone" else "system"
        etype = ev.CONVERSATION_CREATED
        if action.kind in ("inbound", "system", "reply", "note"):
            etype = ev.MESSAGE_CREATED
            if action.kind in ("inbound", "system"):
                st["last_inbound_at"] = at
                st["preview"] = _preview(action.body)
                author = "client" if action.kind == "inbound" else "system"
                delivery = "received" if action.kind == "inbound" else "sent"
            elif action.kind == "reply":
                st["first_response_at"] = st["first_response_at"] or at
                st["preview"] = _preview(action.body)
                author = assignee or "system"
                delivery = "read" if plan.channel in ("whatsapp", "chat") and at < now - timedelta(minutes=30) else "sent"
            else:
                author = assignee or "system"
                delivery = "internal"
            st["last_activity_at"] = at
            subject = None
            if plan.channel == "email" and action.kind in ("inbound", "reply"):
                if st["subject"] is None and action.kind == "inbound":  # the first email names the thread
                    st["subject"] = subject = C.subject_of(action.body)
                else:
                    subject = reply_subject(st["subject"])
            mid = len(messages) + 1
            message = {
                "id": mid,
                "conversation_id": cid,
                "kind": "inbound" if action.kind == "inbound" else action.kind,
                "body": action.body,
                "attachments": action.attachments,
                "author": author,
                "at": at,
                "delivery": delivery,
                "idempotency_key": None,
                "subject": subject,
            }
            messages.append(message)
            actor = author
        elif action.kind == "claim":
            etype = ev.CONVERSATION_CLAIMED
            assert plan.assignee is not None
            st["assignee_id"] = plan.assignee["id"]
            st["status"] = "assigned"
            if plan.channel == "phone":  # the call was answered: that is the first response
                st["first_response_at"] = st["first_response_at"] or at
            assignee = actor = plan.assignee["username"]
        elif action.kind == "snooze":
            etype = ev.CONVERSATION_SNOOZED
            st["status"] = "snoozed"
            st["snoozed_until"] = plan.snoozed_until
            actor = assignee or "system"
        summary = conversation_summary(ConversationRow(**st), client_objs[cid], assignee).model_dump(mode="json")
        data: dict[str, Any] = {"conversation": summary}
        if message is not None:
            data["message"] = Message.model_validate(message).model_dump(mode="json")
        events.append(
            {"type": etype, "at": at, "actor": actor, "data": data, "conversation_id": cid, "hub": plan.hub, "assignee": assignee}
        )
    for seq, e in enumerate(events, start=1):
        e["seq"] = seq
        e["prev_hub"] = None
        e["prev_assignee"] = None
    conversations = [states[p.conv_id] for p in plans]
    return conversations, messages, events


# ---- entry point ---------------------------------------------------------------------------

_SERIAL_TABLES = ("advisor", "client", "product", "purchase", "task", "conversation", "message")


def _chunks(rows: Sequence[dict[str, Any]], size: int = 2000) -> Iterable[Sequence[dict[str, Any]]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def seed(
    engine: Engine,
    *,
    clients: int = 5000,
    products: int = 1500,
    conversations: int = 300,
    seed: int = 7,
    password: str = "demo",
    now: datetime | None = None,
) -> list[dict[str, str]]:
    """Fill an empty, migrated database. Returns the demo accounts
    [{"username", "password", "role", "hub", "name"}, ...]: every role, `channel` included,
    the easy ones (advisor, supervisor, trainer, channel-sim) first."""
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    else:
        now = now.astimezone(UTC)
    if is_seeded(engine):
        raise RuntimeError("The database already holds data; seed an empty database.")

    staff = _advisor_rows(seed, password)
    product_objs = _products(seed, products)
    client_objs = _clients(seed, clients, staff)
    purchase_rows = _purchases(seed, now, client_objs, product_objs)
    task_rows = _tasks(seed, now, client_objs)
    plans = _plan_conversations(seed, now, conversations, client_objs, product_objs, staff)
    conv_rows, message_rows, event_rows = _build_log(plans, staff, now)

    with writer(engine).begin() as conn:
        for table, rows in (
            (AdvisorRow.__table__, staff),
            (ProductRow.__table__, [p.row for p in product_objs]),
            (ClientRow.__table__, [c.row for c in client_objs]),
            (PurchaseRow.__table__, purchase_rows),
            (TaskRow.__table__, task_rows),
            (ConversationRow.__table__, conv_rows),
            (MessageRow.__table__, message_rows),
            (EventRow.__table__, event_rows),
        ):
            for chunk in _chunks(rows):
                conn.execute(insert(table), list(chunk))
        if conn.dialect.name == "postgresql":
            # Explicit ids do not advance PostgreSQL's sequences: move them past the seed.
            for name in _SERIAL_TABLES:
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {name}), 1), (SELECT MAX(id) FROM {name}) IS NOT NULL)"
                    )
                )
            # A bulk load leaves entries unmerged in the GIN indexes' pending lists (the lookbook
            # search's trigram and grams indexes), which every search reads through until
            # autovacuum merges them: merge them now (migration 0011).
            conn.execute(
                text(
                    "SELECT gin_clean_pending_list(i.indexrelid) FROM pg_index i "
                    "JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam "
                    "WHERE am.amname = 'gin' AND pg_table_is_visible(i.indrelid)"
                )
            )
    return demo_accounts(password)


def main() -> None:  # pragma: no cover - a quick manual timing: python -m advisor_console.demo.seed URL
    import sys

    from ..server.db import make_engine, migrate

    url = sys.argv[1] if len(sys.argv) > 1 else "sqlite:///demo-seed.db"
    migrate(url)
    engine = make_engine(url)
    t0 = time.perf_counter()
    accounts = seed(engine)
    print(f"seeded in {time.perf_counter() - t0:.2f}s; {len(accounts)} accounts")


if __name__ == "__main__":  # pragma: no cover
    main()
