"""Small, pure formatting helpers shared by the panes (no widgets here)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING
from functools import lru_cache
from zoneinfo import ZoneInfo

from ..domain.models import HUB_CURRENCY, HUBS  # noqa: F401 - HUB_CURRENCY is re-exported for the widgets

if TYPE_CHECKING:
    from rich.style import Style

CHANNEL_ICONS = {"chat": "◉", "whatsapp": "✆", "email": "✉", "phone": "☎", "video": "▶"}
CHANNEL_NAMES = {"chat": "chat", "whatsapp": "WhatsApp", "email": "email", "phone": "phone", "video": "video"}
TIER_MARKS = {"none": " ", "silver": "S", "gold": "G", "platinum": "P", "black": "B"}
TIER_NAMES = {"none": "—", "silver": "Silver", "gold": "Gold", "platinum": "Platinum", "black": "Black"}
STATUS_MARKS = {"queued": "●", "assigned": "◆", "snoozed": "z", "resolved": "✓"}

# The currency each hub sells in (the lookbook shows prices in it).
_SYMBOL = {"EUR": "€", "USD": "$", "JPY": "¥", "KRW": "₩", "CNY": "CN¥", "SGD": "S$", "GBP": "£", "CHF": "CHF "}
_NO_DECIMALS = {"JPY", "KRW"}


@lru_cache(maxsize=16)
def hub_zone(hub: str) -> ZoneInfo:
    h = HUBS.get(hub)
    return ZoneInfo(h.tz if h else "UTC")


def aware(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def waiting(since: datetime | None, now: datetime) -> str:
    """Compact age: "now", "4m", "2h", "3d"."""
    if since is None:
        return ""
    seconds = max(0, int((aware(now) - aware(since)).total_seconds()))
    if seconds < 60:
        return "now"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 86400:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"


def money(amount: float, currency: str) -> str:
    symbol = _SYMBOL.get(currency, currency + " ")
    if currency in _NO_DECIMALS or float(amount).is_integer():
        return f"{symbol}{amount:,.0f}"
    return f"{symbol}{amount:,.2f}"


def local_time(dt: datetime, hub: str, now: datetime) -> str:
    """A message time in the advisor's hub zone: "09:12", or "21 Nov 09:12" on another day."""
    zone = hub_zone(hub)
    local = aware(dt).astimezone(zone)
    if local.date() == aware(now).astimezone(zone).date():
        return local.strftime("%H:%M")
    return local.strftime("%d %b %H:%M")


def without_background(style: "Style") -> "Style":
    """`style` minus its background: for spans drawn over a highlight (list rows)."""
    from rich.style import Style

    return Style.from_color(style.color) + style.without_color
