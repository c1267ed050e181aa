"""Recordings and masking (issue 7), against real servers and databases: the record command
and the API export a conversation, a window and a shift; masking leaves no client's name
(Latin and native, every script of the seed), email or phone in a whole-database export,
checked against the source tables; pseudonyms are stable; the trainer role gets masked
data from every endpoint and the event stream; bad selections get a sentence."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select
from sqlmodel import Session

from advisor_console.server.db import make_engine
from advisor_console.server.tables import ClientRow
from conftest import LiveServer
from support import api_client, assert_error

WINDOW = ("2000-01-01T00:00:00+00:00", "2099-01-01T00:00:00+00:00")


def _clients(server: LiveServer) -> list[ClientRow]:
    engine = make_engine(server.database_url)
    with Session(engine) as s:
        rows = list(s.execute(select(ClientRow)).scalars())
    engine.dispose()
    return rows


def _leaks(text: str, clients: list[ClientRow]) -> list[tuple[int, str]]:
    out = []
    for c in clients:
        for value in (c.name, c.native_name, (c.native_name or "").replace(" ", ""), c.email, c.phone):
            if not value or len(value) < 2:
                continue
            pattern = re.escape(value) if not value.isascii() else r"(?<![\w])" + re.escape(value) + r"(?![\w])"
            if re.search(pattern, text):
                out.append((c.id or 0, value))
    return out


def _record(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "advisor_console.cli", "record", *args], capture_output=True, text=True, timeout=120)


def test_record_command_masks_every_client_of_a_whole_window(live_server: LiveServer, tmp_path: Path) -> None:
    out = tmp_path / "all.jsonl"
    result = _record("--database-url", live_server.database_url, "--since", WINDOW[0], "--until", WINDOW[1], "--out", str(out))
    assert result.returncode == 0, result.stderr
    text = out.read_text(encoding="utf-8")
    lines = [json.loads(line) for line in text.splitlines()]
    header = lines[0]
    assert header["format"] == "advisor-console-recording" and header["version"] == 1 and header["masked"] is True
    events = [l for l in lines if l.get("record") == "event"]
    assert len(events) == header["events"] > 100
    clients = _clients(live_server)
    scripts = {c.locale.split("-")[0] for c in clients}
    assert {"ja", "ko", "zh"} <= scripts and len(scripts) >= 6  # every script of the seed is in play
    assert _leaks(text, clients) == []
    # Stable pseudonyms: a client's masked name is the same in her document and every summary.
    docs = {l["id"]: l["data"] for l in lines if l.get("record") == "document" and l["kind"] == "client"}
    for e in events:
        conv = e["data"].get("conversation")
        if conv and conv["client_id"] in docs:
            assert conv["client_name"] == docs[conv["client_id"]]["name"]
    # The unmasked export has them (the check above would see a leak).
    raw = tmp_path / "raw.jsonl"
    assert _record("--database-url", live_server.database_url, "--since", WINDOW[0], "--until", WINDOW[1], "--out", str(raw), "--no-mask").returncode == 0
    assert _leaks(raw.read_text(encoding="utf-8"), clients)


def test_record_a_conversation_and_a_shift_and_refuse_bad_selections(live_server: LiveServer, tmp_path: Path) -> None:
    out = tmp_path / "c.jsonl"
    assert _record("--database-url", live_server.database_url, "--conversation", "3", "--out", str(out)).returncode == 0
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert lines[0]["selection"] == {"conversation": 3}
    assert {l["data"]["conversation"]["id"] for l in lines if l.get("record") == "event" and "conversation" in l["data"]} == {3}
    shift = tmp_path / "s.jsonl"
    assert _record("--database-url", live_server.database_url, "--advisor", "advisor", "--since", WINDOW[0], "--until", WINDOW[1], "--out", str(shift)).returncode == 0
    for l in (json.loads(x) for x in shift.read_text(encoding="utf-8").splitlines()[1:]):
        if l.get("record") == "event":
            assert "advisor" in (l["actor"], (l["data"].get("conversation") or {}).get("assignee"), l["data"].get("from"), (l["data"].get("conversation") or {}).get("assignee")) or l["type"].startswith("conversation.")
    for args, message in (
        (["--conversation", "999999"], "Conversation not found"),
        (["--since", "yesterday", "--until", WINDOW[1]], "not an ISO 8601 time"),
        (["--since", "2026-11-23T09:00", "--until", WINDOW[1]], "needs a UTC offset"),
        (["--since", WINDOW[1], "--until", WINDOW[0]], "since must be before until"),
        (["--advisor", "nobody", "--since", "2026-11-01T00:00+00:00", "--until", "2026-11-20T00:00+00:00"], "no advisor named"),
        ([], "Give a conversation, or a time window"),
    ):
        r = _record("--database-url", live_server.database_url, "--out", str(tmp_path / "x.jsonl"), *args)
        assert r.returncode == 2 and message in r.stderr, (args, r.stderr)


def test_recordings_api_by_role(live_server: LiveServer) -> None:
    clients = _clients(live_server)
    with api_client(live_server, "advisor") as adv:
        assert_error(adv.get("/api/v1/recordings", params={"conversation": 3}), 403, "forbidden")
    with api_client(live_server, "supervisor") as sup:
        r = sup.get("/api/v1/recordings", params={"since": WINDOW[0], "until": WINDOW[1], "mask": "false"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
        assert json.loads(r.text.splitlines()[0])["masked"] is False and _leaks(r.text, clients)
        assert_error(sup.get("/api/v1/recordings", params={"since": WINDOW[1], "until": WINDOW[0]}), 422, "invalid_window")
        assert_error(sup.get("/api/v1/recordings", params={"conversation": 3, "advisor": "advisor"}), 422, "invalid_selection")
    with api_client(live_server, "trainer") as tr:
        r = tr.get("/api/v1/recordings", params={"since": WINDOW[0], "until": WINDOW[1], "mask": "false"})
        assert json.loads(r.text.splitlines()[0])["masked"] is True and _leaks(r.text, clients) == []


def test_a_trainer_sees_masked_client_data_everywhere(live_server: LiveServer) -> None:
    clients = _clients(live_server)
    with api_client(live_server, "trainer") as tr, api_client(live_server, "supervisor") as sup:
        pages: list[str] = []
        convs = tr.get("/api/v1/conversations", params={"limit": 200})
        assert convs.status_code == 200
        pages.append(convs.text)
        first = convs.json()["items"][0]
        pages.append(tr.get(f"/api/v1/conversations/{first['id']}").text)
        pages.append(tr.get(f"/api/v1/clients/{first['client_id']}").text)
        pages.append(tr.get("/api/v1/events", params={"after": 0, "limit": 5000}).text)
        pages.append(tr.get("/api/v1/clienteling/call-list", params={"include_blocked": "true", "limit": 200}).text)
        pages.append(tr.get("/api/v1/tasks", params={"limit": 200}).text if tr.get("/api/v1/tasks").status_code == 200 else "")
        assert _leaks("\n".join(pages), clients) == []
        masked_name = tr.get(f"/api/v1/clients/{first['client_id']}").json()["name"]
        assert masked_name == tr.get(f"/api/v1/clients/{first['client_id']}").json()["name"]  # stable
        assert masked_name != sup.get(f"/api/v1/clients/{first['client_id']}").json()["name"]  # a team lead sees her
        # The live stream too: a client writes while the trainer listens.
        with httpx.Client(base_url=live_server.url, headers=live_server.headers("trainer"), timeout=20) as stream_client:
            head = 0
            while (page := sup.get("/api/v1/events", params={"after": head, "limit": 5000}).json())["last_seq"] != head:
                head = page["last_seq"]
            with stream_client.stream("GET", "/api/v1/events/stream", params={"after": head}) as stream:
                with api_client(live_server, "channel-sim") as ch:
                    target = next(c for c in clients if c.native_name and c.email)
                    ch.post("/api/v1/inbound", json={"channel": "chat", "client_id": target.id, "body": f"It is {target.name}, mail me at {target.email}"}).raise_for_status()
                seen = ""
                for chunk in stream.iter_text():
                    seen += chunk
                    if "message.created" in seen and "\n\n" in seen.split("message.created", 1)[1]:
                        break
        assert "message.created" in seen and _leaks(seen, clients) == []
