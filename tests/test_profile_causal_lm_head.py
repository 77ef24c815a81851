"""profile --mode inference of a Hugging Face causal LM runs its head on the last token, as plan infer charges it.

A generation prefill computes the logits of the last prompt token only (vLLM gathers `hidden_states[logits_indices]`
before compute_logits; transformers' generate passes logits_to_keep), and plan infer / plan serve charge the head so
(workload.inference_zoo.last_token_logits). profile ran and counted the head (hidden x vocab) and its logits for every
position: the tiny Llama's head at seq 32 was 32x what plan infer charged for the same model and shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

pytestmark = pytest.mark.usefixtures("torch_one_thread")
CONFIG = "examples/hf_tiny_llama/config.json"
BATCH, SEQ, HIDDEN, VOCAB = 2, 32, 128, 1024  # the config's hidden_size and vocab_size


def _head_flops(workload: Path) -> float:
    ops = json.loads(workload.read_text())["ops"]
    head = [o for o in ops if o.get("module") == "lm_head"]
    assert head, sorted({o.get("module") for o in ops})
    return float(sum(o["flops"] * o.get("count", 1) for o in head))


def test_profile_counts_and_says_the_last_token_head(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "w.json"
    code, out, err = run_main(["profile", CONFIG, "--mode", "inference", "--batch-size", str(BATCH), "--seq-len",
                               str(SEQ), "--steps", "3", "--warmup", "1", "--save-workload", str(saved), "--json"],
                              capsys)
    assert code == 0, err
    assert _head_flops(saved) == 2 * BATCH * 1 * HIDDEN * VOCAB  # was 2 * BATCH * SEQ * HIDDEN * VOCAB
    notes = json.loads(out)["diagnosis"]["notes"]
    assert any(n.startswith("the output layer (lm_head, hidden x vocab) ran on the last token of each sequence only")
               for n in notes), notes


def test_training_still_runs_the_head_on_every_token(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    saved = tmp_path / "w.json"
    code, out, err = run_main(["profile", CONFIG, "--mode", "train", "--batch-size", str(BATCH), "--seq-len",
                               str(SEQ), "--steps", "3", "--warmup", "1", "--save-workload", str(saved), "--json"],
                              capsys)
    assert code == 0, err
    forward = [o for o in json.loads(saved.read_text())["ops"] if o.get("module") == "lm_head"
               and o.get("phase", "forward") == "forward"]
    assert sum(o["flops"] * o.get("count", 1) for o in forward) == 2 * BATCH * SEQ * HIDDEN * VOCAB
    assert not any("ran on the last token" in n for n in json.loads(out)["diagnosis"]["notes"])
