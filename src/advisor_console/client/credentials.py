"""Tokens live in the OS keyring (never in a plain file), or in ADVISOR_CONSOLE_TOKEN."""

from __future__ import annotations

import json
from dataclasses import dataclass

SERVICE = "advisor-console"


class NoKeyring(RuntimeError):
    pass


_NO_KEYRING = (
    "No system keyring is available on this machine, so the token cannot be stored safely. "
    "Set ADVISOR_CONSOLE_TOKEN to a token instead (e.g. from `advisor-console login --print-token`)."
)


@dataclass
class Credential:
    token: str
    username: str | None = None


def _keyring():  # type: ignore[no-untyped-def]
    import keyring
    from keyring.backends import fail

    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or "fail" in type(backend).__module__ or "null" in type(backend).__module__:
        raise NoKeyring(_NO_KEYRING)
    return keyring


def store(server_url: str, token: str, username: str) -> None:
    kr = _keyring()
    try:
        kr.set_password(SERVICE, server_url.rstrip("/"), json.dumps({"token": token, "username": username}))
    except Exception as exc:  # keyring backends raise their own types
        raise NoKeyring(f"{_NO_KEYRING} ({exc})") from exc


def load(server_url: str) -> Credential | None:
    try:
        kr = _keyring()
        raw = kr.get_password(SERVICE, server_url.rstrip("/"))
    except NoKeyring:
        return None
    except Exception:
        return None
    if not raw:
        return None
    try:
        data = json.loads(raw)
        return Credential(token=str(data["token"]), username=data.get("username"))
    except (ValueError, KeyError, TypeError):
        return None


def forget(server_url: str) -> bool:
    kr = _keyring()
    try:
        kr.delete_password(SERVICE, server_url.rstrip("/"))
    except Exception:
        return False
    return True
