"""Findings of a new user's review of the prediction commands (ut_plan4, 2026-12-02), each typed at the command line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from test_sweep10_flag_messages import EXPLAIN, _error

from accelopt.cli.main import main
from accelopt.workload.types import Op, Workload


@pytest.mark.parametrize(("text", "shown"), [("65537", "8.0001"), ("4194305tok", "512.0001"), ("4M", "488.3")])
def test_a_token_batch_that_is_no_whole_number_of_sequences_shows_its_fraction(
        capsys: pytest.CaptureFixture[str], text: str, shown: str) -> None:
    """`--global-batch 65537` at --seq-len 8192 said 'is not a whole number of 8192-token sequences (8 sequences)':
    65537 / 8192 = 8.000122 printed to 4 digits, a whole number beside the claim that it is not one. It now
    prints the digits that show the fraction, and that a bare number above 65536 was read as tokens."""
    err = _error(capsys, [*EXPLAIN, "--global-batch", text])
    assert f"({shown} sequences" in err, err
    assert ("a bare number above 65536 is read as tokens" in err) == (not text.endswith("tok")), err


def _workload(path: Path, mode: str) -> Path:
    Workload(name="toy", meta={"params": 1e8, "batch_size": 4, "seq_len": 512, "mode": mode}, ops=[
        Op(name="mm", kind="matmul", flops=1e11, bytes_read=1e8, bytes_written=1e7, phase="forward")]).save(path)
    return path


@pytest.mark.parametrize(("argv", "mode", "route"), [
    (["plan", "explain", "--model", "W", "--hardware", "h100-sxm", "--devices", "2"], "train", "accelopt plan --model"),
    (["plan", "serve", "--model", "W", "--batch", "1"], "train", "accelopt plan --model"),
    (["plan", "serve", "--model", "W", "--batch", "1"], "inference", "accelopt plan infer"),
])
def test_a_workload_json_where_a_config_is_read_is_named_as_one(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str], mode: str, route: str) -> None:
    """`plan explain --model w.json` / `plan serve -m w.json` with the workload `profile --save-workload` wrote
    (README: `plan --model` takes one) said 'w.json holds no model sizes ...: not a model's config.json (a
    generation_config.json or tokenizer_config.json?)', a wrong guess at the file, with no route to the command
    that reads it. It now names the file a workload JSON and points to `plan --model` (a training step) or
    `plan infer` (an inference one)."""
    w = str(_workload(tmp_path / "w.json", mode))
    err = _error(capsys, [w if a == "W" else a for a in argv])
    assert "is a workload JSON" in err and "generation_config" not in err, err
    assert f"`{route} {w}" in err, err


_TFLOPS_HEADER = "id,source,hardware,devices,layers,hidden,heads,ffn,vocab,seq,mlp,global_batch,tp,pp,dp,recompute," \
                 "tflops_per_gpu,flash,overlap"


def _tflops_row(tflops: str) -> str:
    # a GPT block as Narayanan et al. 2021 eq. 3 counts it (GELU MLP 4 x hidden, full recompute) on 64 A100s
    row = f"x,our lab,a100-sxm-80gb,64,24,2048,16,8192,50257,2048,gelu,512,1,1,64,full,{tflops},1,1"
    return f"{_TFLOPS_HEADER}\n{row}\n"


@pytest.mark.parametrize(("tflops", "shown"), [("400", "128%"), ("313", "100.3%")])
def test_a_tflops_figure_above_the_device_peak_is_refused(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, tflops: str, shown: str) -> None:
    """`validate --runs` read tflops_per_gpu 400 on an A100 (bf16 peak 312 TFLOP/s) as a 487 ms step and compared
    it (+104%): the cell's hardware FLOPs (eq. 3 counts the recomputed forward) are 128% of the peak, but the
    check looked only at the model FLOPs, 3/4 of them (96%). A step_s that fast was already refused as a unit
    slip; this cell now is too, at the same peak."""
    runs = tmp_path / "runs.csv"
    runs.write_text(_tflops_row(tflops))
    err = _error(capsys, ["validate", "--runs", str(runs)])
    assert f"tflops_per_gpu = '{tflops}' puts the step's hardware FLOPs" in err, err
    assert f"at {shown} of the bf16 peak" in err, err


def test_a_tflops_figure_below_the_peak_is_compared(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The same row at 150 TFLOP/s per device (48% of the peak, Narayanan 2021 Table 1's range) is predicted."""
    runs = tmp_path / "runs.csv"
    runs.write_text(_tflops_row("150"))
    with pytest.raises(SystemExit) as e:
        main(["validate", "--runs", str(runs), "--json"])
    assert e.value.code == 0 and '"published_step_s"' in capsys.readouterr().out


_SERVING_HEADER = "id,source,engine,hardware,model,tp,pp,weight_dtype,kv_dtype,prompt_len,output_len,batch,metric," \
                  "published,role"


@pytest.mark.parametrize("metric", ["tpot_ms", "decode_tok_s", "decode_tok_s_per_device"])
def test_a_decode_figure_of_one_token_outputs_is_refused(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, metric: str) -> None:
    """`validate --serving --runs` compared a published tpot_ms (or decode tok/s) of a run with output_len 1 against
    plan serve's stand-in decode step (+1.1% for a made-up 7 ms): such a run decodes nothing (its one token is the
    prefill's; vLLM's benchmark counts TPOT only for outputs of more than one token, and `plan serve --output 1`
    says its TPOT column is a stand-in), so the row holds no figure to compare. It is now refused naming the cell."""
    runs = tmp_path / "serving.csv"
    runs.write_text(f"{_SERVING_HEADER}\nx,our lab,vllm,h100-sxm,llama3-8b,1,1,bf16,bf16,1000,1,8,{metric},7,test\n")
    err = _error(capsys, ["validate", "--serving", "--runs", str(runs)])
    assert f"metric = '{metric}' with output_len 1" in err and "in the metric cell of row 'x'" in err, err


def test_a_prefill_figure_of_one_token_outputs_is_compared(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """TTFT of one-token outputs is what the bundled rows of that shape publish (trt05-ttft-*): still compared."""
    runs = tmp_path / "serving.csv"
    runs.write_text(f"{_SERVING_HEADER}\nx,our lab,vllm,h100-sxm,llama3-8b,1,1,bf16,bf16,1000,1,8,ttft_ms,90,test\n")
    with pytest.raises(SystemExit) as e:
        main(["validate", "--serving", "--runs", str(runs), "--json"])
    assert e.value.code == 0 and '"predicted"' in capsys.readouterr().out


@pytest.mark.parametrize("etp", ["3", "5,6"])
def test_an_etp_no_layout_takes_is_named_not_the_device_count(capsys: pytest.CaptureFixture[str], etp: str) -> None:
    """`plan --model mixtral-8x7b --devices 16 --etp 3`: no layout of 16 devices has etp x ep dividing its
    tp x dp x cp (a power of two), so the search came back empty and said 'no layout of 16 devices exists for a
    global batch of ... sequences', fix 'use fewer --devices or a larger --global-batch': neither helps, and the
    same search without --etp finds thousands. It now names --etp and what it must be."""
    err = _error(capsys, ["plan", "--model", "mixtral-8x7b", "--hardware", "h100-sxm", "--devices", "16",
                          "--etp", etp])
    assert f"no layout of 16 devices takes --etp {etp}" in err and "global batch" not in err, err
    assert "--etp 0,1" in err, err


def test_an_hsdp_group_no_layout_takes_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    """`plan --devices 16 --hsdp 3`: 3 divides no dp x cp of 16 devices, so no hybrid-sharded layout was made, and
    with no 0 in the list the fully sharded ZeRO-3 layouts were left out too; the tables showed no hsdp column and
    nothing said the flag had done nothing. A note (console and JSON `notes`) now names the group."""
    argv = ["plan", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "16", "--top", "1", "--json"]
    with pytest.raises(SystemExit) as e:
        main([*argv, "--hsdp", "3"])
    notes = json.loads(capsys.readouterr().out)["notes"]
    assert e.value.code == 0 and any(n.startswith("--hsdp 3: no layout searched takes it") and
                                     "no fully sharded ZeRO-3 layout" in n for n in notes), notes
    with pytest.raises(SystemExit):
        main([*argv, "--hsdp", "0,4"])  # both apply on 16 devices: no note
    assert not any(n.startswith("--hsdp") for n in json.loads(capsys.readouterr().out)["notes"])


def test_a_recompute_layers_count_no_layout_takes_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    """`plan --recompute-layers 100` on the 32-layer llama3-8b: no stage holds 100 layers, so no partial-recompute
    layout was made and (no 0 in the list) full recompute of every layer was left out too, without a word."""
    with pytest.raises(SystemExit) as e:
        main(["plan", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "16", "--top", "1", "--json",
              "--recompute-layers", "100"])
    notes = json.loads(capsys.readouterr().out)["notes"]
    assert e.value.code == 0 and any(n.startswith("--recompute-layers 100: no layout searched takes it") and
                                     "no layout recomputing every layer" in n for n in notes), notes


def test_an_etp_value_no_layout_takes_beside_one_that_applies_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    """`plan --model mixtral-8x7b --devices 16 --etp 3,1`: 3 fits no layout (etp x ep must divide tp x dp x cp, a
    power of two), 1 does; the run went on with etp 1 alone and nothing said 3 was dropped, where the same slip in
    --hsdp or --recompute-layers is named in a note. The note names it; etp has no 'plain form' left out (0 or not,
    the etp = tp layouts are searched), so it says nothing of one."""
    argv = ["plan", "--model", "mixtral-8x7b", "--hardware", "h100-sxm", "--devices", "16", "--top", "1", "--json"]
    with pytest.raises(SystemExit) as e:
        main([*argv, "--etp", "3,1"])
    notes = json.loads(capsys.readouterr().out)["notes"]
    said = [n for n in notes if n.startswith("--etp 3: no layout searched takes it")]
    assert e.value.code == 0 and len(said) == 1, notes
    assert "at most a layout's tp" in said[0] and "either" not in said[0], said
    with pytest.raises(SystemExit):
        main([*argv, "--etp", "0,1"])  # both apply on 16 devices: no note
    assert not any(n.startswith("--etp") for n in json.loads(capsys.readouterr().out)["notes"])
