"""Parsed stylesheet rules are kept from one start to the next (tui/kept_css.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.css.stylesheet import Stylesheet

from advisor_console.tui.kept_css import KeptStylesheet
from snapshot_app import make_app
from tui_helpers import screen_text

SIZE = (160, 48)


def _count_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    parsed: list[str] = []
    original = Stylesheet._parse_rules

    def counting(self, css, read_from, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        parsed.append(str(read_from))
        return original(self, css, read_from, *args, **kwargs)

    monkeypatch.setattr(Stylesheet, "_parse_rules", counting)
    return parsed


async def _start(theme: str = "advisor-dark") -> tuple[str, Path | None]:
    app = make_app(theme=theme)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        shown = screen_text(app)
        path = app.stylesheet.kept_file
    return shown, path


async def test_the_second_start_reads_the_rules_the_first_parsed_and_looks_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = _count_parses(monkeypatch)
    first, path = await _start()
    assert path is not None and path.is_file()  # written at exit
    assert any("advisor.tcss" in p for p in parsed)
    parsed.clear()
    second, again = await _start()
    assert again == path
    assert not any("advisor.tcss" in p for p in parsed), "the app's stylesheet was parsed again"
    assert second == first


async def test_another_theme_parses_and_keeps_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    _, dark = await _start("advisor-dark")
    parsed = _count_parses(monkeypatch)
    _, light = await _start("advisor-light")
    assert light is not None and dark is not None and light != dark and light.is_file()
    assert any("advisor.tcss" in p for p in parsed)  # its variables differ: parsed for it


@pytest.mark.parametrize("damage", [b"", b"not a pickle", b"\x80\x04K\x01."])  # empty, garbage, a pickled int
async def test_a_damaged_file_costs_a_parse_not_the_start(damage: bytes, monkeypatch: pytest.MonkeyPatch) -> None:
    first, path = await _start()
    assert path is not None
    path.write_bytes(damage)
    parsed = _count_parses(monkeypatch)
    second, _ = await _start()
    assert second == first
    assert any("advisor.tcss" in p for p in parsed)
    assert len(path.read_bytes()) > 1000  # written anew at exit


def test_an_unwritable_folder_is_no_error(tmp_path: Path) -> None:
    blocker = tmp_path / "css"
    blocker.write_text("a file where the folder should be")
    sheet = KeptStylesheet(blocker, variables={"primary": "#123456"})
    sheet.add_source("Screen { background: $primary; }", read_from=("test", ""))
    sheet.parse()
    assert len(sheet.rules) == 1
    sheet.save()  # cannot write: logged, not raised
    assert blocker.read_text() == "a file where the folder should be"
