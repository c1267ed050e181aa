"""The `advisor-console` command line (the workstation itself opens in workstation.py).

Heavy modules (textual, fastapi, sqlmodel) are imported inside the commands that need
them, so `--help` and the server do not pay for the UI and the UI starts fast.
"""

from __future__ import annotations

import errno
import gc
import getpass
import json
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from . import workstation
from .config import config_dir, config_file, data_dir, user_themes_dir
from .workstation import DEMO_PASSWORD, DemoRole, Refused, demo_database

app = typer.Typer(
    name="advisor-console",
    help="A keyboard-driven workstation for client advisors. With no command: open the workstation "
    "(on the embedded demo when no server is configured).",
    no_args_is_help=False,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"advisor-console: {message}", err=True)
    raise typer.Exit(code)


def _refused(refused: Refused) -> None:
    typer.echo(refused.line, err=True)
    raise typer.Exit(refused.code)


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / 'server.sqlite'}"


# ---- the workstation (workstation.py) ----------------------------------------------------


ServerOpt = Annotated[
    Optional[str],
    typer.Option("--server", envvar="ADVISOR_CONSOLE_SERVER", help="URL of a running server (default: the embedded demo)."),
]
InsecureOpt = Annotated[bool, typer.Option("--insecure", help="Do not verify the server's TLS certificate (warns).")]


@app.callback(invoke_without_command=True)
def main_callback(ctx: typer.Context, server: ServerOpt = None, insecure: InsecureOpt = False) -> None:
    if ctx.invoked_subcommand not in (None, "run"):
        gc.enable()  # off since workstation.py was imported: only a workstation start needs that
    if ctx.invoked_subcommand is None:
        run(server=server, insecure=insecure)


def load_settings(**overrides: Any) -> Any:
    """The settings, or a clear message and exit 2 when one is invalid."""
    try:
        return workstation.load_settings(**overrides)
    except Refused as refused:
        _refused(refused)


@app.command()
def run(server: ServerOpt = None, insecure: InsecureOpt = False) -> None:
    """Open the workstation: against --server (signed in with the stored token or
    ADVISOR_CONSOLE_TOKEN), or on the embedded demo when no server is configured."""
    try:
        workstation.open_workstation(server, insecure)
    except Refused as refused:
        _refused(refused)


@app.command()
def demo(
    role: Annotated[DemoRole, typer.Option("--role", help="Which demo account to sign in as.")] = DemoRole.advisor,
    rate: Annotated[Optional[float], typer.Option("--rate", help="Simulated client messages per minute (0 = none).")] = None,
    reset: Annotated[bool, typer.Option("--reset", help="Throw away the demo database and seed it again.")] = False,
) -> None:
    """Open the embedded demo: a server in this process, on a loopback port, over a SQLite
    file in the user data dir (seeded on first run), with simulated clients writing in."""
    try:
        workstation.run_demo(role, rate=rate, reset=reset)
    except Refused as refused:
        _refused(refused)


# ---- the server ------------------------------------------------------------------------


DatabaseOpt = Annotated[
    Optional[str],
    typer.Option("--database-url", envvar="ADVISOR_CONSOLE_DATABASE_URL", help="sqlite:///path.db or postgresql+psycopg://user@host/db"),
]


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on (0 = any free port).")] = 8765,
    database_url: DatabaseOpt = None,
    token_ttl: Annotated[int, typer.Option("--token-ttl", help="Seconds a sign-in token stays valid.")] = 12 * 3600,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    smtp_port: Annotated[Optional[int], typer.Option("--smtp-port", help="Receive client email on this SMTP port (with ADVISOR_CONSOLE_SMTP_* for the relay replies leave through).")] = None,
) -> None:
    """Run the server (HTTP API, event log, SSE; channels enabled by ADVISOR_CONSOLE_WHATSAPP_*
    and ADVISOR_CONSOLE_SMTP_*). Prints the URL it listens on; stops cleanly on SIGTERM."""
    from dataclasses import replace

    from .server.app import create_app
    from .server.channels.email import EmailConfig
    from .server.runner import serve_forever

    url = database_url or default_database_url()
    email = EmailConfig.from_env()
    if smtp_port is not None:
        if not 0 < smtp_port < 65536:
            _fail(f"--smtp-port {smtp_port} is not a port (1-65535).", code=2)
        email = replace(email or EmailConfig(), smtp_port=smtp_port)
        typer.echo(f"Receiving client email on smtp://{email.smtp_host}:{smtp_port}")
    try:
        application = create_app(url, token_ttl_seconds=token_ttl, email=email)
    except Exception as exc:  # a bad URL or an unreachable database: say so, no traceback
        _fail(f"Cannot open the database {_redact(url)}: {type(exc).__name__}: {exc}".splitlines()[0])
    try:
        serve_forever(application, host, port, log_level=log_level)
    except OSError as exc:
        if exc.errno in (errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL):  # binding: say it, no traceback
            _fail(f"Cannot listen on {host}:{port}: {exc.strerror}.", code=2)
        raise


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "<invalid URL>"


@app.command()
def seed(
    database_url: DatabaseOpt = None,
    clients: Annotated[int, typer.Option(min=1, help="Number of clients.")] = 5000,
    products: Annotated[int, typer.Option(min=1, help="Number of products.")] = 1500,
    conversations: Annotated[int, typer.Option(min=0, help="Number of open conversations.")] = 300,
    seed_value: Annotated[int, typer.Option("--seed", help="Random seed: the same seed gives the same data.")] = 7,
    as_json: Annotated[bool, typer.Option("--json", help="Print only {\"accounts\": [...]} as JSON on stdout.")] = False,
) -> None:
    """Create deterministic demo data (migrating the schema first) and print the demo accounts."""
    from .demo.seed import is_seeded
    from .demo.seed import seed as run_seed
    from .server.db import make_engine, migrate

    url = database_url or default_database_url()
    try:
        migrate(url)
        engine = make_engine(url)
    except Exception as exc:
        _fail(f"Cannot open the database {_redact(url)}: {type(exc).__name__}".splitlines()[0])
    try:
        if is_seeded(engine):
            _fail("This database already holds data; seed an empty one.")
        accounts = run_seed(engine, clients=clients, products=products, conversations=conversations, seed=seed_value, password=DEMO_PASSWORD)
    finally:
        engine.dispose()
    if as_json:
        sys.stdout.write(json.dumps({"accounts": accounts}, ensure_ascii=False) + "\n")
        return
    typer.echo(f"Seeded {_redact(url)}: {clients} clients, {products} products, {conversations} conversations (seed {seed_value}).")
    typer.echo("Demo accounts (demo data only):")
    for acc in accounts:
        typer.echo(f"  {acc['username']:<24} {acc['role']:<11} {acc['hub']:<4} password: {acc['password']}")


# ---- sign-in ---------------------------------------------------------------------------


@app.command()
def login(
    server: Annotated[Optional[str], typer.Option("--server", envvar="ADVISOR_CONSOLE_SERVER", help="Server URL.")] = None,
    username: Annotated[Optional[str], typer.Option("--username", "-u", help="Account name (asked if missing).")] = None,
    password: Annotated[Optional[str], typer.Option("--password", help="Password (prefer the prompt or --password-stdin).")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input.")] = False,
    print_token: Annotated[bool, typer.Option("--print-token", help="Print the token instead of storing it (for ADVISOR_CONSOLE_TOKEN).")] = False,
    insecure: InsecureOpt = False,
) -> None:
    """Sign in and keep the token in the system keyring (never in a plain file)."""
    from .client import credentials
    from .client.api import ApiError
    from .client.api import login as api_login

    if not server:
        _fail("Give the server: --server URL (or ADVISOR_CONSOLE_SERVER).")
    url = server.rstrip("/")  # type: ignore[union-attr]
    if insecure:
        typer.echo("Warning: TLS certificates are NOT verified (--insecure).", err=True)
    if not username:
        username = input("Username: ") if sys.stdin.isatty() else sys.stdin.readline().strip()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    elif password is None:
        password = getpass.getpass("Password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    try:
        result = api_login(url, username or "", password or "", verify=not insecure)
    except ApiError as err:
        _fail(f"Sign-in failed: {err.message}")
    if print_token:
        typer.echo(result.token)
        return
    try:
        credentials.store(url, result.token, result.advisor.username)
    except credentials.NoKeyring as exc:
        _fail(str(exc))
    typer.echo(f"Signed in to {url} as {result.advisor.name} ({result.advisor.role.value}, {result.advisor.hub}); token kept in the keyring until {result.expires_at:%Y-%m-%d %H:%M} UTC.")


@app.command()
def logout(server: Annotated[Optional[str], typer.Option("--server", envvar="ADVISOR_CONSOLE_SERVER", help="Server URL.")] = None) -> None:
    """Forget the token stored for a server."""
    from .client import credentials

    if not server:
        _fail("Give the server: --server URL (or ADVISOR_CONSOLE_SERVER).")
    try:
        removed = credentials.forget(server)  # type: ignore[arg-type]
    except credentials.NoKeyring as exc:
        _fail(str(exc))
    typer.echo("Signed out." if removed else "No token was stored for this server.")


@app.command()
def record(
    out: Annotated[Path, typer.Option("--out", help="The JSONL file to write (docs/recording-format.md).")],
    database_url: DatabaseOpt = None,
    conversation: Annotated[Optional[int], typer.Option("--conversation", help="One conversation, whole.")] = None,
    advisor: Annotated[Optional[str], typer.Option("--advisor", help="Only this advisor's part of the window (a shift).")] = None,
    since: Annotated[Optional[str], typer.Option("--since", help="ISO 8601 time with an offset, e.g. 2026-11-23T09:00+09:00.")] = None,
    until: Annotated[Optional[str], typer.Option("--until", help="ISO 8601 time with an offset.")] = None,
    no_mask: Annotated[bool, typer.Option("--no-mask", help="Keep client personal data (for the house's own use only).")] = False,
) -> None:
    """Export a conversation, or a time window (--since/--until, optionally one --advisor's
    shift), from the event log to a recording (JSONL); client personal data masked with
    stable pseudonyms unless --no-mask."""
    from datetime import datetime

    from .server.db import make_engine, normalise_url
    from .server.errors import ApiError
    from .server.recording import recording_lines
    from sqlmodel import Session

    def when(value: Optional[str], name: str) -> Optional[datetime]:
        if value is None:
            return None
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            _fail(f"--{name} {value!r} is not an ISO 8601 time (e.g. 2026-11-23T09:00+09:00).", code=2)
        if parsed.tzinfo is None:  # type: ignore[possibly-undefined]
            _fail(f"--{name} needs a UTC offset (e.g. 2026-11-23T09:00+09:00).", code=2)
        return parsed  # type: ignore[possibly-undefined]

    url = database_url or default_database_url()
    start, end = when(since, "since"), when(until, "until")
    engine = make_engine(normalise_url(url))
    try:
        with Session(engine) as session:
            lines = list(recording_lines(session, conversation_id=conversation, advisor=advisor, since=start, until=end, mask=not no_mask, source=_redact(url)))
    except ApiError as err:
        _fail(err.message, code=2)
    except Exception as exc:  # noqa: BLE001 - an unreachable or unmigrated database: say so
        _fail(f"Cannot read {_redact(url)}: {exc.__class__.__name__}: {str(exc).splitlines()[0][:200]}", code=2)
    finally:
        engine.dispose()
    try:
        out.write_text("".join(lines), encoding="utf-8")  # type: ignore[possibly-undefined]
    except OSError as exc:
        _fail(f"Cannot write {out}: {exc.strerror or exc}.", code=2)
    events = json.loads(lines[0])["events"]  # type: ignore[possibly-undefined]
    typer.echo(f"Recorded {events} events to {out}" + (" (NOT masked)" if no_mask else ", client data masked"))


@app.command()
def replay(
    file: Annotated[Path, typer.Argument(help="A recording (JSONL, see docs/recording-format.md).")],
    speed: Annotated[float, typer.Option("--speed", min=0.5, max=16, help="Playback speed, 0.5 to 16 (x real time).")] = 1.0,
    paused: Annotated[bool, typer.Option("--paused", help="Start paused at the beginning (space plays).")] = False,
) -> None:
    """Show a recording in the workstation, with no server: play/pause, speed, step, seek.
    Nothing is written anywhere."""
    from .replay.player import RecordingError, load_recording

    try:
        recording = load_recording(file)
    except RecordingError as exc:
        _fail(str(exc), code=2)
    settings = load_settings()
    from .tui.replay import ReplayApp

    ReplayApp(recording, settings, speed=speed, play=not paused).run()  # type: ignore[possibly-undefined]


@app.command()
def train(
    scenario: Annotated[Optional[str], typer.Argument(help="A shipped scenario's id, or a scenario file (.toml).")] = None,
    list_: Annotated[bool, typer.Option("--list", help="List the shipped scenarios.")] = False,
) -> None:
    """Practise a scenario in the real workstation on a scratch database: a scripted client
    writes in; at the end (or ctrl+e) a scored debrief. Nothing touches real data."""
    from .training.scenario import ScenarioError, builtin, find

    if list_ or scenario is None:
        for s in builtin().values():
            typer.echo(f"{s.id:22} {s.channel:9} {s.language:4} {s.title}")
        if scenario is None and not list_:
            typer.echo("\nRun one: advisor-console train <id>")
        return
    try:
        chosen = find(scenario)
    except ScenarioError as exc:
        _fail(str(exc), code=2)
    debrief = _run_training(chosen)  # type: ignore[possibly-undefined]
    if debrief is not None:
        typer.echo("\n".join(debrief.lines()))


def _run_training(scenario: Any) -> Any:
    import tempfile

    from .client.api import login
    from .client.session import open_workspace
    from .demo.seed import demo_accounts, seed
    from .server.app import create_app
    from .server.db import make_engine, migrate
    from .server.runner import start_in_thread
    from .training.coach import Coach, setup_client
    from .tui.training import TrainingApp

    settings = load_settings()
    with tempfile.TemporaryDirectory(prefix="advisor-training-") as scratch:
        url = f"sqlite:///{Path(scratch) / 'training.sqlite'}"
        typer.echo("Preparing a scratch database for the scenario…")
        migrate(url)
        engine = make_engine(url)
        seed(engine, seed=settings.demo_seed, password=DEMO_PASSWORD, clients=60, products=1500, conversations=0)
        client_id = setup_client(engine, scenario)
        engine.dispose()
        trainee = next((a for a in demo_accounts() if a["role"] == "advisor" and a["hub"] == scenario.hub), {"username": "advisor"})["username"]
        server = start_in_thread(create_app(url, run_migrations=False))
        try:
            token = login(server.url, trainee, DEMO_PASSWORD).token
            coach = Coach(server.url, scenario, client_id, channel_token=login(server.url, "channel-sim", DEMO_PASSWORD).token,
                          reader_token=login(server.url, "supervisor", DEMO_PASSWORD).token, trainee=trainee)
            workspace = open_workspace(server.url, token, root=Path(scratch))
            app = TrainingApp(workspace, settings, coach)
            app.run()
            return app.debrief
        finally:
            server.stop()


@app.command()
def paths() -> None:
    """Print where config, data, the demo database and user themes live."""
    settings = load_settings()
    typer.echo(f"config file:  {config_file()}")
    typer.echo(f"config dir:   {config_dir()}")
    typer.echo(f"data dir:     {settings.resolved_data_dir}")
    typer.echo(f"demo db:      {demo_database(settings.resolved_data_dir)}")
    typer.echo(f"user themes:  {user_themes_dir()}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
