"""rtrn4 (2026-12-06, issue 10): transformers-neuronx's static token buckets in the serving model.

transformers-neuronx compiles token buckets that double from 128 up to n_positions (aws-neuron/transformers-neuronx
@3e15a8b, src/transformers_neuronx/utils.py power_of_two_bucket_sizes, bucket.py token_sizes / find): each decode step
runs, and its attention reads, the smallest bucket that holds its position. `plan serve --token-buckets neuronx` and
the runs file's token_buckets column time each step at its bucket and give the median step (the AWS tables' 'TPOT
Latency P50') beside the mean. The declared fit of [serving.aws-neuroncore-v2] re-run with the column on every
transformers-neuronx row worsens the aws-trainium1 held-out median, so the bundled rows leave it blank (the runs file's
'Examined 2026-12-06 (rtrn4' record; this file recomputes its figures).
"""

from __future__ import annotations

import statistics
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.errors import InputError
from accelopt.hardware.catalog import get_device
from accelopt.predict import serving
from accelopt.predict.runs_csv import bundled_runs_text
from accelopt.predict.serving_validation import (
    _predict_row,
    fit_serving,
    predict_row,
    read_serving_runs,
    serving_row_argv,
)
from accelopt.workload.presets import get_model

ROWS, _ = read_serving_runs()
NEURONX_SOURCES = ("neuron-trn1-lat", "neuron-trn1-thr", "neuron-inf2-lat")  # 'Transformers NeuronX' tables
TABLE = "aws-neuroncore-v2"


def _row(rid: str) -> dict[str, str]:
    return dict(next(r for r in ROWS if r["id"] == rid))


def _record() -> str:
    text = bundled_runs_text("published_serving_runs.csv")
    start = text.index("# Examined 2026-12-06 (rtrn4, issue 10)")
    lines = []
    for line in text[start:].splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    return " ".join(lines)


def steps_by_position(prompt_len: int, output_len: int) -> list[int]:
    """The bucket of each decode step, position by position, straight from bucket.py's rule (independent of
    serving.neuronx_token_buckets, which counts them by bucket)."""
    n = prompt_len + output_len
    sizes, size = [], 128
    while size < n:
        sizes.append(size)
        size *= 2
    sizes.append(n)
    return [next(b for b in sizes if b >= pos) for pos in range(prompt_len + 1, n)]


@pytest.mark.parametrize(("prompt", "output"), [(128, 8064), (128, 128), (2048, 2048), (1024, 1024), (128, 3968),
                                                (100, 30), (128, 1), (300, 5000)])
def test_bucket_counts_are_bucket_py_rule(prompt: int, output: int) -> None:
    by_pos = steps_by_position(prompt, output)
    counts = serving.neuronx_token_buckets(prompt, output)
    assert counts == {b: by_pos.count(b) for b in sorted(set(by_pos))}
    assert sum(counts.values()) == output - 1


def test_p50_tpot_is_the_last_bucket_step_and_the_mean_is_below_it() -> None:
    """A 128-token prompt and 8064 outputs: 4095 of the 8063 steps run the 8192 bucket, so the median step is an
    8192-bucket step; the mean, over the shorter buckets too, is below it. Without buckets the mean step is at the
    mid context and there is no P50."""
    row = _row("nrn-trn1-l2-7b-b1-128-8064-tpot")
    counts = serving.neuronx_token_buckets(128, 8064)
    assert counts[8192] == 4095 and counts[8192] > sum(counts.values()) / 2  # positions 4097 .. 8191
    plain = _predict_row(row, None, None)[1]
    assert plain.tpot_p50_s is None
    bucketed = _predict_row({**row, "token_buckets": "neuronx"}, None, None)[1]
    assert bucketed.tpot_p50_s is not None and bucketed.tpot_s < bucketed.tpot_p50_s
    cal = bucketed.calibration
    s = serving._setup(get_model("llama2-7b"), get_device(row["hardware"]), 32, 1, "bf16", "bf16", cal)
    assert bucketed.tpot_p50_s == pytest.approx(serving._decode_step_time(s, 1, 8192).total_s, rel=1e-12)
    mean = sum(k * serving._decode_step_time(s, 1, b).total_s for b, k in counts.items()) / sum(counts.values())
    assert bucketed.tpot_s == pytest.approx(mean, rel=1e-12)
    # the row reads its tpot_ms at the P50 when its token_buckets cell says so
    assert predict_row({**row, "token_buckets": "neuronx"})[0] == pytest.approx(bucketed.tpot_p50_s * 1e3)
    assert predict_row(row)[0] == pytest.approx(plain.tpot_s * 1e3)


def test_bad_cell_and_flag_are_refused_with_the_fix(capsys: pytest.CaptureFixture[str]) -> None:
    row = _row("nrn-trn1-l2-7b-b1-128-8064-tpot")
    with pytest.raises(InputError) as e:
        predict_row({**row, "token_buckets": "vllm"})
    assert "token_buckets" in e.value.problem and "neuronx" in e.value.fix
    argv = serving_row_argv({**row, "token_buckets": "neuronx"})
    assert argv[argv.index("--token-buckets") + 1] == "neuronx"
    code, _, err = run_main([*argv[:argv.index("--token-buckets")], "--token-buckets", "NeuronX"], capsys)
    assert code == 2 and "--token-buckets 'NeuronX'" in err and "lower case: neuronx" in err


def test_plan_serve_prints_the_p50_beside_the_mean(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["plan", "serve", "--model", "llama2-7b", "--hardware", "trainium1-core", "--tp", "32", "--prompt", "128",
            "--output", "3968", "--engine", "neuron", "--batch", "1"]
    code, out, _ = run_main([*argv, "--token-buckets", "neuronx"], capsys)
    assert code == 0 and "TPOT P50" in out
    assert "the median decode step, each step at its token bucket's length" in " ".join(out.split())
    code, out, _ = run_main(argv, capsys)
    assert code == 0 and "TPOT P50" not in out


def _with_buckets(tmp_path: Path) -> Path:
    """The bundled runs file with token_buckets neuronx on every row of a transformers-neuronx table."""
    import csv
    import io

    out = []
    header: list[str] = []
    for line in bundled_runs_text("published_serving_runs.csv").split("\n"):
        if line.startswith("id,source,"):
            header = line.split(",")
        elif line and not line.startswith("#") and header:
            cells = next(csv.reader([line]))
            if cells[1] in NEURONX_SOURCES:
                cells += [""] * (len(header) - len(cells))
                cells[header.index("token_buckets")] = "neuronx"
                buf = io.StringIO()
                csv.writer(buf, lineterminator="").writerow(cells)
                line = buf.getvalue()
        out.append(line)
    path = tmp_path / "published_serving_runs.csv"
    path.write_text("\n".join(out))
    return path


def _family_median(rows: list[dict[str, str]], cal: serving.ServingCalibration | None) -> float:
    cals = None if cal is None else {TABLE: cal}
    errs = [abs(predict_row(r, cals)[0] / float(r["published"]) - 1) for r in rows
            if r["role"] == "test" and r["hardware"] == "trainium1-core"]
    assert len(errs) == 44
    return statistics.median(errs)


def test_declared_fit_with_buckets_worsens_the_trn1_median_so_not_adopted(tmp_path: Path) -> None:
    """The [serving.aws-neuroncore-v2] rule (calibration.toml: its fit rows, grids and start, as
    tests/test_serving_fits.py runs it) re-run with the column on every transformers-neuronx row."""
    from test_serving_fits import RULES

    grid, _ = RULES[TABLE]
    tables = serving.serving_calibrations()
    bundled, default = tables[TABLE], tables["default"]
    path = _with_buckets(tmp_path)
    fit, loss = fit_serving(TABLE, grid, runs_path=path, start=replace(bundled, **{k: getattr(default, k)
                                                                                for k in grid}))
    got = {k: getattr(fit, k) for k in grid}
    assert got == pytest.approx({"decode_bandwidth_efficiency": 0.525, "link_step_latency_s": 6.0e-6,
                                 "prefill_compute_efficiency": 0.20, "per_step_overhead_s": 0.5e-3,
                                 "per_request_overhead_s": 1e-3}, abs=1e-12)
    before = _family_median(ROWS, None)
    after = _family_median(read_serving_runs(path)[0], fit)
    assert after > before  # the adoption rule's condition fails: kept behind the flag
    record = _record()
    assert (f"decode_bandwidth_efficiency 0.55 -> {got['decode_bandwidth_efficiency']:.3f}, link_step_latency_s "
            f"6.5 -> {got['link_step_latency_s'] * 1e6:.1f} us, the other three unchanged; mean |log error| "
            f"{loss:.4f}") in record
    assert f"aws-trainium1 held-out median {100 * before:.2f}% -> {100 * after:.2f}% (44 rows)" in record
    assert "Not adopted" in record


def test_html_page_shows_the_p50_as_the_console(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "serve.html"
    code, out, _ = run_main(["plan", "serve", "--model", "llama2-7b", "--hardware", "trainium1-core", "--tp", "32",
                             "--prompt", "128", "--output", "3968", "--engine", "neuron", "--batch", "1",
                             "--token-buckets", "neuronx", "--html", str(page)], capsys)
    assert code == 0 and "TPOT P50" in out and "TPOT P50" in page.read_text()


def test_buckets_are_refused_off_neuron(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """transformers-neuronx's buckets with another engine, or on a device the neuron engine does not run on, exit 2
    naming why (they were timed on an H100 as if it ran them)."""
    base = ["plan", "serve", "--model", "llama2-7b", "--hardware", "h100-sxm", "--token-buckets", "neuronx"]
    code, _, err = run_main(base, capsys)
    assert code == 2 and "--engine neuron runs on AWS ASICs only, not on h100-sxm" in err
    code, _, err = run_main([*base, "--engine", "vllm"], capsys)
    assert code == 2 and "--token-buckets neuronx with --engine vllm" in err and "give --engine neuron" in err
    row = {**_row("trt061-h100-7b-b112-128-2048"), "token_buckets": "neuronx"}
    from accelopt.predict.serving_validation import _check_row

    with pytest.raises(InputError) as e:
        _check_row(row)
    assert "token_buckets" in e.value.problem and "engine 'trtllm-session'" in e.value.problem
