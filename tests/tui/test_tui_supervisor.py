"""The team lead's board (issue 6) against the REAL server, driven by Pilot: it opens by
default for a supervisor and shows the server's figures; every action reaches the server
(status, capacity, reassign, whisper, routing on/off, the day's report as CSV); monitoring
follows a conversation live; an advisor is refused the board."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Callable
from typing import Any

import httpx

from advisor_console.config import Settings
from advisor_console.tui.app import AdvisorApp
from advisor_console.tui.screens.prompts import ChoiceScreen, TextPromptScreen
from advisor_console.tui.screens.supervisor import MonitorScreen, SupervisorScreen
from advisor_console.tui.screens.workspace import WorkspaceScreen
from conftest import LiveServer
from tui_helpers import notifications, screen_text, wait_until

SIZE = (160, 48)


def _api(server: LiveServer, who: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers=server.headers(who), timeout=20)


async def _board(pilot: Any, app: AdvisorApp) -> SupervisorScreen:
    await wait_until(pilot, lambda: isinstance(app.screen, SupervisorScreen) and app.screen.board is not None, what="board")
    return app.screen  # type: ignore[return-value]


async def _refreshed(pilot: Any, screen: SupervisorScreen, predicate: Callable[[dict[str, Any]], bool], what: str) -> None:
    async def check() -> bool:
        return bool(screen.board and predicate(screen.board))

    for _ in range(100):
        if screen.board and predicate(screen.board):
            return
        screen.refresh_board()
        await pilot.pause(0.1)
    raise AssertionError(f"the board never showed {what}")


async def test_board_shows_the_server_figures_and_actions_reach_it(live_server: LiveServer, make_workspace: Callable[..., Any]) -> None:
    ws = make_workspace("supervisor")
    app = AdvisorApp(ws, Settings())
    sup = _api(live_server, "supervisor")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        screen = await _board(pilot, app)

        def as_on_the_server() -> bool:  # asked again: the server's figures may move (a snooze ends)
            server = sup.get("/api/v1/supervision/board").json()
            return screen.query_one("#board-advisors").row_count == len(server["advisors"]) and f"queued {server['queue_depth']['total']}" in screen_text(app)

        for _ in range(50):
            if as_on_the_server():
                break
            screen.refresh_board()
            await pilot.pause(0.2)
        else:
            raise AssertionError("the board never showed the server's figures")

        # Status: Kenji away (through the keyboard), on the server.
        table = screen.query_one("#board-advisors")
        table.focus()
        table.move_cursor(row=[a["username"] for a in screen.board["advisors"]].index("kenji.watanabe"))
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen), what="status choice")
        await pilot.press("down", "down", "enter")  # available, busy, away
        await wait_until(pilot, lambda: not ws.state.pending and sup.get("/api/v1/advisors", params={"hub": "TYO"}).json() and next(a for a in sup.get("/api/v1/advisors").json() if a["username"] == "kenji.watanabe")["status"] == "away", what="away on the server")
        # Capacity +1 on the same row.
        before = next(a for a in sup.get("/api/v1/advisors").json() if a["username"] == "kenji.watanabe")["capacity"]
        await pilot.press("plus")
        await wait_until(pilot, lambda: not ws.state.pending and next(a for a in sup.get("/api/v1/advisors").json() if a["username"] == "kenji.watanabe")["capacity"] == before + 1, what="capacity")

        # A late conversation (targets of 1 s), reassigned to Yui, whispered to, monitored.
        sup.put("/api/v1/supervision/rules", json={"first_response_targets": {"chat": 1}}).raise_for_status()
        with _api(live_server, "channel-sim") as ch:
            tag = uuid.uuid4().hex[:8]
            conv = ch.post("/api/v1/inbound", json={"channel": "chat", "body": "Is anyone there?", "contact": {"name": f"Late {tag}", "locale": "ja-JP", "country": "JP", "email": f"{tag}@example.com"}}).json()["conversation_id"]
        await _refreshed(pilot, screen, lambda b: any(p["conversation_id"] == conv for p in b["past_target"]), "the late conversation")
        late = screen.query_one("#board-late")
        late.focus()
        late.highlighted = [p["conversation_id"] for p in screen.board["past_target"]].index(conv)
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen), what="reassign choice")
        await pilot.press(*"Yui Tanaka", "enter")
        await wait_until(pilot, lambda: not ws.state.pending and sup.get(f"/api/v1/conversations/{conv}").json()["assignee"] == "yui.tanaka", what="reassigned on the server")

        await pilot.press("w")
        await wait_until(pilot, lambda: isinstance(app.screen, TextPromptScreen), what="whisper prompt")
        await pilot.press(*"Answer her first, please", "enter")
        await wait_until(pilot, lambda: not ws.state.pending, what="whisper sent")
        with _api(live_server, "yui.tanaka") as yui, _api(live_server, "advisor") as aiko:
            assert [m["body"] for m in yui.get(f"/api/v1/conversations/{conv}").json()["messages"] if m["kind"] == "whisper"] == ["Answer her first, please"]
            assert not [m for m in aiko.get(f"/api/v1/conversations/{conv}").json()["messages"] if m["kind"] == "whisper"]

        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, MonitorScreen), what="monitor")
        await wait_until(pilot, lambda: "Is anyone there?" in screen_text(app), what="the thread")
        with _api(live_server, "yui.tanaka") as yui:
            yui.post(f"/api/v1/conversations/{conv}/messages", json={"body": "Good evening, I am here."}).raise_for_status()
        await wait_until(pilot, lambda: "Good evening, I am here." in screen_text(app), what="the reply, live")
        assert not app.screen.query("Composer")  # read-only
        await pilot.press("escape")

        # Routing on from the board; the report exported as CSV.
        await pilot.press("o")
        await wait_until(pilot, lambda: not ws.state.pending and sup.get("/api/v1/supervision/rules").json()["routing"]["enabled"] is True, what="routing on")
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, TextPromptScreen), what="targets prompt")
        await pilot.press("ctrl+a", "ctrl+k", *"chat=3m email=1h30m", "enter")
        await wait_until(pilot, lambda: not ws.state.pending and sup.get("/api/v1/supervision/rules").json()["first_response_targets"]["email"] == 5400, what="targets on the server")
        assert sup.get("/api/v1/supervision/rules").json()["first_response_targets"]["chat"] == 180
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, TextPromptScreen), what="report day")
        await pilot.press("enter")
        await wait_until(pilot, lambda: getattr(screen, "last_export", None) is not None, what="report saved")
        rows = list(csv.DictReader(io.StringIO(screen.last_export.read_text(encoding="utf-8"))))
        assert rows[0]["hub"] == "TYO" and any("Report saved" in n for n in notifications(app))

        # ctrl+w: the workspace (a team lead may answer too); the palette's board brings it back.
        await pilot.press("ctrl+w")
        await wait_until(pilot, lambda: isinstance(app.screen, WorkspaceScreen), what="workspace")
        await app.run_action("app.board")
        await wait_until(pilot, lambda: isinstance(app.screen, SupervisorScreen), what="back to the board")
    sup.close()


async def test_an_advisor_is_refused_the_board(live_server: LiveServer, make_workspace: Callable[..., Any]) -> None:
    ws = make_workspace("advisor")
    app = AdvisorApp(ws, Settings())
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        assert isinstance(app.screen, WorkspaceScreen)
        await app.run_action("app.board")
        await pilot.pause()
        assert isinstance(app.screen, WorkspaceScreen)
        assert any("for team leads" in n for n in notifications(app))
        # And the server itself says no, should anything ask it.
        try:
            await ws.supervision("board")
        except Exception as exc:  # noqa: BLE001
            assert getattr(exc, "status", None) == 403 and "Only a team lead" in exc.message  # type: ignore[attr-defined]
        else:
            raise AssertionError("the server gave an advisor the board")
