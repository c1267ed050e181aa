"""Product pictures: a still life of each piece, drawn from its catalogue record.

The demo catalogue has no photographs, so the server draws one per product that has an
`image` key: the category's silhouette in the piece's colours (the first colour for the
body, the second, if any, for the trim), on a studio background. The drawing is
deterministic (the same product gives the same bytes), small (160 x 160 PNG, a few KB)
and cached, so the lookbook's detail can fetch it on every open.
"""

from __future__ import annotations

import io
from functools import lru_cache

from PIL import Image, ImageDraw

SIZE = 160

# The catalogue's colour names, as a photographer would light them.
COLOUR_RGB: dict[str, tuple[int, int, int]] = {
    "black": (28, 27, 30),
    "ivory": (240, 234, 218),
    "cognac": (154, 82, 38),
    "bordeaux": (104, 22, 40),
    "forest green": (34, 78, 52),
    "navy": (27, 39, 82),
    "blush": (232, 180, 176),
    "sand": (214, 190, 150),
    "taupe": (142, 124, 110),
    "ecru": (226, 216, 190),
    "cobalt": (0, 71, 171),
    "emerald": (0, 128, 86),
    "poppy red": (214, 40, 40),
    "chocolate": (84, 48, 30),
    "dove grey": (170, 168, 166),
    "pearl": (234, 228, 222),
    "sage": (156, 175, 136),
    "lilac": (190, 160, 210),
    "camel": (193, 154, 107),
    "gold": (212, 175, 55),
    "silver": (192, 192, 196),
    "tobacco": (113, 77, 44),
    "midnight blue": (25, 25, 70),
    "butter yellow": (246, 224, 130),
}
BACKGROUND = (246, 242, 236)
SHADOW = (222, 215, 205)
METAL = (201, 168, 92)


def colour(name: str | None, default: tuple[int, int, int] = (120, 110, 100)) -> tuple[int, int, int]:
    return COLOUR_RGB.get((name or "").strip().lower(), default)


def _darker(rgb: tuple[int, int, int], by: float = 0.7) -> tuple[int, int, int]:
    return (int(rgb[0] * by), int(rgb[1] * by), int(rgb[2] * by))


def _bag(d: ImageDraw.ImageDraw, body, trim) -> None:  # noqa: ANN001
    d.arc((52, 22, 108, 78), 180, 360, fill=_darker(body), width=7)
    d.polygon([(34, 62), (126, 62), (138, 134), (22, 134)], fill=body)
    d.rectangle((70, 70, 90, 80), fill=trim)


def _shoe(d: ImageDraw.ImageDraw, body, trim) -> None:  # noqa: ANN001
    d.polygon([(20, 110), (60, 96), (96, 74), (118, 66), (140, 72), (142, 112), (20, 120)], fill=body)
    d.rectangle((120, 112, 134, 138), fill=_darker(body))
    d.line((20, 121, 142, 113), fill=trim, width=4)


def _garment(d: ImageDraw.ImageDraw, body, trim) -> None:  # noqa: ANN001
    d.polygon([(58, 18), (102, 18), (138, 46), (124, 62), (112, 52), (116, 146), (44, 146), (48, 52), (36, 62), (22, 46)], fill=body)
    d.polygon([(66, 18), (80, 40), (94, 18)], fill=trim)


def _jewel(d: ImageDraw.ImageDraw, body, trim) -> None:  # noqa: ANN001
    d.ellipse((38, 50, 122, 134), outline=METAL if body == trim else trim, width=12)
    d.ellipse((66, 22, 94, 54), fill=body, outline=METAL, width=3)


def _small_leather(d: ImageDraw.ImageDraw, body, trim) -> None:  # noqa: ANN001
    d.rounded_rectangle((30, 50, 130, 116), radius=8, fill=body)
    d.line((30, 70, 130, 70), fill=_darker(body), width=3)
    d.rectangle((74, 64, 86, 76), fill=trim)


def _scarf(d: ImageDraw.ImageDraw, body, trim) -> None:  # noqa: ANN001
    d.polygon([(80, 16), (144, 80), (80, 144), (16, 80)], fill=body)
    d.polygon([(80, 40), (120, 80), (80, 120), (40, 80)], outline=trim, width=5)


def _belt(d: ImageDraw.ImageDraw, body, trim) -> None:  # noqa: ANN001
    d.rounded_rectangle((10, 70, 150, 90), radius=6, fill=body)
    d.rectangle((58, 62, 86, 98), outline=METAL, width=5)
    for x in (108, 120, 132):
        d.ellipse((x - 2, 78, x + 2, 82), fill=trim)


def _eyewear(d: ImageDraw.ImageDraw, body, trim) -> None:  # noqa: ANN001
    d.ellipse((22, 60, 74, 104), fill=body, outline=trim, width=4)
    d.ellipse((86, 60, 138, 104), fill=body, outline=trim, width=4)
    d.line((74, 76, 86, 76), fill=trim, width=4)


def _watch(d: ImageDraw.ImageDraw, body, trim) -> None:  # noqa: ANN001
    d.rectangle((64, 14, 96, 146), fill=body)
    d.ellipse((46, 46, 114, 114), fill=METAL)
    d.ellipse((54, 54, 106, 106), fill=(250, 248, 244))
    d.line((80, 80, 80, 60), fill=trim, width=3)
    d.line((80, 80, 96, 86), fill=trim, width=3)


_DRAW = {
    "bags": _bag,
    "shoes": _shoe,
    "ready_to_wear": _garment,
    "jewellery": _jewel,
    "small_leather_goods": _small_leather,
    "scarves": _scarf,
    "belts": _belt,
    "eyewear": _eyewear,
    "watches": _watch,
}


@lru_cache(maxsize=512)
def render_png(category: str, colours: tuple[str, ...]) -> bytes:
    """The piece's picture as PNG bytes (same input, same bytes)."""
    body = colour(colours[0] if colours else None)
    trim = colour(colours[1], _darker(body, 0.55)) if len(colours) > 1 else _darker(body, 0.55)
    img = Image.new("RGB", (SIZE, SIZE), BACKGROUND)
    d = ImageDraw.Draw(img)
    d.ellipse((24, 136, 136, 154), fill=SHADOW)
    _DRAW.get(category, _small_leather)(d, body, trim)
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()
