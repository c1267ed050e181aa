"""The web chat page end to end, in headless Chromium (Debian's /usr/bin/chromium driven by
playwright; playwright's own browsers are not used) against a real server: the demo shop
embeds the chat; the visitor views products and writes; an advisor answers through the
real API; the visitor sees "typing" and the answer live; the views show in the live
visitors; an invitation shows in the page and accepting it assigns her chat."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from conftest import LiveServer
from support import CHROMIUM, CHROMIUM_ARGS, api_client, chromium_skip_reason, wait_for

pytestmark = pytest.mark.skipif(chromium_skip_reason() is not None, reason=chromium_skip_reason() or "")


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def _visitor(server: LiveServer, visitor_id: int) -> dict[str, Any] | None:
    with api_client(server, "advisor") as adv:
        return next((v for v in adv.get("/api/v1/visitors").json()["items"] if v["id"] == visitor_id), None)




def test_visitor_chats_with_an_advisor_in_the_browser(live_server: LiveServer, browser: Any) -> None:
    errors: list[str] = []
    context = browser.new_context(locale="ja-JP")  # Tokyo's queue: the "advisor" account's hub
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_default_timeout(10_000)
    page.goto(f"{live_server.url}/chat/demo")
    chat = page.frame_locator("#advisor-chat-frame")
    chat.locator("#status").filter(has_text="online").wait_for()
    visitor_id = int(chat.locator("body").get_attribute("data-visitor") or 0)
    first_sku = page.locator("#product-detail").get_attribute("data-sku")

    # Products viewed: the one the page opened on, then two clicked in the catalogue.
    products = page.locator("a.product")
    for i in (3, 5):
        products.nth(i).click()
    clicked = [products.nth(i).get_attribute("data-sku") for i in (3, 5)]
    seen = wait_for(lambda: (v := _visitor(live_server, visitor_id)) and len(v["viewed"]) == 3 and v)
    assert [v["sku"] for v in seen["viewed"]] == [clicked[1], clicked[0], first_sku]
    assert seen["current_sku"] == clicked[1] and seen["current_product"] == products.nth(5).text_content()
    assert seen["current_page"] and seen["current_page"].endswith(f"sku={clicked[1]}")

    # She writes (hostile markup stays text); it lands in the advisor's queue.
    hostile = 'Is it available? <img src=x onerror="window.pwned=1">'
    chat.locator("#input").fill(hostile)
    chat.locator("#send").click()
    chat.locator("#messages li.inbound").filter(has_text="Is it available?").wait_for()
    assert chat.locator("#messages img").count() == 0
    conv_id = wait_for(lambda: (_visitor(live_server, visitor_id) or {}).get("conversation_id"))

    with api_client(live_server, "advisor") as adv:
        detail = adv.get(f"/api/v1/conversations/{conv_id}").json()
        assert detail["channel"] == "chat" and detail["hub"] == "TYO" and detail["messages"][-1]["body"] == hostile
        # She reports typing; the advisor sees it.
        chat.locator("#input").fill("one more thing")
        wait_for(lambda: any(e["username"] == "client" and e["state"] == "typing" for e in adv.get(f"/api/v1/conversations/{conv_id}/presence").json()["advisors"]))
        # The advisor types: she sees it live; then the answer, live; the note never.
        assert adv.post(f"/api/v1/conversations/{conv_id}/presence", json={"state": "typing"}).status_code == 204
        chat.locator("#typing").filter(has_text="Aiko Mori is typing").wait_for()
        assert adv.post(f"/api/v1/conversations/{conv_id}/messages", json={"body": "Internal: check stock in Ginza", "kind": "note"}).status_code == 201
        assert adv.post(f"/api/v1/conversations/{conv_id}/messages", json={"body": "Yes — <b>in black</b>.", "kind": "reply"}).status_code == 201
        assert adv.post(f"/api/v1/conversations/{conv_id}/presence", json={"state": "left"}).status_code == 204
        reply = chat.locator("#messages li.reply")
        reply.wait_for()
        assert "Yes — <b>in black</b>." in reply.inner_text() and "Aiko Mori" in reply.inner_text()
        chat.locator("#typing").wait_for(state="hidden")
        assert "Ginza" not in chat.locator("#messages").inner_text()

        # She gives her email: her conversation is linked to a client of that name.
        chat.locator("#email").fill("hana.browser@example.org")
        chat.locator("#name").fill("Hana Sato")
        chat.locator("#identify").click()
        chat.locator("#signed-in").filter(has_text="Hana Sato").wait_for()
        assert adv.get(f"/api/v1/conversations/{conv_id}").json()["client_name"] == "Hana Sato"
        assert adv.post(f"/api/v1/conversations/{conv_id}/resolve").status_code == 200

        # An invitation shows in the page; accepting it gives her next chat to that advisor.
        assert adv.post(f"/api/v1/visitors/{visitor_id}/invite", json={"message": "May I help you?"}).status_code == 200
        chat.locator("#invitation-text").filter(has_text="May I help you? — Aiko Mori").wait_for()
        chat.locator("#accept").click()
        chat.locator("#invitation").wait_for(state="hidden")
        chat.locator("#input").fill("Yes, a gift for my mother")
        chat.locator("#input").press("Enter")
        chat.locator("#messages li.inbound").filter(has_text="a gift for my mother").wait_for()
        new_conv = wait_for(lambda: (v := _visitor(live_server, visitor_id)) and v["conversation_id"] != conv_id and v["conversation_id"])
        assert adv.get(f"/api/v1/conversations/{new_conv}").json()["assignee"] == "advisor"

    # A reload resumes the same visitor with her thread.
    page.reload()
    chat = page.frame_locator("#advisor-chat-frame")
    chat.locator("#status").filter(has_text="online").wait_for()
    assert int(chat.locator("body").get_attribute("data-visitor") or 0) == visitor_id
    assert chat.locator("#messages li.inbound").filter(has_text="a gift for my mother").count() == 1
    assert page.evaluate("window.pwned") is None
    assert errors == []
    context.close()
