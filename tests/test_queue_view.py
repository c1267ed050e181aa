"""The queue's definition (domain/queue.py), forms of address and canned-reply filling
(domain/address.py), and the times advisors type (tui/format.parse_when): pure functions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from advisor_console.domain.address import fill_placeholders, form_of_address, size_of
from advisor_console.domain.models import Client, ConversationSummary, Message
from advisor_console.domain.queue import QueueView, facet_values, fold, select, unread_count, unread_mark_for
from advisor_console.tui.format import parse_when

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def _conv(i: int, name: str, native: str | None = None, *, status: str = "queued", channel: str = "chat", language: str = "en", waited: int = 10, priority: int = 0, activity: int = 0, hub: str = "TYO", assignee: str | None = None, tier: str = "none") -> ConversationSummary:
    return ConversationSummary(
        id=i, client_id=100 + i, client_name=name, client_native_name=native, channel=channel, status=status, language=language, hub=hub,
        assignee=assignee, priority=priority, vic_tier=tier, created_at=NOW - timedelta(minutes=waited), last_inbound_at=NOW - timedelta(minutes=waited),
        last_activity_at=NOW - timedelta(minutes=activity),
    )


CONVS = [
    _conv(1, "Yuki Tanaka", "田中 由紀", channel="whatsapp", language="ja", waited=5, activity=1, tier="gold"),
    _conv(2, "José Nuñez", channel="whatsapp", language="es", waited=50, priority=2, activity=40),
    _conv(3, "Kim Seo-yeon", "김서연", channel="phone", language="ko", waited=30, activity=20, status="assigned", assignee="advisor"),
    _conv(4, "Zoë Ångström", channel="email", language="sv", waited=90, activity=80, hub="FLR"),
    _conv(5, "Marco Rossi", channel="email", language="it", waited=20, activity=5, status="resolved"),
]


def _ids(view: QueueView) -> list[int]:
    return [c.id for c in select(CONVS, view, "advisor", "TYO")]


def test_tabs_sorts_and_status_groups() -> None:
    assert _ids(QueueView(tab="mine")) == [3]
    assert _ids(QueueView(tab="hub")) == [2, 1, 3]  # queued (longest waiting first), then assigned
    assert _ids(QueueView(tab="all")) == [4, 2, 1, 3, 5]
    assert _ids(QueueView(tab="all", sort="priority")) == [2, 4, 1, 3, 5]
    assert _ids(QueueView(tab="all", sort="activity")) == [1, 2, 4, 3, 5]


def test_filters_and_search_in_every_script() -> None:
    assert _ids(QueueView(tab="all", filters={"channel": {"whatsapp"}})) == [2, 1]
    assert _ids(QueueView(tab="all", filters={"channel": {"whatsapp", "email"}, "language": {"es", "sv"}})) == [4, 2]
    assert _ids(QueueView(tab="all", filters={"vic_tier": {"gold"}})) == [1]
    assert _ids(QueueView(tab="all", filters={"status": {"resolved"}})) == [5]
    assert _ids(QueueView(tab="all", search="田中")) == [1]
    assert _ids(QueueView(tab="all", search="김서")) == [3]
    assert _ids(QueueView(tab="all", search="jose")) == [2]  # accents folded
    assert _ids(QueueView(tab="all", search="ZOE angst")) == [4]
    assert _ids(QueueView(tab="all", search="tanaka yuki")) == [1]  # every word, any order
    assert _ids(QueueView(tab="all", search="nobody")) == []
    assert fold("Ｔａｎａｋａ") == "tanaka"
    assert facet_values(CONVS, "channel") == ["email", "phone", "whatsapp"]
    assert facet_values(CONVS, "vic_tier") == ["gold", "none"]


def test_view_round_trips_and_survives_garbage() -> None:
    view = QueueView(tab="hub", sort="priority", filters={"channel": {"whatsapp", "chat"}, "language": set()}, search="typed")
    back = QueueView.from_json(view.to_json())
    assert (back.tab, back.sort, back.filters, back.search) == ("hub", "priority", {"channel": {"chat", "whatsapp"}}, "")
    for garbage in (None, [], "x", {"tab": "evil", "sort": 3, "filters": {"channel": "whatsapp", "nope": ["x"], "language": [1, "ja"]}}):
        view = QueueView.from_json(garbage)  # type: ignore[arg-type]
        assert view.tab == "mine" and view.sort == "waiting"
        assert view.filters in ({}, {"language": {"ja"}})


def _msg(i: int, kind: str) -> Message:
    return Message(id=i, conversation_id=1, kind=kind, body="", author="client" if kind == "inbound" else "advisor", at=NOW)


def test_unread_counts_and_marks() -> None:
    thread = [_msg(1, "inbound"), _msg(2, "reply"), _msg(3, "inbound"), _msg(4, "note"), _msg(5, "inbound")]
    assert unread_count(thread, None) == 1  # never opened here: since the last answer (a note counts as one)
    assert unread_count(thread, (2, False)) == 2
    assert unread_count(thread, (5, False)) == 0
    assert unread_count(thread, (5, True)) == 1  # marked unread by hand
    assert unread_mark_for(thread) == 4 and unread_count(thread, (unread_mark_for(thread), True)) == 1
    assert unread_count([], (0, True)) == 1 and unread_mark_for([]) == 0


def _client(**kw) -> Client:  # noqa: ANN003
    base = {"id": 1, "name": "Yuki Tanaka", "native_name": "田中由紀", "locale": "ja-JP", "country": "JP", "hub": "TYO", "vic_tier": "gold", "preferred_channel": "whatsapp", "sizes": {"shoes_eu": "36.5", "shoes_jp": "23.5", "shoes_us": "6.5"}}
    return Client.model_validate({**base, **kw})


@pytest.mark.parametrize(
    ("fields", "address", "size"),
    [
        ({}, "田中由紀様", "23.5 (JP)"),
        ({"name": "Kim Ji-hyun", "native_name": "김지현", "locale": "ko-KR", "country": "KR"}, "김지현 고객님", "235 mm"),
        ({"name": "Wang Lihua", "native_name": "王丽华", "locale": "zh-CN", "country": "CN"}, "王丽华", "36.5 EU"),
        ({"name": "Camille Dubois", "native_name": None, "locale": "fr-FR", "country": "FR"}, "Camille", "36.5 EU"),
        ({"name": "Emma Clarke", "native_name": None, "locale": "en-US", "country": "US"}, "Emma", "6.5 US"),
    ],
)
def test_forms_of_address_and_sizes(fields, address, size) -> None:  # noqa: ANN001
    client = _client(**fields)
    assert form_of_address(client) == address
    assert size_of(client) == size


def test_fill_placeholders_never_invents() -> None:
    client = _client()
    text = fill_placeholders("{address}、{advisor}です。{size}のご用意があります。{product}。{unknown}", client, "Aiko Mori")
    assert text == "田中由紀様、Aikoです。23.5 (JP)のご用意があります。…。…"
    assert fill_placeholders("Dear {address}, {size}", None, "") == "Dear …, …"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("45m", NOW + timedelta(minutes=45)),
        ("2h", NOW + timedelta(hours=2)),
        ("in 3 days", NOW + timedelta(days=3)),
        ("19:30", datetime(2026, 11, 23, 10, 30, tzinfo=timezone.utc)),  # Tokyo is UTC+9: 18:00 now
        ("17:00", datetime(2026, 11, 24, 8, 0, tzinfo=timezone.utc)),  # passed today: tomorrow
        ("tomorrow 9am", datetime(2026, 11, 24, 0, 0, tzinfo=timezone.utc)),
        ("2026-12-01 10:00", datetime(2026, 12, 1, 1, 0, tzinfo=timezone.utc)),
    ],
)
def test_parse_when(typed: str, expected: datetime) -> None:
    assert parse_when(typed, NOW, "TYO") == expected


@pytest.mark.parametrize("typed", ["", "soon", "25:00", "13pm", "2026-02-30", "2020-01-01 10:00", "today 8:00", "0m"])
def test_parse_when_refuses_with_a_sentence(typed: str) -> None:
    with pytest.raises(ValueError) as err:
        parse_when(typed, NOW, "TYO")
    assert str(err.value).endswith(".")


def test_message_times_in_the_hub_zone_today_and_other_days() -> None:
    """A message time shows as "09:12" on the hub's today and "21 Nov 09:12" on another day
    (the hub's day, not UTC's), the same one at a time as a thread's at once."""
    from datetime import datetime, timezone

    from advisor_console.tui.format import local_time, local_times

    now = datetime(2026, 11, 23, 15, 30, tzinfo=timezone.utc)  # 00:30 on the 24th in Tokyo
    shown = local_times("TYO", now)
    cases = {
        datetime(2026, 11, 23, 15, 5, tzinfo=timezone.utc): "00:05",  # the 24th in Tokyo: today
        datetime(2026, 11, 23, 14, 59, tzinfo=timezone.utc): "23 Nov 23:59",
        datetime(2026, 1, 2, 0, 7): "02 Jan 09:07",  # naive: UTC
    }
    for when, text in cases.items():
        assert shown(when) == text == local_time(when, "TYO", now)
    assert local_time(datetime(2026, 11, 23, 14, 59, tzinfo=timezone.utc), "FLR", now) == "15:59"
