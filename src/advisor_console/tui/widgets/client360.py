"""The right pane: everything the house knows about the client of the open conversation.

Shows the cached profile at once (`workspace.cached_client_360`), then the server's in a
worker (one fetch at a time: opening another conversation cancels the previous fetch).
"""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.css.styles import RulesMap
from textual.strip import Strip
from textual.style import Style as VisualStyle
from textual.visual import RenderOptions, RichVisual
from textual.widget import Widget
from textual.widgets import Static

from ...domain.models import Client360
from ...lazy import lazy_module
from ..format import CHANNEL_ICONS, CHANNEL_NAMES, STATUS_MARKS, TIER_NAMES, aware, client_zone, hub_zone, money, waiting
from ..keys import CLIENT360_BINDINGS
from ..safe import safe, safe_line
from .focus import FocusStyledOnly
from .lines import KeptLines

prompts = lazy_module("advisor_console.tui.screens.prompts")  # the notes dialog, loaded when first opened

MAX_PURCHASES = 12
MAX_RECENT = 5
SHOE_KEYS = (("shoes_eu", "EU"), ("shoes_us", "US"), ("shoes_jp", "JP"))


class Client360Body(KeptLines, Static):
    """The profile: its lines kept per client drawing shown (KeptLines), so opening a
    conversation whose client was shown before draws nothing new."""

    COMPONENT_CLASSES = {"c360--name", "c360--native", "c360--section", "c360--dim", "c360--tier", "c360--yes", "c360--no", "c360--returned", "c360--due", "c360--birthday"}

    def _content_key(self) -> object:
        return self.visual  # a KeptProfile per client (or a short message)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        pane = self.parent
        if isinstance(pane, Client360Pane):
            pane.drop_kept()  # drawn with the old colours


class KeptProfile(RichVisual):
    """A profile as Rich renders it, kept per width and style: showing a client again, or
    measuring then drawing, renders once. Its height is measured by drawing it with the
    widget's style, as Textual draws it next (Textual measures a Rich renderable by
    rendering it, then renders it again to draw it: the profile's tables twice on each
    first showing of a client). It is drawn without a height and cut to the one asked:
    right for what a profile is made of (Text and Table.grid, which ignore the height);
    a renderable that fills a height (Panel, Align, Layout) would need the height passed."""

    def __init__(self, widget: Widget, renderable: RenderableType) -> None:
        super().__init__(widget, renderable)
        self._heights: dict[int, int] = {}
        self._strips: dict[tuple[object, ...], list[Strip]] = {}

    def get_height(self, rules: RulesMap, width: int) -> int:
        height = self._heights.get(width)
        if height is None:
            widget = self._widget
            strips = self.render_strips(width, None, widget.visual_style, RenderOptions(widget._get_style, widget.styles))
            height = self._heights[width] = len(strips)
        return height

    def render_strips(self, width: int, height: int | None, style: VisualStyle, options: RenderOptions) -> list[Strip]:
        if options.selection is not None or options.post_style is not None:
            return super().render_strips(width, height, style, options)
        key = (width, style)
        strips = self._strips.get(key)
        if strips is None:
            if len(self._strips) >= 4:
                self._strips.clear()
            strips = self._strips[key] = super().render_strips(width, None, style, options)
        return strips if height is None else strips[:height]


KEPT_PROFILES = 16  # clients whose drawn profile is kept (reopening one draws nothing new)


# How the purchases table can be sorted (s cycles): key, label, sort key, newest/highest first.
PURCHASE_SORTS = (
    ("date", "newest first", lambda p: aware(p.at), True),
    ("price", "highest price first", lambda p: p.price, True),
    ("name", "by name", lambda p: p.product_name.casefold(), False),
    ("returned", "returns first", lambda p: (not p.returned, -aware(p.at).timestamp()), False),
)


class Client360Pane(KeptLines, FocusStyledOnly, VerticalScroll, can_focus=True):
    BINDINGS = CLIENT360_BINDINGS

    def __init__(self, workspace, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self.workspace = workspace
        self.client_id: int | None = None
        self.client: Client360 | None = None
        self.purchase_sort = 0  # index in PURCHASE_SORTS
        # client id -> (the profile, what else it was drawn from, its drawing)
        self._kept: dict[int, tuple[Client360, tuple[object, ...], KeptProfile]] = {}

    def drop_kept(self) -> None:
        self._kept.clear()

    def action_sort_purchases(self) -> None:
        self.purchase_sort = (self.purchase_sort + 1) % len(PURCHASE_SORTS)
        self._show()
        self.notify(f"Purchases: {PURCHASE_SORTS[self.purchase_sort][1]}", timeout=2)

    def action_edit_notes(self) -> None:
        if self.client is None:
            return
        client = self.client

        def saved(text: str | None) -> None:
            if text is None or self.client is None or self.client.id != client.id:
                return
            self.workspace.set_client_notes(client.id, text)
            self.client = client.model_copy(update={"notes": text})
            self._show()

        self.app.push_screen(prompts.NotesScreen(f"Notes on {safe_line(client.name)}", client.notes), saved)

    def compose(self) -> ComposeResult:
        yield Client360Body(id="client360-body")

    def on_mount(self) -> None:
        self.border_title = "Client 360"
        self._show()
        self.watch(self.app, "theme", lambda _t: self.call_after_refresh(self._theme_changed), init=False)

    def _theme_changed(self) -> None:
        self.drop_kept()
        self._show()

    def show_client(self, client_id: int | None, *, refetch: bool = True) -> None:
        if client_id != self.client_id:
            self.client_id = client_id
            self.client = self.workspace.cached_client_360(client_id) if client_id is not None else None
            self.scroll_home(animate=False)
            self._show()
        if client_id is not None and refetch:
            self._fetch(client_id)

    @work(exclusive=True, group="client360", exit_on_error=False)
    async def _fetch(self, client_id: int) -> None:
        client = await self.workspace.client_360(client_id)
        if client_id == self.client_id and client is not None:
            same = self.client is not None and self.client == client
            self.client = client
            if not same:  # the server's profile is most often the cached one: nothing to redraw
                self._show()

    def _show(self) -> None:
        body = self.query_one(Client360Body)
        st = body.get_component_rich_style
        if self.client_id is None:
            body.update(Text("Open a conversation to see the client.", st("c360--dim")))
        elif self.client is None:
            body.update(Text("Loading the client's profile…", st("c360--dim")))
        else:
            body.update(self._profile(self.client))

    def _profile(self, c: Client360) -> KeptProfile:
        """The client's drawn profile: kept while the profile, the purchases' order and the
        minute (waiting times, her local time) are the same."""
        now = aware(self.app.clock())
        shown = (self.purchase_sort, now.replace(second=0, microsecond=0), self.workspace.me.hub)
        kept = self._kept.get(c.id)
        if kept is not None and kept[1] == shown and (kept[0] is c or kept[0] == c):
            return kept[2]
        profile = KeptProfile(self.query_one(Client360Body), self.render_client(c))
        if len(self._kept) >= KEPT_PROFILES:
            self._kept.pop(next(iter(self._kept)))
        self._kept.pop(c.id, None)
        self._kept[c.id] = (c, shown, profile)
        return profile

    # ---- the profile ------------------------------------------------------------------

    def render_client(self, c: Client360) -> RenderableType:
        st = self.query_one(Client360Body).get_component_rich_style
        now = self.app.clock()
        parts: list[RenderableType] = []
        name = Text(safe_line(c.name), st("c360--name"))
        parts.append(name)
        if c.native_name and c.native_name != c.name:
            parts.append(Text(safe_line(c.native_name), st("c360--native")))
        line = Text()
        line.append(f"VIC {TIER_NAMES.get(c.vic_tier, c.vic_tier)}" if c.vic_tier != "none" else "Client", st("c360--tier"))
        line.append(f" · {c.country} · {safe_line(c.locale)} · hub {c.hub}", st("c360--dim"))
        parts.append(line)
        zone = client_zone(c.country, c.hub)
        local = aware(now).astimezone(zone)
        parts.append(Text.assemble(("Her time ", st("c360--dim")), local.strftime("%a %H:%M"), (f" · {zone.key}", st("c360--dim"))))
        spend = safe_line(c.lifetime_spend_formatted) or money(c.lifetime_spend, c.currency)
        parts.append(Text.assemble(("Lifetime spend ", st("c360--dim")), spend))
        advisor = Text("Personal advisor ", st("c360--dim"))
        if c.personal_advisor is not None:
            advisor.append(safe_line(c.personal_advisor.name))
            if c.personal_advisor.username == self.workspace.me.username:
                advisor.append(" (you)", st("c360--dim"))
        else:
            advisor.append("none", st("c360--dim"))
        parts.append(advisor)
        if c.birthday is not None:
            birthday = Text.assemble(("Birthday ", st("c360--dim")), f"{c.birthday.day} {c.birthday:%B}")
            if c.birthday.month == local.month:
                birthday.append("  🎂 this month", st("c360--birthday"))
            parts.append(birthday)

        parts.append(self._section("Sizes"))
        if c.sizes:
            sizes = {k.replace("_", " "): v for k, v in c.sizes.items() if k not in dict(SHOE_KEYS)}
            shoes = [f"{label} {safe_line(c.sizes[key])}" for key, label in SHOE_KEYS if c.sizes.get(key)]
            try:  # Korea counts shoes in millimetres: the Japanese centimetres x 10
                shoes.append(f"KR {float(c.sizes['shoes_jp']) * 10:.0f}")
            except (KeyError, ValueError):
                pass
            if shoes:
                sizes = {"shoes": " · ".join(shoes), **sizes}
            parts.append(self._pairs(sizes))
        else:
            parts.append(Text("none recorded", st("c360--dim")))

        parts.append(self._section("Taste"))
        if any(c.taste.values()):
            parts.append(self._pairs({k: ", ".join(v) for k, v in c.taste.items() if v}))
        else:
            parts.append(Text("none recorded", st("c360--dim")))

        parts.append(self._section("Consent & contact"))
        consent = Text()
        for channel in ("chat", "whatsapp", "email", "phone"):
            ok = c.consent.get(channel, False)
            consent.append(f"{'✓' if ok else '✗'} {CHANNEL_NAMES.get(channel, channel)}  ", st("c360--yes" if ok else "c360--no"))
        parts.append(consent)
        prefs = Text(f"prefers {CHANNEL_NAMES.get(c.preferred_channel, c.preferred_channel)}", st("c360--dim"))
        if c.contact_max_per_month is not None:
            n = c.contact_max_per_month
            prefs.append(f" · at most {n} contact{'' if n == 1 else 's'} a month", st("c360--dim"))
        parts.append(prefs)
        contacts = Text(f"contacted {c.contacts_this_month}", st("c360--dim"))
        if c.contact_max_per_month is not None:
            over = c.contacts_this_month >= c.contact_max_per_month
            contacts = Text(f"contacted {c.contacts_this_month}/{c.contact_max_per_month} this month", st("c360--due" if over else "c360--dim"))
        else:
            contacts.append(" this month", st("c360--dim"))
        if c.last_contacted_at is not None:
            contacts.append(f" · last {waiting(c.last_contacted_at, now)} ago", st("c360--dim"))
        parts.append(contacts)

        if c.recent_conversations:
            parts.append(self._section("Recent conversations"))
            for rc in c.recent_conversations[:MAX_RECENT]:
                line = Text(no_wrap=True, overflow="ellipsis")
                line.append(f"{CHANNEL_ICONS.get(rc.channel, '?')} {CHANNEL_NAMES.get(rc.channel, safe_line(rc.channel))}")
                line.append(f" · {STATUS_MARKS.get(rc.status, '')} {safe_line(rc.status)} · {waiting(rc.last_activity_at, now)} ago", st("c360--dim"))
                parts.append(line)
                if rc.preview:
                    parts.append(Text("  " + safe_line(rc.preview), no_wrap=True, overflow="ellipsis"))

        parts.append(Text.assemble(self._section("Notes"), ("  e edits", st("c360--dim"))))
        parts.append(Text(safe(c.notes)) if c.notes else Text("none", st("c360--dim")))

        _key, sort_label, sort_key, newest = PURCHASE_SORTS[self.purchase_sort]
        parts.append(Text.assemble(self._section(f"Purchases ({len(c.purchases)})"), (f"  {sort_label} · s sorts" if c.purchases else "", st("c360--dim"))))
        if c.purchases:
            table = Table.grid(padding=(0, 1), expand=True)
            table.add_column(no_wrap=True)
            table.add_column(ratio=1)
            table.add_column(justify="right", no_wrap=True)
            zone = hub_zone(self.workspace.me.hub)
            for p in sorted(c.purchases, key=sort_key, reverse=newest)[:MAX_PURCHASES]:
                what = Text(safe_line(p.product_name))
                if p.size:
                    what.append(f" ({safe_line(p.size)})", st("c360--dim"))
                if p.returned:
                    what.append(" ↩ returned", st("c360--returned"))
                table.add_row(Text(aware(p.at).astimezone(zone).strftime("%Y-%m-%d"), st("c360--dim")), what, money(p.price, p.currency))
            parts.append(table)
            if len(c.purchases) > MAX_PURCHASES:
                parts.append(Text(f"… and {len(c.purchases) - MAX_PURCHASES} earlier", st("c360--dim")))
        else:
            parts.append(Text("none yet", st("c360--dim")))

        open_tasks = sorted((t for t in c.tasks if not t.done), key=lambda t: t.due)
        parts.append(self._section(f"Open tasks ({len(open_tasks)})"))
        if open_tasks:
            for t in open_tasks:
                due = aware(t.due)
                text = Text()
                text.append(f"{due.astimezone(hub_zone(self.workspace.me.hub)):%d %b %H:%M} ", st("c360--due" if due < aware(now) else "c360--dim"))
                text.append(f"{t.kind.replace('_', ' ')}: ", st("c360--dim"))
                text.append(safe_line(t.title))
                if t.place:
                    text.append(f" @ {safe_line(t.place)}", st("c360--dim"))
                parts.append(text)
        else:
            parts.append(Text("none", st("c360--dim")))
        return Group(*parts)

    def _section(self, title: str) -> Text:
        st = self.query_one(Client360Body).get_component_rich_style
        return Text.assemble("\n", (title, st("c360--section")))

    def _pairs(self, pairs: dict[str, str]) -> Table:
        st = self.query_one(Client360Body).get_component_rich_style
        table = Table.grid(padding=(0, 1))
        table.add_column(no_wrap=True)
        table.add_column()
        for k, v in pairs.items():
            table.add_row(Text(safe_line(k), st("c360--dim")), Text(safe_line(v)))
        return table


