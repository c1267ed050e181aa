"""Scrollbars drawn straight into strips.

Textual draws a scrollbar as any widget: its renderable goes through Rich (the console
renders it, the segments are split into lines), then every line through the widget's
styles cache (border, padding, background, filters), about 1 ms for a bar of 41 lines,
and a bar is drawn anew whenever what it shows moves: each open of a conversation, each
switch of the queue's tab, each scrolling step. A bar has no border, padding or content
of its own: its lines are the segments of `ScrollBarRender.render_bar`, one per line
(vertical) or one row repeated (horizontal). `install()` makes every scrollbar of the app
build those strips itself, kept for as long as the bar shows the same thing; the app's
line filters are applied as the styles cache applies them. The cells are Textual's own
(tests/tui/test_tui_scrollbars.py compares them with Textual's drawing).
"""

from __future__ import annotations

from rich.style import Style
from textual.geometry import Region
from textual.scrollbar import ScrollBar, ScrollBarRender
from textual.strip import Strip

from .widgets.lines import untouched_by_effects

_textual_render_lines = ScrollBar.render_lines


def _bar_lines(bar: ScrollBar, renderable: ScrollBarRender) -> list[Strip]:
    """The bar's lines, kept while it shows the same thing."""
    width, height = bar.size
    filters = tuple(bar.get_line_filters())
    background = bar.background_colors[1]
    base = bar.visual_style.rich_style  # beneath the bar's own styles, as Textual's drawing puts it
    style = renderable.style
    key = (width, height, renderable.virtual_size, renderable.window_size, renderable.position, renderable.vertical, style, base, filters, background)
    kept = bar.__dict__.get("_light_lines")
    if kept is not None and kept[0] == key:
        return kept[1]
    size, thickness = (height, width) if renderable.vertical else (width, height)
    segments = renderable.render_bar(
        size=size,
        virtual_size=renderable.virtual_size,
        window_size=renderable.window_size,
        position=renderable.position,
        thickness=thickness,
        vertical=renderable.vertical,
        back_color=style.bgcolor,
        bar_color=style.color,
    ).segments
    if renderable.vertical:  # one segment per line, `thickness` cells wide; most are alike
        made: dict[object, Strip] = {}
        lines = []
        for segment in segments[:height]:
            line = made.get(segment)
            if line is None:
                line = made[segment] = Strip([segment], width).apply_style(base)
            lines.append(line)
    else:  # one row of one-cell segments (then a new line), `thickness` times
        lines = [Strip(segments[:width], width).apply_style(base)] * height
    for line_filter in filters:  # a strip keeps its filtered self: alike lines are filtered once
        lines = [line.apply_filter(line_filter, background) for line in lines]
    bar.__dict__["_light_lines"] = (key, lines)
    return lines


def _render_lines(self: ScrollBar, crop: Region) -> list[Strip]:
    renderable = self.render() if self.parent is not None else None
    style = getattr(renderable, "style", None)
    if not isinstance(renderable, ScrollBarRender) or not isinstance(style, Style) or style.bgcolor is None or style.color is None or not untouched_by_effects(self):
        return _textual_render_lines(self, crop)  # not a bar this module knows how to draw
    lines = _bar_lines(self, renderable)
    picked = lines[crop.y : crop.bottom]
    x1, x2 = crop.column_span
    if (x1, x2) != (0, self.size.width):
        picked = [line.crop(x1, x2) for line in picked]
    return picked


def install() -> None:
    """Every scrollbar of the app draws its lines as above (idempotent)."""
    ScrollBar.render_lines = _render_lines  # type: ignore[method-assign]
