"""Settings: env (ADVISOR_CONSOLE_*), a TOML file in the user config dir, defaults.

Precedence: explicit arguments > environment > config.toml > defaults.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from platformdirs import user_config_path, user_data_path
from pydantic import BaseModel, ConfigDict, Field, ValidationError

APP_NAME = "advisor-console"


def config_dir() -> Path:
    return user_config_path(APP_NAME, appauthor=False)


def data_dir() -> Path:
    return user_data_path(APP_NAME, appauthor=False)


def config_file() -> Path:
    return config_dir() / "config.toml"


def user_themes_dir() -> Path:
    return config_dir() / "themes"


ENV_PREFIX = "ADVISOR_CONSOLE_"


class Settings(BaseModel):
    """What the workstation reads at start; `load_settings` fills it from config.toml and
    the environment (ADVISOR_CONSOLE_<NAME>; a table by ADVISOR_CONSOLE_<NAME>__<KEY>)."""

    model_config = ConfigDict(extra="ignore")

    server: str | None = None
    token: str | None = None
    theme: str = "advisor-dark"
    # Product pictures: auto (the terminal's graphics where it has them, else colour
    # half-blocks; text with NO_COLOR), graphics, blocks or text.
    images: Literal["auto", "graphics", "blocks", "text"] = "auto"
    # Click-to-call: a URL ("tel:{phone}", "sip:{phone}@pbx.example") opened by the system,
    # or a command ("softphone --dial {phone}") run without a shell.
    click_to_call: str = "tel:{phone}"
    # Simulated clients in the embedded demo: messages per minute (0 = off).
    demo_rate: float = 6.0
    demo_seed: int = 7
    keymap: dict[str, str] = Field(default_factory=dict)
    data_dir: Path | None = None

    @property
    def resolved_data_dir(self) -> Path:
        return self.data_dir or data_dir()


def _from_file() -> dict[str, Any]:
    try:
        data = tomllib.loads(config_file().read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}
    return {k: v for k, v in data.items() if k in Settings.model_fields}


def _from_env(environ: Mapping[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in environ.items():
        if not key.upper().startswith(ENV_PREFIX):
            continue
        name, _, sub = key[len(ENV_PREFIX):].lower().partition("__")
        if name not in Settings.model_fields:
            continue
        if sub:  # a table entry: ADVISOR_CONSOLE_KEYMAP__workspace.claim=C
            found.setdefault(name, {})
            if isinstance(found[name], dict):
                found[name][sub] = value
        elif name == "keymap":
            try:
                found[name] = json.loads(value)
            except ValueError:
                raise SettingsError(f"{key} must be a JSON object, e.g. {{\"workspace.claim\": \"C\"}}.") from None
        else:
            found[name] = value
    return found


def load_settings(**overrides: Any) -> Settings:
    """Explicit arguments > environment > config.toml > defaults."""
    merged = _from_file()
    for name, value in _from_env(os.environ).items():
        if isinstance(value, dict) and isinstance(merged.get(name), dict):
            merged[name] = {**merged[name], **value}
        else:
            merged[name] = value
    merged.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return Settings.model_validate(merged)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise SettingsError(f"Invalid settings (from {config_file()} or {ENV_PREFIX}* variables): {problems}") from None


class SettingsError(ValueError):
    """A setting that cannot be used; the message says which and where it came from."""


def save_setting(key: str, value: str) -> None:
    """Remember one top-level string setting in config.toml (e.g. the chosen theme)."""
    path = config_file()
    try:
        current = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        current = {}
    current[key] = value
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for k, v in current.items():
        if isinstance(v, str):
            lines.append(f"{k} = {_toml_str(v)}")
        elif isinstance(v, bool):
            lines.append(f"{k} = {'true' if v else 'false'}")
        elif isinstance(v, (int, float)):
            lines.append(f"{k} = {v}")
    tables = {k: v for k, v in current.items() if isinstance(v, dict)}
    for name, table in tables.items():
        lines.append(f"\n[{name}]")
        lines.extend(f"{_toml_str(k)} = {_toml_str(str(v))}" for k, v in table.items())
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tmp.replace(path)


def _toml_str(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    escaped = "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in escaped)
    return f'"{escaped}"'
