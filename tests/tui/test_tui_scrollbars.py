"""Scrollbars drawn straight into strips (tui/scrollbars.py) give Textual's own cells: the
same characters and styles (mouse actions included), vertical and horizontal, at every
position, hovered and grabbed, after a theme change; and a bar is drawn anew when what it
shows changes."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.containers import ScrollableContainer
from textual.geometry import Region
from textual.widgets import OptionList, Static

from advisor_console.tui import scrollbars
from tui_helpers import cells


class _BarsApp(App[None]):
    CSS = """
    #list { height: 20; max-height: 20; }
    #box { height: 8; }
    #wide { width: 400; height: 30; }
    """

    def compose(self) -> ComposeResult:
        yield OptionList(*[f"row {i}" for i in range(300)], id="list")
        with ScrollableContainer(id="box"):
            yield Static("x " * 200, id="wide")


def _compare(bar) -> None:  # noqa: ANN001
    whole = Region(0, 0, bar.size.width, bar.size.height)
    parts = [whole, Region(0, 2, bar.size.width, 3), Region(1, 0, max(1, bar.size.width - 1), 2)]
    for crop in (part.intersection(whole) for part in parts):  # the compositor asks within the bar
        if not crop.area:
            continue
        bar.refresh()
        theirs = cells(scrollbars._textual_render_lines(bar, crop))
        ours = cells(scrollbars._render_lines(bar, crop))
        assert ours == theirs, (bar.vertical, bar.position, crop)


async def test_bars_are_drawn_cell_for_cell_as_textual_draws_them() -> None:
    app = _BarsApp()
    async with app.run_test(size=(60, 30)) as pilot:
        await pilot.pause()
        box = app.query_one("#box", ScrollableContainer)
        bars = [app.query_one(OptionList).vertical_scrollbar, box.vertical_scrollbar, box.horizontal_scrollbar]
        assert all(bar.size.area for bar in bars), [bar.size for bar in bars]
        assert {bar.vertical for bar in bars} == {True, False}
        for theme in ("textual-dark", "textual-light"):
            app.theme = theme
            await pilot.pause()
            for bar in bars:
                for state in ({}, {"mouse_over": True}, {"grabbed": bar.region.offset}):
                    bar.mouse_over, bar.grabbed = state.get("mouse_over", False), state.get("grabbed")
                    for position in (0, 0.125, 3.5, 17, 100, 10_000):
                        bar.position = position
                        _compare(bar)
                bar.mouse_over, bar.grabbed = False, None


async def test_a_bar_under_opacity_or_tint_is_drawn_by_textual() -> None:
    """Opacity (the bar's own or an ancestor's) and tint change a bar's cells in Textual's
    drawing: such a bar is left to it, and the cells are the same."""
    app = _BarsApp()
    async with app.run_test(size=(60, 30)) as pilot:
        await pilot.pause()
        option_list = app.query_one(OptionList)
        bar = option_list.vertical_scrollbar
        for setting in ("opacity", "tint"):
            if setting == "opacity":
                option_list.styles.opacity = 0.6
            else:
                option_list.styles.opacity = 1.0
                bar.styles.tint = "red 40%"
            await pilot.pause()
            for position in (0, 17, 100):
                bar.position = position
                _compare(bar)


async def test_a_bar_is_drawn_anew_when_it_moves_and_kept_while_it_does_not() -> None:
    app = _BarsApp()
    async with app.run_test(size=(60, 30)) as pilot:
        await pilot.pause()
        bar = app.query_one(OptionList).vertical_scrollbar
        whole = Region(0, 0, bar.size.width, bar.size.height)
        first = scrollbars._render_lines(bar, whole)
        assert scrollbars._render_lines(bar, whole) == first
        assert scrollbars._render_lines(bar, whole)[0] is first[0]  # kept, not drawn again
        bar.position = 50
        moved = scrollbars._render_lines(bar, whole)
        assert cells(moved) != cells(first)
        assert cells(moved) == cells(scrollbars._textual_render_lines(bar, whole))


def test_the_workstation_draws_its_bars_so() -> None:
    from textual.scrollbar import ScrollBar

    from snapshot_app import make_app

    make_app()
    assert ScrollBar.render_lines is scrollbars._render_lines
