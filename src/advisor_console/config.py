"""Settings: env (ADVISOR_CONSOLE_*), a TOML file in the user config dir, defaults.

Precedence: explicit arguments > environment > config.toml > defaults.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from platformdirs import user_config_path, user_data_path
from pydantic import Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

APP_NAME = "advisor-console"


def config_dir() -> Path:
    return user_config_path(APP_NAME, appauthor=False)


def data_dir() -> Path:
    return user_data_path(APP_NAME, appauthor=False)


def config_file() -> Path:
    return config_dir() / "config.toml"


def user_themes_dir() -> Path:
    return config_dir() / "themes"


class _TomlSource(PydanticBaseSettingsSource):
    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        path = config_file()
        try:
            return tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
            return {}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ADVISOR_CONSOLE_", env_nested_delimiter="__", extra="ignore")

    server: str | None = None
    token: str | None = None
    theme: str = "advisor-dark"
    # Simulated clients in the embedded demo: messages per minute (0 = off).
    demo_rate: float = 6.0
    demo_seed: int = 7
    keymap: dict[str, str] = Field(default_factory=dict)
    data_dir: Path | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlSource(settings_cls))

    @property
    def resolved_data_dir(self) -> Path:
        return self.data_dir or data_dir()


def load_settings(**overrides: Any) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


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
