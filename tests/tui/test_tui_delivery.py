"""Delivery state in the thread (issue 10): what the channel says of each reply (sending,
delivered, read, failed with the reason) updates live from message.delivery events, and a
refused reply is sent again from the palette."""

from __future__ import annotations

from advisor_console.domain import events as ev
from snapshot_app import NOW, make_app
from tui_helpers import open_conversation, screen_text, wait_until

SIZE = (160, 48)


def _delivery(app, message, state: str, error: str | None = None, seq: int = 10_000) -> dict:  # noqa: ANN001
    conv = app.workspace.state.conversations[message.conversation_id]
    updated = message.model_copy(update={"delivery": state, "delivery_error": error}).model_dump(mode="json")
    return {"seq": seq, "type": ev.MESSAGE_DELIVERY, "at": NOW.isoformat(), "actor": "channel-whatsapp", "data": {"conversation": conv.model_dump(mode="json"), "message": updated}}


async def test_delivery_marks_follow_the_channel_and_a_refusal_is_retried() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_conversation(pilot, 1)
        reply = next(m for m in app.workspace.state.threads[1] if m.kind.value == "reply")
        app.workspace.feed([_delivery(app, reply, "delivered", seq=10_001)])
        await wait_until(pilot, lambda: "✓✓ delivered" in screen_text(app), what="delivered")
        app.workspace.feed([_delivery(app, reply, "read", seq=10_002)])
        await wait_until(pilot, lambda: "✓✓ read" in screen_text(app), what="read")
        app.workspace.feed([_delivery(app, reply, "failed", "Re-engagement message (code 131047)", seq=10_003)])
        await wait_until(pilot, lambda: "✗ failed: Re-engagement message (code 131047)" in screen_text(app), what="failed with its reason")
        await app.screen.run_action("retry_delivery")
        assert ("retry_delivery", {"conversation_id": None, "message_id": reply.id}) in app.workspace.commands
