"""maxtext-v5p-dsv3-671b-512 (issue 10; UNEXPLAINED in tests/test_row_notes_checked.py until rmegablox,
2026-12-05; the figures here are as of before it, its width rate off): what the published figure
counts, an independent MaxText MoE run on v5p that the model misses the same way, and one more splash what-if (rmisc,
s32, 2026-12-05). The entry's _RMISC32_DSV3 quotes every figure computed here.

(1) The published line (tpu-recipes training/v5p/DeepSeek3-671B-MaxText/README.md at ae1f18a: 'completed step: 11,
seconds: 90.668, TFLOP/s/device: 152.415, Tokens/s/device: 542.108') is one step's wall time; its TFLOP/s/device is
MaxText's own count per device over those seconds. Recomputed here: that count per token is the model's training count
with the attention core halved (causal), to 1e-5: the model prices the same work MaxText counts, so no op missing from
the count makes the row too fast.

(2) The twin: Tencent Hunyuan 3 (295B-A21B) pretrained with MaxText on 256 TPU v5p (4x8x8), yangwhale/gpu-tpu-pedia
tpu/Hunyuan3-295B-Pretraining/QUICKSTART-v5p.md (stored 3aa6d98) sec. 5: ici_fsdp -1 (256), tp 1, no expert parallelism,
per_device_batch_size 8, max_target_length 8192, megablox and sparse_matmul, use_custom_sort_vjp, every splash block
2048 with sa_use_fused_bwd_kernel False, remat custom with decoder_layer_input offloaded, bf16 compute on fp32 weights
(the DSV3 recipe's settings but out_proj remat), 'completed step: 3..7, seconds: 63.170-63.176, TFLOP/s/device:
160.97-160.98'; architecture sec. 1.3 (80 layers, layer 0 dense of 13312, hidden 4096, 64 query / 8 KV heads of 128, 192
routed experts of 1536 top-8 + 1 shared, vocab 120832, untied; plus 1 MTP layer, which the cells cannot express). Its
TUNING-v5p.md (stored 6358fcc) sec. 6.3 profile of that baseline: a 30 ms window of the step 'almost filled' by tgmm
(the MoE backward grouped matmul), no stretches of collective '-done' waits: the time is in the grouped matmuls, the
communication hidden. Its README.md (a stored version, code index id 63125553534) says the v5p setup began as 'the
official DeepSeek3 v5p recipe with only the model name changed' (12.9x of its MFU climb) and names MaxText 3eb77db3, the
DSV3 recipe's commit, as the one its v5p runs used (sec. 2.8); the baseline was reproduced on a later public
image at 63.49 s (+0.5%).

Tolerance: the quoted digits (errors to 0.1 point, ratios to 0.001 or 0.01, MFU to 0.1 point).
"""

from __future__ import annotations

import pytest
from test_dsv3_splash_attention import SPLASH_BLOCK, row_error_at_core_rate

from accelopt.predict import compute
from accelopt.predict.validation import read_runs, reproduce, run_model

ROWS = {r["id"]: r for r in read_runs()}
DSV3 = "maxtext-v5p-dsv3-671b-512"
V5P_PEAK = 459e12  # the v5p bf16 peak MaxText's MFU divides by (both sources)
DSV3_LINE = {"seconds": 90.668, "tflops_per_device": 152.415}  # tpu-recipes README, step 11
HY3_LINE = {"seconds": 63.17, "tflops_per_device": 160.98}  # QUICKSTART-v5p sec. 5.2 (steps 3-7)
_MLA_OFF = dict.fromkeys(("q_lora_rank", "kv_lora_rank", "qk_nope_head_dim", "qk_rope_head_dim", "v_head_dim"), "")
HY3 = dict(ROWS[DSV3], **_MLA_OFF, id="hy3-v5p-256-twin", source="yangwhale/gpu-tpu-pedia Hunyuan3 QUICKSTART-v5p",
           params_b="295", layers="80", hidden="4096", heads="64", kv_heads="8", head_dim="128", ffn="13312",
           vocab="120832", devices="256", dp="256", hsdp="256", slice_devices="256", global_batch="2048", mbs="8",
           offload_layers="80", experts="192", top_k="8", moe_ffn="1536", shared_experts="1", first_dense="1",
           step_s=str(HY3_LINE["seconds"]))
# the runs file's MaxText rows on TPU v5p with routed experts, and its dense MaxText rows at 405B / 70B on 512 chips
MOE_ROWS = ("maxtext-v5p-mixtral-8x7b-256", "maxtext-v5p-llama4-scout-512", "maxtext-v5p-llama4-maverick-128", DSV3)
DENSE_ROWS = ("maxtext-v5p-llama31-405b-512", "maxtext-v5p-llama2-70b-512")

# this module's figures are as of before rmegablox (2026-12-05): the megablox width rate off (conftest)
pytestmark = pytest.mark.usefixtures("megablox_width_rate_off")



def maxtext_count_ratio(row: dict[str, str], line: dict[str, float]) -> float:
    """MaxText's training FLOPs per token (its TFLOP/s/device x seconds over the tokens a device runs) over the
    model's count with the attention core counted causal (half of every key)."""
    model = run_model(row)
    seq = int(row["seq"])
    full = 3 * compute.model_flops_per_token(model, seq)
    core = 3 * model.attn_core_flops_per_key() * model.layers * seq
    maxtext = line["tflops_per_device"] * 1e12 * line["seconds"] / (int(row["mbs"]) * seq)
    return maxtext / (full - core / 2)


def mfus(row: dict[str, str], line: dict[str, float]) -> tuple[float, float]:
    """MaxText's MFU as logged, and the one the model's step would give in MaxText's count."""
    published = line["tflops_per_device"] * 1e12 / V5P_PEAK
    return published, published * line["seconds"] / reproduce(row).predicted_step_s


def figures() -> dict[str, float]:
    hy3 = reproduce(HY3)
    return {"dsv3_count": maxtext_count_ratio(ROWS[DSV3], DSV3_LINE), "hy3_count": maxtext_count_ratio(HY3, HY3_LINE),
            "hy3_pred": hy3.predicted_step_s, "hy3_err": hy3.error,
            "hy3_err_mtp": hy3.predicted_step_s * maxtext_count_ratio(HY3, HY3_LINE) / HY3_LINE["seconds"] - 1,
            "dsv3_mfu": mfus(ROWS[DSV3], DSV3_LINE)[0], "dsv3_model_mfu": mfus(ROWS[DSV3], DSV3_LINE)[1],
            "hy3_mfu": mfus(HY3, HY3_LINE)[0], "hy3_model_mfu": mfus(HY3, HY3_LINE)[1]}


def test_the_published_tflops_are_the_models_work_with_causal_attention() -> None:
    """MaxText's own count behind 152.415 TFLOP/s/device is the model's count with the core halved, to 1e-5."""
    assert maxtext_count_ratio(ROWS[DSV3], DSV3_LINE) == pytest.approx(1.0, abs=1e-5)


def test_the_hy3_twin_is_missed_as_the_row_is() -> None:
    """Hy3 on 256 v5p: predicted 46.91 s against 63.17 s, -25.7%; MaxText's count is 1.012x the model's (its MTP
    layer), -24.8% with that work at the model's rate; MaxText MFU 35.1% against the model's 47.2% (the row: 33.2%
    against 45.9%)."""
    f = figures()
    assert (round(f["hy3_pred"], 2), round(100 * f["hy3_err"], 1)) == (46.91, -25.7)
    assert round(f["hy3_count"], 3) == 1.012 and round(100 * f["hy3_err_mtp"], 1) == -24.8
    assert (round(100 * f["hy3_mfu"], 1), round(100 * f["hy3_model_mfu"], 1)) == (35.1, 47.2)
    assert (round(100 * f["dsv3_mfu"], 1), round(100 * f["dsv3_model_mfu"], 1)) == (33.2, 45.9)
    assert reproduce(HY3).family == "google-tpu-v5p"


def test_every_maxtext_moe_row_on_v5p_is_too_fast_and_the_dense_ones_are_not() -> None:
    """Mixtral (8 experts) -13.9%, Scout (16) -8.7%, Maverick (128) -24.9%, DSV3 (256) -27.6%; dense 405B +3.6%,
    70B -4.3%."""
    moe = [round(100 * reproduce(ROWS[r]).error, 1) for r in MOE_ROWS]
    dense = [round(100 * reproduce(ROWS[r]).error, 1) for r in DENSE_ROWS]
    assert moe == [-13.9, -8.7, -24.9, -27.6] and dense == [3.6, -4.3]
    assert [int(ROWS[r]["experts"]) for r in MOE_ROWS] == [8, 16, 128, 256]


def lane_padded_splash_ratio() -> float:
    """What-if (not established): the splash kernel's work if each 192-wide query/key product ran as two 128-lane
    tiles (256), the 128-wide value products as they are, against the model's count, with the rematerialised forward
    (test_dsv3_splash_attention.splash_figures' products and blocks)."""
    seq, lane, dv, dqk = int(ROWS[DSV3]["seq"]), 256, 128, 192
    nb = seq // SPLASH_BLOCK
    keys = nb * (nb + 1) // 2 * SPLASH_BLOCK**2 / seq
    kernel = (2 * (lane + dv) + (4 * lane + 3 * dv)) * keys
    model = (2 * (dqk + dv) + 2 * (dqk + dv)) * seq
    return kernel / model


def test_even_a_lane_padded_splash_kernel_leaves_the_row_beyond_25pct(monkeypatch: pytest.MonkeyPatch) -> None:
    """1.062x the model's count; charged (the core at 0.88 / 1.062 of the peak) the row is at -26.3%."""
    ratio = lane_padded_splash_ratio()
    assert round(ratio, 3) == 1.062
    assert round(100 * row_error_at_core_rate(monkeypatch, 0.88 / ratio), 1) == -26.3


def test_the_entry_quotes_these_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    from test_row_notes_checked import _RMISC32_DSV3, DSV3_ENTRY_BEFORE_RMEGABLOX  # tests/ is on sys.path

    f = figures()
    ratio = lane_padded_splash_ratio()
    quoted = [f"predicted {f['hy3_pred']:.2f} s against {HY3_LINE['seconds']} s, {100 * f['hy3_err']:.1f}%",
              f"{f['hy3_count']:.3f}x the model's", f"{100 * f['hy3_err_mtp']:.1f}% with it",
              f"MFU {100 * f['hy3_mfu']:.1f}% against the model's {100 * f['hy3_model_mfu']:.1f}%",
              f"{100 * f['dsv3_mfu']:.1f}% against {100 * f['dsv3_model_mfu']:.1f}%",
              f"{ratio:.3f}x the model's count", f"{100 * row_error_at_core_rate(monkeypatch, 0.88 / ratio):.1f}%"]
    text = " ".join(_RMISC32_DSV3.split())
    assert all(q in text for q in quoted), [q for q in quoted if q not in text]
    assert text in " ".join(DSV3_ENTRY_BEFORE_RMEGABLOX.split())
