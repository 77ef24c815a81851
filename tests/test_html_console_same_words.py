"""The --html page says a figure the way the console says it (issue 10, page / console consistency).

Before: `simulate run --html`'s totals were labelled by raw field names (latency_s, achieved_op_per_s); `plan infer
--html` showed 'int8' where the console showed 'int8 (!)' (a precision not asked) and never said what the mark means;
`simulate sweep --html`'s 'lowest latency' key figure carried no estimate label where `simulate published`'s
frames/s does; the console printed counts bare (1024 devices, 4096 MAC units) where the page grouped them (1,024,
4,096)."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from conftest import SMALL_DESIGN_TOML, run_main


def _page_text(path: Path) -> str:
    t = path.read_text()
    t = re.sub(r"<(svg|style|details).*?</\1>", " ", t, flags=re.S)  # plots, CSS and the folded JSON
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", t)))


def _cells(path: Path, first: str) -> list[list[str]]:
    """The rows of the page's tables whose first cell is `first`, as lists of cell texts."""
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", path.read_text(), flags=re.S)
    out = []
    for r in rows:
        cells = [html.unescape(re.sub(r"<[^>]+>", "", c)).strip()
                 for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, flags=re.S)]
        if cells and cells[0] == first:
            out.append(cells)
    return out


@pytest.fixture(autouse=True)
def _no_history(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCELOPT_NO_HISTORY", "1")


def test_simulate_run_totals_are_named_as_the_console_names_them(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "d.toml").write_text(SMALL_DESIGN_TOML)
    (tmp_path / "g.csv").write_text("Layer, M, N, K,\ng1, 64, 32, 48,\n")
    page = tmp_path / "run.html"
    code, out, err = run_main(["simulate", "run", "-d", str(tmp_path / "d.toml"), "--topology",
                               str(tmp_path / "g.csv"), "--html", str(page)], capsys)
    assert code == 0, err
    code, doc, err = run_main(["simulate", "run", "-d", str(tmp_path / "d.toml"), "--topology",
                               str(tmp_path / "g.csv"), "--json"], capsys)
    assert code == 0, err
    tot = json.loads(doc)["totals"]
    from accelopt.units import fmt_quantity, fmt_seconds

    text = _page_text(page)
    totals = text[text.index(" totals value "):text.index(" On-chip energies")]
    assert "latency_s" not in totals and "achieved_op_per_s" not in totals, totals
    # each label as the console's summary line names the figure ('latency 1.23 µs', 'achieved 45.6 GOP/s'), its
    # unit beside it, and the same figure in the cell
    latency = fmt_seconds(tot["latency_s"])
    achieved = fmt_quantity(tot["achieved_op_per_s"], "OP/s")
    # the latency is an estimate on both (s34: latency* on the console, as sweep's key figure is labelled)
    assert f"latency* {latency}" in " ".join(out.split()) and f"achieved {achieved}" in " ".join(out.split())
    assert _cells(page, "latency (s, estimate)") == [["latency (s, estimate)", latency]]
    assert _cells(page, "achieved (OP/s)") == [["achieved (OP/s)", achieved]]
    assert [c[0] for c in _cells(page, "DRAM traffic (B, estimate)")] == ["DRAM traffic (B, estimate)"]
    assert _cells(page, "energy, MAC (J, estimate)"), text
    assert not re.search(r"\b(macs|total_cycles|energy_j|tops_per_w|mac_j|utilization \(fraction)\b", totals), totals


def test_plan_infer_page_marks_a_precision_not_asked_as_the_console_does(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "infer.html"
    # the Edge TPU runs int8 only (catalog): asked fp16, it runs int8, which the console marks 'int8 (!)'
    code, out, err = run_main(["plan", "infer", "mobilenet-v2", "--hardware", "edge-tpu,h100-sxm", "--dtype", "fp16",
                               "--batch", "1", "--html", str(page)], capsys)
    assert code == 0, err
    assert "int8 (!)" in out and "(!) = not the precision asked" in " ".join(out.split())
    rows = _cells(page, "edge-tpu")
    assert rows and rows[0][1] == "int8 (!)", rows
    assert [r[1] for r in _cells(page, "h100-sxm")][:1] == ["fp16"]  # the precision asked: no mark
    assert "(!) = not the precision asked" in _page_text(page)


def test_plan_infer_page_has_no_legend_when_every_device_runs_what_was_asked(tmp_path: Path,
                                                                           capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "infer.html"
    code, _, err = run_main(["plan", "infer", "mobilenet-v2", "--hardware", "h100-sxm", "--dtype", "fp16",
                             "--batch", "1", "--html", str(page)], capsys)
    assert code == 0, err
    text = _page_text(page)
    assert "(!)" not in text


def _sweep(tmp_path: Path, capsys: pytest.CaptureFixture[str], *flags: str) -> tuple[str, Path]:
    (tmp_path / "g.csv").write_text("Layer, M, N, K,\ng1, 30, 50, 70,\n")
    page = tmp_path / "sweep.html"
    code, out, err = run_main(["simulate", "sweep", "--topology", str(tmp_path / "g.csv"), "--rows", "64",
                               "--cols", "64", "--sram-kib", "64", *flags, "--html", str(page)], capsys)
    assert code == 0, err
    return out, page


def test_sweep_lowest_latency_is_labelled_an_estimate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from accelopt.report.figures import key_figures

    _, page = _sweep(tmp_path, capsys)
    code, doc, err = run_main(["simulate", "sweep", "--topology", str(tmp_path / "g.csv"), "--rows", "64",
                               "--cols", "64", "--sram-kib", "64", "--json"], capsys)
    assert code == 0, err
    figs = {f.label: f for f in key_figures("simulate-sweep", json.loads(doc))}
    assert figs["lowest latency"].estimate and figs["lowest energy"].estimate
    # as `simulate published`'s frames/s: the key figure's cell carries the estimate label on the page
    assert re.search(r"lowest latency\s*<span class=\"est\">estimate</span>", page.read_text()), page.read_text()


def test_sweep_mac_units_are_grouped_on_console_and_page_alike(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    out, page = _sweep(tmp_path, capsys)
    rows = re.findall(r"│\s*64\s*│\s*64\s*│.*", out)
    assert rows and all("4,096" in r and " 4096 " not in r for r in rows), out
    col = _cells(page, "name")[0].index("MAC units")  # the Pareto table's header row
    cells = [r[col] for name in set(re.findall(r">(64x64-[^<]+)<", page.read_text())) for r in _cells(page, name)]
    assert cells and set(cells) == {"4,096"}, cells


def test_validate_devices_are_grouped_on_console_and_page_alike(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "val.html"
    code, out, err = run_main(["validate", "--html", str(page)], capsys)
    assert code == 0, err
    code, doc, err = run_main(["validate", "--json"], capsys)
    assert code == 0, err
    big = [r for r in json.loads(doc)["runs"] if r["devices"] >= 1000]
    assert big, "the bundled runs have no run on 1,000 devices or more: this test checks nothing"
    r = big[0]
    page_rows = _cells(page, r["id"])
    assert page_rows and page_rows[0][6] == f"{r['devices']:,}", page_rows
    line = next(ln for ln in out.splitlines() if f" {r['id']} " in ln or f"│ {r['id']}" in ln)
    assert f"{r['devices']:,}" in line and f" {r['devices']} " not in line, line
