"""The lookbook: search the catalogue, narrow it, look at a piece, share it.

It opens over the conversation pane. Typing searches at every key (one search at a time);
`f` filters (category, season, iconic or seasonal, in stock at a hub, in her size at her
hub); each row says whether the piece is in the open conversation's client's size at her
hub; `d` opens the piece's detail (its picture, sizes and stock per hub, her size and her
hub picked out); enter or `s` shares it as a product card; escape goes back, then closes.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ...domain.address import her_size_for
from ...domain.models import HUBS, Client, Product, ProductDetail
from ..format import HUB_CURRENCY, money, without_background
from ..keys import LOOKBOOK_BINDINGS, LOOKBOOK_DETAIL_BINDINGS, LOOKBOOK_RESULT_BINDINGS
from ..safe import safe_line
from .product_image import ProductPicture
from .lines import KeptLines
from .rows import RowList, TextRow



_ROW_STYLES = ("lookbook--price", "lookbook--stock", "lookbook--nostock", "lookbook--name", "lookbook--dim")


def price_in(product: Product, currency: str) -> tuple[float, str] | None:
    if currency in product.prices:
        return product.prices[currency], currency
    if product.prices:
        cur, amount = next(iter(sorted(product.prices.items())))
        return amount, cur
    return None


def in_stock_at(product: Product, hub: str, size: str | None = None) -> bool:
    if size is not None:
        return product.stock.get(size, {}).get(hub, 0) > 0
    return any(units.get(hub, 0) > 0 for units in product.stock.values())


STOCK_CHOICES = {
    "any": "Anywhere",
    "my_hub": "In stock at my hub",
    "her_hub": "In stock at her hub",
    "her_size": "In her size at her hub",
}


@dataclass(frozen=True)
class LookbookFilters:
    """What the lookbook is narrowed to ("" = any)."""

    category: str = ""
    season: str = ""
    kind: str = ""  # "" | iconic | seasonal
    stock: str = "any"  # a key of STOCK_CHOICES

    def describe(self, my_hub: str, client: Client | None) -> str:
        parts = [self.category.replace("_", " ").capitalize()] if self.category else []
        parts += [self.season] if self.season else []
        parts += [self.kind] if self.kind else []
        if self.stock == "my_hub":
            parts.append(f"in stock at {my_hub}")
        elif self.stock in ("her_hub", "her_size") and client is not None:
            parts.append(("in her size at " if self.stock == "her_size" else "in stock at ") + client.hub)
        return " · ".join(parts) if parts else "All pieces"

    def params(self, my_hub: str, client: Client | None) -> dict[str, object]:
        """The API's search parameters. "In her size" needs a category with a size system
        for the server to narrow by size; without one the rows still say it per piece."""
        out: dict[str, object] = {"category": self.category or None, "season": self.season or None}
        out["iconic"] = True if self.kind == "iconic" else False if self.kind == "seasonal" else None
        if self.stock == "my_hub":
            out["in_stock_hub"] = my_hub
        elif self.stock in ("her_hub", "her_size") and client is not None:
            out["in_stock_hub"] = client.hub
            if self.stock == "her_size" and self.category:
                out["size"] = her_size_for(client, self.category)
        return out


def stock_table(detail: ProductDetail, her_hub: str | None, her_size: str | None, styles: dict[str, Style]) -> Table:
    """Units per size (rows) and hub (columns: six, so it fits however many sizes);
    her size's row and her hub's column picked out."""
    table = Table(box=None, pad_edge=False, padding=(0, 1), show_edge=False, header_style=styles["head"])
    table.add_column("Size", no_wrap=True)
    for hub in HUBS:
        table.add_column(f"[{hub}]" if hub == her_hub else hub, justify="right", no_wrap=True, style=styles["hub"] if hub == her_hub else None)
    for size in detail.sizes or ["OS"]:
        cells = [Text(str(n) if (n := detail.stock_by_hub.get(hub, {}).get(size, 0)) else "·") for hub in HUBS]
        label = Text(f"{size}{'  ◂ her size' if size == her_size else ''}", no_wrap=True)
        table.add_row(label, *cells, style=styles["her"] if size == her_size else None)
    return table


def her_availability(detail: ProductDetail, hub: str | None, size: str | None) -> str:
    """One sentence: is it in her size at her hub, and if not, where."""
    if hub is None:
        return "Open a conversation to see her size and hub."
    if not detail.stock or list(detail.stock) == ["OS"] or size is None:
        units = detail.total_by_hub.get(hub, 0)
        if size is None and detail.sizes and detail.sizes != ["OS"]:
            return f"Her size for this piece is not on her record · {units} units at {hub}."
        return f"✓ {units} at her hub {hub}." if units else "✗ None at her hub " + hub + (f"; in stock at {', '.join(detail.in_stock_hubs)}." if detail.in_stock_hubs else "; sold out everywhere.")
    units = detail.stock.get(size, {}).get(hub, 0)
    if units:
        return f"✓ In her size {size} at her hub {hub}: {units} unit{'s' if units > 1 else ''}."
    elsewhere = [f"{h} ({n})" for h, n in sorted(detail.stock.get(size, {}).items()) if n > 0]
    return f"✗ Not in her size {size} at {hub}" + (f"; in her size at {', '.join(elsewhere)}." if elsewhere else "; her size is sold out everywhere.")


class LookbookResults(RowList):
    BINDINGS = LOOKBOOK_RESULT_BINDINGS
    COMPONENT_CLASSES = {"lookbook--name", "lookbook--dim", "lookbook--price", "lookbook--stock", "lookbook--nostock"}

    def action_detail(self) -> None:
        self.query_ancestor(Lookbook).action_detail()


class ProductDetailView(VerticalScroll, can_focus=True):
    """One piece: picture, description, price, sizes and stock per hub."""

    BINDINGS = LOOKBOOK_DETAIL_BINDINGS
    COMPONENT_CLASSES = {"detail--head", "detail--her", "detail--hub", "detail--yes", "detail--no"}

    def compose(self) -> ComposeResult:
        with Horizontal(id="detail-top"):
            yield ProductPicture(id="detail-picture")
            yield Static(id="detail-info")
        yield Static(id="detail-her")
        yield Static(id="detail-stock")

    def action_back(self) -> None:
        self.query_ancestor(Lookbook).close_detail()


class Lookbook(KeptLines, Vertical):
    BINDINGS = LOOKBOOK_BINDINGS

    class Share(Message):
        """Share this piece into the open conversation."""

        def __init__(self, product: Product, price: str) -> None:
            super().__init__()
            self.product = product
            self.price = price

    class Closed(Message):
        pass

    class WantsFilters(Message):
        """Ask the advisor for filters (the screen owns dialogs)."""

    def __init__(self, workspace, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.workspace = workspace
        self.products: list[Product] = []
        self._searched: str | None = None
        self.searching = False
        self.filters = LookbookFilters()
        self.client: Client | None = None  # the open conversation's client
        self.detail: ProductDetail | None = None
        self.picture_mode = "blocks"
        self.picture_drawn = ""  # how the detail's picture was drawn (graphics/blocks/text)
        self.built = False  # the parts are mounted on the first open

    def compose(self) -> ComposeResult:
        # Nothing until the first open (`_build`): the workstation's first frame does not
        # pay for widgets most starts never show.
        return []

    def _build(self) -> None:
        """Mount the parts (once, on the first open); queries find them at once."""
        if self.built:
            return
        self.built = True
        self.mount_all(
            [
                Input(placeholder="Search the lookbook: name, SKU, line, colour, material…", id="lookbook-input"),
                Static(id="lookbook-filters"),
                LookbookResults(id="lookbook-results"),
                ProductDetailView(id="lookbook-detail"),
                Static(id="lookbook-status"),
            ]
        )

    def on_mount(self) -> None:
        self.border_title = "Lookbook"
        self.border_subtitle = "enter/s share · d detail · f filter · t try-on · esc close"
        self.picture_mode = getattr(self.app, "picture_mode", "blocks")
        self.watch(self.app, "theme", lambda _t: self.call_after_refresh(self._refill), init=False)

    def _refill(self) -> None:
        if self.built and self._searched is not None and not self.searching:
            self._fill()

    @property
    def currency(self) -> str:
        return HUB_CURRENCY.get(self.workspace.me.hub, "EUR")

    def open(self, client: Client | None = None) -> None:
        self._build()
        changed = client is not None and (self.client is None or self.client.id != client.id)
        self.client = client or self.client
        self.close_detail(refocus=False)
        input_ = self.query_one(Input)
        input_.focus()
        self._show_filters()
        if self._searched is None or changed:
            self.search_now(input_.value)

    def set_filters(self, filters: LookbookFilters) -> None:
        self.filters = filters
        self._show_filters()
        self.search_now(self.query_one(Input).value)

    def _show_filters(self) -> None:
        who = ""
        if self.client is not None:
            who = f" · for {safe_line(self.client.name)} ({self.client.hub})"
        self.query_one("#lookbook-filters", Static).update(Text(f"⛉ {self.filters.describe(self.workspace.me.hub, self.client)}{who} · f to filter", no_wrap=True, overflow="ellipsis"))

    def action_filters(self) -> None:
        self.post_message(self.WantsFilters())

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
            products = await self.workspace.search_products(query.strip(), **self.filters.params(self.workspace.me.hub, self.client))
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
        console = self.app.console
        # Rows are made as they are drawn (a page of 50, some 20 on screen), for the client
        # and currency of now: a row made later shows what it would have shown now.
        client, currency = self.client, self.currency
        results.set_options(Option(TextRow(partial(self._row, p, width, styles, client, currency), console, lines=1), id=str(i)) for i, p in enumerate(self.products))
        if self.products:
            results.highlighted = 0
        q = self._searched or ""
        self._status(f"{len(self.products)} pieces" + (f" for “{safe_line(q)}”" if q else "") + f" · prices in {self.currency}")

    def _row(self, p: Product, width: int, styles: dict[str, Style], client: Client | None, currency: str) -> Text:
        st = styles.__getitem__
        price = price_in(p, currency)
        price_text = money(*price) if price else "—"
        hub = client.hub if client is not None else self.workspace.me.hub
        size = her_size_for(client, p.category, p.stock)
        stock = in_stock_at(p, hub, size)
        where = f"{size} at {hub}" if size else f"at {hub}"
        tail = Text()
        tail.append(f" {price_text}", st("lookbook--price"))
        tail.append(f" ● {where}" if stock else f" ○ none {where}", st("lookbook--stock" if stock else "lookbook--nostock"))
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
        if self.has_class("-detail") and self.detail is not None:
            return self.detail
        results = self.query_one(LookbookResults)
        if results.highlighted is None or not self.products:
            return None
        option = results.get_option_at_index(results.highlighted)
        return self.products[int(option.id or 0)]

    def action_share(self) -> None:
        product = self.highlighted_product()
        if product is not None:
            price = price_in(product, self.currency)
            self.post_message(self.Share(product, money(*price) if price else ""))

    def action_close(self) -> None:
        if self.has_class("-detail"):
            self.close_detail()
            return
        self.post_message(self.Closed())

    # ---- the detail of a piece -------------------------------------------------------------

    def action_detail(self) -> None:
        product = self.highlighted_product()
        if product is not None:
            self.show_detail(product.sku)

    @work(exclusive=True, group="lookbook-detail", exit_on_error=False)
    async def show_detail(self, sku: str) -> None:
        self._status("Opening the piece…")
        detail = await self.workspace.product_detail(sku)
        if detail is None:
            self._status("This piece cannot be opened: the server cannot be reached and it was never opened here.")
            return
        png = await self.workspace.product_image(sku) if detail.image else None
        self.detail = detail
        self.add_class("-detail")
        view = self.query_one(ProductDetailView)
        self.picture_drawn = view.query_one(ProductPicture).show(detail, png, self.picture_mode, offline=bool(detail.image) and png is None)
        self._draw_detail(view, detail)
        view.scroll_home(animate=False)
        view.focus()
        self.border_subtitle = "s share · t try-on · esc back to results"
        self._status(f"{detail.sku} · picture: {self.picture_drawn}")

    def _draw_detail(self, view: ProductDetailView, detail: ProductDetail) -> None:
        st = {name.split("--")[1]: without_background(view.get_component_rich_style(f"detail--{name.split('--')[1]}")) for name in view.COMPONENT_CLASSES}
        price = price_in(detail, self.currency)
        info = Text()
        info.append(safe_line(detail.name) + "\n", st["head"])
        info.append(f"{safe_line(detail.sku)}\n{safe_line(detail.line)} · {safe_line(detail.category.replace('_', ' '))}\n")
        info.append(f"{safe_line(detail.season)} · {'iconic' if detail.iconic else 'seasonal'}\n")
        info.append(f"{safe_line(', '.join(detail.colours))}\n{safe_line(', '.join(detail.materials))}\n")
        info.append(money(*price) if price else "no price", st["head"])
        others = [money(amount, cur) for cur, amount in sorted(detail.prices.items()) if cur != (price[1] if price else None)]
        if others:
            info.append("\n" + " · ".join(others))
        view.query_one("#detail-info", Static).update(info)
        hub = self.client.hub if self.client is not None else None
        size = her_size_for(self.client, detail.category, detail.sizes)
        sentence = her_availability(detail, hub, size)
        who = f"{safe_line(self.client.name)}: " if self.client is not None else ""
        view.query_one("#detail-her", Static).update(Text(who + sentence, st["yes"] if sentence.startswith("✓") else st["no"]))
        view.query_one("#detail-stock", Static).update(stock_table(detail, hub, size, {"head": st["head"], "her": st["her"], "hub": st["hub"]}))

    def close_detail(self, *, refocus: bool = True) -> None:
        if not self.has_class("-detail"):
            return
        self.remove_class("-detail")
        self.border_subtitle = "enter/s share · d detail · f filter · t try-on · esc close"
        if refocus:
            self.query_one(LookbookResults).focus()
