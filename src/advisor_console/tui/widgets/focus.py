"""Focus styling that restyles only what the focus changes.

Textual restyles on every focus move: the widget that gains or loses focus is restyled
with all its descendants (and its component classes, one virtual node each), whether or
not any rule depends on its focus; and a `:focus-within` rule restyles the whole subtree of
the pane that holds it. In the workspace that was most of the screen on each move from the
queue to the thread (~12 ms of restyling, then repainting what it touched).

- A pane's own lines are kept per look (`lines.KeptLines`), so a focus move and back draws
  each look once.
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
