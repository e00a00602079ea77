"""The saved report in headless Chromium at a 700 px mail-pane width: every chart loads, nothing
overflows. The screenshot is kept in data/artifacts/ (git-ignored). In CI (CI=true) a missing browser
fails the test instead of skipping it."""

import shutil
from pathlib import Path

import pytest

from benchmarks.chromium import Chromium, find_chromium
from resync_assets.lib.report import IsoWeek, build_report
from resync_assets.lib.warehouse import read_only
from tests.report.warehouse_fixture import WEEK
from tests.shared_data import missing

ARTIFACTS = Path(__file__).resolve().parents[2] / "data" / "artifacts"
PANE = 700


@pytest.fixture(scope="module")
def chromium_binary():
    binary = find_chromium()
    if binary is None:
        missing("chromium is not installed (apt-get install -y chromium; .ci/run installs it)")
    return binary


@pytest.mark.parametrize("forecasts", [True, False], ids=["with-forecasts", "no-forecast-yet"])
def test_report_renders_in_a_700px_pane(chromium_binary, tmp_path, forecasts, request):
    from tests.report.warehouse_fixture import make_warehouse

    warehouse = make_warehouse(tmp_path / "w.duckdb", forecasts=forecasts)
    with read_only(warehouse) as con:
        built = build_report(con, IsoWeek.parse(WEEK), tmp_path / "reports")
    with Chromium(chromium_binary, width=PANE) as browser:
        probe, png = browser.open_page(built.html_path)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"weekly-report-{request.node.callspec.id}.png"
    shot.write_bytes(png)
    shutil.copy(built.html_path, ARTIFACTS / f"weekly-report-{request.node.callspec.id}.html")

    assert probe["title"] == f"resync weekly capacity report {WEEK}"
    images = probe["images"]
    assert len(images) == len(built.charts) == 6
    for img in images:
        assert img["complete"] and img["naturalWidth"] > 600 and img["naturalHeight"] > 100, img
        assert img["src"].startswith("data:image/png;base64,")
        assert 0 <= img["left"] and img["right"] <= PANE, img
    assert probe["clientWidth"] == PANE
    assert probe["scrollWidth"] <= PANE and probe["bodyScrollWidth"] <= PANE
    assert probe["overflowing"] == []
    assert probe["sections"] == [
        "Recommendations", "Workload trend", "Hosts: CPU, memory and disk", "Key jobs' runtime",
        "Top failure patterns (growing first)", "Incidents of the week", "Drift findings", "Maintenance alerts",
    ]  # fmt: skip
    if forecasts:
        assert "Add 2 vCPU to lnxprd3" in probe["text"]
    else:
        assert "no forecast yet" in probe["text"]
    # The screenshot is the full page at the pane's width, and every chart is drawn in it: its box
    # holds the plot's many colours, not an empty frame or a broken-image icon.
    assert png.startswith(b"\x89PNG") and int.from_bytes(png[16:20], "big") == PANE
    assert int.from_bytes(png[20:24], "big") == probe["height"] > 1500
    import io

    from PIL import Image

    shot_image = Image.open(io.BytesIO(png)).convert("RGB")
    for img in images:
        box = shot_image.crop((int(img["left"]), int(img["top"]), int(img["right"]), int(img["bottom"])))
        assert box.size[1] > 100
        assert len(box.getcolors(maxcolors=1_000_000)) > 50, img["alt"]
