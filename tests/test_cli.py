"""The CLI affordances of shared/API.md, run as real processes."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

CLI = [sys.executable, "-m", "advisor_console.cli"]


def run_cli(*args: str, timeout: float = 120, **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=timeout, env={**os.environ}, **kw)  # type: ignore[call-overload]


def test_help_of_every_command() -> None:
    out = run_cli("--help")
    assert out.returncode == 0
    for command in ("run", "serve", "seed", "demo", "login", "logout", "paths"):
        assert command in out.stdout
        sub = run_cli(command, "--help")
        assert sub.returncode == 0 and "Usage" in sub.stdout and len(sub.stdout.splitlines()) > 4


def test_seed_json_prints_only_the_accounts(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's.sqlite'}"
    out = run_cli("seed", "--database-url", url, "--clients", "120", "--products", "60", "--conversations", "12", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    roles = {a["role"] for a in data["accounts"]}
    assert {"advisor", "supervisor", "trainer", "channel"} <= roles
    assert all({"username", "password", "role", "hub"} <= set(a) for a in data["accounts"])
    again = run_cli("seed", "--database-url", url, "--json")
    assert again.returncode != 0 and "already" in again.stderr and again.stdout == ""


def _serve(url: str, tmp_path: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([*CLI, "serve", "--port", "0", "--database-url", url, "--log-level", "warning"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:\d+", line)
    assert match, line + (proc.stderr.read() if proc.stderr else "")
    return proc, match.group(0)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_serve_prints_url_answers_and_stops_on_sigterm(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    url = f"sqlite:///{tmp_path / 'srv.sqlite'}" if backend == "sqlite" else request.getfixturevalue("pg_url")
    seeded = run_cli("seed", "--database-url", url, "--clients", "80", "--products", "40", "--conversations", "8", "--json")
    assert seeded.returncode == 0, seeded.stderr
    proc, base = _serve(url, tmp_path)
    try:
        adv = next(a for a in json.loads(seeded.stdout)["accounts"] if a["role"] == "supervisor")
        token = httpx.post(f"{base}/api/v1/auth/token", json={"username": adv["username"], "password": adv["password"]}).json()["token"]
        r = httpx.get(f"{base}/api/v1/conversations", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200 and r.json()["items"]
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=15)
    assert code == 0
    assert "Traceback" not in (proc.stderr.read() if proc.stderr else "")


def test_serve_with_a_bad_database_url_says_so(tmp_path: Path) -> None:
    out = run_cli("serve", "--port", "0", "--database-url", "nosuch://x", timeout=60)
    assert out.returncode != 0 and "Cannot open the database" in out.stderr and "Traceback" not in out.stderr


def test_serve_on_a_port_in_use_says_so(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'server.sqlite'}"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        out = run_cli("serve", "--port", str(port), "--database-url", url, timeout=60)
    assert out.returncode == 2
    assert f"Cannot listen on 127.0.0.1:{port}: Address already in use." in out.stderr
    assert "Traceback" not in out.stderr


def test_run_against_a_server_without_a_token_explains(tmp_path: Path) -> None:
    out = run_cli("--server", "http://127.0.0.1:9", timeout=60)
    assert out.returncode != 0 and "login" in out.stderr and "Traceback" not in out.stderr


def test_login_without_a_keyring_points_to_the_env_variable(live_server: object) -> None:
    url = live_server.url  # type: ignore[attr-defined]
    out = run_cli("login", "--server", url, "--username", "advisor", "--password-stdin", input="demo\n", timeout=60)
    assert out.returncode != 0 and "ADVISOR_CONSOLE_TOKEN" in out.stderr
    printed = run_cli("login", "--server", url, "--username", "advisor", "--password-stdin", "--print-token", input="demo\n", timeout=60)
    assert printed.returncode == 0 and len(printed.stdout.strip()) > 20
    bad = run_cli("login", "--server", url, "--username", "advisor", "--password-stdin", input="wrong\n", timeout=60)
    assert bad.returncode != 0 and "Sign-in failed" in bad.stderr


def test_demo_database_is_seeded_once_and_reused(tmp_path: Path) -> None:
    from advisor_console.workstation import prepare_demo

    t0 = time.perf_counter()
    url = prepare_demo(tmp_path, echo=False)
    first = time.perf_counter() - t0
    db = Path(url.removeprefix("sqlite:///"))
    size, mtime = db.stat().st_size, db.stat().st_mtime_ns
    t1 = time.perf_counter()
    assert prepare_demo(tmp_path, echo=False) == url
    second = time.perf_counter() - t1
    assert db.stat().st_size == size
    assert second < first  # reuse, no second seeding


def test_login_stores_the_token_in_the_keyring_and_logout_removes_it(live_server: object, tmp_path: Path) -> None:
    url = live_server.url  # type: ignore[attr-defined]
    store = tmp_path / "keyring.json"
    env = {
        **os.environ,
        "PYTHON_KEYRING_BACKEND": "keyring_backend.TestKeyring",
        "AC_TEST_KEYRING_FILE": str(store),
        "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent), os.environ.get("PYTHONPATH", "")]),
    }
    out = subprocess.run([*CLI, "login", "--server", url, "--username", "advisor", "--password-stdin"], input="demo\n", capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0 and "Signed in" in out.stdout, out.stderr
    saved = json.loads(store.read_text())
    (entry,) = saved.values()
    token = json.loads(entry)["token"]
    assert token not in out.stdout  # never printed unless asked
    me = httpx.get(f"{url}/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["username"] == "advisor"
    # No token lands in any plain file of the user's config or data dirs.
    home = Path(os.environ["HOME"])
    for path in home.rglob("*"):
        if path.is_file():
            assert token not in path.read_text(errors="ignore"), path
    out = subprocess.run([*CLI, "logout", "--server", url], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode == 0 and "Signed out" in out.stdout and json.loads(store.read_text()) == {}
    out = subprocess.run([*CLI, "logout", "--server", url], capture_output=True, text=True, env=env, timeout=60)
    assert "No token" in out.stdout


def test_insecure_warns_and_an_unreachable_server_is_a_clear_error() -> None:
    env = {**os.environ, "ADVISOR_CONSOLE_TOKEN": "secret-token-value"}
    out = subprocess.run([*CLI, "--server", "https://127.0.0.1:9", "--insecure"], capture_output=True, text=True, env=env, timeout=60)
    assert out.returncode != 0
    assert "NOT verified" in out.stderr and "cannot be reached" in out.stderr
    assert "secret-token-value" not in out.stderr + out.stdout and "Traceback" not in out.stderr


@pytest.mark.parametrize(("given", "seen"), [(None, "__all__"), ("", ""), ("logfire", "logfire")])
def test_pydantic_plugins_are_not_looked_for_unless_asked(given: str | None, seen: str) -> None:
    """The command skips pydantic's scan of every installed distribution for plugins (a
    start's worth of milliseconds); a value the user set is left as it is."""
    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    if given is not None:
        env["PYDANTIC_DISABLE_PLUGINS"] = given
    code = "import os, advisor_console.workstation, pydantic.plugin._loader as p; print(repr(os.environ['PYDANTIC_DISABLE_PLUGINS']), p._plugins is None or not p._plugins)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.split()
    assert out == [repr(seen), "True"]
