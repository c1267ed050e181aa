"""The HTTP client of the workstation (httpx): JSON calls, errors, and the SSE reader.

httpx is imported lazily (on first use, `importlib.util.LazyLoader`): the workstation
draws its first frame from the local cache before any HTTP, and httpx with its TLS
context is a good part of a start's imports.
"""

from __future__ import annotations

import gc
import json
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .. import jsontext
from ..lazy import lazy_module
from ..domain.models import Advisor, TokenResponse


httpx = lazy_module("httpx")

# (total, connect) seconds; a tuple so that defining it does not load httpx.
DEFAULT_TIMEOUT: Any = (10.0, 5.0)
# Bigger answers are refused rather than held in memory: no page of this API comes near.
MAX_RESPONSE_BYTES = 32 * 1024 * 1024
MAX_SSE_LINE = 4 * 1024 * 1024
# The stream sends a keepalive every 15 s: no byte for 45 s means the connection is dead.
STREAM_TIMEOUT = (10.0, 5.0, 45.0)  # (total, connect, read)


def _timeout(value: Any) -> Any:
    """An httpx.Timeout from one of the tuples above (or a Timeout given as it is)."""
    if isinstance(value, tuple):
        total, connect, *read = value
        return httpx.Timeout(total, connect=connect, read=read[0] if read else total)
    return value


class ApiError(Exception):
    """An answer the server gave (status >= 400), or status 0: no answer at all."""

    def __init__(self, status: int, code: str, message: str, retry_after: float | None = None) -> None:
        super().__init__(f"{code}: {message}" if status else message)
        self.status, self.code, self.message, self.retry_after = status, code, message, retry_after

    @property
    def unreachable(self) -> bool:
        return self.status == 0

    @property
    def retryable(self) -> bool:
        """Worth sending again later: no answer, overload, or a server fault."""
        return self.status == 0 or self.status == 429 or self.status >= 500

    @property
    def auth_failed(self) -> bool:
        return self.status == 401


async def _read_capped(response: httpx.Response) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdecimal() and int(declared) > MAX_RESPONSE_BYTES:
        raise ApiError(502, "response_too_large", "The server's answer is too large to be one of ours.")
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > MAX_RESPONSE_BYTES:
            raise ApiError(502, "response_too_large", "The server's answer is too large to be one of ours.")
        chunks.append(chunk)
    return b"".join(chunks)


@contextmanager
def paused_collector() -> Iterator[None]:
    """The cyclic garbage collector off for the block (as it was before, after it).

    Parsed JSON makes no cycles: what a page of events allocates is freed by reference
    counting once the page is dropped. With the collector running, the page's hundreds of
    thousands of containers are walked by every young collection while they live, then
    promoted and walked again: in a catch-up of 100,000 events that was 0.6 of its 1.5 s
    of CPU. Cycles made meanwhile (there are few) wait for the next collection."""
    enabled = gc.isenabled()
    if enabled:
        gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def loads(raw: bytes | str) -> Any:
    """The JSON document in an answer's body (`jsontext.loads`: as `json.loads` reads it,
    faster; with orjson about half json's time on a page of 2,000 events), with the
    collector paused while it is built. (The server sends no integer beyond 64 bits, which
    orjson would read as a float: its ids and sequence numbers are capped at 2**62.)"""
    with paused_collector():
        return jsontext.loads(raw)


def parse_answer(raw: bytes) -> Any:
    """An answer's JSON body (`loads`); an ApiError when it is not JSON."""
    try:
        return loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(502, "bad_response", "The server's answer is not valid JSON.") from exc


def _error_from(response: httpx.Response, raw: bytes | None = None) -> ApiError:
    code, message = "http_error", f"The server answered {response.status_code}."
    try:
        body = json.loads(raw if raw is not None else response.content)
        err = body.get("error", {}) if isinstance(body, dict) else {}
        if isinstance(err, dict):
            code = str(err.get("code") or code)[:100]
            message = str(err.get("message") or message)[:1000]
    except (ValueError, UnicodeDecodeError):
        pass
    retry_after = None
    if "retry-after" in response.headers:
        try:
            retry_after = float(response.headers["retry-after"])
        except ValueError:
            retry_after = None
    return ApiError(response.status_code, code, message, retry_after)


def _unreachable(exc: Exception) -> ApiError:
    return ApiError(0, "unreachable", f"The server cannot be reached ({type(exc).__name__}).")


@dataclass
class SseEvent:
    id: str | None
    event: str
    data: str


class ApiClient:
    def __init__(self, base_url: str, token: str | None = None, *, verify: bool = True, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._verify, self._transport = verify, transport
        self._client: Any = None

    @property
    def _http(self) -> Any:
        """The httpx client, made on first use (after the first frame, on the UI's loop)."""
        if self._client is None:
            self._client = httpx.AsyncClient(base_url=self.base_url, timeout=_timeout(DEFAULT_TIMEOUT), verify=self._verify, transport=self._transport)
        return self._client

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if extra:
            headers.update(extra)
        return headers

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    async def request_bytes(
        self, method: str, path: str, *, params: dict[str, Any] | None = None, json_body: Any = None, headers: dict[str, str] | None = None,
        on_headers: Callable[[Any], None] | None = None,
    ) -> tuple[httpx.Response, bytes]:
        """The answer and its body (capped); an ApiError for a refusal or no answer.
        `on_headers(response)` is called once the headers are in, before the body is read."""
        try:
            async with self._http.stream(method, path, params=params, json=json_body, headers=self._headers(headers)) as response:
                if on_headers is not None and response.status_code < 400:
                    on_headers(response)
                raw = await _read_capped(response)
        except (httpx.TransportError, httpx.InvalidURL) as exc:
            raise _unreachable(exc) from exc
        if response.status_code >= 400:
            raise _error_from(response, raw)
        return response, raw

    async def request_json(self, method: str, path: str, *, params: dict[str, Any] | None = None, json_body: Any = None, headers: dict[str, str] | None = None) -> Any:
        response, raw = await self.request_bytes(method, path, params=params, json_body=json_body, headers=headers)
        if response.status_code == 204:
            return None
        return parse_answer(raw)

    async def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return await self.request_json("GET", path, params=params)

    async def post_json(self, path: str, body: Any = None, *, idempotency_key: str | None = None, method: str = "POST") -> Any:
        """A write (POST, or PATCH / DELETE with `method`), with its idempotency key."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        json_body = None if method == "DELETE" else body if body is not None else {}
        return await self.request_json(method, path, json_body=json_body, headers=headers)

    async def stream_events(self, after: int) -> AsyncIterator[SseEvent]:
        """Yield the server's SSE events after `after` until the connection ends; the first
        item is a local "open" event once the server has accepted the stream."""
        headers = self._headers({"Accept": "text/event-stream", "Last-Event-ID": str(after)})
        try:
            async with self._http.stream("GET", "/api/v1/events/stream", params={"after": after}, headers=headers, timeout=_timeout(STREAM_TIMEOUT)) as response:
                if response.status_code >= 400:
                    raise _error_from(response, await _read_capped(response))
                if not response.headers.get("content-type", "").startswith("text/event-stream"):
                    raise ApiError(502, "bad_response", "The server's event stream is not an event stream.")
                yield SseEvent(None, "open", "")  # connected: the reader is live from here
                async for event in parse_sse(_capped_lines(response)):
                    yield event
        except (httpx.TransportError, httpx.InvalidURL) as exc:
            raise _unreachable(exc) from exc


async def _capped_lines(response: httpx.Response) -> AsyncIterator[str]:
    """Lines of a text stream, refusing a line longer than MAX_SSE_LINE (a garbage stream
    must not grow the buffer without end)."""
    buffer = ""
    async for text in response.aiter_text():
        buffer += text
        if "\n" not in buffer and "\r" not in buffer:
            if len(buffer) > MAX_SSE_LINE:
                raise ApiError(502, "bad_response", "The server's event stream sent an endless line.")
            continue
        lines = buffer.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        buffer = lines.pop()
        for line in lines:
            yield line
        if len(buffer) > MAX_SSE_LINE:
            raise ApiError(502, "bad_response", "The server's event stream sent an endless line.")
    if buffer:
        yield buffer


async def parse_sse(lines: AsyncIterator[str]) -> AsyncIterator[SseEvent]:
    """The text/event-stream format: fields until a blank line; comments start with ':'."""
    event_id: str | None = None
    event_type = "message"
    data: list[str] = []
    async for line in lines:
        if line == "":
            if data:
                yield SseEvent(event_id, event_type, "\n".join(data))
            event_type, data = "message", []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "data":
            data.append(value)
        elif field == "event":
            event_type = value
        elif field == "id":
            event_id = value


def _sync_call(method: str, url: str, *, verify: bool, timeout: float, **kwargs: Any) -> Any:
    try:
        response = httpx.request(method, url, timeout=timeout, verify=verify, **kwargs)
    except (httpx.TransportError, httpx.InvalidURL) as exc:
        raise _unreachable(exc) from exc
    if response.status_code >= 400:
        raise _error_from(response)
    try:
        return response.json()
    except ValueError as exc:
        raise ApiError(502, "bad_response", "The server's answer is not valid JSON.") from exc


def who_am_i(base_url: str, token: str, *, verify: bool = True, timeout: float = 5.0) -> Advisor:
    """The account a token belongs to (synchronous: for start-up and the CLI)."""
    data = _sync_call("GET", f"{base_url.rstrip('/')}/api/v1/me", verify=verify, timeout=timeout, headers={"Authorization": f"Bearer {token}"})
    try:
        return Advisor.model_validate(data)
    except ValueError as exc:
        raise ApiError(502, "bad_response", "The server's answer about this account is not what was expected.") from exc


def login(base_url: str, username: str, password: str, *, verify: bool = True, timeout: float = 10.0) -> TokenResponse:
    """Exchange a username and password for a token (synchronous: for the CLI)."""
    data = _sync_call("POST", f"{base_url.rstrip('/')}/api/v1/auth/token", verify=verify, timeout=timeout, json={"username": username, "password": password})
    try:
        return TokenResponse.model_validate(data)
    except ValueError as exc:
        raise ApiError(502, "bad_response", "The server's answer to sign-in is not what was expected.") from exc


def decode_event(sse: SseEvent) -> dict[str, Any] | None:
    """The event dict in an SSE message, or None for a message that is not one."""
    try:
        data = json.loads(sse.data)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
