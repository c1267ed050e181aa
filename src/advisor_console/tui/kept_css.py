"""The stylesheet's parsed rules, kept on disk from one start to the next.

Textual parses every stylesheet at each start (ours, 160 rules, and the default CSS of
every widget class it meets): some 16 ms of a workstation start, the same text parsed to
the same rules each time. `KeptStylesheet` keeps what was parsed, per theme (the rules
depend on the theme's variables), in the data directory, and on the next start reads the
rules back instead (a pickle of the user's own, like the state snapshot: ~3 ms).

A kept entry is found by the text parsed and where it came from, the theme's variables,
and the versions of Textual and Python: a changed stylesheet, theme or upgrade parses
afresh. Anything wrong with the file (missing, damaged, another format) costs a parse,
never the start; a theme's file is written at exit when something new was parsed for it
(a theme switch writes nothing).
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import textual
from textual.css.model import RuleSet
from textual.css.stylesheet import Stylesheet

log = logging.getLogger(__name__)

FORMAT = 1
MAX_ENTRIES = 1_000  # a file holds one theme's rules: some 110 entries


def _digest(*parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


@dataclass
class _Kept:
    """One theme's rules by parse key, and whether any were parsed since its file was read."""

    rules: dict[str, list[RuleSet]]
    new: bool = False


def _theme_key(variables: dict[str, str]) -> str:
    """Which file a theme's rules are kept in: its variables, Textual's and Python's versions."""
    return _digest(sorted(variables.items()), textual.__version__, sys.version_info[:2], FORMAT)


class KeptStylesheet(Stylesheet):
    """A Textual stylesheet whose parsed rules come from `folder` when they were kept there."""

    def __init__(self, folder: Path | None, *, variables: dict[str, str] | None = None) -> None:
        self._folder = folder
        # by theme key: a theme's file is read when it first parses, written by save() (at exit)
        self._kept: dict[str, _Kept] = {}
        super().__init__(variables=variables)
        self._theme = _theme_key(variables or {})

    def set_variables(self, variables: dict[str, str]) -> None:
        super().set_variables(variables)
        self._theme = _theme_key(variables)

    def _file(self, theme: str) -> Path | None:
        return self._folder / f"rules-{theme}.pickle" if self._folder is not None else None

    @property
    def kept_file(self) -> Path | None:
        """The current theme's file."""
        return self._file(self._theme)

    def _kept_rules(self) -> _Kept:
        kept = self._kept.get(self._theme)
        if kept is None:
            kept = self._kept[self._theme] = _Kept(self._read(self.kept_file))
        return kept

    @staticmethod
    def _read(path: Path | None) -> dict[str, list[RuleSet]]:
        if path is None:
            return {}
        try:
            data: Any = pickle.loads(path.read_bytes())  # the user's own data directory, written by save()
            if not isinstance(data, dict) or not all(isinstance(v, list) for v in data.values()):
                raise ValueError("not a file of kept rules")
            return data
        except FileNotFoundError:
            return {}
        except Exception as exc:  # noqa: BLE001 - a damaged file costs a parse, never the start
            log.warning("kept stylesheet rules not used (%s): parsing", exc)
            return {}

    def _parse_rules(self, css: str, read_from: Any, is_default_rules: bool = False, tie_breaker: int = 0, scope: str = "") -> list[RuleSet]:
        kept = self._kept_rules()
        key = _digest(css, read_from, is_default_rules, tie_breaker, scope)
        rules = kept.rules.get(key)
        if rules is None:
            rules = super()._parse_rules(css, read_from, is_default_rules, tie_breaker, scope)
            if len(kept.rules) < MAX_ENTRIES:
                kept.rules[key] = rules
                kept.new = True
        return rules

    def save(self) -> None:
        """Write each theme's rules that were parsed since its file was read, if any were."""
        for theme, kept in self._kept.items():
            path = self._file(theme)
            if path is None or not kept.new:
                continue
            kept.new = False
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                partial = path.with_name(f"{path.name}.{os.getpid()}.part")
                partial.write_bytes(pickle.dumps(kept.rules, protocol=pickle.HIGHEST_PROTOCOL))
                os.replace(partial, path)
            except Exception as exc:  # noqa: BLE001 - the next start parses again, that is all
                log.warning("could not keep the parsed stylesheet: %s", exc)
