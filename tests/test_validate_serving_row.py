"""`validate --serving --row ID` prints a serving run's published and predicted figure and the `plan serve` command
that reproduces the prediction, as `validate --row` does for training runs (issue 10: every runs-file row written down
from the command line, with validate's number). The printed command, run with --json, gives validate's figure."""

from __future__ import annotations

import csv
import json
import shlex
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.predict.serving_validation import read_serving_runs, reproduce
from accelopt.units import fmt_count

_ROWS = {r["id"]: r for r in read_serving_runs()[0]}
# one row each of: a max-load MoE row on attention-data parallelism, a memory fraction the launch command set, an int4
# group size, a TTFT row of a static batch, a TensorRT-LLM v0.9 row without the MoE plugin
_IDS = ("trt10-h200-qwen3-235b-ep8-128-128", "sglang-mi355x-l31-8b-tp1-b64-8192-1024-tpot",
        "trtjet-orin-l3-8b-int4-128-128-ttft", "wmx-l4-q25-05b-256-128-c1-ttft", "trt09-h200-mixtral-tp2-b1024-128-128")


def _figure(point: dict, metric: str) -> float:
    """The row's metric from `plan serve --json`'s first point, as validate_serving's _predict_row computes it."""
    return {"output_tok_s": lambda: point["output_tokens_per_s"],
            "output_tok_s_per_device": lambda: point["output_tokens_per_s_per_device"],
            "decode_tok_s": lambda: point["decode_tokens_per_s"],
            "decode_tok_s_per_device": lambda: point["decode_tokens_per_s"] / point["n_devices"],
            "ttft_ms": lambda: point["ttft_s"] * 1e3, "tpot_ms": lambda: point["tpot_s"] * 1e3,
            "prefill_tok_s_per_device": lambda: point["batch"] * point["prompt_len"] / point["prefill"]["total_s"]
            / point["n_devices"]}[metric]()


@pytest.mark.parametrize("rid", _IDS)
def test_printed_command_gives_validates_figure(rid: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["validate", "--serving", "--row", rid], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith(f"run {rid} (")
    want = reproduce(_ROWS[rid])
    assert f"published {fmt_count(want.published)}" in lines[0] and f"predicted {fmt_count(want.predicted)}" in lines[0]
    argv = shlex.split(lines[1])
    assert argv[:3] == ["accelopt", "plan", "serve"]
    code, out, err = run_main([*argv[1:], "--json"], capsys)
    assert code in (0, 2), err  # 2: a static batch beyond memory; its figures are still in the JSON
    point = json.loads(out)["results"][0]["points"][0]
    assert _figure(point, _ROWS[rid]["metric"]) == pytest.approx(want.predicted, rel=1e-12)


def test_unknown_id_names_the_nearest(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["validate", "--serving", "--row", "trt10-h200-qwen3-235b-ep8-128-12"], capsys)
    assert code == 2 and "unknown serving run id" in err and "trt10-h200-qwen3-235b-ep8-128-128" in err


def test_config_dir_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    """No config file is written for a serving row (--json: tests/test_validate_serving_row_json.py, ut5val)."""
    code, _, err = run_main(["validate", "--serving", "--row", _IDS[0], "--config-dir", "x"], capsys)
    assert code == 2 and "--row --serving with --config-dir" in " ".join(err.split())


def test_report_names_the_row_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the text report's last line says how to get a row's command, with the report's --runs (as the training one)
    rows = (Path(__file__).parents[1] / "src/accelopt/predict/data/published_serving_runs.csv").read_text(
        encoding="utf-8").splitlines()
    head = next(i for i, line in enumerate(rows) if line.startswith("id,"))
    mine = tmp_path / "mine.csv"
    mine.write_text("\n".join([*rows[:head + 1], next(r for r in rows[head + 1:] if r.startswith(_IDS[3] + ","))])
                    + "\n", encoding="utf-8")
    code, out, err = run_main(["validate", "--serving", "--runs", str(mine)], capsys)
    assert code == 0, err
    last = out.strip().splitlines()[-1]
    assert last.endswith(f"accelopt validate --serving --runs {mine} --row RUN_ID")
    code, out, err = run_main(["validate", "--serving", "--runs", str(mine), "--row", _IDS[3]], capsys)
    assert code == 0 and out.startswith(f"run {_IDS[3]} ("), err


def test_a_relative_model_cell_is_joined_to_the_csvs_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    # the model cell 'tiny/config.json' is read relative to the CSV's folder (docs/runs_files.md); the printed
    # command names the joined path, so it runs from any folder and gives the same figure
    import shutil

    root = Path(__file__).parents[1]
    shutil.copytree(root / "examples" / "hf_tiny_llama", tmp_path / "sub" / "tiny")
    rows = (root / "src/accelopt/predict/data/published_serving_runs.csv").read_text(encoding="utf-8").splitlines()
    head = next(i for i, line in enumerate(rows) if line.startswith("id,"))
    base = next(r for r in rows[head + 1:] if r.startswith(_IDS[3] + ","))
    mine = tmp_path / "sub" / "serving.csv"
    mine.write_text("\n".join([*rows[:head + 1], base.replace(_IDS[3] + ",", "tiny-run,", 1).replace(
        f",{_ROWS[_IDS[3]]['model']},", ",tiny/config.json,", 1)]) + "\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # not the CSV's folder
    code, out, err = run_main(["validate", "--serving", "--runs", str(mine), "--row", "tiny-run"], capsys)
    assert code == 0, err
    argv = shlex.split(out.splitlines()[1])
    assert argv[argv.index("--model") + 1] == str(tmp_path / "sub" / "tiny" / "config.json")
    code, doc, err = run_main([*argv[1:], "--json"], capsys)
    assert code == 0, err
    predicted = float(out.split("predicted ")[1].split(" ")[0])  # printed to 4 significant digits (fmt_count)
    assert json.loads(doc)["results"][0]["points"][0]["ttft_s"] * 1e3 == pytest.approx(predicted, rel=1e-3)


def test_a_role_its_table_contradicts_is_said_under_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # utval 2026-12-06: a user's row with role fit that no [serving.*] table was fitted on: the report warns that it
    # counts in no held-out figure, but `--row` labelled it "fit" and said nothing
    row = {**_ROWS["trt10-h200-qwen3-235b-ep8-128-128"], "id": "my-fit", "role": "fit"}
    runs = tmp_path / "mine.csv"
    with open(runs, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=[k for k in row if k is not None])
        w.writeheader()
        w.writerow({k: v or "" for k, v in row.items() if k is not None})
    code, _, report_err = run_main(["validate", "--serving", "--runs", str(runs)], capsys)
    assert code == 0 and "warning: role fit in" in report_err and "my-fit" in report_err, report_err
    code, out, err = run_main(["validate", "--serving", "--runs", str(runs), "--row", "my-fit"], capsys)
    assert code == 0, err
    assert "warning: role fit in" in err and "my-fit" in err and "warning:" not in out, err  # on stderr, as the report


def test_a_derived_row_its_table_does_not_list_is_not_said_to_be_derived_from(tmp_path: Path,
                                                                           capsys: pytest.CaptureFixture[str]) -> None:
    # rev1 2026-12-06: a user's row with role derived whose table's derived_on does not list it: the --row line said
    # "its table's values were derived from this run's own measurement" above the warning that they were not
    row = {**_ROWS["sglang-mi355x-qwen3-8b-tp1-fp8-b64-8192-1024-tput"], "id": "my-derived", "role": "derived"}
    runs = tmp_path / "mine.csv"
    with open(runs, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=[k for k in row if k is not None])
        w.writeheader()
        w.writerow({k: v or "" for k, v in row.items() if k is not None})
    code, out, err = run_main(["validate", "--serving", "--runs", str(runs), "--row", "my-derived"], capsys)
    assert code == 0 and "warning: role derived in" in err, err
    assert "or list them in derived_on of the [serving.amd-instinct-cdna4] table of the --calibration file" in \
        " ".join(err.split()), err  # the fix a fit row's warning gives, for derived_on
    assert "derived from this run's own measurement" not in out
    assert "derived (not held out, by its role cell: its table's derived_on does not list it)" in out
    # a row the table does list keeps the stronger words
    code, out, _ = run_main(["validate", "--serving", "--row", "sglang-mi355x-l31-8b-tp1-b64-8192-1024-tput"], capsys)
    assert code == 0 and "derived from this run's own measurement" in out
