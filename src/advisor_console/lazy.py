"""Modules loaded on first use: what a start does not need (httpx before the first frame,
the workstation's dialogs before one is opened) is not imported at start."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from types import ModuleType


def lazy_module(name: str) -> ModuleType:
    """`name`, loaded on its first attribute access (at once if already imported). A module
    whose code fails when it is loaded stays half made in sys.modules (the error is raised
    at that first access): only for the app's own modules, whose tests load them."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None:  # pragma: no cover - a broken install
        return importlib.import_module(name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    parent, _, child = name.rpartition(".")
    if parent:  # as an import does: the package's attribute (`import a.b` then `a.b.x`)
        setattr(importlib.import_module(parent), child, module)
    return module
