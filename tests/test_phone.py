"""Phone (issue 10): callback requests through the API and from an email that asks for a
call; the click-to-call handler (a URL for the system, or a command with the number as
one argument, never through a shell)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from advisor_console.server.channels.phone import asks_for_a_call
from advisor_console.tui.screens.workspace import click_to_call
from conftest import LiveServer
from support import api_client, assert_error


def test_callback_requests(live_server: LiveServer) -> None:
    with api_client(live_server, "channel-sim") as ch, api_client(live_server, "supervisor") as sup, api_client(live_server, "advisor") as adv:
        r = ch.post("/api/v1/callbacks", json={"contact": {"name": "Caller One", "phone": "+81 90 5555 0101", "locale": "ja-JP", "country": "JP"}, "when": "2030-01-02T10:00:00+09:00", "note": "about the loafers"})
        assert r.status_code == 201 and r.json()["kind"] == "callback" and r.json()["title"] == "Call back Caller One: about the loafers"
        task = r.json()
        assert sup.get(f"/api/v1/clients/{task['client_id']}").json()["tasks"][0]["id"] == task["id"]
        assert_error(adv.post("/api/v1/callbacks", json={"client_id": task["client_id"]}), 403, "forbidden")
        assert_error(ch.post("/api/v1/callbacks", json={"note": "who?"}), 422, "invalid_request")
        assert_error(ch.post("/api/v1/callbacks", json={"client_id": 999999}), 422, "unknown_client")


def test_what_asking_for_a_call_looks_like() -> None:
    for text in ("Could you call me back tomorrow?", "Pouvez-vous me rappeler ? Rappelez-moi demain", "明日電話してください", "내일 전화 주세요", "Please call."):
        assert asks_for_a_call(text), text
    for text in ("I will call in at the boutique", "Thank you", "The call of the wild"):
        assert not asks_for_a_call(text), text


def test_click_to_call_runs_the_command_with_the_number_as_one_argument(tmp_path: Path) -> None:
    out = tmp_path / "dialled.txt"
    template = f"{sys.executable} -c \"import sys; open(sys.argv[1], 'w').write(sys.argv[2])\" {out} {{phone}}"
    assert click_to_call(template, "+81 90-1234-5678; rm -rf /") == sys.executable
    deadline = time.monotonic() + 10
    while not out.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert out.read_text() == "+819012345678"  # digits only: nothing else reaches the command


def test_click_to_call_opens_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url))
    assert click_to_call("tel:{phone}", "+33 1 23 45 67 89") == "tel:+33123456789"
    assert click_to_call("sip:{phone}@pbx.maison.example", "0612345678") == "sip:0612345678@pbx.maison.example"
    assert opened == ["tel:+33123456789", "sip:0612345678@pbx.maison.example"]
    with pytest.raises(ValueError):
        click_to_call("tel:{phone}", "call me")
