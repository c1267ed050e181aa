"""The core (domain, client, server, demo) never imports textual: it must run headless.

(rich is not checked: httpx itself imports it when installed, for its own CLI.)
"""

from __future__ import annotations

import subprocess
import sys

import pytest

CORE_MODULES = [
    "advisor_console.domain.models",
    "advisor_console.domain.reducer",
    "advisor_console.client.api",
    "advisor_console.client.cache",
    "advisor_console.client.sync",
    "advisor_console.client.workspace",
    "advisor_console.client.session",
    "advisor_console.server.app",
    "advisor_console.demo.seed",
    "advisor_console.cli",
]


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_module_does_not_import_the_ui(module: str) -> None:
    code = f"import sys, {module}; bad = [m for m in ('textual',) if m in sys.modules]; print(','.join(bad))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"{module} pulls in {out.stdout.strip()}"
