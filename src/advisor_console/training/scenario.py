"""Training scenarios: a scripted client, what makes her write each turn, and the checks a
debrief scores. The file format is TOML, documented in docs/scenario-format.md; `load`
reads and checks one, `builtin()` lists the scenarios shipped with the workstation.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ..domain.models import Channel, Client, hub_for_country

TRIGGERS = ("start", "after_reply", "reply_mentions", "product_shared", "after_seconds")
CHECKS = {
    "greeted_by_name": "Greeted her by name",
    "offered_size": "Offered her size",
    "shared_in_stock": "Shared a piece in stock in her size at her hub",
    "respected_contact_preference": "Respected how she wants to be contacted",
    "answered_within_patience": "Answered each message within her patience",
    "reply_mentions": "Said what the situation needs",
    "appointment_booked": "Booked the appointment",
}


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message says which field and why."""


@dataclass(frozen=True)
class Turn:
    """A client message and what makes her send it (after the previous turn)."""

    body: str
    trigger: str = "after_reply"
    mentions: tuple[str, ...] = ()  # reply_mentions: any of these words in the advisor's reply
    seconds: float = 0.0  # after_seconds: this long after the previous turn, whatever happens
    subject: str | None = None  # email


@dataclass(frozen=True)
class Check:
    kind: str
    points: int = 1
    words: tuple[str, ...] = ()  # reply_mentions: any of these in any reply
    category: str | None = None  # offered_size / shared_in_stock: the piece's category
    appointment_kind: str | None = None  # appointment_booked: in_store | video (None: either)

    @property
    def title(self) -> str:
        return CHECKS[self.kind]


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    brief: str  # what the trainee is told before starting
    channel: str
    language: str
    patience_seconds: float
    client: dict[str, Any]
    turns: tuple[Turn, ...]
    checks: tuple[Check, ...]
    source: str = ""

    @property
    def hub(self) -> str:
        return self.client.get("hub") or hub_for_country(self.client.get("country"))

    def client_model(self, client_id: int = 0) -> Client:
        return Client.model_validate({"id": client_id, "hub": self.hub, "preferred_channel": self.channel, "vic_tier": "none", **self.client})

    @property
    def total_points(self) -> int:
        return sum(c.points for c in self.checks)


def _need(data: dict[str, Any], key: str, kind: type, where: str) -> Any:
    value = data.get(key)
    if not isinstance(value, kind) or (isinstance(value, str) and not value.strip()):
        raise ScenarioError(f"{where}: `{key}` is required ({kind.__name__}).")
    return value


def parse(data: dict[str, Any], source: str = "") -> Scenario:
    where = source or "scenario"
    channel = _need(data, "channel", str, where)
    if channel not in {c.value for c in Channel}:
        raise ScenarioError(f"{where}: channel {channel!r} is not one of {', '.join(c.value for c in Channel)}.")
    client = _need(data, "client", dict, where)
    for key in ("name", "locale", "country"):
        _need(client, key, str, f"{where} [client]")
    try:
        Client.model_validate({"id": 0, "hub": "FLR", "preferred_channel": channel, "vic_tier": "none", **client})
    except ValueError as exc:
        raise ScenarioError(f"{where} [client]: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}.") from None  # type: ignore[attr-defined]
    turns = []
    for i, raw in enumerate(data.get("turns") or [], start=1):
        if not isinstance(raw, dict):
            raise ScenarioError(f"{where} turn {i}: expected a table.")
        trigger = raw.get("trigger", "start" if i == 1 else "after_reply")
        if trigger not in TRIGGERS:
            raise ScenarioError(f"{where} turn {i}: trigger {trigger!r} is not one of {', '.join(TRIGGERS)}.")
        if i == 1 and trigger != "start":
            raise ScenarioError(f"{where} turn 1: the first turn's trigger is start.")
        mentions = tuple(str(w) for w in raw.get("mentions", ()))
        if trigger == "reply_mentions" and not mentions:
            raise ScenarioError(f"{where} turn {i}: reply_mentions needs `mentions`.")
        seconds = float(raw.get("seconds", 0))
        if trigger == "after_seconds" and seconds <= 0:
            raise ScenarioError(f"{where} turn {i}: after_seconds needs `seconds` > 0.")
        turns.append(Turn(body=_need(raw, "body", str, f"{where} turn {i}"), trigger=trigger, mentions=mentions, seconds=seconds, subject=raw.get("subject")))
    if not turns:
        raise ScenarioError(f"{where}: a scenario needs at least one [[turns]].")
    checks = []
    for i, raw in enumerate(data.get("checks") or [], start=1):
        kind = raw.get("kind") if isinstance(raw, dict) else None
        if kind not in CHECKS:
            raise ScenarioError(f"{where} check {i}: kind {kind!r} is not one of {', '.join(CHECKS)}.")
        words = tuple(str(w) for w in raw.get("words", ()))
        if kind == "reply_mentions" and not words:
            raise ScenarioError(f"{where} check {i}: reply_mentions needs `words`.")
        checks.append(Check(kind=kind, points=int(raw.get("points", 1)), words=words, category=raw.get("category"), appointment_kind=raw.get("appointment_kind")))
    if not checks:
        raise ScenarioError(f"{where}: a scenario needs at least one [[checks]].")
    patience = float(data.get("patience_seconds", 120))
    if patience <= 0:
        raise ScenarioError(f"{where}: patience_seconds must be > 0.")
    return Scenario(
        id=_need(data, "id", str, where), title=_need(data, "title", str, where), brief=str(data.get("brief", "")),
        channel=channel, language=str(data.get("language") or client["locale"].split("-")[0]), patience_seconds=patience,
        client=client, turns=tuple(turns), checks=tuple(checks), source=source,
    )


def load(path: Path) -> Scenario:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ScenarioError(f"{path} is not valid TOML: {exc}.") from None
    return parse(data, str(path))


def builtin() -> dict[str, Scenario]:
    """The scenarios shipped with the workstation, by id."""
    out = {}
    for entry in sorted(resources.files(__package__).joinpath("scenarios").iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".toml"):
            scenario = parse(tomllib.loads(entry.read_text(encoding="utf-8")), entry.name)
            out[scenario.id] = scenario
    return out


def find(name: str) -> Scenario:
    """A shipped scenario by id, or a scenario file by path."""
    shipped = builtin()
    if name in shipped:
        return shipped[name]
    path = Path(name)
    if path.suffix == ".toml" or path.exists():
        return load(path)
    raise ScenarioError(f"No scenario {name!r}; shipped ones: {', '.join(shipped)} (or give a .toml file).")


@dataclass
class Debrief:
    scenario: Scenario
    results: list[tuple[Check, bool, str]] = field(default_factory=list)  # check, passed, why

    @property
    def score(self) -> int:
        return sum(c.points for c, ok, _ in self.results if ok)

    def lines(self) -> list[str]:
        out = [f"{self.scenario.title}: {self.score}/{self.scenario.total_points}"]
        out += [f"{'✓' if ok else '✗'} {check.title} ({check.points} pt{'s' if check.points != 1 else ''}): {why}" for check, ok, why in self.results]
        return out
