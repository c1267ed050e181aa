"""The stylesheet's parsed rules, kept on disk from one start to the next.

Textual parses every stylesheet at each start (ours, 160 rules, and the default CSS of
every widget class it meets): some 16 ms of a workstation start, the same text parsed to
the same rules each time. `KeptStylesheet` keeps what was parsed, per theme (the rules
depend on the theme's variables), in the data directory, and on the next start reads the
rules back instead (a pickle of the user's own, like the state snapshot: ~3 ms).

A kept entry is found by the text parsed and where it came from, the theme's variables,
and the versions of Textual and Python: a changed stylesheet, theme or upgrade parses
afresh. Anything wrong with the file (missing, damaged, another format) costs a parse,
never the start; the file is written when something new was parsed, at exit.
"""

from __future__ import annotations

import hashlib
import logging
import os
import pickle
import sys
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


class KeptStylesheet(Stylesheet):
    """A Textual stylesheet whose parsed rules come from `folder` when they were kept there."""

    def __init__(self, folder: Path | None, *, variables: dict[str, str] | None = None) -> None:
        self._folder = folder
        self._kept: dict[str, list[RuleSet]] | None = None  # read on first parse, per theme
        self._kept_theme = ""
        self._new = False
        super().__init__(variables=variables)
        self._theme = _digest(sorted((variables or {}).items()), textual.__version__, sys.version_info[:2], FORMAT)

    def set_variables(self, variables: dict[str, str]) -> None:
        super().set_variables(variables)
        self.save()  # what the old theme parsed, before its rules are put away
        self._theme = _digest(sorted(variables.items()), textual.__version__, sys.version_info[:2], FORMAT)

    @property
    def kept_file(self) -> Path | None:
        return self._folder / f"rules-{self._theme}.pickle" if self._folder is not None else None

    def _kept_rules(self) -> dict[str, list[RuleSet]]:
        if self._kept is None or self._kept_theme != self._theme:
            self._kept, self._kept_theme, self._new = self._read(), self._theme, False
        return self._kept

    def _read(self) -> dict[str, list[RuleSet]]:
        path = self.kept_file
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
        rules = kept.get(key)
        if rules is None:
            rules = super()._parse_rules(css, read_from, is_default_rules, tie_breaker, scope)
            if len(kept) < MAX_ENTRIES:
                kept[key] = rules
                self._new = True
        return rules

    def save(self) -> None:
        """Write what was parsed since the file was read, if anything was."""
        path = self.kept_file
        if path is None or not self._new or self._kept is None or self._kept_theme != self._theme:
            return
        self._new = False
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial = path.with_name(f"{path.name}.{os.getpid()}.part")
            partial.write_bytes(pickle.dumps(self._kept, protocol=pickle.HIGHEST_PROTOCOL))
            os.replace(partial, path)
        except Exception as exc:  # noqa: BLE001 - the next start parses again, that is all
            log.warning("could not keep the parsed stylesheet: %s", exc)
