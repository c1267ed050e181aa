"""Small dialogs over the workspace: pick one of several, type a short answer, filter the
queue. Each returns its answer through `dismiss` (None when the advisor cancels) and
shows every label as text, never markup (labels may hold client names).
"""

from __future__ import annotations

from typing import Awaitable, Callable, Generic, TypeVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, RadioButton, RadioSet, SelectionList, Static, TextArea
from textual.widgets.option_list import Option
from textual.widgets.selection_list import Selection

from ...domain.queue import FACET_LABELS, FACETS, SORT_LABELS, SORTS, QueueView

T = TypeVar("T")


class ChoiceScreen(ModalScreen[T | None], Generic[T]):
    """Pick one of a list (enter), or cancel (escape). Typing filters the list."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="choice.cancel")]

    def __init__(self, title: str, choices: list[tuple[T, Text | str]], *, hint: str = "", filterable: bool = True) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices
        self.hint = hint
        self.filterable = filterable and len(choices) > 5

    def compose(self) -> ComposeResult:
        with Vertical(id="choice-dialog", classes="dialog") as dialog:
            dialog.border_title = self.title_text
            if self.hint:
                yield Static(Text(self.hint), classes="dialog-hint")
            if self.filterable:
                yield Input(placeholder="type to filter", id="choice-filter")
            yield OptionList(*self._options(""), id="choice-list")

    def _options(self, text: str) -> list[Option]:
        wanted = text.casefold().split()
        out = []
        for index, (_, label) in enumerate(self.choices):
            plain = label.plain if isinstance(label, Text) else label
            if all(w in plain.casefold() for w in wanted):
                out.append(Option(label if isinstance(label, Text) else Text(label), id=str(index)))
        return out

    def on_mount(self) -> None:
        (self.query_one("#choice-filter") if self.filterable else self.query_one("#choice-list")).focus()

    @on(Input.Changed, "#choice-filter")
    def _filter(self, event: Input.Changed) -> None:
        options = self.query_one("#choice-list", OptionList)
        options.set_options(self._options(event.value))
        options.highlighted = 0 if options.option_count else None

    @on(Input.Submitted, "#choice-filter")
    def _take_first(self) -> None:
        options = self.query_one("#choice-list", OptionList)
        if options.option_count:
            self._pick(options.get_option_at_index(options.highlighted or 0).id)

    def on_key(self, event) -> None:  # noqa: ANN001 - arrows move the list while typing the filter
        if self.filterable and event.key in ("down", "up") and isinstance(self.focused, Input):
            options = self.query_one("#choice-list", OptionList)
            (options.action_cursor_down if event.key == "down" else options.action_cursor_up)()
            event.stop()

    @on(OptionList.OptionSelected, "#choice-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._pick(event.option.id)

    def _pick(self, option_id: str | None) -> None:
        if option_id is not None:
            self.dismiss(self.choices[int(option_id)][0])

    def action_cancel(self) -> None:
        self.dismiss(None)


class TextPromptScreen(ModalScreen[str | None]):
    """Type a short answer; `check` returns an error sentence for an answer it refuses."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]

    def __init__(self, title: str, label: str, value: str = "", *, check: Callable[[str], str | None] | None = None, placeholder: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.label = label
        self.value = value
        self.check = check
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-dialog", classes="dialog") as dialog:
            dialog.border_title = self.title_text
            yield Label(Text(self.label))
            yield Input(self.value, placeholder=self.placeholder, id="prompt-input")
            yield Static("", id="prompt-error")
            yield Static(Text("enter to confirm · escape to cancel"), classes="dialog-hint")

    def on_mount(self) -> None:
        self.query_one("#prompt-input").focus()

    @on(Input.Submitted, "#prompt-input")
    def _submitted(self, event: Input.Submitted) -> None:
        error = self.check(event.value) if self.check else None
        if error:
            self.query_one("#prompt-error", Static).update(Text(error))
            return
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class SearchPickScreen(ModalScreen[T | None], Generic[T]):
    """Type to search (asynchronously, e.g. the lookbook over HTTP), enter picks a result."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="search_pick.cancel")]

    def __init__(self, title: str, search: Callable[[str], Awaitable[list[tuple[T, Text]]]], *, placeholder: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.search = search
        self.placeholder = placeholder
        self.results: list[tuple[T, Text]] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="pick-dialog", classes="dialog") as dialog:
            dialog.border_title = self.title_text
            yield Input(placeholder=self.placeholder, id="pick-input")
            yield OptionList(id="pick-list")

    def on_mount(self) -> None:
        self.query_one("#pick-input").focus()
        self._run("")

    @on(Input.Changed, "#pick-input")
    def _changed(self, event: Input.Changed) -> None:
        self._run(event.value)

    @work(exclusive=True, group="pick", exit_on_error=False)
    async def _run(self, text: str) -> None:
        try:
            self.results = await self.search(text)
        except Exception as exc:  # noqa: BLE001 - shown, not fatal
            self.notify(f"Search failed: {exc}", severity="warning", markup=False)
            return
        options = self.query_one("#pick-list", OptionList)
        options.set_options([Option(label, id=str(i)) for i, (_, label) in enumerate(self.results)])
        options.highlighted = 0 if self.results else None

    def on_key(self, event) -> None:  # noqa: ANN001
        if event.key in ("down", "up") and isinstance(self.focused, Input):
            options = self.query_one("#pick-list", OptionList)
            (options.action_cursor_down if event.key == "down" else options.action_cursor_up)()
            event.stop()

    @on(Input.Submitted, "#pick-input")
    def _submitted(self) -> None:
        options = self.query_one("#pick-list", OptionList)
        if options.highlighted is not None and self.results:
            self.dismiss(self.results[options.highlighted][0])

    @on(OptionList.OptionSelected, "#pick-list")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.results[int(event.option.id or 0)][0])

    def action_cancel(self) -> None:
        self.dismiss(None)


class FilterScreen(ModalScreen[QueueView | None]):
    """The queue's filters (values per facet; none ticked: all) and its sort."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="filters.cancel"),
        Binding("ctrl+s", "apply", "Apply", id="filters.apply"),
        Binding("ctrl+x", "clear", "Clear all", id="filters.clear"),
    ]

    def __init__(self, view: QueueView, values: dict[str, list[str]]) -> None:
        super().__init__()
        self.view = view
        self.values = values

    def compose(self) -> ComposeResult:
        with Vertical(id="filter-dialog", classes="dialog") as dialog:
            dialog.border_title = "Filter and sort the queue"
            with VerticalScroll(id="filter-facets"):
                yield Label("Sort")
                yield SelectionList[str](*(Selection(SORT_LABELS[s], s, s == self.view.sort) for s in SORTS), id="filter-sort")
                for facet in FACETS:
                    chosen = self.view.filters.get(facet, set())
                    values = sorted(set(self.values.get(facet, [])) | chosen)
                    yield Label(f"{FACET_LABELS[facet]} (none ticked: all)")
                    yield SelectionList[str](*(Selection(Text(v), v, v in chosen) for v in values), id=f"filter-{facet}")
            yield Static(Text("space ticks · tab next · ctrl+s apply · ctrl+x clear · escape cancel"), classes="dialog-hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Apply (ctrl+s)", variant="primary", id="filter-apply")
                yield Button("Cancel", id="filter-cancel")

    def on_mount(self) -> None:
        self.query_one("#filter-sort").focus()

    @on(SelectionList.SelectionToggled, "#filter-sort")
    def _one_sort(self, event: SelectionList.SelectionToggled) -> None:
        """Sort is one choice: ticking one unticks the others."""
        sorts = self.query_one("#filter-sort", SelectionList)
        picked = event.selection.value
        if picked in sorts.selected:
            for s in SORTS:
                if s != picked:
                    sorts.deselect(s)
        elif not sorts.selected:
            sorts.select(picked)

    def result(self) -> QueueView:
        sorts = self.query_one("#filter-sort", SelectionList).selected
        filters = {facet: set(self.query_one(f"#filter-{facet}", SelectionList).selected) for facet in FACETS}
        return QueueView(self.view.tab, sorts[0] if sorts else self.view.sort, {k: v for k, v in filters.items() if v}, self.view.search)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(self.result() if event.button.id == "filter-apply" else None)

    def action_apply(self) -> None:
        self.dismiss(self.result())

    def action_clear(self) -> None:
        for facet in FACETS:
            self.query_one(f"#filter-{facet}", SelectionList).deselect_all()

    def action_cancel(self) -> None:
        self.dismiss(None)


class Facet:
    """One question of a ChoicesScreen: a key, a label, its (value, label) choices and the
    value chosen now."""

    def __init__(self, key: str, label: str, choices: list[tuple[str, str]], current: str) -> None:
        self.key, self.label, self.choices, self.current = key, label, choices, current


class ChoicesScreen(ModalScreen[dict[str, str] | None]):
    """Several questions, one answer each (lookbook filters, call-list segments): arrows
    and space/enter choose, tab goes to the next question, ctrl+s applies. Answers the
    value chosen per facet key."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="choices.cancel"),
        Binding("ctrl+s", "apply", "Apply", id="choices.apply"),
        Binding("ctrl+x", "clear", "Clear all", id="choices.clear"),
    ]

    def __init__(self, title: str, facets: list[Facet], *, dialog_id: str = "choices-dialog") -> None:
        super().__init__()
        self.title_text = title
        self.facets = facets
        self.dialog_id = dialog_id

    def compose(self) -> ComposeResult:
        with Vertical(id=self.dialog_id, classes="dialog choices-dialog") as dialog:
            dialog.border_title = self.title_text
            with VerticalScroll(classes="choices-facets"):
                for facet in self.facets:
                    yield Label(Text(facet.label))
                    with RadioSet(id=f"choice-{facet.key}"):
                        for value, label in facet.choices:
                            yield RadioButton(Text(label), value=value == facet.current, name=value)
            yield Static(Text("arrows move · space/enter choose · tab next · ctrl+s apply · ctrl+x all cleared · escape cancel"), classes="dialog-hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Apply (ctrl+s)", variant="primary", id="choices-apply")
                yield Button("Cancel", id="choices-cancel")

    def on_mount(self) -> None:
        self.query(RadioSet).first().focus()

    def result(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for facet in self.facets:
            pressed = self.query_one(f"#choice-{facet.key}", RadioSet).pressed_button
            out[facet.key] = pressed.name if pressed is not None and pressed.name is not None else facet.current
        return out

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id in ("choices-apply", "choices-cancel"):
            self.dismiss(self.result() if event.button.id == "choices-apply" else None)

    def action_apply(self) -> None:
        self.dismiss(self.result())

    def action_clear(self) -> None:
        """Every question back to its first answer ("any")."""
        for facet in self.facets:
            buttons = list(self.query_one(f"#choice-{facet.key}", RadioSet).query(RadioButton))
            if buttons:
                buttons[0].value = True

    def action_cancel(self) -> None:
        self.dismiss(None)


class NotesScreen(ModalScreen[str | None]):
    """Edit a longer text (a client's notes): ctrl+s saves, escape cancels."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="notes.cancel"),
        Binding("ctrl+s", "save", "Save", id="notes.save"),
    ]
    LIMIT = 20_000

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title_text = title
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(id="notes-dialog", classes="dialog") as dialog:
            dialog.border_title = self.title_text
            yield TextArea(self.text, id="notes-text", soft_wrap=True, show_line_numbers=False)
            yield Static("", id="prompt-error")
            yield Static(Text("ctrl+s saves (every advisor sees these notes; never the client) · escape cancels"), classes="dialog-hint")

    def on_mount(self) -> None:
        area = self.query_one("#notes-text", TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    def action_save(self) -> None:
        text = self.query_one("#notes-text", TextArea).text
        if len(text) > self.LIMIT:
            self.query_one("#prompt-error", Static).update(Text(f"At most {self.LIMIT:,} characters ({len(text):,} now)."))
            return
        self.dismiss(text)

    def action_cancel(self) -> None:
        self.dismiss(None)
