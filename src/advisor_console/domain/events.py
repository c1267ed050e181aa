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
- conversation.updated    {"conversation": ...}   (priority, tags, stage)
- advisor.updated         {"advisor": Advisor}
- client.updated          {"client_id": int, "fields": {...changed profile fields}}
- task.created / task.updated {"client_id": int, "task": Task}

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
ADVISOR_UPDATED = "advisor.updated"
CLIENT_UPDATED = "client.updated"  # {"client_id", "fields": {...}}
TASK_CREATED = "task.created"  # {"client_id", "task": Task}
TASK_UPDATED = "task.updated"  # {"client_id", "task": Task}
CLIENT_EVENTS = frozenset({CLIENT_UPDATED, TASK_CREATED, TASK_UPDATED})

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
    }
)

# Local (client-side only) events.
LOCAL_CONNECTION = "local.connection"  # {"state": "live"|"connecting"|"reconnecting"|"offline", "detail": str}
LOCAL_OUTBOX = "local.outbox"  # {"pending": [{"key", "conversation_id", "op", "body", "kind", "error"}...]}
LOCAL_THREAD_LOADED = "local.thread_loaded"  # {"conversation": ConversationDetail}
LOCAL_NOTICE = "local.notice"  # {"level": "information"|"warning"|"error", "text": str}: something to tell the advisor once
