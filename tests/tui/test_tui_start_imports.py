"""What the modules of the workstation's start import: not what its first frame does not
need (httpx, its HTTP client, before any request; the dialogs before one is opened). Each
is loaded on first use (advisor_console.lazy); the dialogs' own tests open them. A lazily
loaded module is also its package's attribute, as an imported one is."""

from __future__ import annotations

import json
import subprocess
import sys

DEFERRED = [
    "httpx",
    "advisor_console.tui.screens.prompts",
    "advisor_console.tui.screens.call_list",
    "advisor_console.tui.screens.confirm",
    "advisor_console.tui.screens.signin",
    "advisor_console.tui.screens.tryon",
    "textual.widgets._selection_list",
    "textual.widgets._radio_set",
]


def test_the_start_does_not_load_what_the_first_frame_does_not_need() -> None:
    code = (
        "import json, sys\n"
        "import advisor_console.workstation, advisor_console.tui.app\n"
        "from advisor_console.tui.screens.workspace import WorkspaceScreen\n"
        f"print(json.dumps({{m: type(sys.modules.get(m)).__name__ for m in {DEFERRED!r}}}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    loaded = {name: kind for name, kind in json.loads(out.stdout).items() if kind not in ("NoneType", "_LazyModule")}
    assert loaded == {}, f"loaded at start: {sorted(loaded)}"


def test_a_lazily_loaded_module_is_its_packages_attribute() -> None:
    code = (
        "import advisor_console.tui.screens.workspace\n"
        "import advisor_console.tui.screens.confirm\n"
        "print(advisor_console.tui.screens.confirm.ConfirmScreen.__name__)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ConfirmScreen"
