"""Canned replies (server/canned_replies.toml), served to the composer and used as the
approved WhatsApp templates that may be sent outside the 24-hour window.

A body may hold placeholders that the client fills: {address} (the client's name with
the right form of address), {first_name}, {advisor}, {personal_advisor}, {size},
{product}. A filled body follows its template when everything outside the placeholders
is identical (surrounding whitespace aside).
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path

from ..domain.models import CannedReply

DATA = Path(__file__).with_name("canned_replies.toml")
PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
PLACEHOLDERS = frozenset({"address", "first_name", "advisor", "personal_advisor", "size", "product"})


@cache
def load() -> tuple[CannedReply, ...]:
    with DATA.open("rb") as f:
        raw = tomllib.load(f)
    replies = tuple(CannedReply.model_validate(item) for item in raw.get("reply", []))
    ids = [r.id for r in replies]
    if len(ids) != len(set(ids)):
        raise ValueError("canned_replies.toml: duplicate ids")
    for r in replies:
        unknown = set(PLACEHOLDER.findall(r.body)) - PLACEHOLDERS
        if unknown:
            raise ValueError(f"canned_replies.toml: {r.id} uses unknown placeholders {sorted(unknown)}")
    return replies


def for_language(language: str | None) -> list[CannedReply]:
    """The replies of a language ("zh-Hant" falls back to "zh" when it has none); all without one."""
    replies = load()
    if not language:
        return list(replies)
    exact = [r for r in replies if r.language.lower() == language.lower()]
    if exact:
        return exact
    base = language.split("-")[0].lower()
    return [r for r in replies if r.language.lower() == base]


def approved_template(template_id: str, language: str) -> CannedReply | None:
    """The approved WhatsApp template `template_id`, if it is one for `language`."""
    for r in for_language(language):
        if r.id == template_id and r.whatsapp_approved:
            return r
    return None


@cache
def _pattern(body: str) -> re.Pattern[str]:
    parts: list[str] = []
    pos = 0
    for m in PLACEHOLDER.finditer(body):
        parts.append(re.escape(body[pos : m.start()]))
        parts.append("(.+?)")
        pos = m.end()
    parts.append(re.escape(body[pos:]))
    return re.compile("".join(parts), re.DOTALL)


def parameters(reply: CannedReply, text: str) -> list[str]:
    """The values `text` gives `reply`'s placeholders, in order (a template message's
    parameters); [] when it does not follow the template."""
    m = _pattern(reply.body.strip()).fullmatch(text.strip())
    return [g.strip() for g in m.groups()] if m else []


def matches(reply: CannedReply, text: str) -> bool:
    """Whether `text` is `reply`'s body with its placeholders filled."""
    return _pattern(reply.body.strip()).fullmatch(text.strip()) is not None
