"""In a real browser: a milled part's "Machining features" view colours its sharp pocket corners
and names them in a legend."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.test_uploads_e2e import open_page, webgl_browser  # noqa: F401 - the fixture

pytestmark = pytest.mark.e2e
cq = pytest.importorskip("cadquery")


@pytest.fixture(scope="module")
def back_pocket(tmp_path_factory) -> Path:
    part = (cq.Workplane("XY").box(100, 60, 10, centered=(True, True, False))
            .faces(">Z").workplane().pushPoints([(-30, 0), (30, 0), (0, 20)]).hole(6.8, 6)
            .faces("<Z").workplane().rect(40, 20).cutBlind(-4))
    path = tmp_path_factory.mktemp("parts") / f"back-pocket-{secrets.token_hex(3)}.step"
    cq.exporters.export(part, str(path))
    return path


def test_the_features_view_shows_its_legend(webgl_browser, server, back_pocket) -> None:  # noqa: F811
    page = open_page(webgl_browser, server)
    page.goto("/")
    page.get_by_test_id("upload-input").set_input_files(str(back_pocket))
    page.wait_for_url(re.compile(r"/files/[0-9a-f-]{36}$"))
    expect(page.get_by_test_id("file-status")).to_have_attribute("data-status", "ready", timeout=60_000)
    toggle = page.get_by_test_id("features-toggle")
    expect(toggle).to_be_visible(timeout=60_000)  # once the pictures are drawn
    expect(page.get_by_test_id("features-legend")).to_have_count(0)

    toggle.click()
    legend = page.get_by_test_id("features-legend")
    expect(legend).to_be_visible()
    expect(legend.locator('[data-feature="small_radius"]')).to_contain_text("Small inside radius")
    expect(page.get_by_test_id("model-viewer")).to_have_attribute("src", re.compile(r"/features\.glb$"))
    expect(toggle).to_have_attribute("aria-current", "true")
    page.context.close()
