"""Request limits: body size, JSON depth and UTF-8, requests per token.

A pure ASGI middleware (it must not buffer the SSE responses it passes through). Bodies are
read up to the limit and handed on unchanged; anything over it is refused with 413, invalid
UTF-8 or over-deep JSON with 400, and a token that sends too fast gets 429 with
Retry-After (on the paths that need no token, ANONYMOUS_PATHS: an IP address). Every
refusal is in the contract's error shape.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from .errors import error_body
from .security import token_digest

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass
class Limits:
    max_body_bytes: int = 256 * 1024
    max_json_depth: int = 32
    # Token bucket per bearer token: sustained rate and burst.
    requests_per_second: float = 50.0
    burst: int = 200
    # Per client IP address, for what needs no token: starting a web-chat visitor session.
    anonymous_per_second: float = 1.0
    anonymous_burst: int = 60


# Paths that anyone may call without a token (limited per IP address).
ANONYMOUS_PATHS = ("/api/v1/visitor/session",)


class _Buckets:
    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, burst
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 if a request may go now, else the seconds until it may."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._state.get(key, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._state[key] = (tokens - 1.0, now)
                if len(self._state) > 100_000:  # forget idle tokens
                    self._state = {k: v for k, v in self._state.items() if now - v[1] < 60}
                return 0.0
            self._state[key] = (tokens, now)
            return (1.0 - tokens) / self.rate


def _bracket_depth(raw: bytes, limit: int) -> bool:
    """Cheap pre-check before parsing: nesting of [ and { outside strings."""
    depth = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return False
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return True


def _has_nul(raw: bytes) -> bool:
    try:
        data = json.loads(raw)
    except ValueError:
        return False  # malformed: the route answers that
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return True
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


class LimitsMiddleware:
    def __init__(self, app: ASGIApp, limits: Limits) -> None:
        self.app, self.limits = app, limits
        self.buckets = _Buckets(limits.requests_per_second, limits.burst)
        self.anonymous = _Buckets(limits.anonymous_per_second, limits.anonymous_burst)

    async def _refuse(self, send: Send, status: int, code: str, message: str, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        body = json.dumps(error_body(code, message)).encode()
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *(headers or [])]})
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.lower(): v for k, v in scope.get("headers", [])}
        auth = headers.get(b"authorization", b"")
        wait, who = 0.0, "this token"
        if auth[:7].lower() == b"bearer ":
            wait = self.buckets.take(token_digest(auth[7:].decode("latin-1").strip()))
        elif scope.get("path") in ANONYMOUS_PATHS:
            wait, who = self.anonymous.take("ip:" + str((scope.get("client") or ("?",))[0])), "this address"
        if wait > 0:
            retry = str(max(1, int(wait + 0.999))).encode()
            await self._refuse(send, 429, "rate_limited", f"Too many requests for {who}; slow down.", [(b"retry-after", retry)])
            return
        if b"%00" in scope.get("query_string", b"") or "\x00" in scope.get("path", ""):
            await self._refuse(send, 422, "nul_character", "Text may not contain the NUL character (U+0000).")
            return
        if scope["method"] not in ("POST", "PUT", "PATCH"):
            await self.app(scope, receive, send)
            return
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limits.max_body_bytes:
            await self._refuse(send, 413, "payload_too_large", f"The request body is over {self.limits.max_body_bytes // 1024} KiB.")
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limits.max_body_bytes:
                await self._refuse(send, 413, "payload_too_large", f"The request body is over {self.limits.max_body_bytes // 1024} KiB.")
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        raw = b"".join(chunks)
        if raw and b"json" in headers.get(b"content-type", b"application/json"):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError:
                await self._refuse(send, 400, "invalid_utf8", "The request body is not valid UTF-8.")
                return
            if not _bracket_depth(raw, self.limits.max_json_depth):
                await self._refuse(send, 400, "json_too_deep", f"The JSON is nested deeper than {self.limits.max_json_depth} levels.")
                return
            if b"\\u0000" in raw and _has_nul(raw):
                # PostgreSQL cannot store U+0000 in text; refuse it the same way everywhere.
                await self._refuse(send, 422, "nul_character", "Text may not contain the NUL character (U+0000).")
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": raw, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)
