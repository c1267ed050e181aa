"""Today: the advisor's open tasks due by the end of her day, overdue ones first marked.

Each row shows the due time in the advisor's hub zone and in the client's hub zone (a
call to Seoul at 18:00 Tokyo time is 18:00 there too; to Florence it is 10:00), the
client's name in Latin and native script, the kind and the title. Enter opens the
client's latest conversation when the workstation holds one."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import OptionList, Static

from ...domain.models import TaskListItem
from ..format import aware, hub_zone
from ..safe import safe_line
from .prompts import ChoiceScreen


def _zone(name: str, fallback: ZoneInfo) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return fallback


def _when(dt: datetime, zone: ZoneInfo, now: datetime) -> str:
    local = aware(dt).astimezone(zone)
    if local.date() == aware(now).astimezone(zone).date():
        return local.strftime("%H:%M")
    return local.strftime("%d %b %H:%M")


def task_row(task: TaskListItem, my_hub: str, now: datetime) -> Text:
    mine = hub_zone(my_hub)
    hers = _zone(task.client_hub_tz, hub_zone(task.client_hub))
    row = Text(no_wrap=True, overflow="ellipsis")
    row.append("⚠ overdue " if task.overdue else "          ", "bold red" if task.overdue else "")
    row.append(f"{_when(task.due, mine, now):>12} {my_hub}", "bold")
    row.append(f"  {_when(task.due, hers, now):>12} {safe_line(task.client_hub)}", "dim")
    row.append("  " + safe_line(task.client_name), "bold")
    if task.client_native_name and task.client_native_name != task.client_name:
        row.append(" " + safe_line(task.client_native_name))
    row.append(f"  {safe_line(task.kind).replace('_', ' ')}: ", "dim")
    row.append(safe_line(task.title))
    return row


class TodayScreen(ChoiceScreen[TaskListItem]):
    """The day's due and overdue tasks; enter picks one (the workspace opens her conversation)."""

    def __init__(self, tasks: list[TaskListItem], my_hub: str, now: datetime) -> None:
        tasks = sorted(tasks, key=lambda t: (not t.overdue, aware(t.due)))
        overdue = sum(1 for t in tasks if t.overdue)
        hint = f"{len(tasks)} due today, {overdue} overdue · times: your hub ({my_hub}), then the client's hub · enter opens her conversation"
        super().__init__("Today: my due tasks", [(t, task_row(t, my_hub, now)) for t in tasks], hint=hint)
        self.filterable = bool(tasks)  # type a client's name, even in a short day

    def compose(self) -> ComposeResult:
        with Vertical(id="today-dialog", classes="dialog") as dialog:
            dialog.border_title = self.title_text
            yield Static(Text(self.hint), classes="dialog-hint")
            if self.filterable:
                from textual.widgets import Input

                yield Input(placeholder="type to filter", id="choice-filter")
            if self.choices:
                yield OptionList(*self._options(""), id="choice-list")
            else:
                yield Static(Text("Nothing due today."), classes="dialog-hint")

    def on_mount(self) -> None:
        if self.filterable:
            self.query_one("#choice-filter").focus()
        elif self.choices:
            self.query_one("#choice-list").focus()
