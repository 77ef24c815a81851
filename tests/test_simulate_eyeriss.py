"""The eyeriss preset (row-stationary) against Eyeriss's measured AlexNet figures: Y.-H. Chen, T. Krishna,
J. Emer, V. Sze, IEEE JSSC 52(1):127-138, 2017, Table V (CONV1-5, batch 4, 200 MHz, 1 V) and abstract
(34.7 frames/s, 278 mW, 0.0029 DRAM accesses per MAC).

Tolerances, stated before comparing (issue 11; accelopt.simulate.published): processing latency per layer and
frames/s within 15%, DRAM bytes per layer and DRAM accesses per MAC within 25% (after the RLC estimate: Eyeriss
codes its ifmaps and ofmaps in DRAM), chip power per layer and overall within 25%. A miss is a strict xfail with
its specific reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.simulate.published import (
    EYERISS_DRAM_PER_MAC,
    EYERISS_DRAM_TOLERANCE,
    EYERISS_FPS_TOLERANCE,
    EYERISS_FRAMES_PER_S,
    EYERISS_POWER_TOLERANCE,
    EYERISS_ROWS,
    EYERISS_TOTAL_LATENCY_MS,
    EYERISS_TOTAL_POWER_MW,
    check_eyeriss,
    rlc_ratio,
)

CHECK = check_eyeriss()
LAYERS = {x.published.layer: x for x in CHECK.layers}
NAMES = [r.layer for r in EYERISS_ROWS]

_NO_PASS_OVERHEAD = ("the model runs one MAC per active PE per cycle with no per-pass overhead; Table V's processing "
                     "latency is 18-21% above MACs / active PEs / 200 MHz for CONV1-2 (CONV1: 421.6 M MACs / 154 PEs "
                     "= 13.7 ms against 16.5 ms measured), an overhead the papers do not break down")
_LATENCY_GAP = {"conv1": _NO_PASS_OVERHEAD, "conv2": _NO_PASS_OVERHEAD}
_DRAM_GAP = {"conv5": "the model's mapping (least energy x delay) runs CONV5 in 2 image groups and reads its filters "
                      "twice (1.77 of 2.27 MB), where Eyeriss's Table III mapping keeps n = 4; and CONV5's ofmap zero "
                      "fraction is not published, so its ofmaps are counted uncoded"}


def test_table_v_as_published() -> None:
    # (power mW, total ms, processing ms, GMACs, active PEs, ifmap zeros, GLB MB, DRAM MB) per CONV layer
    assert [(r.power_mw, r.total_latency_ms, r.processing_latency_ms, r.macs_g, r.active_pes,
             r.ifmap_zero_fraction, r.glb_accesses_mb, r.dram_accesses_mb) for r in EYERISS_ROWS] == [
        (332, 20.9, 16.5, 0.42, 154, 0.0001, 18.5, 5.0), (288, 41.9, 39.2, 0.90, 135, 0.387, 77.6, 4.0),
        (266, 23.6, 21.3, 0.60, 156, 0.725, 50.2, 3.0), (235, 18.4, 16.0, 0.45, 156, 0.793, 37.4, 2.1),
        (236, 10.5, 10.0, 0.30, 156, 0.776, 24.9, 1.3)]
    assert sum(r.total_latency_ms for r in EYERISS_ROWS) == pytest.approx(EYERISS_TOTAL_LATENCY_MS)
    fps = 4 / (EYERISS_TOTAL_LATENCY_MS / 1e3)
    assert fps == pytest.approx(EYERISS_FRAMES_PER_S, abs=0.05)


def test_layer_shapes_give_the_published_macs() -> None:
    # Table V's MAC counts (two significant figures) check our AlexNet CONV shapes at batch 4
    from accelopt.simulate.layers import alexnet_conv_layers

    macs_g = {x.name: x.macs / 1e9 for x in alexnet_conv_layers(batch=4)}
    for r in EYERISS_ROWS:
        assert macs_g[r.layer] == pytest.approx(r.macs_g, abs=0.006)


@pytest.mark.parametrize("layer", NAMES)
def test_processing_latency_per_layer(layer: str, request: pytest.FixtureRequest) -> None:
    if layer in _LATENCY_GAP:
        request.applymarker(pytest.mark.xfail(reason=_LATENCY_GAP[layer], strict=True))
    assert abs(LAYERS[layer].latency_error) <= EYERISS_FPS_TOLERANCE


@pytest.mark.xfail(strict=True, reason="predicted 44 frames/s against 34.7: besides the missing per-pass overhead "
                   "(processing 90 ms against 103.5 ms), Table V's total latency adds 0.5-4.4 ms per layer of DRAM "
                   "time (115.3 ms in all) that the model hides behind compute (double-buffered GLB, 720 MB/s link)")
def test_frames_per_s() -> None:
    assert abs(CHECK.fps_error) <= EYERISS_FPS_TOLERANCE


@pytest.mark.parametrize("layer", NAMES)
def test_dram_bytes_per_layer(layer: str, request: pytest.FixtureRequest) -> None:
    if layer in _DRAM_GAP:
        request.applymarker(pytest.mark.xfail(reason=_DRAM_GAP[layer], strict=True))
    assert abs(LAYERS[layer].dram_error) <= EYERISS_DRAM_TOLERANCE


def test_dram_accesses_per_mac() -> None:
    assert abs(CHECK.dram_accesses_per_mac / EYERISS_DRAM_PER_MAC - 1) <= EYERISS_DRAM_TOLERANCE


@pytest.mark.parametrize("layer", NAMES)
def test_power_per_layer(layer: str) -> None:
    assert abs(LAYERS[layer].power_error) <= EYERISS_POWER_TOLERANCE


def test_power_over_conv1_to_5() -> None:
    assert abs(CHECK.power_w * 1e3 / EYERISS_TOTAL_POWER_MW - 1) <= EYERISS_POWER_TOLERANCE


def test_rlc_ratio() -> None:
    # three 21-bit (run, level) pairs per 64-bit word against four raw 16-bit words: 4/3 x nonzero fraction
    assert rlc_ratio(0.75) == pytest.approx(1 / 3)
    assert rlc_ratio(0.0) == 1.0   # coding would expand the data: sent raw (assumption)


def test_cli_prints_every_layer_with_its_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["simulate", "published", "--chip", "eyeriss", "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)["eyeriss"]
    assert [x["published"]["layer"] for x in doc["layers"]] == NAMES
    for x in doc["layers"]:
        assert x["dram_error"] == pytest.approx(x["dram_rlc_bytes"] / 1e6 / x["published"]["dram_accesses_mb"] - 1)
    assert doc["tolerances"]["frames_per_s_tolerance_fraction"] == EYERISS_FPS_TOLERANCE
    code, out, err = run_main(["simulate", "published", "--chip", "eyeriss"], capsys)
    assert code == 0 and "conv5" in out and "34.7" in out and "RLC" in out
    code, out, err = run_main(["simulate", "published", "--chip", "tpu"], capsys)
    assert code == 2 and "--chip" in err


def test_tolerances_are_a_typed_record_on_every_view(capsys: pytest.CaptureFixture[str]) -> None:
    """The console and the page read the tolerances as fields of a typed record (was a map read by key): each
    stated tolerance is printed with its own name."""
    tol = CHECK.tolerances
    assert (tol.frames_per_s_tolerance_fraction, tol.dram_tolerance_fraction, tol.power_tolerance_fraction) == (
        EYERISS_FPS_TOLERANCE, EYERISS_DRAM_TOLERANCE, EYERISS_POWER_TOLERANCE)
    code, out, err = run_main(["simulate", "published", "--chip", "eyeriss"], capsys)
    assert code == 0, err
    assert (f"frames/s {EYERISS_FPS_TOLERANCE:.0%}, processing latency {EYERISS_FPS_TOLERANCE:.0%}, "
            f"DRAM {EYERISS_DRAM_TOLERANCE:.0%}, power {EYERISS_POWER_TOLERANCE:.0%}") in " ".join(out.split())


def test_version_1_record_still_loads() -> None:
    """Version 2 retyped `eyeriss.tolerances` (a map keyed frames_per_s/processing_latency/dram/power, now a
    record): a stored version-1 run loads through its upgrade, with the same figures."""
    from accelopt.report import schema
    from accelopt.simulate.published import published_result

    doc = schema.dump("simulate-published", published_result("eyeriss"))
    assert doc["schema_version"] == 3  # 3: Table V rows declared in mW, ms, MB, GMAC (same values)
    assert schema.load("simulate-published", {**doc, "schema_version": 2}) is not None
    v1 = json.loads(json.dumps(doc))
    v1["schema_version"] = 1
    v1["eyeriss"]["tolerances"] = {"frames_per_s": 0.15, "processing_latency": 0.15, "dram": 0.25, "power": 0.25}
    loaded = schema.load("simulate-published", v1)
    assert loaded.eyeriss is not None and loaded.eyeriss.tolerances == CHECK.tolerances
    assert schema.dump("simulate-published", loaded) == doc
    nvdla = schema.dump("simulate-published", published_result("nvdla"))   # no Eyeriss part: loads as it was
    assert schema.load("simulate-published", {**nvdla, "schema_version": 1}).nvdla
    with pytest.raises(schema.SchemaError, match="power_tolerance_fraction"):
        del v1["eyeriss"]["tolerances"]["power"]
        schema.load("simulate-published", v1)
    with pytest.raises(schema.OtherVersionError):
        schema.load("simulate-published", {**doc, "schema_version": 4})


def test_the_page_prints_each_layer_as_the_console(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # the page put the predictions in SI beside Table V's figures (power 0.273 W beside 332 mW, DRAM 5.37 MiB
    # beside 5 MB, error +12.7%) where the console printed 273 and 5.63 (MB = 1e6 B): not the same numbers
    import html
    import re

    page = tmp_path / "e.html"
    code, out, _ = run_main(["simulate", "published", "--chip", "eyeriss", "--html", str(page)], capsys)
    assert code == 0
    text = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page.read_text())))
    for line in out.splitlines():
        if line.startswith("│ conv"):
            cells = [c.strip() for c in line.strip("│ ").split("│")]
            # every column, PEs, raw DRAM and GLB included, over two tables (test_simulate_published_page_cells)
            assert " ".join(cells[:8]) in text, (cells, text[:200])
            assert " ".join([cells[0], *cells[8:]]) in text, (cells, text[:200])
