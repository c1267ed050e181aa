"""Event types of the log.

Every conversation event carries the conversation's summary *after* the change under
"conversation", so a reducer that sees a conversation for the first time (a transfer into
the advisor's hub, say) still knows everything the queue shows. Specific payloads:

- message.created         {"conversation": ..., "message": Message}
- conversation.created    {"conversation": ...}
- conversation.claimed    {"conversation": ...}
- conversation.resolved   {"conversation": ...}
- conversation.reopened   {"conversation": ...}
- conversation.snoozed    {"conversation": ...}
- conversation.transferred {"conversation": ..., "from": username|None, "note": str}
- conversation.updated    {"conversation": ..., "fields": {...changed: priority, tags, stage}}
                          (or {"conversation": ..., "reason": str} when an advisor leaves)
- conversation.woken      {"conversation": ..., "reason": "timer"|"inbound"}: a snooze ended
                          (its time came, or the client wrote); status back to assigned/queued
- message.scheduled       {"conversation": ..., "scheduled": ScheduledMessage}: a reply the
                          server will send at scheduled.send_at (then message.created whose
                          message carries scheduled_id)
- message.unscheduled     {"conversation": ..., "scheduled_id": int, "reason": "cancelled"|
                          "conversation_resolved"|"whatsapp_window_closed"}: it will not be sent
- advisor.updated         {"advisor": Advisor}
- client.updated          {"client_id": int, "fields": {...changed profile fields}}
- task.created / task.updated {"client_id": int, "task": Task}
- tryon.created           {"client_id": int, "selection": TryonSelection}: pieces sent to try
                          (with message.created of its message and task.created of its
                          follow-up task, in the same transaction)
- tryon.updated           {"client_id": int, "selection": TryonSelection}: what she kept and
                          returned (with task.updated: the follow-up done, its outcome)
- visitor.updated         {"visitor": Visitor, "change": "arrived"|"viewed"|"linked"|"chat"|
                          "invited"|"invitation_accepted"|"invitation_dismissed"|"left"}: a
                          website visitor (server/webchat.py); about no conversation, so every
                          reader sees it. Heartbeats are not logged: "left" comes when her page
                          has been silent for VISITOR_TTL seconds.

Not in the log: `presence` (who is viewing or typing in a conversation) reaches the
stream with no sequence number; it is folded like a local event and never cached.

Events whose type starts with "local." never come from the server: the client's sync
engine feeds them to the same reducer to show its own situation (connection, outbox).
"""

MESSAGE_CREATED = "message.created"
CONVERSATION_CREATED = "conversation.created"
CONVERSATION_CLAIMED = "conversation.claimed"
CONVERSATION_RESOLVED = "conversation.resolved"
CONVERSATION_REOPENED = "conversation.reopened"
CONVERSATION_SNOOZED = "conversation.snoozed"
CONVERSATION_TRANSFERRED = "conversation.transferred"
CONVERSATION_UPDATED = "conversation.updated"
CONVERSATION_WOKEN = "conversation.woken"  # a snooze ran out: back in the queue
MESSAGE_DELIVERY = "message.delivery"  # an outbound message's delivery changed: {"conversation", "message"}
CONVERSATION_ROUTED = "conversation.routed"  # routing offered it to an advisor: {"conversation", "to"}
SUPERVISION_RULES_UPDATED = "supervision.rules_updated"  # targets and routing rules (team leads only)
MESSAGE_SCHEDULED = "message.scheduled"  # {"conversation", "scheduled": ScheduledMessage}
MESSAGE_UNSCHEDULED = "message.unscheduled"  # {"conversation", "scheduled_id"}
ADVISOR_UPDATED = "advisor.updated"
CLIENT_UPDATED = "client.updated"  # {"client_id", "fields": {...}}
TASK_CREATED = "task.created"  # {"client_id", "task": Task}
TASK_UPDATED = "task.updated"  # {"client_id", "task": Task}
TRYON_CREATED = "tryon.created"  # {"client_id", "selection": TryonSelection}
TRYON_UPDATED = "tryon.updated"  # {"client_id", "selection": TryonSelection}
VISITOR_UPDATED = "visitor.updated"  # {"visitor": Visitor, "change": str}
CLIENT_EVENTS = frozenset({CLIENT_UPDATED, TASK_CREATED, TASK_UPDATED, TRYON_CREATED, TRYON_UPDATED})

CONVERSATION_EVENTS = frozenset(
    {
        MESSAGE_CREATED,
        CONVERSATION_CREATED,
        CONVERSATION_CLAIMED,
        CONVERSATION_RESOLVED,
        CONVERSATION_REOPENED,
        CONVERSATION_SNOOZED,
        CONVERSATION_TRANSFERRED,
        CONVERSATION_UPDATED,
        CONVERSATION_WOKEN,
        CONVERSATION_ROUTED,
        MESSAGE_DELIVERY,
        MESSAGE_SCHEDULED,
        MESSAGE_UNSCHEDULED,
    }
)

# Local (client-side only) events.
LOCAL_CONNECTION = "local.connection"  # {"state": "live"|"connecting"|"reconnecting"|"offline", "detail": str}
LOCAL_OUTBOX = "local.outbox"  # {"pending": [{"key", "conversation_id", "op", "body", "kind", "error"}...]}
LOCAL_THREAD_LOADED = "local.thread_loaded"  # {"conversation": ConversationDetail}
LOCAL_READ = "local.read"  # {"marks": [{"conversation_id", "upto", "unread": bool}]}: the advisor's read marks
PRESENCE = "presence"  # {"conversation_id", "advisors": [{"username", "name", "state", "since"}]} (ephemeral, from the stream)
LOCAL_NOTICE = "local.notice"  # {"level": "information"|"warning"|"error", "text": str}: something to tell the advisor once


def local_event(etype: str, data: dict) -> dict:
    """A local (or ephemeral) event in the shape of a logged one, for the reducer."""
    return {"seq": 0, "type": etype, "at": "1970-01-01T00:00:00Z", "actor": "local", "data": data}
