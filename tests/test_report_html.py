"""The self-contained HTML page: no external resources, inline SVG plots, key numbers, estimate labels."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from accelopt.cli.main import main
from accelopt.errors import InputError
from accelopt.report.figures import fmt
from accelopt.report.html import render_html, write_html

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    with pytest.raises(SystemExit) as e:
        main([*args, "--json"])
    assert e.value.code in (0, None)
    data: dict[str, Any] = json.loads(capsys.readouterr().out)
    return data


def assert_self_contained(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert "<svg" in page
    assert not EXTERNAL.search(page), EXTERNAL.search(page)
    for tag in ("<script", "<link", "<iframe", "@import", "url(http"):
        assert tag not in page.lower()
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), "element ids shared between plots"


def test_plan_page(capsys: pytest.CaptureFixture[str]) -> None:
    r = _json(capsys, "plan", "--model", "llama3-8b", "--tokens", "1e12", "--hardware", "h100-sxm,mi300x",
              "--devices", "8..32", "--top", "3")
    page = render_html("plan", r, title="plan test", argv=["plan", "--model", "llama3-8b"])
    assert_self_contained(page)
    assert page.count("<svg") >= 1
    best = r["best"][0]
    assert fmt(best["train_time_s"], "s") in page
    assert fmt(best["step_time_s"], "s") in page
    assert "accelopt plan --model llama3-8b" in page
    assert 'class="banner"' in page and page.count('class="est"') >= 5  # result says estimate: labelled
    assert f"{r['candidates']:,}" in page


def test_validate_page(capsys: pytest.CaptureFixture[str]) -> None:
    r = _json(capsys, "validate")
    page = render_html("validate", r, title="validate", argv=["validate"])
    assert_self_contained(page)
    for run in r["runs"][:5]:
        assert run["id"] in page
        assert fmt(run["predicted_step_s"], "s") in page
    assert fmt(r["median_abs_error_held_out"], "fraction") in page
    assert "predicted vs published" in page and 'class="est"' in page


def test_simulate_page_labels_energy_estimates(capsys: pytest.CaptureFixture[str]) -> None:
    r = _json(capsys, "simulate", "run", "-d", "tpu-v1", "-m", "alexnet-conv")
    page = render_html("simulate-run", r, title="sim", argv=["simulate", "run"])
    assert_self_contained(page)
    assert fmt(r["totals"]["latency_s"], "s") in page
    assert r["layers"][0]["name"] in page
    # cycles are exact counts of the model, energy is an estimate: only energy-like rows carry the label
    assert re.search(r"energy[^<]*<span class=\"est\">", page)
    assert 'class="banner"' not in page


def _probe_result(catalog_peak: float | None = None) -> Any:
    from accelopt.hardware.detect import DetectedDevice
    from accelopt.measure.probe import Figure, ProbeResult

    figure = Figure(metric="matmul.fp32", unit="FLOP/s", median=2.5e10, p10=2.0e10, p90=3.0e10, spread=0.4, n=5,
                    detail="best of 2 shapes", catalog_peak=catalog_peak)
    dev = DetectedDevice(torch_device="cpu", kind="cpu", vendor="x", name="Test CPU", memory_bytes=None, index=None,
                         catalog_name=None)
    return ProbeResult(device=dev, host="h", date="2026-01-01T00:00:00", torch_version="x", quick=True, threads=2,
                       figures=[figure], duration_s=1.0)


def test_measured_page_has_no_estimate_label() -> None:
    page = render_html("probe", _probe_result(), title="probe", argv=["probe"])
    assert_self_contained(page)
    assert fmt(2.5e10, "FLOP/s") in page
    assert 'class="est"' not in page and 'class="banner"' not in page


def _profile_result(is_estimate: bool) -> Any:
    from accelopt.measure.memory import MemoryBreakdown
    from accelopt.measure.profiler import EnergyResult, ProfileResult
    from accelopt.measure.roofline import Ceilings
    from accelopt.measure.timing import Stats

    def stats(median: float) -> Stats:
        return Stats(median=median, p10=0.9 * median, p90=1.2 * median, min=0.9 * median, max=1.2 * median, n=3)

    r = ProfileResult(
        name="m", mode="train", dtype="fp32", device="cpu", batch_size=4, steps=3, warmup=1, step_time=stats(0.01),
        breakdown={"forward": stats(0.004), "backward": stats(0.006)}, flops_per_step=1e9, matmul_flops_per_step=1e9,
        achieved_flop_per_s=1e11, peak_dtype="fp32", catalog_name=None, catalog_peak_flop_per_s=None,
        mfu_catalog=None, probed_name=None, probed_peak_flop_per_s=None, mfu_probed=None,
        memory=MemoryBreakdown(peak_bytes=2**30, baseline_bytes=None, parameters_bytes=1e6, gradients_bytes=1e6,
                               optimizer_state_bytes=2e6, activations_bytes=None, peak_kind="process-rss-hwm-reset"),
        energy=EnergyResult(energy_per_step_j=3.0, energy_per_sample_j=0.75, window_s=0.12, steps_in_window=12,
                            source="tdp" if is_estimate else "nvml", is_estimate=is_estimate),
        ceilings=Ceilings(peak_flop_per_s=1e12, memory_bandwidth_byte_per_s=1e11, dtype="fp32", source="test",
                          is_measured=False),
        roofline=[], op_time_kind="self time", profiled_step_s=0.011, environment={"threads": 2})
    return r


@pytest.mark.parametrize("is_estimate", [True, False])
def test_profile_energy_label_follows_result(is_estimate: bool) -> None:
    page = render_html("profile", _profile_result(is_estimate), title="profile", argv=["profile", "m"])
    assert_self_contained(page)
    assert fmt(3.0, "J") in page
    assert ('class="est"' in page) is is_estimate


def test_write_html_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    r = _probe_result()
    with pytest.raises(InputError, match="does not exist") as e:
        write_html(tmp_path / "missing" / "p.html", "probe", r, title="t", argv=[])
    assert "mkdir" in e.value.fix
    with pytest.raises(InputError, match="is a folder"):
        write_html(tmp_path, "probe", r, title="t", argv=[])
    # found by trying to open it (root passes permission bits): /proc refuses new files even to root
    with pytest.raises(InputError, match="cannot write --html"):
        write_html(Path("/proc/accelopt-test.html"), "probe", r, title="t", argv=[])
    assert not Path("/proc/accelopt-test.html").exists()


def test_dash_or_empty_html_path_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--html -` wrote a file named '-' where a user expects standard output; an empty path (as a string) said
    "it is a folder" of a '.' never typed."""
    from accelopt.userio import check_writable

    monkeypatch.chdir(tmp_path)
    r = _probe_result()
    with pytest.raises(InputError, match="--html is empty"):
        check_writable("", "--html", "report.html")
    with pytest.raises(InputError, match="takes a file, not standard output"):
        write_html(Path("-"), "probe", r, title="t", argv=[])
    assert not (tmp_path / "-").exists()
    # 2026-12-05, htmlsafe: `--html $PWD/-` wrote a page named '-' (the fix offered that way); a page's name ends in
    # .html now (a page under another name, `--html results.json`, was a slip), so the fix no longer offers it
    with pytest.raises(InputError, match=r"does not end in \.html") as e:
        write_html(tmp_path / "-", "probe", r, title="t", argv=[])
    assert "$PWD/-" not in e.value.fix and not (tmp_path / "-").exists()


def test_write_html_writes_file(tmp_path: Path) -> None:
    out = write_html(tmp_path / "p.html", "probe", _probe_result(catalog_peak=1e11),
                     title="probe <test>", argv=["probe", "--quick"])
    page = out.read_text(encoding="utf-8")
    assert_self_contained(page)
    assert "probe &lt;test&gt;" in page and "25.0%" in page and "accelopt probe --quick" in page


def test_control_and_bidi_characters_of_user_text_are_visible_in_the_page() -> None:
    """A run whose model name held ESC sequences and U+202E (right-to-left override) and whose command line held
    '\\x1b[2J' put them raw into the page: ESC is an HTML parse error, and U+202E turns the rest of the title
    around on screen ('x\\u202efdp.exe' reads 'xexe.pdf'). The console shows them as visible escapes; so does the
    page."""
    import dataclasses

    from accelopt.report.html import render_html

    evil = "<script>alert(1)</script> \x1b[31mred\x1b[0m ünïcødé 模型 x\u202efdp.exe"
    r = dataclasses.replace(_profile_result(False), name=evil)
    page = render_html("profile", r, title=f"profile {evil}", argv=["profile", "<b>x</b>", "\x1b[2J", "\u2066"])
    assert "\x1b" not in page and "\u202e" not in page and "\u2066" not in page
    assert "\\x1b[31mred\\x1b[0m" in page and "x\\u202efdp.exe" in page and "\\u2066" in page
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "ünïcødé 模型" in page  # other unicode stays as it is


def test_a_sentence_starting_with_a_digit_is_left_aligned_text() -> None:
    """profile --nproc 2's warnings table right-aligned (and kept on one line: figures do not wrap) the warnings
    that start with '2-rank run: ...' and left-aligned the others."""
    from accelopt.report.html import Table

    t = Table("warnings", ["#", "what was seen"],
              rows=[["1", "2-rank run: other processes used 1.35 cores on average while measuring"],
                    ["2", "rank 0 step time: spread (p90 - p10) / median = 62.7%"],
                    ["3", "3.72 ms"], ["4", "1.05x ABOVE BOUND"], ["5", "$0.133"], ["6", "n/a"]])
    cells = re.findall(r'<td class="(l?)">([^<]*)</td>', t.to_html())
    align = {text: cls for cls, text in cells}
    assert align["2-rank run: other processes used 1.35 cores on average while measuring"] == "l"
    assert align["rank 0 step time: spread (p90 - p10) / median = 62.7%"] == "l"
    assert align["3.72 ms"] == align["1.05x ABOVE BOUND"] == align["$0.133"] == align["n/a"] == ""


@pytest.mark.parametrize(("best", "want"), [
    (None, "baseline — r"), ("bf16", "baseline — r; best single technique inside the tolerance: bf16 1.49x")])
def test_optimize_page_names_the_best_single_technique_only_when_there_is_one(best: str | None, want: str) -> None:
    """The optimize page's note read 'best single technique: None' when no technique was measured faster."""
    from accelopt.optimize.results import OptimizeResult, Recommendation, VariantResult
    from accelopt.report.html import render_html

    base = VariantResult(name="baseline", techniques=[], family="", status="measured", changes="the model as given")
    rec = Recommendation(name="baseline", techniques=[], speedup=1.0, reason="r", best_single=best,
                         best_single_speedup=1.49 if best else None)
    r = OptimizeResult(name="m", mode="inference", device="cpu", dtype="fp32", batch_size=16, metric="loss",
                       higher_is_better=False, quality_tolerance=1.0, quality_tolerance_unit="percent",
                       variants=[base], recommendation=rec)
    page = render_html("optimize", r, title="optimize", argv=["optimize", "m"])
    note = re.search(r"recommendation: (.*?)</p>", page)
    assert note is not None and note.group(1) == want and "None" not in page.split("full result")[0]


def test_every_result_kind_has_a_page_title() -> None:
    """`history show ID --html` of an interrupted profile, a `validate --serving` and a `simulate published` run
    were headed 'accelopt profile-partial', 'accelopt validate-serving', 'accelopt simulate-published'."""
    from accelopt.report.runs import TITLES
    from accelopt.report.schema import KINDS

    assert set(KINDS) <= set(TITLES), set(KINDS) - set(TITLES)
