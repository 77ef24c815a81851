"""`plan explain` refusing a layout named the flag of each broken rule but, for the rules bounded by a figure of the
layout, not the figure: 'give --mbs at most the sequences per data-parallel rank', 'an --hsdp dividing dp x cp',
'--recompute-layers at most the layers of a stage', where the device-count rule's fix said '(= 5)'. A user had to
work dp, the sequences per rank or a stage's layers out to pick a value; the fix now names them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

# llama3-8b: 32 layers, 32 heads, 8 KV heads; sequence 8192 as the preset gives it
BASE = ("plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm")


@pytest.mark.parametrize(("args", "want"), [
    (("--devices", "8", "--mbs", "64", "--global-batch", "64"), "--mbs at most the 8 sequences per data-parallel"),
    (("--devices", "8", "--mbs", "6", "--global-batch", "36"), "--mbs at most the 5 sequences"),  # ceil(36 / 8)
    (("--devices", "8", "--zero", "3", "--hsdp", "3"), "an --hsdp dividing dp x cp (= 8)"),
    (("--devices", "16", "--cp", "2", "--zero", "3", "--hsdp", "3"), "an --hsdp dividing dp x cp (= 16)"),
    (("--devices", "32", "--pp", "4", "--recompute", "full", "--recompute-layers", "9"),
     "--recompute-layers at most the 8 layers of a stage"),
    (("--devices", "8", "--global-batch", "3"), "a --global-batch of at least dp (= 8)"),
    (("--devices", "24", "--cp", "3"), "a --cp dividing --seq-len 8192"),
])
def test_a_refused_layouts_fix_names_the_bound(capsys: pytest.CaptureFixture[str], args: tuple[str, ...],
                                              want: str) -> None:
    code, _, err = run_main([*BASE, *args], capsys)
    assert code == 2 and "Traceback" not in err, err
    fix = " ".join(err.split("fix:", 1)[1].split())
    assert want in fix, fix


def test_the_expert_grid_fix_names_tp_dp_cp(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["plan", "explain", "--model", "mixtral-8x7b", "--hardware", "h100-sxm", "--devices", "8",
                             "--tp", "2", "--ep", "8", "--etp", "2"], capsys)
    assert code == 2
    assert "--etp x --ep dividing tp x dp x cp (= 8)" in " ".join(err.split("fix:", 1)[1].split())


def test_the_tp_fix_lists_every_divisor_of_the_heads(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A made-up 12-head model: the fix listed '(1, 2, 4)' (powers of two only), though tp 3, 6 and 12 are valid and
    `plan explain --tp 3` takes them."""
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 1536,
                               "intermediate_size": 4096, "num_attention_heads": 12, "num_key_value_heads": 12,
                               "num_hidden_layers": 18, "vocab_size": 32000, "max_position_embeddings": 2048}))
    code, _, err = run_main(["plan", "explain", "--model", str(cfg), "--hardware", "h100-sxm", "--devices", "40",
                             "--tp", "5"], capsys)
    assert code == 2
    assert "a --tp dividing the 12 heads (1, 2, 3, 4, 6, 12)" in " ".join(err.split("fix:", 1)[1].split())
    code, _, err = run_main(["plan", "explain", "--model", str(cfg), "--hardware", "h100-sxm", "--devices", "48",
                             "--tp", "3"], capsys)
    assert code == 0, err  # one of the values the fix lists is taken
