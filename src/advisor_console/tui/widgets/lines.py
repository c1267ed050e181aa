"""Lines kept or made without Textual's line pipeline, for widgets that are redrawn often
and look the same most of the time.

- `KeptLines`: a widget's lines kept per look (a workspace pane's border, title and
  background; the client 360's profile per client): a focus move and back, or a client
  shown again, draws nothing new.
- `DirectLines`: a list's or the thread's lines made directly, in Textual's own line
  cache, where the pipeline would change nothing of them.
Both are tested cell for cell against Textual's drawing (tests/tui/test_tui_workspace.py).
"""

from __future__ import annotations

from typing import Any

from textual.content import Content
from textual.geometry import Region
from textual.strip import Strip
from textual.style import Style
from textual.widget import Widget


class KeptLines:
    """Mixin: a widget's lines kept per look (size, styles, titles, backgrounds beneath it,
    opacity, the app's filters, and what `_content_key` names of its content), each drawn
    by Textual the first time it is asked for. Textual draws them anew after any restyle or
    update, which empties its cache:
    - a workspace pane's own lines (border, title, background; its children draw over the
      rest), 1–3 ms a pane at every focus move (two panes change border), with few looks
      (with and without the focus, per theme);
    - the client 360's profile (`Client360Body`, its content the kept drawing of a client),
      1.5–4 ms at every open of a conversation, though the profile was drawn before."""

    _KEEP_LOOKS = 8

    def render_lines(self, crop: Region) -> list[Strip]:
        key = self._look()
        if key is None:
            return super().render_lines(crop)  # type: ignore[misc]
        looks: dict[Any, list[Strip | None]] = self.__dict__.setdefault("_kept_looks", {})
        width, height = self.region.size  # type: ignore[attr-defined] # border and padding included, as the crop
        lines = looks.get(key)
        if lines is None:
            if len(looks) >= self._KEEP_LOOKS:
                looks.pop(next(iter(looks)))
            lines = looks[key] = [None] * height
        top, bottom = max(0, crop.y), min(height, crop.bottom)
        missing = [y for y in range(top, bottom) if lines[y] is None]
        if missing:
            first, last = missing[0], missing[-1] + 1
            for y, line in enumerate(super().render_lines(Region(0, first, width, last - first)), start=first):  # type: ignore[misc]
                lines[y] = line
        picked = lines[top:bottom]
        x1, x2 = crop.column_span
        if (x1, x2) != (0, width):
            return [line.crop(x1, x2) for line in picked]  # type: ignore[union-attr]
        return picked  # type: ignore[return-value]

    def _content_key(self) -> Any:
        """What of the widget's content its lines depend on (a pane: none of its own)."""
        return None

    def _look(self) -> tuple[Any, ...] | None:
        """What the widget's lines are drawn from; None if it cannot be told (then drawn)."""
        styles = self.styles  # type: ignore[attr-defined]
        try:
            key = (
                self.region.size,  # type: ignore[attr-defined]
                self._content_key(),
                frozenset(styles._base_styles._rules.items()),
                frozenset(styles._inline_styles._rules.items()),
                _markup(self._border_title),  # type: ignore[attr-defined]
                _markup(self._border_subtitle),  # type: ignore[attr-defined]
                self.background_colors,  # type: ignore[attr-defined]
                self.opacity,  # type: ignore[attr-defined] # its own and its ancestors'
                tuple(self.get_line_filters()),  # type: ignore[attr-defined]
                self.app.theme,  # type: ignore[attr-defined]
                self.app.ansi_color,  # type: ignore[attr-defined]
            )
            hash(key)
        except (TypeError, AttributeError):
            return None
        return key


def _markup(title: Content | None) -> str | None:
    return None if title is None else title.markup


class DirectLines:
    """Mixin for a line-API widget that draws whole lines itself (a list, the thread): its
    lines are made without Textual's line pipeline when that pipeline would change nothing
    of them. For each line to redraw, Textual's styles cache builds the line anew (border,
    padding, tint and opacity passes, a new strip), so the app's filters, kept per strip,
    ran again on every line of every repaint: 2.3 ms for the 41 lines of the queue list at
    each scrolling move, tab switch or refill, against 0.3 ms for the lines themselves. Here
    a line to redraw is the widget's own, brought to the width as the cache does, kept in
    the same cache (the lines not to redraw are taken from it, as Textual does), and the
    app's filters are applied as Textual applies them. Any border, outline, padding, hatch,
    tint, opacity or text opacity, or a link under the pointer: Textual draws (the cells
    are the same; tests/tui compare them). The classes between this mixin and Widget are
    not asked for lines: a widget whose class prepares in its `render_lines` (OptionList
    brings its line table up to date) must do that in its own `render_lines`, before this
    one (RowList does, in `_paint`). Relies on the styles cache's `_cache`, `_dirty_lines`
    and `_width` (Textual is pinned; recheck on an upgrade)."""

    def render_lines(self, crop: Region) -> list[Strip]:
        if not self._drawn_directly():
            return super().render_lines(crop)  # type: ignore[misc]
        width, height = self.region.size  # type: ignore[attr-defined]
        base_background, background = self.background_colors  # type: ignore[attr-defined]
        filters = self.get_line_filters()  # type: ignore[attr-defined]
        cache = self._styles_cache  # type: ignore[attr-defined] # (Textual's own: its dirty lines, its kept lines)
        if width != cache._width:
            cache.clear()
            cache._width = width
        kept, dirty = cache._cache, cache._dirty_lines
        inner = None
        lines = []
        for y in crop.line_range:
            line = kept.get(y)
            if line is None or y in dirty:
                if inner is None:
                    inner = Style(background=base_background + background).rich_style
                line = kept[y] = self.render_line(y).adjust_cell_length(width, inner)  # type: ignore[attr-defined]
            for line_filter in filters:
                line = line.apply_filter(line_filter, background)
            lines.append(line)
        dirty.difference_update(crop.line_range)
        x1, x2 = crop.column_span
        if (x1, x2) != (0, width):
            return [line.crop(x1, x2) for line in lines]
        return lines

    def _drawn_directly(self) -> bool:
        styles = self.styles  # type: ignore[attr-defined]
        if self.BLANK or any(styles.padding) or styles.text_opacity != 1.0:  # type: ignore[attr-defined]
            return False
        if any(edge not in ("", "none") for edge, _ in (*styles.border, *styles.outline)):
            return False
        if not untouched_by_effects(self):  # type: ignore[arg-type]
            return False
        if self.auto_links:  # type: ignore[attr-defined]
            hover = self.hover_style  # type: ignore[attr-defined]
            if hover._link_id and hover._meta and "@click" in hover.meta:
                return False
        return True


def untouched_by_effects(widget: Widget) -> bool:
    """Whether Textual's drawing applies no effect to the widget's lines: no opacity (its
    own or an ancestor's), tint or hatch. What the direct drawings here and of the
    scrollbars (tui/scrollbars.py) need, besides their own conditions."""
    styles = widget.styles
    return widget.opacity >= 1 and not styles.tint.a and not (styles.has_rule("hatch") and styles.hatch != "none")
