"""Hostile requests get clear 4xx errors, never a 5xx (issue: hostile input)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import httpx

from advisor_console.server.limits import Limits
from conftest import BOTH_DATABASES, LiveServer, start_live_server


def _post(server: LiveServer, path: str, content: bytes, username: str = "advisor", **headers: str) -> httpx.Response:
    return httpx.post(f"{server.url}{path}", content=content, headers={**server.headers(username), "content-type": "application/json", **headers}, timeout=30)


def test_bad_bodies_are_refused_clearly(live_server: LiveServer) -> None:
    conv = httpx.get(f"{live_server.url}/api/v1/conversations", params={"hub": "TYO", "limit": 1}, headers=live_server.headers("advisor")).json()["items"][0]
    path = f"/api/v1/conversations/{conv['id']}/messages"
    cases = [
        (b'{"body": "\xff\xfe"}', 400, "invalid_utf8"),
        (b"[" * 5000 + b"]" * 5000, 400, "json_too_deep"),
        (json.dumps({"body": "x" * 400_000}).encode(), 413, "payload_too_large"),
        (json.dumps({"body": "x" * 10_001}).encode(), 413, "message_too_large"),
        (b"{not json", 400, "malformed_json"),
        (b"[1, 2]", 422, "invalid_request"),
        (json.dumps({"body": "x", "attachments": [{"type": "product_card"}] * 50}).encode(), 422, "invalid_request"),
        (json.dumps({"body": 12}).encode(), 422, "invalid_request"),
    ]
    for body, status, code in cases:
        r = _post(live_server, path, body)
        assert (r.status_code, r.json()["error"]["code"]) == (status, code), (body[:40], r.text[:200])
    r = _post(live_server, "/api/v1/inbound", json.dumps({"channel": "chat", "client_id": 1, "body": "y" * 20_000}).encode(), username="channel-sim")
    assert r.status_code == 413 and r.json()["error"]["code"] == "message_too_large"


def test_too_many_requests_per_token_get_429_with_retry_after(seeded_template: tuple[Path, list[dict[str, Any]]], tmp_path: Path) -> None:
    shutil.copyfile(seeded_template[0], tmp_path / "s.sqlite")
    server = start_live_server(f"sqlite:///{tmp_path / 's.sqlite'}", seeded_template[1], limits=Limits(requests_per_second=0.2, burst=10))  # slow refill: holds on a busy machine
    try:
        headers = server.headers("advisor")
        codes = [httpx.get(f"{server.url}/api/v1/me", headers=headers).status_code for _ in range(30)]
        assert codes[:10] == [200] * 10 and 429 in codes
        r = httpx.get(f"{server.url}/api/v1/me", headers=headers)
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1 and r.json()["error"]["code"] == "rate_limited"
        # Another token is not slowed down by this one.
        assert httpx.get(f"{server.url}/api/v1/me", headers=server.headers("supervisor")).status_code == 200
    finally:
        server.stop()


@BOTH_DATABASES
def test_hostile_strings_round_trip_exactly_through_the_api(live_server: LiveServer) -> None:
    """Stored byte for byte (making them harmless is the display's job, not the store's);
    only NUL, which PostgreSQL cannot store, is refused with a clear 422 everywhere."""
    from hostile import HOSTILE

    with httpx.Client(base_url=live_server.url, headers=live_server.headers("channel-sim"), timeout=30) as ch:
        sent = []
        for i, text in enumerate(HOSTILE):
            r = ch.post("/api/v1/inbound", json={"channel": "chat", "contact": {"name": text[:200] or "x", "email": f"h{i}@example.com"}, "body": text})
            if "\x00" in text:
                assert r.status_code == 422 and r.json()["error"]["code"] == "nul_character"
                continue
            assert r.status_code == 201, (text[:30], r.text[:200])
            sent.append((r.json()["conversation_id"], text))
    with httpx.Client(base_url=live_server.url, headers=live_server.headers("supervisor"), timeout=30) as sup:
        for cid, text in sent:
            detail = sup.get(f"/api/v1/conversations/{cid}").json()
            assert detail["messages"][-1]["body"] == text
            assert detail["client_name"] == (text[:200] or "x")


@BOTH_DATABASES
def test_nul_in_a_query_is_refused_not_a_server_error(live_server: LiveServer) -> None:
    r = httpx.get(f"{live_server.url}/api/v1/products", params={"q": "bag\x00"}, headers=live_server.headers("supervisor"))
    assert r.status_code == 422 and r.json()["error"]["code"] == "nul_character"
