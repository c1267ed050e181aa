"""The lookbook: search the catalogue and share a piece into the conversation.

It opens over the conversation pane. Typing searches (debounced, one search at a time);
enter or "s" on a result shares it as a product card; escape closes.
"""

from __future__ import annotations

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ...domain.models import Product
from ..format import HUB_CURRENCY, money, without_background
from ..keys import LOOKBOOK_BINDINGS, LOOKBOOK_RESULT_BINDINGS
from ..safe import safe_line



_ROW_STYLES = ("lookbook--price", "lookbook--stock", "lookbook--nostock", "lookbook--name", "lookbook--dim")


def price_in(product: Product, currency: str) -> tuple[float, str] | None:
    if currency in product.prices:
        return product.prices[currency], currency
    if product.prices:
        cur, amount = next(iter(sorted(product.prices.items())))
        return amount, cur
    return None


def in_stock_at(product: Product, hub: str) -> bool:
    return any(units.get(hub, 0) > 0 for units in product.stock.values())


class LookbookResults(OptionList):
    BINDINGS = LOOKBOOK_RESULT_BINDINGS
    COMPONENT_CLASSES = {"lookbook--name", "lookbook--dim", "lookbook--price", "lookbook--stock", "lookbook--nostock"}


class Lookbook(Vertical):
    BINDINGS = LOOKBOOK_BINDINGS

    class Share(Message):
        """Share this piece into the open conversation."""

        def __init__(self, product: Product, price: str) -> None:
            super().__init__()
            self.product = product
            self.price = price

    class Closed(Message):
        pass

    def __init__(self, workspace, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.workspace = workspace
        self.products: list[Product] = []
        self._searched: str | None = None
        self.searching = False

    def compose(self) -> ComposeResult:
        yield Input(placeholder="Search the lookbook: name, line, category, colour…", id="lookbook-input")
        yield LookbookResults(id="lookbook-results")
        yield Static(id="lookbook-status")

    def on_mount(self) -> None:
        self.border_title = "Lookbook"
        self.border_subtitle = "enter/s share · esc close"
        self.watch(self.app, "theme", lambda _t: self.call_after_refresh(self._refill), init=False)

    def _refill(self) -> None:
        if self._searched is not None and not self.searching:
            self._fill()

    @property
    def currency(self) -> str:
        return HUB_CURRENCY.get(self.workspace.me.hub, "EUR")

    def open(self) -> None:
        input_ = self.query_one(Input)
        input_.focus()
        if self._searched is None:
            self.search_now(input_.value)

    # ---- searching ---------------------------------------------------------------------

    @on(Input.Changed, "#lookbook-input")
    def _typed(self, event: Input.Changed) -> None:
        # Search at every keystroke, no debounce: the server answers in a few ms (an index),
        # and a newer search cancels the one in flight (exclusive worker).
        event.stop()
        self.search_now(event.value)

    @on(Input.Submitted, "#lookbook-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        results = self.query_one(LookbookResults)
        if results.option_count:
            results.focus()
            if results.highlighted is None:
                results.highlighted = 0

    def search_now(self, query: str) -> None:
        self._searched = query
        self.searching = True
        self._status("Searching…")
        self._search(query)

    @work(exclusive=True, group="lookbook", exit_on_error=False)
    async def _search(self, query: str) -> None:
        try:
            products = await self.workspace.search_products(query.strip())
        except Exception as exc:  # noqa: BLE001 - offline or refused: say so, keep the old results
            self.searching = False
            self._status(f"Search failed: {type(exc).__name__}. The lookbook needs the server.")
            return
        self.products = products
        self.searching = False
        self._fill()

    def _fill(self) -> None:
        results = self.query_one(LookbookResults)
        width = results.scrollable_content_region.width or 60
        styles = {name: without_background(results.get_component_rich_style(name)) for name in _ROW_STYLES}
        results.set_options(Option(self._row(p, width, styles), id=str(i)) for i, p in enumerate(self.products))
        if self.products:
            results.highlighted = 0
        q = self._searched or ""
        self._status(f"{len(self.products)} pieces" + (f" for “{safe_line(q)}”" if q else "") + f" · prices in {self.currency}")

    def _row(self, p: Product, width: int, styles: dict[str, Style]) -> Text:
        st = styles.__getitem__
        price = price_in(p, self.currency)
        price_text = money(*price) if price else "—"
        stock = in_stock_at(p, self.workspace.me.hub)
        tail = Text()
        tail.append(f" {price_text}", st("lookbook--price"))
        tail.append(" ● in stock" if stock else " ○ not here", st("lookbook--stock" if stock else "lookbook--nostock"))
        head = Text(safe_line(p.name), st("lookbook--name"))
        head.append(f"  {safe_line(p.line)} · {safe_line(p.category)}", st("lookbook--dim"))
        head.truncate(max(8, width - tail.cell_len), overflow="ellipsis", pad=True)
        return Text.assemble(head, tail, no_wrap=True)

    def _status(self, text: str) -> None:
        self.query_one("#lookbook-status", Static).update(Text(text))

    # ---- sharing and closing -------------------------------------------------------------

    @on(OptionList.OptionSelected, "#lookbook-results")
    def _share(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        product = self.products[int(event.option.id or 0)]
        price = price_in(product, self.currency)
        self.post_message(self.Share(product, money(*price) if price else ""))

    def highlighted_product(self) -> Product | None:
        results = self.query_one(LookbookResults)
        if results.highlighted is None or not self.products:
            return None
        option = results.get_option_at_index(results.highlighted)
        return self.products[int(option.id or 0)]

    def action_close(self) -> None:
        self.post_message(self.Closed())
