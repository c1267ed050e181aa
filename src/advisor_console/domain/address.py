"""How to address a client, and canned replies filled in for her.

Canned replies carry placeholders: {address} (her name with the form of address of her
language), {first_name}, {advisor} (the advisor's first name), {personal_advisor},
{size} (her size, shoes first), {product}. What is not known stays visible as "…" for
the advisor to complete: a canned reply must never go out with a wrong name in it.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from .models import Client, language_of_locale

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
UNKNOWN = "…"
# The size categories in the order a reply most often means (shoes first).
_SIZE_ORDER = ("shoes_eu", "shoes_us", "shoes_jp", "rtw", "ring", "belt")
# The shoe size system a client reads, by country.
_SHOE_SYSTEM = {"JP": ("shoes_jp", " (JP)"), "KR": ("shoes_jp", " mm"), "US": ("shoes_us", " US"), "CA": ("shoes_us", " US")}


def first_name(client: Client) -> str:
    """The given name where the Latin name is in given-family order, else the full name."""
    language = language_of_locale(client.locale)
    parts = client.name.split()
    if language in ("en", "fr", "it", "de", "es", "pt", "nl") and len(parts) > 1:
        return parts[0]
    return client.name


def form_of_address(client: Client) -> str:
    """Her name as a letter in her language would open with it: 田中由紀様, 김지현 고객님,
    王丽华, or the given name in European languages (these forms need no gender)."""
    language = language_of_locale(client.locale)
    native = client.native_name or client.name
    if language == "ja":
        return f"{native}様"
    if language == "ko":
        return f"{native} 고객님"
    if language in ("zh", "zh-Hant"):
        return native
    return first_name(client)


def size_of(client: Client, category: str | None = None) -> str:
    sizes = client.sizes or {}
    if category and sizes.get(category):
        return sizes[category]
    system, suffix = _SHOE_SYSTEM.get(client.country, ("shoes_eu", " EU"))
    if sizes.get(system):
        if system == "shoes_jp" and client.country == "KR":
            try:
                return f"{float(sizes[system]) * 10:.0f}{suffix}"  # Korea counts in millimetres
            except ValueError:
                return sizes[system]
        return f"{sizes[system]}{suffix}"
    for key in _SIZE_ORDER:
        if sizes.get(key):
            return f"{sizes[key]}"
    return next(iter(sizes.values()), UNKNOWN) if sizes else UNKNOWN


# The client's size key for a product category, and the prefix her record may carry ("IT 40").
_CATEGORY_SIZE_KEY = {"shoes": "shoes_eu", "ready_to_wear": "rtw", "belts": "belt", "jewellery": "ring"}


def her_size_for(client: Client | None, category: str, sizes: Iterable[str] | None = None) -> str | None:
    """Her size in the piece's own size system (EU shoes, IT ready-to-wear, EU rings, belt
    cm) when her record has one; with `sizes` (the piece's), only if the piece is made in
    it. None for one size, a bracelet, or a size she has not given."""
    if client is None:
        return None
    made = list(sizes) if sizes is not None else None
    if category == "jewellery" and made is not None and not any(s.isdigit() for s in made):
        return None  # bracelets, necklaces: no ring size
    raw = (client.sizes or {}).get(_CATEGORY_SIZE_KEY.get(category, ""), "").strip()
    value = raw.split()[-1] if raw else ""
    if not value or (made is not None and value not in made):
        return None
    return value


def fill_placeholders(template: str, client: Client | None, advisor_name: str, *, personal_advisor: str | None = None, product: str | None = None) -> str:
    """The canned reply with what is known filled in; unknown placeholders become "…"."""
    values: Mapping[str, Any] = {
        "address": form_of_address(client) if client else UNKNOWN,
        "first_name": first_name(client) if client else UNKNOWN,
        "advisor": advisor_name.split()[0] if advisor_name.strip() else UNKNOWN,
        "personal_advisor": (personal_advisor or advisor_name).split()[0] if (personal_advisor or advisor_name).strip() else UNKNOWN,
        "size": size_of(client) if client else UNKNOWN,
        "product": product or UNKNOWN,
    }
    return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), UNKNOWN)), template)
