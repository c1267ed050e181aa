"""A product's picture in the terminal.

Three ways, chosen once before the app starts (`picture_mode`, setting `images`):
- "graphics": the terminal's own image protocol (kitty's, or Sixel) through textual-image,
  where the terminal says it has one (it must be asked before Textual takes the terminal);
- "blocks": colour half-blocks, two pixels a cell ("▀" with the top pixel as the colour
  and the bottom one as the background), in any terminal with colour;
- "text": a framed description, where there is no colour (NO_COLOR), no picture, or no
  server to fetch it from.
"""

from __future__ import annotations

import io
import os
import sys
from functools import lru_cache

from rich.color import Color
from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Container
from textual.widgets import Static

from ...domain.models import Product
from ..safe import safe_line

MODES = ("auto", "graphics", "blocks", "text")
_GRAPHIC_TERMINALS = ("xterm-kitty", "foot", "foot-extra", "wezterm", "mlterm", "contour")
_GRAPHIC_PROGRAMS = ("WezTerm", "iTerm.app", "ghostty", "konsole")


def picture_mode(setting: str = "auto") -> str:
    """The way pictures are drawn in this terminal. Asks the terminal (through
    textual-image) only when graphics are wanted or likely, so other terminals start as
    fast as before."""
    setting = setting if setting in MODES else "auto"
    if setting == "text" or (setting == "auto" and os.environ.get("NO_COLOR")):
        return "text"
    if setting == "blocks":
        return "blocks"
    likely = os.environ.get("KITTY_WINDOW_ID") or os.environ.get("TERM", "") in _GRAPHIC_TERMINALS or os.environ.get("TERM_PROGRAM", "") in _GRAPHIC_PROGRAMS
    if (setting == "graphics" or likely) and sys.__stdout__ is not None and sys.__stdout__.isatty():
        try:
            import textual_image.widget  # noqa: F401 - asks the terminal what it can draw
        except Exception:  # noqa: BLE001 - no package, or a terminal that does not answer
            return "blocks"
        return "graphics"
    return "blocks"


@lru_cache(maxsize=64)
def _cells(png: bytes, width: int, height: int) -> tuple[tuple[tuple[tuple[int, int, int], tuple[int, int, int]], ...], ...]:
    """The picture fitted into width x height cells: rows of (top, bottom) pixel pairs."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as img:
        img = img.convert("RGB")
        img.thumbnail((width, height * 2), Image.Resampling.LANCZOS)
        canvas = Image.new("RGB", (width, height * 2), img.getpixel((0, 0)))
        canvas.paste(img, ((width - img.width) // 2, (height * 2 - img.height) // 2))
    px = canvas.load()
    return tuple(tuple((px[x, y], px[x, y + 1]) for x in range(width)) for y in range(0, height * 2, 2))


class HalfBlocks:
    """A Rich renderable: the picture as colour half-blocks."""

    def __init__(self, png: bytes, width: int, height: int) -> None:
        self.rows = _cells(png, width, height)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for row in self.rows:
            for top, bottom in row:
                yield Segment("▀", Style(color=Color.from_rgb(*top), bgcolor=Color.from_rgb(*bottom)))
            yield Segment.line()


def text_picture(product: Product, why: str, width: int, height: int) -> Text:
    """The picture's stand-in: what the piece is, framed, and why there is no picture."""
    inner = max(8, width - 2)
    lines = [safe_line(product.category.replace("_", " ").capitalize()), safe_line(", ".join(product.colours)), safe_line(", ".join(product.materials)), "", safe_line(why)]
    body = [f"│{line[:inner].center(inner)}│" for line in lines]
    pad = max(0, height - 2 - len(body))
    body = [f"│{' ' * inner}│"] * (pad // 2) + body + [f"│{' ' * inner}│"] * (pad - pad // 2)
    return Text("\n".join([f"╭{'─' * inner}╮", *body, f"╰{'─' * inner}╯"]), no_wrap=True)


class ProductPicture(Container):
    """The picture of the piece shown in the lookbook's detail."""

    DEFAULT_CSS = """
    ProductPicture { width: 26; height: 13; }
    ProductPicture > Static { width: 100%; height: 100%; }
    """
    CELLS = (24, 12)

    def compose(self) -> ComposeResult:
        yield Static(id="picture-cells")

    def show(self, product: Product, png: bytes | None, mode: str, *, offline: bool = False) -> str:
        """Draw the picture; returns the way it was drawn ("graphics", "blocks" or "text")."""
        width, height = self.CELLS
        cells = self.query_one("#picture-cells", Static)
        for old in self.query(".graphic"):
            old.remove()
        if png is None or mode == "text":
            why = "no colour here" if png is not None else ("offline" if offline else "no picture on file")
            cells.display = True
            cells.update(text_picture(product, why, width, height))
            return "text"
        if mode == "graphics":
            try:
                from PIL import Image
                from textual_image.widget import Image as GraphicImage

                picture = GraphicImage(Image.open(io.BytesIO(png)), classes="graphic")
                picture.styles.width, picture.styles.height = width, height
                cells.display = False
                self.mount(picture)
                return "graphics"
            except Exception:  # noqa: BLE001 - fall back to blocks
                pass
        try:
            cells.update(HalfBlocks(png, width, height))
        except Exception:  # noqa: BLE001 - a picture Pillow cannot read: say so, do not crash
            cells.update(text_picture(product, "picture unreadable", width, height))
            return "text"
        cells.display = True
        return "blocks"
