"""MoE config values that were read as something else (helper moecost's report): moe_intermediate_size 0 gave the
experts the dense width, decoder_sparse_step / moe_layer_freq 0 became 1 (transformers divides by it), and a config
none of whose layers is MoE printed "8 of 128 experts" and took --ep. The zeros exit 2 naming the key; the all-dense
config is planned as the dense model it is."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import run_main
from test_plan_unseen_families import QWEN3_30B_A3B

from accelopt.errors import InputError
from accelopt.workload.presets import load_hf_config

DSV2_LITE = {"model_type": "deepseek_v2", "num_hidden_layers": 27, "hidden_size": 2048, "num_attention_heads": 16,
             "num_key_value_heads": 16, "vocab_size": 102400, "intermediate_size": 10944, "max_position_embeddings":
             4096, "n_routed_experts": 64, "num_experts_per_tok": 6, "moe_intermediate_size": 1408,
             "n_shared_experts": 2, "first_k_dense_replace": 1, "moe_layer_freq": 1}


def _write(tmp_path: Path, cfg: dict[str, Any]) -> Path:
    p = tmp_path / "config.json"
    p.write_text(json.dumps(cfg), encoding="utf-8")
    return p


def _plan(tmp_path: Path, cfg: dict[str, Any], capsys: pytest.CaptureFixture[str],
          *extra: str) -> tuple[int, str, str]:
    return run_main(["plan", "explain", "--model", str(_write(tmp_path, cfg)), "--hardware", "h100-sxm",
                     "--devices", "8", *extra], capsys)


def test_expert_width_zero_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = _plan(tmp_path, {**QWEN3_30B_A3B, "moe_intermediate_size": 0}, capsys, "--ep", "8")
    assert code == 2 and "Traceback" not in err
    assert "moe_intermediate_size = 0" in err and "leave moe_intermediate_size out" in err


@pytest.mark.parametrize(("base", "key"), [(QWEN3_30B_A3B, "decoder_sparse_step"), (DSV2_LITE, "moe_layer_freq")])
def test_moe_spacing_zero_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str], base: dict[str, Any],
                                     key: str) -> None:
    code, _out, err = _plan(tmp_path, {**base, key: 0}, capsys)
    assert code == 2 and "Traceback" not in err
    assert f"{key} = 0" in err and f"give {key} 1" in err


@pytest.mark.parametrize("change", [{"mlp_only_layers": list(range(48))}, {"first_k_dense_replace": 48},
                                    {"decoder_sparse_step": 49}])
def test_config_with_no_moe_layer_is_dense(tmp_path: Path, change: dict[str, Any]) -> None:
    """By hand (Qwen3-30B-A3B's shapes, every MLP of intermediate_size 6144): 48 layers of attention
    2048 x 32 x 128 x 2 + 2 x 2048 x 4 x 128 and Qwen3MoeAttention's q_norm / k_norm of 128 each (counted since
    utleft2, s33: 3,340,437,504 before), MLP 3 x 2048 x 6144, two norms of 2048; embeddings and head
    2 x 151936 x 2048; the final norm 2048: 3,340,449,792 parameters, all active."""
    cfg = load_hf_config(_write(tmp_path, {**QWEN3_30B_A3B, **change}))
    assert not cfg.is_moe and cfg.ffn == 6144 and cfg.shared_experts == 0
    assert cfg.params_total() == cfg.params_active() == 3_340_449_792
    assert any("no MoE layer: of the 48 layers none runs the 128 experts" in n for n in cfg.config_defaults)


def test_all_dense_config_refuses_ep(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = _plan(tmp_path, {**QWEN3_30B_A3B, "mlp_only_layers": list(range(48))}, capsys, "--ep", "8")
    assert code == 2 and "Traceback" not in err and "is a dense model (no experts)" in err


def test_one_moe_layer_left_stays_moe(tmp_path: Path) -> None:
    cfg = load_hf_config(_write(tmp_path, {**QWEN3_30B_A3B, "mlp_only_layers": list(range(47))}))
    assert cfg.is_moe and cfg.moe_layers == 1


def test_zero_width_refused_in_the_loader(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="moe_intermediate_size = 0"):
        load_hf_config(_write(tmp_path, {**DSV2_LITE, "moe_intermediate_size": 0}))
