"""Open a Workspace for a server and a token: who am I (from the server, or remembered
for offline starts), which cache file, and the API client."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from ..config import data_dir
from ..domain.models import Advisor
from .api import ApiClient, who_am_i
from .cache import LocalCache, cache_path
from .workspace import Workspace


def _accounts_file(root: Path) -> Path:
    return root / "accounts.json"


def _remember(root: Path, server_url: str, token: str, advisor: Advisor) -> None:
    path = _accounts_file(root)
    try:
        known = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    # Keyed by a digest of the token: the token itself never lands in a file.
    known[_token_key(server_url, token)] = advisor.model_dump(mode="json")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(known), encoding="utf-8")
    tmp.replace(path)


def _recall(root: Path, server_url: str, token: str) -> Advisor | None:
    try:
        known = json.loads(_accounts_file(root).read_text(encoding="utf-8"))
        return Advisor.model_validate(known[_token_key(server_url, token)])
    except (OSError, ValueError, KeyError):
        return None


def _token_key(server_url: str, token: str) -> str:
    return hashlib.sha256(f"{server_url.rstrip('/')}\n{token}".encode()).hexdigest()


def open_workspace(server_url: str, token: str, *, root: Path | None = None, verify: bool = True, cache_key: str | None = None) -> Workspace:
    """Ask the server who the token belongs to; offline, use what we remembered last time.

    `cache_key` names the local cache when the URL is not stable (the embedded demo's
    port changes per launch). Synchronous, so it can run before the UI's event loop exists; the workspace's own
    async HTTP client opens its connections later, on that loop.
    """
    root = root or data_dir()
    remembered = _recall(root, server_url, token)
    if remembered is not None:
        # Known token: start at once on what we remembered; the workspace asks the server
        # again once running (a changed name or hub is taken; a revoked token signs out).
        me = remembered
    else:
        me = who_am_i(server_url, token, verify=verify)
        _remember(root, server_url, token, me)
    cache = LocalCache(cache_path(cache_key or server_url, me.username, root))
    workspace = Workspace(ApiClient(server_url, token, verify=verify), cache, me)
    workspace.on_identity = lambda advisor: _remember(root, server_url, token, advisor)
    workspace.load_cached()
    return workspace
