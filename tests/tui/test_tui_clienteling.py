"""Clienteling in the workstation (issue 5), over fixed data (snapshot_app) and a fixed
clock: the client 360 extras, consent explained in the composer, the Today view and
try-on selections."""

from __future__ import annotations

import re
from typing import Any

from snapshot_app import make_app
from tui_helpers import open_conversation, screen_text, wait_until

SIZE = (160, 48)


def _commands(app: Any, op: str) -> list[dict[str, Any]]:
    return [payload for name, payload in app.workspace.commands if name == op]


def _client360_text(app: Any) -> str:
    """The whole client 360 pane as text (it scrolls: the screen shows only its top)."""
    import io

    from rich.console import Console

    from advisor_console.tui.widgets.client360 import Client360Pane

    pane = app.screen.query_one(Client360Pane)
    console = Console(width=pane.content_region.width, file=io.StringIO(), record=True)
    console.print(pane.render_client(pane.client))
    return console.export_text(styles=False)


async def test_client_360_shows_local_time_advisor_birthday_contacts_and_recent_conversations() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_conversation(pilot, 1)
        await wait_until(pilot, lambda: "Yuki Tanaka" in screen_text(app), what="client 360")
        text = _client360_text(app)
        assert "Her time Mon 18:00" in text and "Asia/Tokyo" in text
        assert "Lifetime spend ￥493,000" in text
        assert "Personal advisor Aiko Mori (you)" in text
        assert "Birthday 29 November" in text and "this month" in text
        assert "contacted 2/2 this month · last 1h ago" in text
        assert "Recent conversations" in text and "✉ email · ✓ resolved · 31d ago" in text
        assert re.search(r"shoes +EU 37 · US 6.5 · JP 23.5", text)
        # The preview is the client's text: escapes and bidi overrides become placeholders.
        assert "\x1b" not in text and "␛[31mscarf⟨U+202E⟩" in text.replace("\n", "")


async def test_client_360_local_time_follows_her_country() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("3")
        await pilot.pause()
        await open_conversation(pilot, 2)  # Marco Rossi, Italy, served by Tokyo
        await wait_until(pilot, lambda: "Marco Rossi" in screen_text(app), what="client 360")
        text = _client360_text(app)
        assert "Her time Mon 10:00" in text and "Europe/Rome" in text
        assert "Personal advisor none" in text and "Birthday" not in text


async def test_composer_explains_before_writing_why_she_may_not_be_contacted() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_conversation(pilot, 1)  # Yuki Tanaka on WhatsApp, at her monthly cap
        await pilot.press("r")
        composer = app.screen.composer
        await wait_until(pilot, lambda: "⚠" in str(composer.border_subtitle), what="consent notice")
        assert "not to be contacted more than 2 times a month" in str(composer.border_subtitle)
        assert composer.has_class("-refused")
        assert app.workspace.contact_checks == [(101, "whatsapp")]
        composer.action_toggle_mode()  # an internal note is not a contact
        await pilot.pause()
        assert "⚠" not in str(composer.border_subtitle or "")
        await pilot.press("escape")
        await pilot.press("1")
        await open_conversation(pilot, 6)  # José Nuñez: WhatsApp consented, no contact yet
        await pilot.press("r")
        await wait_until(pilot, lambda: (106, "whatsapp") in app.workspace.contact_checks, what="check asked")
        await pilot.pause()
        assert "⚠" not in str(composer.border_subtitle or "")


async def test_contact_check_is_reused_for_a_minute_per_client_and_channel(monkeypatch: Any) -> None:
    from advisor_console.client import workspace as ws_mod
    from advisor_console.client.workspace import Workspace

    calls: list[tuple[str, Any]] = []

    class Api:
        async def get_json(self, path: str, params: Any = None) -> dict[str, Any]:
            calls.append((path, params))
            return {"allowed": False, "code": "consent_refused", "reason": "no", "channel": params["channel"], "contacts_this_month": 0}

    clock = [1000.0]
    monkeypatch.setattr(ws_mod.time, "monotonic", lambda: clock[0])
    ws = Workspace.__new__(Workspace)
    ws.api, ws._contact_checks = Api(), {}
    first = await ws.contact_check(7, "email")
    assert first is not None and not first.allowed and first.code == "consent_refused"
    await ws.contact_check(7, "email")
    await ws.contact_check(7, "whatsapp")
    assert [p["channel"] for _, p in calls] == ["email", "whatsapp"]
    assert calls[0][0] == "/api/v1/clients/7/contact-check"
    clock[0] += 61
    await ws.contact_check(7, "email")
    assert len(calls) == 3


async def test_today_lists_due_tasks_in_both_zones_and_opens_her_conversation() -> None:
    from advisor_console.tui.screens.today import TodayScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+y")
        await wait_until(pilot, lambda: isinstance(app.screen, TodayScreen), what="today view")
        text = screen_text(app)
        assert "4 due today, 1 overdue" in text
        lines = [line for line in text.splitlines() if "TYO" in line and ("Tanaka" in line or "Rossi" in line or "Kim" in line or "Dubois" in line)]
        assert "⚠ overdue" in lines[0] and "15:00 TYO" in lines[0] and "Yuki Tanaka" in lines[0]  # overdue first
        rossi = next(line for line in lines if "Marco Rossi" in line)
        assert "22:30 TYO" in rossi and "14:30 FLR" in rossi and "follow up:" in rossi
        assert "␛[2Jdelivery" in rossi  # the title is text, escapes shown
        kim = next(line for line in lines if "Kim Seo-yeon" in line)
        assert "20:00 TYO" in kim and "20:00 SEL" in kim
        # Filter to Kim and open her (phone) conversation (the first thing offered).
        await pilot.press(*"kim", "enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, TodayScreen), what="today closed")
        assert "Open her conversation" in screen_text(app)
        await pilot.press("enter")
        await wait_until(pilot, lambda: getattr(app.screen, "open_id", None) == 3, what="her conversation open")
        # A client without a conversation here: told so.
        await pilot.press("ctrl+y")
        await wait_until(pilot, lambda: isinstance(app.screen, TodayScreen), what="today view")
        await pilot.press(*"dubois", "enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, TodayScreen), what="today closed")
        await pilot.press("enter")
        await wait_until(pilot, lambda: hasattr(app.screen, "open_id"), what="back to the workspace")
        assert app.screen.open_id == 3
        from tui_helpers import notifications

        assert any("No conversation with Camille Dubois" in n for n in notifications(app))


async def test_today_is_in_the_palette() -> None:
    from advisor_console.tui.commands import WORKSPACE_COMMANDS
    from advisor_console.tui.keys import SCREEN_BINDINGS

    assert ("today", "Today: my due tasks") in [(a, t) for a, t, _ in WORKSPACE_COMMANDS]
    assert any(b.id == "workspace.today" and b.key == "ctrl+y" for b in SCREEN_BINDINGS)


async def test_tryon_selection_from_the_lookbook() -> None:
    from advisor_console.tui.screens.prompts import TextPromptScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await open_conversation(pilot, 1)
        await pilot.press("l", *"duomo")
        lookbook = app.screen.lookbook
        await wait_until(pilot, lambda: lookbook._searched == "duomo" and not lookbook.searching, what="results")
        await pilot.press("enter")  # to the results
        await pilot.pause()
        await pilot.press("t")
        await wait_until(pilot, lambda: isinstance(app.screen, TextPromptScreen), what="sizes prompt")
        assert app.screen.value == "37"  # her shoe size, in stock
        await pilot.press("end", *", 38", "enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, TextPromptScreen), what="prompt closed")
        assert app.screen.tryon[1] == [{"sku": "SHO-0101", "name": "Duomo Loafer", "sizes": ["37", "38"]}]
        await pilot.press("T")
        await pilot.pause()
        assert _commands(app, "tryon") == [{"conversation_id": 1, "items": [{"sku": "SHO-0101", "sizes": ["37", "38"]}]}]
        assert 1 not in app.screen.tryon


def test_tryon_card_height_matches_its_drawing() -> None:
    from advisor_console.tui.widgets.thread import block_height, Block, cards_of

    att = {"type": "tryon", "name": "Try-on selection: 2 pieces", "data": {"selection_id": 1, "items": [
        {"sku": "SHO-0101", "name": "Duomo Loafer", "sizes": ["37", "38"], "price": "¥115,000"},
        {"sku": "SCA-0003", "name": "Silk \x1b[2J Scarf", "sizes": [], "price": "¥58,000"}]}}
    cards = cards_of([att])
    assert cards[0].kind == "tryon" and cards[0].items[0] == "Duomo Loafer · size 37, 38 · ¥115,000"
    assert block_height(Block(key="m", kind="reply", author="a", time="t", body="", cards=cards), 80) == 1 + 5 + 1


async def test_call_list_writes_to_a_client_who_may_be_contacted_and_explains_a_refusal() -> None:
    from advisor_console.tui.screens.call_list import CallListScreen
    from tui_helpers import notifications

    app = make_app()
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await pilot.press("ctrl+k")
        await wait_until(pilot, lambda: isinstance(app.screen, CallListScreen) and app.screen.items, what="call list")
        assert app.workspace.call_lists[-1]["vic_tier"] == "gold,platinum,black" and app.workspace.call_lists[-1]["bought_within_days"] == 365
        await pilot.press("enter")  # Yuki Tanaka: at her monthly cap
        await wait_until(pilot, lambda: any("already contacted 2 times" in n for n in notifications(app)), what="refusal told")
        assert isinstance(app.screen, CallListScreen) and not _commands(app, "outreach")
        await pilot.press("down", "w")  # Kim Seo-yeon may be contacted on chat
        await wait_until(pilot, lambda: "Write to Kim Seo-yeon (chat)" in screen_text(app), what="write prompt")
        await pilot.press("enter")
        assert "Write something first." in screen_text(app)
        await pilot.press(*"안녕하세요", "enter")
        await wait_until(pilot, lambda: _commands(app, "outreach"), what="outreach queued")
        assert _commands(app, "outreach") == [{"conversation_id": None, "client_id": 103, "channel": "chat", "body": "안녕하세요"}]


async def test_today_task_done_with_an_outcome() -> None:
    from advisor_console.tui.screens.today import TodayScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+y")
        await wait_until(pilot, lambda: isinstance(app.screen, TodayScreen), what="today view")
        await pilot.press(*"marco", "enter")
        await wait_until(pilot, lambda: "Done: log the outcome" in screen_text(app), what="task actions")
        await pilot.press("down", "enter")
        from advisor_console.tui.screens.prompts import TextPromptScreen

        await wait_until(pilot, lambda: isinstance(app.screen, TextPromptScreen) and "history)" in screen_text(app), what="outcome prompt")
        await pilot.press(*"Delivered Friday, she is happy", "enter")
        await wait_until(pilot, lambda: _commands(app, "task_update"), what="task done")
        assert _commands(app, "task_update")[0]["done"] is True and _commands(app, "task_update")[0]["outcome"] == "Delivered Friday, she is happy"


async def test_client_360_purchases_sort_and_notes_edit() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_conversation(pilot, 1)
        await wait_until(pilot, lambda: "Yuki Tanaka" in _client360_text(app), what="client 360")

        def ordered() -> list[str]:
            text = _client360_text(app)
            tail = text[text.index("Purchases"):]
            return sorted(("Silk Twill Scarf", "Duomo Loafer", "Arno Leather"), key=tail.index)

        assert "newest first" in _client360_text(app) and ordered() == ["Silk Twill Scarf", "Duomo Loafer", "Arno Leather"]
        await pilot.press("i", "s")
        assert "highest price first" in _client360_text(app) and ordered() == ["Arno Leather", "Duomo Loafer", "Silk Twill Scarf"]
        await pilot.press("s", "s")
        assert "returns first" in _client360_text(app) and ordered()[0] == "Duomo Loafer"

        await pilot.press("e")
        await wait_until(pilot, lambda: app.screen.query("#notes-text"), what="notes editor")
        await pilot.press("enter", *"Wears 37 in Duomo", "ctrl+s")
        await wait_until(pilot, lambda: _commands(app, "client_notes"), what="notes saved")
        assert _commands(app, "client_notes")[0]["notes"] == "Travels to Kyoto often. Prefers quiet colours.\nWears 37 in Duomo"
        assert "Wears 37 in Duomo" in _client360_text(app)
        await pilot.press("escape")
        assert app.screen.queue.list.has_focus


async def test_new_video_appointment_for_the_open_client() -> None:
    """a: a video appointment for Yuki Tanaka, tomorrow 11:00 Tokyo time, with its link."""
    from advisor_console.tui.screens.prompts import ChoiceScreen, TextPromptScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_conversation(pilot, 1)
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, ChoiceScreen), what="kinds")
        await pilot.press("down", "down", "down", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, TextPromptScreen) and app.screen.query_one("#prompt-input").value == "Video appointment with Yuki Tanaka", what="title")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "18:00 for her (Asia/Tokyo)" in screen_text(app), what="when prompt, her time shown")
        await pilot.press("ctrl+a", "ctrl+k", *"tomorrow 11:00", "enter")
        await wait_until(pilot, lambda: "Video link" in screen_text(app), what="link prompt")
        await pilot.press(*"http://x", "enter")
        assert "starts with https://" in screen_text(app)
        await pilot.press("ctrl+a", "ctrl+k", *"https://meet.example/yuki", "enter")
        await wait_until(pilot, lambda: _commands(app, "task_create"), what="task queued")
        task = _commands(app, "task_create")[0]
        assert task["kind"] == "appointment" and task["appointment_kind"] == "video" and task["video_link"] == "https://meet.example/yuki"
        assert task["due"] == "2026-11-24T02:00:00+00:00"  # 11:00 in Tokyo
