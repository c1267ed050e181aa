"""The thread measures blocks without drawing them (`block_height`) and draws only what is
on screen: the measure must agree with the drawing line for line, for every kind of block
and text, at every width; and a long thread must open at its end, show its last message
at once and end up fully measured."""

from __future__ import annotations

import random

from rich.console import Console
from textual.app import App, ComposeResult

from advisor_console.tui.widgets.thread import Block, Card, ThreadView, block_height
from hostile import HOSTILE
from tui_helpers import wait_until

TEXTS = [
    *HOSTILE,
    "",
    "short",
    "a" * 300,
    "supercalifragilistic" * 12 + " then words " * 10,
    "line one\nline two\n\nline four\n",
    "\n\nleading blank lines",
    "trailing spaces      \n      and leading",
    "tab\tseparated\tcolumns",
    "CRLF\r\nline endings\r\n",
    "東京のお店で36.5のサイズを見せていただけますか？" * 4,
    "서울에서 새벽 3시에 연락드립니다. 블루 색상이 있나요? " * 3,
    "👩‍👩‍👧 family 🏳️‍🌈 flags 👍🏽 tones 🇯🇵🇰🇷 " * 5,
    "e\u0301 combining marks a\u0308 o\u0302 " * 8,
    "مرحبا، هل الحقيبة متوفرة باللون الأزرق؟ " * 4,
    "\u202eevil override\u202c and \u200bzero width",
]


def _blocks() -> list[Block]:
    rng = random.Random(3)
    blocks = []
    for i, text in enumerate(TEXTS):
        for kind in ("inbound", "reply", "note", "system"):
            cards = (Card(sku="SKU-1", name=text[:30] or "piece", price="¥ 420,000"),) if i % 5 == 0 and kind != "system" else ()
            status = rng.choice(("", "", "sending", "refused: " + text[:40]))
            author = rng.choice(("Aiko Mori", text[:25] or "x", "山田 花子 " * 5))
            blocks.append(Block(key=f"b{i}{kind}", kind=kind, author=author, time=rng.choice(("09:12", "21 Nov 09:12")), body=text, cards=cards, status=status))
    return blocks


class _ThreadApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ThreadView(id="thread")


async def test_measure_agrees_with_drawing_at_every_width() -> None:
    app = _ThreadApp()
    async with app.run_test(size=(100, 30)):
        view = app.query_one(ThreadView)
        blocks = _blocks()
        view.set_blocks(blocks)
        for width in (10, 11, 13, 17, 24, 40, 57, 80, 98):
            for block in blocks:
                drawn = len(view._render_block(block, width))
                assert block_height(block, width) == drawn, (width, block)


def test_measure_matches_rich_wrap_for_random_text() -> None:
    """Fuzz the line counting against Rich's own wrapping (mixed widths, spaces, folds)."""
    from advisor_console.tui.widgets.thread import _wrapped_lines

    console = Console(width=200)
    rng = random.Random(11)
    alphabet = "abc de  fgh 東京 👍🏽 é x" + " " * 6
    for _ in range(3000):
        line = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 140)))
        width = rng.randint(4, 60)
        from rich.text import Text

        assert _wrapped_lines(line, width) == len(Text(line).wrap(console, width, overflow="fold")), (line, width)


def test_wrapped_pieces_match_rich_wrap() -> None:
    """The lines drawn without Rich's Text are Rich's lines: the same breaks, trims and folds."""
    from rich.text import Text

    from advisor_console.tui.safe import safe
    from advisor_console.tui.widgets.thread import wrapped_pieces

    console = Console(width=200)
    rng = random.Random(12)
    alphabet = "abc de  fgh 東京 👍🏽 é x\u200b\u0301" + " " * 6 + "\n"
    samples = [safe(t) for t in TEXTS] + ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 160))) for _ in range(3000)]
    for i, text in enumerate(samples):
        width = rng.randint(4, 60) if i >= len(TEXTS) else 4 + i % 50
        want = [line.plain for line in Text(text).wrap(console, width, overflow="fold")]
        assert list(wrapped_pieces(text, width)) == want, (text, width)


def _drawn_through_rich(view: ThreadView, block: Block, width: int) -> list:
    """A message block drawn through Rich's Text (wrap, then render), as the thread drew it
    before its lines were made directly: the reference for the direct drawing."""
    from rich.text import Text
    from textual.strip import Strip

    from advisor_console.tui.safe import safe
    from advisor_console.tui.widgets.thread import BAR, NOTE_BAR, QUOTE_BAR, _head_parts

    st, console, base = view.get_component_rich_style, view.app.console, view._line_base()[1]
    inner = max(4, width - 2)
    note = block.kind == "note"
    fill = st("thread--note") if note else base
    bar = Text.assemble((NOTE_BAR if note else BAR, st("thread--note-bar" if note else f"thread--{block.kind if block.kind == 'inbound' else 'reply'}-bar")))
    head = Text()
    for piece, component in _head_parts(block):
        head.append(piece, st(component))
    lines = [(bar + part, fill) for part in head.wrap(console, inner, overflow="fold")]
    for line in safe(block.quote).split("\n") if block.quote else []:
        lines += [(bar + part, fill) for part in Text(QUOTE_BAR + line, st("thread--quote")).wrap(console, inner, overflow="fold")]
    if block.body:
        lines += [(bar + part, fill) for part in Text(safe(block.body)).wrap(console, inner, overflow="fold")]
    for card in block.cards:
        lines += [(bar + part, fill) for part in view._card_lines(card, inner)]
    lines.append((Text(""), base))
    strips = []
    for text, line_fill in lines:
        text.stylize_before(line_fill)
        strips.append(Strip(list(text.render(console)), text.cell_len).crop_extend(0, width, line_fill))
    return strips


async def test_message_lines_drawn_directly_are_richs() -> None:
    """Every cell (character and style) of a message block drawn directly is the cell Rich's
    wrap and render made, for every kind of message and text, at every width."""
    from tui_helpers import cells

    from advisor_console.tui.app import AdvisorApp

    class Styled(_ThreadApp):
        CSS_PATH = AdvisorApp.CSS_PATH  # the workstation's colours for each kind of line

    app = Styled()
    async with app.run_test(size=(100, 30)):
        view = app.query_one(ThreadView)
        assert view.get_component_rich_style("thread--reply-bar") != view._line_base()[1], "the bar has a colour of its own"
        blocks = [b for b in _blocks() if b.kind != "system"]
        blocks += [Block(key=f"q{i}", kind="reply", author="Aiko", time="09:12", body=b.body, quote=b.body[:80]) for i, b in enumerate(blocks[:8])]
        blocks.append(Block(key="zw", kind="inbound", author="a\u200b" * 30, time="09:12", body="x", status="refused: why   " + "\u200b" * 40))
        view.set_blocks(blocks)
        for width in (6, 10, 13, 24, 40, 57, 80, 98):
            for block in blocks:
                assert cells(view._render_block(block, width)) == cells(_drawn_through_rich(view, block, width)), (width, block)


async def test_long_thread_opens_at_its_end_then_measures_the_rest() -> None:
    app = _ThreadApp()
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.query_one(ThreadView)
        blocks = [Block(key=f"m{i}", kind="inbound" if i % 2 else "reply", author="A", time="09:12", body=f"message {i} " + "word " * (i % 40)) for i in range(1000)]
        view.set_blocks(blocks, scroll_end=True)
        assert view.measuring, "a long thread is measured from its end"
        await pilot.pause()
        assert "message 999" in " ".join(view.plain_lines()[-8:])
        await wait_until(pilot, lambda: not view.measuring, what="the whole thread measured")
        await pilot.pause()
        total = sum(len(view._block_strips(i, view._width)) for i in range(len(blocks)))
        assert view.line_count == total
        assert view.scroll_y == view.max_scroll_y, "still at the end"
        # what is on screen is the end of the thread
        last = view._block_strips(len(blocks) - 1, view._width)
        assert view.render_line(view.size.height - 1).text.rstrip() == last[-1].text.rstrip()
        view.scroll_home(animate=False, immediate=True)
        await pilot.pause()
        assert view.render_line(0).text.rstrip() == view._block_strips(0, view._width)[0].text.rstrip()


async def test_a_thread_opened_again_is_not_measured_again() -> None:
    """Heights are kept per block and width: the same messages shown again (new block
    objects, as each opening makes them) are not measured again."""
    def blocks() -> list[Block]:
        return [Block(key=f"r{i}", kind="inbound" if i % 2 else "reply", author="A", time="09:12", body=f"again {i} " + "word " * (i % 30)) for i in range(300)]

    app = _ThreadApp()
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.query_one(ThreadView)
        view.set_blocks(blocks(), scroll_end=True)
        await wait_until(pilot, lambda: not view.measuring, what="the whole thread measured")
        lines = view.line_count
        view.set_blocks([Block(key="other", kind="reply", author="B", time="09:13", body="another conversation")], scroll_end=True)
        await pilot.pause()
        measured = block_height.cache_info().misses
        view.set_blocks(blocks(), scroll_end=True)
        await wait_until(pilot, lambda: not view.measuring, what="the thread measured again")
        assert block_height.cache_info().misses == measured, "blocks shown before were measured again"
        assert view.line_count == lines


async def test_a_long_thread_makes_its_blocks_as_they_are_read() -> None:
    """A thread given as LazyBlocks: opening it makes the blocks it measures from its end,
    not all of them; the background makes each of the others once; it draws what the same
    blocks in a list draw; when a message is added, the blocks already made stay (the same
    objects, not made again) and only the new one is made."""
    from advisor_console.tui.widgets.thread import LazyBlocks

    def block(i: int) -> Block:
        return Block(key=f"m{i}", kind="inbound" if i % 2 else "reply", author="A", time="09:12", body=f"message {i} " + "word " * (i % 40))

    made: list[int] = []

    def make(i: int) -> Block:
        made.append(i)
        return block(i)

    keys = [f"m{i}" for i in range(1000)]
    app = _ThreadApp()
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.query_one(ThreadView)
        view.set_blocks(LazyBlocks(keys, make), scroll_end=True)
        assert 0 < len(made) <= 2 * 30, "opening made more blocks than it measures"
        await wait_until(pilot, lambda: not view.measuring, what="the whole thread measured")
        assert sorted(made) == list(range(1000)), "each block made once"
        lazy_lines = view.plain_lines()
        first, last = view._blocks[0], view._blocks[999]
        made.clear()
        view.set_blocks(LazyBlocks([*keys, "m1000"], make), scroll_end=True)
        await pilot.pause()
        assert view._blocks[0] is first and view._blocks[999] is last
        assert made == [1000]
        assert "message 1000" in " ".join(view.plain_lines()[-8:])

    app = _ThreadApp()
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.query_one(ThreadView)
        view.set_blocks([block(i) for i in range(1000)], scroll_end=True)
        await wait_until(pilot, lambda: not view.measuring, what="the whole thread measured")
        assert view.plain_lines() == lazy_lines
