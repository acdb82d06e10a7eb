"""The quote service prices FDM from a kept slice, never from a cached estimate of the same options."""

from __future__ import annotations

from decimal import Decimal

from geometry.pricing import Part, QuoteOptions, Sliced, default_rate_card
from geometry.slicer import SliceResult
from portal.files.slicing import KeptSlice, slice_options
from portal.quotes.services import QuoteService

CARD = default_rate_card()
PART = Part(volume_mm3=40_000.0, area_mm2=9_000.0, bbox_mm=(40.0, 40.0, 25.0))


def _source(quote) -> str:
    return next(d.source for d in quote.drivers if d.code == "print_time")


def test_a_slice_replaces_the_cached_estimate():
    service = QuoteService()
    options = QuoteOptions("fdm", "pla")
    estimate = service.quote("file-mm", PART, options, CARD)
    sliced = Sliced("pla", 0.2, 20, "as_uploaded", print_seconds=7200, mass_g=30.0)
    priced = service.quote("file-mm", PART, options, CARD, sliced=sliced)
    assert (_source(estimate), _source(priced)) == ("estimate", "slicer")
    assert next(d.value for d in priced.drivers if d.code == "print_time") == Decimal("2.00")
    assert _source(service.quote("file-mm", PART, options, CARD)) == "estimate"


def test_the_slice_a_quote_needs_and_its_kept_form():
    wanted = slice_options(CARD, QuoteOptions("fdm", "petg", infill=40, layer_mm=0.3), scale=Decimal("25.4"))
    assert (wanted.material, wanted.infill_percent, wanted.layer_mm, wanted.scale) == ("petg", 40, 0.3, 25.4)
    assert wanted.density_g_cm3 == 1.27 and wanted.orientation == "as_uploaded"
    assert slice_options(CARD, QuoteOptions("cnc_milling", "al_6061")) is None  # nothing to slice
    result = SliceResult("petg", 0.3, 40, "as_uploaded", 3600.0, 1000.0, 2.4, 3.05, 50, 15.0, 1.2)
    assert KeptSlice.from_dict(KeptSlice(result).as_dict()) == KeptSlice(result)
    failed = KeptSlice.from_dict(KeptSlice(None, "slice_timeout", {"seconds": 120}).as_dict())
    assert failed.result is None and (failed.error_code, failed.error_params) == ("slice_timeout", {"seconds": 120})


def test_an_order_line_prices_from_the_slice_too():
    service = QuoteService()
    options = QuoteOptions("fdm", "pla")
    estimate, _ = service.in_order("file-mm", PART, options, CARD)
    sliced = Sliced("pla", 0.2, 20, "as_uploaded", print_seconds=7200, mass_g=30.0)
    line, setup = service.in_order("file-mm", PART, options, CARD, sliced=sliced)
    assert (_source(estimate), _source(line)) == ("estimate", "slicer")
    assert setup > 0
