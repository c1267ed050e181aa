"""The one object the TUI talks to: state to read, commands to call.

Widgets never touch httpx or SQL. They read `workspace.state` (a WorkspaceState, see
domain/reducer.py) and call the command methods below, which return quickly: writes go to
the durable local outbox first and are delivered by the sync engine. After any change to
the state the workspace calls every listener registered with `subscribe` with the
`Changes` it made (on the event loop the workspace runs on: Textual's).

Reads that are not events (client 360, lookbook search) are answered from the local cache
when the server cannot be reached.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import pickle
import time
from pathlib import Path
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any, Callable
from urllib.parse import quote

from ..domain import events as ev
from ..domain.models import HUBS, Advisor, Attachment, CallListItem, Client360, ContactCheck, Product, ProductDetail, TaskListItem, Visitor
from ..domain.queue import QueueView, unread_count, unread_mark_for
from ..domain.reducer import Changes, WorkspaceState, apply
from .api import ApiClient, ApiError
from .cache import LocalCache
from .sync import SyncEngine

log = logging.getLogger(__name__)

Listener = Callable[[Changes], None]

NOTIFY_SCOPES = ("mine", "hub", "all")
# The parts of the state that are a fold of the server's events (and threads loaded whole):
# what a snapshot keeps. The rest (connection, outbox, read marks, presence, notices) is
# this session's or is read from the cache's own tables at start.
SNAPSHOT_FIELDS = ("conversations", "threads", "complete_threads", "message_ids", "advisors", "last_seq", "scheduled")
SNAPSHOT_EVERY = 5000  # events folded between two snapshots while live
CONTACT_CHECK_TTL = 60.0  # seconds a contact-check answer is reused (per client and channel)


@dataclass
class NotificationSettings:
    """How this advisor wants to hear of a new client message in a conversation that is
    not on screen (kept per advisor, in the workstation's cache for the account)."""

    scope: str = "mine"  # whose conversations: mine | hub | all
    bell: bool = True
    toast: bool = True
    desktop: bool = True  # where the terminal supports desktop notifications (OSC 9 / 777)

    @classmethod
    def from_json(cls, data: Any) -> "NotificationSettings":
        out = cls()
        if isinstance(data, dict):
            if data.get("scope") in NOTIFY_SCOPES:
                out.scope = data["scope"]
            for name in ("bell", "toast", "desktop"):
                if isinstance(data.get(name), bool):
                    setattr(out, name, data[name])
        return out


def message_payload(
    body: str,
    kind: str = "reply",
    attachments: list[Attachment] | None = None,
    *,
    quote_message_id: int | None = None,
    send_at_iso: str | None = None,
    template: str | None = None,
    outcome: str | None = None,
) -> dict[str, Any]:
    """The body of POST /conversations/{id}/messages."""
    payload: dict[str, Any] = {"body": body, "kind": kind, "attachments": [a.model_dump() for a in attachments or []]}
    extras = {"quote_message_id": quote_message_id, "send_at": send_at_iso, "template": template, "outcome": outcome}
    payload.update({k: v for k, v in extras.items() if v is not None})
    return payload


@cache
def snapshot_version() -> str:
    """What a snapshot must have been written by: the same reducer and models (their source),
    and the same pydantic (the models' pickled form). Any change: the events are folded anew."""
    import pydantic

    from ..domain import events, models, reducer

    digest = hashlib.sha256(pydantic.VERSION.encode())
    for module in (events, models, reducer):
        digest.update(Path(module.__file__ or "").read_bytes())
    return digest.hexdigest()[:32]


class Workspace:
    def __init__(self, api: ApiClient, cache: LocalCache, me: Advisor) -> None:
        self.api = api
        self.cache = cache
        self.me = me
        self.state = WorkspaceState()
        self._listeners: list[Listener] = []
        self._unread: dict[int, tuple[tuple[Any, ...], int]] = {}
        self._contact_checks: dict[tuple[int, str], tuple[float, ContactCheck]] = {}
        self._images: dict[str, bytes | None] = {}
        self.sync = SyncEngine(api, cache, self._apply_events)
        self._task: asyncio.Task[None] | None = None
        self._identity_task: asyncio.Future[None] | None = None
        self._since_snapshot = 0  # events folded since the last snapshot was kept
        self._snapshot_live = False  # a snapshot was kept since the live stream began
        # Called with a fresh token after sign_in_again (the CLI stores it in the keyring).
        self.on_new_token: Callable[[str], None] | None = None
        # Called with who the server says we are (the session remembers it for next start).
        self.on_identity: Callable[[Advisor], None] | None = None

    # ---- lifecycle -------------------------------------------------------------

    def load_cached(self) -> None:
        """Fill the state from the local cache (instant, offline). Call before start().

        From the snapshot (the state as it was folded up to some seq, see `save_snapshot`)
        and the events kept after it; without a usable snapshot, from every event kept.
        """
        after = self._restore_snapshot()
        self._apply_events(self.cache.load_events(after), notify=False)
        self._apply_events([ev.local_event(ev.LOCAL_OUTBOX, {"pending": self.cache.pending_items()})], notify=False)
        marks = [{"conversation_id": int(cid), **mark} for cid, mark in self.cache.documents("read").items() if cid.isdecimal()]
        self._apply_events([ev.local_event(ev.LOCAL_READ, {"marks": marks})], notify=False)

    def _restore_snapshot(self) -> int:
        """The state from the cache's snapshot; returns its seq (0: none was usable)."""
        try:
            row = self.cache.load_snapshot()
            if row is None or row[0] != snapshot_version():
                return 0
            data = pickle.loads(row[2])  # the user's own cache file, written by save_snapshot
            if not isinstance(data, dict) or data.get("last_seq") != row[1] or set(data) != set(SNAPSHOT_FIELDS):
                raise ValueError("the snapshot does not hold a workspace state")
        except Exception as exc:  # noqa: BLE001 - a damaged snapshot costs a full fold, never the start
            log.warning("local snapshot not used (%s): folding every cached event", exc)
            return 0
        for name in SNAPSHOT_FIELDS:
            setattr(self.state, name, data[name])
        return row[1]

    def save_snapshot(self) -> None:
        """Keep the folded state in the cache, so the next start folds only what came after."""
        self._since_snapshot = 0
        if not self.state.last_seq:
            return
        try:
            body = pickle.dumps({name: getattr(self.state, name) for name in SNAPSHOT_FIELDS}, protocol=pickle.HIGHEST_PROTOCOL)
            self.cache.save_snapshot(snapshot_version(), self.state.last_seq, body)
        except Exception as exc:  # noqa: BLE001 - a start without a snapshot is only slower
            log.warning("could not keep a snapshot of the state: %s", exc)

    async def start(self) -> None:
        """Run sync (catch-up, live stream, outbox delivery) until stop()."""
        self._task = asyncio.current_task()
        self._identity_task = asyncio.ensure_future(self.refresh_identity())
        await self.sync.run()

    async def refresh_identity(self) -> None:
        """Ask the server who we are (the start may have used a remembered identity)."""
        try:
            data = await self.api.get_json("/api/v1/me")
            me = Advisor.model_validate(data)
        except ApiError as err:
            if err.auth_failed:
                self.sync.on_auth_failure(err)
            return
        except ValueError:
            return
        if me != self.me:
            self.me = me
            self.state.advisors[me.username] = me
            self.state.changes.advisors = True
            self._apply_events([])
        if self.on_identity is not None:
            self.on_identity(me)

    async def stop(self) -> None:
        if self._identity_task is not None:
            self._identity_task.cancel()
        await self.sync.stop()
        await self.api.aclose()
        if self._since_snapshot:
            self.save_snapshot()

    @property
    def signed_out(self) -> bool:
        """True once the server refused the token (expired or revoked): ask to sign in again."""
        return self.sync.auth_failed

    async def sign_in_again(self, password: str) -> None:
        """Get a fresh token for the same account and resume sync and the outbox.

        Raises ApiError (e.g. invalid_credentials) for the UI to show."""
        result = await self.api.post_json("/api/v1/auth/token", {"username": self.me.username, "password": password})
        self.api.token = result["token"]
        if self.on_new_token is not None:
            self.on_new_token(result["token"])
        await self.sync.resume_after_sign_in()

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def _apply_events(self, events: list[dict[str, Any]], notify: bool = True) -> None:
        seq = self.state.last_seq
        for event in events:
            try:
                apply(self.state, event)
            except (ValueError, TypeError, KeyError, AttributeError):
                # A malformed event (a server bug or a garbage answer) is skipped, not fatal.
                log.warning("skipping a malformed event: %r", str(event)[:200])
        if notify:
            # Snapshot once caught up (the next start folds only what comes after), then
            # every SNAPSHOT_EVERY events (and at stop).
            self._since_snapshot += self.state.last_seq - seq
            if self.state.connection == "live" and self._since_snapshot and (not self._snapshot_live or self._since_snapshot >= SNAPSHOT_EVERY):
                self._snapshot_live = True
                self.save_snapshot()
        changes = self.state.take_changes()
        if notify and changes:
            for listener in list(self._listeners):
                try:
                    listener(changes)
                except Exception:  # a broken view must not stop sync
                    log.exception("state listener failed")

    # ---- commands (durable: outbox first) ----------------------------------------

    def claim(self, conversation_id: int) -> str:
        return self.sync.enqueue("claim", conversation_id)

    def send_message(self, conversation_id: int, body: str, kind: str = "reply", attachments: list[Attachment] | None = None, **extras: Any) -> str:
        """A reply, note or call note; `extras` as `message_payload` takes them (a quote,
        `send_at_iso` for later, an approved WhatsApp template, a call's outcome)."""
        payload = message_payload(body, kind, attachments, **extras)
        return self.sync.enqueue("message", conversation_id, payload)

    def update_conversation(self, conversation_id: int, *, priority: int | None = None, tags: list[str] | None = None, stage: str | None = None) -> str:
        payload = {k: v for k, v in {"priority": priority, "tags": tags, "stage": stage}.items() if v is not None}
        return self.sync.enqueue("conversation_update", conversation_id, payload)

    def cancel_scheduled(self, scheduled_id: int) -> str:
        return self.sync.enqueue("unschedule", None, {}, target=str(scheduled_id))

    def resolve(self, conversation_id: int) -> str:
        return self.sync.enqueue("resolve", conversation_id)

    def transfer(self, conversation_id: int, *, to_advisor: str | None = None, to_hub: str | None = None, note: str = "") -> str:
        return self.sync.enqueue("transfer", conversation_id, {"to_advisor": to_advisor, "to_hub": to_hub, "note": note})

    def snooze(self, conversation_id: int, until_iso: str) -> str:
        return self.sync.enqueue("snooze", conversation_id, {"until": until_iso})

    def reopen(self, conversation_id: int) -> str:
        return self.sync.enqueue("reopen", conversation_id)

    def set_client_notes(self, client_id: int, notes: str) -> str:
        return self.sync.enqueue("client_notes", client_id, {"notes": notes})

    def create_task(self, client_id: int, kind: str, title: str, due_iso: str, place: str | None = None, **appointment: str | None) -> str:
        """A call, follow-up, callback or appointment (`appointment_kind` in_store with a
        place, or video with a `video_link`)."""
        payload = {"kind": kind, "title": title, "due": due_iso, "place": place, **{k: v for k, v in appointment.items() if v}}
        return self.sync.enqueue("task_create", client_id, payload)

    def update_task(self, task_id: int, *, done: bool | None = None, outcome: str | None = None, due_iso: str | None = None) -> str:
        payload = {k: v for k, v in {"done": done, "outcome": outcome, "due": due_iso}.items() if v is not None}
        return self.sync.enqueue("task_update", task_id, payload)

    def send_tryon(self, conversation_id: int, items: list[dict[str, Any]], note: str | None = None, due_iso: str | None = None) -> str:
        """Send pieces to try: `items` = [{"sku", "sizes": [...]}] (POST /conversations/{id}/tryon)."""
        payload: dict[str, Any] = {"items": [{"sku": i["sku"], "sizes": list(i.get("sizes") or [])} for i in items]}
        if note:
            payload["note"] = note
        if due_iso:
            payload["due"] = due_iso
        return self.sync.enqueue("tryon", conversation_id, payload)

    def set_status(self, status: str) -> str:
        """available | busy | away | offline (away/offline hands open conversations back)."""
        return self.update_advisor(self.me.username, status=status)

    def update_advisor(self, username: str, *, status: str | None = None, capacity: int | None = None) -> str:
        """An advisor's status or capacity (another advisor's: team leads only)."""
        payload = {k: v for k, v in {"status": status, "capacity": capacity}.items() if v is not None}
        return self.sync.enqueue("advisor_status", None, payload, target=username)

    # ---- team leads ---------------------------------------------------------------------------

    def retry_delivery(self, message_id: int) -> str:
        """Send again a reply the channel refused (delivery "failed")."""
        return self.sync.enqueue("retry_delivery", None, {}, target=str(message_id))

    async def visitors(self) -> list[Visitor]:
        """Who is on the website now (GET /api/v1/visitors)."""
        data = await self.api.get_json("/api/v1/visitors")
        return [Visitor.model_validate(v) for v in data.get("items", [])]

    def invite_visitor(self, visitor_id: int, message: str | None = None) -> str:
        """Invite a visitor to chat: her page shows it; accepting assigns her chat to me."""
        return self.sync.enqueue("invite", None, {"message": message} if message else {}, target=str(visitor_id))

    def whisper(self, conversation_id: int, body: str) -> str:
        """A note only the advisor holding the conversation sees."""
        return self.sync.enqueue("whisper", conversation_id, {"body": body})

    def set_rules(self, rules: dict[str, Any]) -> str:
        """First-response targets and routing rules (only the keys given)."""
        return self.sync.enqueue("rules", None, rules, target="rules")

    async def supervision(self, what: str, **params: Any) -> dict[str, Any]:
        """GET /supervision/{what} (board, series, rules, report) with `params`."""
        return await self.api.get_json(f"/api/v1/supervision/{what}", params={k: v for k, v in params.items() if v is not None})

    async def report_csv(self, day: str, hub: str) -> str:
        _response, raw = await self.api.request_bytes("GET", "/api/v1/supervision/report", params={"day": day, "hub": hub, "format": "csv"})
        return raw.decode("utf-8")

    def failed_sends(self) -> list[str]:
        """Keys of outbox items the server refused (kept, visibly, until retried or discarded)."""
        return [p.key for p in self.state.pending if p.error]

    def retry_failed(self) -> int:
        keys = self.failed_sends()
        for key in keys:
            self.sync.retry_failed(key)
        return len(keys)

    def discard_failed(self) -> int:
        keys = self.failed_sends()
        for key in keys:
            self.sync.discard(key)
        return len(keys)

    # ---- what only this advisor sees: read marks, queue view, notifications -------------

    def unread(self, conversation_id: int) -> int:
        """Client messages this advisor has not read (kept until the thread or mark changes:
        the queue asks for every row at every refill)."""
        thread = self.state.threads.get(conversation_id, [])
        mark = self.state.read_marks.get(conversation_id)
        key = (len(thread), thread[-1].id if thread else 0, mark)
        kept = self._unread.get(conversation_id)
        if kept is not None and kept[0] == key:
            return kept[1]
        count = unread_count(thread, mark)
        self._unread[conversation_id] = (key, count)
        return count

    def mark_read(self, conversation_id: int) -> None:
        thread = self.state.threads.get(conversation_id, [])
        mark = (thread[-1].id if thread else 0, False)
        if self.state.read_marks.get(conversation_id) != mark:
            self._set_read_marks({conversation_id: mark})

    def mark_unread(self, conversation_id: int) -> None:
        self._set_read_marks({conversation_id: (unread_mark_for(self.state.threads.get(conversation_id, [])), True)})

    def set_read(self, conversation_ids: list[int], read: bool) -> None:
        """Mark several conversations read or unread at once (bulk)."""
        marks: dict[int, tuple[int, bool]] = {}
        for cid in conversation_ids:
            thread = self.state.threads.get(cid, [])
            marks[cid] = ((thread[-1].id if thread else 0), False) if read else (unread_mark_for(thread), True)
        self._set_read_marks(marks)

    def _set_read_marks(self, marks: dict[int, tuple[int, bool]]) -> None:
        for cid, (upto, forced) in marks.items():
            self.cache.put_document("read", cid, {"upto": upto, "unread": forced})
        self._apply_events([ev.local_event(ev.LOCAL_READ, {"marks": [{"conversation_id": c, "upto": u, "unread": f} for c, (u, f) in marks.items()]})])

    def queue_view(self) -> QueueView:
        raw = self.cache.get_meta("queue.view")
        try:
            return QueueView.from_json(json.loads(raw) if raw else None)
        except ValueError:
            return QueueView()

    def save_queue_view(self, view: QueueView) -> None:
        self.cache.set_meta("queue.view", json.dumps(view.to_json()))

    def notification_settings(self) -> NotificationSettings:
        raw = self.cache.get_meta("notifications")
        try:
            return NotificationSettings.from_json(json.loads(raw) if raw else None)
        except ValueError:
            return NotificationSettings()

    def save_notification_settings(self, settings: NotificationSettings) -> None:
        self.cache.set_meta("notifications", json.dumps(asdict(settings)))

    # ---- presence (ephemeral: straight to the server, never queued) ----------------------

    async def announce_presence(self, conversation_id: int, state: str) -> None:
        """Tell colleagues this advisor is viewing / typing in / has left a conversation,
        and, on arrival, learn who is already there (the stream only says what changes).
        Best effort: offline, nobody can see it anyway."""
        try:
            await self.api.post_json(f"/api/v1/conversations/{conversation_id}/presence", {"state": state})
            if state == "viewing":
                snapshot = await self.api.get_json(f"/api/v1/conversations/{conversation_id}/presence")
                if isinstance(snapshot, dict):
                    self._apply_events([ev.local_event(ev.PRESENCE, snapshot)])
        except ApiError:
            pass

    # ---- drafts ---------------------------------------------------------------------

    def draft(self, conversation_id: int) -> str:
        return self.cache.get_draft(conversation_id)

    def save_draft(self, conversation_id: int, text: str) -> None:
        self.cache.set_draft(conversation_id, text)

    # ---- reads ------------------------------------------------------------------------

    async def client_360(self, client_id: int) -> Client360 | None:
        """The client's profile: from the server when reachable (and cached), else cached."""
        try:
            data = await self.api.get_json(f"/api/v1/clients/{client_id}")
        except ApiError:
            data = self.cache.get_document("client", client_id)
            return Client360.model_validate(data) if data else None
        self.cache.put_document("client", client_id, data)
        return Client360.model_validate(data)

    async def contact_check(self, client_id: int, channel: str) -> ContactCheck | None:
        """May the house contact this client on `channel` now (consent, monthly cap)? The
        server's answer, reused for a minute per client and channel; None offline."""
        key = (client_id, channel)
        kept = self._contact_checks.get(key)
        if kept is not None and time.monotonic() - kept[0] < CONTACT_CHECK_TTL:
            return kept[1]
        try:
            data = await self.api.get_json(f"/api/v1/clients/{client_id}/contact-check", params={"channel": channel})
            check = ContactCheck.model_validate(data)
        except (ApiError, ValueError):
            return None
        self._contact_checks[key] = (time.monotonic(), check)
        return check

    async def tasks_today(self) -> list[TaskListItem]:
        """This advisor's open tasks due by the end of her day (in her hub's zone), overdue
        ones included; the last answer when the server cannot be reached."""
        hub = HUBS.get(self.me.hub)
        try:
            data = await self.api.get_json("/api/v1/tasks/today", params={"tz": hub.tz} if hub else None)
        except ApiError:
            data = self.cache.get_document("tasks_today", self.me.username) or {"items": []}
        else:
            self.cache.put_document("tasks_today", self.me.username, data)
        out = []
        for item in data.get("items", []):
            try:
                out.append(TaskListItem.model_validate(item))
            except ValueError:
                continue
        return out

    def cached_client_360(self, client_id: int) -> Client360 | None:
        data = self.cache.get_document("client", client_id)
        return Client360.model_validate(data) if data else None

    async def ensure_thread(self, conversation_id: int) -> None:
        """Fetch a conversation whole when the state holds only part of its thread."""
        if conversation_id in self.state.complete_threads:
            return
        try:
            detail = await self.api.get_json(f"/api/v1/conversations/{conversation_id}")
        except ApiError:
            return
        self._apply_events([ev.local_event(ev.LOCAL_THREAD_LOADED, {"conversation": detail})])

    async def canned_replies(self, language: str | None = None) -> list[dict[str, Any]]:
        """The team's canned replies (and approved WhatsApp templates), cached for offline."""
        try:
            data = await self.api.get_json("/api/v1/canned-replies")
        except ApiError:
            data = self.cache.get_document("canned", "all") or {"items": []}
        else:
            self.cache.put_document("canned", "all", data)
        items = [i for i in data.get("items", []) if isinstance(i, dict)]
        return [i for i in items if language is None or i.get("language") == language]

    async def search_products(self, q: str = "", limit: int = 50, **filters: Any) -> list[Product]:
        """Lookbook search; `filters` as the API takes them (category, line, season, iconic,
        in_stock_hub, size), None ones left out."""
        params: dict[str, Any] = {"q": q, "limit": limit}
        params.update({k: (str(v).lower() if isinstance(v, bool) else v) for k, v in filters.items() if v is not None})
        data = await self.api.get_json("/api/v1/products", params=params)
        return [Product.model_validate(p) for p in data["items"]]

    async def product_facets(self) -> dict[str, list[str]]:
        """Categories, lines and seasons of the catalogue (for the lookbook's filters)."""
        try:
            data = await self.api.get_json("/api/v1/products/facets")
        except ApiError:
            data = self.cache.get_document("product_facets", "all") or {}
        else:
            self.cache.put_document("product_facets", "all", data)
        return {k: [str(v) for v in data.get(k, [])] for k in ("categories", "lines", "seasons")}

    async def product_detail(self, sku: str) -> ProductDetail | None:
        """A piece with its stock per hub and size: the server's, else the last one seen."""
        try:
            data = await self.api.get_json(f"/api/v1/products/{quote(sku, safe='')}")
        except ApiError:
            data = self.cache.get_document("product", sku)
            return ProductDetail.model_validate(data) if data else None
        self.cache.put_document("product", sku, data)
        return ProductDetail.model_validate(data)

    async def product_image(self, sku: str) -> bytes | None:
        """The piece's picture (PNG bytes), kept for the session; None when it has none or
        the server cannot be reached."""
        if sku in self._images:
            return self._images[sku]
        try:
            response, raw = await self.api.request_bytes("GET", f"/api/v1/products/{quote(sku, safe='')}/image")
        except ApiError as err:
            if err.status == 404:
                self._images[sku] = None
            return None
        image = raw if response.headers.get("content-type", "").startswith("image/") else None
        self._images[sku] = image
        return image

    async def call_list(self, **criteria: Any) -> list[CallListItem]:
        """Clients matching a segment (GET /clienteling/call-list), blocked ones included
        with the reason; the last answer for the same criteria when offline."""
        params = {k: v for k, v in criteria.items() if v not in (None, "", [])}
        params["include_blocked"] = "true"
        key = json.dumps(params, sort_keys=True)
        try:
            data = await self.api.get_json("/api/v1/clienteling/call-list", params=params)
        except ApiError:
            data = self.cache.get_document("call_list", key) or {"items": []}
        else:
            self.cache.put_document("call_list", key, data)
        return [CallListItem.model_validate(item) for item in data.get("items", [])]

    def record_tryon_outcome(self, selection_id: int, kept: list[dict[str, str]], returned: list[dict[str, str]]) -> str:
        """What she kept and sent back from a try-on selection (PATCH /tryon/{id})."""
        return self.sync.enqueue("tryon_outcome", None, {"kept": kept, "returned": returned}, target=str(selection_id))

    def outreach(self, client_id: int, channel: str, body: str) -> str:
        """Write to a client first (a call list's contact), under consent and her monthly cap."""
        return self.sync.enqueue("outreach", client_id, {"channel": channel, "body": body})
