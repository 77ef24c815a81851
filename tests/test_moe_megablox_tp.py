"""What MaxText's sparse_matmul does with tensor parallelism, against what the model charges (issue 10, maverick,
2026-12-04): the leads for maxtext-v5p-llama4-maverick-128 (-28.9%, the only megablox row with tp > 1) and what is
left of maxtext-v5p-dsv3-671b-512 (-20.7%), each recomputed from the model so the notes' figures stay true.

MaxText RoutedMoE.sparse_matmul (AI-Hypercomputer/maxtext MaxText/layers/moe.py, stored 0077e52; the same shard_map
in every stored version read, code index ids 36584933945, 10896400692, 13733031715, 1808010426): 'We all gather the
input activations over tensor parallelism'; the shard_map's input spec is (activation_batch[_no_exp],
activation_length, None): the tokens are split over the batch axes only, so each chip of a tensor group holds the
group's tokens, permutes (argsort + take) all of them, and runs the three gmm over all of them against w0 / w1
('exp', None, 'mlp') and wo ('exp', 'mlp', None), 'mlp' mapped to the tensor axis (base.yml logical_axis_rules): the
expert width / tp. After wo, 'jax.lax.psum_scatter(intermediate_output, "tensor", scatter_dimension=1, tiled=True)',
then the un-permute over h / tp columns. That is the model's classic expert layout (moe_forward with etp = tp):
tok_e = T etp / tp x ep x top_k / E rows per expert, T = the micro-batch's tokens (the tp group's), ffn / etp wide.
So the lead 'each chip sorts and runs the GEMMs over the whole group's rows where the model charges its own tokens'
is already what the model charges: these tests pin it (they fail if the model goes per-device).
"""

from __future__ import annotations

from typing import Any

import pytest
from test_moe_gptoss_stack import ISSUE_BOUND
from test_row_notes_checked import DSV3_ENTRY_BEFORE_RMEGABLOX, UNEXPLAINED

from accelopt.hardware.catalog import get_device
from accelopt.predict import compute
from accelopt.predict.calibration import calibration_for
from accelopt.predict.query import predict_layout
from accelopt.predict.validation import read_runs, run_query

ROWS = {r["id"]: r for r in read_runs()}

# this module's figures are as of before rmegablox (2026-12-05): the megablox width rate off (conftest)
pytestmark = pytest.mark.usefixtures("megablox_width_rate_off")

MAVERICK, DSV3, SCOUT = "maxtext-v5p-llama4-maverick-128", "maxtext-v5p-dsv3-671b-512", "maxtext-v5p-llama4-scout-512"


def _spy(monkeypatch: pytest.MonkeyPatch, run_id: str) -> tuple[list[tuple[float, ...]], list[float], Any]:
    """The megablox gmm calls (m, n, k, groups) and the permutation's token counts of one row's prediction."""
    gmm: list[tuple[float, ...]] = []
    perm: list[float] = []
    real_gmm, real_perm = compute.megablox_gmm_s, compute.moe_permute_s

    def gmm_spy(m: Any, n: Any, k: Any, dtb: float, dev: compute.Device, groups: Any) -> Any:
        gmm.append(tuple(float(x.flat[0]) if hasattr(x, "flat") else float(x) for x in (m, n, k, groups)))
        return real_gmm(m, n, k, dtb, dev, groups)

    def perm_spy(model: Any, T: Any, dtb: float, dev: compute.Device) -> Any:
        perm.append(float(T.flat[0]) if hasattr(T, "flat") else float(T))
        return real_perm(model, T, dtb, dev)

    monkeypatch.setattr(compute, "megablox_gmm_s", gmm_spy)
    monkeypatch.setattr(compute, "moe_permute_s", perm_spy)
    result = predict_layout(run_query(ROWS[run_id]))
    assert gmm and perm, run_id
    return gmm, perm, result


@pytest.mark.parametrize("run_id", [MAVERICK, SCOUT, DSV3])
def test_each_chip_runs_its_tensor_groups_routed_rows(monkeypatch: pytest.MonkeyPatch, run_id: str) -> None:
    """Maverick (ici_tensor 4): every chip's gmm covers mbs 16 x 8192 x top-1 = 131,072 routed rows (the tensor
    group's tokens, per_device_batch_size 4 x 4 chips), 128 experts of 1024, at 8192 / 4 = 2048 wide, and the
    permutation moves the same 131,072 tokens: MaxText's all-gathered layout. At tp 1 (Scout, DeepSeek-V3) there is no
    gather: the chip's own per_device_batch_size x 8192 tokens."""
    row = ROWS[run_id]
    gmm, perm, _ = _spy(monkeypatch, run_id)
    tp, top_k, ffn, h = int(row["tp"]), int(row["top_k"]), float(row["moe_ffn"]), float(row["hidden"])
    group_tokens = int(row["mbs"]) * int(row["seq"])  # the micro-batch of one tensor group
    assert group_tokens == int(row["global_batch"]) // int(row["dp"]) * int(row["seq"])
    up, down = gmm[0], gmm[1]
    assert up[0] * up[3] == group_tokens * top_k and up[3] == float(row["experts"])
    assert (up[1], up[2]) == (ffn / tp, h) and (down[1], down[2]) == (h, ffn / tp)
    assert perm[0] == group_tokens
    if run_id == MAVERICK:
        assert (group_tokens, up[0], up[1]) == (131072, 1024.0, 2048.0)
        assert group_tokens == 4 * 4 * 8192  # per_device_batch_size 4 on each of the ici_tensor 4 chips
        assert f"tp group's {group_tokens:,} routed rows at {int(ffn)} / {tp} wide" in row["note"]


def _term(result: Any, name: str) -> float:
    return float(result.terms[name])


def test_dsv3_expert_weight_gather_is_hidden_by_a_wide_margin(monkeypatch: pytest.MonkeyPatch) -> None:
    """DeepSeek-V3 (FSDP over all 512 chips, ep 1): one MoE layer's routed experts, 256 x 3 x 7168 x 2048 = 11.27 B
    parameters, 22.5 GB in bf16, all-gathered per layer per pass: 47 ms at the model's 480 GB/s ICI figure (tp 1: the
    FSDP group on all three dimensions), against a forward of 266 ms a layer (t_fwd / 61; 292 ms before rtpuaxis's v5p
    re-run 0.80 -> 0.88). It would show only below 84 GB/s (a sixth of the figure), or in fp32 (weight_dtype float32,
    45 GB, 94 ms) still hidden: not the -27.6%."""
    row = ROWS[DSV3]
    _, _, result = _spy(monkeypatch, DSV3)
    params = int(row["experts"]) * 3 * int(row["hidden"]) * int(row["moe_ffn"])
    gather_bytes = params * 2.0 * (511 / 512)
    link = _term(result, "in_scaleup_link_byte_per_s")
    fwd_per_layer = _term(result, "t_fwd_s") / int(row["layers"])
    assert round(params / 1e9, 2) == 11.27 and round(gather_bytes / 1e9, 1) == 22.5
    assert round(link / 1e9) == 480
    assert _term(result, "in_dp_ici_dims") == 3  # the whole slice: every dimension's links
    assert round(gather_bytes / link * 1e3) == 47 and round(fwd_per_layer * 1e3) == 266
    assert round(gather_bytes / fwd_per_layer / 1e9) == 84
    assert round(2 * gather_bytes / link * 1e3) == 94 < fwd_per_layer * 1e3
    quoted = (f"({gather_bytes / 1e9:.1f} GB, {gather_bytes / link * 1e3:.0f} ms at the model's {link / 1e9:.0f} GB/s "
              f"against a {fwd_per_layer * 1e3:.0f} ms layer forward; it would show only below "
              f"{gather_bytes / fwd_per_layer / 1e9:.0f} GB/s)")
    assert quoted in row["note"], quoted


def test_dsv3_unfused_unpermute_bounds_the_sort(monkeypatch: pytest.MonkeyPatch) -> None:
    """DeepSeek-V3's permutation, 49,152 tokens x top-8 = 393,216 rows of 7168 a layer: the model moves
    2 T h (k + 1) x 2 B = 12.7 GB a forward (moe_permute_s). MaxText, if XLA fused nothing: permute's take
    writes 5.6 GB and reads up to 5.6; unpermute's take reads and writes 5.6 each; the weighted sum reads 5.6
    (its fp32 cast fused) and writes 0.7: 28.9 GB, 16.2 GB more, 7.3 ms a layer at the model's memory rate,
    x 58 MoE layers x 4 passes (forward, recompute, backward 2x; use_custom_sort_vjp true at the recipe's
    3eb77db, so the backward is the inverse gather) = 1.7 s of the 25.0 s the row lacks (18.7 s before rtpuaxis's
    v5p re-run): an upper bound, not the cause."""
    row = ROWS[DSV3]
    _, perm, result = _spy(monkeypatch, DSV3)
    T, h, k = perm[0], float(row["hidden"]), float(row["top_k"])
    assert (T, T * k) == (49152.0, 393216.0)
    routed = T * k * h * 2.0
    model_bytes = 2.0 * T * h * (k + 1) * 2.0
    unfused = 2 * routed + 2 * routed + routed + T * h * 2.0
    assert (round(model_bytes / 1e9, 1), round(routed / 1e9, 1), round(unfused / 1e9, 1)) == (12.7, 5.6, 28.9)
    moe_layers = int(row["layers"]) - int(row["first_dense"])
    extra = unfused - model_bytes
    rate = _memory_rate()
    per_layer = extra / rate
    assert round(extra / 1e9, 1) == 16.2 and round(per_layer * 1e3, 1) == 7.3
    total = per_layer * moe_layers * 4
    lacks = float(row["step_s"]) - _term(result, "step_time_s")
    assert (moe_layers, round(total, 1), round(lacks, 1)) == (58, 1.7, 25.0)
    quoted = (f"{extra / 1e9:.1f} GB a layer more than the model's {model_bytes / 1e9:.1f} GB, {total:.1f} s a step "
              f"of the {lacks:.1f} s")
    assert quoted in row["note"], quoted


def _memory_rate() -> float:
    spec = get_device("tpu-v5p")
    return float(spec.memory_bandwidth_byte_per_s * calibration_for(spec).memory_eff)


# rmoe (2026-12-05): the Maverick recipe's remat names sent to host memory (tpu-recipes training/v5p/
# Llama4-Maverick-17B-128E-Maxtext/README.md @16a56b2, llama4_maverick_dropless_v5p_256: remat_policy custom,
# decoder_layer_input / query_proj / key_proj / value_proj / out_proj 'offload'), as widths per token: the layer input
# and out_proj (emb), query_proj (heads x head_dim), key_proj and value_proj (kv_heads x head_dim each)
MAVERICK_OFFLOADED = ("decoder_layer_input", "query_proj", "key_proj", "value_proj", "out_proj")
# The host (PCIe) rate per chip the v5e 128B rows' check uses ('How to Scale Your Model', jax-ml/scaling-book tpus.md
# @04d8de58: 'PCIe bandwidth is typically around 1.5e10 bytes / second per chip')
PCIE_BYTE_PER_S = 1.5e10


def _maverick_layer_forwards(result: Any) -> tuple[float, float]:
    """(dense layer, MoE layer) forward of one micro-batch in the model: the two kinds layer_forward averages."""
    import numpy as np

    from accelopt.predict.training import _device

    row = ROWS[MAVERICK]
    setup, mdl = result.setup, result.setup.model
    dev = _device(result.spec, "bf16", result.cal, "delayed")
    f = lambda x: np.asarray([float(x)])  # noqa: E731
    lt = compute.layer_forward(mdl, f(row["mbs"]), f(row["seq"]), f(row["seq"]), f(row["tp"]), np.asarray([True]),
                               True, f(row["ep"]), 2.0, dev, etp=f(row["tp"]), kernel=setup.attention_kernel,
                               grouped_mlp=setup.moe_grouped_mlp)
    dense = float((lt.dense_s + lt.attn_core_s)[0])
    moe = float((lt.dense_s + lt.attn_core_s + lt.moe_mlp_s - lt.dense_mlp_s - lt.dense_act_s)[0])
    frac_moe = mdl.moe_layers / mdl.layers
    assert (1 - frac_moe) * dense + frac_moe * moe == pytest.approx(_term(result, "t_fwd_s") / mdl.layers, rel=1e-9)
    return dense, moe


def test_maverick_expert_weight_gather_is_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    """ep 1 under fsdp 32: every MoE layer's 128 routed experts are all-gathered per pass, a quarter of them on each
    chip (their width over the tensor axis of 4), 7.80 GB in bf16 (31 / 32 received): 24 ms at the model's ICI figure
    for the FSDP group (since rtpuaxis two of the 4x4x8's three dimensions: 320 of 480 GB/s; 49 ms in the recipe's
    weight_dtype float32) against an 84 ms MoE-layer forward. The recipe's xla_flags add CF_FOR_ALL_GATHER (MaxText
    benchmarks/xla_flags_library.py: async collective fusion of all-gathers, xla_tpu_overlap_compute_collective_tc),
    so it overlaps; the model's whole ZeRO-3 traffic exposed would be -17.5%, a bound no source supports. The figures
    stand in the row's note (the row is within 25% since rtpuaxis; before, its UNEXPLAINED entry)."""
    row = ROWS[MAVERICK]
    _, _, result = _spy(monkeypatch, MAVERICK)
    params = int(row["experts"]) * 3 * int(row["hidden"]) * int(row["moe_ffn"])
    fsdp, tp = int(row["dp"]), int(row["tp"])
    assert (row["ep"], fsdp, tp) == ("1", 32, 4)
    gather_bytes = params / tp * 2.0 * (fsdp - 1) / fsdp
    assert (_term(result, "in_tp_ici_dims"), _term(result, "in_dp_ici_dims")) == (1, 2)
    link = _term(result, "in_scaleup_link_byte_per_s") * _term(result, "in_dp_ici_dims") / 3
    _, moe_fwd = _maverick_layer_forwards(result)
    assert round(params / 1e9, 2) == 16.11 and round(gather_bytes / 1e9, 2) == 7.80 and round(link / 1e9) == 320
    assert 2 * gather_bytes / link < moe_fwd  # even in fp32, under the layer's forward (under half before rtpuaxis)
    raw = _term(result, "t_zero3_comm_raw_s")
    exposed = (_term(result, "step_time_s") + raw) / float(row["step_s"]) - 1
    assert -ISSUE_BOUND < exposed < 0
    quoted = (f"{params / 1e9:.2f} B parameters, a quarter a chip (tensor 4), {gather_bytes / 1e9:.2f} GB in bf16 per "
              f"pass (31 / 32 received): {gather_bytes / link * 1e3:.0f} ms at the model's {link / 1e9:.0f} GB/s ICI "
              f"figure for the FSDP group (two of the three dimensions; {2 * gather_bytes / link * 1e3:.0f} ms if "
              f"gathered in fp32, the recipe's weight_dtype float32) against the model's {moe_fwd * 1e3:.0f} ms "
              "MoE-layer forward")
    assert MAVERICK not in UNEXPLAINED
    text = " ".join(row["note"].split())
    assert quoted in text, quoted
    assert f"the model's whole ZeRO-3 traffic, {raw:.2f} s, exposed would give {exposed:+.1%}" in text


def test_maverick_host_offload_is_hidden_at_the_cited_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    """The offloaded names carry 17,408 bf16 values a token a layer, sharded over all 128 chips (batch over fsdp,
    features over tensor): 1.14 GB a chip a layer, 54.76 GB each way a step, 76.1 ms a layer at the cited PCIe rate,
    against the model's 69.6 ms dense-layer and 83.8 ms MoE-layer forwards (76.2 / 91.7 ms before rtpuaxis's v5p
    re-run 0.80 -> 0.88): hidden behind the MoE layers (XLA issues host offloads asynchronously, as tests/
    test_newrows_maxtext.py's v5e 128B check has it), 6.5 ms over each of the 24 dense layers' forward, 0.16 s a step.
    Serialised, the forward's copies would give -10.2% and both ways +4.6%; no source says they are."""
    row = ROWS[MAVERICK]
    _, _, result = _spy(monkeypatch, MAVERICK)
    mdl = result.setup.model
    widths = {"decoder_layer_input": mdl.hidden, "query_proj": mdl.heads * mdl.qk_head_dim,
              "key_proj": mdl.kv_heads * mdl.qk_head_dim, "value_proj": mdl.kv_heads * mdl.v_head_dim,
              "out_proj": mdl.hidden}
    assert tuple(widths) == MAVERICK_OFFLOADED and int(row["offload_layers"]) == mdl.layers == 48
    per_token = sum(widths.values())
    tokens = int(row["global_batch"]) * int(row["seq"])
    per_layer_b = tokens * per_token * 2.0 / int(row["devices"])
    copy_layer_s = per_layer_b / PCIE_BYTE_PER_S
    copy_s = mdl.layers * copy_layer_s  # each way
    dense_fwd, moe_fwd = _maverick_layer_forwards(result)
    assert per_token == 17408 and round(per_layer_b / 1e9, 2) == 1.14
    assert round(mdl.layers * per_layer_b / 1e9, 2) == 54.76
    assert dense_fwd < copy_layer_s < moe_fwd  # hidden on the MoE layers, a little over the dense layers' forward
    dense_layers = mdl.layers - mdl.moe_layers
    over_s = dense_layers * (copy_layer_s - dense_fwd)
    assert (dense_layers, round(1e3 * (copy_layer_s - dense_fwd), 1), round(over_s, 2)) == (24, 6.5, 0.16)
    step, published = _term(result, "step_time_s"), float(row["step_s"])
    fwd_serial, both_serial = (step + copy_s) / published - 1, (step + 2 * copy_s) / published - 1
    quoted = (f"{per_token:,} bf16 values a token a layer, batch over fsdp and features over tensor) move "
              f"{per_layer_b / 1e9:.2f} GB a chip a layer, {mdl.layers * per_layer_b / 1e9:.2f} GB each way a step: "
              f"{copy_layer_s * 1e3:.1f} ms a layer at the cited ~1.5e10 B/s PCIe figure (as the v5e 128B rows), "
              f"against the model's {dense_fwd * 1e3:.1f} ms dense-layer and {moe_fwd * 1e3:.1f} ms MoE-layer "
              f"forwards, hidden behind the MoE layers and {1e3 * (copy_layer_s - dense_fwd):.1f} ms over each of the "
              f"{dense_layers} dense layers' forward ({over_s:.2f} s a step); the forward's copies serialised would "
              f"give {fwd_serial:+.1%} and both ways {both_serial:+.1%}")
    assert quoted in " ".join(row["note"].split()), quoted


# rtpuaxis (2026-12-05): the one-axis lead rmoe measured here (a third of the v5p ICI for a tp group of up to 8
# chips) was built and adopted (comm.ici_shares); its figures are recomputed by tests/test_tpu_ici_axes.py.


DSV3_OFFLOADED = ("decoder_layer_input", "out_proj")
"""The names the DeepSeek-V3 recipe offloads to host (remat_policy custom; tpu-recipes run_recipe.sh, code index id
71082412967, from MaxText benchmarks/maxtext_v5p_model_configs.py deepseek3_671b_v5p_1024 @ 3eb77db3c); every other
checkpoint name is rematerialised, the row's full recompute."""


def _dsv3_offload_figures(monkeypatch: pytest.MonkeyPatch) -> dict[str, float]:
    row = ROWS[DSV3]
    _, _, result = _spy(monkeypatch, DSV3)
    mdl = result.setup.model
    widths = {"decoder_layer_input": mdl.hidden, "out_proj": mdl.hidden}  # both [batch, seq, hidden]
    assert tuple(widths) == DSV3_OFFLOADED and int(row["offload_layers"]) == mdl.layers == 61
    per_layer_b = int(row["mbs"]) * int(row["seq"]) * sum(widths.values()) * 2.0  # bf16, batch over fsdp: a chip's
    step, published = _term(result, "step_time_s"), float(row["step_s"])
    copy_s = mdl.layers * per_layer_b / PCIE_BYTE_PER_S  # each way
    raw = _term(result, "t_zero3_comm_raw_s")
    return {"per_layer_gb": per_layer_b / 1e9, "step_gb": mdl.layers * per_layer_b / 1e9,
            "copy_layer_ms": 1e3 * per_layer_b / PCIE_BYTE_PER_S, "copy_s": copy_s,
            "fwd_layer_ms": 1e3 * _term(result, "t_fwd_s") / mdl.layers,
            "fwd_serial": (step + copy_s) / published - 1, "both_serial": (step + 2 * copy_s) / published - 1,
            "raw": raw, "raw32": 2 * raw, "tmb": _term(result, "t_microbatch_s"),
            "raw32_exposed": (step + 2 * raw) / published - 1}


def test_dsv3_host_offload_is_hidden_at_the_cited_rate(monkeypatch: pytest.MonkeyPatch) -> None:
    """rgb300 (2026-12-05): DeepSeek-V3's two offloaded names carry 2 x 7168 bf16 values a token a layer, 49,152 tokens
    a chip: 1.41 GB a chip a layer, 86.0 GB each way a step, 94 ms a layer at the cited PCIe rate against the model's
    266 ms layer forward: hidden (XLA issues host offloads asynchronously). Serialised both ways they would give
    -15.0%, the forward's alone -21.3%; no source says they are. The fp32 weights (weight_dtype float32) gathered at
    4 B double the model's FSDP traffic, 8.38 -> 16.76 s a step against a 65.6 s step of compute: hidden too."""
    f = _dsv3_offload_figures(monkeypatch)
    assert round(f["per_layer_gb"], 2) == 1.41 and round(f["step_gb"], 1) == 86.0
    assert f["copy_layer_ms"] < 0.5 * f["fwd_layer_ms"]  # hidden by a wide margin
    assert -0.25 < f["fwd_serial"] < f["both_serial"] < 0  # serialised, within 25%: the exposure is what is unknown
    assert f["raw32"] < 0.3 * f["tmb"]


def test_the_dsv3_entry_quotes_the_offload(monkeypatch: pytest.MonkeyPatch) -> None:
    from test_row_notes_checked import _RGB300_DSV3

    f = _dsv3_offload_figures(monkeypatch)
    quoted = (f"{f['per_layer_gb']:.2f} GB a chip a layer, {f['step_gb']:.1f} GB each way a step, "
              f"{f['copy_layer_ms']:.0f} ms a layer at PCIe's ~1.5e10 B/s a chip against the model's "
              f"{f['fwd_layer_ms']:.0f} ms layer forward")
    serial = f"serialised both ways they would give {f['both_serial']:+.1%}, the forward's alone {f['fwd_serial']:+.1%}"
    fp32 = (f"double the model's FSDP traffic, {f['raw']:.2f} -> {f['raw32']:.2f} s a step against "
            f"{f['tmb']:.1f} s of compute (exposed in full: {f['raw32_exposed']:+.1%}), hidden at any overlap of "
            f"{f['raw32'] / f['tmb']:.0%} of the compute or more")
    missing = [s for s in (quoted, serial, fp32) if s not in _RGB300_DSV3]
    assert not missing, missing
    assert _RGB300_DSV3 in DSV3_ENTRY_BEFORE_RMEGABLOX
