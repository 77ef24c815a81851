"""`accelopt validate --row ID` prints the `accelopt plan explain` command that reproduces a run's prediction: the
printed line, run as it stands through the CLI, gives exactly validate's predicted step time (one code path,
predict.query.predict_layout), for rows of every kind (dense, pipeline, MoE, MLA, windowed, parallel-block, TPU,
FSDP, fp8) and for a user's runs file with its own catalog and a model cell."""

from __future__ import annotations

import csv
import json
import shlex
from pathlib import Path

import pytest
from conftest import explain_terms, run_main

from accelopt.predict.validation import read_runs, reproduce

ROWS = {r["id"]: r for r in read_runs()}
SAMPLE = ("llama3-405b-8k",  # dense, 16 stages, interleaved, edge stages
          "mb2606-gb300-dsv3",  # MoE + MLA, fp8 MXFP8, ep 32 / etp 1, a2a overlap, bucket, optimizer bytes
          "mb-gb200-gptoss-120b",  # MoE with windowed layers (layer_types)
          "palm-540b-1pod",  # parallel attention + MLP block (GPT-J model_type)
          "maxtext-v5e-32b-x1",  # TPU, maxtext stack, slices, hsdp
          "mpt-70b-512",  # pytorch-fsdp, attention kernel
          "meg-t1-1.7b",  # Narayanan 2021: no flash, TFLOP/s figure
          "mlperf51-mi350x-llama31-8b-fp8",  # AMD fp8
          "nemo-gpt3-20b")  # userbuffers config


def _commands(out: str) -> list[list[str]]:
    """The printed `accelopt plan explain` lines, split as a shell splits them, without the program name."""
    return [shlex.split(ln.strip())[1:] for ln in out.splitlines() if ln.strip().startswith("accelopt plan explain")]


def _write_runs(path: Path, rows: list[dict[str, str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=[k for k in rows[0] if k is not None])
        w.writeheader()
        w.writerows([{k: v or "" for k, v in r.items() if k is not None} for r in rows])
    return path


def _explain_step(argv: list[str], capsys: pytest.CaptureFixture[str]) -> float:
    code, out, err = run_main([*argv, "--json"], capsys)
    assert code in (0, 2), err  # 2: the layout overflows memory in the predictor; its terms are in the JSON
    return float(explain_terms(json.loads(out))["step_time_s"])


def test_printed_commands_reproduce_validate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["validate", "--config-dir", str(tmp_path)]
    for rid in SAMPLE:
        args += ["--row", rid]
    code, out, err = run_main(args, capsys)
    assert code == 0, err
    commands = _commands(out)
    assert len(commands) == len(SAMPLE), out
    assert "not reproduced" not in out
    for rid, argv in zip(SAMPLE, commands, strict=True):
        want = reproduce(ROWS[rid])
        assert f"run {rid} " in out
        assert argv[argv.index("--model") + 1] == str(tmp_path / f"{rid}.config.json")
        assert _explain_step(argv, capsys) == want.predicted_step_s, rid  # exactly: one code path


def test_user_runs_file_with_catalog_and_model_cell(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A user's row: a preset in its model cell (no config written), a device of its own catalog; an id holding a
    space, markup brackets and a '/' is printed verbatim and names no file outside --config-dir."""
    base = dict(ROWS["llama3-405b-8k"])
    row = {**base, "id": "my llama/[bold]8b", "model": "llama3-8b", "hardware": "my-asic", "devices": "64",
           "tp": "8", "pp": "1", "dp": "8", "vp": "1", "edge_layers": "", "step_s": "300", "note": ""}
    arch = {**row, "id": "../arch [x]", "model": "", "layers": "4", "hidden": "1024", "heads": "8", "kv_heads": "",
            "ffn": "4096", "vocab": "32000", "mlp": "gelu", "tied": "1", "step_s": "5"}
    for c in ("layers", "hidden", "heads", "kv_heads", "ffn", "vocab", "mlp", "tied"):
        row[c] = ""
    runs = _write_runs(tmp_path / "runs.csv", [row, arch])
    catalog = str(Path(__file__).parents[1] / "examples" / "my_accelerator.toml")
    configs = tmp_path / "configs"
    code, out, err = run_main(["validate", "--runs", str(runs), "--catalog", catalog, "--config-dir", str(configs),
                               "--row", row["id"], "--row", arch["id"]], capsys)
    assert code == 0, err
    assert "run my llama/[bold]8b (" in out and "run ../arch [x] (" in out
    preset, written = _commands(out)
    assert preset[preset.index("--model") + 1] == "llama3-8b"
    assert written[written.index("--model") + 1] == str(configs / "_._arch__x_.config.json")
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".json"] == []  # nothing written beside the folder
    for rid, argv in ((row["id"], preset), (arch["id"], written)):
        assert argv[argv.index("--catalog") + 1] == catalog
        user_rows = {r["id"]: r for r in read_runs(runs)}
        assert _explain_step(argv, capsys) == reproduce(user_rows[rid], catalog=(catalog,)).predicted_step_s


def test_existing_config_kept_or_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A config already there with the same content is reused; one with other content is not overwritten (exit 2,
    naming the file and the fix)."""
    rid = "llama3-405b-8k"
    args = ["validate", "--row", rid, "--config-dir", str(tmp_path)]
    assert run_main(args, capsys)[0] == 0
    path = tmp_path / f"{rid}.config.json"
    first = path.read_text(encoding="utf-8")
    assert run_main(args, capsys)[0] == 0 and path.read_text(encoding="utf-8") == first
    path.write_text('{"mine": 1}\n', encoding="utf-8")
    code, _, err = run_main(args, capsys)
    assert code == 2 and str(path) in err and "not overwritten" in err
    assert path.read_text(encoding="utf-8") == '{"mine": 1}\n'


def test_bad_row_inputs_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["validate", "--row", "llama3-405b-8kk", "--config-dir", str(tmp_path)], capsys)
    assert code == 2 and "unknown run id 'llama3-405b-8kk'" in err and "'llama3-405b-8k'" in err
    assert list(tmp_path.iterdir()) == []  # nothing written for a run list with an unknown id
    for extra in (["--inference"], ["--html", str(tmp_path / "p.html")]):
        code, _, err = run_main(["validate", "--row", "llama3-405b-8k", *extra], capsys)
        assert code == 2 and f"--row with {extra[0]}" in err, err
    # --serving --row prints serving runs' commands (tests/test_validate_serving_row.py): a training id is named so
    code, _, err = run_main(["validate", "--row", "llama3-405b-8k", "--serving"], capsys)
    assert code == 2 and "a training run" in err and "leave --serving out" in err, err
    code, _, err = run_main(["validate", "--config-dir", str(tmp_path)], capsys)
    assert code == 2 and "--config-dir without --row" in err
    (tmp_path / "afile").write_text("", encoding="utf-8")
    code, _, err = run_main(["validate", "--row", "meg-t1-1.7b", "--config-dir", str(tmp_path / "afile")], capsys)
    assert code == 2 and "is a file, not a folder" in err


def test_a_serving_id_without_serving_is_named_as_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The reverse of the training id under --serving above (035739f3): a bundled serving run's id given to the
    training --row was 'unknown run id' with training ids offered, not the --serving that prints its command
    (rvtrial)."""
    code, _, err = run_main(["validate", "--row", "trt10-h200-qwen3-235b-ep8-128-128", "--config-dir", str(tmp_path)],
                            capsys)
    text = " ".join(err.split())
    assert code == 2 and "'trt10-h200-qwen3-235b-ep8-128-128' is a serving run" in text, text
    assert "accelopt validate --serving --row trt10-h200-qwen3-235b-ep8-128-128" in text, text
    assert list(tmp_path.iterdir()) == []


def test_every_query_field_has_a_flag() -> None:
    """A predictor input added to LayoutQuery without a flag in run_command would be dropped from the command."""
    from accelopt.predict.run_command import unmapped_query_fields

    assert unmapped_query_fields() == []


def test_the_report_names_the_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """validate's text report ends by saying how to get one run's command (with the user's --runs file)."""
    runs = _write_runs(tmp_path / "my runs.csv", [ROWS["meg-t1-1.7b"]])
    code, out, err = run_main(["validate", "--runs", str(runs)], capsys)
    assert code == 0, err
    assert f"accelopt validate --runs '{runs}' --row RUN_ID" in out


def test_model_gaps_name_each_field() -> None:
    """The read-back check names each architecture field the config.json says otherwise; names and notes are not
    compared, and a window-less model's windowed-layer count (None or 0) is no difference."""
    from dataclasses import replace

    from accelopt.predict.run_command import model_gaps
    from accelopt.predict.validation import run_model

    row = run_model(ROWS["palm-540b-1pod"])
    assert model_gaps(row, replace(row, name="other", source="", sliding_window_layers=0)) == []
    assert model_gaps(row, replace(row, parallel_block=False, norms_per_layer=2)) == [
        "parallel_block: row True, config False", "norms_per_layer: row 1, config 2"]


def test_a_gap_is_printed_as_plain_text(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Were a row's architecture not sayable in a config.json, the command is printed with what it leaves out,
    verbatim (a bracket in it is not read as console markup), not as a reproduction."""
    import accelopt.predict.run_command as rc

    monkeypatch.setattr(rc, "model_gaps", lambda *_: ["mla: row [bold]x[/bold], config None"])
    code, out, err = run_main(["validate", "--row", "meg-t1-1.7b", "--config-dir", str(tmp_path)], capsys)
    assert code == 0, err
    assert ("not reproduced by that command: the config.json does not say the row's mla: row [bold]x[/bold], "
            "config None") in out
    assert "its step_time_s term is the predicted step time above" not in out


def test_json_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`--row ID --json`: the validate-row document, each run's validate figures beside the command's argv, which
    gives the same predicted step time."""
    from accelopt.report.schema import load

    rid = "maxtext-v5e-32b-x1"
    code, out, err = run_main(["validate", "--row", rid, "--config-dir", str(tmp_path), "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["schema"] == "accelopt.validate-row" and doc["schema_version"] == 4  # 3: input_notes; 4: not_predicted
    (run,) = doc["runs"]
    assert run["result"]["id"] == rid and run["command"]["gaps"] == []
    assert shlex.split(run["command"]["command"])[1:] == run["command"]["argv"]
    assert run["command"]["config_path"] == str(tmp_path / f"{rid}.config.json")
    want = run["result"]["predicted_step_s"]
    assert want == reproduce(ROWS[rid]).predicted_step_s == _explain_step(run["command"]["argv"], capsys)
    assert load("validate-row", doc).runs[0].command.argv == run["command"]["argv"]


def test_a_calibration_dropping_stack_tables_is_said(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--row with a --calibration whose [family.nvidia-hopper] lacks the bundled stack sub-tables warns on stderr, as
    the report does (calibration.dropped_stack_lines), and the printed command carries the file."""
    import tomli_w
    import tomllib

    from accelopt.predict.calibration import bundled_text

    table = dict(tomllib.loads(bundled_text())["family"]["nvidia-hopper"])
    table.pop("stack")
    cal = tmp_path / "mine.toml"
    cal.write_text(tomli_w.dumps({"family": {"nvidia-hopper": table}}), encoding="utf-8")
    code, out, err = run_main(["validate", "--row", "llama3-405b-8k", "--calibration", str(cal), "--config-dir",
                               str(tmp_path)], capsys)
    assert code == 0, err
    assert "[family.nvidia-hopper.stack.pytorch-fsdp]" in err
    (argv,) = _commands(out)
    assert argv[argv.index("--calibration") + 1] == str(cal)


def test_the_report_line_carries_catalog_and_calibration(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The report's last line, run as printed, gives each run's prediction of that report: with a --catalog device
    and a --calibration of its own, a line naming --runs alone failed (unknown device) or, for a catalog row,
    predicted with the bundled calibration instead."""
    import tomli_w

    row = {**ROWS["llama3-405b-8k"], "id": "mine", "model": "llama3-8b", "hardware": "my-asic", "devices": "64",
           "tp": "8", "pp": "1", "dp": "8", "vp": "1", "edge_layers": "", "step_s": "300", "note": ""}
    for c in ("layers", "hidden", "heads", "kv_heads", "ffn", "vocab", "mlp", "tied"):
        row[c] = ""
    runs = _write_runs(tmp_path / "runs.csv", [row])
    catalog = str(Path(__file__).parents[1] / "examples" / "my_accelerator.toml")
    cal = tmp_path / "my cal.toml"
    cal.write_text(tomli_w.dumps({"family": {"default": {"match": ["*"], "matmul_eff_max": 0.5,
                                                         "matmul_half_flop": 0.5e9, "memory_eff": 0.8,
                                                         "scaleup_bw_eff": 0.8, "scaleout_bw_eff": 0.8,
                                                         "overlap_eff": 0.8, "kernel_overhead_s": 4e-6,
                                                         "framework_overhead_bytes": 2.5e9, "fitted_on": []}}}),
                   encoding="utf-8")
    inputs = ["--runs", str(runs), "--calibration", str(cal), "--catalog", catalog]
    code, out, err = run_main(["validate", *inputs], capsys)
    assert code == 0, err
    line = out.strip().splitlines()[-1]
    argv = shlex.split(line.split(": ", 1)[1])[1:]  # without the program name
    assert argv == ["validate", *inputs, "--row", "RUN_ID"]
    code, doc, err = run_main([*argv[:-1], "mine", "--config-dir", str(tmp_path), "--json"], capsys)
    assert code == 0, err
    _, report, _ = run_main(["validate", *inputs, "--json"], capsys)
    want = json.loads(report)["runs"][0]["predicted_step_s"]
    assert json.loads(doc)["runs"][0]["result"]["predicted_step_s"] == want
    assert want != reproduce(read_runs(runs)[0], catalog=(catalog,)).predicted_step_s  # the calibration counts


@pytest.mark.parametrize("params_b", ["7GB", "nan", "-7", "7e0"])
def test_row_refuses_a_params_b_cell_the_report_refuses(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                        params_b: str) -> None:
    # utval 2026-12-06: `validate --runs F` exits 2 on a params_b cell that does not read ('7GB', a unit typed into
    # the billions column), but `validate --runs F --row ID` printed the run's command with exit 0, the cell unread
    runs = _write_runs(tmp_path / "mine.csv", [{**ROWS["meg-t1-1.7b"], "id": "my-run", "params_b": params_b}])
    for extra in ([], ["--row", "my-run", "--config-dir", str(tmp_path / "cfg")]):
        code, _, err = run_main(["validate", "--runs", str(runs), *extra], capsys)
        assert code == 2 and "run 'my-run'" in err and f"params_b = {params_b!r}" in err, (extra, err)
    assert not (tmp_path / "cfg").exists()  # refused before any config file is written
