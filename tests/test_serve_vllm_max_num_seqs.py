"""ut4srv (2026-12-06): `plan serve --engine vllm --batch max` (and `--concurrency max`, `--rate`) capped the
requests in flight at TensorRT-LLM's max_batch_size default, 2048, and said nothing where memory held fewer: Llama 3
8B at 128 + 128 tokens ran 1,758 requests on one H100 and 1,768 on an A100 80GB. vLLM's own default cap is
max_num_seqs, 1024 on a device of 70 GiB or more whose name is not an A100's and 256 otherwise (vllm-project/vllm
vllm/engine/arg_utils.py at 99d7eb5d6a51, EngineArgs._set_default_args: `device_memory >= 70 * GiB_bytes and "a100"
not in device_name`). Found by an unseen check on published vLLM serving runs (notes/ut4srv.md): the gpustack
performance-lab runs leave max_num_seqs at vLLM's default."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict.serving import engine_default_max_batch_size
from accelopt.predict.serving_validation import row_calibration

SERVE = ["plan", "serve", "-m", "llama3-8b", "--prompt", "128", "--output", "128", "--batch", "max", "--json"]


def _points(capsys: pytest.CaptureFixture[str], *flags: str) -> tuple[dict[str, int], list[str]]:
    code, out, err = run_main([*SERVE, *flags], capsys)
    assert code == 0, err
    doc: dict[str, Any] = json.loads(out)
    return {r["device"]: r["points"][0]["batch"] for r in doc["results"]}, doc["notes"]


def test_vllm_runs_its_own_default_cap(capsys: pytest.CaptureFixture[str]) -> None:
    # h100-sxm 85.5 GB (80 GiB) and mi300x 206 GB: >= 70 GiB; a100-sxm-80gb: an A100; l40s 48.3 GB: under 70 GiB
    batches, notes = _points(capsys, "--hardware", "h100-sxm,a100-sxm-80gb,l40s,mi300x", "--engine", "vllm")
    assert batches == {"h100-sxm": 1024, "a100-sxm-80gb": 256, "l40s": 256, "mi300x": 1024}, batches
    note = next(n for n in notes if "--max-batch-size was left out" in n)
    assert "vLLM's default max_num_seqs" in note and "99d7eb5d6a51" in note
    assert "h100-sxm: 1,024" in note and "a100-sxm-80gb: 256" in note and "2048 unless" not in note, note


def test_other_engines_and_the_flag_keep_their_cap(capsys: pytest.CaptureFixture[str]) -> None:
    # no --engine: TensorRT-LLM's 2048, above what the H100's KV cache holds (1,758): memory sets the load, unsaid
    batches, notes = _points(capsys, "--hardware", "h100-sxm")
    assert batches == {"h100-sxm": 1758} and not [n for n in notes if "--max-batch-size was left out" in n]
    batches, notes = _points(capsys, "--hardware", "h100-sxm", "--engine", "vllm", "--max-batch-size", "2000")
    assert batches == {"h100-sxm": 1758} and not [n for n in notes if "--max-batch-size was left out" in n]
    batches, _ = _points(capsys, "--hardware", "h100-sxm", "--engine", "trtllm")
    assert batches["h100-sxm"] > 1024


def test_only_gpus_take_the_rule() -> None:
    assert engine_default_max_batch_size("vllm", get_device("h200")) == 1024
    assert engine_default_max_batch_size("vllm", get_device("a100-sxm-40gb")) == 256
    assert engine_default_max_batch_size("vllm", get_device("tpu-v6e")) is None  # vLLM's TPU platform: not cited here
    assert engine_default_max_batch_size("sglang", get_device("h100-sxm")) is None
    assert engine_default_max_batch_size(None, get_device("h100-sxm")) is None


def test_validate_reads_a_blank_cell_as_vllms_default() -> None:
    row = {"engine": "vllm", "tp": "8", "pp": "1", "model": "llama3.1-405b", "max_batch_size": "",
           "memory_fraction": "", "int4_group_size": "", "tp_allreduce": "", "token_buckets": "", "ep": "",
           "attention_dp": "", "redundant_experts": "", "two_batch_overlap": "", "dense_experts": ""}
    assert row_calibration(row, get_device("mi300x")).max_batch_size == 1024
    assert row_calibration(row, get_device("a100-sxm-80gb")).max_batch_size == 256
    assert row_calibration({**row, "max_batch_size": "256"}, get_device("mi300x")).max_batch_size == 256
    assert row_calibration({**row, "engine": "trtllm"}, get_device("h100-sxm")).max_batch_size == 2048


LONG = ["plan", "serve", "-m", "qwen3-32b", "--hardware", "a100-sxm-80gb,h100-sxm", "--prompt", "32000", "--output",
        "77", "--batch", "max", "--requests", "100", "--json"]


def _chunk_notes(capsys: pytest.CaptureFixture[str], *flags: str) -> list[str]:
    code, out, err = run_main([*LONG, *flags], capsys)
    assert code == 0, err
    return [n for n in json.loads(out)["notes"] if "prefill chunks of" in n]


def test_vllms_own_prefill_chunk_is_said_where_it_differs(capsys: pytest.CaptureFixture[str]) -> None:
    """The same unseen check: gpustack's Qwen3-32B runs on one A100 were `vllm serve` at 32,000-token prompts, chunked
    at vLLM's 2,048 on an A100, where plan serve took TensorRT-LLM's 8,192 without a word. The figure keeps 8,192
    (an offline vLLM run chunks at 8,192 there); the note says so and names the flag. Not on the H100, where `vllm
    serve` chunks at 8,192 too, nor with the flag given or without --engine vllm."""
    notes = _chunk_notes(capsys, "--engine", "vllm")
    assert len(notes) == 1 and notes[0].startswith("default used: a100-sxm-80gb: prefill chunks of 8,192"), notes
    assert "chunks at 2,048" in notes[0] and "give --max-prefill-tokens 2048" in notes[0], notes
    assert not _chunk_notes(capsys, "--engine", "vllm", "--max-prefill-tokens", "8192")
    assert not _chunk_notes(capsys, "--engine", "trtllm")
    assert not _chunk_notes(capsys)


@pytest.mark.parametrize("table", ["[serving.default]", "[serving.mine]\nmatch = [\"h100*\"]"])
def test_a_calibration_tables_max_batch_size_is_not_replaced_by_vllms(
        capsys: pytest.CaptureFixture[str], tmp_path: Any, table: str) -> None:
    # rev1: a --calibration table that sets max_batch_size (the device's own table or the file's [serving.default]
    # it builds on) is the user's figure, as --max-batch-size is: vLLM's default 1024 replaced it without a word,
    # and the note called the 512 'vLLM's default max_num_seqs'
    from accelopt.predict.calibration import bundled_text

    path = tmp_path / "cal.toml"
    body = bundled_text()[bundled_text().index("[serving.default]"):].split("\n[", 1)[0].split("\n", 1)[1] \
        if table == "[serving.default]" else ""
    body = body.replace("max_batch_size = 2048", "")
    path.write_text(f"{table}\n{body}\nmax_batch_size = 512\n")
    batches, notes = _points(capsys, "--hardware", "h100-sxm,a100-sxm-80gb", "--engine", "vllm",
                             "--calibration", str(path))
    assert batches["h100-sxm"] == 512, batches
    note = next(n for n in notes if "--max-batch-size was left out" in n)
    assert "h100-sxm: 512" in note.split("vLLM's default")[0], note
    # the A100 takes the file's table only where it sets the figure: [serving.mine] matches the H100 alone
    assert batches["a100-sxm-80gb"] == (512 if table == "[serving.default]" else 256), batches
    row = {"engine": "vllm", "tp": "1", "pp": "1", "model": "llama3-8b", "max_batch_size": "", "hardware": "h100-sxm"}
    assert row_calibration(row, get_device("h100-sxm"), None, str(path)).max_batch_size == 512


def test_validate_serving_says_the_prefill_chunk_plan_serve_says(capsys: pytest.CaptureFixture[str]) -> None:
    # rev1: `plan serve --engine vllm` on an A100 says its 8,192-token prefill chunk is not `vllm serve`'s 2,048
    # (ut4srv); the same row under `validate --serving --row` (the command it prints) said nothing: 64 x 256 tokens
    rid = "vllm2192-a100-l2-70b-tp4-b64-nccl"
    code, out, err = run_main(["validate", "--serving", "--row", rid], capsys)
    assert code == 0, err
    command = next(line.split("accelopt ", 1)[1] for line in out.splitlines() if "accelopt plan serve" in line)
    code, served, serve_err = run_main(command.split(), capsys)
    assert code == 0, serve_err
    said = " ".join((served + serve_err).split())
    assert "chunks at 2,048" in said and "--max-prefill-tokens 2048" in said, said
    validated = " ".join(err.split())
    assert "chunks at 2,048" in validated and rid in validated, validated
    assert "--max-prefill-tokens: no column of a runs file" in validated, validated


def test_a_calibration_tables_prefill_chunk_is_not_called_tensorrt_llms(
        capsys: pytest.CaptureFixture[str], tmp_path: Any) -> None:
    # rev1: a --calibration table's max_prefill_chunk_tokens is the user's figure: the A100 note called its 16,384
    # 'TensorRT-LLM's max_num_tokens default' with '--max-prefill-tokens left out'
    path = tmp_path / "cal.toml"
    path.write_text('[serving.mine]\nmatch = ["a100*"]\nmax_prefill_chunk_tokens = 16384\n')
    flags = ["--model", "llama2-70b", "--hardware", "a100-sxm-80gb", "--tp", "4", "--prompt", "256", "--output", "256",
             "--engine", "vllm", "--batch", "64"]
    code, out, err = run_main(["plan", "serve", *flags], capsys)
    assert code == 0 and "chunks at 2,048" in " ".join((out + err).split()), err  # the bundled table's 8192: said
    code, out, err = run_main(["plan", "serve", *flags, "--calibration", str(path)], capsys)
    assert code == 0, err
    assert "chunks at 2,048" not in " ".join((out + err).split()), out + err
