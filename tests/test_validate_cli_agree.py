"""`validate` and the command line agree on every row of the runs file: each row, written down as a user would
(a Hugging Face config.json and `plan explain` flags), gives exactly the numbers `validate` reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import explain_terms, run_main

from accelopt.predict.query import predict_layout
from accelopt.predict.validation import read_runs, reproduce, run_query

ROWS = read_runs()


def _config(row: dict[str, str], path: Path) -> Path:
    """The row's architecture as a Hugging Face config.json (llama-style key names)."""
    cfg = {"_name_or_path": row["id"], "num_hidden_layers": int(row["layers"]), "hidden_size": int(row["hidden"]),
           "num_attention_heads": int(row["heads"]), "intermediate_size": int(row["ffn"]),
           "vocab_size": int(row["vocab"]), "max_position_embeddings": int(row["seq"]),
           "hidden_act": "silu" if row.get("mlp") == "swiglu" else "gelu",
           "tie_word_embeddings": bool(int(row.get("tied") or 0))}
    if row.get("kv_heads"):
        cfg["num_key_value_heads"] = int(row["kv_heads"])
    if (row.get("head_dim") or "").strip():
        cfg["head_dim"] = int(row["head_dim"])
    if (row.get("sliding_window") or "").strip():
        cfg["sliding_window"] = int(row["sliding_window"])  # every layer, unless layer_types below lists them
    if (row.get("sliding_window_layers") or "").strip():  # GPT-OSS / transformers >= 4.53: each layer's kind
        n_win = int(row["sliding_window_layers"])
        cfg["layer_types"] = (["sliding_attention"] * n_win
                              + ["full_attention"] * (int(row["layers"]) - n_win))
    for col in ("q_lora_rank", "kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim"):
        if (row.get(col) or "").strip():  # multi-head latent attention, as a DeepSeek-V3 config.json names it
            cfg[col] = int(row[col])
    for col, key in (("experts", "num_experts"), ("top_k", "num_experts_per_tok"),
                     ("moe_ffn", "moe_intermediate_size"), ("shared_experts", "n_shared_experts"),
                     ("first_dense", "first_k_dense_replace"), ("moe_every", "decoder_sparse_step")):
        if (row.get(col) or "").strip():  # mixture of experts, as a Hugging Face config names it
            cfg[key] = int(row[col])
    if int((row.get("parallel") or "0").strip() or 0):
        cfg["model_type"] = "gptj"  # GPT-J: parallel attention + MLP block, one LayerNorm (PaLM's block)
    path.write_text(json.dumps(cfg), encoding="utf-8")
    return path


def _flags(row: dict[str, str], config: Path) -> list[str]:
    rec = row["recompute"]
    rec_kind = rec.partition("+")[0]
    flags = ["plan", "explain", "--model", str(config), "--hardware", row["hardware"], "--devices", row["devices"],
             "--tp", row["tp"], "--pp", row["pp"], "--cp", row["cp"] or "1", "--vp", row["vp"] or "1",
             "--mbs", row["mbs"] or "1", "--zero", row["zero"] or "0",
             "--recompute", rec_kind or "selective",
             "--seq-len", row["seq"], "--global-batch", f"{row['global_batch']}seq",
             "--dtype", row["dtype"] or "bf16", "--stack", row["stack"] or "megatron", "--json",
             "--flash" if int(row["flash"] or 0) else "--no-flash"]
    if row.get("edge_layers"):
        flags += ["--edge-stage-layers", row["edge_layers"]]
    for col, flag in (("schedule", "--schedule"), ("hsdp", "--hsdp"), ("ep", "--ep"), ("etp", "--etp"),
                      ("recompute_layers", "--recompute-layers"), ("slice_devices", "--slice-devices"),
                      ("offload_layers", "--offload-layers"), ("optimizer_state_bytes", "--optimizer-bytes"),
                      ("fp8_recipe", "--fp8-recipe"), ("attention_kernel", "--attention-kernel"),
                      ("tp_overlap_cfg", "--tp-overlap-cfg"), ("dp_bucket_params", "--dp-bucket-params"),
                      ("moe_dispatcher", "--moe-dispatcher"), ("moe_router_dtype", "--moe-router-dtype"),
                      ("moe_grouped_mlp", "--moe-grouped-mlp")):
        if (row.get(col) or "").strip():  # optional columns (issue 10 layouts)
            flags += [flag, row[col].strip()]
    for col, flag in (("p2p_overlap", "--p2p-overlap"), ("tp_overlap", "--tp-comm-overlap"),
                      ("fp8_params", "--fp8-params"), ("fp8_saved_inputs", "--fp8-saved-inputs"),
                      ("no_dropout", "--no-dropout"), ("no_tp_async", "--no-tp-async"),
                      ("ep_a2a_overlap", "--ep-a2a-overlap"), ("attention_unpad", "--attention-unpad"),
                      ("eager_cross_entropy", "--eager-cross-entropy"), ("fp8_output_head", "--fp8-output-head")):
        if int((row.get(col) or "0").strip() or 0):
            flags.append(flag)
    if (row.get("recompute_modules") or "").strip():  # the cell joins with '+', the flag takes a comma list
        flags += ["--recompute-modules", row["recompute_modules"].strip().replace("+", ",")]
    if "+sp" not in rec:
        flags.append("--no-sp")
    if not int(row["overlap"] or 0):
        flags.append("--no-overlap")
    return flags


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_cli_matches_validate(row: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    want = reproduce(row)
    code, out, err = run_main(_flags(row, _config(row, tmp_path / "config.json")), capsys)
    assert code in (0, 2), err  # 2: the layout overflows memory; its terms are still in the JSON
    got = json.loads(out)
    assert explain_terms(got)["step_time_s"] == want.predicted_step_s  # exactly: one code path
    assert explain_terms(got)["hfu" if want.utilization == "HFU" else "mfu"] == want.predicted_mfu
    assert got["stack"] == want.stack and got["hardware"] == want.hardware
    # memory too (the fits tests read the library's): the same bytes from the flags as from the row
    assert explain_terms(got)["mem_total_bytes"] == predict_layout(run_query(row)).terms["mem_total_bytes"]
