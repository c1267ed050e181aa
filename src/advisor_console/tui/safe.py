"""Make text written by clients harmless to show in a terminal.

Everything a client (or anyone outside the house) writes — names, previews, bodies,
notes quoting them — goes through `safe()` before it is put in a `rich.text.Text`
(never in a markup string). It replaces, with visible placeholders:

- ESC and the other C0 controls and DEL (they could move the cursor, change colours or
  the window title): "␛", "␀"… (the Control Pictures block), "␡";
- C1 controls (U+0080–U+009F, e.g. the 8-bit CSI) and lone surrogates: "�";
- bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069), which can
  make text read in a different order than it is stored (a "Trojan source" trick), and
  the bidi marks: "⟨U+202E⟩";
- invisible characters used to disguise text (zero-width space, word joiner, BOM,
  invisible operators, stray tag characters): "⟨U+200B⟩".

Zero-width joiners and non-joiners are kept where scripts need them: ZWJ inside emoji
sequences (👩‍👩‍👧) and between letters of non-Latin scripts (Devanagari, Arabic…), ZWNJ
between letters of non-Latin scripts (Persian, Indic); elsewhere they are shown.
Tag characters are kept after a black flag (🏴 subdivision flags).

Newlines are kept (``multiline=True``, for message bodies) or shown as "⏎" (names,
previews); CR LF becomes LF; tabs become spaces so cell widths stay predictable.
"""

from __future__ import annotations

import re
import unicodedata

ZWJ = "\u200d"
ZWNJ = "\u200c"
_BIDI = frozenset(range(0x202A, 0x202F)) | frozenset(range(0x2066, 0x206A)) | {0x200E, 0x200F, 0x061C}
_INVISIBLE = frozenset({0x200B, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0xFEFF, 0x180E, 0x034F, 0x115F, 0x1160, 0x3164, 0xFFA0}) | frozenset(range(0xFFF9, 0xFFFC))
_TAGS = range(0xE0000, 0xE0080)
_BLACK_FLAG = 0x1F3F4
_TAB = "    "


def _placeholder(ch: str) -> str:
    return f"⟨U+{ord(ch):04X}⟩"


def _is_emoji(ch: str) -> bool:
    cp = ord(ch)
    return (
        0x1F000 <= cp <= 0x1FAFF
        or 0x2600 <= cp <= 0x27BF
        or 0x2B00 <= cp <= 0x2BFF
        or 0x2190 <= cp <= 0x21FF
        or 0x2300 <= cp <= 0x23FF
        or cp in (0x00A9, 0x00AE, 0x203C, 0x2049, 0x2122, 0x2139, 0x3030, 0x303D, 0x3297, 0x3299)
    )


def _is_emoji_part(ch: str) -> bool:
    """An emoji or something that attaches to one (variation selector, skin tone, keycap)."""
    cp = ord(ch)
    return _is_emoji(ch) or cp in (0xFE0F, 0xFE0E, 0x20E3) or 0x1F3FB <= cp <= 0x1F3FF


def _is_complex_script_letter(ch: str) -> bool:
    """A letter or mark of a script where joiners carry meaning (not Latin/Greek/Cyrillic)."""
    return ord(ch) >= 0x0590 and unicodedata.category(ch)[0] in ("L", "M")


def _joiner_allowed(prev: str, nxt: str, joiner: str) -> bool:
    if not prev or not nxt:
        return False
    if joiner == ZWJ and _is_emoji_part(prev) and _is_emoji(nxt):
        return True
    return _is_complex_script_letter(prev) and _is_complex_script_letter(nxt)


# Every character the loop below may change; text without any is returned as it is (the
# common case, and the fast one: one regex search instead of a Python loop per character).
_SUSPECT = re.compile(
    "[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2060-\u2069\u061c"
    "\ufeff\u180e\u034f\u115f\u1160\u3164\uffa0\ufff9-\ufffb\ud800-\udfff\U000e0000-\U000e007f]"
)


def safe(s: str | None, *, multiline: bool = True) -> str:
    """`s` with terminal controls, bidi tricks and disguising invisibles made visible."""
    if not s:
        return ""
    if _SUSPECT.search(s) is None:
        return s
    s = s.replace("\r\n", "\n")
    out: list[str] = []
    n = len(s)
    in_flag = False
    for i, ch in enumerate(s):
        cp = ord(ch)
        if cp == 0x0A:
            out.append("\n" if multiline else " ⏎ ")
        elif cp == 0x09:
            out.append(_TAB)
        elif cp == 0x1B:
            out.append("␛")
        elif cp < 0x20:
            out.append(chr(0x2400 + cp))
        elif cp == 0x7F:
            out.append("␡")
        elif 0x80 <= cp <= 0x9F or 0xD800 <= cp <= 0xDFFF:
            out.append("�")
        elif cp in (0x2028, 0x2029):
            out.append("\n" if multiline else " ⏎ ")
        elif cp in _BIDI or cp in _INVISIBLE:
            out.append(_placeholder(ch))
        elif ch in (ZWJ, ZWNJ):
            prev = s[i - 1] if i > 0 else ""
            nxt = s[i + 1] if i + 1 < n else ""
            out.append(ch if _joiner_allowed(prev, nxt, ch) else _placeholder(ch))
        elif cp in _TAGS:
            if in_flag:
                out.append(ch)
                if cp == 0xE007F:  # CANCEL TAG ends the flag
                    in_flag = False
            else:
                out.append(_placeholder(ch))
            continue
        else:
            out.append(ch)
        in_flag = cp == _BLACK_FLAG
    return "".join(out)


def safe_line(s: str | None) -> str:
    """`safe()` for one-line places (names, previews, tab labels)."""
    return safe(s, multiline=False)
