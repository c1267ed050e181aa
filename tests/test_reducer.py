"""The reducer: pure, ordered, each event once; local events for connection and outbox."""

from __future__ import annotations

from datetime import datetime, timezone

from advisor_console.domain import events as ev
from advisor_console.domain.reducer import WorkspaceState, apply, reduce

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc).isoformat()


def conv(cid: int = 1, **over: object) -> dict:
    base = {
        "id": cid, "client_id": 10, "client_name": "Yuki Tanaka", "client_native_name": "田中 由紀", "channel": "whatsapp",
        "language": "ja", "hub": "TYO", "created_at": T0, "last_activity_at": T0, "status": "queued",
    }
    return {**base, **over}


def msg(mid: int, cid: int = 1, body: str = "こんにちは", kind: str = "inbound") -> dict:
    return {"id": mid, "conversation_id": cid, "kind": kind, "body": body, "author": "client", "at": T0}


def event(seq: int, etype: str, **data: object) -> dict:
    return {"seq": seq, "type": etype, "at": T0, "actor": "x", "data": data}


def log() -> list[dict]:
    return [
        event(1, ev.CONVERSATION_CREATED, conversation=conv()),
        event(2, ev.MESSAGE_CREATED, conversation=conv(preview="こんにちは"), message=msg(1)),
        event(3, ev.CONVERSATION_CLAIMED, conversation=conv(status="assigned", assignee="ann")),
        event(4, ev.MESSAGE_CREATED, conversation=conv(status="assigned", assignee="ann"), message=msg(2, body="Hello", kind="reply")),
    ]


def test_reduce_builds_queue_and_thread() -> None:
    state = reduce(log())
    assert state.last_seq == 4
    c = state.conversations[1]
    assert c.assignee == "ann" and c.status == "assigned"
    assert [m.body for m in state.threads[1]] == ["こんにちは", "Hello"]
    assert 1 in state.complete_threads


def test_each_event_applies_once_and_replay_is_deterministic() -> None:
    events = log()
    once = reduce(events)
    twice = reduce(events + events)
    assert [m.id for m in twice.threads[1]] == [m.id for m in once.threads[1]]
    assert reduce(events).conversations == once.conversations


def test_changes_report_what_was_touched() -> None:
    state = WorkspaceState()
    apply(state, log()[0])
    changes = state.take_changes()
    assert changes.queue and changes.conversations == {1}
    assert not state.take_changes()


def test_conversation_first_seen_mid_life_is_partial_until_loaded() -> None:
    state = reduce([event(9, ev.CONVERSATION_TRANSFERRED, conversation=conv(hub="SEL"))])
    assert 1 in state.conversations and 1 not in state.complete_threads
    detail = {**conv(hub="SEL"), "messages": [msg(1), msg(2, body="Hello", kind="reply")]}
    apply(state, {"seq": 0, "type": ev.LOCAL_THREAD_LOADED, "at": T0, "actor": "local", "data": {"conversation": detail}})
    assert 1 in state.complete_threads and len(state.threads[1]) == 2


def test_local_connection_outbox_and_notices() -> None:
    state = WorkspaceState()
    apply(state, {"seq": 0, "type": ev.LOCAL_CONNECTION, "at": T0, "actor": "local", "data": {"state": "offline", "detail": "down"}})
    apply(state, {"seq": 0, "type": ev.LOCAL_OUTBOX, "at": T0, "actor": "local", "data": {"pending": [{"key": "k", "op": "message", "conversation_id": 1, "body": "hi"}]}})
    apply(state, {"seq": 0, "type": ev.LOCAL_NOTICE, "at": T0, "actor": "local", "data": {"level": "error", "text": "Claim refused"}})
    assert state.connection == "offline" and state.pending_for(1)[0].body == "hi"
    assert state.pop_notices() == [("error", "Claim refused")] and state.notices == []
    assert state.last_seq == 0  # local events never move the cursor
