"""Presence: who is viewing or typing in a conversation (ephemeral, not in the event log)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ...domain.models import Presence, PresenceIn
from .. import services
from ..deps import READERS, CurrentAdvisor, ReadSession, State, require
from .conversations import Id

router = APIRouter(prefix="/api/v1/conversations", tags=["presence"])


@router.post("/{conversation_id}/presence", status_code=204, response_class=Response)
def post_presence(conversation_id: Id, body: PresenceIn, advisor: CurrentAdvisor, session: ReadSession, state: State) -> Response:
    """The caller is viewing, typing or has left; an entry expires 30 s after its last POST.
    Streams that may see the conversation get `event: presence` (no id) with the new list."""
    require(advisor, *READERS)
    conv = services.visible_conversation(session, advisor, conversation_id)
    assignee = services.username_of(session, conv.assignee_id)
    state.presence.post(conversation_id, conv.hub, assignee, advisor.username, advisor.name, body.state)
    return Response(status_code=204)


@router.get("/{conversation_id}/presence", response_model=Presence)
def get_presence(conversation_id: Id, advisor: CurrentAdvisor, session: ReadSession, state: State) -> Presence:
    require(advisor, *READERS)
    services.visible_conversation(session, advisor, conversation_id)
    return state.presence.snapshot(conversation_id)
