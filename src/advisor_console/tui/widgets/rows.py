"""Lists of one-or-two-line rows drawn from `Text` laid out once: the queue and the
lookbook's results.

- `TextRow`: an option's prompt. Its height is its line count (rows are cut to the width,
  never wrapped), asked for every row on every refill without laying anything out; its
  rendering is kept per width and style (normal, highlighted…). Reads like the `Text` it
  was made from (`plain`, `spans`, `str()`).
- `RowList`: an OptionList of such rows that keeps each row's rendering across refills
  (OptionList drops its cache on every `set_options`), works out what every line of a
  repaint asks once per repaint (OptionList asks it per line: the line table brought up
  to date, the content width through the scrollbar gutter, the scroll offset, three
  component styles: about half of the list's drawing time), and repaints the two rows a
  move of the highlight concerns instead of every line (a move that scrolls repaints
  everything anyway: ScrollView.watch_scroll_y). At scale a full repaint of the queue
  list went from 4.9 to 3.2 ms.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.content import Content
from textual.css.styles import RulesMap
from textual.geometry import Region, Spacing
from textual.reactive import reactive
from textual.strip import Strip
from textual.style import Style as VisualStyle
from textual.visual import Padding, RenderOptions, Visual
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from .lines import DirectLines


class TextRow(Visual):
    """A row's text, laid out once, with its rendering kept per width and style.

    Made from the `Text`, or from a function that makes it and the row's line count: then
    the text is made when the row is first drawn or read. A refill of a list of hundreds
    of rows makes the few on screen (the queue's Hub tab at scale: 199 rows made at every
    tab switch and at start, 40 on screen)."""

    def __init__(self, text: Text | Callable[[], Text], console, lines: int | None = None) -> None:  # noqa: ANN001
        if isinstance(text, Text):
            self._text: Text | None = text
            self._make: Callable[[], Text] | None = None
        else:
            if lines is None:
                raise ValueError("a row made later needs its line count now")
            self._text, self._make = None, text
        self._console = console
        self._content: Content | None = None
        self._lines = lines
        self._strips: dict[tuple[int, int | None, VisualStyle], list[Strip]] = {}

    @property
    def text(self) -> Text:
        if self._text is None:
            assert self._make is not None
            self._text, self._make = self._make(), None
        return self._text

    @property
    def content(self) -> Content:
        if self._content is None:
            self._content = Content.from_rich_text(self.text, console=self._console)
        return self._content

    def __str__(self) -> str:
        return self.text.plain

    @property
    def plain(self) -> str:
        return self.text.plain

    @property
    def spans(self) -> list:  # noqa: ANN201
        return self.text.spans

    def render_strips(self, width: int, height: int | None, style: VisualStyle, options: RenderOptions) -> list[Strip]:
        if options.selection is not None or options.post_style is not None:
            return self.content.render_strips(width, height, style, options)
        key = (width, height, style)
        strips = self._strips.get(key)
        if strips is None:
            if len(self._strips) >= 4:
                self._strips.clear()
            strips = self._strips[key] = self._draw(width, height, style)
        return strips

    def _draw(self, width: int, height: int | None, style: VisualStyle) -> list[Strip]:
        """The row's lines drawn by Rich on `style`, each cut or padded to `width`: what
        Content.render_strips draws for a row that is never wrapped, in a third of the time
        (0.09 against 0.28 ms a queue row: the rows of a first frame, of each lookbook page)."""
        base = style.rich_style
        strips = []
        for line in self.text.split("\n", allow_blank=True):  # new Text objects: ours stays as it is
            if line.style:  # the text's own style: over the list's style, under the spans
                line.stylize_before(line.style)
                line.style = ""
            line.stylize_before(base)
            strips.append(Strip(list(line.render(self._console)), line.cell_len).crop_extend(0, width, base))
        if height is not None and len(strips) != height:
            strips = (strips + [Strip.blank(width, base)] * height)[:height]
        return strips

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return self.content.get_optimal_width(rules, container_width)

    def get_minimal_width(self, rules: RulesMap) -> int:
        return self.content.get_minimal_width(rules)

    def get_height(self, rules: RulesMap, width: int) -> int:
        # Rows are cut to the width, never wrapped: their height is their line count
        # (asked for every row on every refill: no layout needed to answer it).
        return self.lines

    @property
    def lines(self) -> int:
        if self._lines is None:
            self._lines = self.text.plain.count("\n") + 1
        return self._lines


@dataclass(frozen=True)
class _Paint:
    """What the lines of one repaint of a RowList share."""

    scroll_y: int
    lines: list[tuple[int, int]]
    highlighted: int | None
    hover: int | None
    padding: Spacing
    width: int
    normal: VisualStyle
    highlight: VisualStyle
    hovered: VisualStyle
    disabled: VisualStyle
    blank: Strip


class RowList(DirectLines, OptionList):
    """An OptionList of `TextRow` rows (see the module). Kept renders are not dropped when
    the list is restyled: they are keyed by the style they were drawn with, so a focus move
    (the list's tint and highlight change) and back finds both kinds already drawn; rows
    drawn with a theme's colours are new Options.

    A list whose `FOCUSED_HIGHLIGHT` names a component class shows the focus only in its
    highlighted row, drawn with that class while the list has the focus: a focus move
    repaints that row alone instead of restyling the list and its scrollbars and repainting
    every line (some 3 ms of each open of a conversation, each return to the queue); with
    focus.QuietFocus, nothing else is repainted. Lines are made by lines.DirectLines."""

    FOCUSED_HIGHLIGHT: ClassVar[str | None] = None

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        # (option, style, padding, width) -> strips without the click meta (an index)
        self._kept_renders: dict[tuple[object, ...], list[Strip]] = {}
        self._painting: _Paint | None = None

    # A move of the highlight repaints the two rows it leaves and reaches, not the whole
    # list (a reactive with repaint=True redraws every line); a move that scrolls
    # repaints everything anyway (ScrollView.watch_scroll_y).
    highlighted: reactive[int | None] = reactive(None, repaint=False)  # as OptionList's, without the repaint

    def watch_highlighted(self, old: int | None, new: int | None) -> None:
        super().watch_highlighted(new)
        self._refresh_options(old, new)

    def _refresh_options(self, *indexes: int | None) -> None:
        """Repaint the lines of these options alone."""
        for index in indexes:
            if index is not None and index < self.option_count:
                try:
                    top, height = self._index_to_line[index], self._heights[index]
                except KeyError:
                    continue
                self.refresh(Region(0, top - self.scroll_offset.y, self.size.width, height))

    def watch_has_focus(self, has_focus: bool) -> None:
        if self.FOCUSED_HIGHLIGHT is None:
            super().watch_has_focus(has_focus)
        else:
            self._refresh_options(self.highlighted)

    def render_lines(self, crop: Region) -> list[Strip]:
        # What every line of a repaint asks is worked out once for the repaint (OptionList
        # asks it per line: the line table brought up to date, the content width through
        # the scrollbar gutter, the scroll offset, three component styles): about half of
        # the list's drawing time, and a full repaint comes with every scrolling move.
        self._painting = self._paint()
        try:
            return super().render_lines(crop)
        finally:
            self._painting = None

    def _paint(self) -> _Paint:
        self._update_lines()
        padding = self.get_component_styles("option-list--option").padding
        width = self.scrollable_content_region.width
        normal = self.get_visual_style("option-list--option")
        return _Paint(
            scroll_y=self.scroll_offset.y,
            lines=self._line_cache.lines,
            highlighted=self.highlighted,
            hover=self._mouse_hovering_over,
            padding=padding,
            width=width - self._get_left_gutter_width(),
            normal=normal,
            highlight=self.get_visual_style("option-list--option", self._highlight_class()),
            hovered=self.get_visual_style("option-list--option", "option-list--option-hover"),
            disabled=self.get_visual_style("option-list--option", "option-list--option-disabled"),
            blank=Strip.blank(width, normal.rich_style),
        )

    def _highlight_class(self) -> str:
        focused = self.FOCUSED_HIGHLIGHT
        return focused if focused is not None and self.has_focus else "option-list--option-highlighted"

    def render_line(self, y: int) -> Strip:
        paint = self._painting
        if paint is None:  # outside a repaint (Textual asks for a line alone)
            paint = self._paint()
        line = paint.scroll_y + y
        if line >= len(paint.lines):
            return paint.blank
        index, offset = paint.lines[line]
        option = self.options[index]
        if option.disabled:
            style = paint.disabled
        elif index == paint.highlighted:
            style = paint.highlight
        elif index == paint.hover:
            style = paint.hovered
        else:
            style = paint.normal
        strips = self._get_option_render(option, style)
        return strips[offset] if offset < len(strips) else paint.blank

    def _get_option_render(self, option: Option, style: VisualStyle) -> list[Strip]:
        paint = self._painting
        if paint is not None:
            padding, width = paint.padding, paint.width
        else:
            padding = self.get_component_styles("option-list--option").padding
            width = self.scrollable_content_region.width - self._get_left_gutter_width()
        cache_key = (option, style, padding)
        if (strips := self._option_render_cache.get(cache_key)) is not None:
            return strips
        kept_key = (option, style, padding, width)
        plain = self._kept_renders.get(kept_key)
        if plain is None:
            if len(self._kept_renders) > 8000:
                self._kept_renders.clear()
            visual = self._get_visual(option)
            if padding:
                visual = Padding(visual, padding)
            plain = [strip.extend_cell_length(width, style.rich_style) for strip in visual.to_strips(self, visual, width, None, style)]
            self._kept_renders[kept_key] = plain
        meta = {"option": self._option_to_index[option]}
        strips = [strip.apply_meta(meta) for strip in plain]
        self._option_render_cache[cache_key] = strips
        return strips
