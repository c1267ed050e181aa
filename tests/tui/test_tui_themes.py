"""Themes: TOML files -> real textual Theme objects; bad files skipped with a notice; the
choice is remembered; the stylesheet only uses theme variables."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from textual.theme import Theme

from advisor_console.config import config_file, load_settings, user_themes_dir
from advisor_console.tui import themes as theme_mod
from advisor_console.tui.themes import BUNDLED, ThemeFileError, load_themes, shipped_themes_dirs, theme_from_toml
from tui_helpers import notifications, wait_until
from snapshot_app import make_app

TUI = Path(theme_mod.__file__).parent


def test_bundled_themes_are_real_textual_themes() -> None:
    assert shipped_themes_dirs(), "themes/ (checkout) or advisor_console/_themes (wheel) must exist"
    loaded = load_themes()
    assert loaded.errors == []
    for name in BUNDLED:
        theme = loaded.themes[name]
        assert isinstance(theme, Theme)
        assert all(getattr(theme, k) for k in ("primary", "secondary", "accent", "background", "surface", "panel", "warning", "error", "success", "foreground"))
    assert loaded.themes["advisor-light"].dark is False and loaded.themes["advisor-dark"].dark is True
    # Every shipped file's colours work out (the app does not try them out at start).
    files = [path for folder in shipped_themes_dirs() for path in sorted(folder.glob("*.toml"))]
    assert len(files) >= len(BUNDLED)
    for path in files:
        assert theme_from_toml(path.read_text(encoding="utf-8")).to_color_system().generate(), path.name


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("name = ", "not valid TOML"),
        ('primary = "#fff"', "no `name`"),
        ('name = "x"', "no `primary`"),
        ('name = "x"\nprimary = "not-a-colour"', "is not a colour"),
        ('name = "x"\nprimary = "#fff"\ndark = "yes"', "`dark` must be"),
        ('name = "x"\nprimary = 12', "not a colour string"),
    ],
)
def test_invalid_theme_files_say_why(text: str, reason: str) -> None:
    with pytest.raises(ThemeFileError, match=re.escape(reason)):
        theme_from_toml(text)


def test_user_theme_is_loaded_and_overrides(tmp_path: Path) -> None:
    shipped = tmp_path / "shipped"
    user = tmp_path / "user"
    shipped.mkdir()
    user.mkdir()
    (shipped / "a.toml").write_text('name = "advisor-dark"\nprimary = "#111111"\n')
    (user / "b.toml").write_text('name = "advisor-dark"\nprimary = "#222222"\n[variables]\nblock-cursor-text-style = "none"\n')
    (user / "bad.toml").write_bytes(b"\xff\xfe")
    loaded = load_themes([shipped, user])
    assert loaded.themes["advisor-dark"].primary == "#222222"
    assert loaded.themes["advisor-dark"].variables == {"block-cursor-text-style": "none"}
    assert loaded.errors and "bad.toml" in loaded.errors[0]


async def test_app_skips_bad_theme_with_a_notice_and_falls_back() -> None:
    user_themes_dir().mkdir(parents=True, exist_ok=True)
    (user_themes_dir() / "broken.toml").write_text('name = "broken"\nprimary = "nope"\n')
    (user_themes_dir() / "mine.toml").write_text('name = "my-theme"\nprimary = "#8844aa"\n')
    app = make_app(theme="does-not-exist")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await pilot.pause()
        assert app.theme == "advisor-dark"
        texts = notifications(app)
        assert any("broken.toml skipped" in t for t in texts)
        assert any("'does-not-exist' is not installed" in t for t in texts)
        assert "my-theme" in app.available_themes and "broken" not in app.available_themes


async def test_theme_choice_is_remembered() -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert not config_file().exists()  # starting does not write config
        app.theme = "advisor-light"
        await wait_until(pilot, lambda: config_file().exists(), what="config written")
    assert load_settings().theme == "advisor-light"
    again = make_app(theme=load_settings().theme)
    async with again.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert again.theme == "advisor-light"


def test_stylesheets_use_theme_variables_only() -> None:
    hard_coded = re.compile(r"#[0-9a-fA-F]{3,8}\b|\brgba?\(|\bhsla?\(|:\s*(red|green|blue|white|black|yellow|magenta|cyan|grey|gray)\b")
    sources = [p.read_text() for p in TUI.rglob("*.tcss")]
    for path in TUI.rglob("*.py"):
        text = path.read_text()
        sources += re.findall(r'DEFAULT_CSS = """(.*?)"""', text, re.S)
    assert sources
    for css in sources:
        css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
        assert not hard_coded.search(css), hard_coded.search(css)


async def test_switching_theme_recolours_every_pane() -> None:
    from advisor_console.tui.widgets.queue import QueueList
    from advisor_console.tui.widgets.thread import ThreadView
    from tui_helpers import open_conversation

    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await open_conversation(pilot, 1)
        thread = app.screen.query_one(ThreadView)
        qlist = app.screen.query_one(QueueList)

        def note_bg() -> object:
            index = next(i for i, b in enumerate(thread.blocks) if b.kind == "note")
            return thread._block_strips(index, thread._width)[1]._segments[0].style.bgcolor

        def name_colour() -> object:
            return qlist.get_option("1").prompt.spans[1].style.color

        before = (note_bg(), name_colour(), str(app.screen.query_one("#conversation-title").render().spans[0].style))
        app.theme = "advisor-light"
        await wait_until(pilot, lambda: note_bg() != before[0] and name_colour() != before[1], what="recoloured thread and queue")
        assert str(app.screen.query_one("#conversation-title").render().spans[0].style) != before[2]
