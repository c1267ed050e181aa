"""Run a training scenario against a real server and score the trainee.

`setup_client` writes the scenario's client into a scratch database. `Coach` plays her:
it sends her first message through the inbound API (as a channel account would), reads
the conversation as the trainee answers in the real workstation, sends each next turn
when its trigger fires, and `score` turns what happened (the server's messages, tasks and
stock) into a `Debrief`, check by check, with the evidence.
"""

from __future__ import annotations

import asyncio
import time
import unicodedata
from datetime import timedelta
from typing import Any, Callable

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import Session

from ..domain.address import first_name, form_of_address, her_size_for, size_of
from ..domain.models import HUB_CURRENCY, ConversationDetail, Message, MessageKind, ProductDetail
from .scenario import Check, Debrief, Scenario

POLL = 0.4  # seconds between reads of the conversation


def setup_client(engine: Engine, scenario: Scenario) -> int:
    """The scenario's client, as a row of the (scratch) database; returns her id."""
    from ..server.tables import ClientRow

    c = scenario.client_model()
    with Session(engine) as session:
        row = ClientRow(**{**c.model_dump(exclude={"id"}), "currency": HUB_CURRENCY.get(c.hub, "EUR")})
        session.add(row)
        session.commit()
        return int(row.id or 0)


def _fold(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


class Coach:
    def __init__(self, base_url: str, scenario: Scenario, client_id: int, *, channel_token: str, reader_token: str, trainee: str,
                 on_change: Callable[[], None] | None = None, clock: Callable[[], float] = time.monotonic) -> None:
        self.scenario = scenario
        self.client_id = client_id
        self.trainee = trainee
        self.on_change = on_change or (lambda: None)
        self.clock = clock
        self._channel = httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {channel_token}"}, timeout=20)
        self._reader = httpx.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {reader_token}"}, timeout=20)
        self.conversation_id: int | None = None
        self.sent = 0  # turns sent so far
        self.last_turn_at = 0.0  # clock() when the last turn was sent
        self.messages: list[Message] = []
        self.finished = asyncio.Event()

    @property
    def waiting_for_reply(self) -> bool:
        return self.sent > 0 and not self._replies_after(self._turn_message_ids()[-1] if self._turn_message_ids() else 0)

    async def close(self) -> None:
        await self._channel.aclose()
        await self._reader.aclose()

    # ---- playing the client ----------------------------------------------------------------

    async def _send_turn(self) -> None:
        turn = self.scenario.turns[self.sent]
        body: dict[str, Any] = {"channel": self.scenario.channel, "client_id": self.client_id, "body": turn.body, "language": self.scenario.language,
                                "external_id": f"training-{self.client_id}-{self.sent}"}
        if turn.subject:
            body["subject"] = turn.subject
        r = await self._channel.post("/api/v1/inbound", json=body)
        r.raise_for_status()
        self.conversation_id = r.json()["conversation_id"]
        self.sent += 1
        self.last_turn_at = self.clock()
        self.on_change()

    async def _read(self) -> None:
        if self.conversation_id is None:
            return
        r = await self._reader.get(f"/api/v1/conversations/{self.conversation_id}")
        if r.status_code == 200:
            self.messages = ConversationDetail.model_validate(r.json()).messages

    def _turn_message_ids(self) -> list[int]:
        return [m.id for m in self.messages if m.kind == MessageKind.inbound]

    def _replies_after(self, message_id: int) -> list[Message]:
        return [m for m in self.messages if m.kind == MessageKind.reply and m.id > message_id]

    def _fires(self) -> bool:
        """Does the next turn's trigger fire now?"""
        turn = self.scenario.turns[self.sent]
        inbound = self._turn_message_ids()
        replies = self._replies_after(inbound[-1]) if inbound else []
        if turn.trigger == "after_seconds":
            return self.clock() - self.last_turn_at >= turn.seconds
        if turn.trigger == "after_reply":
            return bool(replies)
        if turn.trigger == "reply_mentions":
            return any(_fold(w) in _fold(m.body) for m in replies for w in turn.mentions)
        if turn.trigger == "product_shared":
            return any(a.type == "product_card" for m in replies for a in m.attachments)
        return False

    async def run(self) -> None:
        """Play the client until every turn is sent and answered, or `stop()`."""
        try:
            await self._send_turn()
            while not self.finished.is_set():
                await asyncio.sleep(POLL)
                await self._read()
                if self.sent < len(self.scenario.turns):
                    if self._fires():
                        await self._send_turn()
                elif self._replies_after(self._turn_message_ids()[-1] if self._turn_message_ids() else 0):
                    self.finished.set()
                self.on_change()
        finally:
            self.on_change()

    def stop(self) -> None:
        self.finished.set()

    # ---- scoring -----------------------------------------------------------------------------

    async def score(self) -> Debrief:
        await self._read()
        client = await self._reader.get(f"/api/v1/clients/{self.client_id}")
        profile = client.json() if client.status_code == 200 else {}
        debrief = Debrief(self.scenario)
        for check in self.scenario.checks:
            ok, why = await self._check(check, profile)
            debrief.results.append((check, ok, why))
        return debrief

    async def _check(self, check: Check, profile: dict[str, Any]) -> tuple[bool, str]:
        her = self.scenario.client_model(self.client_id)
        replies = [m for m in self.messages if m.kind == MessageKind.reply]
        mine = [m for m in replies if m.author == self.trainee]
        if check.kind == "greeted_by_name":
            if not mine:
                return False, "no reply was sent"
            names = {form_of_address(her), first_name(her), her.name, her.native_name or her.name}
            names |= {n.replace(" ", "") for n in names}
            hit = next((n for n in names if n and _fold(n) in _fold(mine[0].body)), None)
            return (True, f"the first reply names her ({hit})") if hit else (False, f"the first reply does not name her (e.g. {form_of_address(her)})")
        if check.kind == "offered_size":
            size = her_size_for(her, check.category) if check.category else size_of(her)
            if not size:
                return False, "her size is not on her record (the scenario is wrong)"
            bare = size.split()[0]
            hit = any(bare in m.body for m in mine) or any(bare in str(a.data) for m in mine for a in m.attachments)
            return (True, f"her size {size} was offered") if hit else (False, f"her size {size} was never mentioned")
        if check.kind == "shared_in_stock":
            cards = [a for m in mine for a in m.attachments if a.type == "product_card" and a.sku]
            if not cards:
                return False, "no product card was shared"
            for card in cards:
                r = await self._reader.get(f"/api/v1/products/{card.sku}")
                if r.status_code != 200:
                    continue
                piece = ProductDetail.model_validate(r.json())
                if check.category and piece.category != check.category:
                    continue
                one_size = not piece.sizes or piece.sizes == ["OS"]
                size = None if one_size else her_size_for(her, piece.category)
                units = piece.total_by_hub.get(her.hub, 0) if one_size else piece.stock.get(size, {}).get(her.hub, 0) if size else 0
                if units > 0:
                    return True, f"{piece.name} ({piece.sku}) is in stock{f' in {size}' if size else ''} at {her.hub}"
            return False, f"no piece shared is in stock in her size at her hub {her.hub}"
        if check.kind == "respected_contact_preference":
            refused = [ch for ch, ok in her.consent.items() if not ok]
            calls = [t for t in profile.get("tasks", []) if t.get("kind") in ("call", "callback")]
            call_notes = [m for m in self.messages if m.kind == MessageKind.call_note]
            if "phone" in refused and (calls or call_notes):
                return False, "she asked not to be called, and a call was planned or made"
            others = [c for c in profile.get("recent_conversations", []) if c.get("channel") in refused]
            if others:
                return False, f"she was contacted on {others[0]['channel']}, which she refused"
            return True, "no contact on a channel she refused" + (" (no call: she prefers not to be called)" if "phone" in refused else "")
        if check.kind == "answered_within_patience":
            patience = timedelta(seconds=self.scenario.patience_seconds)
            for inbound in [m for m in self.messages if m.kind == MessageKind.inbound]:
                answer = next((m for m in replies if m.id > inbound.id), None)
                if answer is None:
                    return False, f"“{inbound.body[:40]}” was never answered"
                if answer.at - inbound.at > patience:
                    return False, f"an answer took {(answer.at - inbound.at).total_seconds():.0f} s (her patience: {self.scenario.patience_seconds:.0f} s)"
            return True, f"every message answered within {self.scenario.patience_seconds:.0f} s"
        if check.kind == "reply_mentions":
            hit = next((w for w in check.words for m in mine if _fold(w) in _fold(m.body)), None)
            return (True, f"said “{hit}”") if hit else (False, f"never said any of: {', '.join(check.words)}")
        if check.kind == "appointment_booked":
            tasks = [t for t in profile.get("tasks", []) if t.get("kind") == "appointment" and (check.appointment_kind is None or t.get("appointment_kind") == check.appointment_kind)]
            return (True, f"“{tasks[0]['title']}” booked") if tasks else (False, "no appointment was booked for her" + (f" ({check.appointment_kind})" if check.appointment_kind else ""))
        return False, "unknown check"


def patience_left(coach: Coach) -> float | None:
    """Seconds before she loses patience with the unanswered turn (None: nothing waits)."""
    if not coach.waiting_for_reply:
        return None
    return coach.scenario.patience_seconds - (coach.clock() - coach.last_turn_at)


