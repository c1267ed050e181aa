"""The footer: the keys that apply where the focus is, as one line of text.

Textual's `Footer` recomposes a widget per key (and restyles each) whenever the bindings
change, which is every focus change and many state changes: at ~20 keys that was the
largest cost of opening a conversation. `KeyBar` draws the same line (key, description;
disabled keys dimmed; the palette key at the right) as a single `Static`, updated only
when what it shows changes.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static


class KeyBar(Static):
    COMPONENT_CLASSES = {"keybar--key", "keybar--description", "keybar--disabled"}

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__("", id=id)
        self._shown: tuple = ()

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self.call_after_refresh(self._bindings_changed)
        self.watch(self.app, "theme", lambda _t: self._bindings_changed(force=True), init=False)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen: object = None, *, force: bool = False) -> None:
        if not self.is_mounted:
            return
        seen: set[str] = set()
        shown = []
        for _, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            shown.append((self.app.get_key_display(binding), binding.description, enabled))
        key = tuple(shown)
        if key == self._shown and not force:
            return
        self._shown = key
        st = self.get_component_rich_style
        text = Text(no_wrap=True, overflow="ellipsis")
        for display, description, enabled in shown:
            text.append(f" {display} ", st("keybar--key" if enabled else "keybar--disabled"))
            text.append(f"{description} ", st("keybar--description" if enabled else "keybar--disabled"))
        text.append(" ^p ", st("keybar--key"))
        text.append("palette", st("keybar--description"))
        self.update(text, layout=False)  # one line, docked: its size never changes
