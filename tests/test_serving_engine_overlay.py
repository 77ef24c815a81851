"""Per-engine serving calibration (peng, session 37, 2026-12-06): a `[serving.NAME.engine.ENGINE]` overlay holds the
engine-dependent fields (calibration.ENGINE_FIELDS: per_step_overhead_s, per_request_overhead_s) fitted on that
engine's rows; `plan serve --engine`, its JSON and `validate --serving` take it through one path
(serving.calibration_for_spec), and a fitted table without an overlay for the engine says its costs are another
engine's. The ut4srv note (2026-12-06) is why: vLLM / SGLang on Hopper ran whole decode steps below the 4.5 ms
[serving.nvidia-hopper] charges, fitted on TensorRT-LLM rows."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import run_main_expect

from accelopt.errors import InputError
from accelopt.hardware.catalog import get_device
from accelopt.predict import serving
from accelopt.predict.calibration import ENGINE_FIELDS, load_serving_tables
from accelopt.predict.serving_validation import fit_serving, predict_row, read_serving_runs
from accelopt.workload.presets import get_model

_TABLE = """
[serving.my-h100]
match = ["h100*"]
per_step_overhead_s = 0.004
fitted_on = ["my-trtllm-row"]
[serving.my-h100.engine.vllm]
per_step_overhead_s = 0.001
per_request_overhead_s = 0.02
fitted_on = ["my-vllm-row"]
"""


def _file(tmp_path: Path, text: str = _TABLE) -> str:
    path = tmp_path / "cal.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_overlay_is_read_and_taken_for_its_engine_only(tmp_path: Path) -> None:
    path = _file(tmp_path)
    spec = get_device("h100-sxm")
    vllm = serving.calibration_for_spec(spec, path=path, engine="vllm")
    assert (vllm.per_step_overhead_s, vllm.per_request_overhead_s) == (0.001, 0.02)
    assert vllm.engine == "vllm" and vllm.table_name == "my-h100.engine.vllm"
    assert vllm.engine_fitted_on == ("my-vllm-row",) and vllm.fitted_on == ("my-trtllm-row", "my-vllm-row")
    for engine in ("sglang", None):  # no overlay: the table's own values
        other = serving.calibration_for_spec(spec, path=path, engine=engine)
        assert (other.per_step_overhead_s, other.per_request_overhead_s, other.engine) == (0.004, 0.0, "")


def test_plan_serve_uses_the_overlay_and_its_json_names_it(tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = _file(tmp_path)
    args = ("plan", "serve", "-m", "llama3-8b", "--hardware", "h100-sxm", "--batch", "1", "--calibration", path,
            "--json")
    docs = {e: json.loads(run_main_expect(capsys, *args, "--engine", e)[0]) for e in ("vllm", "sglang")}
    vllm, sglang = (docs[e]["results"][0] for e in ("vllm", "sglang"))
    assert vllm["calibration"]["engine"] == "vllm" and sglang["calibration"]["engine"] == ""
    assert vllm["calibration"]["per_step_overhead_s"] == 0.001
    # 3 ms less a forward, 20 ms more a request: TPOT and TTFT move by the overlay's figures
    assert sglang["points"][0]["tpot_s"] - vllm["points"][0]["tpot_s"] == pytest.approx(0.003, abs=1e-9)
    assert vllm["points"][0]["ttft_s"] - sglang["points"][0]["ttft_s"] == pytest.approx(0.02 - 0.003, abs=1e-9)
    said = " ".join(docs["vllm"]["notes"])
    assert "[serving.my-h100.engine.vllm]" in said  # the host-overhead line names the overlay that gave the value


def test_no_calibration_of_its_own_line_console_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    """The bundled Hopper table is fitted on TensorRT-LLM rows: an engine without an overlay there says so."""
    tables = load_serving_tables()
    engine = next(e for e in ("gpt-fast", "vllm", "sglang") if e not in tables["nvidia-hopper"].engines)
    args = ("plan", "serve", "-m", "llama3-8b", "--hardware", "h100-sxm", "--batch", "1", "--engine", engine)
    out, err = run_main_expect(capsys, *args)
    line = f"engine {engine}: no calibration of its own on nvidia-hopper"
    assert line in " ".join((out + err).split())
    fix = f"to give it its own, add a [serving.nvidia-hopper.engine.{engine}] table"
    assert fix in " ".join((out + err).split())  # the line names its fix (rev3)
    doc = json.loads(run_main_expect(capsys, *args, "--json")[0])
    assert any(line in n and "trtllm" in n for n in doc["notes"])
    out, err = run_main_expect(capsys, "plan", "serve", "-m", "llama3-8b", "--hardware", "h100-sxm", "--batch", "1",
                               "--engine", "trtllm")
    assert "no calibration of its own" not in out + err  # the engine the table was fitted on


@pytest.mark.parametrize(("text", "words"), [
    (_TABLE.replace("engine.vllm]", "engine.vlm]"), "did you mean 'vllm'"),
    (_TABLE + "decode_bandwidth_efficiency = 0.5\n", "only the engine-dependent fields"),
    (_TABLE.replace('fitted_on = ["my-vllm-row"]', ""), "gives values but no fitted_on"),
    (_TABLE.replace("0.02", "20"), "if 20 is in ms, write 0.02"),
])
def test_bad_overlay_is_named(tmp_path: Path, text: str, words: str) -> None:
    with pytest.raises(InputError) as e:
        serving.calibration_for_spec(get_device("h100-sxm"), path=_file(tmp_path, text), engine="vllm")
    assert words in str(e.value)


# --- the bundled overlays: the declared rule (calibration.toml, above [serving.nvidia-hopper.engine.vllm]) ----------

def _grid(lo: float, hi: float, step: float) -> list[float]:
    return [round(float(x), 10) for x in np.arange(lo, hi + step / 2, step)]


OVERLAY_GRID = {"per_step_overhead_s": _grid(0, 10e-3, 0.25e-3), "per_request_overhead_s": _grid(0, 100e-3, 0.5e-3)}
# engine -> (fitted per_step_overhead_s, per_request_overhead_s, mean |log error| at the start, after), as recorded
OVERLAY_FITS = {"vllm": (0.002, 0.038, 0.553, 0.002), "sglang": (0.00175, 0.002, 0.171, 0.005)}


@pytest.mark.parametrize("engine", sorted(OVERLAY_FITS))
def test_bundled_overlay_is_what_its_rule_gives_from_the_family_values(engine: str) -> None:
    tables = load_serving_tables()
    assert set(tables["nvidia-hopper"].engines) == set(OVERLAY_FITS)
    assert set(tables["nvidia-hopper"].engines[engine].values) <= set(ENGINE_FIELDS)
    family = serving.serving_calibrations()["nvidia-hopper"]
    bundled = serving.calibration_for_spec(get_device("h100-sxm"), engine=engine)
    start = replace(bundled, **{k: getattr(family, k) for k in OVERLAY_GRID})  # the declared start: the family's
    fit, loss = fit_serving("nvidia-hopper", OVERLAY_GRID, start=start, engine=engine)
    step, request, loss_start, loss_fit = OVERLAY_FITS[engine]
    assert (fit.per_step_overhead_s, fit.per_request_overhead_s) == pytest.approx((step, request), abs=1e-12)
    assert (bundled.per_step_overhead_s, bundled.per_request_overhead_s) == pytest.approx((step, request), abs=1e-12)
    assert loss == pytest.approx(loss_fit, abs=0.0005)
    rows = [r for r in read_serving_runs()[0] if r["id"] in bundled.engine_fitted_on]
    assert {r["role"] for r in rows} == {"fit"} and {r["engine"] for r in rows} == {engine} and len(rows) == 2
    start_loss = sum(abs(math.log(predict_row(r, {"nvidia-hopper": start})[0] / float(r["published"])))
                     for r in rows) / len(rows)
    assert start_loss == pytest.approx(loss_start, abs=0.0005)


def test_family_fit_leaves_the_overlaid_engines_rows_out() -> None:
    """The table's own rule runs over its fit rows of engines without an overlay (TensorRT-LLM's), as before."""
    family = serving.serving_calibrations()["nvidia-hopper"]
    overlay_rows = {i for e in OVERLAY_FITS
                    for i in serving.calibration_for_spec(get_device("h100-sxm"), engine=e).engine_fitted_on}
    assert not overlay_rows & set(family.fitted_on)


# --- figures of the gpustack rows' UNEXPLAINED entries (tests/test_row_notes_checked.py) ----------------------------

def _row(rid: str) -> dict[str, str]:
    return next(r for r in read_serving_runs()[0] if r["id"] == rid)


def _err(rid: str, cals: dict[str, serving.ServingCalibration] | None = None) -> float:
    row = _row(rid)
    return predict_row(row, cals)[0] / float(row["published"]) - 1.0


def test_unexplained_gpustack_figures() -> None:
    from test_row_notes_checked import UNEXPLAINED

    for rid, err in (("gs-h100-q3-8b-fp8-sglang-c4-ttft", "-60.4%"), ("gs-h100-q3-8b-trtllm-c4-tpot", "+28.9%"),
                     ("gs-h100-q3-8b-trtllm-c4-ttft", "-45.0%")):
        assert f"{100 * _err(rid):+.1f}%" == err and f"predicted {err}" in UNEXPLAINED[rid], rid
    assert f"{predict_row(_row('gs-h100-q3-8b-trtllm-c4-tpot'))[0]:.2f} ms" == "9.89 ms"
    family = {"nvidia-hopper": serving.serving_calibrations()["nvidia-hopper"]}  # before the overlay
    shapes = ("32000-77", "3996-200", "1996-100", "128-4")
    before = " / ".join(f"{100 * _err(f'gs-h100-q3-32b-vllm-{s}', family):+.1f}" for s in shapes)
    after = " / ".join(f"{100 * _err(f'gs-h100-q3-32b-vllm-{s}'):+.1f}" for s in shapes)
    reason = UNEXPLAINED["gs-h100-q3-32b-vllm-128-4"]
    assert f"moved the four rows {before}% -> {after}%" in reason
    peak = get_device("h100-sxm").peak_flop_per_s["bf16"]
    params = get_model("qwen3-32b").params_total()
    rows = [_row(f"gs-h100-q3-32b-vllm-{s}") for s in shapes[:3]]
    # published output tok/s x (prompt + output) / output = all tokens a second, x 2 FLOPs a parameter
    shares = [float(r["published"]) * (int(r["prompt_len"]) + int(r["output_len"])) / int(r["output_len"])
              * 2 * params / peak for r in rows]
    assert f"{100 * min(shares):.0f}-{100 * max(shares):.0f}% of the H100's bf16 peak" in reason
    assert int(_row("gs-h100-q3-32b-vllm-128-4")["requests"]) == 1000
    assert f"{32.88 / 1000 * 1e3:.1f} ms each" in reason  # the page's 'Benchmark duration (s)' over 1000 requests


# rq32 (2026-12-06): the gpustack Qwen3-32B H100 rows of 32K / 4K / 2K prompts carry a checked note from the lab's
# A100 twin: gpustack/gpustack docs/performance-lab/qwen3-32b/a100.md @10e9444a07c73556f2ef0d10d2b2766bbf54c9c0
# ('Baseline benchmark results', `vllm serve Qwen/Qwen3-32B`, vLLM v0.11.0, the same random commands, seed and
# input-token totals as h100.md at that commit): 'Output token throughput (tok/s)' and 'Median ITL (ms)' there, and
# 'Median ITL (ms)' of h100.md's runs.
_A100_TWIN = {"32000-77": (4.32, 48.55, 43.30), "3996-200": (87.48, 51.55, 43.38), "1996-100": (120.27, 51.49, 44.80)}
RECOMPUTED_IDS: frozenset[str] = frozenset(f"gs-h100-q3-32b-vllm-{s}" for s in _A100_TWIN)


def _on(rid: str, hardware: str) -> serving.ServingPrediction:
    from accelopt.predict.serving_validation import _predict_row

    return _predict_row(dict(_row(rid), hardware=hardware), None, None)[1]


@pytest.mark.parametrize("shape", sorted(_A100_TWIN))
def test_gpustack_32b_h100_notes_recompute(shape: str) -> None:
    rid = f"gs-h100-q3-32b-vllm-{shape}"
    a100_pub, itl_a100, itl_h100 = _A100_TWIN[shape]
    row = _row(rid)
    pub = float(row["published"])
    sxm, pcie, a100 = (_on(rid, hw) for hw in ("h100-sxm", "h100-pcie", "a100-sxm-80gb"))
    v_sxm, v_pcie, v_a100 = (p.output_tokens_per_s for p in (sxm, pcie, a100))
    note = row["note"]
    assert row["hardware"] == "h100-sxm" and "checked (rq32" in note
    for quoted in (f"publishes {a100_pub:g} output tok/s", f"predicts {100 * (v_a100 / a100_pub - 1):+.1f}% on "
                   f"a100-sxm-80gb ({v_a100:.2f})", f"this page's {pub:g} is {pub / a100_pub:.2f}x the A100's",
                   f"is {v_sxm / v_a100:.2f}x ({v_sxm:.2f} / {v_a100:.2f})", f"(batch {sxm.batch} predicted)",
                   f"is {itl_h100:.2f} ms here and {itl_a100:.2f} ms on the A100 ({itl_a100 / itl_h100:.2f}x",
                   f"step is {sxm.tpot_s * 1e3:.1f} ms on h100-sxm and {a100.tpot_s * 1e3:.1f} ms on the A100",
                   f"the step is {pcie.tpot_s * 1e3:.1f} ms and the row {100 * (v_pcie / pub - 1):+.1f}%"):
        assert quoted in note, quoted
    # the datasheet bandwidth ratio the note quotes, from the catalog
    bw = get_device("h100-sxm").memory_bandwidth_byte_per_s / get_device("a100-sxm-80gb").memory_bandwidth_byte_per_s
    pcie_tb_s = get_device("h100-pcie").memory_bandwidth_byte_per_s / 1e12
    assert f"{bw:.2f}x apart" in note and f"h100-pcie ({pcie_tb_s:.1f} TB/s" in note
    # what the note rests on: the model is within 10% on the A100 twin and 1.5x+ over on this H100 row
    assert abs(v_a100 / a100_pub - 1) < 0.10 and v_sxm / pub > 1.5
    assert pub / a100_pub < v_sxm / v_a100  # the published H100 / A100 ratio is below the model's


def test_gpustack_32b_128_unexplained_figures() -> None:
    from test_row_notes_checked import UNEXPLAINED

    rid = "gs-h100-q3-32b-vllm-128-4"
    reason = UNEXPLAINED[rid]
    pub = float(_row(rid)["published"])
    v_a100, v_pcie = (_on(rid, hw).output_tokens_per_s for hw in ("a100-sxm-80gb", "h100-pcie"))
    assert f"{1000 * 4 / 49.57:.2f} output tok/s) is predicted {100 * (v_a100 / 80.69 - 1):+.1f}%" in reason
    assert f"this row {100 * (v_pcie / pub - 1):+.1f}% on h100-pcie" in reason
    worst = max(abs(_on(r, "a100-sxm-80gb").output_tokens_per_s / _A100_TWIN[r.rsplit("-vllm-")[1]][0] - 1)
                for r in RECOMPUTED_IDS)
    assert f"predicted within {100 * worst:.1f}% on those shapes" in reason
