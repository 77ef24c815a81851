"""The runs file's multi-head latent attention cells (q_lora_rank .. v_head_dim) and windowed-layer count
(sliding_window_layers), read as `plan --model` reads a DeepSeek-V3 or GPT-OSS config.json (issue 10: DeepSeek-V3 and
GPT-OSS training runs could not be written down); a bad cell names the row, the column, the value and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main_expect
from runs_rows import write_runs_file

from accelopt.predict.validation import MoeCells, _moe_fields, run_model
from accelopt.workload.presets import get_model

# DeepSeek-V3 config.json (deepseek-ai/DeepSeek-V3): 61 layers, hidden 7168, 128 heads, intermediate_size 18432 for
# the first_k_dense_replace 3 dense layers, moe_intermediate_size 2048, 256 routed experts, top 8, 1 shared,
# vocab 129280, untied; q_lora_rank 1536, kv_lora_rank 512, qk_nope_head_dim 128, qk_rope_head_dim 64, v_head_dim 128.
DSV3 = {"id": "my-dsv3", "source": "my lab 2026", "hardware": "h100-sxm", "devices": "1024", "layers": "61",
        "hidden": "7168", "heads": "128", "ffn": "18432", "vocab": "129280", "seq": "4096", "global_batch": "8192",
        "tp": "2", "pp": "8", "dp": "64", "vp": "4", "recompute": "none+sp", "step_s": "25.3", "mlp": "swiglu",
        "flash": "1", "experts": "256", "top_k": "8", "moe_ffn": "2048", "shared_experts": "1", "first_dense": "3",
        "ep": "64", "etp": "1", "q_lora_rank": "1536", "kv_lora_rank": "512", "qk_nope_head_dim": "128",
        "qk_rope_head_dim": "64", "v_head_dim": "128", "dtype": "bf16"}
# GPT-OSS-120B config.json (openai/gpt-oss-120b): 36 layers, hidden 2880, 64 heads of head_dim 64, 8 KV heads,
# 128 experts of width 2880, top 4, vocab 201088, sliding_window 128 on the 18 'sliding_attention' layer_types.
GPT_OSS = {"id": "my-oss", "source": "my lab 2026", "hardware": "h100-sxm", "devices": "64", "layers": "36",
           "hidden": "2880", "heads": "64", "kv_heads": "8", "head_dim": "64", "ffn": "2880", "vocab": "201088",
           "seq": "4096", "global_batch": "512", "tp": "1", "pp": "1", "dp": "64", "recompute": "none",
           "step_s": "4.0", "mlp": "swiglu", "flash": "1", "experts": "128", "top_k": "4", "ep": "8",
           "sliding_window": "128", "sliding_window_layers": "18", "dtype": "bf16"}


def _file(tmp_path: Path, row: dict[str, str]) -> Path:
    return write_runs_file(tmp_path / "runs.csv", row)


def test_mla_cells_build_the_deepseek_v3_architecture_plan_reads() -> None:
    """The row's model is the deepseek-v3 preset's (DeepSeek-V3 config.json), MLA and experts included."""
    got, want = run_model(DSV3), get_model("deepseek-v3")
    assert got.mla == want.mla
    assert got.params_total() == want.params_total()
    assert got.params_total() / 1e9 == pytest.approx(671, rel=0.01)  # DeepSeek-V3 report: 671B total


def test_kv_heads_equal_to_heads_is_accepted_with_mla() -> None:
    """DeepSeek-V3's config.json says num_key_value_heads 128 (= heads): the same cell in a row is not an error."""
    assert run_model({**DSV3, "kv_heads": "128"}).params_total() == run_model(DSV3).params_total()


def test_windowed_layer_count_reaches_the_model() -> None:
    model = run_model(GPT_OSS)
    assert (model.sliding_window, model.windowed_layers) == (128, 18)
    assert run_model({**GPT_OSS, "sliding_window_layers": ""}).windowed_layers == 36  # blank: every layer


def test_expert_cells_are_a_typed_object() -> None:
    moe = _moe_fields(DSV3)
    assert moe == MoeCells(experts=256, top_k=8, shared_experts=1, first_dense_layers=3, moe_every=1,
                           expert_ffn=2048, dense_ffn=18432)
    assert _moe_fields({**DSV3, "experts": "", "top_k": "", "moe_ffn": "", "shared_experts": "",
                        "first_dense": ""}) == MoeCells()


@pytest.mark.parametrize("row", [DSV3, GPT_OSS], ids=["mla", "window-layers"])
def test_a_users_runs_file_takes_the_new_columns(row: dict[str, str], tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """Before: 'has column(s) no predictor reads: q_lora_rank, ...' (exit 2)."""
    out, _ = run_main_expect(capsys, "validate", "--runs", str(_file(tmp_path, row)), "--json")
    assert f'"{row["id"]}"' in out


@pytest.mark.parametrize(("row", "cells", "says", "fix"), [
    (DSV3, {"kv_lora_rank": "x"}, "kv_lora_rank = 'x' is not a whole number", "in the kv_lora_rank cell"),
    (DSV3, {"qk_rope_head_dim": ""}, "lacks qk_rope_head_dim", "qk_rope_head_dim 64"),
    (DSV3, {"kv_lora_rank": ""}, "given without kv_lora_rank", "give kv_lora_rank"),
    (DSV3, {"head_dim": "128"}, "head_dim given with multi-head latent attention", "leave head_dim blank"),
    (DSV3, {"v_head_dim": "0"}, "v_head_dim = '0' is out of range", "in the v_head_dim cell"),
    (DSV3, {"kv_heads": "8"}, "kv_heads = '8' with multi-head latent attention", "leave kv_heads blank"),
    (GPT_OSS, {"sliding_window_layers": "37"}, "sliding_window_layers = '37' is out of range (0..36",
     "in the sliding_window_layers cell"),
    (GPT_OSS, {"sliding_window": ""}, "sliding_window_layers given without sliding_window", "give sliding_window"),
], ids=["mla-not-number", "mla-missing", "mla-no-kv-rank", "mla-head-dim", "mla-zero", "mla-kv-heads",
        "window-too-many", "window-count-alone"])
def test_a_bad_new_cell_is_named_with_its_fix(row: dict[str, str], cells: dict[str, str], says: str, fix: str,
                                              tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _file(tmp_path, {**row, **cells})
    _, err = run_main_expect(capsys, "validate", "--runs", str(path), code=2)
    flat = " ".join(err.split())
    assert f"runs file {path}" in flat and f"run '{row['id']}'" in flat and says in flat and fix in flat
    assert "Traceback" not in err
