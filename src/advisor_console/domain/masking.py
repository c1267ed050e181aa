"""Masking client personal data with stable pseudonyms (recordings, the trainer role).

A `Masker` knows the clients (their Latin and native names, emails, phones) and gives each
a pseudonym in the same script, chosen from a keyed hash of her id: the same client gets
the same pseudonym in every line and every request, and a thread still reads naturally
(田中 由紀様 becomes 佐藤 美咲様, Kim Ji-hyun becomes Park Seo-yeon). `text` masks any
string: every client's full name, family and given names (in any order, with or without
the space, honorifics untouched), every email address and phone number, every street
address of the form "12 Some Street". `document` masks a JSON-like value, keys untouched.

Masking works on text, so it also masks a serialized JSON event or page as a whole (the
pseudonyms hold no quote or backslash).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

# (Latin, native) pairs by script; the Latin form keeps the order the house writes it.
# Japanese names are written given-first in Latin script, family-first in kanji.
_JA = [("Misaki Sato", "佐藤 美咲"), ("Haruka Suzuki", "鈴木 遥"), ("Aoi Takahashi", "高橋 葵"), ("Sakura Ito", "伊藤 さくら"), ("Rin Watanabe", "渡辺 凛"),
       ("Yui Yamamoto", "山本 結衣"), ("Mio Nakamura", "中村 美桜"), ("Hina Kobayashi", "小林 陽菜"), ("Emi Kato", "加藤 恵美"), ("Nana Yoshida", "吉田 菜々")]
_KO = [("Park Seo-yeon", "박서연"), ("Choi Ha-eun", "최하은"), ("Jung Ji-woo", "정지우"), ("Kang Min-seo", "강민서"), ("Yoon Su-ah", "윤수아"),
       ("Lim Ye-jin", "임예진"), ("Han So-yul", "한소율"), ("Oh Da-eun", "오다은"), ("Seo Yu-na", "서유나"), ("Shin Chae-won", "신채원")]
_ZH = [("Zhang Yutong", "张雨桐"), ("Liu Siyu", "刘思雨"), ("Chen Xinyi", "陈欣怡"), ("Yang Zimo", "杨子墨"), ("Zhao Ruoxi", "赵若溪"),
       ("Huang Shiyun", "黄诗韵"), ("Zhou Yiran", "周怡然"), ("Wu Jiaxin", "吴佳欣"), ("Xu Mengyao", "徐梦瑶"), ("Sun Keyi", "孙可怡")]
_LATIN = ["Claire Martin", "Sophie Laurent", "Elena Rossi", "Anna Weber", "Laura Bianchi", "Emma Clarke", "Julia Moreau", "Clara Fontaine",
          "Lucia Romano", "Olivia Harper", "Maria Lopez", "Ingrid Berg", "Chloé Girard", "Giulia Conti", "Hannah Becker", "Isabel Cruz"]
_THAI = ["Malee Suwan", "Nara Chai"]

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Phone numbers: international (+ and 7 or more digits, with separators), or local groups
# of digits with separators (03-1234-5678, (212) 555 0199). Not dates, times or prices.
_PHONE = re.compile(r"(?<![\w+])(?:\+\d[\d\s().-]{5,}\d|\(?\d{2,4}\)?[\s.-]\d{3,4}[\s.-]\d{3,4})(?![\w])")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}([T ][\d:.]+([+-]\d{2}:\d{2}|Z)?)?$")
_STREET = re.compile(
    r"\b\d{1,5}\s+(?:[A-Z][\w'-]*\s+){0,3}(?:Street|St\.?|Avenue|Ave\.?|Road|Rd\.?|Boulevard|Blvd\.?|Lane|Way|Strasse|Straße)\b"
    r"|\b\d{0,5}\s*(?:Via|Viale|Rue|Calle|Avenida|Corso)\s+(?:[A-Z][\w'-]*\s?){1,3}(?:,?\s*\d{1,5})?",
    re.UNICODE,
)
_SCRIPTS = {"ja": _JA, "ko": _KO, "zh": _ZH}


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


@dataclass(frozen=True)
class Person:
    """What identifies a client, and her pseudonym."""

    id: int
    name: str
    native_name: str | None
    email: str | None
    phone: str | None
    pseudonym: str
    pseudonym_native: str | None


class Masker:
    def __init__(self, clients: Iterable[Any], *, secret: str = "advisor-console") -> None:
        self.secret = secret
        self.people: dict[int, Person] = {}
        replacements: dict[str, str] = {}
        clients = list(clients)
        # A pseudonym is never a real client's name (it would read as her).
        self._taken = {str((c.get("name") if isinstance(c, dict) else getattr(c, "name", "")) or "") for c in clients}
        for c in clients:
            person = self._person(c)
            self.people[person.id] = person
            for original, masked in self._pairs(person):
                if len(original) >= 2 and original not in replacements:
                    replacements[original] = masked
        self._replacements = replacements
        latin = sorted((k for k in replacements if k.isascii()), key=len, reverse=True)
        other = sorted((k for k in replacements if not k.isascii()), key=len, reverse=True)
        parts = []
        if latin:
            parts.append(r"(?<![\w])(?:" + "|".join(map(re.escape, latin)) + r")(?![\w])")
        if other:
            parts.append("(?:" + "|".join(map(re.escape, other)) + ")")  # CJK: no word boundaries
        self._names = re.compile("|".join(parts)) if parts else None

    # ---- pseudonyms --------------------------------------------------------------------------

    def _pick(self, client_id: int, pool_size: int, salt: str = "") -> int:
        digest = hashlib.sha256(f"{self.secret}:{salt}:{client_id}".encode()).digest()
        return int.from_bytes(digest[:8], "big") % pool_size

    def _person(self, c: Any) -> Person:
        get = (lambda k: c.get(k)) if isinstance(c, dict) else (lambda k: getattr(c, k, None))
        cid = int(get("id") or 0)
        locale = str(get("locale") or "en")
        script = locale.split("-")[0].lower()
        native = get("native_name")
        pool: list[tuple[str, str | None]] = list(_SCRIPTS[script]) if script in _SCRIPTS else [(n, None) for n in (_THAI if script == "th" else _LATIN)]
        start = self._pick(cid, len(pool))
        candidates = [pool[(start + i) % len(pool)] for i in range(len(pool))]
        latin, masked_native = next((c for c in candidates if c[0] not in self._taken), candidates[0])
        if native and masked_native is None:
            masked_native = latin
        return Person(cid, str(get("name") or ""), native, get("email"), get("phone"), latin, masked_native)

    def _pairs(self, p: Person) -> list[tuple[str, str]]:
        out = []
        latin_parts, masked_parts = p.name.split(), p.pseudonym.split()
        out.append((p.name, p.pseudonym))
        if len(latin_parts) >= 2:
            out.append((" ".join(reversed(latin_parts)), " ".join(reversed(masked_parts))))
            out.append((latin_parts[0], masked_parts[0]))
            out.append((latin_parts[-1], masked_parts[-1]))
            out.append(("".join(latin_parts), "".join(masked_parts)))
        if p.native_name and p.pseudonym_native:
            native_parts, masked_native = p.native_name.split(), p.pseudonym_native.split()
            out.append((p.native_name, p.pseudonym_native))
            out.append((p.native_name.replace(" ", ""), p.pseudonym_native.replace(" ", "")))
            if len(native_parts) >= 2 and len(masked_native) >= 2:
                out.append((native_parts[0], masked_native[0]))
                out.append((native_parts[-1], masked_native[-1]))
            elif len(native_parts) == 1 and len(p.native_name) >= 3 and not p.native_name.isascii():
                # Korean and Chinese names written without a space: the given name alone.
                out.append((p.native_name[1:], p.pseudonym_native.replace(" ", "")[1:]))
        if p.email:
            out.append((p.email, self.email(p)))
        if p.phone:
            out.append((p.phone, self.phone(p)))
        return out

    def email(self, p: Person) -> str:
        return f"client-{hashlib.sha256(f'{self.secret}:mail:{p.id}'.encode()).hexdigest()[:8]}@example.invalid"

    def phone(self, p: Person) -> str:
        return "+00 000 " + f"{self._pick(p.id, 10_000, 'phone'):04d}"

    def person(self, client_id: int) -> Person | None:
        return self.people.get(client_id)

    # ---- masking ----------------------------------------------------------------------------

    def text(self, value: str) -> str:
        if not value:
            return value
        if self._names is not None:
            value = self._names.sub(lambda m: self._replacements.get(m.group(0), "▒▒"), value)
        value = _EMAIL.sub(lambda m: m.group(0) if m.group(0).endswith("@example.invalid") else "[email]", value)
        value = _PHONE.sub(lambda m: m.group(0) if _digits(m.group(0)) < 7 or m.group(0).startswith("+00 000 ") else "[phone]", value)
        return _STREET.sub("[address]", value)

    def document(self, value: Any) -> Any:
        """A JSON-like value with every string masked (keys untouched)."""
        if isinstance(value, str):
            return value if _TIMESTAMP.match(value) else self.text(value)
        if isinstance(value, dict):
            out = {k: self.document(v) for k, v in value.items()}
            # Fields that name a known client take her own pseudonym (two clients may share
            # a name; the text rules would give both the first one's).
            if isinstance(value.get("client_id"), int) and (p := self.people.get(value["client_id"])) is not None:
                for key, masked in (("client_name", p.pseudonym), ("client_native_name", p.pseudonym_native)):
                    if value.get(key):
                        out[key] = masked
            if isinstance(value.get("id"), int) and "locale" in value and "name" in value and (p := self.people.get(value["id"])) is not None:
                out["name"] = p.pseudonym
                if value.get("native_name"):
                    out["native_name"] = p.pseudonym_native
                if value.get("email"):
                    out["email"] = self.email(p)
                if value.get("phone"):
                    out["phone"] = self.phone(p)
            return out
        if isinstance(value, list):
            return [self.document(v) for v in value]
        return value
