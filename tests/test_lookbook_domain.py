"""Her size in a piece's size system, availability sentences, lookbook filters and
call-list segments as API parameters, the server's pictures drawn as half-blocks."""

from __future__ import annotations

from datetime import datetime, timezone

from advisor_console.domain.address import her_size_for
from advisor_console.domain.models import Client, Product, ProductDetail
from advisor_console.server.images import render_png
from advisor_console.tui.screens.call_list import Segment
from advisor_console.tui.widgets.lookbook import LookbookFilters, her_availability
from advisor_console.tui.widgets.product_image import HalfBlocks, picture_mode

HER = Client(id=1, name="Kim Ji-hyun", locale="ko-KR", country="KR", hub="SEL", vic_tier="gold", preferred_channel="chat",
             sizes={"shoes_eu": "36.5", "shoes_jp": "23.5", "rtw": "IT 40", "ring": "52", "belt": "75"})


def _piece(category: str, stock: dict[str, dict[str, int]]) -> Product:
    return Product(id=1, sku="X-1", name="Piece", line="Duomo", category=category, season="FW26", iconic=False, stock=stock)


def test_her_size_in_the_piece_system() -> None:
    assert her_size_for(HER, "shoes", ["36", "36.5", "37"]) == "36.5"
    assert her_size_for(HER, "ready_to_wear", ["38", "40", "42"]) == "40"  # "IT 40" on her record
    assert her_size_for(HER, "jewellery", ["50", "52"]) == "52"  # a ring
    assert her_size_for(HER, "jewellery", ["S", "M", "L"]) is None  # a bracelet
    assert her_size_for(HER, "belts", ["70", "75"]) == "75"
    assert her_size_for(HER, "bags", ["OS"]) is None
    assert her_size_for(HER, "shoes", ["39", "40"]) is None  # not made in her size
    assert her_size_for(None, "shoes", ["36.5"]) is None
    assert her_size_for(HER, "shoes") == "36.5"  # without the piece's sizes: her record


def test_availability_sentence() -> None:
    detail = ProductDetail.of(_piece("shoes", {"36.5": {"SEL": 2, "TYO": 1}, "37": {"FLR": 1}}))
    assert detail.stock_by_hub["SEL"] == {"36.5": 2} and detail.total_by_hub["FLR"] == 1 and set(detail.in_stock_hubs) == {"SEL", "TYO", "FLR"}
    assert her_availability(detail, "SEL", "36.5") == "✓ In her size 36.5 at her hub SEL: 2 units."
    assert her_availability(detail, "NYC", "36.5") == "✗ Not in her size 36.5 at NYC; in her size at SEL (2), TYO (1)."
    assert her_availability(detail, "SEL", "37").endswith("in her size at FLR (1).")
    assert her_availability(ProductDetail.of(_piece("shoes", {"38": {"SEL": 0}})), "SEL", "38").endswith("her size is sold out everywhere.")
    assert her_availability(detail, None, None) == "Open a conversation to see her size and hub."
    bag = ProductDetail.of(_piece("bags", {"OS": {"SEL": 3}}))
    assert her_availability(bag, "SEL", None) == "✓ 3 at her hub SEL."


def test_lookbook_filters_as_parameters() -> None:
    f = LookbookFilters(category="shoes", season="FW26", kind="iconic", stock="her_size")
    assert f.params("TYO", HER) == {"category": "shoes", "season": "FW26", "iconic": True, "in_stock_hub": "SEL", "size": "36.5"}
    assert LookbookFilters(kind="seasonal", stock="my_hub").params("TYO", HER) == {"category": None, "season": None, "iconic": False, "in_stock_hub": "TYO"}
    assert LookbookFilters(stock="her_size").params("TYO", HER)["in_stock_hub"] == "SEL"  # no category: no size system to ask
    assert "size" not in LookbookFilters(stock="her_size").params("TYO", HER)
    assert LookbookFilters(stock="her_hub").params("TYO", None) == {"category": None, "season": None, "iconic": None}
    assert f.describe("TYO", HER) == "Shoes · FW26 · iconic · in her size at SEL"
    assert LookbookFilters().describe("TYO", HER) == "All pieces"


def test_call_list_segment_as_parameters() -> None:
    now = datetime(2026, 12, 5, tzinfo=timezone.utc)
    seg = Segment(bought="365", tier="platinum", line="Duomo", quiet="60", birthday="next", channel="whatsapp")
    assert seg.params(now) == {"bought_within_days": 365, "vic_tier": "platinum,black", "line": "Duomo", "no_contact_days": 60, "birthday_month": 1, "channel": "whatsapp"}
    assert Segment(birthday="this").params(now)["birthday_month"] == 12
    assert Segment().params(now) == dict.fromkeys(("bought_within_days", "vic_tier", "line", "no_contact_days", "birthday_month", "channel"))
    assert seg.describe() == "bought in the last 12 months · VIC platinum and above · likes Duomo · no contact for 60 days · birthday next month · by whatsapp"


def test_pictures_are_drawn_the_same_and_fit_the_cells() -> None:
    png = render_png("shoes", ("black", "cognac"))
    assert png == render_png("shoes", ("black", "cognac")) and png[:8] == b"\x89PNG\r\n\x1a\n"
    assert render_png("bags", ("black",)) != png
    blocks = HalfBlocks(png, 24, 12)
    assert len(blocks.rows) == 12 and all(len(row) == 24 for row in blocks.rows)
    # The studio background at the corner, the black shoe somewhere in the middle rows.
    assert blocks.rows[0][0][0] == (246, 242, 236)
    assert any(max(top) < 60 for row in blocks.rows[4:10] for top, _bottom in row)


def test_picture_mode_without_a_terminal(monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert picture_mode("text") == "text"
    assert picture_mode("blocks") == "blocks"
    assert picture_mode("auto") == "blocks"  # no terminal under pytest: never asks one
    assert picture_mode("graphics") == "blocks"  # asked for, but no terminal to draw on
    assert picture_mode("nonsense") == "blocks"
    monkeypatch.setenv("NO_COLOR", "1")
    assert picture_mode("auto") == "text"
