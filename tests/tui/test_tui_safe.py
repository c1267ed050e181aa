"""safe(): client text can neither drive the terminal nor disguise itself."""

from __future__ import annotations

import pytest
from rich.cells import cell_len

from advisor_console.tui.safe import safe, safe_line


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("plain text", "plain text"),
        ("\x1b[31mred\x1b[0m", "␛[31mred␛[0m"),
        ("title\x1b]0;pwned\x07", "title␛]0;pwned␇"),
        ("bell\x07 nul\x00 bs\x08", "bell␇ nul␀ bs␈"),
        ("del\x7f", "del␡"),
        ("csi\x9b2J nel\x85", "csi�2J nel�"),
        ("abc\u202edcba", "abc⟨U+202E⟩dcba"),
        ("\u2066isolate\u2069", "⟨U+2066⟩isolate⟨U+2069⟩"),
        ("\u202a\u202b\u202c\u202d", "⟨U+202A⟩⟨U+202B⟩⟨U+202C⟩⟨U+202D⟩"),
        ("pay\u200bpal", "pay⟨U+200B⟩pal"),
        ("a\u200db", "a⟨U+200D⟩b"),
        ("x\ufeffy\u2060z", "x⟨U+FEFF⟩y⟨U+2060⟩z"),
        ("line1\r\nline2", "line1\nline2"),
        ("cr\ronly", "cr␍only"),
        ("tab\there", "tab    here"),
        ("", ""),
    ],
)
def test_controls_and_tricks_become_visible(raw: str, shown: str) -> None:
    assert safe(raw) == shown


@pytest.mark.parametrize(
    "text",
    [
        "👩\u200d👩\u200d👧",  # family: ZWJ between emoji
        "👍🏽",  # skin tone
        "🏳\ufe0f\u200d🌈",  # VS16 then ZWJ
        "❤\ufe0f\u200d🔥",
        "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",  # Scotland (tag sequence)
        "क्\u200dष",  # Devanagari half form with ZWJ
        "می\u200cخواهم",  # Persian ZWNJ
        "田中 由紀 김서연 José Nuñez Zoë e\u0301",  # CJK, Hangul, combining marks
        "عربي עברית",  # right-to-left scripts themselves are fine
    ],
)
def test_legitimate_text_is_kept(text: str) -> None:
    assert safe(text) == text


def test_stray_tag_characters_are_shown() -> None:
    assert safe("a\U000e0041b") == "a⟨U+E0041⟩b"


def test_safe_line_keeps_one_line() -> None:
    assert safe_line("two\nlines\u2028three") == "two ⏎ lines ⏎ three"
    assert "\n" not in safe_line("a\r\nb")


def test_result_has_no_controls_left() -> None:
    nasty = "".join(chr(c) for c in range(0, 0xA0)) + "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u200e\u200f"
    out = safe(nasty)
    assert all(ch == "\n" or not (ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F) for ch in out)
    assert not any(0x202A <= ord(ch) <= 0x202E or 0x2066 <= ord(ch) <= 0x2069 or ord(ch) in (0x200B, 0x200E, 0x200F) for ch in out)
    assert cell_len(safe_line(nasty)) == len(safe_line(nasty))  # every placeholder is one cell
