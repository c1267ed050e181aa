"""Themes as real `textual.theme.Theme` objects, loaded from TOML files.

Where theme files are looked for, in order (a later file with the same name wins):
1. the themes shipped with the app: `advisor_console/_themes` inside an installed wheel,
   or `<repo>/themes` in a source checkout;
2. the user's themes folder, `config.user_themes_dir()`.

A theme file holds the fields of `textual.theme.Theme`: `name` and `primary` are required;
`secondary`, `accent`, `warning`, `error`, `success`, `foreground`, `background`,
`surface`, `panel`, `boost` (colours), `dark` (bool), `luminosity_spread`, `text_alpha`
(numbers) are optional, and a `[variables]` table may set extra CSS variables. A file that
cannot be read or holds an invalid colour is skipped and reported.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from textual.color import Color, ColorParseError
from textual.theme import Theme

import advisor_console

from ..config import user_themes_dir

DEFAULT_THEME = "advisor-dark"
BUNDLED = ("advisor-dark", "advisor-light", "advisor-high-contrast")

_COLOURS = ("primary", "secondary", "accent", "warning", "error", "success", "foreground", "background", "surface", "panel", "boost")
_NUMBERS = ("luminosity_spread", "text_alpha")


class ThemeFileError(ValueError):
    pass


@dataclass
class LoadedThemes:
    themes: dict[str, Theme] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)  # one sentence per skipped file


def shipped_themes_dirs() -> list[Path]:
    package = Path(advisor_console.__file__).resolve().parent
    candidates = [package / "_themes", package.parents[1] / "themes"]
    return [p for p in candidates if p.is_dir()]


def theme_from_toml(text: str, *, shipped: bool = False) -> Theme:
    """Parse one theme file's text; raises ThemeFileError with a readable reason. A theme
    shipped with the app is not tried out (its colours worked out in full, some 2 ms a
    theme at each start): its tests do that."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ThemeFileError(f"not valid TOML ({exc})") from None
    name = data.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ThemeFileError("no `name`")
    if "primary" not in data:
        raise ThemeFileError("no `primary` colour")
    kwargs: dict[str, object] = {"name": name.strip()}
    for key in _COLOURS:
        if key in data:
            value = data[key]
            if not isinstance(value, str):
                raise ThemeFileError(f"`{key}` is not a colour string")
            try:
                Color.parse(value)
            except ColorParseError:
                raise ThemeFileError(f"`{key}` = {value!r} is not a colour") from None
            kwargs[key] = value
    if "dark" in data:
        if not isinstance(data["dark"], bool):
            raise ThemeFileError("`dark` must be true or false")
        kwargs["dark"] = data["dark"]
    for key in _NUMBERS:
        if key in data:
            if not isinstance(data[key], (int, float)) or isinstance(data[key], bool):
                raise ThemeFileError(f"`{key}` must be a number")
            kwargs[key] = float(data[key])
    variables = data.get("variables", {})
    if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
        raise ThemeFileError("`[variables]` must map names to strings")
    kwargs["variables"] = {str(k): v for k, v in variables.items()}
    theme = Theme(**kwargs)  # type: ignore[arg-type]
    if shipped:
        return theme
    try:
        theme.to_color_system().generate()
    except Exception as exc:  # noqa: BLE001 - any failure here means the theme is unusable
        raise ThemeFileError(f"unusable colours ({exc})") from None
    return theme


def load_themes(dirs: list[Path] | None = None) -> LoadedThemes:
    """Every valid theme in the shipped and user folders (or in `dirs`)."""
    result = LoadedThemes()
    shipped = shipped_themes_dirs() if dirs is None else []
    folders = dirs if dirs is not None else [*shipped, user_themes_dir()]
    for folder in folders:
        try:
            files = sorted(folder.glob("*.toml"))
        except OSError:
            continue
        for path in files:
            try:
                theme = theme_from_toml(path.read_text(encoding="utf-8"), shipped=folder in shipped)
            except (OSError, UnicodeDecodeError) as exc:
                result.errors.append(f"Theme file {path.name} skipped: cannot be read ({type(exc).__name__}).")
                continue
            except ThemeFileError as exc:
                result.errors.append(f"Theme file {path.name} skipped: {exc}.")
                continue
            result.themes[theme.name] = theme
    return result
