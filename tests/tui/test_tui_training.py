"""The workstation in training mode (issue 7), driven by Pilot against a real server: the
brief, the scripted client's message arriving in the queue, the trainee answering with
the keyboard, ctrl+e, and the scored debrief on screen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from advisor_console.config import Settings
from advisor_console.server.db import make_engine
from advisor_console.training.coach import Coach, setup_client
from advisor_console.training.scenario import builtin
from advisor_console.tui.training import BriefScreen, DebriefScreen, TrainingApp
from conftest import LiveServer
from tui_helpers import open_conversation, screen_text, wait_until

SIZE = (160, 48)


async def test_training_from_brief_to_debrief(live_server: LiveServer, make_workspace: Callable[..., Any]) -> None:
    scenario = builtin()["purchase-intent-ja"]
    engine = make_engine(live_server.database_url)
    client_id = setup_client(engine, scenario)
    engine.dispose()
    coach = Coach(live_server.url, scenario, client_id, channel_token=live_server.token("channel-sim"), reader_token=live_server.token("supervisor"), trainee="advisor")
    ws = make_workspace("advisor")
    app = TrainingApp(ws, Settings(), coach)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, BriefScreen), what="brief")
        assert "She does not want to be called" in screen_text(app).replace("\n", " ") or "not want to be" in screen_text(app)
        await pilot.press("enter")
        await wait_until(pilot, lambda: coach.conversation_id is not None and coach.conversation_id in ws.state.conversations, what="her message in the queue")
        assert "TRAINING" in screen_text(app) and "client message 1/3" in screen_text(app)
        await pilot.press("2")
        await open_conversation(pilot, coach.conversation_id)
        await pilot.press("c")
        await wait_until(pilot, lambda: ws.state.conversations[coach.conversation_id].assignee == "advisor" and not ws.state.pending, what="claimed")
        await pilot.press("r")
        await pilot.press(*"田中 由紀様、こんにちは。36.5のご用意がございます。", "ctrl+s")
        await wait_until(pilot, lambda: not ws.state.pending, what="reply sent")
        await pilot.press("ctrl+e")
        await wait_until(pilot, lambda: isinstance(app.screen, DebriefScreen), timeout=20, what="debrief")
        text = screen_text(app)
        assert app.debrief is not None and f"Debrief: {app.debrief.score}/10" in text
        passed = {c.kind for c, ok, _ in app.debrief.results if ok}
        assert {"greeted_by_name", "offered_size", "respected_contact_preference"} <= passed
        assert "shared_in_stock" not in passed and "no product card was shared" in text
