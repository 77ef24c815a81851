"""`plan serve --tp` must divide each MLP inner width the ranks split (utserve, 2026-12-06): a config.json with 24
heads, 3 KV heads and intermediate_size 8192 was planned at --tp 3 (exit 0, 2.3 GiB a device) though vLLM's
column-parallel layers take divide(output_size, tp_size), which asserts '8192 is not divisible by 3'
(vllm/distributed/utils.py ensure_divisibility, the Megatron-LM helper); now exit 2 naming the width and a --tp that
runs. The routed experts' width counts under plain tensor parallelism only (with --ep each expert stays whole)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

CONFIG = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 3072,
          "intermediate_size": 8192, "num_hidden_layers": 28, "num_attention_heads": 24, "num_key_value_heads": 3,
          "vocab_size": 128256, "max_position_embeddings": 131072, "tie_word_embeddings": True,
          "rope_theta": 500000.0, "head_dim": 128}


def _serve(tmp_path: Path, capsys: pytest.CaptureFixture[str], config: dict, *extra: str) -> tuple[int, str, str]:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    return run_main(["plan", "serve", "-m", str(path), "--hardware", "h100-sxm", "--batch", "4", *extra], capsys)


def test_a_tp_that_does_not_split_the_mlp_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _serve(tmp_path, capsys, CONFIG, "--tp", "3")
    flat = " ".join(err.split())
    assert code == 2 and out == "" and "Traceback" not in flat
    assert "--tp 3 does not divide the MLP width of" in flat and "(MLP 8,192)" in flat
    assert "ensure_divisibility" in flat
    assert "fix: give a --tp that divides it and the attention heads, e.g. 1" in flat
    code, _, err = _serve(tmp_path, capsys, {**CONFIG, "intermediate_size": 8448}, "--tp", "3")  # 8448 = 3 x 2816
    assert code == 0, err


def test_moe_experts_count_under_plain_tp_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    moe = {"architectures": ["MixtralForCausalLM"], "model_type": "mixtral", "hidden_size": 2048,
           "intermediate_size": 5632, "num_hidden_layers": 16, "num_attention_heads": 16, "num_key_value_heads": 4,
           "vocab_size": 32000, "max_position_embeddings": 32768, "num_local_experts": 8, "num_experts_per_tok": 2}
    code, _, err = _serve(tmp_path, capsys, {**moe, "intermediate_size": 5640}, "--tp", "4")  # 5640 = 4 x 1410
    assert code == 0, err
    code, _, err = _serve(tmp_path, capsys, {**moe, "intermediate_size": 5636}, "--tp", "8")
    flat = " ".join(err.split())
    assert code == 2 and "(expert MLP 5,636)" in flat and "e.g. 1, 2, 4" in flat
    # with expert parallelism each expert is whole on its rank: no split of its width
    code, _, err = _serve(tmp_path, capsys, {**moe, "intermediate_size": 5636}, "--tp", "1", "--ep", "8",
                          "--attention-dp", "8")
    assert code == 0, err


def test_moe_experts_split_over_a_stage_without_ep_must_divide(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    """rvs32c (2026-12-06): with --attention-dp the routed experts are split over the stage's tp x attention-dp
    devices / --ep (serving_moe.weights_bytes_per_device; SGLang's FusedMoE asserts 'intermediate_size %
    self.tp_size == 0' over that TP world, sgl-project/sglang@9af3c47b python/sglang/srt/layers/moe/
    fused_moe_triton/layer.py), yet `--tp 1 --attention-dp 8` split a 5,636-wide expert 8 ways with exit 0 while
    `--tp 8` (the same 8-way split) was refused. Fails before: exit 0."""
    moe = {"architectures": ["MixtralForCausalLM"], "model_type": "mixtral", "hidden_size": 2048,
           "intermediate_size": 5636, "num_hidden_layers": 16, "num_attention_heads": 16, "num_key_value_heads": 4,
           "vocab_size": 32000, "max_position_embeddings": 32768, "num_local_experts": 8, "num_experts_per_tok": 2}
    code, out, err = _serve(tmp_path, capsys, moe, "--tp", "1", "--attention-dp", "8")
    flat = " ".join(err.split())
    assert code == 2 and out == "" and "Traceback" not in flat, flat
    assert "split each routed expert's MLP width 5,636 over 8 devices" in flat, flat
    assert "fix: give an --ep that leaves each expert's split dividing 5,636, e.g. --ep 2, 4, 8" in flat, flat
    # --ep 2 of the 8 devices: each expert over 4 of them, 5636 = 4 x 1409, which runs
    code, _, err = _serve(tmp_path, capsys, moe, "--tp", "2", "--attention-dp", "4", "--ep", "2")
    assert code == 0, err


def test_vllm_takes_expert_parallelism_all_or_none(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """utleft7 (2026-12-06): the partial expert split above (--ep 2 of 8 devices, each expert over 4) is SGLang's;
    vLLM's FusedMoEParallelConfig.make gives ep_size = dp x tp with --enable-expert-parallel and 1 without it
    (vllm-project/vllm@002d6073 vllm/model_executor/layers/fused_moe/config.py), so with --engine vllm the layout
    ran (exit 0) though vLLM cannot be launched so. Fails before: exit 0."""
    moe = {"architectures": ["MixtralForCausalLM"], "model_type": "mixtral", "hidden_size": 2048,
           "intermediate_size": 5636, "num_hidden_layers": 16, "num_attention_heads": 16, "num_key_value_heads": 4,
           "vocab_size": 32000, "max_position_embeddings": 32768, "num_local_experts": 8, "num_experts_per_tok": 2}
    layout = ("--tp", "2", "--attention-dp", "4")
    code, out, err = _serve(tmp_path, capsys, moe, *layout, "--ep", "2", "--engine", "vllm")
    flat = " ".join(err.split())
    assert code == 2 and out == "" and "Traceback" not in flat, flat
    assert "--ep 2 with --engine vllm on a stage of 8 devices" in flat and "all or none" in flat, flat
    # --ep 1 would split the 5,636-wide expert 8 ways: only --ep 8 is named
    assert "fix: give --ep 8 with --engine vllm, or --engine sglang, which splits each expert over 4 devices" in flat, \
        flat
    code, _, err = _serve(tmp_path, capsys, moe, *layout, "--ep", "8", "--engine", "vllm")
    assert code == 0, err
    code, _, err = _serve(tmp_path, capsys, moe, *layout, "--ep", "2", "--engine", "sglang")
    assert code == 0, err


def test_vllm_names_the_ep_that_runs_in_the_first_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """utleft (2026-12-06): with --engine vllm, --ep 3 of 8 experts was told 'use an --ep that divides the expert
    count, e.g. 2, 4, 8'; --ep 2 or 4 then met vLLM's all-or-none rule, a second error, before --ep 8 ran. The first
    error now names vLLM's rule and --ep 8; the SGLang alternative is offered only where SGLang takes the --ep."""
    moe = {"architectures": ["MixtralForCausalLM"], "model_type": "mixtral", "hidden_size": 2048,
           "intermediate_size": 5636, "num_hidden_layers": 16, "num_attention_heads": 16, "num_key_value_heads": 4,
           "vocab_size": 32000, "max_position_embeddings": 32768, "num_local_experts": 8, "num_experts_per_tok": 2}
    layout = ("--tp", "2", "--attention-dp", "4", "--engine", "vllm")
    for ep in ("3", "16"):  # not dividing the experts; not dividing the stage's devices
        code, out, err = _serve(tmp_path, capsys, moe, *layout, "--ep", ep)
        flat = " ".join(err.split())
        assert code == 2 and out == "" and "Traceback" not in flat, flat
        assert f"--ep {ep} with --engine vllm on a stage of 8 devices" in flat, flat
        assert "fix: give --ep 8 with --engine vllm" in flat and "--engine sglang" not in flat, flat
    # without --engine vllm the divisibility error still names the divisors (SGLang splits experts partially)
    code, _, err = _serve(tmp_path, capsys, moe, "--tp", "2", "--attention-dp", "4", "--ep", "3")
    assert code == 2 and "--ep 3 does not divide the 8 routed experts" in " ".join(err.split()), err
    code, _, err = _serve(tmp_path, capsys, moe, *layout, "--ep", "0")  # not a count: check_layout's message
    assert code == 2 and "--ep 0 must be an integer >= 1" in " ".join(err.split()), err


def test_a_tp_below_one_with_an_ep_is_refused_not_a_traceback(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """rv1 (2026-12-06): `--tp 0` with `--ep 2` on an MoE model reached _check_expert_split's `ffn % (stage // ep)`
    with a stage of 0 devices: ZeroDivisionError, exit 1 (with or without --engine vllm, whose check now runs first).
    --tp alone was refused with exit 2 by the serving model's layout check, too late for the MoE checks."""
    moe = {"architectures": ["MixtralForCausalLM"], "model_type": "mixtral", "hidden_size": 2048,
           "intermediate_size": 5636, "num_hidden_layers": 16, "num_attention_heads": 16, "num_key_value_heads": 4,
           "vocab_size": 32000, "max_position_embeddings": 32768, "num_local_experts": 8, "num_experts_per_tok": 2}
    for tp in ("0", "-2"):
        for engine in ((), ("--engine", "vllm"), ("--engine", "sglang")):
            code, out, err = _serve(tmp_path, capsys, moe, "--tp", tp, "--ep", "2", *engine)
            flat = " ".join(err.split())
            assert code == 2 and out == "" and "Traceback" not in flat, flat
            assert f"--tp {tp} must be a positive integer" in flat, flat
            assert "fix: give a --tp that divides the 16 attention heads" in flat, flat
