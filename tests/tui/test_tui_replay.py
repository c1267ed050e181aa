"""Replay (issue 7): a recording shown in the same workstation with no server. The player
folds events with the same reducer as live (stepping back gives exactly the state of
folding fewer events), the controls work from the keyboard, bad files get a sentence,
and nothing is written anywhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from advisor_console.domain.reducer import WorkspaceState, apply
from advisor_console.replay.player import RecordingError, load_recording
from advisor_console.tui.replay import ReplayApp, seek_target
from snapshot_app import CLIENTS, COLLEAGUE, ME, client_360, fixed_events, make_app
from tui_helpers import open_conversation, screen_text, wait_until

SIZE = (160, 48)


def write_recording(path: Path, events: list[dict[str, Any]] | None = None) -> Path:
    """The fixed session of the snapshot app as a recording file."""
    lines = [{"format": "advisor-console-recording", "version": 1, "masked": False, "selection": {"advisor": ME.username}}]
    lines += [{"record": "document", "kind": "advisor", "id": a.username, "data": a.model_dump(mode="json")} for a in (ME, COLLEAGUE)]
    lines += [{"record": "document", "kind": "client", "id": cid, "data": c.model_dump(mode="json")} for cid in CLIENTS if (c := client_360(cid))]
    lines += events if events is not None else fixed_events()
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    return path


def _folded(events: list[dict[str, Any]]) -> WorkspaceState:
    state = WorkspaceState()
    for event in events:
        apply(state, event)
    return state


def _comparable(state: WorkspaceState) -> tuple[Any, ...]:
    return (
        {k: v.model_dump() for k, v in state.conversations.items()},
        {k: [m.model_dump() for m in v] for k, v in state.threads.items()},
    )


async def test_player_steps_and_seeks_back_to_exactly_the_folded_state(tmp_path: Path) -> None:
    recording = load_recording(write_recording(tmp_path / "r.jsonl"))
    app = ReplayApp(recording, play=False)
    async with app.run_test(size=SIZE) as pilot:
        player = app.player
        assert player.position == 0 and not app.workspace.state.conversations
        for _ in range(5):
            await pilot.press("full_stop")
        assert player.position == 5
        assert _comparable(app.workspace.state) == _comparable(_folded(recording.events[:5]))
        await pilot.press("G")
        assert player.position == len(recording.events)
        assert _comparable(app.workspace.state) == _comparable(_folded(recording.events))
        await pilot.press("comma", "comma")
        assert _comparable(app.workspace.state) == _comparable(_folded(recording.events[:-2]))
        await pilot.press("left_square_bracket")
        n = len(recording.events)
        assert player.position == round(((n - 2) / n - 0.1) * n)
        assert _comparable(app.workspace.state) == _comparable(_folded(recording.events[: player.position]))
        await pilot.press("g")
        assert player.position == 0 and not app.workspace.state.conversations
        # Speed: 0.5x to 16x, clamped.
        for _ in range(8):
            await pilot.press("plus")
        assert player.speed == 16
        for _ in range(8):
            await pilot.press("minus")
        assert player.speed == 0.5
        assert "0.5x · event 0/" in screen_text(app)


async def test_playing_reaches_the_end_and_the_screen_equals_the_live_one(tmp_path: Path) -> None:
    """Played to its end at 16x, the replay shows the same queue and thread as the live
    workstation over the same events (the same widgets: no second rendering path)."""
    recording = load_recording(write_recording(tmp_path / "r.jsonl"))
    replay = ReplayApp(recording, speed=16, play=True)
    async with replay.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: replay.player.done and not replay.player.playing, timeout=30, what="the end")
        assert "■ end" in screen_text(replay)
        await pilot.press("1")  # the Mine tab (the replay started empty, on the hub's)
        await open_conversation(pilot, 1)
        await pilot.pause(0.2)
        replayed = screen_text(replay).splitlines()
    live = make_app()
    live.clock = lambda: recording.end  # the replay's clock is the recording's time
    async with live.run_test(size=SIZE) as pilot:
        await open_conversation(pilot, 1)
        await pilot.pause(0.2)
        shown = screen_text(live).splitlines()
    # The panes (queue, thread, client 360) are the same; header clocks, status line, the
    # composer (read-only replay) and the key bars differ.
    body = slice(2, 30)
    assert [line[:44] for line in replayed[body]] == [line[:44] for line in shown[body]]  # the queue
    assert [line[44:112] for line in replayed[2:22]] == [line[44:112] for line in shown[2:22]]  # the thread


async def test_replay_is_read_only_and_the_lookbook_says_it_needs_a_server(tmp_path: Path) -> None:
    recording = load_recording(write_recording(tmp_path / "r.jsonl"))
    app = ReplayApp(recording, play=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("G", "1")
        await open_conversation(pilot, 1)
        assert not app.screen.composer.display
        for key in ("c", "r", "n", "R", "z"):
            await pilot.press(key)
        await pilot.pause()
        assert app.workspace.cache.pending_items() == [] and not app.workspace.state.pending
        await pilot.press("l")
        await wait_until(pilot, lambda: "needs the server" in screen_text(app), what="lookbook refusal")


def test_seek_targets() -> None:
    from datetime import datetime, timezone

    now = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)  # 18:00 in Tokyo
    assert seek_target("40%", now, "TYO") == 0.4
    assert seek_target("14:30", now, "TYO").isoformat() == "2026-11-23T14:30:00+09:00"
    assert seek_target("2026-11-22 23:15", now, "TYO").isoformat() == "2026-11-22T23:15:00+09:00"
    for bad in ("soon", "140%", "25:00", "x%"):
        with pytest.raises(ValueError):
            seek_target(bad, now, "TYO")


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "is empty"),
        ('{"format": "something-else"}\n', "is not an Advisor Console recording"),
        ('{"format": "advisor-console-recording", "version": 9}\n', "version 9 is not supported"),
        ('{"format": "advisor-console-recording", "version": 1}\nnot json\n', "line 2: not JSON"),
        ('{"format": "advisor-console-recording", "version": 1}\n[1, 2]\n', "line 2: expected a JSON object"),
        ('{"format": "advisor-console-recording", "version": 1}\n{"type": "message.created", "data": {}, "at": "yesterday"}\n', "line 2: the event's time"),
        ('{"format": "advisor-console-recording", "version": 1}\n{"record": "document", "kind": "client"}\n', "line 2: a document needs"),
        ('{"format": "advisor-console-recording", "version": 1}\n{"record": "video"}\n', "unknown record"),
    ],
)
def test_bad_recordings_are_refused_with_a_sentence(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(RecordingError, match=message):
        load_recording(path)


def test_replay_command_refuses_a_bad_file_with_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"\x1b[2J\xff\xfe garbage\n")
    result = subprocess.run([sys.executable, "-m", "advisor_console.cli", "replay", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "not JSON" in result.stderr or "not an Advisor Console recording" in result.stderr
    assert "Traceback" not in result.stderr


async def test_nothing_is_written_anywhere(tmp_path: Path, _isolated_dirs: Path) -> None:
    """A whole replay with theme changes and a conversation opened: HOME stays empty and
    the recording unchanged."""
    path = write_recording(tmp_path / "r.jsonl")
    before = path.read_bytes()
    app = ReplayApp(load_recording(path), speed=16, play=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("G", "1")
        await open_conversation(pilot, 1)
        app.theme = "textual-light"
        await pilot.pause()
    written = [str(p) for p in Path(_isolated_dirs).rglob("*") if p.is_file()]
    assert written == [], written
    assert path.read_bytes() == before
    assert not any(name.startswith("fake-ws-") for name in os.listdir(tmp_path))


async def test_record_then_replay_shows_the_live_session(live_server: Any, make_workspace: Any, tmp_path: Path) -> None:
    """A live session against the real server (claim, reply, note), recorded with
    `advisor-console record`, replayed to its end: the thread pane shows the same lines."""
    from advisor_console.config import Settings
    from advisor_console.tui.app import AdvisorApp

    ws = make_workspace("advisor")
    app = AdvisorApp(ws, Settings())
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: ws.state.connection == "live", what="live")
        await pilot.press("2")
        await pilot.pause()
        conv = next(c for c in app.screen.queue.conversations() if c.status.value == "queued")
        await open_conversation(pilot, conv.id)
        await pilot.press("c")
        await wait_until(pilot, lambda: ws.state.conversations[conv.id].assignee == "advisor" and not ws.state.pending, what="claimed")
        await pilot.press("r", *"Good evening, how may I help?", "ctrl+s")
        await wait_until(pilot, lambda: not ws.state.pending, what="sent")
        await pilot.press("escape", "n", *"Prefers loafers", "ctrl+s")
        await wait_until(pilot, lambda: not ws.state.pending, what="note sent")
        await pilot.press("escape")
        await pilot.pause(0.3)
        live_lines = screen_text(app).splitlines()

    out = tmp_path / "session.jsonl"
    result = subprocess.run([sys.executable, "-m", "advisor_console.cli", "record", "--database-url", live_server.database_url, "--conversation", str(conv.id), "--no-mask", "--out", str(out)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    replay = ReplayApp(load_recording(out), speed=16, play=False)
    async with replay.run_test(size=SIZE) as pilot:
        await pilot.press("G", "1")
        await open_conversation(pilot, conv.id)
        await pilot.pause(0.3)
        replay_lines = screen_text(replay).splitlines()
    # The thread (centre pane) from its title down to the composer: the same lines.
    def thread(lines: list[str]) -> list[str]:
        return [line.split("││")[1].rstrip() for line in lines[2:30] if line.count("││") >= 2]

    assert "Good evening, how may I help?" in "\n".join(thread(replay_lines)) and "Prefers loafers" in "\n".join(thread(replay_lines))
    assert thread(replay_lines) == thread(live_lines)
