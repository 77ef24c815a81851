"""The NVDLA primer's configurations as built-in designs, and the frames/s the simulator predicts for them
beside the published figure (NVIDIA, nvdla.org/primer.html, 'Example Area and Performance with NVDLA').

Tolerance, stated before comparing (issue 11): within 15% of the published ResNet-50 frames/s for every
configuration from 256 MACs up. The table's own figures are NVIDIA's estimator output."""

from __future__ import annotations

import json

import pytest
from conftest import run_main

from accelopt.simulate.design import get_design
from accelopt.simulate.published import NVDLA_ROWS, check_nvdla, nvdla_design

TOLERANCE = 0.15


def test_table_as_published() -> None:
    # (MACs, conv buffer KB, SDRAM GB/s, area mm^2, frames/s), transcribed from the primer
    assert [(r.macs, r.conv_buffer_kb, r.sdram_gb_per_s, r.area_mm2_28nm, r.resnet50_frames_per_s)
            for r in NVDLA_ROWS] == [(2048, 512, 20, 5.5, 269), (1024, 256, 15, 3.0, 153), (512, 256, 10, 2.3, 93),
                                     (256, 256, 5, 1.7, 46), (128, 256, 2, 1.4, 20), (64, 128, 1, 0.91, 7.3),
                                     (32, 128, 0.5, 0.85, 3.6)]


def test_rows_are_designs_by_name() -> None:
    d = get_design("nvdla-2048")
    assert d.macs == 2048 and d.ifmap_sram_bytes + d.filter_sram_bytes == 512 * 1024
    assert d.dram_bandwidth_byte_per_s == 20e9
    # the primer states the clock above the table (nvdla/nvdla.github.io primer.html @8aca14f8): it was labelled
    # 'assumption: the NVDLA primer table gives no clock' and printed as an assumption beside every run
    assert d.clock_hz == 1e9
    assert "shown for a 1GHz frequency" in d.sources["clock_hz"], d.sources["clock_hz"]


def test_array_shapes_are_nvidias_builds() -> None:
    # Atomic-C x Atomic-K of nvdla/hw spec/defs/{nv_large,nv_medium_1024_full,nv_medium_512,nv_small_256,nv_small}.spec
    shapes = {r.macs: (nvdla_design(r).rows, nvdla_design(r).cols) for r in NVDLA_ROWS}
    assert {m: shapes[m] for m in (2048, 1024, 512, 256, 64)} == {2048: (64, 32), 1024: (64, 16), 512: (32, 16),
                                                                 256: (32, 8), 64: (8, 8)}
    assert all(rows * cols == macs for macs, (rows, cols) in shapes.items())
    assert get_design("nvdla-512").sources["rows"].startswith("NVIDIA nvdla/hw")
    assert get_design("nvdla-128").sources["rows"].startswith("assumption")


_CHECKS = {c.design.macs: c for c in check_nvdla()}


@pytest.mark.parametrize("macs", [r.macs for r in NVDLA_ROWS if r.macs >= 256])
def test_frames_per_s_within_tolerance_from_256_macs(macs: int) -> None:
    assert abs(_CHECKS[macs].error) <= TOLERANCE


def test_cli_prints_every_row_with_its_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["simulate", "published", "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["schema"] == "accelopt.simulate-published" and doc["eyeriss"] is None
    rows = doc["nvdla"]
    assert [r["design"]["macs"] for r in rows] == [r.macs for r in NVDLA_ROWS]
    for r in rows:
        assert r["error"] == pytest.approx(r["predicted_frames_per_s"] / r["published_frames_per_s"] - 1)
    code, out, err = run_main(["simulate", "published"], capsys)
    assert code == 0 and "nvdla-2048" in out and "assumption" in out


@pytest.mark.parametrize("chip", ["nvdla", "eyeriss"])
def test_notes_and_source_print_verbatim(chip: str, capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The console renders no markup: a note or source holding brackets prints as written, with no escape
    backslash (rich.markup.escape on the plain console would show '\\[')."""
    import accelopt.simulate.published as pub

    real = pub.published_result
    odd = "see [bold]spec/defs[/bold] \\ [x]"

    def with_odd_text(chip: str, convention: str) -> pub.PublishedResult:
        from dataclasses import replace

        r = real(chip, convention)
        if r.eyeriss is not None:
            return replace(r, eyeriss=replace(r.eyeriss, source=odd, notes=[*r.eyeriss.notes, odd]))
        return replace(r, source=odd, notes=[*r.notes, odd])

    monkeypatch.setattr(pub, "published_result", with_odd_text)
    code, out, err = run_main(["simulate", "published", "--chip", chip], capsys)
    assert code == 0, err
    assert out.count(odd) == 2 and "\\[" not in out


def test_chip_options_are_checked_not_dropped(capsys: pytest.CaptureFixture[str]) -> None:
    """`--chip eyeriss --convention scalesim-code` ran the Eyeriss check and dropped the convention without a word;
    `--chip eyeris` did not point at eyeriss."""
    code, out, err = run_main(["simulate", "published", "--chip", "eyeriss", "--convention", "scalesim-code"], capsys)
    assert code == 2 and out == "" and "applies to --chip nvdla only" in err
    code, _, err = run_main(["simulate", "published", "--chip", "eyeris"], capsys)
    assert code == 2 and "did you mean --chip eyeriss?" in err


def test_nvdla_designs_say_the_dram_latency_they_take(capsys: pytest.CaptureFixture[str]) -> None:
    """The primer gives no DRAM latency: the rows ran on the Design default, 0 s, and said nothing, while a [design]
    TOML that leaves dram_latency_s out prints 'assumption: left out of the design, 0 s' beside its result (ut4sim,
    2026-12-06: `simulate run -d nvdla-512` listed its rows/cols and CACC assumptions only)."""
    from accelopt.simulate.design import _DEFAULTS_SAID

    for r in NVDLA_ROWS:
        d = nvdla_design(r)
        assert d.dram_latency_s == 0.0
        # every optional field a TOML is told about when left out is sourced here too (cores: one NVDLA core)
        assert all(f in d.sources for f in _DEFAULTS_SAID if f != "cores"), (r.name, sorted(d.sources))
        assert d.sources["dram_latency_s"].startswith("assumption")
    code, out, err = run_main(["simulate", "run", "-d", "nvdla-512", "-m", "alexnet-conv", "--max-rows", "0"], capsys)
    assert code == 0, err
    assert "dram_latency_s: assumption: the primer gives no DRAM latency; 0 s" in out
    code, out, err = run_main(["simulate", "published"], capsys)
    assert code == 0 and "the primer gives no DRAM latency" in out, err
