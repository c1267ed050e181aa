"""Simulated clients that keep writing in while the demo runs, over real HTTP.

The simulator signs in as a `channel` service account and posts `POST /api/v1/inbound`
messages at random (exponential) intervals, each in the language of the client who
"writes" it, with a unique `external_id`. A message that fails for a passing reason
(network, 5xx, expired token) is retried later with the *same* external_id, so the server
deduplicates it; a message the server rejects for good (4xx) is dropped. Nothing is ever
raised out of `run()`: errors are logged and the loop goes on until it is cancelled.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from ..domain.models import HUB_CURRENCY
from . import corpus

log = logging.getLogger(__name__)

# Without a list of clients, the simulator writes as the first clients of the demo seed.
DEFAULT_CLIENT_POOL = 500
_PROFILE_CAP = 20_000  # beyond that, clients are written to in English
_CHANNELS = ("chat", "whatsapp", "email")
_CHANNEL_WEIGHTS = (4, 3, 2)


class SimulatorError(Exception):
    """A message the server would not take (the simulator drops it and goes on)."""


@dataclass
class _Outgoing:
    payload: dict[str, Any]


@dataclass(frozen=True)
class _Prospect:
    name: str
    email: str
    locale: str
    country: str
    language: str
    hub: str


class Simulator:
    """Posts inbound client messages to a server, `rate_per_minute` on average.

    `seed` makes the text and timing reproducible. Unless `languages` ({client id:
    language}, see `demo.seed.client_languages(engine)`) is given, the simulator assumes
    the server's data came from `demo.seed.seed(seed=data_seed)` (`data_seed` defaults to
    `seed`) and writes as the first clients of that seed (or as `client_ids`), each in her
    own language. `rate_per_minute` may be changed while running;
    0 pauses. `new_contact_share` of the messages come from prospects who are not clients
    yet (sent with a `contact` instead of a `client_id`).
    """

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        rate_per_minute: float = 6.0,
        seed: int = 7,
        client_ids: Sequence[int] | None = None,
        languages: Mapping[int, str] | None = None,
        data_seed: int | None = None,
        new_contact_share: float = 0.05,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.username = username
        self.password = password
        self.rate_per_minute = rate_per_minute
        self.seed = seed
        self.new_contact_share = new_contact_share
        self._rng = random.Random(f"advisor-console-simulator:{seed}")
        self._transport = transport
        self._timeout = timeout
        self._run_id = uuid.uuid4().hex[:12]  # external ids stay unique across runs
        self._counter = 0
        self._token: str | None = None
        self._http: httpx.AsyncClient | None = None
        self._pending: _Outgoing | None = None
        self._failures = 0
        self.sent = 0
        self.errors = 0
        self.last_error: str | None = None

        profiles: dict[int, tuple[str, str]] = {}
        if languages is not None:
            profiles = {int(cid): (lang, "") for cid, lang in languages.items()}
        elif client_ids is None or client_ids:
            from .seed import client_profiles

            count = min(max(client_ids), _PROFILE_CAP) if client_ids else DEFAULT_CLIENT_POOL
            profiles = client_profiles(seed if data_seed is None else data_seed, count)
        ids = list(client_ids) if client_ids is not None else sorted(profiles)
        self._client_ids: list[int] = [int(cid) for cid in ids]
        self._profiles = profiles
        self._channel_of: dict[int, str] = {}
        self._prospects = self._make_prospects(8)

    # ---- lifecycle --------------------------------------------------------------------

    async def __aenter__(self) -> Simulator:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    @property
    def client_ids(self) -> list[int]:
        return list(self._client_ids)

    async def run(self) -> None:
        """Loop until cancelled. Never raises anything but the cancellation."""
        try:
            while True:
                rate = self.rate_per_minute
                if rate <= 0 or (not self._client_ids and self.new_contact_share <= 0):
                    await asyncio.sleep(0.5)  # paused (the rate may be raised later)
                    continue
                delay = self._rng.expovariate(rate / 60.0)
                if self._failures:
                    delay = max(delay, min(30.0, 0.5 * 2 ** min(self._failures, 6)))
                await asyncio.sleep(delay)
                if self.rate_per_minute <= 0:
                    continue
                try:
                    await self.send_one()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # noqa: BLE001 - logged, retried later, never raised
                    self._note_failure(exc)
        finally:
            await self.aclose()

    # ---- one message ------------------------------------------------------------------

    async def send_one(self) -> dict[str, Any]:
        """Post one inbound message now (or the one that failed last) and return the
        server's JSON answer. Raises on failure; `run()` is the forgiving loop."""
        if self._pending is None:
            self._pending = self._next_message()
        out = self._pending
        # A network error propagates and keeps the message: it goes again, same external_id.
        resp = await self._post(out.payload)
        if resp.status_code == 401:
            self._token = None
            resp = await self._post(out.payload)
        if resp.status_code >= 500 or resp.status_code in (401, 408, 429):
            raise SimulatorError(f"inbound failed with {resp.status_code}; will retry: {_error_text(resp)}")
        if resp.status_code >= 400:
            self._pending = None  # the server will never take this one
            code = _error_code(resp)
            cid = out.payload.get("client_id")
            if code == "unknown_client" and cid in self._client_ids:
                self._client_ids.remove(cid)
                log.info("simulator: client %s does not exist on this server; writing as others", cid)
            raise SimulatorError(f"inbound rejected with {resp.status_code}: {_error_text(resp)}")
        self._pending = None
        self.sent += 1
        if self._failures:
            log.info("simulator: posting again after %d failure(s)", self._failures)
        self._failures = 0
        data: dict[str, Any] = resp.json()
        return data

    # ---- internals --------------------------------------------------------------------

    def _note_failure(self, exc: Exception) -> None:
        self.errors += 1
        self._failures += 1
        self.last_error = f"{type(exc).__name__}: {exc}"
        if self._failures == 1:
            log.warning("simulator: %s (will retry)", self.last_error)
        else:
            log.debug("simulator: %s (failure %d)", self.last_error, self._failures)

    async def _client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(base_url=self.base_url, timeout=self._timeout, transport=self._transport)
        return self._http

    async def _login(self) -> str:
        http = await self._client()
        resp = await http.post("/api/v1/auth/token", json={"username": self.username, "password": self.password})
        if resp.status_code != 200:
            raise SimulatorError(f"sign-in as {self.username} failed with {resp.status_code}: {_error_text(resp)}")
        token = str(resp.json()["token"])
        self._token = token
        return token

    async def _post(self, payload: dict[str, Any]) -> httpx.Response:
        token = self._token or await self._login()
        http = await self._client()
        return await http.post("/api/v1/inbound", json=payload, headers={"Authorization": f"Bearer {token}"})

    def _external_id(self) -> str:
        self._counter += 1
        return f"sim-{self._run_id}-{self._counter}"

    def _next_message(self) -> _Outgoing:
        rng = self._rng
        if self._prospects and (not self._client_ids or rng.random() < self.new_contact_share):
            p = rng.choice(self._prospects)
            body = corpus.client_message(rng, p.language, hub=p.hub, kinds=("intent", "appointment", "followup"))
            payload: dict[str, Any] = {
                "channel": "email",
                "contact": {"name": p.name, "email": p.email, "locale": p.locale, "country": p.country},
                "body": body,
                "external_id": self._external_id(),
                "language": p.language,
                "subject": corpus.subject_of(body),
            }
            return _Outgoing(payload)
        cid = rng.choice(self._client_ids)
        language, hub = self._profiles.get(cid, ("en", ""))
        hub = hub or rng.choice(tuple(HUB_CURRENCY))
        first = cid not in self._channel_of
        if first:
            self._channel_of[cid] = _weighted(rng, _CHANNELS, _CHANNEL_WEIGHTS)
        channel = self._channel_of[cid] if rng.random() < 0.8 else _weighted(rng, _CHANNELS, _CHANNEL_WEIGHTS)
        kinds = ("intent", "intent", "purchase", "after_sales", "appointment") if first else ("followup", "followup", "intent", "purchase")
        body = corpus.client_message(rng, language, hub=hub, kinds=kinds)
        payload = {"channel": channel, "client_id": cid, "body": body, "external_id": self._external_id(), "language": language}
        if channel == "email":
            payload["subject"] = corpus.subject_of(body)
        return _Outgoing(payload)

    def _make_prospects(self, n: int) -> list[_Prospect]:
        rng = random.Random(f"advisor-console-prospects:{self.seed}")
        countries = corpus.COUNTRIES
        out = []
        for i in range(n):
            country = rng.choices(countries, weights=[c.weight for c in countries], k=1)[0]
            pool, locale, _w = rng.choices(country.people, weights=[p[2] for p in country.people], k=1)[0]
            person = corpus.make_name(rng, pool)
            slug = f"{corpus.ascii_slug(person.given)}.{corpus.ascii_slug(person.family)}"
            out.append(
                _Prospect(
                    name=person.name,
                    email=f"{slug}.prospect{i + 1}@example.com",
                    locale=locale,
                    country=country.code,
                    language=corpus.language_for_locale(locale),
                    hub=country.hub,
                )
            )
        return out


def _weighted(rng: random.Random, items: Sequence[str], weights: Sequence[float]) -> str:
    return rng.choices(list(items), weights=list(weights), k=1)[0]


def _error_code(resp: httpx.Response) -> str | None:
    try:
        return str(resp.json()["error"]["code"])
    except Exception:  # noqa: BLE001
        return None


def _error_text(resp: httpx.Response) -> str:
    try:
        err = resp.json()["error"]
        return f"{err.get('code')}: {err.get('message')}"
    except Exception:  # noqa: BLE001
        return resp.text[:200]
