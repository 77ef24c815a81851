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

from accelopt.hardware.catalog import get_device
from accelopt.predict import compute
from accelopt.predict.calibration import calibration_for
from accelopt.predict.query import predict_layout
from accelopt.predict.validation import read_runs, run_query

ROWS = {r["id"]: r for r in read_runs()}
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
    parameters, 22.5 GB in bf16, all-gathered per layer per pass: 47 ms at the model's 480 GB/s ICI figure, against
    a forward of 292 ms a layer (t_fwd / 61). It would show only below 77 GB/s (a sixth of the figure), or in fp32
    (weight_dtype float32, 45 GB, 94 ms) still hidden: not the -20.7%."""
    row = ROWS[DSV3]
    _, _, result = _spy(monkeypatch, DSV3)
    params = int(row["experts"]) * 3 * int(row["hidden"]) * int(row["moe_ffn"])
    gather_bytes = params * 2.0 * (511 / 512)
    link = _term(result, "in_scaleup_link_byte_per_s")
    fwd_per_layer = _term(result, "t_fwd_s") / int(row["layers"])
    assert round(params / 1e9, 2) == 11.27 and round(gather_bytes / 1e9, 1) == 22.5
    assert round(link / 1e9) == 480
    assert round(gather_bytes / link * 1e3) == 47 and round(fwd_per_layer * 1e3) == 292
    assert round(gather_bytes / fwd_per_layer / 1e9) == 77
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
    3eb77db, so the backward is the inverse gather) = 1.7 s of the 18.7 s the row lacks: an upper bound,
    not the cause."""
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
    assert (moe_layers, round(total, 1), round(lacks, 1)) == (58, 1.7, 18.7)
    quoted = (f"{extra / 1e9:.1f} GB a layer more than the model's {model_bytes / 1e9:.1f} GB, {total:.1f} s a step "
              f"of the {lacks:.1f} s")
    assert quoted in row["note"], quoted


def _memory_rate() -> float:
    spec = get_device("tpu-v5p")
    return float(spec.memory_bandwidth_byte_per_s * calibration_for(spec).memory_eff)
