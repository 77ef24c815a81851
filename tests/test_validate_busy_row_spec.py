"""`validate --inference` / `--serving` on a runs file whose hardware cell names a spec TOML that `probe` measured
on a busy machine: `plan infer` and `plan serve` warn of such a --hardware spec (its peaks and bandwidth may be low),
validate used it without a word (utleft3, 2026-12-05). Now the same warning, naming the rows, is on stderr and in the
JSON input_warnings; a quiet spec gives none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import busy_node_spec, run_main_expect

BUSY = "other processes used 1.50 cores on average while measuring"
INFERENCE = ("id,hardware,model,input_size,batch,dtype,metric,published,role,source,note\n"
             "i1,busy.toml,mobilenet-v2,224,1,fp32,latency_ms,3,test,my bench,\n"
             "i2,busy.toml,mobilenet-v2,224,8,fp32,latency_ms,9,test,my bench,\n")
SERVING = ("id,source,engine,hardware,model,tp,pp,weight_dtype,kv_dtype,prompt_len,output_len,batch,metric,"
           "published,role,note\ns1,my bench,vllm,busy.toml,llama3-8b,1,1,bf16,bf16,1024,256,32,output_tok_s,2500,"
           "test,\n")
LINE = {"--inference": "warning: hardware cell of runs 'i1', 'i2': busy-node was probed on a busy machine",
        "--serving": "warning: hardware cell of run 's1': busy-node was probed on a busy machine"}


def _validate(tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: str, busy: bool) -> tuple[dict, str]:
    (tmp_path / "busy.toml").write_text(busy_node_spec(BUSY if busy else ""), encoding="utf-8")
    runs = tmp_path / "runs.csv"
    runs.write_text(INFERENCE if mode == "--inference" else SERVING, encoding="utf-8")
    out, err = run_main_expect(capsys, "validate", mode, "--runs", str(runs), "--json")
    return json.loads(out), " ".join(err.split())


@pytest.mark.parametrize("mode", ["--inference", "--serving"])
def test_a_busy_spec_in_a_hardware_cell_is_warned_of(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     mode: str) -> None:
    doc, err = _validate(tmp_path, capsys, mode, busy=True)
    assert f"{LINE[mode]} ({BUSY})" in err
    assert sum(w.startswith(f"{LINE[mode]} ({BUSY})") for w in doc["input_warnings"]) == 1, doc["input_warnings"]


@pytest.mark.parametrize("mode", ["--inference", "--serving"])
def test_a_quiet_spec_gives_no_such_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str], mode: str) -> None:
    doc, err = _validate(tmp_path, capsys, mode, busy=False)
    assert "busy machine" not in err and not any("busy machine" in w for w in doc["input_warnings"])


@pytest.mark.parametrize("busy", [True, False])
def test_a_training_runs_files_busy_spec_is_warned_of_too(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         busy: bool) -> None:
    """review s31 rvlast: 0d86dc81 warned of a busy-probed spec in --inference / --serving hardware cells; training
    `validate --runs` used the same spec in a training row's hardware cell without a word, where `plan explain
    --hardware` warns of it."""
    from conftest import write_csv
    from test_validate_catalog import ROW

    (tmp_path / "busy.toml").write_text(busy_node_spec(BUSY if busy else ""), encoding="utf-8")
    runs = write_csv(tmp_path / "runs.csv", [{**ROW, "hardware": "busy.toml"}])
    out, err = run_main_expect(capsys, "validate", "--runs", str(runs), "--json")
    line = "warning: hardware cell of run 'asic-1': busy-node was probed on a busy machine"
    notes = json.loads(out)["input_notes"]
    assert (f"{line} ({BUSY})" in " ".join(err.split())) == busy, err
    assert sum(n.startswith(f"{line} ({BUSY})") for n in notes) == int(busy), notes


def test_validate_row_says_its_busy_spec_too(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """fr4: `validate --row ID` holds the report's input notes on that row (README), but the busy-probed spec of its
    hardware cell, among the report's input notes, was left out of the row's notes."""
    from conftest import write_csv
    from test_validate_catalog import ROW

    (tmp_path / "busy.toml").write_text(busy_node_spec(BUSY), encoding="utf-8")
    runs = write_csv(tmp_path / "runs.csv", [{**ROW, "hardware": "busy.toml"}])
    out, _ = run_main_expect(capsys, "validate", "--runs", str(runs), "--row", "asic-1", "--json",
                             "--config-dir", str(tmp_path))
    line = "warning: hardware cell of run 'asic-1': busy-node was probed on a busy machine"
    (run,) = json.loads(out)["runs"]
    assert sum(n.startswith(f"{line} ({BUSY})") for n in run["notes"]) == 1, run["notes"]
