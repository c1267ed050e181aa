"""The thread of one conversation, drawn with the line API.

One `ThreadView` shows any number of messages without a widget per message: each message
is a block of wrapped lines. The view keeps the height and start line of every block and
`render_line` finds the block with a bisection; a block is rendered (styled, wrapped,
cut into strips) only when one of its lines is on screen, and that rendering is kept
(per width and theme, in an LRU cache).

Heights are worked out without rendering (`block_height`: the same line breaks Rich would
make, from the plain text). A long thread that is opened (or changed above what is
measured) is measured from its end: enough blocks to fill the view at once, the older
ones in the background a few milliseconds at a time, each batch put on top with the
scroll offset moved by as many lines, so what is on screen stays put. Opening a
1,000-message conversation therefore costs about a screenful, not the whole thread.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate
from time import perf_counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any, overload

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.cache import LRUCache
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..keys import CONVERSATION_BINDINGS, THREAD_BINDINGS
from .focus import FocusStyledOnly
from .lines import DirectLines
from ..safe import safe, safe_line

# The function Text.wrap breaks lines with (private to Rich: tests/tui compare the lines
# made from it with Rich's wrapping, for a Rich upgrade).
from rich._wrap import divide_line as _divide_line

BAR = "▎ "
NOTE_BAR = "▌ "
NOTE_LABEL = " NOTE "
NOTE_HEAD = " internal, never sent to the client · "
QUOTE_BAR = "┃ "
CARD_LINES = 4  # title, name, detail, bottom rule
SYNC_BLOCKS = 64  # changes measuring more blocks than this are measured from the end, lazily
SLICE_SECONDS = 0.004  # one background measuring step
APPLY_SECONDS = 0.1  # measured older blocks are put on top at most this often


@dataclass(frozen=True)
class Card:
    sku: str
    name: str
    price: str
    # A try-on selection: one "name · sizes · price" line per piece (a product card has none).
    items: tuple[str, ...] = ()
    kind: str = "product"  # product | tryon


def card_height(card: Card) -> int:
    """Lines `ThreadView._card_lines` draws for `card`."""
    return CARD_LINES if card.kind == "product" else 3 + len(card.items)


@dataclass(frozen=True)
class Block:
    """What one thread entry shows; `key` changes whenever what it shows changes."""

    key: str
    kind: str  # inbound | reply | note | system
    author: str
    time: str
    body: str
    cards: tuple[Card, ...] = ()
    status: str = ""  # "" | "sending" | "scheduled …" | error text
    quote: str = ""  # the quoted message, "Author: excerpt"
    extra: tuple[Any, ...] = field(default=(), compare=False)


class LazyBlocks(Sequence[Block]):
    """A thread's blocks, each made when first read: the keys are known at once (a
    message's key needs no formatting), a block is made by `make(index)` the first time it
    is asked for. Opening a long thread reads the few blocks it shows; the others are made
    as the background measures them (making all 1,000 of a thread was ~8 ms of its first
    open)."""

    def __init__(self, keys: list[str], make: Callable[[int], Block]) -> None:
        self.keys = keys
        self._make = make
        self._made: list[Block | None] = [None] * len(keys)

    def __len__(self) -> int:
        return len(self.keys)

    @overload
    def __getitem__(self, index: int) -> Block: ...

    @overload
    def __getitem__(self, index: slice) -> list[Block]: ...

    def __getitem__(self, index: int | slice) -> Block | list[Block]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self.keys)))]
        if index < 0:
            index += len(self.keys)
        block = self._made[index]
        if block is None:
            block = self._made[index] = self._make(index)
        return block

    def adopt(self, old: Sequence[Block], count: int) -> None:
        """Take the blocks already made of the first `count` (same keys) from `old`: a block
        measured and drawn stays the block shown until its key changes."""
        for index in range(min(count, len(old), len(self.keys))):
            block = old._made[index] if isinstance(old, LazyBlocks) else old[index]
            if block is not None:
                self._made[index] = block


def keys_of(blocks: Sequence[Block]) -> list[str]:
    return blocks.keys if isinstance(blocks, LazyBlocks) else [block.key for block in blocks]


def cards_of(attachments: list[Any]) -> tuple[Card, ...]:
    cards = []
    for a in attachments:
        data = a if isinstance(a, dict) else a.model_dump()
        if data.get("type") == "product_card":
            cards.append(Card(sku=str(data.get("sku") or ""), name=str(data.get("name") or ""), price=str(data.get("price") or "")))
        elif data.get("type") == "tryon":
            items = []
            for item in (data.get("data") or {}).get("items") or []:
                if not isinstance(item, dict):
                    continue
                sizes = ", ".join(str(x) for x in item.get("sizes") or [])
                parts = [str(item.get("name") or item.get("sku") or ""), f"size {sizes}" if sizes else "one size", str(item.get("price") or "")]
                items.append(" · ".join(p for p in parts if p))
            cards.append(Card(sku="", name=str(data.get("name") or "Try-on selection"), price="", items=tuple(items), kind="tryon"))
    return tuple(cards)


def _head_parts(block: Block) -> list[tuple[str, str]]:
    """The first line of a message block as (text, component class) pieces."""
    parts: list[tuple[str, str]] = []
    if block.kind == "note":
        parts += [(NOTE_LABEL, "thread--note-label"), (NOTE_HEAD, "thread--note-head"), (safe_line(block.author), "thread--note-head")]
    else:
        parts.append((safe_line(block.author), "thread--inbound-head" if block.kind == "inbound" else "thread--reply-head"))
    parts.append((f" · {block.time}", "thread--time"))
    if block.status == "sending":
        parts.append(("  sending…", "thread--pending"))
    elif block.status.startswith("delivery:"):  # the channel's word on a sent reply
        state, _, reason = block.status[9:].partition(":")
        if state == "failed":
            parts.append((f"  ✗ failed: {safe_line(reason)} (palette: retry)", "thread--error"))
        else:
            parts.append(({"pending": "  ◌ sending", "sent": "  ✓ sent", "delivered": "  ✓✓ delivered", "read": "  ✓✓ read"}.get(state, ""), "thread--pending" if state == "pending" else "thread--time"))
    elif block.status.startswith("scheduled"):
        parts.append((f"  ⏱ {block.status}", "thread--pending"))
    elif block.status:
        parts.append((f"  ⚠ not sent: {safe_line(block.status)}", "thread--error"))
    return parts


def _system_parts(block: Block) -> list[tuple[str, str]]:
    return [("· ", "thread--system"), (safe_line(block.body), "thread--system"), (f" · {block.time}", "thread--time")]


def _wrapped_lines(line: str, width: int) -> int:
    """How many lines `Text(line).wrap(console, width, overflow="fold")` gives (no newlines in `line`)."""
    if len(line) <= width and line.isascii():
        return 1
    return len(_divide_line(line, width, fold=True)) + 1


_TRAILING_SPACE = re.compile(r"\s+$")  # what Text.rstrip_end trims


def wrapped_pieces(text: str, width: int) -> Iterator[str]:
    """The lines of `Text(text).wrap(console, width, overflow="fold")`, as plain strings,
    without Rich's Text objects (a third of drawing a message): its breaks (`divide_line`),
    then, per line, the trailing whitespace beyond `width` characters trimmed and the rest
    folded to `width` cells, as `Text.rstrip_end` and `Text.truncate` do. `text` holds no
    tabs (`safe` replaced them)."""
    for line in text.split("\n"):
        if len(line) <= width and line.isascii():
            yield line
            continue
        offsets = _divide_line(line, width, fold=True)
        for start, end in zip([0, *offsets], [*offsets, len(line)]):
            piece = line[start:end]
            if len(piece) > width and (space := _TRAILING_SPACE.search(piece)) is not None:
                piece = piece[: len(piece) - min(len(space.group(0)), len(piece) - width)]
            if cell_len(piece) > width:
                piece = set_cell_size(piece, width)
            yield piece


@lru_cache(maxsize=16_384)
def block_height(block: Block, width: int) -> int:
    """The number of lines `ThreadView` draws for `block` at `width`, without drawing it.
    Kept per block and width: a conversation opened again is measured at once (its
    1,000 messages were measured anew, in the background, at each opening)."""
    inner = max(4, width - 2)
    if block.kind == "system":
        return _wrapped_lines("".join(t for t, _ in _system_parts(block)), inner) + 1
    height = _wrapped_lines("".join(t for t, _ in _head_parts(block)), inner)
    if block.quote:
        height += sum(_wrapped_lines(QUOTE_BAR + line, inner) for line in safe(block.quote).split("\n"))
    if block.body:
        height += sum(_wrapped_lines(line, inner) for line in safe(block.body).split("\n"))
    return height + sum(card_height(c) for c in block.cards) + 1


class ThreadView(DirectLines, FocusStyledOnly, ScrollView, can_focus=True):
    """Messages, notes, product cards, system events and pending sends of one conversation."""

    BINDINGS = [*THREAD_BINDINGS, *CONVERSATION_BINDINGS]

    COMPONENT_CLASSES = {
        "thread--inbound-bar",
        "thread--quote",
        "thread--inbound-head",
        "thread--reply-bar",
        "thread--reply-head",
        "thread--note",
        "thread--note-bar",
        "thread--note-label",
        "thread--note-head",
        "thread--system",
        "thread--time",
        "thread--card",
        "thread--card-title",
        "thread--pending",
        "thread--error",
        "thread--empty",
    }

    DEFAULT_CSS = """
    ThreadView { scrollbar-gutter: stable; overflow-x: hidden; }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self._blocks: Sequence[Block] = []
        self._keys: list[str] = []  # of _blocks
        self._top = 0  # blocks before this index are not measured yet (the background does them)
        self._pending_older: tuple[int, int, list[int]] = (-1, 0, [])  # (generation, next top, heights) not yet shown
        self._applied_at = 0.0
        self._heights: list[int] = []  # of blocks _top, _top + 1, …
        self._offsets: list[int] = []  # their first lines, counted from block _top
        self._strips: LRUCache[Block, list[Strip]] = LRUCache(1024)
        self._width = 0
        self._generation = 0  # bumps when measuring restarts: stale background steps stop
        self._base: tuple[object, int, Style] | None = None  # see _line_base
        self.empty_text = "No conversation open. Choose one in the queue and press enter."

    # ---- content ------------------------------------------------------------------

    @property
    def blocks(self) -> list[Block]:
        return list(self._blocks)

    @property
    def block_count(self) -> int:
        """How many blocks the thread has (without making them: see LazyBlocks)."""
        return len(self._keys)

    @property
    def line_count(self) -> int:
        return (self._offsets[-1] + self._heights[-1]) if self._heights else 0

    @property
    def measuring(self) -> bool:
        """True while older blocks are still being measured in the background."""
        return self._top > 0

    def set_blocks(self, blocks: Sequence[Block], *, scroll_end: bool = False) -> None:
        """Show `blocks` (a list, or LazyBlocks: made as they are read); blocks whose key did
        not change keep their rendering."""
        at_end = self.scroll_y >= self.max_scroll_y - 1
        keys = keys_of(blocks)
        common = 0
        for old, new in zip(self._keys, keys):
            if old != new:
                break
            common += 1
        if isinstance(blocks, LazyBlocks):
            blocks.adopt(self._blocks, common)
            self._blocks = blocks
        else:
            self._blocks = [*self._blocks[:common], *blocks[common:]]
        self._keys = keys
        width = self._content_width()
        if width != self._width:
            self._width = width
            self._strips.clear()
            common = 0
        if common < self._top or len(self._blocks) - common > SYNC_BLOCKS:
            self._measure_from_end()
            at_end = True
        else:
            self._measure_from(common)
        if scroll_end or at_end:
            # At once (the heights are known), so the first frame already shows the end;
            # once more after the refresh in case the size was not known yet.
            self.scroll_end(animate=False, immediate=True)
            self.call_after_refresh(self.scroll_end, animate=False, immediate=True)
        self.refresh()

    def plain_lines(self) -> list[str]:
        """The thread as plain text lines (for tests and copy)."""
        width = self._content_width()
        return [strip.text.rstrip() for i in range(len(self._blocks)) for strip in self._block_strips(i, width)]

    # ---- layout ---------------------------------------------------------------------

    def _content_width(self) -> int:
        return max(10, self.scrollable_content_region.width or self.size.width or 60)

    def _set_heights(self, heights: list[int]) -> None:
        self._heights = heights
        self._offsets = [0, *accumulate(heights)][:-1] if heights else []
        self.virtual_size = Size(self._width, self.line_count if self._blocks else 1)

    def _measure_from(self, start: int) -> None:
        """Measure blocks `start`… now (`start` >= the first measured block)."""
        width = self._width
        heights = self._heights[: start - self._top]
        heights += [block_height(block, width) for block in self._blocks[start:]]
        self._set_heights(heights)

    def _measure_from_end(self) -> None:
        """Measure the last blocks, enough to fill the view twice; the rest in the background."""
        self._generation += 1
        width, blocks = self._width, self._blocks
        need = 2 * max(self.size.height, 24)
        heights: list[int] = []
        total = 0
        index = len(blocks)
        while index > 0 and total < need:
            index -= 1
            heights.append(block_height(blocks[index], width))
            total += heights[-1]
        heights.reverse()
        self._top = index
        self._set_heights(heights)
        if index:
            self._applied_at = perf_counter()  # the first batch goes on top a while after this frame
            self.call_after_refresh(self._measure_older, self._generation)

    def _measure_older(self, generation: int) -> None:
        """One background step: measure older blocks for a few ms. What is measured goes on
        top at most every APPLY_SECONDS (and at the end): each time is a relayout and a
        repaint of the thread and its scrollbar, which cost more than the measuring (a
        1,000-message thread took some fifteen of them after it opened)."""
        if generation != self._generation or not self._top:
            return
        pending_generation, index, older = self._pending_older
        if pending_generation != generation:
            index, older = self._top, []
        width, blocks = self._width, self._blocks
        deadline = perf_counter() + SLICE_SECONDS
        step: list[int] = []
        while index > 0:
            index -= 1
            step.append(block_height(blocks[index], width))
            if len(step) % 16 == 0 and perf_counter() > deadline:
                break
        step.reverse()
        older = step + older
        now = perf_counter()
        if index and now - self._applied_at < APPLY_SECONDS:
            self._pending_older = (generation, index, older)
        else:
            self._pending_older = (-1, 0, [])
            self._applied_at = now
            scroll_y = self.scroll_y
            self._top = index
            self._set_heights(older + self._heights)
            self.set_scroll(None, scroll_y + sum(older))  # the same lines stay in view
            self.refresh()
        if index:
            self.call_after_refresh(self._measure_older, generation)

    def on_resize(self) -> None:
        width = self._content_width()
        if width != self._width and self._blocks:
            at_end = self.scroll_y >= self.max_scroll_y - 1
            self._width = width
            self._strips.clear()
            if len(self._blocks) > SYNC_BLOCKS:
                self._measure_from_end()
                at_end = True
            else:
                self._top = 0
                self._measure_from(0)
            if at_end:
                self.call_after_refresh(self.scroll_end, animate=False, immediate=True)
            self.refresh()
        self._width = width

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._base = None
        self._strips.clear()  # colours changed (theme); heights did not

    # ---- drawing ----------------------------------------------------------------------

    def _line_base(self) -> tuple[int, Style]:
        """The drawing width and base style, asked once per repaint rather than per line
        (the style walks the ancestors' backgrounds)."""
        key = (self.size, self.show_vertical_scrollbar, self.show_horizontal_scrollbar)
        kept = self._base
        if kept is None or kept[0] != key:
            kept = self._base = (key, self.scrollable_content_region.width, self.rich_style)
        return kept[1], kept[2]

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width, base = self._line_base()
        line = scroll_y + y
        if not self._blocks:
            if y == 1:
                text = Text("  " + self.empty_text, self.get_component_rich_style("thread--empty"))
                return Strip(text.render(self.app.console)).crop_extend(0, width, base)
            return Strip.blank(width, base)
        if line >= self.line_count:
            return Strip.blank(width, base)
        j = bisect_right(self._offsets, line) - 1
        strips = self._block_strips(self._top + j, self._width)
        row = line - self._offsets[j]
        if len(strips) != self._heights[j]:  # pragma: no cover - block_height disagrees with the drawing
            self.call_later(self._correct, self._top + j)
            if row >= len(strips):
                return Strip.blank(width, base)
        strip = strips[row]
        return strip.crop_extend(scroll_x, scroll_x + width, base).apply_offsets(scroll_x, line)

    def _correct(self, index: int) -> None:  # pragma: no cover - a safety net
        """Trust the drawing over the measure for one block."""
        j = index - self._top
        if 0 <= j < len(self._heights) and index < len(self._blocks):
            heights = list(self._heights)
            heights[j] = len(self._block_strips(index, self._width))
            self._set_heights(heights)
            self.refresh()

    def _block_strips(self, index: int, width: int) -> list[Strip]:
        block = self._blocks[index]
        if width != self._width:
            return self._render_block(block, width)
        strips = self._strips.get(block)
        if strips is None:
            strips = self._strips[block] = self._render_block(block, width)
        return strips

    def _render_block(self, block: Block, width: int) -> list[Strip]:
        st = self.get_component_rich_style
        base = self._line_base()[1]
        console = self.app.console
        strips: list[Strip] = []
        inner = max(4, width - 2)

        def add(line: Text | Strip, fill: Style) -> None:
            """A line, brought to the width on `fill` (a Text is rendered as Rich renders it)."""
            if isinstance(line, Text):
                line.stylize_before(fill)
                line = Strip(list(line.render(console)), line.cell_len)
            strips.append(line.crop_extend(0, width, fill))

        if block.kind == "system":
            (first, first_component), *rest = _system_parts(block)
            text = Text(first, st(first_component))
            for piece, component in rest:
                text.append(piece, st(component))
            for part in text.wrap(console, inner, overflow="fold"):
                add(Text("  ") + part, base)
        else:
            note = block.kind == "note"
            fill = st("thread--note") if note else base
            bar_style = st("thread--note-bar" if note else f"thread--{block.kind if block.kind == 'inbound' else 'reply'}-bar")
            bar = Text.assemble((NOTE_BAR if note else BAR, bar_style))  # its colour on the line's fill
            drawn_bar = Segment(bar.plain, fill + bar_style)
            head_parts = _head_parts(block)
            head_plain = "".join(piece for piece, _ in head_parts)
            if len(head_plain) <= inner and cell_len(head_plain) <= inner:  # one line, made directly
                add(Strip([drawn_bar, *(Segment(piece, fill + st(component)) for piece, component in head_parts if piece)]), fill)
            else:
                head = Text()
                for piece, component in head_parts:
                    head.append(piece, st(component))
                for part in head.wrap(console, inner, overflow="fold"):
                    add(bar + part, fill)
            if block.quote:
                quote_style = st("thread--quote")
                for line in safe(block.quote).split("\n"):
                    for part in Text(QUOTE_BAR + line, quote_style).wrap(console, inner, overflow="fold"):
                        add(bar + part, fill)
            for piece in wrapped_pieces(safe(block.body), inner) if block.body else ():  # the bulk of a thread: made directly
                cells = bar.cell_len + (len(piece) if piece.isascii() else cell_len(piece))
                add(Strip([drawn_bar, Segment(piece, fill)] if piece else [drawn_bar], cells), fill)
            for card in block.cards:
                for part in self._card_lines(card, inner):
                    add(bar + part, fill)
        strips.append(Strip.blank(width, base))
        return strips

    def _card_lines(self, card: Card, inner: int) -> list[Text]:
        st = self.get_component_rich_style
        style = st("thread--card")
        name = safe_line(card.name) or card.sku
        detail = " · ".join(p for p in (safe_line(card.sku), safe_line(card.price)) if p)
        content = max(cell_len(name), cell_len(detail), 14)
        content = min(content, max(8, inner - 4), 56)
        values: list[tuple[str, str]] = [(name, "bold"), (detail, "")]
        label = " ◆ product "
        if card.kind == "tryon":
            label = " ✦ try-on "
            values = [(name, "bold"), *((f"• {safe_line(i)}", "") for i in card.items)]
            content = min(max([cell_len(v) for v, _ in values] + [14]), max(8, inner - 4), 72)
        title = Text("╭─", style)
        title.append(label, st("thread--card-title"))
        title.append("─" * max(0, content + 1 - cell_len(label)) + "╮", style)
        rows = [title]
        for value, extra in values:
            cell = Text(value, style + Style.parse(extra) if extra else style)
            cell.truncate(content, overflow="ellipsis", pad=True)
            rows.append(Text.assemble(Text("│ ", style), cell, Text(" │", style)))
        rows.append(Text("╰" + "─" * (content + 2) + "╯", style))
        return rows
