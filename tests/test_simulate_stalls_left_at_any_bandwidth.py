"""`simulate run`'s "needs X for no stalls" when some stalls do not depend on the bandwidth.

Before, a design with a DRAM latency, or a ws/is layer whose accumulator strip is cut into chunks (each re-loading
the stationary operand), printed "needs 1.41 GB/s for no stalls"; at that bandwidth, or any other, those stall
cycles remained (simulate/memory.py stalls(): the latency once per layer, the reloads always). Now the line says
the bandwidth removes the bandwidth stalls and how many cycles remain at any bandwidth, and the count is checked
against a run at a bandwidth too high to stall."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import SMALL_DESIGN_TOML, run_main

TOPOLOGY = "Layer, M, N, K,\na, 64, 8, 16,\nb, 64, 400, 16,\nc, 4, 4, 1000,\n"


def _design(tmp_path: Path, extra: str, bandwidth: str = "12.8e9") -> Path:
    text = (SMALL_DESIGN_TOML.replace('"os"', '"ws"').replace("rows = 16", "rows = 4")
            .replace("cols = 16", "cols = 4").replace("ofmap_sram_bytes = 32768", "ofmap_sram_bytes = 333")
            .replace("12.8e9", bandwidth)) + extra
    path = tmp_path / f"d{len(list(tmp_path.iterdir()))}.toml"
    path.write_text(text)
    return path


def _run(tmp_path: Path, capsys: pytest.CaptureFixture[str], design: Path, *extra: str) -> str:
    topo = tmp_path / "g.csv"
    topo.write_text(TOPOLOGY)
    code, out, err = run_main(["simulate", "run", "-d", str(design), "--topology", str(topo), *extra], capsys)
    assert code == 0, err
    return out


@pytest.mark.parametrize("extra", ["", "dram_latency_s = 1e-6\n"])
def test_stalls_that_no_bandwidth_removes_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch, extra: str) -> None:
    monkeypatch.setenv("ACCELOPT_NO_HISTORY", "1")
    out = _run(tmp_path, capsys, _design(tmp_path, extra))
    assert "for no stalls" not in out
    # 2026-12-05 (utsim): the line also says each layer's first fill waits (and its cycles where the design's
    # bandwidth is at least the one printed): "for no bandwidth stalls beyond each layer's first fill; N stall ..."
    left = re.search(r"for no bandwidth stalls beyond each layer's first fill(?: \([\d,]+ cycles at [^)]*\))?; "
                     r"([\d,]+) stall cycles remain at any bandwidth: (.*?)\), intensity", " ".join(out.split()))
    assert left, out
    remain = int(left.group(1).replace(",", ""))
    assert "stationary-operand reloads" in left.group(2)
    assert ("DRAM latency 2,400" in left.group(2)) == bool(extra)  # 3 layers x 1 us x 800 MHz
    # at a bandwidth no layer can stall on, exactly those cycles are left (plus each layer's first-tile fill, which
    # at 1e17 B/s is one cycle at most: a ceil)
    fast = json.loads(_run(tmp_path, capsys, _design(tmp_path, extra, "1e17"), "--json"))
    stall = sum(x["stall_cycles"] for x in fast["layers"])
    assert remain <= stall <= remain + len(fast["layers"])


def test_no_such_stalls_keeps_the_short_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCELOPT_NO_HISTORY", "1")
    design = tmp_path / "os.toml"
    design.write_text(SMALL_DESIGN_TOML)
    out = _run(tmp_path, capsys, design)
    # 2026-12-05 (utsim): "for no stalls)" -> "for no stalls beyond each layer's first fill (5 cycles at 12.8 GB/s))"
    flat = " ".join(out.split())
    assert "for no stalls beyond each layer's first fill (" in flat and "remain at any bandwidth" not in flat


def test_replayed_layers_have_no_dram_latency_left(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Under --convention scalesim-code, a layer whose DRAM traffic and stalls SCALE-Sim's buffers replay waits on no
    DRAM latency (SCALE-Sim models none): the run printed '0 stall' beside '2,400 stall cycles remain at any
    bandwidth: DRAM latency 2,400' (3 layers x 1 us x 800 MHz counted from the design, replayed or not). Each layer's
    latency_cycles is what the line sums."""
    monkeypatch.setenv("ACCELOPT_NO_HISTORY", "1")
    design = tmp_path / "os.toml"
    design.write_text(SMALL_DESIGN_TOML + "dram_latency_s = 1e-6\n")
    doc = json.loads(_run(tmp_path, capsys, design, "--convention", "scalesim-code", "--json"))
    assert [x["latency_cycles"] for x in doc["layers"]] == [0, 0, 0]  # every layer replayed (the note says 3 of 3)
    out = _run(tmp_path, capsys, design, "--convention", "scalesim-code")
    assert "remain at any bandwidth" not in out and "for no stalls)" in out
    paper = json.loads(_run(tmp_path, capsys, design, "--json"))  # the tiling model: 800 cycles once per layer
    assert [x["latency_cycles"] for x in paper["layers"]] == [800, 800, 800]
    assert all(x["stall_cycles"] >= 800 for x in paper["layers"])


def test_the_first_fill_left_at_the_needed_bandwidth_is_said(capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """Eyeriss on AlexNet's conv layers read "needs 460 MB/s for no stalls" beside "(19,102 stall)" at its own
    720 MB/s: each layer's first pass fill waits at any finite bandwidth (simulate/memory.py stalls(); the rs model
    overlaps DRAM with compute behind the first pass). Above the printed bandwidth no layer's transfers outlast its
    compute, so the stall cycles are those fills, and the line now says so with their count."""
    import re

    monkeypatch.setenv("ACCELOPT_NO_HISTORY", "1")
    code, out, err = run_main(["simulate", "run", "-d", "eyeriss", "-m", "alexnet-conv", "--max-rows", "0"], capsys)
    assert code == 0, err
    flat = " ".join(out.split())
    stall = re.search(r"cycles \([\d,]+ compute \+ ([\d,]+) stall\)", flat)  # s34: the compute cycles beside them
    said = re.search(r"needs ([\d.]+) MB/s for no stalls beyond each layer's first fill "
                     r"\(([\d,]+) cycles at 720 MB/s\)", flat)
    assert stall and said, flat
    assert float(said.group(1)) < 720 and said.group(2) == stall.group(1) != "0"


def test_the_html_page_says_what_the_console_says(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """ut3srv (2026-12-06): the --html page's totals showed 'DRAM bandwidth needed for no bandwidth stalls' alone,
    beside stall cycles that no bandwidth removes; the console's DRAM line says which remain. The page's totals note
    now carries the console's words, figures included (report/simulate_view.stalls_left, shared)."""
    import html

    monkeypatch.setenv("ACCELOPT_NO_HISTORY", "1")
    page = tmp_path / "r.html"
    out = " ".join(_run(tmp_path, capsys, _design(tmp_path, "dram_latency_s = 1e-6\n"), "--html", str(page)).split())
    said = re.search(r"; needs (\S+ \S+) for no (bandwidth stalls .*?)\), intensity", out)
    assert said and "remain at any bandwidth" in said.group(2), out
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8"))).split())
    assert f"The DRAM bandwidth needed, {said.group(1)}, is for no {said.group(2)}." in text
