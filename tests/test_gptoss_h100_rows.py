"""GPT-OSS on H100, predicted too fast (issue 10, gptossh100, 2026-12-04): what was examined for the rows UNEXPLAINED
keeps, recomputed, so a model change that moves a figure fails until the entry is rewritten.

The rows: Megatron-Bridge's GPT-OSS-120B BF16 on 64 H100 in the 26.02 / 26.02.01 / 26.04 / 26.04.01 tables (GBS 1280,
MBS 1, PP 4, EP 8; -31.0% to -33.1%) and NeMo AutoModel's GPT-OSS 20B on 8 H100 (-25.7%). The Blackwell GPT-OSS rows'
checked reason (the unfused MoE block at the blog's 48.2% share, x 1.93; tests/test_gptoss_later_releases.py) does not
carry over: x 1.93 overshoots every H100 row beyond 25%. Examined here, none a reason:
1. The recipe. Megatron-Bridge's scripts/performance/configs/gpt_oss/gpt_oss_llm_pretrain.py (code index id
   56355832684, commit 0501207) builds the 120B config for every GPU alike (gpt_oss_120b_pretrain_config,
   set_gpt_oss_common_configs, set_workload_base_configs); only the preset differs. The recipe
   (src/megatron/bridge/recipes/gpt_oss/gpt_oss.py, a stored version, code index id 46104023892, commit not
   known) sets moe_token_dispatcher_type
   'alltoall', moe_permute_fusion and moe_grouped_gemm True, cuda_graph_impl 'none', cross_entropy_fusion_impl
   'native' for every GPU. gpt_oss_workload_base_configs.py at
   1e7adfa90b18d15594c049ed3ca3554096495594: H100_BF16_V2 = BASE (EP 8, ETP 1, MBS 1) + PP 4 + recompute_modules
   ['layernorm', 'moe_act'], GBS 1280; B200_BF16_V2 the same recompute at MBS 4 (the tables' B200 rows: EP 8); neither
   sets CUDA graphs (GB300 / B300: attn, moe_router, moe_preprocess). What PP 4 at MBS 1 adds the model charges: the
   1F1B bubble, the stage sends and the last stage's logits (their terms quoted below).
2. The release. At the presets' MBS 1 (workload_base_configs.py at 6b296ac and every later stored H100 preset, cited
   in the 25.11 row's note) the 25.11 row misses as the later rows do, and the model's per-GPU throughput gain from
   GBS 512 to GBS 1280 is the published one within 1.3 points: one miss of about 31% across five tables.
3. A Hopper per-expert GEMM floor (compute.grouped_gemm_s; nvidia-hopper sets none) at either host figure
   calibration.toml cites: 20.3 us (yanring/Megatron-MoE-ModelZoo issue #7) or 33.4 us (TransformerEngine PR #3134,
   the nvidia-blackwell value). It moves none of these rows.
4. A per-micro-batch host cost of the size the GB200 pairs allow (tests/test_gptoss_host_bound.py, at most 1.37 ms a
   layer per micro-batch, 1.35 before moeopt, on Grace hosts), charged per 1F1B slot on the 9 layers of a stage: an
   upper bound measured on another host. It left the 26.04 / 26.04.01 rows beyond 25% until fc2bias (2026-12-05)
   charged finding 7's fc2 bias; with that charge the bound would put all four rows within 25% (still a bound, not a
   size).
5. The B200 EP 8 sibling of the same table (the same recompute and unfused block) misses a larger share than the H100
   row; a cost in proportion to GPU time would give both the same share.
6. AutoModel's 20B row against its 120B sibling (-1.1%): the 120B row's agreement rests on its inter-node EP 64
   all-to-all term.
7. (gptoss3, 2026-12-05; the entries' finding (6)) The experts' biased, clamped SwiGLU in Megatron-Core's
   TEGroupedMLP (megatron/core/transformer/moe/experts.py at svcnemo-autobot/Megatron-LM@37b95c51, a Megatron-LM
   mirror): the clamp, the offset and the probability weighting run fused (weighted_bias_quick_geglu_impl, with
   GPTOSSProvider's bias_activation_fusion), fc1's bias inside Transformer Engine's GroupedLinear; fc2's bias
   (skip_bias_add True) runs unfused, TEGroupedMLP._apply_bias:
       torch.cat([t + b * p for t, b, p in zip(torch.split(out, tokens_per_expert), biases, torch.split(probs, ...))])
       .to(out.dtype)
   Bytes per routed element of the hidden width, with 16-bit probabilities (Transformer Engine's fused router
   writes probs in the logits' dtype, router.cpp at NVIDIA/TransformerEngine@017d75a6; the rows' router dtype
   bf16): forward b * p writes 2, the add reads 2 + 2 and writes 2, the cat reads and writes 2 each: 12 B, 2 kernels
   per local expert and the cat; backward, autograd's MulBackward gives b's gradient as (g * p) summed over the rows
   and p's as (g * b) summed over the width (each reads 2, writes 2, the sum reads 2), the add passes g on, and
   the split's backward cats the experts' gradients (reads and writes 2): 16 B, 4 kernels per local expert and the
   cat. With fp32 probabilities the product, the add and the cat are fp32 and a cast each way is added
   (forward 4 + 10 + 8 + 6 = 28 B; backward: the cast of g to fp32 6, the add's cast back to bf16 per expert 6, the
   two products and sums in fp32 24, the cat 4: 40 B). Charged per 1F1B slot on a stage's 9 layers, as (4), it
   left every row beyond 25% with 16-bit probabilities. fc2bias (2026-12-05) adopted it into the model
   (compute.moe_fc2_bias_s, runs-file cell moe_expert_bias): the per-slot arithmetic here is checked against the
   model's charge, and the entries quote the row without the charge -> with it.

8. (gptoss4, 2026-12-05; the entries' finding (7)) The probabilities' dtype on the path to the fc2-bias pass: 16-bit
   on these rows. No layer of the recipe sets moe_router_dtype (GPTOSSBridge / GPTOSSProvider; the H100 perf recipe in
   src/megatron/bridge/recipes/gpt_oss/gpt_oss_perf.py at 26f27ba2 sets moe_router_fusion and force load balancing
   only), Transformer Engine's fused router and Megatron-Core's unfused one give probabilities in the logits' dtype
   (router.cpp at TransformerEngine@017d75a6; probs.type_as(logits) in moe_utils.topk_routing_with_score_function at
   Megatron-LM@00611e6e), the all-to-all dispatcher moves them uncast (token_dispatcher.py at Megatron-LM@0014f137)
   and Transformer Engine's fused permute and chunk sort keep their dtype (triton/permutation.py at
   TransformerEngine@04481874). Only the DeepEP dispatcher casts them to fp32, and these rows run the all-to-all one.
   fc1's bias (unfused in AutoModel, item 9) is fused here both ways: Transformer Engine's BF16 GroupedLinear adds it
   in the grouped GEMM's epilogue and takes its gradient from the wgrad GEMM's (grouped_linear.py at TE@0069563f).
9. (gptoss4, 2026-12-05) NeMo AutoModel's GPT-OSS 20B row left UNEXPLAINED with a checked reason (its row note):
   GroupedExpertsDeepEP (nemo_automodel/components/moe/layers.py, stored version 01883b41) adds fc1's bias and fc2's
   bias x probability unfused, expert by expert, and behind DeepEP the probabilities are fp32
   (nemo_automodel/components/moe/megatron/token_dispatcher.py at 0231c64e). AUTOMODEL_FC1_BIAS gives fc1's bytes and
   kernels (fc2's are FC2_BIAS['fp32']); each micro-batch pays both on every layer (no pipeline, no recompute). The
   same charge moves the 120B row out of 6%, and the side commit that put it in the model (reverted) made validate's
   held-out figures worse, so it is a reason here, not a term of the model.

Fail before gptossh100: the UNEXPLAINED entries carry none of these figures (checked against the tree before the
entries were extended).

rhopperadopt2 (2026-12-05): with the H100 SXM5 fused attention core at cuDNN's measured H200 rate and the Hopper
re-runs (tests/test_hopper_fused_attention.py) the 26.02 and 26.02.01 rows came within 25% (-26.1% -> -24.5%, -26.2% ->
-24.6%) and left UNEXPLAINED; the entries' figures are recomputed for the 26.04 / 26.04.01 rows (H100_BEYOND), and the
claims about all four rows that no longer hold are strict xfails with their new figures.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from test_gptoss_host_bound import LATER, _host_cost_per_microbatch
from test_moe_gptoss_stack import ISSUE_BOUND
from test_row_notes_checked import GPTOSS_H100_RECORD, UNEXPLAINED, has_checked_marker, recomputed_ids

from accelopt.predict import compute as C
from accelopt.predict.calibration import load_calibrations, with_values
from accelopt.predict.query import predict_layout
from accelopt.predict.training import _device
from accelopt.predict.validation import read_runs, reproduce, run_query

RUNS = {r["id"]: r for r in read_runs()}
"""The rows as the runs file sets them."""
ROWS = {rid: {**r, "rope_fusion": ""} for rid, r in RUNS.items()}
"""The rows as the examination record (findings (1) to (11), GPTOSS_H100_RECORD) examined them: since ryarn2
(2026-12-05) the runs file sets rope_fusion unfused on the 22 Megatron-Bridge GPT-OSS rows of 26.02 .. 26.06, and the
model charges finding (11) itself (tests/test_rope_fusion.py); the record's figures are those of the model without
that term, so they are recomputed on the rows with the cell blank (RUNS: the rows as set)."""
H100 = {rel: f"{rel}-h100-gptoss-120b" for rel in ("mb2602", "mb260201", "mb2604", "mb260401")}
H100_BEYOND = {rel: H100[rel] for rel in ("mb2604", "mb260401")}
"""The rows UNEXPLAINED keeps since rhopperadopt2 (2026-12-05); the 26.02 / 26.02.01 ones came within 25%."""
H100_2511 = "mb-h100-gptoss-120b"
PRESET_MBS = "1"  # every stored H100 GPT-OSS-120B preset (6b296ac, 07eea52 V1 / V2, 1e7adfa V1 / V2)
AM_20B, AM_120B = "am-h100-gptoss-20b-8", "am-h100-gptoss-120b-64"
# the two host figures calibration.toml cites for a per-expert GEMM floor (its nvidia-blackwell comment): issue #7's
# mean nvte_cublas_gemm host time, and PR #3134's (the nvidia-blackwell value)
FLOORS_S = (20.2666e-6, 33.4e-6)
# TEGroupedMLP._apply_bias (finding 7 above): (forward, backward) bytes per routed element of the hidden width and
# (per local expert, fixed) kernels of each, by the probabilities' dtype
FC2_BIAS = {"bf16": ((12.0, 16.0), ((2, 1), (4, 1))), "fp32": ((28.0, 40.0), ((2, 2), (5, 2)))}
# AutoModel's GroupedExpertsDeepEP._apply_bias on fc1's output (item 9): t + b over torch.split, torch.cat; (forward,
# backward) bytes per element of the 2 x ffn wide output and (per local expert, fixed) kernels of each
AUTOMODEL_FC1_BIAS = ((8.0, 6.0), ((1, 1), (1, 1)))
# the 20B row note's checked reason (item 9), its figures by automodel_20b_reason_figures(); the note ends with it
AUTOMODEL_20B_REASON = (
    "Reason checked (gptoss4, 2026-12-05; figures recomputed by tests/test_gptoss_h100_rows.py): the "
    "row's experts add both biases unfused, a pass the model does not charge on this stack. AutoModel's "
    "MoE builds GroupedExpertsDeepEP under the config's enable_deepep "
    "(nemo_automodel/components/moe/layers.py, NVIDIA-NeMo/Automodel stored version "
    "01883b416cb5f5783c100a2c9b0828f5f850dc4f, MoE.__init__; commit date not known) and GptOssModel sets "
    "MoEConfig expert_bias True (nemo_automodel/components/models/gpt_oss/model.py at "
    "037e04a6a256dff70ef1ac7ea4c73819b8aab6de, the config's commit); GroupedExpertsDeepEP.forward runs "
    "the expert GEMMs as grouped_gemm's ops.gmm, then adds fc1's bias and, after the compiled clamped-GLU "
    "activation, fc2's bias times the routing probability in eager PyTorch, local expert by local expert "
    "(_apply_bias: t + b, or t + b * p, over torch.split, then torch.cat); behind DeepEP those "
    "probabilities are fp32 (the dispatcher's manager casts them, 'DeepEP only supports float32 probs', "
    "and asserts the permuted ones are fp32: nemo_automodel/components/moe/megatron/token_dispatcher.py "
    "at 0231c64e3a1440e62f52b5724c600c3998293ac2). Counted as the model counts Megatron-Core's fc2 pass "
    "(compute.moe_fc2_bias_s with fp32 probabilities: 28 B forward, 40 B backward per routed element of "
    "the hidden width) plus fc1's (8 B forward, 6 B backward per element of its 5760-wide output; one "
    "kernel per local expert and the cat), at the model's memory rate: fc1 {FC1} ms and fc2 {FC2} ms a "
    "layer per micro-batch, {ADD} s over {M} micro-batches of {L} layers: this row {ERR} -> {WITH}. Not "
    "adopted into the model: the same charge moves the table's GPT-OSS 120B row {ERR120} -> {WITH120} "
    "(its agreement rests on its EP 64 all-to-all across 8 nodes, {A120} s of its {S120} s ({SH120}; "
    "{W120} without it), where this row's EP 8 all-to-all stays in one node ({A20} s of {S20} s, {SH20}; "
    "{W20} without it)), and validate's held-out figures get worse (gptoss4's side commit, reverted: "
    "5.73% -> 5.77% median, 239 -> 238 within 6%). Also examined (gptoss4): FSDP2's gradient "
    "reduce-scatter on every micro-batch is no size for the miss: the model's reduce is {DP} s a step "
    "here (t_dp_comm_raw_s; EP 8 on 8 GPUs leaves the experts no data-parallel replica), so {MM1} more, "
    "unhidden, would add {DPX} s ({ERR} -> {WITHDP}); a later stored AutoModel defers the sync to the "
    "last micro-batch (nemo_automodel/components/moe/fsdp_mixin.py at "
    "170ff90410ae14cbf50811705b25caff3ffd6f3c, MoEFSDPSyncMixin: set_requires_gradient_sync(False) until "
    "prepare_for_final_backward), the table's version was not found."
)
RECOMPUTED_IDS: frozenset[str] = frozenset({AM_20B})  # the row notes these tests recompute (test_row_notes_checked)


def _pct(x: float) -> str:
    return f"{x:+.1%}"


def _err(rid: str, **cells: str) -> float:
    return reproduce(dict(ROWS[rid], **cells)).error


def _tokens_per_s_per_gpu(row: dict[str, str], step_s: float) -> float:
    return int(row["global_batch"]) * int(row["seq"]) / (step_s * int(row["devices"]))


def _slots_and_layers(rid: str) -> tuple[int, int]:
    """(1F1B slots per step: micro-batches + PP - 1, layers per stage) of a row."""
    r = ROWS[rid]
    pp = int(r["pp"])
    return int(r["global_batch"]) // (int(r["dp"]) * int(r["mbs"])) + pp - 1, int(r["layers"]) // pp


def _host_bound_s_per_layer() -> float:
    """The most a GB200 pair allows per layer per micro-batch (tests/test_gptoss_host_bound.py, 36 layers)."""
    return max(_host_cost_per_microbatch(rid) for rid in LATER) / int(ROWS[LATER[0]]["layers"])


def test_the_h100_and_b200_presets_differ_only_in_pp_and_mbs() -> None:
    # the cells the entries compare: the same EP, expert TP and recompute modules; the H100 row PP 4 at MBS 1
    for rel, rid in H100.items():
        h, b = ROWS[rid], ROWS.get(f"{rel}-b200-gptoss-120b")
        assert (h["pp"], h["mbs"], h["ep"], h["etp"], h["recompute_modules"]) == ("4", "1", "8", "1",
                                                                                  "layernorm+moe_act")
        if rel != "mb2602":  # the 26.02 table's B200 row runs EP 64
            assert b is not None and (b["pp"], b["mbs"], b["ep"], b["recompute_modules"]) == (
                "1", "4", "8", "layernorm+moe_act")
    assert ROWS["mb2602-b200-gptoss-120b"]["ep"] == "64"


def test_the_pipeline_terms_the_entries_quote() -> None:
    terms = predict_layout(run_query(ROWS[H100["mb2604"]])).terms
    assert {ROWS[rid]["global_batch"] for rid in H100.values()} == {"1280"}
    text = GPTOSS_H100_RECORD[H100["mb2604"]]
    assert (f"the 1F1B bubble ({terms['t_bubble_s']:.2f} s, {terms['t_bubble_s'] / terms['step_time_s']:.1%} of its "
            f"step at {int(terms['in_micro_batches'])} micro-batches), the stage sends ({terms['t_pp_p2p_s']:.2f} s) "
            f"and the last stage's logits ({terms['t_logits_s']:.2f} s)") in text


def test_the_2511_row_at_the_presets_mbs_misses_as_the_later_rows() -> None:
    base = ROWS[H100_2511]
    at_table, at_preset = _err(H100_2511), _err(H100_2511, mbs=PRESET_MBS)
    assert at_table > at_preset  # beyond 25% at MBS 1 until rhopperadopt2: the strict xfail below
    # the table's MBS 4 does not fit the H100 in the model; the presets' MBS 1 does
    t4, t1 = (predict_layout(run_query(dict(base, mbs=m))).terms for m in ("4", PRESET_MBS))
    assert t4["mem_total_bytes"] > t4["mem_capacity_bytes"] > t1["mem_total_bytes"]
    # the GBS 512 -> 1280 gain at MBS 1: the model's against the published 25.11 -> 26.02.01
    r0201 = ROWS[H100["mb260201"]]
    model_gain = (_tokens_per_s_per_gpu(r0201, reproduce(r0201).predicted_step_s)
                  / _tokens_per_s_per_gpu(base, reproduce(dict(base, mbs=PRESET_MBS)).predicted_step_s)) - 1
    published_gain = (_tokens_per_s_per_gpu(r0201, float(r0201["step_s"]))
                      / _tokens_per_s_per_gpu(base, float(base["step_s"]))) - 1
    assert abs(model_gain - published_gain) < abs(at_preset) / 10  # the scaling is right; the miss is elsewhere
    for rid in H100_BEYOND.values():
        text = GPTOSS_H100_RECORD[rid]
        assert (f"would be {_pct(at_preset)} ({_pct(at_table)} at its table's MBS 4, which the model puts over the "
                "H100's memory)") in text
        assert (f"(+{model_gain:.1%} tokens/s/GPU) is the published 25.11 -> 26.02.01 one (+{published_gain:.1%}) "
                f"within {abs(model_gain - published_gain) * 100:.1f} points") in text


@pytest.mark.xfail(strict=True, reason=(
    "rhopperadopt2 (2026-12-05): the H100 SXM5 fused attention core at cuDNN's measured H200 rate and the Hopper "
    "re-runs move the 25.11 row at the presets' MBS 1 -25.3% -> -23.7% (-15.4% -> -13.4% at its table's MBS 4), "
    "within 25%, as the 26.02 / 26.02.01 rows of the same layout (-24.5% / -24.6%); the 26.04 rows stay beyond"))
def test_the_2511_row_at_the_presets_mbs_is_beyond_25pct() -> None:
    assert _err(H100_2511) > -ISSUE_BOUND > _err(H100_2511, mbs=PRESET_MBS)


@pytest.mark.xfail(strict=True, reason=(
    "moeopt (2026-12-05): the optimizer step's expert shard (tp dp cp / (etp ep) ranks: 16 / 8 = 2 here, not dp x cp "
    "= 16) moves the 25.11 row at the presets' MBS 1 (GBS 512) 0.28 points, the later GBS 1280 rows 0.12, so its miss "
    "sits 3.07 points from the farthest later release's (2.90 before), past the 3-point bound"))
def test_the_2511_row_at_the_presets_mbs_misses_within_3_points_of_the_later_rows() -> None:
    at_preset = _err(H100_2511, mbs=PRESET_MBS)
    later = {rel: _err(rid) for rel, rid in H100.items()}
    assert max(abs(at_preset - e) for e in later.values()) < 0.03  # one miss across the releases


@pytest.mark.parametrize("rel", list(H100_BEYOND))
def test_a_gb200_sized_host_cost_is_no_size_for_the_h100_rows(rel: str) -> None:
    rid = H100[rel]
    r = reproduce(ROWS[rid])
    slots, layers = _slots_and_layers(rid)
    per_layer = _host_bound_s_per_layer()
    host_s = per_layer * layers * slots
    with_host = (r.predicted_step_s + host_s) / r.published_step_s - 1
    text = GPTOSS_H100_RECORD[rid]
    assert (f"(at most {per_layer * 1e3:.2f} ms a layer, tests/test_gptoss_host_bound.py, on Grace hosts) adds "
            f"{host_s:.2f} s over {slots} slots of {layers} layers: this row {_pct(r.error)} -> "
            f"{_pct(with_host)}") in text
    assert with_host > r.error


def test_the_gb200_sized_host_cost_would_put_every_row_within_the_bound() -> None:
    # 2026-12-05 (fc2bias): [mb2604, mb260401] beyond -> none beyond, the fc2-bias charge (finding 7) adopted
    per_layer = _host_bound_s_per_layer()
    beyond = []
    for rid in H100.values():
        r = reproduce(ROWS[rid])
        slots, layers = _slots_and_layers(rid)
        if (r.predicted_step_s + per_layer * layers * slots) / r.published_step_s - 1 < -ISSUE_BOUND:
            beyond.append(rid)
    assert beyond == []


@pytest.mark.parametrize("rel", list(H100_BEYOND))
def test_the_b200_sibling_misses_a_larger_share(rel: str) -> None:
    rid, sibling = H100[rel], f"{rel}-b200-gptoss-120b"
    h, b = reproduce(ROWS[rid]), reproduce(ROWS[sibling])
    scaled = h.predicted_step_s / (1 + b.error) / h.published_step_s - 1
    assert b.error < h.error < -ISSUE_BOUND and abs(scaled) < ISSUE_BOUND
    assert f"misses {_pct(b.error)}: the H100 miss is the smaller share" in GPTOSS_H100_RECORD[rid]
    assert f"as a factor it would make this row {_pct(scaled)}, which restates" in GPTOSS_H100_RECORD[rid]


def test_the_26_02_rows_left_unexplained_within_25pct() -> None:
    """rhopperadopt2 (2026-12-05): the 26.02 / 26.02.01 rows within 25%, out of UNEXPLAINED (test_the_2602_entry_has_
    no_ep8_b200_sibling checked the 26.02 entry's (5) until then); the 26.04 / 26.04.01 ones still beyond."""
    for rel, rid in H100.items():
        beyond = _err(rid) < -ISSUE_BOUND
        # rh100 (2026-12-05): the 26.04 / 26.04.01 rows left UNEXPLAINED with a checked reason (finding (11),
        # tests/test_gptoss_yarn_rope.py); their entries are GPTOSS_H100_RECORD
        assert beyond == (rel in H100_BEYOND) == (rid in GPTOSS_H100_RECORD), rid
        assert rid not in UNEXPLAINED, rid


def test_the_automodel_120b_agreement_rests_on_its_inter_node_all_to_all() -> None:
    figs = {}
    for rid in (AM_20B, AM_120B):
        t = predict_layout(run_query(ROWS[rid])).terms
        figs[rid] = (t["t_ep_comm_s"], t["step_time_s"],
                     (t["step_time_s"] - t["t_ep_comm_s"]) / float(ROWS[rid]["step_s"]) - 1, t["in_ep_group_span"])
    (a20, s20, w20, span20), (a120, s120, w120, span120) = figs[AM_20B], figs[AM_120B]
    assert (span20, span120) == (8, 64) and abs(_err(AM_120B)) < 0.05 < a120 / s120 - a20 / s20
    assert (f"EP 64 all-to-all across 8 nodes, {a120:.2f} s of its {s120:.2f} s ({a120 / s120:.1%}; {_pct(w120)} "
            f"without it), where this row's EP 8 all-to-all stays in one node ({a20:.2f} s of {s20:.2f} s, "
            f"{a20 / s20:.1%}; {_pct(w20)} without it)") in ROWS[AM_20B]["note"]  # UNEXPLAINED's until gptoss4


@pytest.mark.parametrize("floor_s", FLOORS_S)
def test_a_hopper_expert_gemm_floor_moves_none_of_the_rows(floor_s: float) -> None:
    cals = load_calibrations()
    assert cals["nvidia-hopper"].expert_gemm_floor_s == 0.0
    floored = {**cals, "nvidia-hopper": with_values(cals["nvidia-hopper"], expert_gemm_floor_s=floor_s)}
    if floor_s >= 33.4e-6:  # the floored table is the one predicted with: a smaller-expert Hopper row moves
        control = ROWS["mb260201-h100-qwen3-30b"]
        assert reproduce(control, floored).predicted_step_s > 1.05 * reproduce(control, cals).predicted_step_s
    for rid in H100_BEYOND.values():
        r = ROWS[rid]
        routed_per_expert = (int(r["mbs"]) * int(r["seq"]) * int(r["top_k"]) * int(r["ep"]) // int(r["experts"]))
        assert routed_per_expert == 1024
        assert reproduce(r, floored).predicted_step_s == pytest.approx(reproduce(r, cals).predicted_step_s, rel=1e-9)
        assert ("at 1024 routed rows per local expert (4096 tokens x top 4 x EP 8 / 128 experts) their expert GEMMs "
                "already last longer in the model") in " ".join(GPTOSS_H100_RECORD[rid].split())


def _fc2_bias_layer_s(rid: str, probs: str) -> tuple[float, float]:
    """(forward, backward) of the unfused fc2-bias passes (finding 7) of one MoE layer for one micro-batch, at the
    model's memory rate (compute.memory_ops_s) on the row's device."""
    r = ROWS[rid]
    res = predict_layout(run_query(r))
    mdl, dev = res.setup.model, _device(res.spec, "bf16", res.cal, "delayed")
    assert (r["tp"], r["etp"], r["dtype"]) == ("1", "1", "bf16")  # every routed row of the device's tokens is local
    elems = int(r["mbs"]) * int(r["seq"]) * mdl.top_k * mdl.hidden
    n_local = mdl.experts / int(r["ep"])
    assert (elems, n_local) == (4096 * 4 * 2880, 16.0)
    (fwd_b, bwd_b), ((kf, kf0), (kb, kb0)) = FC2_BIAS[probs]
    return (float(C.memory_ops_s(fwd_b * elems, dev, kf * n_local + kf0)),
            float(C.memory_ops_s(bwd_b * elems, dev, kb * n_local + kb0)))


def _fc2_bias_step_s(rid: str, probs: str) -> float:
    """The passes over a step: per 1F1B slot on a stage's layers, as the host cost of finding 4."""
    slots, layers = _slots_and_layers(rid)
    return sum(_fc2_bias_layer_s(rid, probs)) * layers * slots


@pytest.mark.parametrize("rel", list(H100_BEYOND))
def test_the_fc2_bias_passes_leave_the_rows_beyond_the_bound(rel: str) -> None:
    # 2026-12-05 (fc2bias): the charge is the model's now (compute.moe_fc2_bias_s); the per-slot arithmetic is added
    # to the row without it and must agree with the model's charge; the entry quotes without -> with
    rid = H100[rel]
    r, without = reproduce(ROWS[rid]), reproduce(dict(ROWS[rid], moe_expert_bias=""))
    with16, with32 = ((without.predicted_step_s + _fc2_bias_step_s(rid, p)) / r.published_step_s - 1
                      for p in ("bf16", "fp32"))
    assert abs(with16 - r.error) < 0.002  # the model charges what the slots give (-28.4% / -28.5% on mb2604)
    assert r.error < -ISSUE_BOUND < with32  # 16-bit probabilities, the rows' own, leave every row beyond 25%
    text = " ".join(GPTOSS_H100_RECORD[rid].split())
    assert f"this row {_pct(without.error)} -> {_pct(r.error)}, still beyond 25% " in text
    assert f"(fp32 probabilities, 28 B and 40 B, would give {_pct(with32)};" in text
    assert not (ROWS[rid].get("moe_router_dtype") or "").strip()  # bf16 logits: 16-bit probabilities


def test_the_fc2_bias_passes_per_layer_and_step_as_quoted() -> None:
    rid = H100["mb2604"]
    fwd, bwd = _fc2_bias_layer_s(rid, "bf16")
    slots, layers = _slots_and_layers(rid)
    quoted = (f"at the model's memory rate {fwd * 1e3:.2f} + {bwd * 1e3:.2f} ms a layer per "
              f"micro-batch, {_fc2_bias_step_s(rid, 'bf16'):.2f} s over {slots} slots of {layers} layers")
    for rid in H100_BEYOND.values():  # the rows share the layout, so the same figures
        assert quoted in " ".join(GPTOSS_H100_RECORD[rid].split())


def test_the_h100_rows_run_16_bit_probabilities() -> None:
    """Finding 7: the rows' cells leave the router in bf16 and the dispatcher all-to-all, so the model's fc2-bias charge
    is the 16-bit one; the entries say why, and that DeepEP is the one path to fp32."""
    for rid in H100.values():
        r = ROWS[rid]
        assert not (r.get("moe_router_dtype") or "").strip() and not (r.get("moe_dispatcher") or "").strip()
        q = run_query(r)
        assert (q.moe_router_dtype, q.moe_dispatcher) == ("bf16", "alltoall")
        if rid not in H100_BEYOND.values():
            continue  # within 25% since rhopperadopt2: no entry
        text = " ".join(GPTOSS_H100_RECORD[rid].split())
        assert "(7) the probabilities (6)'s fc2-bias pass multiplies are 16-bit on this row" in text
        assert "probs.type_as(logits) in moe_utils.topk_routing_with_score_function" in text
        assert "and this row runs the all-to-all one (moe_dispatcher blank)" in text
        assert "Transformer Engine's GroupedLinear fuses both ways in BF16" in text  # fc1's bias, unlike AutoModel


def _automodel_bias_layer_s(rid: str) -> tuple[tuple[float, float], tuple[float, float]]:
    """((fc1 forward, backward), (fc2 forward, backward)) of GroupedExpertsDeepEP's unfused bias passes (item 9) of
    one layer for one micro-batch, at the model's memory rate on the row's device."""
    r = ROWS[rid]
    res = predict_layout(run_query(r))
    mdl, dev = res.setup.model, _device(res.spec, "bf16", res.cal, "delayed")
    assert (r["tp"], r["etp"], r["dtype"], r["stack"], r["moe_dispatcher"]) == ("1", "1", "bf16", "pytorch-fsdp",
                                                                                 "deepep")
    rows = int(r["mbs"]) * int(r["seq"]) * mdl.top_k
    n_local = mdl.experts / int(r["ep"])
    (f1b, b1b), ((kf, kf0), (kb, kb0)) = AUTOMODEL_FC1_BIAS
    fc1_elems = rows * 2 * mdl.ffn
    assert 2 * mdl.ffn == 5760  # 'its 5760-wide output'
    fc1 = (float(C.memory_ops_s(f1b * fc1_elems, dev, kf * n_local + kf0)),
           float(C.memory_ops_s(b1b * fc1_elems, dev, kb * n_local + kb0)))
    (f2b, b2b), ((kf, kf0), (kb, kb0)) = FC2_BIAS["fp32"]
    fc2 = (float(C.memory_ops_s(f2b * rows * mdl.hidden, dev, kf * n_local + kf0)),
           float(C.memory_ops_s(b2b * rows * mdl.hidden, dev, kb * n_local + kb0)))
    # the model's own fc2 function at fp32 probabilities gives the same pass
    a = np.asarray
    assert tuple(float(x) for x in C.moe_fc2_bias_s(mdl, a(float(int(r["mbs"]) * int(r["seq"]))), a(1.0), a(1.0),
                                                     a(float(r["ep"])), dev, fp32_probs=True)) == pytest.approx(fc2)
    return fc1, fc2


def _automodel_bias_figures(rid: str) -> dict[str, str]:
    """The figures the 20B row's checked reason quotes for `rid`: per layer, over the step, and the row's error."""
    r = ROWS[rid]
    fc1, fc2 = _automodel_bias_layer_s(rid)
    m, layers = int(r["global_batch"]) // (int(r["dp"]) * int(r["mbs"])), int(r["layers"])
    add = (sum(fc1) + sum(fc2)) * m * layers
    p = reproduce(r)
    return {"FC1": f"{fc1[0] * 1e3:.2f} + {fc1[1] * 1e3:.2f}", "FC2": f"{fc2[0] * 1e3:.2f} + {fc2[1] * 1e3:.2f}",
            "ADD": f"{add:.2f}", "M": str(m), "L": str(layers), "ERR": _pct(p.error),
            "WITH": _pct((p.predicted_step_s + add) / p.published_step_s - 1)}


def automodel_20b_reason_figures() -> dict[str, str]:
    """Every figure of the 20B row's checked reason (the note's 'Reason checked (gptoss4, ...)' sentence)."""
    figs = _automodel_bias_figures(AM_20B)
    big = _automodel_bias_figures(AM_120B)
    figs |= {"ERR120": big["ERR"], "WITH120": big["WITH"]}
    for rid, tag in ((AM_20B, "20"), (AM_120B, "120")):
        t = predict_layout(run_query(ROWS[rid])).terms
        a2a, step = float(t["t_ep_comm_s"]), float(t["step_time_s"])
        figs |= {f"A{tag}": f"{a2a:.2f}", f"S{tag}": f"{step:.2f}", f"SH{tag}": f"{a2a / step:.1%}",
                 f"W{tag}": _pct((step - a2a) / float(ROWS[rid]["step_s"]) - 1)}
    t = predict_layout(run_query(ROWS[AM_20B])).terms
    p = reproduce(ROWS[AM_20B])
    m = int(figs["M"])
    dp_s = float(t["t_dp_comm_raw_s"])
    figs |= {"DP": f"{dp_s:.3f}", "MM1": str(m - 1), "DPX": f"{(m - 1) * dp_s:.2f}",
             "WITHDP": _pct((p.predicted_step_s + (m - 1) * dp_s) / p.published_step_s - 1)}
    return figs


def test_the_automodel_20b_bias_passes_bring_it_within_the_bound_and_the_120b_out_of_6pct() -> None:
    figs = automodel_20b_reason_figures()
    with20, with120 = (float(figs[k].rstrip("%")) / 100 for k in ("WITH", "WITH120"))
    assert _err(AM_20B) < -ISSUE_BOUND < with20 < 0 < 0.06 < with120 < ISSUE_BOUND
    assert abs(_err(AM_120B)) < 0.06  # within 6% without the charge: why it is not adopted alone
    assert (figs["M"], figs["L"]) == ("16", "24")
    assert float(figs["DPX"]) / float(ROWS[AM_20B]["step_s"]) < 0.03  # the per-micro-batch reduce: no size


def test_the_automodel_20b_note_quotes_its_checked_reason() -> None:
    note = ROWS[AM_20B]["note"]
    assert has_checked_marker(note) and AM_20B in recomputed_ids("test_gptoss_h100_rows.py")
    assert AM_20B not in UNEXPLAINED
    reason = note[note.index("Reason checked (gptoss4, 2026-12-05;"):]
    want = AUTOMODEL_20B_REASON.format(**automodel_20b_reason_figures())
    # the note ended with the reason until rhopperadopt2 (2026-12-05): its dated records follow it since
    assert reason == want or reason.startswith(f"{want} [Recomputed 2026-12-05 (rhopperadopt2) ")


# Transformer Engine's Triton parallel_cross_entropy (finding 8 of the entries; transformer_engine/pytorch/triton/
# cross_entropy.py at NVIDIA/TransformerEngine@02965d2e), which the performance scripts select for every model
# (scripts/performance/utils/overrides.py _set_common_perf_overrides, Megatron-Bridge stored version 00538e26:
# cross_entropy_fusion_impl = "te"): (forward, backward) bytes per bf16 logit and kernels. Forward:
# online_softmax_kernel reads each row once (2 B) for its max and sum, cross_entropy_forward_kernel reads only the
# row's statistics and target logit; backward: cross_entropy_backward_kernel reads the row and writes the gradient
# in place (2 + 2 B).
TE_CE = ((2.0, 4.0), (2.0, 1.0))
# The earlier form of the same file (a stored copy, code index id 6426845364: cross_entropy_kernel computes the
# gradient in the forward and writes it in place, element_mul_kernel scales it in the backward; the element-wise
# grad_output of Megatron's per-token loss): forward 2 + 2 + 2 B, backward 2 + 2 B
TE_CE_EARLIER = ((6.0, 4.0), (2.0, 1.0))


def _te_cross_entropy(passes: tuple[tuple[float, float], tuple[float, float]]) -> Any:
    """compute.logits_step_s with the loss as Transformer Engine's Triton kernels pass over the logits (TE_CE)."""
    # te_cross_entropy (rtece, 2026-12-06): the model's own flag for these passes, taken and ignored by the stand-in
    def step_s(model: Any, T: Any, tp: Any, dtb: float, dev: C.Device, eager_cross_entropy: bool = False,
               fp8_head: bool = False, te_cross_entropy: bool = False) -> Any:
        t_g, _ = C.logits_gemm_s(model, T, tp, dtb, dev, fp8_head)
        elems = T * model.vocab / tp
        (fwd_b, bwd_b), (kf, kb) = passes
        return 3.0 * t_g + C.memory_ops_s(elems * fwd_b, dev, kf) + C.memory_ops_s(elems * bwd_b, dev, kb)
    return step_s


@pytest.mark.parametrize("rel", list(H100_BEYOND))
def test_the_te_cross_entropy_passes_move_the_rows_the_other_way(monkeypatch: pytest.MonkeyPatch, rel: str) -> None:
    # rmoe (2026-12-05): the model's default loss is three fp32 read + write passes over [T, V] (24 B a logit,
    # compute.logits_step_s); the run's TE kernels move 6 B, so the loss is over-charged: a slower loss is no reason
    from accelopt.predict import training

    rid = H100[rel]
    row = ROWS[rid]
    assert not (row.get("eager_cross_entropy") or "").strip() and row["tp"] == "1"  # the default loss, whole vocab
    base = reproduce(row)
    monkeypatch.setattr(training, "logits_step_s", _te_cross_entropy(TE_CE_EARLIER))
    assert reproduce(row).error < base.error  # the earlier form's 10 B: the same direction
    fwd_earlier, bwd_earlier = TE_CE_EARLIER[0]
    assert (f"({fwd_earlier + bwd_earlier:.0f} B in the earlier form, a stored copy with code index id 6426845364"
            in " ".join(GPTOSS_H100_RECORD[rid].split()))
    monkeypatch.setattr(training, "logits_step_s", _te_cross_entropy(TE_CE))
    te = reproduce(row)
    saved_s = base.predicted_step_s - te.predicted_step_s
    assert te.error < base.error < -ISSUE_BOUND and saved_s > 0  # the other way
    text = " ".join(GPTOSS_H100_RECORD[rid].split())
    assert (f"24 B; at TE's bytes this row would be {_pct(base.error)} -> {_pct(te.error)} ({saved_s:.2f} s less on "
            "the last stage)") in text
