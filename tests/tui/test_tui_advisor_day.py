"""The advisor's day with the keyboard (issue 4), over fixed data (snapshot_app) and a fixed
clock: queue search, filters, sort, unread, selection and bulk actions; snooze, transfer,
tags and priority; the composer's canned replies, product cards, quotes and scheduled
send; WhatsApp's window; colleagues' presence and the collision warning; notifications;
call notes; help. Commands are checked as the workspace receives them (the live tests,
test_tui_live_day.py, check them against the real server)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from advisor_console.domain import events as ev
from advisor_console.tui.screens.confirm import ConfirmScreen
from advisor_console.tui.screens.help import HelpScreen
from advisor_console.tui.screens.prompts import ChoiceScreen, FilterScreen, SearchPickScreen, TextPromptScreen
from advisor_console.tui.widgets.composer import Composer
from advisor_console.tui.widgets.queue import QueueList
from snapshot_app import COLLEAGUE, NOW, make_app
from tui_helpers import notifications, open_conversation, screen_text, wait_until

SIZE = (160, 48)


def _commands(app: Any, op: str) -> list[dict[str, Any]]:
    return [payload for name, payload in app.workspace.commands if name == op]


async def _tab(pilot: Any, key: str) -> None:
    await pilot.press(key)
    await pilot.pause()


def _rows(app: Any) -> list[int]:
    return list(app.screen.queue._ids)


async def test_search_by_latin_and_native_names() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _tab(pilot, "3")
        assert len(_rows(app)) == 7
        await pilot.press("slash")
        assert app.focused.id == "queue-search"
        await pilot.press(*"田中")
        await wait_until(pilot, lambda: _rows(app) == [1], what="native-script match")
        await pilot.press("backspace", "backspace", *"jose")
        await wait_until(pilot, lambda: _rows(app) == [6], what="accent-folded match")
        assert "“jose”" in str(app.screen.queue.border_subtitle)
        await pilot.press("escape")
        assert isinstance(app.focused, QueueList) and len(_rows(app)) == 7


async def test_filters_and_sort_are_remembered_across_restarts(tmp_path: Path) -> None:
    app = make_app(cache_dir=tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        await _tab(pilot, "3")
        await pilot.press("f")
        await wait_until(pilot, lambda: isinstance(app.screen, FilterScreen), what="filter dialog")
        dialog = app.screen
        dialog.query_one("#filter-channel").select("whatsapp")
        await pilot.press("down", "space")  # the sort list has focus: longest waiting -> priority
        assert dialog.query_one("#filter-sort").selected == ["priority"]
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, FilterScreen), what="dialog closed")
        assert sorted(_rows(app)) == [1, 6]
        assert "channel: whatsapp" in str(app.screen.queue.border_subtitle)
        await pilot.press("o")  # priority -> last activity
        assert app.screen.queue.view.sort == "activity"
    again = make_app(cache_dir=tmp_path)
    async with again.run_test(size=SIZE) as pilot:
        await pilot.pause()
        view = again.screen.queue.view
        assert (view.tab, view.sort, view.filters) == ("all", "activity", {"channel": {"whatsapp"}})
        assert sorted(_rows(again)) == [1, 6]
        assert "All" in str(again.screen.query_one("#tab-all").label) and again.screen.queue.tab == "all"


async def test_unread_badges_read_on_open_and_mark_unread() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        ws = app.workspace
        await _tab(pilot, "1")
        assert ws.unread(1) == 1 and ws.unread(6) == 1 and ws.unread(4) == 0  # client messages nobody answered yet
        assert "Mine 3 ●2" == str(app.screen.query_one("#tab-mine").label)
        await open_conversation(pilot, 1)
        assert ws.unread(1) == 0
        await pilot.press("ctrl+o")
        app.screen.queue.highlight(1)
        await pilot.press("u")
        assert ws.unread(1) == 1 and ws.state.read_marks[1][1] is True
        await pilot.press("u")
        assert ws.unread(1) == 0
        # A new client message in the open conversation is read at once; in another, it counts.
        ws.feed([_inbound(1, 9001, "追加の質問です"), _inbound(6, 9002, "¿Y en negro?")])
        await pilot.pause()
        assert ws.unread(1) == 0 and ws.unread(6) == 2  # 6 was never opened: client messages since the last answer


def _inbound(conv_id: int, message_id: int, body: str, seq: int | None = None, author: str = "client", kind: str = "inbound") -> dict[str, Any]:
    conv = {"id": conv_id, "client_id": 100 + conv_id, "client_name": {1: "Yuki Tanaka", 4: "Li Wei", 2: "Marco Rossi", 7: "x"}.get(conv_id, "C"),
            "channel": "chat", "status": "assigned", "language": "ja", "hub": "TYO", "assignee": "advisor",
            "created_at": NOW.isoformat(), "last_activity_at": NOW.isoformat(), "last_inbound_at": NOW.isoformat()}
    message = {"id": message_id, "conversation_id": conv_id, "kind": kind, "body": body, "author": author, "at": NOW.isoformat()}
    return {"seq": seq or message_id, "type": ev.MESSAGE_CREATED, "at": NOW.isoformat(), "actor": author, "data": {"conversation": conv, "message": message}}


async def test_bulk_select_then_resolve_tag_and_mark_read() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _tab(pilot, "2")
        first, second = _rows(app)[:2]
        app.screen.queue.list.highlighted = 0
        await pilot.press("space", "space")
        assert app.screen.queue.selected == {first, second}
        assert "2 selected" in str(app.screen.queue.border_subtitle)
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, TextPromptScreen), what="tags prompt")
        await pilot.press(*"VIP-event, gift", "enter")
        await pilot.pause()
        tags = {p["conversation_id"]: p["tags"] for p in _commands(app, "conversation_update")}
        assert set(tags) == {first, second} and all({"vip-event", "gift"} <= set(t) for t in tags.values())
        await pilot.press("R")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="bulk confirmation")
        assert "Resolve 2 conversations" in screen_text(app)
        await pilot.press("y")
        await pilot.pause()
        assert sorted(p["conversation_id"] for p in _commands(app, "resolve")) == sorted([first, second])
        assert app.screen.queue.selected == set()


async def test_resolve_needs_confirmation_and_n_cancels() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _tab(pilot, "1")
        await pilot.press("R")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="confirmation")
        await pilot.press("n")
        await pilot.pause()
        assert _commands(app, "resolve") == []


async def test_priority_snooze_until_a_time_and_transfer_with_a_note() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _tab(pilot, "1")
        cid = app.screen.queue.highlighted_id
        await pilot.press("p")
        assert _commands(app, "conversation_update")[-1] == {"conversation_id": cid, "priority": app.workspace.state.conversations[cid].priority + 1}
        await pilot.press("z")
        await wait_until(pilot, lambda: isinstance(app.screen, TextPromptScreen), what="snooze prompt")
        prompt = app.screen
        await pilot.press("ctrl+a", "ctrl+k", *"whenever", "enter")
        await pilot.pause()
        assert app.screen is prompt and "Not a time I understand" in screen_text(app)
        await pilot.press(*["backspace"] * 8, *"tomorrow 9:00", "enter")
        await pilot.pause()
        snooze = _commands(app, "snooze")[-1]
        assert snooze["conversation_id"] == cid and snooze["until"] == "2026-11-24T00:00:00+00:00"  # 9:00 in Tokyo
        await pilot.press("T")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen), what="transfer targets")
        await pilot.press(*"kenji", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, TextPromptScreen), what="transfer note")
        await pilot.press(*"Speaks Chinese; VIC", "enter")
        await pilot.pause()
        assert _commands(app, "transfer")[-1] == {"conversation_id": cid, "to_advisor": COLLEAGUE.username, "to_hub": None, "note": "Speaks Chinese; VIC"}


async def test_canned_reply_with_placeholders_then_send_as_template() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _tab(pilot, "1")
        await open_conversation(pilot, 1)
        await pilot.press("r", "slash")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen), what="canned replies")
        assert "ご挨拶" in screen_text(app)
        await pilot.press("enter")
        await pilot.pause()
        composer = app.screen.query_one(Composer)
        assert composer.text == "田中 由紀様、お問い合わせありがとうございます。Aikoがご案内いたします。"
        assert composer.template == "ja-greeting" and "template" in str(composer.border_subtitle)
        await pilot.press("ctrl+s")
        await pilot.pause()
        sent = _commands(app, "message")[-1]
        assert sent["template"] == "ja-greeting" and sent["body"].startswith("田中 由紀様")


async def test_at_attaches_a_product_card_and_q_quotes_a_message() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _tab(pilot, "1")
        await open_conversation(pilot, 1)
        await pilot.press("q")  # focus is in the thread
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen), what="messages to quote")
        await pilot.press("enter")  # the latest message: the client's question
        await wait_until(pilot, lambda: isinstance(app.focused, Composer), what="composer")
        await pilot.press(*"ベージュもございます ", "@")
        await wait_until(pilot, lambda: isinstance(app.screen, SearchPickScreen), what="product picker")
        await pilot.press(*"siena")
        await wait_until(pilot, lambda: app.screen.results and "Siena" in app.screen.results[0][0].name, what="products")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.focused, Composer), what="composer again")
        composer = app.screen.query_one(Composer)
        assert "quoting Yuki Tanaka" in str(composer.border_subtitle) and "◆ Siena" in str(composer.border_subtitle)
        await pilot.press("ctrl+s")
        await pilot.pause()
        sent = _commands(app, "message")[-1]
        last_inbound = max(m.id for m in app.workspace.state.threads[1] if m.kind.value == "inbound")
        assert sent["quote_message_id"] == last_inbound
        assert sent["attachments"][0]["type"] == "product_card" and sent["attachments"][0]["sku"].startswith("BAG")
        assert composer.cards == [] and composer.quote is None


async def test_send_later_asks_for_a_time() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _tab(pilot, "1")
        await open_conversation(pilot, 4)
        await pilot.press("r", *"明天见", "ctrl+t")
        await wait_until(pilot, lambda: isinstance(app.screen, TextPromptScreen), what="when")
        await pilot.press("ctrl+a", "ctrl+k", *"45m", "enter")
        await pilot.pause()
        sent = _commands(app, "message")[-1]
        assert sent["send_at"] == (NOW + timedelta(minutes=45)).isoformat() and sent["body"] == "明天见"


async def test_whatsapp_window_closed_only_templates() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        ws = app.workspace
        conv = ws.state.conversations[6]
        ws.feed([{"seq": 5000, "type": ev.CONVERSATION_UPDATED, "at": NOW.isoformat(), "actor": "x",
                  "data": {"conversation": {**conv.model_dump(mode="json"), "window_closes_at": (NOW - timedelta(hours=1)).isoformat()}}}])
        await _tab(pilot, "1")
        await open_conversation(pilot, 6)
        assert "WhatsApp window closed: templates only" in screen_text(app)
        await pilot.press("r", *"Hola", "ctrl+s")
        await pilot.pause()
        assert _commands(app, "message") == []
        assert any("only an approved template" in n for n in notifications(app))
        await pilot.press("ctrl+n", "ctrl+s")  # an internal note is always fine
        await pilot.pause()
        assert _commands(app, "message")[-1]["kind"] == "note"


async def test_presence_shown_and_collision_warned() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        ws = app.workspace
        await _tab(pilot, "1")
        await open_conversation(pilot, 4)
        await wait_until(pilot, lambda: (4, "viewing") in ws.presence_calls, what="viewing announced")
        ws.feed([ev.local_event(ev.PRESENCE, {"conversation_id": 4, "advisors": [{"username": COLLEAGUE.username, "name": COLLEAGUE.name, "state": "typing", "since": NOW.isoformat()}]})])
        await wait_until(pilot, lambda: "Kenji Watanabe typing…" in screen_text(app), what="presence in the title")
        await pilot.press("r", *"好的")
        await wait_until(pilot, lambda: (4, "typing") in ws.presence_calls, what="typing announced")
        ws.feed([_inbound(4, 9100, "我来回答吧", author=COLLEAGUE.username, kind="reply")])
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="collision warning")
        assert "Kenji Watanabe has just answered" in screen_text(app)
        await pilot.press("y")
        await pilot.pause()
        assert _commands(app, "message")[-1]["body"] == "好的"


async def test_new_message_elsewhere_rings_and_toasts_by_settings() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        ws = app.workspace
        bells: list[int] = []
        app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
        await _tab(pilot, "1")
        await open_conversation(pilot, 1)
        ws.feed([_inbound(4, 9200, "在吗？")])  # Li Wei is mine: notified
        await wait_until(pilot, lambda: bells, what="bell")
        assert any("在吗" in n for n in notifications(app))
        ws.feed([_inbound(1, 9201, "open one")])  # the open conversation: no bell
        await pilot.pause()
        assert len(bells) == 1
        settings = ws.notification_settings()
        settings.bell = False
        ws.save_notification_settings(settings)
        ws.feed([_inbound(4, 9202, "quiet")])
        await pilot.pause()
        assert len(bells) == 1 and any("quiet" in n for n in notifications(app))


async def test_call_note_with_outcome_and_callback_on_a_phone_conversation() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await _tab(pilot, "3")
        app.screen.queue.highlight(3)
        await pilot.press("L")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen), what="outcomes")
        await pilot.press("down", "enter")  # no answer
        await wait_until(pilot, lambda: isinstance(app.screen, TextPromptScreen), what="call note")
        await pilot.press(*"Rang twice", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, TextPromptScreen) and "callback" in str(app.screen.title_text).lower(), what="callback")
        await pilot.press("enter")  # the proposed "tomorrow 10:00"
        await pilot.pause()
        note = _commands(app, "message")[-1]
        assert (note["kind"], note["outcome"], note["body"]) == ("call_note", "no_answer", "Rang twice")
        task = _commands(app, "task_create")[-1]
        assert task["kind"] == "callback" and task["due"] == "2026-11-24T01:00:00+00:00"


@pytest.mark.parametrize("key", ["question_mark", "f1"])
async def test_help_lists_every_key(key: str) -> None:
    from advisor_console.tui import keys

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(key)
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), what="help")
        text = screen_text(app)
        for binding in keys.CONVERSATION_BINDINGS + keys.QUEUE_BINDINGS[:8]:
            assert binding.description in text, binding.description
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_every_workspace_action_is_in_the_palette() -> None:
    from advisor_console.tui import keys
    from advisor_console.tui.commands import WORKSPACE_COMMANDS

    in_palette = {action.partition("(")[0].removeprefix("app.") for action, _, _ in WORKSPACE_COMMANDS}
    for binding in keys.CONVERSATION_BINDINGS + keys.QUEUE_BINDINGS + keys.THREAD_BINDINGS:
        action = binding.action.removeprefix("screen.").partition("(")[0]
        if binding.action.startswith("screen."):
            assert action in in_palette or action in ("lookbook",), binding.action


async def test_a_trainer_is_not_offered_write_keys() -> None:
    from snapshot_app import FakeWorkspace

    from advisor_console.config import Settings
    from advisor_console.domain.models import Advisor
    from advisor_console.tui.app import AdvisorApp

    trainer = Advisor(id=3, username="trainer", name="Beatrice Landi", hub="FLR", role="trainer")
    app = AdvisorApp(FakeWorkspace(me=trainer), Settings(), clock=lambda: NOW)
    async with app.run_test(size=SIZE) as pilot:
        await _tab(pilot, "3")
        await open_conversation(pilot, 1)
        await pilot.press("c", "r", "R", "z")
        await pilot.pause()
        assert app.workspace.commands == [] and not isinstance(app.screen, (ConfirmScreen, TextPromptScreen))
        footer = screen_text(app).splitlines()[-1]
        assert "Claim" not in footer and "Reply" not in footer and "Help" in footer
