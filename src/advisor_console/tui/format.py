"""Small, pure formatting helpers shared by the panes (no widgets here)."""

from __future__ import annotations

import re
from datetime import date, datetime, time as dtime, timedelta, timezone
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from ..domain.models import HUB_CURRENCY, HUBS  # noqa: F401 - HUB_CURRENCY is re-exported for the widgets

if TYPE_CHECKING:
    from rich.style import Style

CHANNEL_ICONS = {"chat": "◉", "whatsapp": "✆", "email": "✉", "phone": "☎", "video": "▶"}
CHANNEL_NAMES = {"chat": "chat", "whatsapp": "WhatsApp", "email": "email", "phone": "phone", "video": "video"}
TIER_MARKS = {"none": " ", "silver": "S", "gold": "G", "platinum": "P", "black": "B"}
TIER_NAMES = {"none": "—", "silver": "Silver", "gold": "Gold", "platinum": "Platinum", "black": "Black"}
PRIORITY_MARKS = {1: "!", 2: "!!", 3: "!!!"}
PRIORITY_NAMES = {0: "normal", 1: "high", 2: "urgent", 3: "critical"}
STATUS_MARKS = {"queued": "●", "assigned": "◆", "snoozed": "z", "resolved": "✓"}

# The currency each hub sells in (the lookbook shows prices in it).
_SYMBOL = {"EUR": "€", "USD": "$", "JPY": "¥", "KRW": "₩", "CNY": "CN¥", "SGD": "S$", "GBP": "£", "CHF": "CHF "}
_NO_DECIMALS = {"JPY", "KRW"}


@lru_cache(maxsize=16)
def hub_zone(hub: str) -> ZoneInfo:
    h = HUBS.get(hub)
    return ZoneInfo(h.tz if h else "UTC")


# Where a client lives, for her local time: countries with one zone (or one main zone);
# others fall back to her hub's zone.
COUNTRY_ZONES = {
    "JP": "Asia/Tokyo", "KR": "Asia/Seoul", "CN": "Asia/Shanghai", "HK": "Asia/Hong_Kong", "TW": "Asia/Taipei",
    "SG": "Asia/Singapore", "TH": "Asia/Bangkok", "MY": "Asia/Kuala_Lumpur", "ID": "Asia/Jakarta", "PH": "Asia/Manila",
    "IN": "Asia/Kolkata", "AE": "Asia/Dubai", "SA": "Asia/Riyadh", "QA": "Asia/Qatar", "IL": "Asia/Jerusalem",
    "IT": "Europe/Rome", "FR": "Europe/Paris", "DE": "Europe/Berlin", "ES": "Europe/Madrid", "GB": "Europe/London",
    "CH": "Europe/Zurich", "NL": "Europe/Amsterdam", "BE": "Europe/Brussels", "AT": "Europe/Vienna", "SE": "Europe/Stockholm",
    "DK": "Europe/Copenhagen", "NO": "Europe/Oslo", "FI": "Europe/Helsinki", "PT": "Europe/Lisbon", "IE": "Europe/Dublin",
    "GR": "Europe/Athens", "PL": "Europe/Warsaw", "MC": "Europe/Monaco", "TR": "Europe/Istanbul",
    "MX": "America/Mexico_City", "AR": "America/Argentina/Buenos_Aires", "CO": "America/Bogota", "PE": "America/Lima",
    "CL": "America/Santiago", "NZ": "Pacific/Auckland",
}


def client_zone(country: str | None, hub: str) -> ZoneInfo:
    """The zone a client lives in: her country's when it has one, else her hub's."""
    name = COUNTRY_ZONES.get((country or "").upper())
    return ZoneInfo(name) if name else hub_zone(hub)


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


_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def hub_today(hub: str, now: datetime) -> date:
    """The day it is at the hub: what a time is shown without its date on."""
    return aware(now).astimezone(hub_zone(hub)).date()


def local_times(hub: str, now: datetime) -> Callable[[datetime], str]:
    """`local_time` for many times at once (a thread's messages): the zone and today are
    worked out once, and the text is put together without strftime."""
    zone = hub_zone(hub)
    today = hub_today(hub, now)

    def shown(dt: datetime) -> str:
        local = aware(dt).astimezone(zone)
        if local.date() == today:
            return f"{local.hour:02d}:{local.minute:02d}"
        return f"{local.day:02d} {_MONTHS[local.month - 1]} {local.hour:02d}:{local.minute:02d}"

    return shown


def local_time(dt: datetime, hub: str, now: datetime) -> str:
    """A message time in the advisor's hub zone: "09:12", or "21 Nov 09:12" on another day."""
    return local_times(hub, now)(dt)


def without_background(style: "Style") -> "Style":
    """`style` minus its background: for spans drawn over a highlight (list rows)."""
    from rich.style import Style

    return Style.from_color(style.color) + style.without_color


_DURATION = re.compile(r"^(?:in\s+)?(\d{1,4})\s*(s|secs?|seconds?|m|min|mins|minutes?|h|hrs?|hours?|d|days?)$")
_CLOCK = re.compile(r"^(?:(today|tomorrow|tmrw)\s+)?(?:at\s+)?(\d{1,2})(?::(\d{2}))?\s*(am|pm)?$")
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[ t](\d{1,2}):(\d{2}))?$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
WHEN_HELP = "e.g. 45m, 2h, 3d, 14:30, tomorrow 9:00, 2026-12-01 10:00 (your hub's time)"


def parse_when(text: str, now: datetime, hub: str) -> datetime:
    """A moment typed by an advisor, in their hub's time zone: "45m", "2h", "3d", "14:30"
    (today, or tomorrow once passed), "tomorrow 9am", "2026-12-01 10:00". Raises
    ValueError with a sentence for the advisor when it is not one of those or not ahead."""
    zone = hub_zone(hub)
    local_now = aware(now).astimezone(zone)
    t = " ".join(text.strip().lower().split())
    when: datetime | None = None
    if m := _DURATION.match(t):
        amount, unit = int(m.group(1)), m.group(2)[0]
        when = local_now + timedelta(**{_UNITS[unit]: amount})
    elif m := _CLOCK.match(t):
        hour, minute = int(m.group(2)), int(m.group(3) or 0)
        if m.group(4):
            if not 1 <= hour <= 12:
                raise ValueError("With am/pm the hour is 1 to 12.")
            hour = hour % 12 + (12 if m.group(4) == "pm" else 0)
        if hour > 23 or minute > 59:
            raise ValueError("That is not a time of day.")
        day = local_now.date() + timedelta(days=1 if m.group(1) in ("tomorrow", "tmrw") else 0)
        when = datetime.combine(day, dtime(hour, minute), zone)
        if when <= local_now and not m.group(1):
            when += timedelta(days=1)
    elif m := _DATE.match(t):
        try:
            when = datetime(int(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(4) or 9), int(m.group(5) or 0), tzinfo=zone)
        except ValueError:
            raise ValueError("That date does not exist.") from None
    if when is None:
        raise ValueError(f"Not a time I understand: {WHEN_HELP}.")
    if when <= local_now:
        raise ValueError("That moment has passed.")
    return when.astimezone(timezone.utc)
