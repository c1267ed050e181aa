"""Phone (issue 10): callback requests. The house has no telephony of its own: a client asks
to be called back (from an email that says so, or any channel through POST
/api/v1/callbacks), and the advisor gets a callback task; calls are placed with the
workstation's click-to-call handler and written down as call notes with their outcome."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from ...domain import events as ev
from ..eventlog import utcnow
from ..tables import ClientRow, TaskRow

# What asking for a call looks like in the languages the house answers in.
ASKS_FOR_A_CALL = re.compile(
    r"\b(call me|call me back|give me a call|please call|callback|call-back|rappelez[- ]moi|pouvez-vous m'appeler|richiamami|mi chiami|"
    r"llámame|ruf(en Sie)? mich an|rückruf)\b|電話(を)?(して|ください|お願い)|전화\s?(해|주세요|부탁)|回电|给我打电话",
    re.IGNORECASE,
)
SOON = timedelta(minutes=30)


def asks_for_a_call(text: str) -> bool:
    return bool(ASKS_FOR_A_CALL.search(text or ""))


def request_callback(session: Session, client: ClientRow, actor: str, reason: str, *, due: datetime | None = None, advisor_id: int | None = None) -> dict[str, Any]:
    """A callback task for the client (due soon unless she said when), told to every
    workstation (task.created)."""
    from ..services import _client_event

    task = TaskRow(client_id=client.id or 0, advisor_id=advisor_id, kind="callback", title=f"Call back {client.name}: {reason}"[:500], due=due or utcnow() + SOON)
    session.add(task)
    session.flush()
    data = task.to_model().model_dump(mode="json")
    _client_event(session, ev.TASK_CREATED, actor, client, {"task": data})
    return data
