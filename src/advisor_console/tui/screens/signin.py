"""Sign in again when the server refused the token (expired or revoked).

Sync and the outbox wait meanwhile; nothing typed or queued is lost. The password goes to
`workspace.sign_in_again`, which gets a fresh token for the same account and resumes."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ..safe import safe_line


class SignInScreen(ModalScreen[bool]):
    BINDINGS = [Binding("escape", "cancel", "Later", id="signin.cancel")]

    def __init__(self, workspace) -> None:
        super().__init__()
        self.workspace = workspace

    def compose(self) -> ComposeResult:
        me = self.workspace.me
        with Vertical(id="signin-dialog") as dialog:
            dialog.border_title = "Sign in again"
            yield Static(Text.assemble("The server no longer accepts this session. Your work is kept: sign in as ", (safe_line(me.username), "bold"), " to resume."), id="signin-text")
            yield Input(password=True, placeholder="Password", id="signin-password")
            yield Static(id="signin-error")

    @on(Input.Submitted, "#signin-password")
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value:
            self.query_one("#signin-error", Static).update(Text("Signing in…"))
            self._sign_in(event.value)

    @work(exclusive=True, group="signin", exit_on_error=False)
    async def _sign_in(self, password: str) -> None:
        try:
            await self.workspace.sign_in_again(password)
        except Exception as exc:  # noqa: BLE001 - ApiError (invalid_credentials, unreachable): say it, stay here
            message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
            self.query_one("#signin-error", Static).update(Text(safe_line(str(message))))
            self.query_one("#signin-password", Input).value = ""
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
