"""The trainer role sees client personal data masked, everywhere, enforced by the server.

An ASGI middleware: once the request's advisor is known to be a trainer (the auth
dependency notes the role in the request state), every JSON answer and every event-stream
frame is masked with the same `Masker` as recordings (stable pseudonyms, emails, phones,
addresses), so no route can forget it. The Masker covers every client of the database and
is rebuilt when clients are added.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..domain.masking import Masker
from ..domain.models import Role
from .recording import masker
from .tables import ClientRow


class MaskerCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key: tuple[int, int] | None = None
        self._masker: Masker | None = None

    def get(self, engine: Any) -> Masker:
        with Session(engine) as session:
            key = tuple(session.execute(select(func.count(ClientRow.id), func.coalesce(func.max(ClientRow.id), 0))).one())
            with self._lock:
                if self._masker is None or key != self._key:
                    self._masker, self._key = masker(session), key  # type: ignore[assignment]
                return self._masker


def _mask_frames(text: str, m: Masker) -> str:
    out = []
    for line in text.split("\n"):
        if line.startswith("data: "):
            try:
                line = "data: " + json.dumps(m.document(json.loads(line[6:])), ensure_ascii=False, separators=(",", ":"))
            except ValueError:
                line = "data: " + m.text(line[6:])
        out.append(line)
    return "\n".join(out)


class TrainerMasking:
    def __init__(self, app: ASGIApp, engine: Any) -> None:
        self.app, self.engine = app, engine
        self.cache = MaskerCache()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        mode: dict[str, Any] = {"kind": None, "start": None, "body": []}

        async def masked_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                role = (scope.get("state") or {}).get("advisor_role")
                headers = dict((k.lower(), v) for k, v in message.get("headers", []))
                ctype = headers.get(b"content-type", b"").decode("latin-1")
                # (Recordings, application/x-ndjson, mask themselves for trainers.)
                if role == Role.trainer.value and (ctype.startswith("application/json") or "event-stream" in ctype):
                    mode["kind"] = "stream" if "event-stream" in ctype else "json"
                    mode["masker"] = self.cache.get(self.engine)
                    if mode["kind"] == "json":
                        mode["start"] = message  # sent with the masked body's length
                        return
                await send(message)
                return
            if message["type"] != "http.response.body" or mode["kind"] is None:
                await send(message)
                return
            m: Masker = mode["masker"]
            if mode["kind"] == "stream":
                chunk = message.get("body", b"")
                if chunk:
                    message = {**message, "body": _mask_frames(chunk.decode("utf-8"), m).encode("utf-8")}
                await send(message)
                return
            mode["body"].append(message.get("body", b""))
            if message.get("more_body"):
                return
            raw = b"".join(mode["body"])
            try:
                body = json.dumps(m.document(json.loads(raw)), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
            except ValueError:
                body = m.text(raw.decode("utf-8", "replace")).encode("utf-8")
            start = mode["start"]
            headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"] + [(b"content-length", str(len(body)).encode())]
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body, "more_body": False})

        await self.app(scope, receive, masked_send)
