"""The thread of one conversation, drawn with the line API.

One `ThreadView` shows any number of messages without a widget per message: each message
is a block of wrapped lines (rendered once per width and theme, then cached); the view
keeps the start line of every block and `render_line` finds the block with a bisection,
so scrolling a 1,000-message thread costs the same as a 10-message one.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

from rich.cells import cell_len
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..keys import CONVERSATION_BINDINGS, THREAD_BINDINGS
from ..safe import safe, safe_line

BAR = "▎ "
NOTE_BAR = "▌ "


@dataclass(frozen=True)
class Card:
    sku: str
    name: str
    price: str


@dataclass(frozen=True)
class Block:
    """What one thread entry shows; `key` changes whenever what it shows changes."""

    key: str
    kind: str  # inbound | reply | note | system
    author: str
    time: str
    body: str
    cards: tuple[Card, ...] = ()
    status: str = ""  # "" | "sending" | error text
    extra: tuple[Any, ...] = field(default=(), compare=False)


def cards_of(attachments: list[Any]) -> tuple[Card, ...]:
    cards = []
    for a in attachments:
        data = a if isinstance(a, dict) else a.model_dump()
        if data.get("type") == "product_card":
            cards.append(Card(sku=str(data.get("sku") or ""), name=str(data.get("name") or ""), price=str(data.get("price") or "")))
    return tuple(cards)


class ThreadView(ScrollView, can_focus=True):
    """Messages, notes, product cards, system events and pending sends of one conversation."""

    BINDINGS = [*THREAD_BINDINGS, *CONVERSATION_BINDINGS]

    COMPONENT_CLASSES = {
        "thread--inbound-bar",
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
        self._blocks: list[Block] = []
        self._offsets: list[int] = []  # first line of each block
        self._heights: list[int] = []
        self._strips: dict[str, list[Strip]] = {}
        self._width = 0
        self.empty_text = "No conversation open. Choose one in the queue and press enter."

    # ---- content ------------------------------------------------------------------

    @property
    def blocks(self) -> list[Block]:
        return list(self._blocks)

    @property
    def line_count(self) -> int:
        return (self._offsets[-1] + self._heights[-1]) if self._blocks else 0

    def set_blocks(self, blocks: list[Block], *, scroll_end: bool = False) -> None:
        """Show `blocks`; blocks whose key did not change keep their rendering."""
        at_end = self.scroll_y >= self.max_scroll_y - 1
        common = 0
        for old, new in zip(self._blocks, blocks):
            if old.key != new.key:
                break
            common += 1
        keep = {b.key for b in blocks}
        for old in self._blocks[common:]:
            if old.key not in keep:
                self._strips.pop(old.key, None)
        self._blocks = self._blocks[:common] + list(blocks[common:])
        self._measure_from(common)
        if scroll_end or at_end:
            self.call_after_refresh(self.scroll_end, animate=False, immediate=True)
        self.refresh()

    def plain_lines(self) -> list[str]:
        """The thread as plain text lines (for tests and copy)."""
        width = self._content_width()
        return [strip.text.rstrip() for i in range(len(self._blocks)) for strip in self._block_strips(i, width)]

    # ---- layout ---------------------------------------------------------------------

    def _content_width(self) -> int:
        return max(10, self.scrollable_content_region.width or self.size.width or 60)

    def _measure_from(self, start: int) -> None:
        width = self._content_width()
        if width != self._width:
            self._width = width
            self._strips.clear()
            start = 0
        del self._offsets[start:]
        del self._heights[start:]
        line = (self._offsets[start - 1] + self._heights[start - 1]) if start else 0
        for i in range(start, len(self._blocks)):
            self._offsets.append(line)
            height = len(self._block_strips(i, width))
            self._heights.append(height)
            line += height
        self.virtual_size = Size(width, line if self._blocks else 1)

    def on_resize(self) -> None:
        if self._content_width() != self._width:
            self._measure_from(0)
            self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()  # colours changed (theme); heights did not

    # ---- drawing ----------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        base = self.rich_style
        line = scroll_y + y
        if not self._blocks:
            if y == 1:
                text = Text("  " + self.empty_text, self.get_component_rich_style("thread--empty"))
                return Strip(text.render(self.app.console)).crop_extend(0, width, base)
            return Strip.blank(width, base)
        if line >= self.line_count:
            return Strip.blank(width, base)
        index = bisect_right(self._offsets, line) - 1
        strips = self._block_strips(index, self._width)
        strip = strips[line - self._offsets[index]]
        return strip.crop_extend(scroll_x, scroll_x + width, base).apply_offsets(scroll_x, line)

    def _block_strips(self, index: int, width: int) -> list[Strip]:
        block = self._blocks[index]
        strips = self._strips.get(block.key)
        if strips is None or width != self._width:
            strips = self._render_block(block, width)
            if width == self._width:
                self._strips[block.key] = strips
        return strips

    def _render_block(self, block: Block, width: int) -> list[Strip]:
        st = self.get_component_rich_style
        base = self.rich_style
        console = self.app.console
        lines: list[tuple[Text, Style]] = []
        inner = max(4, width - 2)

        if block.kind == "system":
            text = Text("· ", st("thread--system"))
            text.append(safe_line(block.body), st("thread--system"))
            text.append(f" · {block.time}", st("thread--time"))
            for part in text.wrap(console, inner, overflow="fold"):
                lines.append((Text("  ") + part, base))
        else:
            note = block.kind == "note"
            fill = st("thread--note") if note else base
            bar_style = st("thread--note-bar" if note else f"thread--{block.kind if block.kind == 'inbound' else 'reply'}-bar")
            bar = Text(NOTE_BAR if note else BAR, bar_style)
            head = Text()
            if note:
                head.append(" NOTE ", st("thread--note-label"))
                head.append(" internal, never sent to the client · ", st("thread--note-head"))
                head.append(safe_line(block.author), st("thread--note-head"))
            else:
                head.append(safe_line(block.author), st("thread--inbound-head" if block.kind == "inbound" else "thread--reply-head"))
            head.append(f" · {block.time}", st("thread--time"))
            if block.status == "sending":
                head.append("  sending…", st("thread--pending"))
            elif block.status:
                head.append(f"  ⚠ not sent: {safe_line(block.status)}", st("thread--error"))
            for part in head.wrap(console, inner, overflow="fold"):
                lines.append((bar + part, fill))
            if block.body:
                body = Text(safe(block.body))
                for part in body.wrap(console, inner, overflow="fold"):
                    lines.append((bar + part, fill))
            for card in block.cards:
                for part in self._card_lines(card, inner):
                    lines.append((bar + part, fill))
        lines.append((Text(""), base))

        strips = []
        for text, fill in lines:
            text.stylize_before(fill)
            strip = Strip(list(text.render(console)), text.cell_len)
            strips.append(strip.crop_extend(0, width, fill))
        return strips

    def _card_lines(self, card: Card, inner: int) -> list[Text]:
        st = self.get_component_rich_style
        style = st("thread--card")
        name = safe_line(card.name) or card.sku
        detail = " · ".join(p for p in (safe_line(card.sku), safe_line(card.price)) if p)
        content = max(cell_len(name), cell_len(detail), 14)
        content = min(content, max(8, inner - 4), 56)
        title = Text("╭─", style)
        title.append(" ◆ product ", st("thread--card-title"))
        title.append("─" * max(0, content - 10) + "╮", style)
        rows = [title]
        for value, extra in ((name, "bold"), (detail, "")):
            cell = Text(value, style + Style.parse(extra) if extra else style)
            cell.truncate(content, overflow="ellipsis", pad=True)
            rows.append(Text.assemble(Text("│ ", style), cell, Text(" │", style)))
        rows.append(Text("╰" + "─" * (content + 2) + "╯", style))
        return rows
