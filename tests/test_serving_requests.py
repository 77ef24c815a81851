"""rwaves (issue 10, 2026-12-05): a max-load run of a finite dataset, `plan serve --batch max --requests N` and the
serving runs file's `requests` cell.

trtllm-bench throughput serves the requests of its prepare_dataset.py file, $num_requests of one length each
(TensorRT-LLM docs/source/performance/perf-overview.md, 'Preparing a Dataset': at v1.0, commit 00f37686, and v0.17,
commit 258c7540): with C requests in flight they run in ceil(N / C) waves, the last holding what is left. rtrt found
it (tests/test_serving_rtx_release12.py, its own helper `_with_dataset`, the checked note of
trt10-rtx6k-l33-70b-tp1-pp8-128-2048); serving.finite_run is the same waves in the library, so the command line and
`validate --serving` give one figure. The bundled rows leave the cell blank (the runs file says why)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from conftest import run_main
from test_serving_cli_agree import _figure, _flags
from test_serving_rtx_release12 import NUM_REQUESTS_V10, _with_dataset

from accelopt.predict import serving
from accelopt.predict.serving_plan import STEADY_WAVES_NOTE
from accelopt.predict.serving_validation import (
    _columns,
    _predict_row,
    read_serving_runs,
    reproduce,
    row_calibration,
    row_device,
)
from accelopt.workload.presets import get_model

ROWS, SOURCES = read_serving_runs()
BY_ID = {r["id"]: r for r in ROWS}
# a Hopper fit row, an RTX --pp 8 row (rtrt's checked one), a Qwen3 MoE row with attention DP, a v0.17 A100 row
CASES = ("trt10-h100-l3-8b-tp1-128-2048", "trt10-rtx6k-l33-70b-tp1-pp8-128-2048", "trt10-h100-qwen3-235b-ep8-1000-2000",
         "trt017-a100-l3-70b-tp8-2048-2048")


def _with_requests(rid: str, n: int | None = None) -> dict[str, str]:
    row = BY_ID[rid]
    n = n if n is not None else NUM_REQUESTS_V10[int(row["prompt_len"]), int(row["output_len"])]
    return {**row, "requests": str(n)}


def test_the_bundled_rows_leave_the_cell_blank() -> None:
    assert "requests" in _columns()
    # peng's 4 gpustack Qwen3-32B rows (2026-12-06) are the first to set it: each ran a finite dataset at once
    said = {r["id"]: r["requests"] for r in ROWS if (r.get("requests") or "").strip()}
    assert said == {"gs-h100-q3-32b-vllm-32000-77": "100", "gs-h100-q3-32b-vllm-3996-200": "500",
                    "gs-h100-q3-32b-vllm-1996-100": "500", "gs-h100-q3-32b-vllm-128-4": "1000"}


def test_a_whole_number_of_waves_is_the_steady_throughput() -> None:
    row = BY_ID[CASES[0]]
    steady, p = _predict_row(row, None, None)
    got, q = _predict_row({**row, "requests": str(3 * p.batch)}, None, None)
    assert got == pytest.approx(steady, rel=1e-12)
    assert q.requests == 3 * p.batch and q.last_wave_batch == p.batch


def test_the_last_wave_is_predicted_on_its_own() -> None:
    """N = 2C + 7: two full waves at the steady rate and one of 7 requests, predicted as a batch of 7 in waves."""
    row = BY_ID[CASES[0]]
    steady, p = _predict_row(row, None, None)
    c, osl = p.batch, int(row["output_len"])
    spec = row_device(row["hardware"])
    last = serving.predict_serving(get_model(row["model"]), spec, batch=7, scheduling="waves", tp=1, pp=1,
                                   prompt_len=int(row["prompt_len"]), output_len=osl, weight_dtype=row["weight_dtype"],
                                   kv_dtype=row["kv_dtype"], calibration=row_calibration(row, spec, None, None))
    want = (2 * c + 7) * osl / (2 * c * osl / steady + 7 * osl / last.output_tokens_per_s)
    got, q = _predict_row({**row, "requests": str(2 * c + 7)}, None, None)
    assert got == pytest.approx(want, rel=1e-12) and got < steady
    assert q.last_wave_batch == 7 and q.batch == c  # TTFT, TPOT and memory stay the full wave's
    assert q.ttft_s == p.ttft_s and q.memory_bytes_per_device == p.memory_bytes_per_device


def test_rtrts_checked_row_is_these_waves() -> None:
    """rtrt's own helper (the figure its checked note quotes) and the library give the same throughput."""
    rid = CASES[1]
    row = BY_ID[rid]
    n = NUM_REQUESTS_V10[128, 2048]
    assert _predict_row(_with_requests(rid), None, None)[0] == pytest.approx(_with_dataset(row, n), rel=1e-12)


@pytest.mark.parametrize("rid", CASES)
def test_the_command_line_gives_validates_figure(rid: str, capsys: pytest.CaptureFixture[str]) -> None:
    row = _with_requests(rid, 1500 if rid.startswith("trt017") else None)  # v0.17's page: 1500 at 2048/2048
    want = reproduce(row, SOURCES)
    assert "--requests" in _flags(row)
    code, out, err = run_main(_flags(row), capsys)
    assert code == 0, err
    doc = json.loads(out)
    point = doc["results"][0]["points"][0]
    assert point["batch"] == want.batch and point["requests"] == int(row["requests"])
    assert _figure(point, row["metric"]) == pytest.approx(want.predicted, rel=1e-12)
    assert want.predicted != pytest.approx(reproduce(BY_ID[rid], SOURCES).predicted, rel=1e-6)  # the cell counts
    assert any(n.startswith(f"given: --requests {int(row['requests']):,}: on ") for n in doc["notes"])
    assert STEADY_WAVES_NOTE not in doc["notes"]


def _runs_file(tmp_path: Path, row: dict[str, str]) -> Path:
    path = tmp_path / "runs.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(row))
        w.writeheader()
        w.writerow({**row, "source": SOURCES.get(row["source"], row["source"])})
    return path


def test_validate_reads_the_cell_of_a_users_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    row = _with_requests(CASES[0])
    code, out, err = run_main(["validate", "--serving", "--runs", str(_runs_file(tmp_path, row)), "--json"], capsys)
    assert code == 0, err
    got = json.loads(out)["runs"][0]["predicted"]
    assert got == pytest.approx(_predict_row(row, None, None)[0], rel=1e-12)


def test_batch_max_alone_says_its_waves_are_steady(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(_flags(BY_ID[CASES[0]]), capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert STEADY_WAVES_NOTE in doc["notes"] and doc["results"][0]["points"][0]["requests"] is None


@pytest.mark.parametrize(("extra", "said"), [(["--batch", "8", "--requests", "100"], "without --batch max"),
                                             (["--concurrency", "max", "--requests", "100"],
                                              "in place of --concurrency max"),
                                             (["--batch", "max", "--requests", "0"], "positive whole number")])
def test_requests_needs_batch_max_and_a_count(extra: list[str], said: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["plan", "serve", "--model", "llama3-8b", *extra], capsys)
    assert code == 2 and said in err and "fix:" in err


def test_a_requests_cell_on_a_static_row_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    row = {**BY_ID["trt061-h100-7b-b112-128-2048"], "requests": "3000"}
    code, _, err = run_main(["validate", "--serving", "--runs", str(_runs_file(tmp_path, row))], capsys)
    assert code == 2 and "requests = '3000'" in err and "write max in batch" in err, err


def test_validate_says_a_blank_requests_cell_is_steady_waves(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """plan serve --batch max without --requests says 'default used: ... steady waves'; the same row in a runs file
    with its requests cell blank took that default without a word (rv2, 2026-12-05)."""
    row = {**BY_ID[CASES[0]], "requests": ""}
    code, out, err = run_main(["validate", "--serving", "--runs", str(_runs_file(tmp_path, row)), "--json"], capsys)
    assert code == 0, err
    assert any(w.startswith(STEADY_WAVES_NOTE) and "the requests cell" in w for w in json.loads(out)["input_warnings"])
    code, out, err = run_main(["validate", "--serving", "--runs", str(_runs_file(tmp_path, _with_requests(CASES[0]))),
                               "--json"], capsys)
    assert code == 0, err
    assert not any(w.startswith(STEADY_WAVES_NOTE) for w in json.loads(out)["input_warnings"])
