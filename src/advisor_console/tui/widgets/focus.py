"""Focus styling that restyles only what the focus changes.

Textual restyles on every focus move: the widget that gains or loses focus is restyled
with all its descendants (and its component classes, one virtual node each), whether or
not any rule depends on its focus; and a `:focus-within` rule restyles the whole subtree of
the pane that holds it. In the workspace that was most of the screen on each move from the
queue to the thread (~12 ms of restyling, then repainting what it touched).

- `KeptLines`: a pane's own lines (its border, title and background; its children
  draw over the rest) are kept per look, so a focus move and back draws each look once
  (and the client 360's profile per client).
- `FocusStyledOnly`: a focusable widget restyles on a change of focus only if a rule of the
  stylesheet styles it by `:focus` / `:blur` (a thread view, a client 360 pane: none), and
  is not repainted whole for it (Textual's Focus and Blur handlers repaint every line of
  the widget, from scratch, in case its drawing shows the focus: `QuietFocus`).
- The workspace's panes show the focus through a class, `-focus`, set by the screen on
  each focus move on the pane itself only (`mark_focused_pane`): no rule below a pane
  depends on it. The class changes the border alone; the title's colour is markup in the
  title, because Textual repaints every descendant, from scratch, of a widget whose colour
  rule changes (border-title-color was one: ~6 ms of each open of a conversation).
"""

from __future__ import annotations

from typing import Any, Iterable

from textual import events
from textual.content import Content
from textual.dom import NoScreen
from textual.markup import escape
from textual.geometry import Region
from textual.strip import Strip
from textual.style import Style
from textual.widget import Widget

_FOCUS_PSEUDO = frozenset({"focus", "blur"})
FOCUSED_PANE = "-focus"


def _selector_key(selector) -> str:  # noqa: ANN001 - a textual.css.model.Selector
    from textual.css.model import SelectorType

    if selector.type == SelectorType.UNIVERSAL:
        return "*"
    if selector.type == SelectorType.CLASS:
        return f".{selector.name}"
    if selector.type == SelectorType.ID:
        return f"#{selector.name}"
    return selector.name


# The answers of styled_by_focus, for the rules they were worked out from (a new theme or
# stylesheet parses new rules): the answer is asked on every focus move.
_answers: dict[str, Any] = {"rules": None, "by_names": {}}


def styled_by_focus(widget: Widget) -> bool:
    """True if a rule of the app's stylesheet selects `widget` (by type, class, id or `*`)
    with `:focus` or `:blur` on that same selector."""
    rules = widget.app.stylesheet.rules
    if _answers["rules"] is not rules:
        _answers.update(rules=rules, by_names={})
    names = frozenset(widget._selector_names)
    answer = _answers["by_names"].get(names)
    if answer is None:
        answer = _answers["by_names"][names] = any(
            not selector.pseudo_classes.isdisjoint(_FOCUS_PSEUDO) and _selector_key(selector) in names
            for rule in rules
            if not rule.pseudo_classes.isdisjoint(_FOCUS_PSEUDO)
            for selector_set in rule.selector_set
            for selector in selector_set.selectors
        )
    return answer


class QuietFocus:
    """Mixin for a focusable widget whose drawing does not show the focus, or shows it
    through its styles (a restyle repaints what changes) or its own `watch_has_focus`:
    Textual's `focus()` and its Focus and Blur handlers, without their repaint of every
    line of the widget."""

    def focus(self, scroll_visible: bool = True) -> Any:
        """The focus is set a moment later, as Textual's `focus()` sets it."""

        def set_focus(target: Widget) -> None:
            try:
                target.screen.set_focus(target, scroll_visible=scroll_visible)
            except NoScreen:
                pass

        self.app.call_later(set_focus, self)  # type: ignore[attr-defined]
        return self

    def _on_focus(self, event: events.Focus) -> None:
        self._focus_moved(event)

    def _on_blur(self, event: events.Blur) -> None:
        self._focus_moved(event)

    def _focus_moved(self, event: events.Focus | events.Blur) -> None:
        event.prevent_default()  # Textual's handler (Widget's) is not called after this one
        focused = isinstance(event, events.Focus)
        self.has_focus = focused
        parent = self.parent  # type: ignore[attr-defined]
        if parent is not None:
            parent.post_message(events.DescendantFocus(self) if focused else events.DescendantBlur(self))  # type: ignore[arg-type]


class FocusStyledOnly(QuietFocus):
    """Mixin for a focusable widget: no restyle on focus unless a rule needs one, no repaint."""

    def watch_has_focus(self, has_focus: bool) -> None:
        if styled_by_focus(self):  # type: ignore[arg-type]
            super().watch_has_focus(has_focus)  # type: ignore[misc]


def pane_title(title: str, focused: bool) -> str:
    """A pane's border title as markup: in the theme's primary colour while it holds the focus."""
    plain = Content.from_markup(title).plain
    return f"[$primary]{escape(plain)}[/]" if focused else escape(plain)


def mark_focused_pane(panes: Iterable[Widget], focused: Widget | None) -> None:
    """Give the `-focus` class to the pane holding `focused`, take it from the others;
    restyle those panes alone (not their descendants)."""
    holders = set(focused.ancestors_with_self) if focused is not None else set()
    changed = []
    for pane in panes:
        holds = pane in holders
        if pane.has_class(FOCUSED_PANE) != holds:
            pane.set_class(holds, FOCUSED_PANE, update=False)
            if pane.border_title:
                pane.border_title = pane_title(pane.border_title, holds)
            changed.append(pane)
    if changed:
        changed[0].app.stylesheet.update_nodes(changed, animate=True)


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
        if self.BLANK or any(styles.padding):  # type: ignore[attr-defined]
            return False
        if any(edge not in ("", "none") for edge, _ in (*styles.border, *styles.outline)):
            return False
        if styles.tint.a or styles.text_opacity != 1.0 or self.opacity != 1.0:  # type: ignore[attr-defined]
            return False
        if styles.has_rule("hatch") and styles.hatch != "none":
            return False
        if self.auto_links:  # type: ignore[attr-defined]
            hover = self.hover_style  # type: ignore[attr-defined]
            if hover._link_id and hover._meta and "@click" in hover.meta:
                return False
        return True
