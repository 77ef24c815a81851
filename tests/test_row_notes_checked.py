"""issue 10, "Done when": a row beyond 25% carries a note with a specific, checked reason.

Two parts.
1. The criterion, enforced on every bundled row (`validate`, `validate --serving`, `validate --inference`; fit and
   held-out): a row whose |error| is above 25% has a note that carries a 'checked' marker AND a test that recomputes the
   figures the note quotes (RECOMPUTED_BY: the id prefix -> the test module, whose RECOMPUTED_IDS, derived from the
   lists its recomputing tests run over, must hold the row's id), or it is listed in UNEXPLAINED with its reason, a
   strict xfail until the row is explained or comes within 25%. A `gap` serving row (a regime the model cannot
   express) is held to the same rule.
2. The recomputation of the notes no other test checked (gpt-fast tensor-parallel decode, the TensorRT-LLM v0.6.1
   GQA decode and first-token rows, the TensorRT-LLM v1.0 70B max-load rows): every figure a note quotes is recomputed
   here from the model and the row, so a model change that moves one fails until the note is rewritten.
"""

from __future__ import annotations

import functools
import importlib
import math
import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pytest

from accelopt.hardware.catalog import get_device
from accelopt.predict import comm
from accelopt.predict import serving as sv
from accelopt.predict.inference_validation import validate_inference_result
from accelopt.predict.query import predict_layout
from accelopt.predict.serving_validation import _predict_row, read_serving_runs, row_calibration, validate_serving
from accelopt.predict.validation import read_runs, run_query, validate_report
from accelopt.workload.presets import get_model

ROW_NOTE_BOUND = 0.25  # issue 10: a row beyond 25% carries a note with a specific, checked reason
TESTS = Path(__file__).resolve().parent

# Where the figures of each checked note are recomputed: id prefix -> test module (first match wins); the module's
# RECOMPUTED_IDS (the ids its recomputing tests run over) must hold the row.
RECOMPUTED_BY: dict[str, str] = {
    "trt10-h200-l3-8b-tp1-": "test_serving_custom_allreduce_notes.py",
    "trt061-h100-7b-b768": "test_serving_custom_allreduce_notes.py",
    "trt014-": "test_serving_trtllm_ada_ampere.py",
    "amd-mi300x-gpt2xl-fp8": "test_amd_rows.py",
    # ramd (2026-12-05): the 2024-10 ROCm TE FSDP FP8 rows (#78 proxy, #79 Llama 3 8B), their FP8 GEMMs at the BF16 rate
    "amd-mi300x-llama3-70b-proxy-fp8-fsdp": "test_amd_te_2024_fp8.py",
    "amd-mi300x-llama3-8b-fp8-fsdp-": "test_amd_te_2024_fp8.py",
    "trn1-": "test_validate_trainium.py",
    "trt061-h100-70b": "test_row_notes_checked.py",
    "trt05-ttft": "test_row_notes_checked.py",
    "gptfast-a100q-": "test_serving_gap_devices.py",  # srvgap: gpt-fast's quantized A100 rows (before the next)
    "gptfast-a100": "test_row_notes_checked.py",
    "trt10-gb200-l3-70b-tp1-128-128": "test_serving_validation.py",
    # rrtx (2026-12-05): the v1.0 RTX PRO 6000 rows that release 1.2's ratio (70B --pp 4-8) or the engine's decode
    # GEMM rate (128/128) brings within 25%
    **{f"trt10-rtx6k-l33-70b-tp1-{c}": "test_serving_rtx_release12.py" for c in (
        "pp4-128-2048", "pp8-128-4096", "pp8-500-2000", "pp4-1000-1000", "pp8-1000-1000", "pp8-1000-2000",
        "pp8-2048-128", "pp8-2048-2048", "pp1-128-128", "pp2-128-128", "pp4-128-128")},
    "trt10-rtx6k-l31-405b-tp1-pp8-128-128": "test_serving_rtx_release12.py",
    "trt10-rtx6k-l33-70b-tp1-pp8-128-2048": "test_serving_rtx_release12.py",  # rtrt: the finite dataset
    "trt10-h200-l3-70b": "test_row_notes_checked.py",
    "trt10-b200-l3-70b": "test_row_notes_checked.py",
    "trt10-gb200-l3-70b": "test_row_notes_checked.py",
    "trt10-h200-qwen3-235b": "test_moe_row_notes.py",
    "trt10-h100-qwen3-235b": "test_moe_row_notes.py",
    "lmsys-h100-dsv3": "test_moe_row_notes.py",
    "oh118-": "test_serving_gaudi.py",
    "oci-mi300x": "test_serving_amd.py",
    "amdperf-mi300x": "test_serving_amd.py",
    "sgljax-v6e": "test_serving_tpu.py",
    "nrn-trn1-l3-8b": "test_row_notes_checked.py",  # the int8 weight-only gap rows
    "nrn-": "test_serving_neuron.py",
    "trt017-": "test_serving_trtllm_ada_ampere.py",
    "mb-b200-qwen3-": "test_validate_moe_rows.py",
    "mb-h100-qwen3-": "test_validate_moe_rows.py",
    "mb2602-b200-qwen3-": "test_validate_moe_rows.py",
    "mb2602-h100-qwen3-": "test_validate_moe_rows.py",
    "mb2509-gb200-llama31-405b": "test_mb2509_llama_rows.py",  # nemon: the 25.09 405B FSDP / MXFP8 notes
    "mb-h100-llama3-8b": "test_hopper_bf16_fit.py",  # hopbf16: the figures the Hopper bf16 fit moved
    # rq32 (2026-12-06): the gpustack Qwen3-32B H100 rows checked against the lab's A100 twin page
    "gs-h100-q3-32b-vllm-": "test_serving_engine_overlay.py",
    "mb-gb200-gptoss-": "test_moe_gptoss_stack.py",  # moe3: the 25.11 stack's unfused MoE block (GPT-OSS, Blackwell)
    "mb-b200-gptoss-": "test_moe_gptoss_stack.py",
    "mb-gb300-gptoss-": "test_moe_gptoss_stack.py",
    "mb2602-b300-qwen3-235b": "test_b300_qwen3_recipe_change.py",  # row_bw: the 26.02 recipe's VP + a2a overlap
    "mb260201-b300-qwen3-235b": "test_mb_later_tables.py",  # mbnew: the same recipe in the 26.02.01 table
    "mb260201-gb300-llama3-70b-mxfp8": "test_mb_later_tables.py",  # gb300 (2026-12-04): cells vs step and memory
    "sglang-mi355x-": "test_serving_new_families.py",  # srvrows: the MI355X SGLang rows
    "gptfast-mi250x-": "test_serving_gap_devices.py",  # srvgap: gpt-fast on one MI250X GCD
    "trtjet-orin-": "test_serving_gap_devices.py",  # srvgap: TensorRT-LLM on Jetson AGX Orin
    "trt09-ttft-a100-": "test_serving_trtllm_v09.py",  # srv_new: TensorRT-LLM v0.9.0's A100 batch-1 TTFT rows
    # trt09c (2026-12-05): the v0.9.0 Mistral GQA rows' decode-kernel notes
    **{f"trt09-{d}-mistral-{s}": "test_serving_trtllm_v09.py" for d, s in (
        ("h200", "b120-128-2048"), ("h200", "b56-2048-2048"), ("h100", "b120-128-2048"), ("h100", "b56-2048-2048"),
        ("a100", "b120-128-2048"))},
    "trt09-a100-mixtral-tp2-b32-2048-2048": "test_serving_trtllm_v09.py",  # trt09c: the expert-read note
    # rtrt09 (2026-12-05): the batch-896 rows' attention-kernel notes and the Hopper 70B TP 4 TTFTs' per-layer notes
    # (the A100 one falls under "trt09-ttft-a100-" above)
    **{f"trt09-{d}-{m}-b896-128-128": "test_serving_trtllm_v09.py" for d in ("h200", "h100")
       for m in ("7b", "mistral")},
    **{f"trt09-ttft-{d}-70b-tp4-128": "test_serving_trtllm_v09.py" for d in ("h200", "h100")},
    # gptoss: the later releases' Blackwell GPT-OSS-120B rows, the same unfused MoE block as 25.11's
    **{f"{rel}-{system}-gptoss-": "test_gptoss_later_releases.py" for rel in ("mb260201", "mb2604", "mb260401")
       for system in ("gb300", "gb200", "b300", "b200")},
    # dispatch (2026-12-03): the same reason for newrows' three 26.02 Blackwell rows beyond 25%
    **{f"mb2602-{system}-gptoss-": "test_gptoss_later_releases.py" for system in ("gb300", "gb200", "b300")},
    # gptoss4 (2026-12-05): NeMo AutoModel's GPT-OSS 20B, its experts' unfused bias passes with DeepEP's fp32 probs
    "am-h100-gptoss-20b": "test_gptoss_h100_rows.py",
    # rh100 (2026-12-05): the 26.04 / 26.04.01 H100 GPT-OSS-120B rows, Megatron-Core's unfused YaRN RoPE; ryarn2
    # (2026-12-05): the model charges it now (rope_fusion unfused) and the rows are within 25% by the model (-24.8% /
    # -24.6%); the module still recomputes the notes' figures (the what-if and the model's own)
    "mb2604-h100-gptoss-120b": "test_gptoss_yarn_rope.py",
    "mb260401-h100-gptoss-120b": "test_gptoss_yarn_rope.py",
}

_L4_REASON = ("the C 1 TTFT gap's split between prefill compute and a cost outside the forward pass is not "
              "established and no source gives vLLM V1's host cost on this host (searched 2026-11-30 and 2026-12-01; "
              "the table's own figures rule out a per-request constant and compute in proportion to the prefill "
              "tokens, 2026-12-01; examined 2026-12-02, hostcost: the run's 4-vCPU host is below vLLM's documented "
              "minimum of 2 x (2 + N) = 6 vCPUs, a mechanism its docs give no size; searched again 2026-12-03, "
              "row_srv: no public run of a sub-1B model at 1 request in flight sizes the host part; the record is "
              "in the runs file's L4 block, its figures recomputed by tests/test_serving_l4.py; examined 2026-12-05, "
              "l4nrn: the C 32 throughput bounds a prefill-bearing step to 24.0 ms on average only if each prefill "
              "had a step of its own (not established), so if the lone C 1 prefill is no slower, 3.0 ms or more of "
              "its 27.0 ms TTFT is outside the forward pass, far from sizing the 22.2 ms gap; examined 2026-12-05, "
              "rl4: vLLM's own defaults for the run, from its source, do not size it either: the API server's "
              "2048-token step budget on a device under 70 GiB widens the C 16 / C 32 gaps (to 73.0 / 73.7 ms at the "
              "median request), the default CUDA-graph sizes hold the C 1 prefill's 256 tokens, and the client's TTFT "
              "runs from before the HTTP POST to the first streamed chunk, the whole host path with no part timed; "
              "examined 2026-12-05, rl4 second pass: read with the page's ITL p50 as the steps without a prefill (a "
              "median, no bound), the C 32 throughput leaves a prefill-bearing step 12.6 ms or less, which under "
              "l4nrn's assumption puts 14.4 to 24.9 ms of the C 1 TTFT outside the forward pass, a range around the "
              "22.2 ms miss, not a size; the C 1 cycle (761.9 ms) leaves 114.2 ms a request beyond its median decode "
              "steps, a heavy upper tail, so the p50 read as the model's mean does not make the gap; seen, not sized: "
              "at v0.23.0 `vllm bench serve` sends no temperature (vLLM PR #32723), so the server samples with the "
              "model's generation-config top-k/top-p through FlashInfer's sampler (PR #40376), a per-sequence cost of "
              "every decode step the model does not charge (the tput rows' decode), timed on no L4; examined "
              "2026-12-05, rsrv (session 32): the one public TTFT of this model at 1 request in flight "
              "(ray-project/ray #59681 / PR #64534: bare `vllm serve` 0.22.0 on an RTX 5050, 16.9 ms p50, prompt "
              "length not given) leaves that run's host path 13.8 ms or less, 8.4 ms or more short of the 22.2 ms "
              "miss; the hosts differ, so it does not size this run's; examined 2026-12-06, rl4 session 33: the "
              "run's own repository has the client Job prefer the server's node (podAffinity, preferred, not "
              "required) and two same-author twins at one stream (GuideLLM): the L4 through KServe at 31 ms TTFT and "
              "a T4 at 36 ms, "
              "where the model's forward is 4.79 / 4.78 ms; were the T4's whole TTFT compute at the L4's fraction of "
              "the peak, 11.7 ms or more of the L4 twin's 31 ms does not scale with the compute peak (the fraction "
              "alike on both chips: not established), so the twins bound the peak-scaled part, not the host path; "
              "examined 2026-12-06, rsrvA session 34: two public same-clock host-path measurements, neither of vLLM "
              "(pegainfer #738, a Rust engine: 1.757 ms p50 around the engine's step; tt-inference-server #2173, a C++ "
              "server's tokenizer: 2.58-5.50 ms at 256 tokens), together 7.70 ms or less, 35% of the 22.2 ms C 1 gap; "
              "vLLM v0.23's Python API server and engine-core process on a 4-vCPU host are what neither measures, so "
              "they size no part of this run's; examined 2026-12-06, rwmx session 35: a vLLM API server's own TTFT "
              "at 1 request in flight of Qwen3-0.6B / 1.7B on an A100 (tenstorrent/tt-inference-server #340, 128 "
              "prompt tokens) exceeds the model's forward by 8.2 to 12.4 ms, 37% to 56% of the 22.2 ms C 1 gap; "
              "carried to this row as a per-request constant it leaves the C 1 TTFT at -52% to -36%, 9.8 to 14.0 ms "
              "of the gap to what that run does not share with this one (host, client, vLLM version), so it sizes "
              "part of the gap on another host, not this run's; examined 2026-12-06, rwmx2 session 36: the device "
              "side: held at the L4's 795 MHz base clock (boost 2040 MHz) the model's C 1 prefill turns "
              "compute-bound, TTFT 4.79 -> 6.59 ms (-75.6%), and the clock alone brings it within 25% only at 258.6 "
              "MHz or below; the tied 136.1 M-parameter LM head is charged as vLLM runs it (one read, the last "
              "token), and charged over all 256 positions at the base clock as well the C 1 forward is 9.04 ms or "
              "less, leaving 18.0 ms or more of the 27.0 ms outside it)")
_RTX_PP_REASON = ("TensorRT-LLM v1.0's Llama 3.3 70B throughput on RTX PRO 6000 grows with --pp less than the model's "
                  "on decode-heavy loads (128/2048: x2.06 / x3.27 / x4.06 at --pp 2 / 4 / 8 over --pp 1, the model "
                  "x2.31 / x4.66 / x8.76 as its requests in flight grow 146 -> 1873 with the KV room of pp devices), "
                  "while the long-prompt rows stay within 25% up to --pp 4 and the 405B --pp 8 rows (a stage about 3x "
                  "longer) within 11% but at 128/128. Searched 2026-12-03 (srv_pp): TensorRT-LLM's PP executor loop "
                  "(PyExecutor._executor_loop_pp: every micro-batch's new tokens go rank to rank as host objects, "
                  "recv_object / isend_object) is a candidate per-micro-batch cost that a shorter stage cannot hide, "
                  "but no source sizes it, and the page gives no concurrency; not modelled (figures recomputed by "
                  "tests/test_serving_pp_rows.py). Ruled out (srvpp, 2026-12-05): max_batch_size capping the "
                  "requests in flight in all rather than per micro-batch (trtllm-bench's heuristic divides its cap by "
                  "pp_size, tensorrt_llm/bench/build/tuning.py finetune_setting): so capped, the table's 46 rows go "
                  "from a 10.4% to a 27.4% median |error| and the 405B --pp 8 rows to -40% to -77% "
                  "(test_serving_pp_rows.py test_a_cap_in_all_is_ruled_out). Ruled out (rtxpp2, 2026-12-05): the "
                  "engine's per-step host overhead, [serving.nvidia-blackwell]'s 4.5 ms (carried from the H100 fit, "
                  "TensorRT-LLM v1.0 and v0.5 rows), carried to this device: charged as now (the busiest stage's "
                  "layer share per micro-batch) the 46 rows go from a 10.4% to a 13.0% median |error|; charged in "
                  "full per micro-batch (every rank runs PyExecutor._executor_loop_pp's whole host loop for each "
                  "micro-batch; PR #3878, PR #10349) 10.5% and 14 -> 9 rows beyond 25%, but --pp 8 128/128 stays at "
                  "+112% and 128/2048 at +49% while 20000/2000 goes from -6% to -23%, and the serving held-out median "
                  "gets worse; a host loop that overlaps the device work (m x 4.5 ms a cycle) binds on none of the 36 "
                  "--pp rows (decode cycles 2.0x that or more); the --pp 1 rows alone fit best at 0 ms (mean |log "
                  "error| 0.091, 0.133 at 4.5 ms) (test_serving_pp_rows.py "
                  "test_the_engines_step_overhead_is_ruled_out). Seen (rtxpp2, 2026-12-05): at 128/128 the time "
                  "missing per output token (1/published - 1/predicted) is 44-54 us at --pp 2 / 4 / 8 and in both "
                  "models (70B 45 / 44 / 53 us, 405B --pp 8 54 us; 70B --pp 1 75 us), while the model's own time per "
                  "output token there ranges 31-231 us (the 405B's 5.5x the 70B's at --pp 8): a cost added per "
                  "request-token that does not scale with the model's device work, like a host cost per request "
                  "of the executor's loop; no source sizes it (test_serving_pp_rows.py "
                  "test_the_time_missing_at_128_128_does_not_scale_with_the_model)")
_RRTX = ("Examined (rrtx, 2026-12-05): the same page in release 1.2 (its RTX PRO 6000 Llama 3.3 70B table, TP1 x PP "
         "1/2/4/8, FP4, trtllm-bench; code index id 53206213621) delivers x0.96 / x1.01 / x1.21 / x1.51 v1.0's "
         "throughput at --pp 1 / 2 / 4 / 8 (1024/1024 vs 1000/1000), and the model is within -10% to +17% of all 13 "
         "of its cells (1024/1024, 1024/8192, 8192/1024, 32768/1024)")
_RRTX_ADDITIVE = ("read instead as an additive time per output token (v1.0's 41.6 us more than release 1.2's at --pp "
                  "8, 1000/1000 vs 1024/1024; rtxpp2 saw the miss take that form), this row is at {at}, but that form "
                  "leaves trt10-rtx6k-l33-70b-tp1-pp8-1000-2000 at +25.5%: neither form brings all twelve 70B --pp 2-8 "
                  "rows within 25%, and which one the release change follows is not established")
_KV_SHARED = ("ruled out (rneuron, 2026-12-05): NxD's kv-shared all-reduces of the replicated K/V heads' output "
              "gradients (qkv_linear.py @0598cd8), which the model does not charge: 2048 of 2 MiB over 4 cores a step, "
              "0.119 s on the 8B layout (its 2.24 fit row -31.9% -> -31.4%), more on the 70B (the runs file's "
              "'Examined 2026-12-05 (rneuron' record)")
_PRECISION = ("ruled out (rneuron2, 2026-12-05): NxD's GPU-compatible precision, the default of both Llama 3.1 "
              "programs (fp32 gradient accumulation in a hook, fp32 ZeRO-1 reduce-scatter; torch_xla "
              "zero_redundancy_optimizer.py @946fa8a), which the model does not charge: at most 0.251 + 0.214 s a "
              "step on the 8B layout (its 2.24 fit row -31.9% -> -29.8%), more on the 70B (+3.8% -> +5.8%); both "
              "layouts also log every step (the runs file's 'Examined 2026-12-05 (rneuron2' record)")
_FP32_LOSS = ("ruled out (rtrn1, 2026-12-05): the fp32 loss both Llama 3.1 programs run over the 128256-entry output "
               "layer (modeling_llama_nxd.py @e834945: the vocab-parallel logits cast to fp32 and cloned for the "
               "shift; NxD's parallel_cross_entropy, loss_functions.py @3aa65c6), whose unfused passes, 76 B a logit, "
               "the model charges 24 of: at most 0.155 s a step on the 8B layout (its 2.24 fit row -31.9% -> -31.2%), "
               "more on the 70B (+3.8% -> +4.8%) (the runs file's 'Examined 2026-12-05 (rtrn1' record)")
_MULTI_NODE = ("examined (rtrn, 2026-12-05): the multi-node collective rate: at the slowest EFA rate the one "
               "published multi-instance Trn1 figure allows (the NCCOM-TEST guide's 64-rank all-reduce on two "
               "instances, 1073741824 B in 41806 us: at least 25.68 GB/s an instance each way), the 8B's data-parallel "
               "all-reduce takes at most 1.333 s (2.000 s with the fp32 reduce-scatter) where the model charges "
               "0.428 s: the 2.24 fit row -31.9% -> -27.7% (-24.6%), the 2.20 row -29.8% -> -25.4% (-22.2%), the May "
               "2025 2.21 row -40.4% -> -36.7% (-33.9%); an upper end, not a rate (the 41.8 ms holds the intra-node "
               "phases too; the table's instance may be a trn1n, twice the EFA); sized instead from one table's "
               "GPT-3 6.7B rows on 1 and 16 nodes (of 2022), the multi-node all-reduce took 1.82x the model's: "
               "0.781 s, the fit row -30.3% (the runs file's 'Examined 2026-12-05 (rtrn' record)")
_LAST_TOKEN_LOGITS = ("read (rtrn1, 2026-12-05): the context pass computes the logits of the last prompt token only, "
                      "not of all 128 (transformers-neuronx layers/transformer.py rms_lm_head, stored version, code "
                      "index id 10912803411: 'return_all_outputs will be False' for the context encoding network), as "
                      "the model has it: the per-sequence cost is not the prompt's logits")
_CONTEXT_BUCKET = ("read (rtrn, 2026-12-05): a 128-token prompt runs the 128 bucket at 256, 4096 and 8192 compiled "
                   "positions alike, on a network compiled for that bucket whose K / V cache parameters are the "
                   "bucket's slice (transformers-neuronx decoder.py init_context_decoder, _hlo_layers_params), so the "
                   "pass does not grow with the compiled length, as the model has it; the table's Llama-3-8B TTFT "
                   "does (+2.34 / +6.11 ms at batch 1 / 8 from 4096 to 8192 positions): a cost outside the context "
                   "network as coded, which no source names (the runs file's 'Examined 2026-12-05 (rtrn' record)")
_TWIN_PROGRAM = ("examined (s32 rtrn, 2026-12-05): the Llama 2 7B rows of the same program "
                 "(tp_zero1_llama_hf_pretrain.py) in the same 2.20 and Dec 2024 2.21 tables are -7.3% / -13.0% where "
                 "the 8B is -29.8% / -24.0%; solved on each pair, a cost the 8B pays every step and the 7B every tenth "
                 "(its per-step loss read: --logging_interval 1 against 10) is 5.84 s / 2.58 s a step, and the TP "
                 "collectives at 3.79x / 2.16x the model's: no one figure across the releases; the throughput counts "
                 "packed 8192-token sequences, no padding (get_dataset.py @0f2a90f); and one release, 2.21.0, "
                 "publishes the layout 1.27x apart (Dec 2024 -24.0%, May 2025 -40.4%) (the runs file's 'Examined "
                 "2026-12-05 (s32 rtrn' record)")
_NKI_CORE = ("examined (s33 rtrn, 2026-12-06): the NKI flash kernel's own cost: its Tensor-Engine transposes (P, dS, "
             "dO, Q; nki-samples attention.py @a33dfbc), now modelled, take the 2.24 fit row -31.9% -> -29.4%, the "
             "2.20 row -29.8% -> -27.1%, the May 2025 2.21 row -40.4% -> -38.2%; its rate has no source: at a fixed "
             "0.324 of the peak for the core the fit row reaches -25.0%, but every nki_flash row moves up with it "
             "(the 70B 2.24 fit row +6.0% -> +9.8%) and the 8B-70B gap closes 35.4 -> 34.8 points: the core does not "
             "separate the 8B layout (the runs file's 'Examined 2026-12-06 (s33 rtrn' record)")
_CACHE_AND_DECODE = ("examined (s32 rtrn, 2026-12-05): a pass over the whole KV cache per request grows 8x from "
                     "batch 1 to 8 where the published 4096 -> 8192 growth goes 2.6x, so at most 0.76 of its 2.34 "
                     "ms at batch 1; a TTFT holding the first decode step (the 256-token bucket at both lengths) "
                     "adds no growth, and with the run's TPOT added the four rows come within 25% but the 70B "
                     "128-token rows, the fit row among them, go beyond it (+3.3% -> +50.0%) (the runs file's "
                     "'Examined 2026-12-05 (s32 rtrn' record)")
_TRT09 = "TensorRT-LLM v0.9.0 static-batch / batch-1 TTFT table (srv_new, 2026-12-03; the row's note; figures " \
    "recomputed by tests/test_serving_trtllm_v09.py): "
_MB_LATER = ("Megatron-Bridge's later tables (docs/performance-summary.md '26.02.01', '26.04', '26.04.01 NeMo "
             "Container'; mbnew, 2026-12-03: held out, cells the table's and the sibling row's, the release's recipe "
             "not read; figures recomputed by tests/test_mb_later_tables.py)")
_MB2606 = ("Megatron-Bridge's 26.06 table (docs/performance-summary.md '26.06 NeMo Container', code index id "
           "56371468647; mb2606, 2026-12-03: held out, committed before it was predicted, cells the table's and the "
           "26.04.01 sibling's, the 26.06 recipe not read; figures recomputed by tests/test_mb2606_rows.py)")
_MIXTRAL_8X22B = (
    "Mixtral-8x22B at seq 65536 (CP 8, TP 2, ETP 1, PP 4, VP 14, EP 8) predicted too fast: 25.04 GB200 -33.6% -> "
    "-28.7% (4.28 s against 6.00 s) since rblackwell (2026-12-05: each Blackwell device's fused attention core at its "
    "measured cuDNN rate, GB200 1563 / 1279 TFLOP/s forward / backward at 8192 causal, 0.625 / 0.512 of the bf16 peak "
    "where the GEMM curve charged 0.74, and the Blackwell fp8 rule re-run 0.46 -> 0.50; tests/"
    "test_blackwell_fused_attention.py); its 25.02 B200 twin went -29.1% -> -22.0% (5.73 s against 7.34 s) and left "
    "this list; the same tables' Mixtral-8x7B rows (EP 8, TP 1, seq 4096) are -2.2% / -6.6%, so the routed-expert path "
    "at EP 8 is not what is missed. At these CP 8 chunks the attention core dominates, and the measured rate is "
    "the kernel's at 8192 queries, the rows' chunk length (its 32768 figures, 2031 / 1552 on GB300, are the only "
    "longer ones read). The model's B200 step holds 4.65 s of forward + backward and 0.71 s of exposed CP ring "
    "(2.01 s before overlap: TP 2 x CP 8 = 16 ranks, beyond the 8-GPU NVLink domain); on GB200 (NVL72) the ring is "
    "0.12 s before overlap and the miss is larger, so the ring's link is not it. Read: pretrain_mixtral_8x22b.py of "
    "25.02 (stored 00c06c8), the mixtral_8x22b recipe's"
    " performance mode (00138e2), the 25.02 helpers' set_primary_perf_configs and MegatronCommOverlapCallback (TP "
    "overlap off, as the cells). Not found in any stored source: the runs' cp_comm_type and attention backend on "
    "8192-token CP chunks, a profile or per-kernel time of these runs; the page's 824 TFLOP/s at 2232 tokens/s counts"
    " 369 GFLOP per token, the model's FLOP count is 504 GFLOP per token (searched 2026-12-03, mixrows); examined "
    "again 2026-12-05 (moenemo): the recipe's other switches read, pretrain_mixtral_8x22b.py (00c06c8) sets the FP8 "
    "plugin, grad_reduce_in_fp32 False, average_in_collective False where etp != tp (a gradient-scaling setting), "
    "enable_cuda_graph from the line's cuda_graphs 0 and PerfEnvPlugin(enable_vboost, nccl_pp_comm_chunksize "
    "2097152); the performance mode's MegatronTokenDropCallback pads each expert's input to capacity at capacity "
    "factor 1.0 (NVIDIA/NeMo nemo/lightning/pytorch/callbacks/moe_token_drop.py, stored 0067c7b), the mean load the "
    "model charges, as on the 8x7B rows (the same callback, within 3%): no cell differs from the recipe. A lead "
    "(moenemo), adopted per device since (rblackwell, above): the fused attention core at cuDNN's measured B200 "
    "causal rates (NVIDIA/cudnn-frontend "
    "sdpa_bf16_benchmark_results_NVIDIA_B200.csv at cb560b9, cuDNN 9.10.2, 8192 x 8192, 128 heads: forward 1197 / "
    "backward 940 TFLOP/s, 0.532 / 0.418 of the bf16 peak, where the model's GEMM curve gives both 0.74) on every "
    "Blackwell row, the Blackwell fp8 rule re-run 0.46 -> 0.52: 25.02 B200 -29.1% -> -22.9%, 25.04 GB200 -33.6% -> "
    "-22.8%, the 8x7B rows -0.9% -> -3.4% and -2.5% -> -7.8% (recomputed by tests/test_validate_unseen_runs.py; "
    "-29.2% -> -22.9%, -33.6% -> -22.9%, -1.2% -> -3.7% and -2.8% -> -8.2% before moeopt's expert optimizer shard, "
    "2026-12-05), but "
    "`validate`'s held-out median 5.73% -> 5.79% and 239 -> 238 within 6% (beyond 25% 46 -> 42), measured, not "
    "pinned: worse by the median rule, so not adopted; the same rates by the kernel's query length (the rows' CP 8 "
    "chunks of 8192 queries; CP 2 rows' 4096 at 0.389 / 0.309) gave 6.26%, 227 within 6% (on int before moenemo's "
    "DeepSeek-V3 cell, where the single rate gave 5.79%, 238). With each device's own rate (adopted) the GB200 row "
    "stays 28.7% too fast: nothing else found. FLOP counts reconciled 2026-12-05 (mpt8k; "
    "tests/test_nemo_mixtral_flop_count.py): NeMo's "
    "mixtral() of the releases (nemo/utils/flops_formulas.py, stored 034b17b: attention over the full s x s square; "
    "NVIDIA-NeMo/Speech issue #14376, 2025-08-01, still reports it) gives the 8x7B lines' TFLOP/s per token/s to 0.03% "
    "and 504.3 GFLOP per token at this layout, the model's MFU count; the page's 369.2 is that formula with the "
    "attention term halved (causal, NeMo's later form) or at seq 32768 (369.0 both), the one line of the two pages not "
    "in its release's form; the expert terms (top-2 of 8) agree in every reading. The model charges its fused core the "
    "causal mean (S + 1) / 2 keys per query, 369.0 GFLOP per token, the page's count: the counts show no part of the "
    "step the model leaves out; reading the line at seq 32768 with GBS 128 (the same tokens per step) gives -28.0% / "
    "-43.8% (-30.1% / -45.1% before rblackwell; -30.2% on B200 before moeopt). cp_comm_type: no read source sets it "
    "for these runs (Transformer "
    "Engine's attention functions default to "
    "'p2p', code index ids 61502647670 / 14225839233, the ring the model charges), and on GB200 the whole ring is "
    "0.12 s before overlap, so the CP exchange cannot be the 1.7 s miss (2.0 s before rblackwell); examined "
    "2026-12-05 (rgb300, session 31; figures recomputed by tests/test_blackwell_rate_leads.py), a lead, not adopted: "
    "the run's fused core is charged GB200's cuDNN 9.18.1 rate, a release far later than the 25.04 container's, "
    "while cudnn-frontend's own B200 runs of the same benchmark (8192 causal, 128 / 8 heads) are flat from 9.10.2 to "
    "9.13 (1197 / 940 and 1171 / 943 TFLOP/s; sample_b200_bf16_run.txt at bb37575: cudnn 91300) and its GB200 run of "
    "that config at 9.17 (artifacts at d48a60e, cudnn 91700) gives 1584 / 1211, 1.35 / 1.28x B200's 9.13 rate where "
    "the bf16 peaks differ 1.11x; at B200's measured fractions of the peak (0.532 / 0.418: 1330 / 1044 TFLOP/s on "
    "GB200) this row would be -28.7% -> -21.8%, but no stored run puts B200 and GB200 at one cuDNN version, so the "
    "gap may be the device, and the 25.04 container's cuDNN version was not found: the version is not established "
    "as the cause, though cudnn-frontend's v1.17.0 and v1.18.0 release notes (github.com/NVIDIA/cudnn-frontend/"
    "releases) say their benchmark results were 'updated ... for the sdpa improvements added in cuDNN 9.17.0' "
    "('GB200 and GB300 data') and '... in cuDNN 9.18.1', releases after every B200 figure and after the run, with no "
    "size per device; sized and adopted the same day (rgb300): GB300's own run of the benchmark under cuDNN 9.13 "
    "(cudnn-frontend bb37575) gives the gain on one device, x1.29 / x1.23 to its 9.18.1 row, and the row's "
    "cudnn_before_9_17 cell runs GB200's core at its 9.18.1 rate over that gain (1213 / 1039 TFLOP/s): -28.7% -> "
    "-20.7%, within 25%, so the row left this list (tests/test_cudnn_before_917.py)"
)
_GB300_PEAKS = (
    "searched again 2026-12-03 (gb300; tests/test_catalog_blackwell_ultra.py): the catalog's GB300 FP8 peak is "
    "NVIDIA's and equals GB200's (both NVL72 pages print 720 PFLOPS sparse for 72 GPUs: 5 PFLOPS dense per GPU; HGX "
    "B300 = HGX B200, 4.5 PFLOPS, Blackwell Architecture Technical Brief v2.1 Table 3 as copied in code index id "
    "69618267955); Blackwell Ultra's gains are dense NVFP4 (1.5x) and the SFU exponent rate (10.7 vs 5 "
    "TeraExponentials/s; NVIDIA's softmax blog of 2026-02-25 measured a MUFU.EX2 loop at 10,024 vs 4,943 Gop/s on "
    "GB300 vs GB200), so no peak is corrected; the model's fused attention core has no exponent term, and cuDNN "
    "9.18.1's measured GB300 attention in its place makes these rows slower (tests/test_big405_gb300_rows.py); no "
    "GB300 GEMM, clock or sustained-power measurement at 1,400 W was found (code: 'GB300 FP8 GEMM TFLOPS measured "
    "cuBLAS'; pages: 'Blackwell Ultra dense FP8', 'GB300 NVL72 technical specifications'; verda.com's GB300 NVL72 "
    "post says the higher power limit 'increases headroom to sustain higher SM/Tensor-Core clocks' with no figure)"
)
_R0201_LAYOUT = (
    "; which layout 26.02.01 ran (gb300, 2026-12-03): Megatron-Bridge PR #2175 ('Change TP2-CP2 to TP4-CP1 for "
    "Llama3.1 405B GB300 FP8-CS', merged 2026-02-02) was cherry-picked into r0.3.0, the 26.02 line (r0.5.0 is "
    "26.06.01's branch, r0.6.0 26.08's: PR #5168), as PR #2198 (2026-02-03), and the 26.02 table shows TP 4, CP 1; so "
    "the release's FP8-CS preset is TP 4, PP 8, CP 1, VP 4, and this table's TP 2, CP 2 is the FP8_MX_V2 preset's "
    "layout (its MXFP8 row's cells) and 25.11's FP8-CS one: a likely table slip, kept as published (no stored copy of "
    "the 26.02.01 tag's configs confirms it). At the recipe's layout (the 26.02 row's cells, which the 26.04.01 row "
    "has at the same 1024 tokens/s) the model is +35.5%, so the layout is not the gap"
)
_GB300_GAP = (
    "; examined again 2026-12-04 (gb300; figures recomputed by tests/test_gb300_dense_gap.py): the Llama 3 70B "
    "FP8-CS FSDP benchmark has the same cells in four tables (25.11, 26.02, 26.04, 26.04.01; GB300 and GB200 differ "
    "only in the CPU-offloaded layers, 20 / 40, memory only), the model one step for each device (7.36 / 7.79 s) "
    "(rcudnn2, 2026-12-05: 25.11's, whose cudnn_before_9_17 cell runs the core at the rates before cuDNN 9.17; "
    "7.16 / 7.56 s in the three 26.x tables, and in all four before the cell), "
    "and the published GB300 step falls 7.25 -> 6.55 -> 6.25 -> 6.10 s while GB200's moves 7.60 -> 8.11 -> 7.91 -> "
    "7.53 s (GB200 / GB300 1.048 in 25.11, 1.235 in 26.04.01; the model's 1.06): a GB300 factor that makes 26.04.01 "
    "exact (+17.5% -> 0) puts 25.11 (+1.5%) at -13.6% (-1.2% and -15.9% before rcudnn2's cell), so the gap grew "
    "with GB300's software, and no per-device "
    "constant (a clock, a power limit, an exponent rate) fits both rows. The attention core removed from GB300 "
    "altogether (the bound of every attention mechanism) leaves these 405B FP8 rows at +12.9% to +21.3%; at the "
    "SFU exponent rates (5 / 10.7 TeraExponentials/s on GB200 / GB300, the Ultra blog's table as copied at "
    "https://verda.com/blog/gb300-nvl72-architecture) the forward core's exponentials take 0.61x (GB200) / 0.35x "
    "(GB300) of the model's forward core on the 26.04.01 70B FP8 pair, so an overlapped max(tensor, exponent) term "
    "moves no Llama row (it binds only at head width 64: GPT-OSS-120B on B200 / GB200, 0.93x / 1.21x). FBGEMM PR "
    "#4197 ('the advanced perf gain of GB200 vs. B200 is mainly derived from GPU cap power limit', 1200 W vs 750 W, "
    "~2.8x vs ~2x H100) read as a power law (exponent 0.72) makes GB200's GEMMs 1.14x B200's at the catalog's 1200 / "
    "1000 W, where the MAMF table measures 0.948x (fractions of peak, rows of differing software), so the cap alone "
    "does not size a GB300 factor either"
)
# gptossh100 (2026-12-04): what was examined for the H100 GPT-OSS rows and ruled out, no reason established; every
# figure is recomputed by tests/test_gptoss_h100_rows.py
# 2026-12-05 (rhopperadopt2): the H100 SXM5 fused attention core at cuDNN's measured H200 rate and the Hopper re-runs:
# bubble 0.36 -> 0.37 s, logits 2.51 -> 2.58 s; the 25.11 row at MBS 1 -25.3% (-15.4%) -> -23.7% (-13.4%), the
# model's gain +7.6% -> +7.5%; one miss of about 26-28% -> about 24-27%
_GPTOSSH100 = (
    "; examined 2026-12-04 (gptossh100; figures recomputed by tests/test_gptoss_h100_rows.py), no reason "
    "established: (1) the release's recipe: gpt_oss_llm_pretrain.py (0501207) builds every 120B config alike (the "
    "recipe, set_gpt_oss_common_configs, the preset; the recipe, gpt_oss_120b_pretrain_config in "
    "src/megatron/bridge/recipes/gpt_oss/gpt_oss.py, a stored version, code index id 46104023892, commit not known, "
    "sets the alltoall dispatcher, moe_permute_fusion and moe_grouped_gemm on, cuda_graph_impl 'none' and "
    "cross_entropy_fusion_impl 'native'), so the H100 run differs from its B200 sibling only by its preset "
    "(gpt_oss_workload_base_configs.py at 1e7adfa: H100_BF16_V2 = the base, EP 8, ETP 1, MBS 1, with PP 4 and "
    "recompute_modules layernorm + moe_act; B200_BF16_V2 the same recompute at MBS 4 and PP 1; neither sets CUDA "
    "graphs, which GB300 / B300 run on attn, moe_router and moe_preprocess); the model charges what PP 4 at MBS 1 "
    "adds: the 1F1B bubble (0.37 s, 3.6% of its step at 80 micro-batches), the stage sends (0.10 s) and the last "
    "stage's logits (2.58 s); (2) the release does not matter once MBS is the presets': the 25.11 H100 row at the "
    "presets' MBS 1 (workload_base_configs.py at 6b296ac and every later stored H100 preset) would be -23.7% (-13.4% "
    "at its table's MBS 4, which the model puts over the H100's memory), and the model's gain from GBS 512 to 1280 "
    "at MBS 1 (+7.5% tokens/s/GPU) is the published 25.11 -> 26.02.01 one (+6.3%) within 1.3 points, so one miss of "
    "about 24-27% (about 26-28% before rhopperadopt2's measured Hopper attention rates, about 31% before fc2bias's "
    "fc2-bias charge) runs through the five tables; (3) a Hopper "
    "per-expert GEMM floor (nvidia-hopper sets none) at either "
    "figure calibration.toml cites, 20.3 us (yanring/Megatron-MoE-ModelZoo issue #7, mean host time of one "
    "nvte_cublas_gemm) or 33.4 us (TransformerEngine PR #3134, Blackwell's floor), moves none of these rows: at 1024 "
    "routed rows per local expert (4096 tokens x top 4 x EP 8 / 128 experts) their expert GEMMs already last longer "
    "in the model"
)
_GPTOSSH100_HOST = (
    "; (4) a per-micro-batch host cost as large as the GB200 pairs allow (at most 1.37 ms a layer, "
    "tests/test_gptoss_host_bound.py, on Grace hosts) adds 1.02 s over 83 slots of 9 layers: {host}, an upper bound "
    "from another host, not a size (with the fc2-bias charge, fc2bias 2026-12-05, that bound would put each of the "
    "four H100 rows within 25%, the 26.04 / 26.04.01 ones beyond it before)"
)
_GPTOSSH100_B200 = (
    "; (5) the same table's B200 row (EP 8, the same recompute, the unfused MoE block of its checked reason) misses "
    "{b200}: the H100 miss is the smaller share, which a cost in proportion to the GPU time (the blog's form) would "
    "not give; as a factor it would make this row {scaled}, which restates the two rows' difference, not a reason"
)
# gptoss3 (2026-12-05): finding (6) of the H100 GPT-OSS entries, the experts' biased, clamped SwiGLU block read in
# Megatron-Core; its figures are recomputed by tests/test_gptoss_h100_rows.py (test_the_fc2_bias_passes_*).
# 2026-12-05 (fc2bias): rewritten as adopted: the fc2-bias charge is in the model (compute.moe_fc2_bias_s), so
# "this row {err} -> {bias}, still beyond 25%" (a what-if) is now "this row {before} -> {err}" (the charge's move)
_GPTOSS3_BIAS = (
    "; examined 2026-12-05 (gptoss3; charged since fc2bias, 2026-12-05; figures recomputed by "
    "tests/test_gptoss_h100_rows.py): (6) the experts' clamped "
    "SwiGLU runs fused: GPTOSSProvider (Megatron-Bridge src/megatron/bridge/models/gpt_oss/gpt_oss_provider.py, code "
    "index id 46079373910, commit not known) sets quick_gelu, glu_linear_offset 1.0, activation_func_clamp_value 7.0, "
    "add_bias_linear and bias_activation_fusion, and Megatron-Core's TEGroupedMLP (megatron/core/transformer/moe/"
    "experts.py at svcnemo-autobot/Megatron-LM@37b95c51a9883f8b852ed586160f06345ad7d946, a Megatron-LM mirror; the "
    "same code in the other stored versions read) leaves fc1's bias to Transformer Engine's GroupedLinear "
    "(skip_bias_add False) and runs the clamp, the offset and the probability weighting as one "
    "weighted_bias_quick_geglu_impl, the one activation pass the model charges; the pass that runs unfused is fc2's "
    "bias (skip_bias_add True): _apply_bias adds b x p expert by expert in eager PyTorch (t + b * p over "
    "torch.split, then torch.cat), with the router's 16-bit probabilities (Transformer Engine's fused router writes "
    "them in the logits' dtype: transformer_engine/pytorch/csrc/extensions/router.cpp at NVIDIA/TransformerEngine@"
    "017d75a6bc180cf7560c1faddbefef51b67d6991; this row's moe_router_dtype blank) 12 B forward and 16 B backward per "
    "routed element of the hidden width, 2 and 4 kernels per local expert: at the model's memory rate 0.34 + 0.54 "
    "ms a layer per micro-batch, 0.66 s over 83 slots of 9 layers; the model charges it since fc2bias "
    "(compute.moe_fc2_bias_s, runs-file cell moe_expert_bias 1, in the forward, its backward and the moe recompute "
    "module): this row {before} -> {err}, still beyond 25% "
    "(fp32 probabilities, 28 B and 40 B, would give {f32}; no source shows them fp32 here); the same code runs on "
    "every GPU (nothing in it depends on SM90), so the charge moves every Megatron GPT-OSS row alike (25 of 26 "
    "closer, mb2606-gb300-gptoss-120b -2.5% -> +4.9%; validate: held-out 5.73% and 239 within 6% unchanged); the "
    "Blackwell rows' checked reason is the blog's factor that their "
    "notes quote, not a term of the model, and no term is gated on the family or the release"
)
# gptoss4 (2026-12-05): finding (7) of the H100 GPT-OSS entries, the routing probabilities' dtype on the path to the
# fc2-bias pass, read in Megatron-Bridge, Megatron-Core and Transformer Engine; checked by
# tests/test_gptoss_h100_rows.py (test_the_h100_rows_run_16_bit_probabilities)
_GPTOSS4_PROBS = (
    "; examined 2026-12-05 (gptoss4; recomputed by tests/test_gptoss_h100_rows.py): (7) the probabilities (6)'s "
    "fc2-bias pass multiplies are 16-bit on this row, so its fp32 figure does not apply: no layer of the recipe sets "
    "moe_router_dtype (Megatron-Bridge's GPTOSSBridge.provider_bridge, src/megatron/bridge/models/gpt_oss/"
    "gpt_oss_bridge.py at 0e4d6ed607e06973e29de76dcae494402568cf5e, and GPTOSSProvider at "
    "12bc34a8ee308a638d4bfd29401085944d4a468e; the H100 perf recipe gpt_oss_120b_pretrain_64gpu_h100_bf16_config, "
    "src/megatron/bridge/recipes/gpt_oss/gpt_oss_perf.py at 26f27ba2a8a83ba5851f3794f818e469fa4bb57f, sets only "
    "moe_router_fusion and moe_router_force_load_balancing; Megatron-Core's default None 'means no changes for "
    "dtype'), so the router's logits are bf16 and its probabilities too: Transformer Engine's fused router (the "
    "recipe's moe_router_fusion) writes them in the logits' dtype (router.cpp above) and Megatron-Core's unfused "
    "one casts them back ('The final probs are casted to the same dtype as the logits', probs.type_as(logits) in "
    "moe_utils.topk_routing_with_score_function at NVIDIA/Megatron-LM@00611e6eeb0b09b5ee074750956855215ddbd67f); "
    "the all-to-all dispatcher moves them as they are (token_dispatcher.py MoEAlltoAllTokenDispatcher "
    "dispatch_all_to_all / dispatch_postprocess at NVIDIA/Megatron-LM@0014f13713bfa38a8bab4ae11edd6917d35165ce: "
    "all_to_all and sort_chunks_by_idxs, no cast; MoELayer.routed_experts_compute hands them to the experts as "
    "they come) and Transformer Engine's fused permute and chunk sort allocate the permuted probabilities in their "
    "input's dtype (transformer_engine/pytorch/triton/permutation.py at NVIDIA/TransformerEngine@"
    "0448187486cb56234d50b2a9cc7b6832eb0d2495, permute_with_mask_map / sort_chunks_by_map: torch.empty(..., "
    "dtype=probs.dtype)); the one path that makes them fp32 with the router's default dtype is the DeepEP "
    "dispatcher, whose manager casts them ('DeepEP only supports float32 probs', self.token_probs.float()), and this "
    "row runs the all-to-all one (moe_dispatcher blank); fc1's bias, which NeMo AutoModel adds unfused "
    "(am-h100-gptoss-20b-8's checked reason), Transformer Engine's GroupedLinear fuses both ways in BF16: the "
    "grouped GEMM's bias epilogue in the forward and the wgrad grouped GEMM's bias-gradient epilogue in the "
    "backward (general_grouped_gemm bias / use_bias, transformer_engine/pytorch/module/grouped_linear.py at "
    "NVIDIA/TransformerEngine@0069563f606859d4fb5d663e1c92509a30e99f35)"
)
# rmoe (2026-12-05): finding (8) of the H100 GPT-OSS entries, the loss the performance scripts run, read in
# Megatron-Bridge and Transformer Engine; recomputed by tests/test_gptoss_h100_rows.py
# (test_the_te_cross_entropy_passes_move_the_rows_the_other_way)
# rhopperattn (2026-12-05): finding (9), a lead; rhopperadopt2 (2026-12-05): adopted, rewritten as charged (the lead's
# "charged, with the declared Hopper refits it gives (...), this row {move}" is now the charge's move)
_HOPPER_ATTN = (
    "; examined 2026-12-05 (rhopperattn; charged since rhopperadopt2, 2026-12-05; recomputed by "
    "tests/test_hopper_fused_attention.py): (9) the fused attention core on H100 runs below the GEMM curve's "
    "forward + backward: cudnn-frontend's "
    "H200 Llama 3.1 run (results/h200_919_only_cudnn/llama3.1_20260227_034703.csv at NVIDIA/cudnn-frontend@df73764, "
    "cuDNN 9.19, bf16 causal 8192, 64 / 8 heads) measures 644 / 541 TFLOP/s forward / backward = 0.651 / 0.547 of "
    "989.5 (H100 SXM5's peak too: same GH100, 132 SMs), against eff_max 0.60; the model charges it since "
    "rhopperadopt2 (catalog measured_fused_attention_flop_per_s on h100-sxm, h100-a3-high, h100-a3-mega and h200), "
    "with the declared Hopper refits it gave (matmul_eff_max 0.60 -> 0.58, maxtext 0.54 -> 0.52): this row {move}, "
    "still beyond 25% (the 26.02 / 26.02.01 rows of the same layout came within it, -26.1% -> -24.5% / -26.2% -> "
    "-24.6%); the same run's GPT-OSS shape "
    "(gpt_oss_20260227_034819.csv at NVIDIA/cudnn-frontend@afa9f7c: head dim 64, 4096, window 1024) measures "
    "336 / 289 TFLOP/s (0.340 / 0.292), at which this row would be {d64}: a head-dim-keyed rate, not modelled"
)
_GPTOSS_CE = (
    "; examined 2026-12-05 (rmoe; recomputed by tests/test_gptoss_h100_rows.py): (8) the loss is over-charged, not "
    "under: the performance scripts set cross_entropy_fusion_impl 'te' for every model (scripts/performance/utils/"
    "overrides.py _set_common_perf_overrides, Megatron-Bridge stored version 00538e26aa5419eb94c4fab3629b99059867a135, "
    "called by set_workload_base_configs, over the recipe's 'native'; cross_entropy_loss_fusion True from the recipe), "
    "and Transformer Engine's Triton parallel_cross_entropy (transformer_engine/pytorch/triton/cross_entropy.py at "
    "NVIDIA/TransformerEngine@02965d2eba9d93d129f25942f8ef1352f2eefd2d) reads the bf16 logits once in the forward "
    "(online_softmax_kernel; the loss kernel reads only each row's max, sum and target logit) and reads and writes "
    "them once, in place, in the backward: 6 B per logit (10 B in the earlier form, a stored copy with code index id "
    "6426845364: cross_entropy_kernel writes the gradient in the forward, element_mul_kernel scales it in the "
    "backward) where the model charges three fp32 read + write passes, 24 B; at TE's "
    "bytes this row would be {err} -> {ce} ({dt} s less on the last stage)"
)
# rgptoss (2026-12-05): finding (10) of the H100 GPT-OSS entries, the resolved config Megatron-Bridge dumped for this
# layout, read against the rows' cells, and the two passes it shows that the model does not charge, sized; recomputed
# by tests/test_gptoss_config_dump.py
_RGPTOSS_DUMP = (
    "; examined 2026-12-05 (rgptoss; figures recomputed by tests/test_gptoss_config_dump.py): (10) the resolved "
    "config of this layout agrees with every cell the model reads: Megatron-Bridge's dumped H100 V2 ConfigContainer "
    "(scripts/performance/dryrun_configs/gpt_oss/gpt_oss_120b_pretrain_h100_fp8_mx_v2.yaml at "
    "a9497c6b1cad42f11d875f72317d404140b003fb, written by the --dryrun config saving of PR #3098, opened 2026-04-01, "
    "so of the 26.04 era, which release not established; bf16 true, fp8 null: H100 has no MXFP8) gives TP 1, PP 4, "
    "EP 8, ETP 1, MBS 1, GBS 1280, seq 4096, selective recompute of layernorm and moe_act, the alltoall dispatcher "
    "with permute and router fusion, forced load balancing and grouped GEMM, cuda_graph_impl none, "
    "overlap_moe_expert_parallel_comm and overlap_p2p_comm false, moe_router_dtype null, window_size [127, 0] on "
    "every other layer (window_attn_skip_freq 2: 18 of 36 layers at 128 keys), softmax_type learnable, "
    "add_bias_linear true, cross_entropy_fusion_impl te, grad_reduce_in_fp32 false; what it shows that the model "
    "does not charge is no size for the miss: bias_dropout_fusion false runs the attention output's bias add as a "
    "pass of its own (Megatron-Core megatron/core/fusions/fused_bias_dropout.py, a stored version, code index id "
    "58967781580: bias_dropout_add_unfused, x + bias, then residual + x, where the fused form is the one residual "
    "add the model charges; dropout at hidden_dropout 0.0 counted free; the MoE block's output carries no bias, its "
    "experts add theirs, finding (6)), 2 x 4096 x 2880 x 2 B more a layer forward, {bda_us} us at the model's memory "
    "rate, {bda_s} s over 83 slots of 9 layers; calculate_per_token_loss true scales the stage's 16-bit gradient "
    "buffers by 1 / num_tokens once a step (finalize_model_grads, model_chunk.scale_gradients; megatron/core/"
    "distributed/finalize_model_grads.py, a stored version, code index id 52381032741), a read and a write of "
    "{grads_gib} GiB, {scale_s} s; both: this row {err} -> {both}, where within 25% needs {need_s} s more a step; "
    "create_attention_mask true costs the GPU nothing: the step moves the dataset's mask to the device only when "
    "skip_getting_attention_mask_from_dataset is False, default True (get_batch / get_batch_from_iterator, "
    "src/megatron/bridge/training/gpt_step.py at 021ba66b112439ffc6f1ec9cac89c74f3fa5251b)"
)
_RGPTOSS_SHARED = {"bda_us": "21.6", "bda_s": "0.016", "grads_gib": "8.2", "scale_s": "0.007"}
"""The layout's figures of (10), the same on both rows (tests/test_gptoss_config_dump.py recomputes them)."""
# rh100 (2026-12-05): finding (11) of the H100 GPT-OSS rows, the checked reason they left UNEXPLAINED with:
# Megatron-Core runs GPT-OSS's YaRN RoPE unfused (a concentration factor != 1 leaves Transformer Engine's fused
# RoPE), sized at the model's own rates; recomputed by tests/test_gptoss_yarn_rope.py
_RH100_ROPE = (
    "; examined 2026-12-05 (rh100; reason checked, figures recomputed by tests/test_gptoss_yarn_rope.py): (11) "
    "Megatron-Core runs this model's RoPE unfused, a pass the model does not charge: the resolved config of (10) sets "
    "position_embedding_type yarn, yarn_rotary_scaling_factor 32, yarn_mscale and yarn_mscale_all_dim null, "
    "apply_rope_fusion true and fused_single_qkv_rope false; Megatron-Core's YaRN concentration factor is then "
    "0.1 ln 32 + 1 = 1.347 (_yarn_get_concentration_factor, megatron/core/models/common/embeddings/"
    "yarn_rotary_pos_embedding.py at NVIDIA/Megatron-LM@00caa53af30912914981c86f39db123961678bbd), Attention passes it "
    "as mscale to the query's and the key's RoPE calls (megatron/core/transformer/attention.py in the mirror "
    "svcnemo-autobot/Megatron-LM@37b95c51a9883f8b852ed586160f06345ad7d946) and apply_rotary_pos_emb leaves Transformer "
    "Engine's fused RoPE for any mscale other than 1.0 ('is not supported by TE's fused RoPE. Using unfused "
    "implementation.', megatron/core/models/common/embeddings/rope_utils.py at "
    "NVIDIA/Megatron-LM@00c51e13247685110aec81e60aa3db91cbdbff7d and an older stored form; "
    "NVIDIA/Megatron-LM PR #2038, merged, 'disable rope fusion when mscale is used', opened 2025-10-29, its "
    "Megatron-Bridge half cherry-picked into "
    "r0.2.0 on 2025-11-10, so in the 26.02 and 26.04 containers' Megatron Core main:0.16.0 and 0.17.0; the 0.17.0 "
    "tag's own file was not read); the unfused _apply_rotary_pos_emb_bshd moves 24 B per element of the query or key "
    "in 6 kernels (and 6 small ones on the fp32 frequencies) forward and 20 B in 5 kernels backward, where the fused "
    "pass moves 4 B in one kernel each way: on this layout's {q_el} query and {k_el} key elements a layer, 20 B and 11 "
    "kernels more a call forward and 16 B and 4 kernels backward, {fwd_us} us + {bwd_us} us a layer at the model's "
    "memory rate and launch cost, {step_s} s a step over 83 slots of 9 layers; charged, this row {err} -> {rope}, "
    "within 25% (the 26.02 / 26.02.01 rows, the same layout and path: {e2602} -> {r2602}, {e0201} -> {r0201})"
)
_RH100_ROPE_SHARED = {"q_el": "16,777,216", "k_el": "2,097,152", "fwd_us": "228.9", "bwd_us": "144.7",
                      "step_s": "0.279"}
"""The layout's figures of (11), the same on every H100 row (tests/test_gptoss_yarn_rope.py recomputes them)."""
_RH100_ROPE_ROWS = {"e2602": "-24.5%", "r2602": "-22.4%", "e0201": "-24.6%", "r0201": "-22.5%"}
"""The 26.02 / 26.02.01 rows' figures (11) quotes."""
# rmix (s34, 2026-12-06): what mpt-a100-30b-8-8k's entry appends, the H100 FlashAttention-2 long-sequence lead and the
# replaced line; figures recomputed by tests/test_a100_30b_8k_row.py (test_the_entry_quotes_these_figures)
_RMIX34_MPT = (
    ". Examined 2026-12-06 (s34, rmix; figures recomputed by tests/test_a100_30b_8k_row.py), still no checked reason: "
    "(1) the H100 lead: in 061f2c7's H100 BF16 table every model's lines at 16384-65536 tokens are predicted too fast "
    "with the H100 rows' FlashAttention-2 cells (7B {h7_65k} / {h7_32k} at 65536 / 32768, 13B {h13_32k} / {h13_16k} at "
    "32768 / 16384, 1B {h1_65k} at 65536 and {h1_16k} at 16384; none a runs-file row), so that table's 30B 8192 line "
    "({h30_8k}) carries an H100 long-sequence miss of every model as well; at 8192, the one length three models share, "
    "it is still the furthest (7B {h7_8k}, 1B {h1_8k}), and on A100 the table's other 27 long lines stay within 7.5%: "
    "the H100 table corroborates less than the entry said, the A100 line stands alone; (2) the replaced line: the "
    "row's cells are the 4594 line's (amp_bf16 DEFAULT, step 1376256 / 4594 s) and FSDP's mixed-precision mode has no "
    "cell or plan flag, so 061f2c7's replacement of the bf16 PURE 4977 gives no cell to correct and no checked reason "
    "(a re-measurement whose stack no source names); had it run the H100 table's stack (attn_impl 'flash', flash-attn "
    "2; not established) its attention_kernel cell would read flash2 and the row would be {fa2} ({fa2_unpad} with the "
    "unpad copies) against {err}: further off, not a fix; (3) the memory candidate against the table: by the model's "
    "own memory estimate the line is {mem_rank}th of the table's {mem_n} rows, where 3b-8-8k ({m3_gib} GiB) is "
    "{m3_err} and 7b-8 ({m7_gib} GiB) {m7_err}, so a memory cost would have to lie in what the estimate leaves "
    "out, such as the 30B FSDP unit gathered whole ({unit_m}M weights a layer, {unit_x13}x 13B's, {unit_x7}x 7B's), "
    "which no source sizes"
)
_RMIX34_MPT_FIGS = {"mem_rank": "9", "mem_n": "61", "m3_gib": "75.9", "m3_err": "-0.9%", "m7_gib": "68.8",
                    "m7_err": "+1.2%", "unit_m": "617", "unit_x13": "2.0", "unit_x7": "3.1",
                    "h7_65k": "-36.6%", "h7_32k": "-29.4%", "h13_32k": "-27.7%", "h13_16k": "-16.8%",
                    "h1_65k": "-41.8%", "h1_16k": "-32.5%", "h7_8k": "-10.6%", "h1_8k": "-23.4%", "h30_8k": "-29.3%",
                    "fa2": "-31.9%", "fa2_unpad": "-31.1%", "err": "-25.6%"}
"""The figures of _RMIX34_MPT (tests/test_a100_30b_8k_row.py computes them)."""
# rmix (s36, 2026-12-06): what mpt-a100-30b-8-8k's entry appends, the benchmark's own model file and launcher read;
# figures recomputed by tests/test_a100_30b_8k_row.py (test_the_benchmarked_30b_and_its_micro_batch)
_RMIX36_MPT = (
    ". Read 2026-12-06 (s36, rmix; figures recomputed by tests/test_a100_30b_8k_row.py), two leads closed, still no "
    "checked reason: (1) the benchmarked model is the sweep's own file, scripts/train/yamls/mpt/30b.yaml (llm-foundry "
    "@08875284a36e58588849a41452e82f8c10b55271, the stored version: d_model 7168, n_heads 56, expansion_ratio 4, "
    "attn_impl triton, FSDP FULL_SHARD with activation_checkpointing true, reentrant false, limit_all_gathers true), "
    "head dim {hd}, the head dim of the table's other models, not the released MPT-30B's 64 heads (head dim {hd64}; "
    "'\"mpt-30b\": ... \"d_model\": 7168, \"n_heads\": 64' in a stored model table, code index id 7806064252), so no "
    "Triton path particular to a head dim below 128 is in this run; (2) the launcher "
    "(scripts/train/benchmarking/submit_benchmarks.py @12a631913c786ac70e33e42047d2eae6f443ee69) passes "
    "device_train_microbatch_size 'auto' only without --microbatch_size, and without batch sizes sets the global batch "
    "to accum x GPUs x microbatch: the line's {gbs} = {accum} x {gpus} x {mbs} and the same table's 30B 2048 line's "
    "{gbs2k} = {accum} x {gpus} x {mbs2k} (code index id 31734678211) are that arithmetic at one accum, and neither is "
    "a power-of-two token count (the -b path), so the MicroBatchSize {mbs} was most likely given, not found by "
    "Composer's out-of-memory search ('auto' under explicit --batch_sizes could give the same lines; not established), "
    "and the table's micro-batch choice is no evidence of the memory limit either way"
)
_RMIX36_MPT_FIGS = {"hd": "128", "hd64": "112", "gbs": "168", "accum": "21", "gpus": "8", "mbs": "1", "gbs2k": "504",
                    "mbs2k": "3"}
"""The figures of _RMIX36_MPT (tests/test_a100_30b_8k_row.py computes them)."""
# rgptoss (2026-12-05): what amd-mi300x-llama2-7b-fp8's entry appends, the same author's later run of the row's
# per-GPU work; its figures (_RGPTOSS_PRIMUS_FIGS) recomputed by tests/test_amd_llama2_primus_twin.py
_RGPTOSS_PRIMUS = (
    ". Examined 2026-12-05 (rgptoss; figures recomputed by tests/test_amd_llama2_primus_twin.py): the same author's "
    "later run of this very per-GPU work gets the model's FP8 speed, so the miss lies in this run's stack, not in the "
    "model's CDNA3 FP8 rates or the workload: hisohara/ai-scripts training/03_primus (README.md and "
    "run-llama2-7B-8N.log at 4fb66ab5ffd47c65105d3125ca02a482fdebf701: Primus e16b27b in rocm/primus:v25.9_gfx942, "
    "NVTE_CK_USES_BWD_V3=1, Llama 2 7B FP8 hybrid, GBS 2048 on 8 nodes of 8 MI325X; the config, AMD-AGI/Primus "
    "examples/megatron/configs/llama2_7B-pretrain.yaml in a stored version at 2386c72, not the run's e16b27b: MBS 4, "
    "seq 4096, TP 1, PP 1, no gradient-accumulation fusion, Primus-Turbo attention) gives each rank the row's 32 "
    "sequences of 4096 tokens in 8 micro-batches of 4 and steps in {twin_s} s (iteration 50's running mean) where "
    "this log takes {row_s} s ({speed}x); the model predicts that run at {twin_pred} s ({twin_err}; {err2} / {err8} at "
    "MBS 2 / 8; the log's max allocated after iteration 1, {mem_gib} GiB, sits with the model's MBS 4 total, "
    "{mem4} GiB, against {mem2} / {mem8} GiB at MBS 2 / 8); MI325X has MI300X's datasheet peaks and the model gives "
    "the row's work {ratio}x the time on MI300X (the 1000 W part's measured GEMM clock, calibration.toml's fp8 "
    "x1.193), so the twin's step carried to MI300X would be {twin_on_mi300x} s and this run takes {row_over}x it. "
    "Which part of this stack pays it (CK's v2 backward against Primus-Turbo's attention, GEMM_TUNING=0 against "
    "Primus's GEMMs, the TE 8c4a512 build) the twin does not separate: no checked reason, the row stays at {row_err}"
)
# 2026-12-05 (s32 merge): err2 +0.4% -> -0.8%, utcat's cited mi325x scale-out (50e9 B/s per GPU, in place of the
# printed 12.5e9 default) speeds the twin's 8-node data-parallel traffic at MBS 2
_RGPTOSS_PRIMUS_FIGS = {
    "row_s": "10.25", "twin_s": "6.40", "speed": "1.60", "twin_pred": "6.30", "twin_err": "-1.7%", "err2": "-0.8%",
    "err8": "-2.1%", "mem_gib": "108.9", "mem2": "63.7", "mem4": "98.8", "mem8": "169.0", "ratio": "1.18",
    "twin_on_mi300x": "7.57", "row_over": "1.35", "row_err": "-27.8%"}
"""The figures of _RGPTOSS_PRIMUS (tests/test_amd_llama2_primus_twin.py computes them)."""
# rmisc (s32, 2026-12-05): what amd-mi300x-llama2-7b-fp8's entry appends, its GEMM path and the family's shared FP8 gap;
# figures recomputed by tests/test_cdna3_fp8_pairs.py (test_the_entry_quotes_these_figures)
_RMISC32_AMD = (
    ". Examined 2026-12-05 (s32, rmisc; figures recomputed by tests/test_cdna3_fp8_pairs.py), still no checked "
    "reason: (1) the GEMM path: the log's README (hisohara/ai-scripts training/02_megatron/README.md at 3ae89cf) "
    "builds TE 8c4a512 and runs with NVTE_USE_HIPBLASLT=1, so its FP8 GEMMs went through hipBLASLt, not the rocBLAS "
    "path ROCm TE #73 names as lacking 'the latest optimization for fp8 GEMM' (2024-10-15); that hipBLASLt is "
    "/opt/rocm's (ROCM_PATH, CMAKE_PREFIX_PATH), whose version the README does not print (its CK submodule reads "
    "rocm-6.4.3-153); the author took 8c4a512 as the TE of AMD's rocm/megatron-lm v25.6_py310 container, and a later "
    "version of the README recommends that container with USE_FLASH_ATTN=1 and GEMM_TUNING=1 but publishes no figure "
    "for it; (2) what it shares with its family: in the six Infinity Hub BF16 / FP8 pairs the model's FP8 speed-up is "
    "1.08-1.12x the published (BF16 rows within 2.7%, FP8 rows -7.9 .. -10.9%), so the family's FP8 part runs faster "
    "in the model than in those runs; its rate is derived from MAF figures of a pre-release hipBLASLt branch (db8e93b, "
    "'a target for the ROCm 6.5 GA'), newer than either stack. This row comes within 25% at 0.342 or less "
    "(fp8_matmul_eff_max; 0.36 bundled) and the Infinity Hub FP8 fit row has its zero at 0.305, where this row is at "
    "-18.2%: a family FP8 rate that carried the Infinity Hub rows would carry this one within 25%, but no source gives "
    "that rate (the declared fit on that row was rejected on its grid floor, amdfit, 2026-12-03): a lead, not a "
    "checked reason"
)
# ramd (s33, 2026-12-06): what amd-mi300x-llama2-7b-fp8's entry appends, the log's own throughput line against the
# row's cells and the script defaults not read before; figures recomputed by tests/test_amd_llama2_log_flops.py
_RAMD33_AMD = (
    ". Examined 2026-12-06 (s33, ramd; figures recomputed by tests/test_amd_llama2_log_flops.py), still no checked "
    "reason: (1) the published step is the log's own: Megatron's num_floating_point_operations of the row's cells "
    "(GBS 256, seq 4096, 32 layers, hidden 4096, 32 / 32 heads, ffn 11008, SwiGLU, 8 GPUs) over the logged times "
    "gives the log's 'throughput per GPU (TFLOP/s/GPU)' line, {iter50_padded} at iteration 50 and {mean_padded} for "
    "the summary's mean (589.33) with the vocabulary padded to 32128 ({iter50} / {mean} with 32000), so no batch, "
    "world-size or architecture cell is misread and the time is not a warm-up mean; the model's {pred_s} s step "
    "would print {pred_tflops} TFLOP/s on that line; (2) ROCm/Megatron-LM train_llama2.sh at both stored trees "
    "(02b8aa7, bb3bcb65; the run's 38fc8307 not stored) defaults ROPE_FUSION to 1 (fused RoPE: the unfused-RoPE pass "
    "checked for the GPT-OSS H100 rows does not apply, and the model charges none) and the README's run line does "
    "not override it; bb3bcb65 also defaults FP8_TRANSPOSE_CACHE 0 (no --keep-fp8-weight-transpose-cache-te: the "
    "FP8 weight transpose recomputed each micro-batch, at most 2 B a parameter, about 0.03 s a step at the model's "
    "memory rate, 1% of the gap), whether 38fc8307 had the option not established"
)
_RAMD33_AMD_FIGS = {"iter50": "590.1", "mean": "589.3", "iter50_padded": "590.2", "mean_padded": "589.3",
                    "pred_s": "7.40", "pred_tflops": "816"}
"""The figures of _RAMD33_AMD (tests/test_amd_llama2_log_flops.py computes them)."""
# rmix (s34, 2026-12-06): what amd-mi300x-llama2-7b-fp8's entry appends, whether ramd's 2024-10 BF16-rate finding
# carries to this build, against the same author's run in AMD's v25.9 container; figures recomputed by
# tests/test_amd_llama2_log_flops.py (test_the_same_authors_container_run_gets_the_models_fp8_speed)
_RMIX34_AMD = (
    ". Examined 2026-12-06 (s34, rmix; figures recomputed by tests/test_amd_llama2_log_flops.py), still no checked "
    "reason: whether the 2024-10 TE-issue rows' reason (their build's FP8 GEMMs at about the BF16 rate) carries here. "
    "By that rule's what-if this row would be {own_bf16} (the linears at the model's BF16 rate; {own_err} as it "
    "stands), but the rule's sources (ROCm TE #73 / #78) measure the 2024-10 dev branch, and the same author's run in "
    "AMD's container gets the FP8 speed: hisohara/ai-scripts training/04_megatron-pyxis (README.md and "
    "megatron-pyxis-12384.out at 97db03fb7a4a3d976eb67126a3f4e4cff39d5702: rocm/megatron-lm:v25.9_gfx942, "
    "train_llama3.sh, Llama 3.1 70B, TE_FP8=1, FSDP=1, RECOMPUTE=1, MBS 4, BS 256, seq 8192, 64 MI325X) steps in "
    "{l70_s} s, its 'throughput per GPU' {l70_tflops} given by Megatron's formula from those cells, and the model "
    "predicts it at {l70_err} with full recompute ({l70_bf16} at the BF16 rate). With the Primus twin above, two "
    "runs by this author in AMD's containers run FP8 at the model's rate; this row's venv build (torch 2.8.0+rocm6.4 "
    "wheel, TE 8c4a512 from source against /opt/rocm's hipBLASLt, GEMM_TUNING=0, USE_FLASH_ATTN=0) is the one that "
    "does not, and no source measures its GEMMs or attention: the 2024-10 reason is not carried"
)
_RMIX34_AMD_FIGS = {"l70_s": "19.12", "l70_tflops": "824.9", "l70_err": "+5.7%", "l70_bf16": "+72.1%",
                    "own_bf16": "+11.1%", "own_err": "-27.8%"}
"""The figures of _RMIX34_AMD (tests/test_amd_llama2_log_flops.py computes them)."""
# rtrain5 (s35, 2026-12-06): what amd-mi300x-llama2-7b-fp8's entry appends, the brief's amax-history lead sized;
# figures recomputed by tests/test_amd_llama2_log_flops.py (test_the_amax_history_length_costs_microseconds)
_RTRAIN5_AMD = (
    ". Examined 2026-12-06 (s35, rtrain5; figures recomputed by tests/test_amd_llama2_log_flops.py), ruled out: the "
    "FP8 recipe's amax history, 1024 rows here (train_llama2.sh's --fp8-amax-history-len 1024 --fp8-amax-compute-algo "
    "max) against 16 in the Infinity Hub v25.2 FP8 rows the model hits. Transformer Engine keeps per module an fp32 "
    "history of [length, 3 x GEMMs] forward and [length, 2 x GEMMs] backward (module/base.py set_meta_tensor, code "
    "index id 3448940715) and updates the scales at the outermost fp8_autocast exit and once per backward, one "
    "all-reduce of the current amaxes (one row, whatever the length) and one fused update over the histories (fp8.py "
    "fp8_autocast_exit, code index id 1158595684): the length sets only the bytes that update reads and rewrites, "
    "{run_mb} MB a step here (8 micro-batches x a forward and a backward update, 32 layers x 4 GEMMs) against {ih_mb} "
    "MB at 16, {us} us at the MI300X's 5.3 TB/s against the row's {gap_s} s gap ({share} of it)"
)
# ramd (s36, 2026-12-06): what amd-mi300x-llama2-7b-fp8's entry appends, the brief's 'author's BF16 twin' lead: the
# author's other scripts of this stack read; figures recomputed by tests/test_amd_llama2_log_flops.py
# (test_the_authors_later_scripts_keep_the_rows_per_gpu_work_and_log_nothing)
_RAMD36_AMD = (
    ". Examined 2026-12-06 (s36, ramd; figures recomputed by tests/test_amd_llama2_log_flops.py), still no checked "
    "reason: no BF16 twin by this author exists, so the FP8 / BF16 ratio the author measured cannot be formed. Every "
    "stored file of hisohara/ai-scripts listed (38 paths) and its training scripts read: 02_megatron's later scripts "
    "(run_llama2-1node.sh, run_llama2-2nodes.sh at 3c1f70c63c95dff075b2a5d5530140272b9d41ab) keep TE_FP8=1, MBS 4 "
    "and SEQ_LENGTH 4096 and set USE_FLASH_ATTN=1 GEMM_TUNING=1 (the ROCm docs' command; the README: 'As the "
    "baseline, flash attention and grouped GEMM are not installed yet. They'll be evaluated later.'), the 2-node one "
    "BS 512 on {gpus_2n} GPUs, the row's {seqs} sequences a rank in {mbs_n} micro-batches of 4, which the model "
    "predicts at {pred_2n} s against the row's {pred_s} s, but no stored file logs either run; "
    "training/megatron-aac/1_megatron_install.sh (9c2f7c6297a5ceea9b632203dc8021f71dc7723d, after ROCm/Megatron-LM's "
    "Dockerfile_rocm.dev) builds the ROCm/flash-attention v2.7.3-cktile and grouped_gemm the baseline lacked, with no "
    "log either; the one BF16 script of this venv stack (run_llama3-70B.sh at "
    "ffdb0616f8fcbd1baf0c331ddc0b7c258757eec5: TE_FP8=0, Llama 3.1 70B, FSDP=1, RECOMPUTE=1, MBS 3, BS 24, seq "
    "8192, {l70_mb} micro-batch a rank on one node) has no log; 03_primus's logged runs pass --fp8 hybrid for both "
    "Llama 2 sizes and the third is Mixtral 8x7B on MI325X (RUN.sh at 4fb66ab5ffd47c65105d3125ca02a482fdebf701); "
    "04_megatron-pyxis is the FP8 70B run above and 05_finetuning-LoRA a LoRA script with no log. The model's "
    "BF16 / FP8 step ratio for this row is {model_ratio}x ({bf16_s} s against {pred_s} s) and the published step "
    "is {pub_over_bf16} of the model's BF16 step: the run got some of the FP8 gain the model gives, how much of it "
    "no same-stack BF16 measurement says. AMD's own harness has the twin as a command, not a figure: ROCm/MAD "
    "scripts/megatron-lm/megatron-lm_benchmark_report.sh (stored at 3ffb14126c97ef5863c3e31f2555b53859e11bfc) runs "
    "Llama-2-7B FP8 in the row's cells (MBS=4 BS=256 TP=1 TE_FP8=1 SEQ_LENGTH=4096 MODEL_SIZE=7 FSDP=0 "
    "TOTAL_ITERS=50, train_llama2.sh in the container's /workspace/Megatron-LM) and BF16 with TE_FP8=0, and its "
    "Llama-3.1-70B line is the author's run_llama3-70B.sh (MBS 3, BS 24, FSDP 1, RECOMPUTE 1, TE_FP8 0): the author "
    "ran AMD's benchmark commands outside the container; the harness writes its results to perf_<model>.csv, none of "
    "which is stored (the repository's stored CSVs are vLLM configs and one Kimi log), so AMD's FP8 / BF16 pair for "
    "these cells stays on amd.com's training tab, not read. Also sized: ROCm/rocm-libraries #12213 (2026-09-16) "
    "times CK's FmhaBwdOGradDotO (D = rowsum(dO x O), the backward's preprocess) on MI300X at 32.4x / 20.8x "
    "AOTriton's equivalent kernel (a 2026 CK tree, non-causal with a mask; its shapes not in the excerpt read); at "
    "this row's shape it streams {odo_mb} MB a call, {odo_s} s a step were it at the model's memory rate, so even "
    "32.4x that is {odo_32} s of the {gap_s} s gap: that kernel at that ratio is not the miss; and the brief's "
    "FP8 weight cast: the linears' {cast_w} G weights read in bf16 and written in FP8 (3 B each, the amax taken in "
    "the same pass under delayed scaling) once a micro-batch at most (Megatron's is_first_microbatch lets TE reuse "
    "the cast; whether 8c4a512 does is not established, so the bound) are {cast_s} s a step at the model's memory "
    "rate, {cast_share} of the gap"
)
_RAMD36_AMD_FIGS = {"gpus_2n": "16", "seqs": "32", "mbs_n": "8", "pred_2n": "7.41", "pred_s": "7.40",
                    "bf16_s": "11.39", "model_ratio": "1.54", "pub_over_bf16": "0.90", "l70_mb": "1",
                    "odo_mb": "271", "odo_s": "0.016", "odo_32": "0.53", "gap_s": "2.85", "cast_w": "6.48",
                    "cast_s": "0.037", "cast_share": "1.3%"}
"""The figures of _RAMD36_AMD (tests/test_amd_llama2_log_flops.py computes them)."""
# ramd (s33, 2026-12-06): what sglang-mi355x-qwen3-8b-tp1-fp8-b64-8192-1024-tput's entry appends, the benchmark command
# against the row's cells and the same stack's bf16 pair; figures recomputed by tests/test_serving_new_families.py
# (test_qwen_benchmark_command_and_the_bf16_pair)
_RAMD33_SRV = (
    ". Examined 2026-12-06 (s33, ramd; figures recomputed by tests/test_serving_new_families.py), still no checked "
    "reason: (1) the benchmark is what the cells say: the InferenceX fork's random dataset (SemiAnalysisAI/InferenceX "
    "utils/bench_serving/benchmark_serving.py at 086eabbe, a stored tree whose order against the page's is not known) "
    "re-encodes each prompt to its target length (up to 10 tries, padding or cutting) and at random_range_ratio 1 "
    "draws every input 8192 and every output 1024 tokens; its warm-ups (8 copies of the first prompt) are awaited "
    "before benchmark_start_time; the timed run is 192 requests under a {conc}-slot semaphore, {waves} waves, and "
    "output_throughput is their output tokens over that window ({wave_s} s a wave at the published rate); the "
    "launch's KV pool holds the wave {kv_x}x over (the model's largest batch at the row's 0.578, {max_batch}; the "
    "page: '4-5x larger than it needs'), so no admission limit or retraction; (2) the same stack's bf16 pair: the "
    "Llama 3.1 8B page's stock run (2640.6 tok/s, same SGLang 0.5.17 container, launch and workload) against this "
    "row's is {pub_ratio}x published and {model_ratio}x in the model, whose fp8 gain is {excess}x the published; with "
    "Qwen's prefill at the Llama trace's measured / modelled prefill ratio ({pf_ratio}x, carried, not measured for "
    "Qwen) the published wave leaves {q_step} ms a decode step, {q_over}x the model's {q_model} ms, where the Llama "
    "trace's step is {l_over}x the model's: the excess is in the fp8 row's decode, where the unified-attention path "
    "above runs, as the note's rest says; (3) the bf16 twin's measured rates carried whole: with decode_bandwidth_"
    "efficiency {bw} and prefill_compute_efficiency {pf} (where the model's Llama wave takes the trace's 17.28 ms "
    "decode step and {trace_prefill} s prefill; [serving.default] 0.69 / 0.60) this row is still {carried_err} "
    "(decode step {carried_step} ms): a [serving] table for the family taken from that stack's bf16 run would "
    "not bring it within 25%, so what is left is in the fp8 path; no source times that path"
)
_RAMD33_SRV_FIGS = {"conc": "64", "waves": "3", "wave_s": "18.0", "kv_x": "3.9", "max_batch": "247",
                    "pub_ratio": "1.38", "model_ratio": "1.77", "excess": "1.28", "pf_ratio": "1.28",
                    "q_step": "13.51", "q_over": "1.51", "q_model": "8.92", "l_over": "1.08", "bw": "0.637",
                    "pf": "0.453", "trace_prefill": "7.17", "carried_err": "+29.2%", "carried_step": "9.67"}
"""The figures of _RAMD33_SRV (tests/test_serving_new_families.py computes them)."""
# rmix (s34, 2026-12-06): what sglang-mi355x-qwen3-8b-tp1-fp8-b64-8192-1024-tput's entry appends, the decode and prefill
# kernels of SGLang 0.5.17's vectorized_5d path; figures recomputed by tests/test_serving_new_families.py
# (test_qwen_decode_runs_pa_decode_gluon_and_the_rate_the_rest_asks_of_it)
_RMIX34_SRV = (
    ". Examined 2026-12-06 (s34, rmix; figures recomputed by tests/test_serving_new_families.py), a correction and "
    "still no checked reason: (1) the decode attention is not the unified attention named above: SGLang 0.5.17's "
    "AiterAttnBackend.forward_decode (sglang/srt/layers/attention/aiter_backend.py of the PyPI sglang 0.5.17 wheel; "
    "the container's own tree not read) tests the vectorized_5d KV layout before SGLANG_USE_AITER_UNIFIED_ATTN, and "
    "the page sets SGLANG_AITER_KV_CACHE_LAYOUT=vectorized_5d, so every decode step runs aiter's Gluon paged-attention "
    "decode, pa_decode_gluon (aiter_utils.forward_decode_vectorized_5d: bf16 query and compute type, the fp8 cache "
    "read with per-tensor scales, 256-token context partitions, max_part_num = get_recommended_splits(64, 8) = "
    "{splits} at 2 x {cus} CUs over {pairs} (sequence, KV head) pairs: {ctas} CTAs, {per_cu} a CU, each walking a "
    "whole context); the unified kernel's leads (its fp8 upcast, aiter PR #4676; FP8 queries for it, SGLang PRs "
    "#31646 / #31856) concern a path this run did not take; (2) the prefill kernel carried above is 0.5.17's for "
    "every prefill batch without a cached prefix: its forward_extend_vectorized_5d sends such a batch as bf16 k, v to "
    "aiter's mha_batch_prefill_func at page size 1, the function the bf16 Llama row's NHD path calls; a batch holding "
    "a prompt's continuation takes its gather path (the fp8 K/V gathered from the 5D pool, then the same function), "
    "which two whole 8192-token prompts to a 16384-token chunk avoid unless the server adds a token to each, as the "
    "Llama page's BOS does (whether Qwen3's tokenizer adds one was not read); (3) "
    "what the rest asks of the decode kernel: the model's mean decode step reads {kv_gb} GB of fp8 KV cache ({kv_ms} "
    "ms at its {model_tbs} TB/s); the rest, {rest_ms} ms a step if all there, puts pa_decode_gluon at {need_tbs} TB/s, "
    "{need_pct} of the {peak_tbs} TB/s peak, where the bf16 stack's paged_attention_ragged read its cache at "
    "{llama_tbs} TB/s; no source times pa_decode_gluon at fp8 KV, page 64, batch 64 and 8-9k tokens of context "
    "(searched 2026-12-06: aiter PRs #1284, #1383, #4382); (4) sized, not adopted: the bf16 trace's two itemised "
    "terms the model does not charge, carried as one [serving] table for the family would carry them to its three "
    "rows (the launch-bound small kernels, 1154 us a decode step, as per_step_overhead_s; the prefill attention at "
    "the trace's measured rate, attention_compute_efficiency {attn_eff}), put this row at {q_both} ({q_small} / "
    "{q_attn} with one alone) and the Llama rows at {l_tput} (throughput; its decode step {l_step} ms against the "
    "trace's 17.28) and {l_tpot} (TPOT); these are the trace's own items, a fixed cost a step and an attention rate, "
    "which weigh more on this row's fp8 bytes than s33's carrying of the trace's whole decode step and prefill as "
    "rates (+29.2%, above); not adopted here: a [serving] table is fitted on declared rows by a rule "
    "(tests/test_serving_fits.py), the serving calibration has no form for values derived from a trace, and the "
    "Llama rows would then be judged by values read from their own run"
)
_RMIX34_SRV_FIGS = {"attn_eff": "0.268", "q_both": "+22.6%", "q_small": "+32.0%", "q_attn": "+34.1%",
                    "l_tput": "+3.0%", "l_tpot": "-16.0%", "l_step": "17.10",
                    "splits": "1", "cus": "256", "pairs": "512", "ctas": "512", "per_cu": "2", "kv_gb": "41.1",
                    "kv_ms": "7.44", "model_tbs": "5.52", "rest_ms": "1.79", "need_tbs": "4.45", "need_pct": "56%",
                    "peak_tbs": "8.0", "llama_tbs": "5.78"}
"""The figures of _RMIX34_SRV (tests/test_serving_new_families.py computes them)."""
# gb300 (2026-12-05): which side of the pair carries the recipe term, recomputed by tests/test_gb300_dense_gap.py. It
# replaces the clause that ended _GB300_RECIPE, "by the source's costs the recipe term lies in the FP8-CS rows' time
# outside the quantize pass, not in an MXFP8 cost": the same-layout pairs below put it in the MXFP8 rows' time.
_GB300_RECIPE_SIDE = (
    "; which side carries the recipe term (gb300, 2026-12-05; recomputed by tests/test_gb300_dense_gap.py): the eight "
    "same-layout FP8-CS / MXFP8 pairs of the tables (25.11 and 25.09 B200 / GB200 Llama 3 8B and B200 405B, 25.11 "
    "GB300 8B, 26.02.01 GB300 405B) publish the MXFP8 step 1.021x to 1.079x the FP8-CS one where the model gives "
    "0.977x to 0.988x; on the six B200 / GB200 pairs the FP8-CS rows are -1.8% to +4.4% (one a fit row) and the MXFP8 "
    "rows -9.7% to -1.0% (FP8-CS -3.0% to +4.4% before rgb300's cudnn_before_9_17 cell, 2026-12-05; -2.6% to "
    "+4.4% before rcudnn2's on the 25.11 rows, 2026-12-05); on GB300 both "
    "are too slow, FP8-CS +14.6% / +23.8% and MXFP8 +8.2% / +13.3% (8B / 405B) (the 8B rows +10.0% / "
    "+3.8% before rcudnn2's cudnn_before_9_17 cell on the 25.11 rows, 2026-12-05). "
    "So the term is a cost the model lacks in MXFP8's time (no cited rate for it), not one it over-charges in "
    "FP8-CS's, and it does not explain these FP8-CS rows' error. Nor can a current-scaling cost take it out: "
    "the Blackwell fp8 rule fits three FP8-CS rows, so the declared re-fit takes back any FP8-CS cut: "
    "FP8-CS charged only delayed scaling's fused cast re-fits fp8_matmul_eff_max 0.50 -> 0.48 and leaves these six "
    "rows at +23.7% to +31.2% (now +22.7% to +31.3%); FP8-CS's quantize charged nothing at all, the bound of every "
    "current-scaling mechanism, re-fits 0.46 and leaves them at +22.5% to +29.9% (rcudnn2, 2026-12-05: the "
    "first +22.3% to +31.2%, now +20.8%, before its cudnn_before_9_17 cell on the 25.11 rows). Their error is left "
    "to the GB300 / "
    "405B-layout term above"
)
_GB300_RECIPE = (
    "; the recipe split (gb300, 2026-12-04; recomputed by tests/test_gb300_dense_gap.py): from 26.02 to 26.06 the "
    "published MXFP8 405B step is longer than the FP8-CS one in every table, on GB300 1.061 / 1.079 / 1.070 / 1.067 / "
    "1.101x and on GB200 1.009 / 1.055 / 1.062 / 1.040 / 1.077x, where the model's MXFP8 step is the shorter (GB300 "
    "0.953x at the two layouts, 0.988x at the 26.02.01 pair's identical cells, TP 2, CP 2, VP 4; GB200 0.977x): a "
    "recipe term the model has backwards on both systems, inside every FP8-CS row's error; the GB300 MXFP8 rows are "
    "still +11.1% to +15.6% where GB200's are -0.2% to +3.0%, so a GB300 term remains at either recipe. No mechanism "
    "adopted: no cited cost of Transformer Engine's current-scaling vs MXFP8 path on Blackwell was found (issues: "
    "'MXFP8 slower than FP8 current scaling Blackwell Transformer Engine'; OneTrainer PR #1686 reports plain FP8 "
    "GEMMs slower than MXFP8 on its Blackwell GPU, the opposite direction); the recipes' costs read from Transformer "
    "Engine (recipe, 2026-12-04; recomputed by tests/test_gb300_dense_gap.py): normalization.cpp @01a4d04 keeps the "
    "fused norm + cast for delayed scaling only, FP8-CS runs the norm in 16 bit, an amax pass (all-reduced over the "
    "amax group where set) and a cast, MXFP8 one pass writing the row- and column-wise copies: the model's 5 B in two "
    "kernels against 4.06 B in one, as the source has it, in MXFP8's favour; charging FP8-CS only delayed scaling's "
    "fused cast (3 B, one kernel, no amax pass) gives the 26.02.01 GB300 pair 1.009x (published 1.079x; GB200 "
    "1.008x) and the FP8-CS row +23.8% -> +21.1%; MXFP8 GEMMs first swizzle both operands' scales (gemm.cpp "
    "swizzle_scaling_factors) unless the quantizer wrote them in the GEMM layout (optimize_for_gemm; which release "
    "of the containers sets it was not established): the scale swizzle charged in full (2 more kernels and 4/32 B "
    "per MXFP8 input element) gives 0.998x and the MXFP8 row +13.3% -> +14.5%; an MXFP8 GEMM rate of 0.90x the FP8 "
    "peak would give the published ratio, and would move the MXFP8 row +13.3% -> +23.8%, with no source for such a "
    "rate (the catalog's Blackwell FP8 peak is one figure for both). No mechanism adopted"
    f"{_GB300_RECIPE_SIDE}"
)
# rblackwell (2026-12-05): r405's lead adopted (each Blackwell device's fused attention core at its measured cuDNN
# rates, the Blackwell fp8 rule re-run 0.46 -> 0.50); figures recomputed by tests/test_blackwell_fused_attention.py
_RBLACKWELL_MOVES = {"mb2604-gb300-llama31-405b-fp8": "+37.1% -> +29.8%",
                     "mb260401-gb300-llama31-405b-fp8": "+35.5% -> +28.3%",
                     "mb2606-gb300-llama31-405b-fp8": "+38.7% -> +31.3%"}


def _rblackwell(rid: str) -> str:
    return (
        "; the fused attention core at cuDNN's own measured rates, each Blackwell device its own (r405's lead, adopted "
        "2026-12-05 by rblackwell; catalog measured_fused_attention_flop_per_s, NVIDIA/cudnn-frontend "
        "sdpa_benchmark_training, 8192 causal, forward / backward: B200 cuDNN 9.10.2 1197 / 940, GB200 9.18.1 1563 / "
        "1279, GB300 9.18.1 1927 / 1391 TFLOP/s, 0.53-0.77 of the bf16 peak where the GEMM curve charged 0.74; B300 "
        "unmeasured, on the curve), with the Blackwell fp8 rule re-run 0.46 -> 0.50 as calibration.toml declares it "
        "(recomputed by tests/test_blackwell_fused_attention.py): held-out median 5.73% -> 5.58%, 239 -> 242 within "
        f"6%, 45 -> 41 beyond 25% (46 -> 42 before rtpuaxis's TPU ICI axis shares); this row "
        f"{_RBLACKWELL_MOVES[rid]}, still beyond 25%, while mb-gb300-llama31-405b, "
        "mb2602-gb300-llama31-405b-fp8 and mb260201-gb300-llama31-405b-fp8 (TP 2 CP 2 or the 26.02 table) came within "
        "(+20.8%, +23.7%, +23.8%): these TP 4, CP 1 rows of 26.04 / 26.04.01 / 26.06 keep the GB300 factor above "
        "(no GB300 GEMM, clock or power measurement found); the rates hold across cuDNN versions (9.22 on GB300, "
        "results/llama3.1/gb300 of 2026-04-24: 1856 / 1435, within 4%). The gb300 examinations' figures above are "
        "recomputed at the adopted rates; four of their claims no longer hold and are strict xfails with the figures "
        "in tests/test_gb300_dense_gap.py (attention removed leaves +12.9% to +21.3%, not all beyond 20%; the exponent "
        "term would bind on GB200 only; the FP8-CS fit row is +4.4%; a delayed-scaling-only cast re-fitted leaves "
        "+22.3% at the least). Figures above quoted before the adoption keep their date; the row's error is the "
        "one here"
    )


# rgb300 (2026-12-05): the GB300 factor of the three TP 4, CP 1 rows read as one ratio per table, beside a second
# framework's figures; recomputed by tests/test_gb300_dense_gap.py (test_the_unexplained_entries_quote_the_gb300_ratio)
_RGB300 = (
    "; examined 2026-12-05 (rgb300; figures recomputed by tests/test_gb300_dense_gap.py), no mechanism found: (1) "
    "the published GB200 / GB300 step ratio of this 405B FP8-CS benchmark is one figure in the six tables (25.11 to "
    "26.06), 1.229 / 1.246 / 1.252 / 1.230 / 1.231 / 1.243, at GB300's TP 2, CP 2 and TP 4, CP 1 alike, where the "
    "model gives 1.091 and 1.052; so the TP 4, CP 1 rows' excess over the TP 2, CP 2 ones is the model's layout term "
    "(its TP 4 step 2.0% longer), not a published one, and the factor itself did not move with any release (the 70B "
    "FSDP benchmark's did, above); (2) the 25.11 Llama 3 8B FP8 pair, whose cells differ in the device alone, "
    "publishes 1.192 where the model gives 1.058 (GB300 +14.6%, GB200 +1.7%) (rcudnn2, 2026-12-05: "
    "1.090, 3.6%, 1.055, +10.0% and -2.6% before the 25.11 rows' cudnn_before_9_17 cell): the same GB300 factor "
    "at one set of "
    "cells, with no layout, memory or release in between; (3) a second framework publishes it too: NVIDIA's blog "
    "'Train Models Faster with JAX and MaxText Using NVFP4 on NVIDIA Blackwell' (2026-06-09) gives FP8 baselines of "
    "Llama 3.1 405B 210.3 vs 155.7 (1.351x) and Llama 3 8B 175.9 vs 149.7 (1.175x) per GPU on GB300 vs GB200 (as "
    "printed in the copy at agenticdaily.ai, its 'TF/s per GPU' a tenth of the blog's TFLOP/s; the stored NVIDIA page "
    "stops before its table, and the 'identical hyperparameters, batch size, and parallelism' it reports compares FP8 "
    "with NVFP4, not the two systems), so the lead is not a Megatron-Bridge recipe's; (4) HBM3e 288 GB: the V2 "
    "presets differ in PP 8 (GB300) vs 16 (GB200) alone, both without recompute, offload or CUDA graphs (r405, "
    "llama31_workload_base_configs.py at 0013c9a), and the model charges that as a 0.57 s vs 0.68 s pipeline bubble; "
    "the TP userbuffers are the same on both (the rows' one tp_overlap_cfg, no GB300-only flag beyond the layout, "
    "above), and the FP8 peak, exponent-rate and MXFP8 / FP8-CS leads are examined above; (5) nor GEMM software or "
    "SM count: facebookexperimental/triton PR #2768 (2026-08-06) finds cuBLASLt 13.1.1 choosing on GB300 (sm_103) "
    "the plans it chooses on sm_100 for all 496,906 shapes it reconstructs, with an occupancy cap of 9728 output "
    "elements = 152 SMs x 2048 threads / 32, 'the same as GB200's', so a GB300 GEMM runs GB200's kernels on as many "
    "SMs. What the factor is made of (a sustained clock at GB300's higher power "
    "limit is the candidate the sources name, with no figure) stays unmeasured: no GB300 GEMM rate is stored"
)


# rgb300, session 31 (2026-12-05): GB300's cited SM count as a GEMM-rate factor, sized and not adopted; recomputed by
# tests/test_blackwell_rate_leads.py (test_gb300_gemms_at_the_sm_ratio_as_quoted)
_RGB300_SM = (
    "; examined 2026-12-05 (rgb300, session 31; figures recomputed by tests/test_blackwell_rate_leads.py), a lead, not "
    "adopted: the catalog cites 160 SMs for GB300 (blackwell-ultra-blog) and 148 for GB200 (cnc-b200) at equal dense "
    "FP8 / BF16 peaks; GB300's GEMM efficiencies scaled by 160 / 148 = 1.081 (equal per-SM rates at equal sustained "
    "clocks) would move mb2604 / mb260401 / mb2606-gb300-llama31-405b-fp8 +29.8% / +28.3% / +31.3% -> +22.1% / "
    "+20.7% / +23.5%, but also mb-gb300-llama3-70b +1.5% -> -4.1% and mb-gb300-gptoss-120b -38.2% -> -40.4% "
    "(rcudnn2, 2026-12-05: -1.2% -> -6.9% and -39.4% -> -41.7% before the 25.11 rows' cudnn_before_9_17 cell); the "
    "factor contradicts the datasheet's equal peaks, and triton PR #2768 (above) reads cuBLASLt's GB300 occupancy cap "
    "as 152 SMs, GB200's count, so which SM count a GEMM runs on is not established: a guess, not a reason"
)



# rgb300, session 32 (2026-12-05): the three rows' excess split into a GB300 factor and a 405B factor, each carried by
# a row within 25%; recomputed by tests/test_gb300_405b_split.py (test_the_entries_quote_these_figures)
_RGB300_S32 = (
    "; examined 2026-12-05 (rgb300, session 32; figures recomputed by tests/test_gb300_405b_split.py), no mechanism "
    "found; the excess splits into two factors, each carried by a row within 25%, their product near the row's error "
    "(one step = the same table's GB300 70B FP8-CS error x its GB200 405B FP8-CS error over its GB200 70B FP8-CS "
    "error): mb2604: GB300 70B +14.6%, GB200 70B -4.4% (x1.199), GB200 405B +11.0% (x1.161); product +33.0%, the row "
    "+29.8%; mb260401: GB300 70B +17.5%, GB200 70B +0.4% (x1.170), GB200 405B +9.7% (x1.092); product +28.3%, the "
    "row +28.3% (the 26.06 table has no 70B FP8-CS pair). The first factor is the GB300 one of the 70B pair above "
    "(_GB300_GAP); the second is on GB200, the fit rows' device, and belongs to FP8-CS at 405B: GB200's 405B MXFP8 "
    "rows, the same TP 4 / PP 16, are +2.1% / +3.0% (the recipe split above, which the model has backwards), and "
    "B200's 25.11 405B FP8-CS row (TP 4, PP 8, CP 2, VP 8, GBS 64) is -1.8%, so it is the V2 layout's, not the "
    "model size's. Neither "
    "factor alone puts GB200's 70B row beyond 25%. What carries these three rows across 25%: the 26.02 row (+23.7%) "
    "has these cells and the same predicted step (61.56 s); the published step moved 49.75 -> 47.44 / 48.00 / 46.90 "
    "s (-4.6% / -3.5% / -5.7%) and GB200's twin's 61.98 -> 58.38 / 59.08 / 58.31 s (-5.8% / -4.7% / -5.9%), a gain "
    "of the later releases on both devices with no cell to carry it (the FP8_CS_V2 presets are the same in both "
    "stored versions of llama31_workload_base_configs.py, 3d277f6 and 0013c9a, and llama31_llm_pretrain.py at "
    "0013c9a sets no GB300-only switch beyond the FSDP ones, off in V2; which commit each release ran was not "
    "established). The SM-ratio lead (above) loses its premise on the one measured Blackwell Ultra GEMM rate: the "
    "MAMF table's B300 (160 SMs by the catalog) measures FP8 3353.3 TFLOP/s, 0.745 of its 4.5 PFLOP/s peak, against "
    "B200's (148) 0.763: x0.977, not x1.081 (at 1100 vs 1000 W); a FlashAttention-4 analysis of a Blackwell Ultra "
    "part (code index id 67119189561: 'NVIDIA GB300 SXM6 AC (SM 10.3, 2070 MHz max boost, 148 SMs, 1300W)') reports "
    "148 SMs and 'MMA throughput is unchanged vs SM100', and three stored reports of HGX parts read 'NVIDIA B300 SXM6 "
    "AC' with 148 SMs from the device (code index ids 61424822485, 70361081376, 59706846006), where the catalog cites "
    "the blog's 160 for B300 and GB300 (a count that enters only the userbuffers SM share: 148 for GB300 leaves these "
    "three rows at +29.8% / +28.3% / +31.3%). Searched again for a GB300 GEMM rate (issues: 'GB300 FP8 "
    "GEMM TFLOPS measured benchmark', 'GB300 vs GB200 matmul TFLOPS cuBLAS fp8 measured same shape'; code: 'B300 vs "
    "B200 GEMM throughput sm_103 FP8 TFLOPS'; pages: 'Blackwell Ultra GB300 training performance per GPU vs GB200 "
    "FP8'; the MAMF table's TDP section lists GB300 1400 W but no GB300 GEMM row): none found"
)

# roffload, session 32 (2026-12-05): the Blackwell fp8 rule's GB200 fit rows' CPU offload sized as the lead rgb300
# left it; recomputed by tests/test_blackwell_cpu_offload.py (test_the_entries_quote_these_figures)
_ROFFLOAD_S32 = (
    "; examined 2026-12-05 (roffload, session 32; figures recomputed by tests/test_blackwell_cpu_offload.py), "
    "the lead that the Blackwell fp8 rule's GB200 fit rows hide a CPU-offload cost in fp8_matmul_eff_max, which "
    "would then slow every non-offloaded Blackwell FP8 row such as this one: the copies are activations only "
    "(Megatron-Bridge's performance scripts set cpu_offloading_weights False beside cpu_offloading_num_layers, code "
    "index id 3389375936), one per offloaded layer, scheduled by Transformer Engine (before TE PR #1762: "
    "AsyncDoubleBufferGroupOffloadHandler's layer_window_map, a stored copy at code index id 57991197860; after: the "
    "OffloadSynchronizer of TE PR #1762, transformer_engine/pytorch/cpu_offload.py @00382b96; which one the 26.02 "
    "container's TE 2.12 runs was not established, both simulated) over NVLink-C2C, '900 GB/s bidirectional per "
    "link' with a Grace CPU paired with two GPUs (TE docs cpu_offloading.rst @080c0dcc): "
    "the GB200 fit rows (mb260201 / mb2602-gb200-llama3-70b-fp8) offload 40 of 80 layers, 3.89 GB a layer a "
    "micro-batch (the model's saved set), against 15.0 ms forward / 31.4 ms backward a layer; per GPU each way (own "
    "link 450 GB/s: 8.6 ms a copy, exposed a step 0.0 ms (TE before #1762) / 0.0 ms (the OffloadSynchronizer); "
    "shared link 225 GB/s: 17.3 ms a copy, exposed a step 4.7 ms (TE before #1762) / 0.0 ms (the "
    "OffloadSynchronizer)); TE before #1762 gives each copy L / N = 2 layers' forward, the first copy one, and "
    "exposes anything only below 261 GB/s, "
    "the OffloadSynchronizer below 134 GB/s; GB300's twin (20 layers, windows of 4) below 93 / 71 GB/s. So the "
    "link time is hidden. What the copies can still cost is HBM bandwidth, which TE's docs call unlikely to affect "
    "compute-bound GEMMs (memory-bound kernels may notice it); no figure for it was found, so only a bound: "
    "the copies' HBM traffic, 623 GB a step, is 97 ms at GB200's 6.4 TB/s (1.3% of the 7.56 s step) if every "
    "byte stalled a kernel; charged in full to the two GB200 fit rows the rule re-run gives fp8_matmul_eff_max "
    "0.50 -> 0.52 (fit rows +4.4% / +0.6% / -6.8% -> +2.2% / -1.0% / -8.2%), which would move "
    "mb2604-gb300-llama31-405b-fp8 +29.8% -> +25.8%, mb260401-gb300-llama31-405b-fp8 +28.3% -> +24.4%, "
    "mb2606-gb300-llama31-405b-fp8 +31.3% -> +27.3% (1 of the three within 25%); the rule leaves 0.50 unless the "
    "copies cost the fit rows 86 ms a step or more (88% of that bound). That bound is not a cost (most of the step "
    "is GEMMs), so nothing was adopted; the offload explains at most about 4 points of these rows' excess, not the "
    "GB300 factor"
)

# r405b, session 33 (2026-12-06): the TE cross-entropy lead re-run through the Blackwell fp8 rule, the recipe re-read,
# and the launch knobs; recomputed by tests/test_gb300_405b_tece_recipe.py (test_the_entries_quote_these_figures)
_R405B_S33 = (
    "; examined 2026-12-06 (r405b, session 33; figures recomputed by tests/test_gb300_405b_tece_recipe.py), no "
    "mechanism found: (1) Transformer Engine's cross-entropy (runs-file te_cross_entropy; every Megatron-Bridge "
    "performance run, _set_common_perf_overrides in scripts/performance/utils/overrides.py @00538e2, the Blackwell "
    "fp8 rule's three fit rows among them): the declared rule re-run with the cell on every Megatron-Bridge row gives "
    "fp8_matmul_eff_max 0.50 (mean |error| 3.52% against 4.38% / 4.38% at 0.48 / 0.52), fit rows +4.4% / +0.6% / "
    "-6.8% -> +3.2% / +0.4% / -6.9%; these three rows stay at +29.8% / +28.3% / +31.3% (the loss runs on the "
    "15-layer last stage, the step waits for the 16-layer middle ones), so the lead neither moves them nor, at an "
    "unchanged 0.50, the held-out figures tests/test_te_cross_entropy_lead.py quotes for it; (2) the recipe re-read "
    "(llama31_workload_base_configs.py and llama31_llm_pretrain.py @0013c9a): GB300 FP8_CS_V2 is the V1 FP8-CS "
    "preset with TP 4, PP 8, CP 1, VP 4, 256 GPUs, GBS 1536, use_megatron_fsdp False, cpu_offloading_num_layers "
    "None, and no CUDA-graph, recompute or nccl_ub key (WorkloadBaseConfig: None, micro_batch_size 1); "
    "llama31_405b_pretrain_config_gb300 and _gb200 differ only under FSDP (off here), both take "
    "userbuffers_fp8_b200_h16384_tp4_cp2_mbs1_seqlen8192 and grad_reduce_in_fp32 False; the rows' cells match; the "
    "DGX Cloud benchmarking launch script of the 26.04.00 container (code index id 58540004492) runs DTYPE fp8, "
    "FP8_RECIPE cs, CONFIG_VARIANT v2 with ENABLE_VBOOST false by default and no GB300-only setting (its per-GPU "
    "lines are B200 / B300 GBS, B300 NCCL QPS and 70B MXFP8); (3) the clock: the performance scripts can enable "
    "VBoost and lock the graphics clock (scripts/performance/argument_parser.py @0011064: --enable_vboost, 'steers "
    "more power towards tensor cores. Disabled by default', --lock_gpu_freq, default None; a stored "
    "configure_slurm_gpu_tuning, code index id 57737485001, runs 'nvidia-smi boost-slider --vboost 1', 'nvidia-smi "
    "-lgc' and '-lmc' for them), none of them by default, and the performance summary does not say that either table "
    "used one, so no per-device clock setting is established; (4) the later releases' gain on both devices "
    "(26.02 -> 26.04 / 26.04.01 / 26.06, above) comes with Transformer Engine 2.12 -> 2.14, CUDA 13.0.2 -> 13.1.1, "
    "cuDNN 9.18.0.50 -> 9.20.0.48 and Megatron Core 0.16 -> 0.17 (docs/releases/software-versions.md @2075a5b8); "
    "which of them carries it was not established; (5) the one measured GB300 / GB200 rate pair on record, the softmax "
    "blog's MUFU.EX2 loop (above), is 10,024 / 4,943 = 2.028x against the spec tables' 10.7 / 5 = 2.140x: over the "
    "blog's 'doubling SFU throughput', GB300's SMs x sustained clock gave 1.014x GB200's in that loop, not the 1.070x "
    "the spec figures carry, so no measured figure puts a clock or SM term near the rows' 1.2x"
)

# rgb300, session 34 (2026-12-06): a GB300 GEMM rate looked for again (clocks, SM counts, two GB300 GEMM tables) and
# sized; recomputed by tests/test_gb300_gemm_rate_leads.py (test_the_entries_quote_these_figures)
_RGB300_S34 = (
    "; examined 2026-12-06 (rgb300, session 34; figures recomputed by tests/test_gb300_gemm_rate_leads.py), no GB300 "
    "GEMM rate adopted: (1) clocks and SMs: max graphics clocks GB300 2070 MHz (facebookexperimental/triton PR #2023, "
    "2026-07-14, denoise.sh's locked clock at GB300's 1400 W default and max limit), GB200 2062 MHz and B200 1965 MHz "
    "('device-reported maximum SM clock' in the clock-speed table of the MAMF table's own README, the version the "
    "catalog's mamf-* rows cite, code index id 58395098631, where GB300's is 'not disclosed'; ByteDance-Seed/VeOmni PR "
    "#986, 2026-07-28, gives the same two); NVIDIA's GB200 2.5 PFLOP/s dense BF16 "
    "is 148 SMs x 8192 x 2.062 GHz (VeOmni writes 152 SMs; GB300 reads 152 in cuBLASLt's occupancy cap, triton PR "
    "#2768, and 148 in the FlashAttention-4 device line above): GB300's tensor rate at its max clock is 1.004x "
    "GB200's at equal SM counts (1.031x at 152 vs 148); the MAMF table's B200 and GB200 FP8 rows reach 0.720 / 0.723 "
    "of 148 SMs x 16384 FLOP x max clock, so GB200's measured gain over B200 (1.053x) is its clock (1.049x), not its "
    "200 W more; the model already charges GB300 1.055x GB200's FP8 GEMM rate (B200's measured fraction of the peak, "
    "no GB300 measurement), above that ceiling unless GB200 runs these GEMMs below its max clock; (2) the GB300 GEMM "
    "figures found, both from facebookexperimental/triton: PR #740 (2025-12-17, 'Perf number on GB300', tritonbench "
    "gemm, whose Operator's DEFAULT_PRECISION is 'fp16', code index id 12666389718, M = N = 8192, K 512 to 16384, no "
    "locked clock shown) and PR #2023 ('measured cuBLAS GEMM ~617 tflops at 500 W vs ~1600-2174 tflops at 1400 W', "
    "at the locked 2070 MHz, no dtype or shape given): PR #740's GB300 aten_matmul table gives 1596-1812 TFLOP/s, "
    "its top 0.995x GB200's MAMF BF16 (1822) and 0.935x the 1939 the model charges GB300; PR #2023's 2174 is 1.121x "
    "it; (3) sized: GB300's GEMM efficiencies x1.065 (x1.06 leaves mb2606 at +25.4%) bring the three rows to +23.5% / "
    "+22.1% / +24.9%, an FP8 rate of 4062 TFLOP/s, 1.123x GB200's MAMF; held-out median 5.29% -> 5.07%, within 6% "
    "250 -> 254, beyond 25% 35 -> 32 (the GB300 rows' median 11.64% -> 7.61%); PR #2023's figure as GB300's measured "
    "16-bit rate (x1.121 through device_scaled, fp8 on the 16-bit ratio) gives 4.83%, 265, 32 (GB300 5.10%), the "
    "three rows +18.7% / +17.3% / +20.0%, and mb-gb300-gptoss-120b -38.2% -> -41.5%; no other row crosses 25% "
    "either way. Not adopted: PR #2023 states "
    "neither dtype nor shapes, its clock was locked at the maximum (the rows' runs lock none: the performance "
    "scripts' --lock_gpu_freq defaults to None, above), and the same repository's unlocked table (PR #740) puts "
    "GB300 at GB200's measured rate; taking the larger of two conflicting figures because it closes these rows would "
    "be choosing by the rows judged. A GB300 MAMF row (or PR #2023's dtype and shapes) would settle it: the catalog's "
    "measured_matmul_flop_per_s.bf16 / .fp8 on gb300 is the whole change (device_scaled does the rest); (4) the "
    "recipe split: CUTLASS's Blackwell SM100 GEMM page (docs.nvidia.com/cutlass/media/docs/cpp/"
    "blackwell_functionality.html) gives tcgen05.mma kind::f8f6f4 (per-tensor FP8, the FP8-CS recipe's GEMM) and "
    "kind::mxf8f6f4.block_scale (MXFP8) the same throughput, '2x Hopper Fp8 Tensor Core', so the model's one FP8 "
    "peak for both recipes is the instruction table's and the published MXFP8-slower split is no tensor-rate term "
    "(its costs outside the MMA are examined above)"
)

# rtrain5, session 35 (2026-12-06): MLPerf Training v5.1's GB300 / GB200 405B pair, the tables' NVFP4 and LoRA pairs,
# and the model's step split by rate; recomputed by tests/test_gb300_nvfp4_lora_pairs.py
# (test_the_entries_quote_these_figures)
_RTRAIN5_S35 = (
    "; examined 2026-12-06 (rtrain5, session 35; figures recomputed by tests/test_gb300_nvfp4_lora_pairs.py), no "
    "mechanism found: (1) NVIDIA's only GB300 / GB200 Llama 3.1 405B pair of MLPerf Training v5.1 (theia / "
    "tyche_ngpu512, ngc25.09_nemo, 512 GPUs, GBS 1152) is NVFP4 (config_GB300_128x4x72xtp2pp8cp2_cg_fp4 / "
    "config_GB200_128x4x144xtp4pp8cp2_cg_fp4, TP 2 vs 4): steps of 13.15 / 13.16 s against 17.27 / 17.26 s, 1.314 / "
    "1.311x per GPU, 1402 / 1067 tokens/s/GPU (the 26.04 table's NVFP4 rows 1424 / 1136: 0.985 / 0.939 of them), "
    "where GB300's dense NVFP4 peak is 1.5x GB200's and the FP8 peaks are 1.0x; the model has no FP4 training dtype "
    "(plan stops: 'not a training dtype'), so the pair is no cross-check of the FP8 rate (mlcommons/"
    "training_results_v5.1 @4da2d1cd71eb30c855dad12712480ae5ac90dd89: NVIDIA/systems/theia_ngpu512_ngc25.09_nemo.json "
    "'Theia (8x NVIDIA GB300 NVL72)', tyche_ngpu512_ngc25.09_nemo.json 'Tyche (8x NVIDIA GB200 NVL72)', the block "
    "averages of train_step_time in NVIDIA/results/<system>/llama31_405b/result_0.txt; v5.0 has no GB300 system and "
    "every v5.1 NVIDIA 405B and Llama 2 70B LoRA config is '_fp4'); (2) the tables' own 405B NVFP4 rows (26.04 / "
    "26.04.01 / 26.06) put GB300 at 1.254 / 1.216 / 1.212x GB200 per GPU against 1.230 / 1.231 / 1.243x at FP8-CS, "
    "and GB300's NVFP4 row, at the FP8-CS row's layout, at 1.375 / 1.406 / 1.348x its FP8-CS row with 3x the dense "
    "peak; (3) the 26.06 table's LoRA Llama 3 70B FP8 pair, the same cells on 8 GB300 / 8 GB200 (TP 1, PP 2, VP 20, "
    "GBS 32, seq 4096: one NVLink domain, no FSDP, offload or scale-out), publishes 7481 / 6206 tokens/s/GPU, 1.205x "
    "(LoRA rows are not expressible): GB300's lead at identical cells in the newest table, as the 25.11 8B pair's "
    "(above); (4) the model's 61.56 s GB300 step holds 48.65 s that scale with the GEMM rate (dT/d(1/f) at f = 1, f "
    "on both GEMM efficiencies) and 12.91 s else (by the same derivative on each one's rate: 3.95 s the fused "
    "attention core at cuDNN's measured GB300 rates, 5.90 s memory-bound kernels, norms, activations and the FP8-CS "
    "casts; 3.06 s exposed tensor-parallel communication, bubble and the rest); the published steps (47.44 / 48.00 / "
    "46.90 s) are shorter than that GEMM part alone, so no change outside the GEMM rate (or the FLOP count) brings "
    "the model down to them, where the GB200 twin's GEMM part (51.36 of 64.79 s) is 0.880 of its published step; "
    "with the rest as modelled the published steps need GB300's GEMMs at 1.409 / 1.386 / 1.431x the model's rate "
    "(the twins 1.143 / 1.125 / 1.145x), 3522 TFLOP/s in 26.04, 0.974 of GB200's measured MAMF FP8 maximum (3616), "
    "where the GB200 twin needs 2708, 0.749 of it; at that maximum the GEMM part would take 33.64 s and leave 13.80 s "
    "of the published step for the rest, 1.069x the model's: the published steps are matched only if GB300's "
    "training GEMMs run 1.30x nearer the measured maximum than GB200's in the same benchmark (its clock ceiling, "
    "above, gives 1.004-1.031x), less so only as far as the model over-charges GB300's time outside the GEMMs, "
    "which alone cannot reach them"
)

# rmix, session 36 (2026-12-06): MLPerf Training v5.1's same-config Llama 3.1 8B FP8 pairs (GB300 / GB200 at 72 and 512
# GPUs) and a GB300 fp8 GEMM factor fitted on the 72-GPU pair, sized; recomputed by
# tests/test_gb300_mlperf_8b_fp8_pairs.py (test_the_entries_quote_these_figures)
_RMIX36_GB300 = (
    "; examined 2026-12-06 (rmix, session 36; figures recomputed by tests/test_gb300_mlperf_8b_fp8_pairs.py), a lead "
    "sized, not adopted: (1) MLPerf Training v5.1's Llama 3.1 8B FP8 (tensorwise) pair at 72 GPUs, the same config on "
    "GB300 and GB200 (TP 1, CP 2, GBS 36, seq 8192), publishes 0.1462 / 0.1666 s a step, GB300 1.140x GB200 (steps "
    "1368-1710: 0.1477 / 0.1694 s, 1.148x), where the model gives 0.1698 / 0.1770 s (+16.1% / +6.2%), 1.043x "
    "(mlcommons/training_results_v5.1 "
    "@4da2d1cd71eb30c855dad12712480ae5ac90dd89: the theia / tyche_ngpu72_ngc25.09_nemo READMEs name "
    "config_GB300_18x4x1xtp1pp1cp2_8b.sh / config_GB200_18x4x1xtp1pp1cp2_8b.sh, and config_common.sh sets FP8 True, "
    "FP8_RECIPE 'tensorwise'; the steps are the block averages of train_step_time in "
    "NVIDIA/results/<system>/llama31_8b/result_0.txt; the 8-GPU pair is NVFP4, its configs '_fp4'): the same GB300 "
    "lead over the model as these rows', in a second framework, at one NVL72 each, with no pipeline, offload or "
    "scale-out; (2) sized as a rule fitted on that pair alone, not on a runs-file row: GB300's fp8_matmul_eff_max "
    "x1.266 gives the model that ratio and would bring the three rows to +8.2% / +7.0% / +9.5%; held-out median "
    "5.24% -> 4.83%, within 6% 253 -> 266, beyond 25% 34 -> 31 (the GB300 rows' median 11.64% -> 5.48%); no other row "
    "crosses 25% either way; (3) not adopted, because the same submission's 512-GPU FP8 pair (TP 2, CP 4, GBS 64, "
    "the same config on both) publishes 0.0864 / 0.0902 s, GB300 only 1.043x GB200, where the model gives 0.0569 / "
    "0.0610 s (-34.1% / -32.4%), 1.071x, and at x1.266 1.124x; read as a per-step time the model lacks, the same on "
    "both devices (29.5 ms from GB300's row), GB200's row is +0.3% at x1 and +3.3% at x1.266. So the same author's "
    "two FP8 pairs disagree on a GB300 rate factor (1.140x at 72 GPUs, 1.043x at 512; the 512-GPU rows, a third too "
    "fast in the model, are the weaker test), and no device constant is established by them; the GB200 config files "
    "are not stored (the READMEs' names are the evidence that the cells match), nor are config_common_8b.sh and "
    "config_common_cg.sh, and the 72-GPU logs' submission_platform reads '18xNVIDIA GB200' on Theia too (the systems "
    "files say GB300), so the pair rests on the system names"
)

# rgb3, session 37 (2026-12-06): why MLPerf Training v5.1's two same-config 8B FP8 pairs seemed to disagree on GB300's
# lead (the per-GPU work of the two layouts, the forward-only evaluation steps); recomputed by
# tests/test_gb300_mlperf_pair_scaling.py (test_the_entries_quote_these_figures)
_RGB3_S37 = (
    "; examined 2026-12-06 (rgb3, session 37; figures recomputed by tests/test_gb300_mlperf_pair_scaling.py), rmix's "
    "objection answered, no value changed: the same logs (mlcommons/training_results_v5.1 "
    "@4da2d1cd71eb30c855dad12712480ae5ac90dd89, NVIDIA/results/<system>/llama31_8b/result_0.txt; "
    "config_GB300_18x4x1xtp1pp1cp2_8b.sh / "
    "config_GB300_128x4x1xtp2pp1cp4_8b.sh): (1) both layouts give a GPU the same share of every sample's FLOPs (TP 1 x "
    "CP 2 over GBS 36 at 72 GPUs, TP 2 x CP 4 over GBS 64 at 512, MICRO_BATCH_SIZE 1): 4096 vs 1024 tokens a GPU a "
    "step, a quarter; the 512-GPU step less a quarter of the 72-GPU one is 49.9 / 48.5 ms on GB300 / GB200 (58% of "
    "GB300's 86.4 ms step), the same on both devices to 2.8%: a part that does not scale with the per-GPU work; the "
    "forward-only evaluation steps (validation_step_time, medians of steps 2-26 / 2-15) give 39.6 / 46.3 ms at 72 "
    "GPUs (GB300 1.169x) and 21.0 / 22.1 ms at 512 (GB300 1.053x), the same reading: 11.1 / 10.5 ms of the 512-GPU "
    "forward does not scale; (2) GB300's 512-GPU step plus a quarter of the 72-GPU pair's difference gives GB200's "
    "512-GPU step +1.5% (no GB300 lead: -4.2%), and its forward-only step +2.5% (no lead: -5.1%); the first 512-GPU "
    "block (steps 0-192, 86.6 / 91.7 ms, 1.059x) shows how far a block's average moves; so the two pairs agree: the "
    "512-GPU 1.043x is the 72-GPU lead on the quarter of the work that scales, diluted by a time the same on both "
    "devices; (3) the model's 512-GPU step less a quarter of its 72-GPU one is 14.5 ms on GB300 (published 49.9): it "
    "lacks 35.4 ms of the time that does not scale, more than the GB300 row's whole shortfall (29.5 ms, -34.1%); that "
    "time, the same on both devices, dilutes a device lead in the published 512-GPU ratio, so the pair is no test of "
    "a device rate; at 72 GPUs the model's layers' forward (t_fwd_s) is 38.1 / 40.7 ms, GB300 1.069x, where the "
    "published forward-only steps give 1.169x; (4) fitted instead on the forward-only pair (the model's layers' "
    "forward at 72 GPUs to the published 1.169x; neither holds a gradient reduction), GB300's fp8_matmul_eff_max "
    "x1.166 (x1.184 with the output layer's forward, t_logits_s / 3) would bring the three rows to +15.2% / +13.8% / "
    "+16.5%; held-out median 5.24% -> 4.68%, within 6% 253 -> 271, beyond 25% 34 -> 31 (the GB300 rows' median "
    "11.64% -> 4.40%); no other row crosses 25% either way; the row it moves furthest off, mb-gb300-llama3-70b +1.5% "
    "-> -9.0%; rmix's x1.266 was fitted on the training steps, whose model ratio is 1.107x at x1.166 (published "
    "1.140x): the model's 72-GPU training step holds 38.2 ms of exposed gradient-reduction latency "
    "(t_dp_latency_s), the same on both devices, which the forward-only steps do not hold; at x1.266 the model's "
    "forward ratio is 1.224x, past the published one; (5) a check the fit did not use: over the 22 GB300 Llama FP8 "
    "rows with a GB200 twin in the same table, the GB300 row's error less its twin's has a median of +14.2 points at "
    "x1 and +3.3 at x1.166. Not adopted in this session: the factor moves every GB300 "
    "FP8 row, and the figures of the eight earlier GB300 examinations (their tests recompute them under the current "
    "model) would each need re-dating; the 72-GPU pair would enter the runs file as the declared fit rows of a GB300 "
    "fp8 value. Left open: which precision Megatron-Core evaluates in (the submission's NeMo code is not stored; "
    "both devices run the same container and config); the GB200 configs are still read from the READMEs' names"
)

# rgb300 (2026-12-05): the DeepSeek-V3 v5p recipe's host offload and fp32 weights sized; recomputed by
# tests/test_moe_megablox_tp.py (test_the_dsv3_entry_quotes_the_offload)
_RGB300_DSV3 = (
    "; examined 2026-12-05 (rgb300; figures recomputed by tests/test_moe_megablox_tp.py), neither explains it: the "
    "recipe (tpu-recipes run_recipe.sh, code index id 71082412967, from MaxText deepseek3_671b_v5p_1024 @ 3eb77db3c) "
    "sets remat_policy custom with decoder_layer_input and out_proj offloaded to host (every other name "
    "rematerialised: the row's full recompute) and weight_dtype float32; (1) the host offload, which the model does "
    "not time: two [6 x 8192, 7168] bf16 tensors a layer, 1.41 GB a chip a layer, 86.0 GB each way a step, 94 ms a "
    "layer at PCIe's ~1.5e10 B/s a chip against the model's 266 ms layer forward ('How to Scale Your Model' "
    "tpus.md @04d8de58, as for Maverick), hidden as XLA issues host transfers asynchronously; serialised both ways "
    "they would give -15.0%, the forward's alone -21.3%, and no source says they are; (2) the fp32 weights, if "
    "gathered at 4 B (whether XLA moves the cast before the all-gather was not established), double the model's FSDP "
    "traffic, 8.38 -> 16.76 s a step against 65.6 s of compute (exposed in full: -9.1%), hidden at any overlap of 26% "
    "of the compute or more"
)


# rmisc (2026-12-05): the DeepSeek-V3 v5p recipe's splash attention blocks and unfused backward against the model's
# count and rate; recomputed by tests/test_dsv3_splash_attention.py (test_the_entry_quotes_these_figures)
_RMISC_DSV3 = (
    "; examined 2026-12-05 (rmisc; figures recomputed by tests/test_dsv3_splash_attention.py), not explained: the "
    "recipe (run_recipe.sh at 6c62789, code index id 71612764658) sets every splash block to 2048 and "
    "sa_use_fused_bwd_kernel false; JAX's splash kernel (jax-ml/jax splash_attention_kernel.py at 047c691c) runs "
    "only the blocks its causal block map holds, 10 of 16 blocks at 8192 tokens (5120 keys a query), a 2-product "
    "forward and, unfused, a 4-product dkv and a 3-product dq kernel; against the model's count for a TPU core "
    "(every key, backward 2x) at the MLA widths 192 / 128 that is forward 0.625, backward 1.125, together 0.958 "
    "(0.875 with the rematerialised forward): the count charges the kernel's work or more, so it does not make the "
    "row too fast. The rate could: the core runs on the GEMM curve (the v5p rule's 0.88, no measured splash rate); "
    "with the core at a fixed share of the peak the row is at 0.88 -27.7%, at 0.80 -25.5%, and within 25% at a "
    "splash rate of 0.78 of the peak or less, a figure no source found gives (searched 2026-12-05: issues 'splash "
    "attention TPU v5p TFLOPs benchmark'; jax-ml/jax #24633 times the older flash_attention kernel on a v5e at "
    "128-wide default blocks, not this kernel or chip); such a rate moves the v5p rule's fit row too (a re-run)"
)


# rmisc (s32, 2026-12-05): the DeepSeek-V3 v5p row's published count, an independent MaxText MoE twin on v5p and a
# lane-padded splash what-if; recomputed by tests/test_dsv3_maxtext_moe_twin.py (test_the_entry_quotes_these_figures)
_RMISC32_DSV3 = (
    "; examined 2026-12-05 (s32, rmisc; figures recomputed by tests/test_dsv3_maxtext_moe_twin.py), not explained, "
    "but not this row's alone: (1) the published TFLOP/s/device (152.415 over 90.668 s, one logged step) is MaxText's "
    "own count, which equals the model's with the attention core counted causal (to 1e-5), so no op missing from the "
    "model's work makes it too fast; (2) an independent run of the same kind, Tencent Hunyuan 3 (295B-A21B: 192 "
    "routed experts of 1536, top-8, GQA) with MaxText on 256 v5p (yangwhale/gpu-tpu-pedia "
    "tpu/Hunyuan3-295B-Pretraining QUICKSTART-v5p.md at 3aa6d98: FSDP 256, per_device_batch_size 8, seq 8192, "
    "megablox, splash blocks 2048 unfused, decoder_layer_input offloaded; set up from this recipe with the model name "
    "changed, on MaxText 3eb77db3 per its README), is predicted 46.91 s against 63.17 s, -25.7% (its logged count is "
    "1.012x the model's, the MTP layer the cells lack: -24.8% with it), MaxText MFU 35.1% against the model's 47.2% "
    "(this row: 33.2% against 45.9%); its author's profile of that run (TUNING-v5p.md at 6358fcc, sec. 6.3) shows the "
    "step filled by tgmm, the MoE backward grouped matmul, with no exposed collective waits; every MaxText MoE row "
    "on v5p is too fast (Mixtral -13.9%, Scout -8.7%, Maverick -24.9%) where the dense 405B / 70B rows are +3.6 / "
    "-4.3%: the shared lead is megablox's grouped matmuls at many small experts, for which no measured rate was "
    "found; (3) were each 192-wide splash product run as two 128-lane tiles (not established), the kernel would do "
    "1.062x the model's count, and charged so the row is at -26.3%: not the cause alone"
)


# The examination record of the 26.04 / 26.04.01 H100 GPT-OSS-120B rows: their UNEXPLAINED entries until rh100
# (2026-12-05), when finding (11), Megatron-Core's unfused YaRN RoPE (_RH100_ROPE), gave them a checked reason
# (their notes; tests/test_gptoss_yarn_rope.py) and they left UNEXPLAINED. The findings (1) to (10) are
# kept word for word: the tests that recompute them read this record.
GPTOSS_H100_RECORD: dict[str, str] = {
    rid: f"GPT-OSS-120B BF16 on 64 H100 at GBS 1280, MBS 1 (80 micro-batches a step per pipeline) predicted {err} "
       f"(too fast), {_MB_LATER}; the 25.11 H100 row (GBS 512, MBS 4: 8) is -13.4%; x 1.93, the blog's share "
       f"(measured on Blackwell, not on H100), it would be {scaled}; a per-micro-batch host cost is a candidate that "
       "no source sizes; searched 2026-12-03 (unexpl_searched; code and issues: 'GPT-OSS 120B H100 pretrain recipe "
       "Megatron-Bridge flags', 'gpt-oss 120b H100 training throughput Megatron MoE'): the stored scripts/performance/"
       "configs/gpt_oss/gpt_oss_llm_pretrain.py (code index id 56355832684, commit 0501207) builds the H100 120B "
       "config from the base preset and set_gpt_oss_common_configs alone (grad_reduce_in_fp32 off, moe_router_fusion "
       "and moe_router_force_load_balancing on; no CUDA graph, dispatcher or fused-MoE flag, where its 20B Blackwell "
       "configs set HybridEP and CUDA graphs); no issue or page gives this run's profile or host time. Examined "
       "2026-12-03 (gptoss): the MoE block ran unfused here as on the Blackwell rows, which carry the blog's share as "
       "their checked reason (tests/test_gptoss_later_releases.py), and on H100 in any release: Transformer "
       "Engine's fused grouped-MLP op is not supported below compute capability 10.0 ('Kernel requires SM100+', "
       "forward_grouped_mlp.py at NVIDIA/TransformerEngine@000c2736); but the share was measured on Blackwell, "
       "and x 1.93 leaves these rows beyond 25%; no source sizes the unfused block on H100"
       f"{_GPTOSSH100}{_GPTOSSH100_HOST.format(host=f'this row {err} -> {host}')}"
       f"{_GPTOSSH100_B200.format(b200=b200, scaled=b200_scaled)}"
       f"{_GPTOSS3_BIAS.format(before=before, err=err, f32=f32)}{_GPTOSS4_PROBS}"
       f"{_GPTOSS_CE.format(err=err, ce=ce, dt='0.46')}{_HOPPER_ATTN.format(move=move, d64=d64)}"
       f"{_RGPTOSS_DUMP.format(err=err, both=both, need_s=need, **_RGPTOSS_SHARED)}"
       f"{_RH100_ROPE.format(err=err, rope=rope, **_RH100_ROPE_ROWS, **_RH100_ROPE_SHARED)}"
       # 2026-12-04 (vpfix): -32.7 / -34.7 / -34.5% -> -31.1 / -33.1 / -32.9%, x 1.93 +29.9 / +26.1 / +26.4% ->
       # +33.0 / +29.1 / +29.4%, the 25.11 H100 row -21.5 -> -19.6%: the day's merges (vpchunk's pipeline edge costs,
       # the local-expert sort cost)
       # 2026-12-04 (gptossh100): host, b200 and b200_scaled added, the figures of (3) and (4) in _GPTOSSH100_*
       # 2026-12-05 (gptoss3): bias and f32 added, the figures of (6) in _GPTOSS3_BIAS
       # 2026-12-05 (fc2bias): the fc2-bias charge adopted: err -31.1 / -33.1 / -32.9% -> -26.3 / -28.5 / -28.3%,
       # scaled +33.0 / +29.1 / +29.4% -> +42.2 / +38.1 / +38.4%, host -23.8 / -26.0 / -25.8% -> -19.0 / -21.3 /
       # -21.1%, b200 -39.8 / -42.7 / -40.4% -> -36.6 / -39.7 / -37.3%, b200_scaled +14.4 / +16.8 / +12.6% -> +16.2 /
       # +18.7 / +14.4%; bias (the what-if, -26.3 / -28.4 / -28.2%) replaced by before (the row without the charge)
       # 2026-12-05 (moeopt): the routed experts' optimizer step over their expert-data-parallel group: err -26.3 /
       # -28.5 / -28.3% -> -26.2 / -28.3 / -28.2%, scaled +42.2 / +38.1 / +38.4% -> +42.4 / +38.3 / +38.6%, host -19.0 /
       # -21.3 / -21.1% -> -18.7 / -21.1 / -20.9%, b200 -36.6 / -39.7 / -37.3% -> -36.5 / -39.6 / -37.2%, before -31.1 /
       # -33.1 / -32.9% -> -31.0 / -33.0 / -32.8%, f32 -22.0 / -24.3 / -24.1% -> -21.9 / -24.2 / -24.0%; the host
       # cost 1.35 -> 1.37 ms a layer, 1.01 -> 1.02 s (_GPTOSSH100_HOST), the 25.11 row -25.6% (-15.7%) -> -25.3%
       # (-15.4%), the model's gain +7.4% -> +7.6%, within 1.1 -> 1.3 points (_GPTOSSH100)
       # 2026-12-05 (rblackwell): the B200 siblings' fused attention core at B200's measured cuDNN rate and the fp8
       # re-run: b200 -36.5 / -39.6 / -37.2% -> -35.5 / -38.6 / -36.2%, b200_scaled +16.2 / +18.7 / +14.4% -> +14.4 /
       # +16.8 / +12.6% (the H100 rows do not move)
       # 2026-12-05 (rmoe): ce added, the figure of (8) in _GPTOSS_CE
       # 2026-12-05 (rhopperattn): move and d64 added, the figures of (9) in _HOPPER_ATTN
       # 2026-12-05 (rhopperadopt2): the H100 SXM5 fused attention core at cuDNN's measured H200 rate (644 / 541
       # TFLOP/s) and the Hopper re-runs (0.60 -> 0.58, maxtext 0.54 -> 0.52) adopted: mb260201-h100-gptoss-120b left
       # this list, within 25% (-26.2% -> -24.6%; tests/test_hopper_fused_attention.py); for 26.04 / 26.04.01 err
       # -28.3 / -28.2% -> -26.8 / -26.6%, scaled +38.3 / +38.6% -> +41.4 / +41.7%, host -21.1 / -20.9% -> -19.5 /
       # -19.3%, b200_scaled +16.8 / +12.6% -> +19.4 / +15.1%, before -33.0 / -32.8% -> -31.4 / -31.2%, f32 -24.2 /
       # -24.0% -> -22.6 / -22.4%, ce -31.6 / -31.4% -> -30.0 / -29.9% (b200 and d64 unmoved); the 25.11 H100 row
       # -15.4% -> -13.4%
       # 2026-12-05 (rgptoss): both and need added, the figures of (10) in _RGPTOSS_DUMP (the shared ones in
       # _RGPTOSS_SHARED)
       # 2026-12-05 (rh100): rope added, the figures of (11) in _RH100_ROPE (the shared ones in
       # _RH100_ROPE_SHARED and _RH100_ROPE_ROWS); the rows left UNEXPLAINED with (11) as their checked reason
       for rid, err, scaled, host, b200, b200_scaled, before, f32, ce, move, d64, both, need, rope in (
           ("mb2604-h100-gptoss-120b", "-26.8%", "+41.4%", "-19.5%", "-38.6%", "+19.4%", "-31.4%", "-22.6%",
            "-30.0%", "-28.3% -> -26.8%", "-24.8%", "-26.6%", "0.25", "-24.8%"),
           ("mb260401-h100-gptoss-120b", "-26.6%", "+41.7%", "-19.3%", "-36.2%", "+15.1%", "-31.2%", "-22.4%",
            "-29.9%", "-28.2% -> -26.6%", "-24.6%", "-26.4%", "0.22", "-24.6%"))
}


# maxtext-v5p-dsv3-671b-512's UNEXPLAINED entry until rmegablox (2026-12-05) took the row within 25% (the comment
# in UNEXPLAINED says how); its figures are as of before that change (recomputed with the width rate off)
DSV3_ENTRY_BEFORE_RMEGABLOX = (
    "DeepSeek-V3 671B on 512 TPU v5p chips (FSDP over all 512, ep 1, megablox dropless, "
    "per_device_batch_size 6 x seq 8192) predicted 27.6% too fast (65.65 s against 90.668 s) since rtpuaxis "
    "(2026-12-05): at tp 1 no collective of it moved, but the v5p rule's fit row maxtext-v5p-32b-x1 (tp 4) did when "
    "its tensor-parallel group got one of the 4x4x4's three dimensions (a third of the ICI, 'How to Scale Your Model' "
    "sharding.md), and the rule's re-run (matmul_eff_max 0.80 -> 0.88) speeds every v5p GEMM: -20.7% (71.93 s) "
    "before. One fit row carries both the GEMM rate and the tp share, so a tp 1 row takes the refit alone (Scout "
    "-0.1% -> -8.7%, Mixtral -5.9% -> -13.9%, Llama 3.1 405B +13.8% -> +3.6%, tests/test_tpu_ici_axes.py). Checked "
    "and ruled out (the row's note; tests/test_moe_megablox_tp.py): the FSDP all-gather of a MoE layer's routed "
    "experts "
    "(22.5 GB, 47 ms at the model's 480 GB/s against a 266 ms layer forward, hidden by a wide margin) and MaxText's "
    "permutation unfused (16.2 GB a layer more than the model's 12.7 GB, 1.7 s a step of the 25.0 s the row lacks); "
    "megablox's own rate lies between the per-expert and the one-GEMM pricing (+28.0% / -34.9%), no source gives it"
    + _RGB300_DSV3 + _RMISC_DSV3 + _RMISC32_DSV3
)

# rl4 (2026-12-06): the vLLM PR #2192 table's Llama 7B / T4 / TP 2 row as a cross-check of the 70B rows (figures
# recomputed by tests/test_serving_custom_allreduce_a100.py, test_the_7b_t4_row_of_the_same_table); rsrvA
# (2026-12-06): the two T4 cells as held-out rows, beyond 25% and not explained (their entries quote their notes,
# recomputed by test_t4_rows_are_the_cells_beyond_the_bound_and_their_notes_recompute)
_VLLM2192_T4 = {
    "vllm2192-a100-l2-70b-tp4-b64-nccl": (
        "Examined 2026-12-06 (rl4): the same table's Llama 7B T4 TP 2 BS 32 row (expressible since the catalog's T4 "
        "PCIe link; a held-out row since rsrvA, vllm2192-t4-l2-7b-tp2-b32-nccl) comes out +32.8% too fast: its "
        "published decode step 63.5 ms against the model's 46.2 ms, a residual of 17.3 ms (27% of the step) with one "
        "read of its multi-head cache, against 13.8 ms (26%) here at 8 reads and 14.5 ms (28%) in the 33B row: "
        "across two GPUs and three models the table's rows miss by 13.8-17.3 ms a step, 26-28% of it, so they cannot "
        "tell a fixed per-step cost from a rate; charged the 7B row's residual per step (at the model's one read), "
        "this row would be at +11.2%, read as a rate (its share of the step) at +25.1%: carried figures, not a cost "
        "established for this run"
    ),
    "vllm2192-a100-l2-70b-tp4-b64-custom": (
        "Examined 2026-12-06 (rl4): the same table's Llama 7B T4 TP 2 BS 32 row (expressible since the catalog's T4 "
        "PCIe link; a held-out row since rsrvA, vllm2192-t4-l2-7b-tp2-b32-custom) comes out +29.2% too fast: its "
        "published decode step 62.0 ms against the model's 46.5 ms, a residual of 15.5 ms (25% of the step) with one "
        "read of its multi-head cache, against 6.8 ms (15%) here at 8 reads and 7.7 ms (17%) in the 33B row: across "
        "two GPUs and three models the table's rows miss by 6.8-15.5 ms a step, 15-25% of it, so they cannot tell a "
        "fixed per-step cost from a rate; the model's custom all-reduce on the T4's PCIe takes 1.94 ms a step "
        "against its NCCL's 1.64 ms (2.99 ms before rsrvA, 2026-12-06, put the kernel's bytes at 0.56 of the link's "
        "rate, the H100 NVLink fit, where at 2 ranks it moves NCCL's ring's bytes at the link's rate: "
        "serving.custom_allreduce_ratio); the 0.30 ms left is the fixed latency, 64 x (9.5 us, measured on H100 with "
        "a launch inside, - 2 x 2.4 us, NCCL's default step latency) = 0.30 ms, no PCIe figure cited for either, "
        "where the PR's kernel saved 1.53 ms a step (17.90 -> 17.51 s over 255 steps); charged the 7B row's residual "
        "per step (at the model's one read), this row would be at +2.3%, read as a rate (its share of the step) at "
        "+14.1%: carried figures, not a cost established for this run"
    ),
    "vllm2192-t4-l2-7b-tp2-b32-nccl": (
        "vLLM PR #2192's Llama 7B T4 TP 2 BS 32 cell, held out since rsrvA (2026-12-06): the row's note, not "
        "explained (2026-12-06, rsrvA; recomputed by tests/test_serving_custom_allreduce_a100.py): too fast by "
        "+32.8%: the published latency less the model's prefill (1.71 s) leaves 63.5 ms a decode step against the "
        "model's 46.2 ms ([serving.default], not fitted: no Turing table), a residual of 17.3 ms (27% of the step) "
        "with its multi-head KV cache read once (the 70B rows' GQA re-read does not apply); the same table's 70B row "
        "at 8 reads and 33B row miss by 13.8 ms (26%) and 14.5 ms (28%) a step with this all-reduce: one per-step "
        "miss of the table's vLLM (v0.2.6, December 2023) on two GPUs and three models, what the 70B rows' notes "
        "examined (Ray workers' metadata, vLLM PR #2221; host shares, PR #818; the V0 engine's CPU bubble, RFC "
        "#6854) and none sized for this run"
    ),
    "vllm2192-t4-l2-7b-tp2-b32-custom": (
        "vLLM PR #2192's Llama 7B T4 TP 2 BS 32 cell, held out since rsrvA (2026-12-06): the row's note, not "
        "explained (2026-12-06, rsrvA; recomputed by tests/test_serving_custom_allreduce_a100.py): too fast by "
        "+29.2%: the published latency less the model's prefill (1.71 s) leaves 62.0 ms a decode step against the "
        "model's 46.5 ms ([serving.default], not fitted: no Turing table), a residual of 15.5 ms (25% of the step) "
        "with its multi-head KV cache read once (the 70B rows' GQA re-read does not apply); the same table's 70B row "
        "at 8 reads and 33B row miss by 6.8 ms (15%) and 7.7 ms (17%) a step with this all-reduce: one per-step miss "
        "of the table's vLLM (v0.2.6, December 2023) on two GPUs and three models, what the 70B rows' notes examined "
        "(Ray workers' metadata, vLLM PR #2221; host shares, PR #818; the V0 engine's CPU bubble, RFC #6854) and "
        "none sized for this run; the model's custom all-reduce on the T4's PCIe takes 1.94 ms a step against its "
        "NCCL's 1.64 ms (2.99 ms before rsrvA, 2026-12-06, put the kernel's bytes at 0.56 of the link's rate, the "
        "H100 NVLink fit, where at 2 ranks it moves NCCL's ring's bytes at the link's rate: "
        "serving.custom_allreduce_ratio); the 0.30 ms left is the fixed latency, 64 x (9.5 us, measured on H100 with "
        "a launch inside, - 2 x 2.4 us, NCCL's default step latency) = 0.30 ms, no PCIe figure cited for either, "
        "where the PR's kernel saved 1.53 ms a step (17.90 -> 17.51 s over 255 steps)"
    ),
}

# rvllm (2026-12-06): how the run's engine spent a decode step (CUDA graphs on; the sized host costs of the time,
# vLLM PR #1889 and issue #3030), appended to the four rows' entries; figures recomputed by
# tests/test_serving_custom_allreduce_a100.py (rvllm_sentence, test_graphs_were_on_and_the_sized_host_costs_of_the_time)
_RVLLM_TEXT = (
    "Examined 2026-12-06 (rvllm): CUDA graphs were on in both columns of the table (the PR: 'NCCL's internal "
    "buffer is captured in the graph'; its author, 2024-01-04: the kernel relies 'on cuda graph' for its input "
    "copy; vLLM PR #1926, December 2023, made LLM(enforce_eager=False) the default and the table's command sets "
    "no eager flag), and batch {batch} is a captured size (1, 2, 4, then multiples of 8: PR #1926's "
    "_get_graph_batch_size), so each decode forward replayed one graph and no per-kernel host dispatch is missing "
    "(the model's launch floor, {floor} ms a step, lies far below its {roof} ms roofline term). The graph was captured "
    "for max_context_len 8192 (max_context_len_to_capture; a v0.2.6-era model_runner, code index id 6308727223), "
    "and PagedAttention chose its kernel from that figure, so each step replayed the launch for 8192 tokens where "
    "the context is 257-511: {launch}; a launch the model does not express and no source times. Outside the graph "
    "each step ran the sampler and the engine's Python: vLLM PR #1889 (2023-12-01) sized the sampler's CPU-GPU syncs "
    "at ~2 ms an iteration (model and GPU unstated), {sampler}% of this row's {residual} ms residual{one_read}; vLLM "
    "issue #3030 (2024-02-25, Mixtral, version unstated) saw TensorRT-LLM 1.5x faster with each component's time "
    "'nearly the same', a gap of 33% of that vLLM run, where this row's residual is {share}% of its published step; "
    "carried as that share the row would be at {err_gap}: another model, GPU and version, so not established{t4}"
)
_RVLLM_V1 = "v1 (1024 sequence-heads a GPU, above 512) with a 32 KiB logits buffer of shared memory a thread block"
_RVLLM_V2 = "v2 (512 sequence-heads a GPU, not above 512) over 16 partitions of 512 tokens, 15 of them empty"
_RVLLM_T4 = (
    "; read as a memory rate instead, the published step puts the model's memory term at {needed} of the T4's 320 "
    "GB/s ({needed_gb_s} GB/s) where the model takes 0.69, but one bandwidthTest on a cloud T4 moved 239.6 GB/s "
    "device to device, 0.75 of it, as the same page's A100-SXM4-40GB (0.74 of 1,555 GB/s; "
    "router-gao/cuda-demo@dca1c6b2 cuda-samples/02-cuda-bandwidth.md): the T4's memory is no slower than the model "
    "says; its pinned host-to-device 9.7 GB/s taken as the all-reduce's link rate (the model's 12.6 GB/s) adds 0.40 "
    "ms a step"
)
_ONE_READ = " at the model's one read"  # the 70B rows: one read of their GQA cache
_RVLLM = {
    rid: _RVLLM_TEXT.format(batch=batch, floor=floor, roof=roof, launch=launch, sampler=sampler, residual=residual,
                            one_read=one_read, share=share, err_gap=err_gap,
                            t4=_RVLLM_T4.format(needed=needed, needed_gb_s=gb_s) if needed else "")
    for rid, batch, floor, roof, launch, sampler, residual, one_read, share, err_gap, needed, gb_s in (
        ("vllm2192-a100-l2-70b-tp4-b64-nccl", 64, "0.80", "25.9", _RVLLM_V1, 8, "23.8", _ONE_READ, 45, "+6.0%", "",
         ""),
        ("vllm2192-a100-l2-70b-tp4-b64-custom", 64, "0.80", "25.9", _RVLLM_V1, 12, "16.8", _ONE_READ, 37, "-5.6%", "",
         ""),
        ("vllm2192-t4-l2-7b-tp2-b32-nccl", 32, "0.32", "44.5", _RVLLM_V2, 12, "17.3", "", 27, "-11.5%", "0.50", 159),
        ("vllm2192-t4-l2-7b-tp2-b32-custom", 32, "0.32", "44.5", _RVLLM_V2, 13, "15.5", "", 25, "-13.9%", "0.51", 164),
    )
}


# rvllm2 (2026-12-06): the captured decode attention of the rvllm clause, sized from the kernel's code (v1's residency
# on an A100 against Little's law; v2's empty blocks and reduce kernel at a Turing per-block cost), appended to the four
# rows' entries; figures recomputed by tests/test_serving_custom_allreduce_a100.py (rvllm2_sentence,
# test_the_captured_attention_launch_sized_does_not_close_the_rows)
_RVLLM2_HEAD = "Examined 2026-12-06 (rvllm2), that launch sized from the kernel's code: "
_RVLLM2_V1 = _RVLLM2_HEAD + (
    "each of v1's 1024 thread blocks (128 threads) holds the captured 32 KiB logits buffer plus 288 B of static shared "
    "memory and CUDA's 1 KB reserve, so an A100 SM (164 KB) keeps 4 resident where the real context's 2 KiB buffer "
    "lets the thread limit decide (at most 16): 3 waves over 108 SMs; but the blocks work alike (a static batch), and "
    "by Little's law an SM needs only 5.2 KiB in flight to draw its share of 2,039 GB/s at 400 cycles of DRAM latency "
    "(1,410 MHz) where its 4 resident blocks keep 64 KiB (each thread 16 unrolled 8-B K loads), so the capped "
    "residency leaves the kernel bandwidth-bound: no time of this row's step is sized to it"
)
_RVLLM2_V2 = _RVLLM2_HEAD + (
    "v2's grid is 512 x 16 blocks a layer, 7680 of them past the context, which return after one load, 245,760 a "
    "step; at the per-block cost measured on the T4's own die (RTX 2080 SUPER, TU104: 0.190 us a 128-thread block an "
    "SM at 64 blocks an SM, an upper end) over the T4's 40 SMs they hold the GPU 1.17 ms a step, the reduce kernel "
    "(512 copy-only blocks and one launch a layer) 0.11 ms: together {share}% of this row's {residual} ms residual, "
    "with no overlap with the working blocks counted"
)
_RVLLM2 = {
    "vllm2192-a100-l2-70b-tp4-b64-nccl": _RVLLM2_V1,
    "vllm2192-a100-l2-70b-tp4-b64-custom": _RVLLM2_V1,
    "vllm2192-t4-l2-7b-tp2-b32-nccl": _RVLLM2_V2.format(share=7, residual="17.3"),
    "vllm2192-t4-l2-7b-tp2-b32-custom": _RVLLM2_V2.format(share=8, residual="15.5"),
}

# rsrv3 (2026-12-06): what the run set that the rows' prediction does not (v0.2.x's prefill budget, its detokenizer in
# series) and, on the T4, one observed clock under load carried as a what-if against two measured matmul rates, and a
# small-M GEMM rate, appended to the four rows' entries; figures recomputed by
# tests/test_serving_custom_allreduce_a100.py (rsrv3_sentence,
# test_the_runs_prefill_budget_detokenizer_and_t4_clock_do_not_close_the_rows)
_RSRV3_TEXT = (
    "Examined 2026-12-06 (rsrv3), what the run set and the model does not: vLLM v0.2.x's scheduler, given no "
    "max_num_batched_tokens, takes max(max_model_len, 2048) = 4096 tokens a pass (a v0.2.6-era vllm/config.py, code "
    "index id 1209442114), so the batch was prefilled in {passes} passes; given so (--max-prefill-tokens 4096) the row "
    "is at {err_budget} ({err} before): no part of the miss. The engine detokenized every sequence each step, in "
    "series with the forward (vLLM PR #818, which would have moved it off that path, closed unmerged): at v0.3.0's "
    "logged 19.3-44.3 us a call (vLLM issue #5206, another tokenizer and CPU) {detok} ms a step, {pct}% of the "
    "{residual} ms residual{t4}"
)
_RSRV3_T4 = (
    "; the T4's clock: one cloud T4 under load (AWS g4dn.4xlarge, MLPerf BERT; mlcommons/inference_results_v0.5 issue "
    "#20) dropped to '~900 MHz' of its 1,590, and at that clock the prefill takes 2.76 s where the model's takes 1.71 "
    "s, the decode step staying memory-bound (9.7 ms of compute under 44.5 ms of memory): the row would be at "
    "{err_clock}; but two cloud T4s ran fp16 matmuls at 41.91 and 42.71 TFLOPS (Colab, Kaggle; "
    "zzc0721/torch-performance-test-data@07858687 database.md), 0.645-0.657 of the 65 TFLOPS peak, above 0.566 (900 / "
    "1,590) and above the model's prefill rate (0.60 of peak): the dip, seen in another workload at forced application "
    "clocks, is not a GEMM clock slower than the model's, so not established; a T4 fp16 GEMM rate measured at small M "
    "(pytorch/pytorch issue #195716: [M,896] x [896,4864], "
    "88.1-90.1 GiB/s at M 2-8) would read this GPU's weights alone in 69.7-71.2 ms, above the published {step} ms "
    "step: that shape's rate is not this model's. The largest lead sized so far, the T4's own GEMM rate at this "
    "model's shapes and this batch: vLLM PR #6996 (2024-07, a T4, PyTorch fp16 matmul at Llama 2 7B's four linear "
    "layers, TP 1 widths) timed one layer's GEMMs at M 32 in 2,168.2 us, 0.583 of the T4's 320 GB/s in weight bytes "
    "(0.583 at M 64, 0.716 at M 16, 0.806 at M 1), where the model reads at 0.69; at that rate for every decode read "
    "the row would be at {err_all}, for the weights alone at {err_w}; not adopted: the model holds one decode rate a "
    "table, and this one falls with the batch (a batch-1 T4 run would read at the M 1 rate), so a rate by batch for "
    "the T4 is the mechanism it needs"
)
_RSRV3 = {
    rid: _RSRV3_TEXT.format(passes=passes, err_budget=err_budget, err=err, detok=detok, pct=pct, residual=residual,
                            t4=_RSRV3_T4.format(err_clock=t4[0], step=t4[1], err_all=t4[2], err_w=t4[3]) if t4 else "")
    for rid, passes, err_budget, err, detok, pct, residual, t4 in (
        ("vllm2192-a100-l2-70b-tp4-b64-nccl", 4, "+59.0%", "+59.1%", "1.24-2.84", "5-12", "23.8", ()),
        ("vllm2192-a100-l2-70b-tp4-b64-custom", 4, "+41.6%", "+41.6%", "1.24-2.84", "7-17", "16.8", ()),
        ("vllm2192-t4-l2-7b-tp2-b32-nccl", 2, "+32.8%", "+32.8%", "0.62-1.42", "4-8", "17.3",
         ("+23.2%", "63.5", "+15.1%", "+20.1%")),
        ("vllm2192-t4-l2-7b-tp2-b32-custom", 2, "+29.2%", "+29.2%", "0.62-1.42", "4-9", "15.5",
         ("+19.9%", "62.0", "+12.0%", "+16.9%")),
    )
}

# rt4 (2026-12-06): the T4 row of each 70B row's all-reduce at the T4's measured weight-read rate (its residual against
# this row's at 8 reads); figures recomputed by tests/test_serving_custom_allreduce_a100.py (rt4_sentence,
# test_rt4_sentence_in_the_70b_entries)
_RT4_TEXT = (
    "Since rt4 (2026-12-06) the T4 row ({t4}) reads its weights at the T4's fp16 GEMM rate measured at its batch, "
    "0.583 of 320 GB/s at M 32 (vLLM PR #6996; predict/data/measured_decode_gemm.csv), and is at {err}, within 25%: "
    "its residual {res} ms ({share}% of its step) against {here} ms ({here_share}%) here at 8 reads; no A100 GEMM time "
    "by M is in that file, so this row's prediction is unchanged"
)
_RT4 = {
    "vllm2192-a100-l2-70b-tp4-b64-nccl": _RT4_TEXT.format(t4="vllm2192-t4-l2-7b-tp2-b32-nccl", err="+20.4%",
                                                          res="11.9", share=19, here="13.8", here_share=26),
    "vllm2192-a100-l2-70b-tp4-b64-custom": _RT4_TEXT.format(t4="vllm2192-t4-l2-7b-tp2-b32-custom", err="+17.1%",
                                                            res="10.0", share=16, here="6.8", here_share=15),
}

# the T4 cells' UNEXPLAINED entries until rt4 (2026-12-06) took both within 25% (their figures recomputed with every
# decode read at the table's rate, tests/test_serving_custom_allreduce_a100.py table_rate)
T4_ENTRIES_BEFORE_RT4 = {
    rid: _VLLM2192_T4[rid] + ". " + _RVLLM[rid] + ". " + _RVLLM2[rid] + ". " + _RSRV3[rid]
    for rid in ("vllm2192-t4-l2-7b-tp2-b32-nccl", "vllm2192-t4-l2-7b-tp2-b32-custom")}

UNEXPLAINED: dict[str, str] = {
    # automodel (2026-12-03): the held-out NeMo AutoModel DGX-H100 table's GPT-OSS 20B row (-25.7%) was listed here;
    # gptoss4 (2026-12-05): it left the list: its note carries a checked reason (AutoModel's GroupedExpertsDeepEP adds
    # both expert biases unfused, fc2's with DeepEP's fp32 probabilities; charged, -25.7% -> -12.1%), recomputed by
    # tests/test_gptoss_h100_rows.py (test_the_automodel_20b_*)
    # mixrows (2026-12-03): held-out NeMo 25.02 DGX-B200 / 25.04 DGX-GB200 Mixtral-8x22B rows (runs-file block
    # 'mixrows'); figures recomputed by tests/test_validate_unseen_runs.py (test_nemo_mixtral_8x22b_terms_as_quoted)
    # rblackwell (2026-12-05): nemo2502-b200-mixtral-8x22b left this list, within 25% (-29.1% -> -22.0%: B200's fused
    # attention core at its measured cuDNN rate, the fp8 rule re-run 0.46 -> 0.50;
    # tests/test_blackwell_fused_attention.py)
    # rgb300 (2026-12-05): nemo2504-gb200-mixtral-8x22b left this list, within 25% (-28.7% -> -20.7%: the NeMo 25.04
    # container predates cuDNN 9.17, so its fused core runs at the catalog's GB200 rate under an earlier release,
    # cudnn_before_9_17; tests/test_cudnn_before_917.py). Its entry's history stays in _MIXTRAL_8X22B above.
    # srv_new (2026-12-03): held-out TensorRT-LLM v0.9.0 rows (the trtllm-v09 block of the serving runs file)
    # trt09c (2026-12-05): the five Mistral GQA rows left this list: their notes carry a checked reason (XQA's
    # dispatch refuses Mistral's 4 query heads per KV head, so the engines ran the one-block-per-query-head kernel;
    # each row lies between one and four reads of the KV cache), recomputed by tests/test_serving_trtllm_v09.py
    # rtrt09 (2026-12-05): the four batch-896 rows left this list: their notes carry a checked reason (the decode
    # attention is a kernel of its own; with each kernel's roofline added they are -6.6% to +20.2%), recomputed by
    # tests/test_serving_trtllm_v09.py
    # trt09 (2026-12-04): six Hopper Mixtral rows left the list with the dense_experts cell; the H100 128-token TTFT
    # (+23.5% -> +27.8%) joined it
    # trt09c (2026-12-05): the A100 batch-32 2048/2048 row left the list: its note carries a checked reason (the
    # published figure is below the time to read every routed expert each decode step), recomputed by
    # tests/test_serving_trtllm_v09.py
    # trt09d (2026-12-05): the A100 128-token TTFT left the list: its note carries a checked reason (reading every
    # weight once at the best cited measured A100 read rate takes longer than the published figure), recomputed by
    # tests/test_serving_trtllm_v09.py
    # rtrt (2026-12-05): the three Mixtral rows left this list within 25%: the dense_experts rows' experts are timed as
    # the ordinary GEMMs TensorRT-LLM 0.9.0's OOTB MoE runs, not by the grouped-GEMM kernel (the trtllm-v09 block)
    # rtrt09 (2026-12-05): the three 70B TP 4 128-token TTFTs left this list: their notes carry a checked reason (the
    # miss per layer is the same device's TP 1 rows' cost per layer; charged so, -1.1% to +0.6%), recomputed by
    # tests/test_serving_trtllm_v09.py
    "trt09-a100-70b-tp4-b1024-128-128": _TRT09 + "Llama 2 70B fp16 TP 4 batch 1024 at 128/128 predicted 27.9% too "
    "slow; beyond the page's --max_batch_size 64 build, the engine that ran it is not given; searched (review_rows, "
    "2026-12-03): the page's build commands, 'Engine Building Setups' (a single-setting engine per network) and "
    "'Running on A100' (the stored performance.md with 'All data was generated using version 0.9.0'). Ruled out "
    "(trt09b, 2026-12-04): the custom all-reduce (plugin.py at NVIDIA/TensorRT-LLM@250d9c29 defaults "
    "use_custom_all_reduce True): with tp_allreduce custom the row stays at -27.9% "
    "(test_serving_trtllm_v09.py test_70b_tp4_custom_allreduce). Read in the code (trt09d, 2026-12-05): "
    "gptSessionBenchmark runs the 1024 requests as one batch, not as micro-batches of the page's 64 (the session's "
    "maxBatchSize is the largest --batch_size and, with no micro-batch flag, GptSession::MicroBatchConfig makes one "
    "generation batch of it at pp 1; the trtllm-v09 block cites the copy), the model's static batch. Ruled out "
    "(rtrt09, 2026-12-05): the decode attention as a kernel of its own after the GEMMs (the batch-896 rows' checked "
    "trial) makes the row slower, not faster: with the trial the row is -29.3%; a decoder per request (one sampling "
    "pass per request each step): gptSessionBenchmark.cpp sets decoderPerRequest = false (one StatefulGptDecoder for "
    "the batch; the trtllm-v09 block). Ruled out (rtrt, 2026-12-05; test_serving_trtllm_v09.py "
    "test_a100_70b_b1024_rtrt_checks): a KV cache too small for the batch (the session would run it in waves): 1024 x "
    "256 tokens x 81920 B (80 layers x 2 KV heads per GPU at tp 4 x 128 x K and V x 2 B) = 21.5 GB per GPU beside "
    "34.5 GB of fp16 weights, the model's 56.7 GB of the 85.9 GB: one batch; one decode GEMM rate for the table: the "
    "model's decode step (0.342 s, compute-bound at M = 1024) at [serving.nvidia-ampere]'s prefill rate 0.7, not its "
    "decode 0.35 (fitted on v0.14 in-flight rows), brings this row to +4.5% but the GPT-J batch-512 128/128 row "
    "+7.2% -> +31.0%, Mixtral b512 -1.8% -> +29.5% and the 70B TP 8 b512 128/2048 row -7.0% -> +57.1%. Examined "
    "(rmpt, 2026-12-06; test_serving_trtllm_v09.py test_a100_70b_b1024_release_twins): the published figure is not "
    "an outlier of its source. The whole run at it is 187.9 TFLOP/s per GPU, 60.2% of the A100's 312 TFLOP/s fp16 "
    "dense peak: below the compute bound and below [serving.nvidia-ampere]'s prefill rate 0.7. The page's earlier "
    "releases measured the same configuration (A100 fp16, TP 4, 128/128, gptSessionBenchmark; stored versions of "
    "docs/source/performance.md whose commits the code index does not give): 'updated for v0.6.1' (its A100 column "
    "headed 'out tok/s/GPU', code index id 736701021) batch 1280 670 tok/s/GPU, predicted -26.1%, and 'All data was "
    "generated using version 0.8.0' (code index id 5675739753) batch 256 565 tok/s/GPU, predicted -13.6%. With the "
    "model's prefill, the published decode steps imply 40.8% (b256), 57.4% (b1024), 54.9% (b1280) of the fp16 peak "
    "where the model charges 32.4-33.1% (decode_compute_efficiency 0.35 at every batch): the miss grows with the "
    "decode batch, a decode GEMM rate rising with M (wave and tile fill of the per-GPU GEMMs is the candidate) that "
    "the model's one flat rate, fitted on v0.14 in-flight rows, does not have; no cited A100 rate-by-M curve for "
    "these shapes was found to charge it with. On H100 the page pair measured this shape twice (FP8, TP 2, batch "
    "1024, 128/128): v0.6.1 2657 (trt061-h100-70b-b1024-128-128, -0.8%) and v0.9.0 3214 (-18.0%), x1.21 between "
    "releases; the page's three 70B batch-1024 128/128 rows are -27.9% (A100), -18.0% (H100), -22.9% (H200). Sized "
    "(rdecode, 2026-12-06; tests/test_serving_decode_rate_by_m.py), a decode GEMM rate by the GEMM's shape in place "
    "of the flat rate, not adopted: the training model's GEMM curve (compute.py eff(F), at this layer's decode GEMMs' "
    "M, N, K per GPU) costs a fixed 2.3 us per GEMM ([family.nvidia-ampere] matmul_half_flop 5.0e+08 at "
    "matmul_eff_max 0.7) and gives the layer's GEMMs 68.7% (batch 256) and 69.7% (batch 1024) of the fp16 peak, "
    "x1.014, where the twins imply x1.41 (40.8% -> 57.4%): flat at these sizes; no cited A100 cuBLAS rate-by-M table "
    "for these shapes was found. A rate from M with nothing to fit, decode_compute_efficiency x M / (M + M_ridge), "
    "M_ridge the batch at which the table's GEMM time equals its weight-read time (a GEMM's math plus its weight "
    "reads, not their max; no source says these engines' GEMMs run so), with every NVIDIA table's declared fit re-run "
    "on it: Ampere decode_compute_efficiency 0.35 -> 0.45, Hopper 0.35 -> 0.7, Blackwell fp4_gemm_efficiency_ratio "
    "0.7; this row -27.9% -> -20.7%; held-out nvidia-ampere 12.50% -> 9.09%, nvidia-hopper 10.40% -> 11.30%, "
    "nvidia-blackwell 9.35% -> 20.47%; serving held-out median 12.00% -> 12.51% over 576, beyond 25% 128 -> 143 (25 "
    "rows enter, 10 leave); the Hopper table's 128/128 rows, within 25% at the flat rate, then run too fast "
    "(trt10-h100-l3-8b-tp1-128-128 -2.8% -> +35.2%). The training curve's form with its half point fitted for "
    "decode instead (a fixed time per GEMM, the form of matmul_half_s; grid 0..200 us step 5 us in each NVIDIA "
    "table's declared search): fitted Ampere 25 us, Hopper 40 us, Ada 60 us per GEMM (Blackwell carries Hopper's); "
    "this row -27.9% -> -29.0%; gptfast-a100-7b-tp8 (batch 1) -8.7% -> -43.6%; held-out median 12.00% -> 12.60% "
    "over 576, beyond 25% 128 -> 135 (13 rows enter, 6 leave). Seen (rdecode): on one table's H100 rows the "
    "compute-bound 128/128 decode steps imply decode_compute_efficiency values that follow the model, not M (the "
    "batch; a max-load row's is the model's concurrency): trt10-h100-l3-8b-tp1-128-128 M = 3938 0.367; "
    "trt09-h100-70b-tp2-b1024-128-128 M = 1024 0.534; trt10-h100-l3-70b-tp2-128-128 M = 2040 0.461; "
    "trt10-h100-l3.1-405b-tp8-128-128 M = 3607 0.517: the 8B row at the largest M implies the least, so no rate "
    "rising with M alone fits both; what else sets it (the per-GPU GEMMs' N and K, the engine's per-request work) is "
    "not established. Ruled out (rsrvA, 2026-12-06; test_serving_trtllm_v09.py "
    "test_a100_70b_b1024_fewer_in_flight_is_slower): an engine that ran fewer than the 1024 sequences at once (the "
    "page's --max_batch_size 64 build, v0.9's max_batch_size / max_num_tokens limits, the batch in waves): with fewer "
    "in flight the model is slower, not faster: 64, 256 and 512 at once put the row at -40.8%, -28.8% and -28.2% "
    "(their decode steps 28.5, 87.3 and 172.4 ms for 64, 256 and 512 tokens, against 342.4 ms for 1024), so no limit "
    "on the batch brings the model nearer the published figure. Examined 2026-12-06 (rsrv3; test_serving_trtllm_v09.py "
    "test_a100_70b_b1024_within_measured_matmul): two cloud A100s' best fp16 matmul rates (torch.mm of 1024-10240 "
    "squares; zzc0721/torch-performance-test-data@07858687 database.md: 258.74 TFLOPS on an A100 SXM4 80GB, 247.63 on "
    "an A100 40GB) are 0.829 and 0.794 of the 312 TFLOP/s peak: the published figure's implied decode rate (57.4% of "
    "peak) is 0.69 of the 80GB card's measured best, the model's flat rate (33.0%) 0.40 of it, so the figure asks no "
    "more of the GEMMs than an A100 was measured to do and contradicts no measurement: it stays a decode GEMM rate the "
    "model's one flat rate does not express",
    # srv_pp (2026-12-03): the RTX PRO 6000 pipeline-parallel rows, held out against the unfitted [serving.default].
    # rrtx (2026-12-05): twelve of the 14 left this list: their notes carry a checked reason (eight 70B --pp 4-8 rows:
    # release 1.2's table of the same benchmark on the same device, x1.21 / x1.51 v1.0's at --pp 4 / 8, the model
    # within 17% of it; four 128/128 rows: their compute-bound decode steps at the engine's fitted decode GEMM rate,
    # 0.35, not [serving.default]'s unfitted 0.6; tests/test_serving_rtx_release12.py); these two stay beyond 25%
    # rtrt (2026-12-05): trt10-rtx6k-l33-70b-tp1-pp8-128-2048 left this list: with the page's finite dataset (3000
    # requests, two waves at the model's concurrency) and the release ratio it is within 25%, recomputed by
    # tests/test_serving_rtx_release12.py
    # rpphost (2026-12-06): trt10-rtx6k-l33-70b-tp1-pp8-128-128 left this list (LEFT_UNEXPLAINED keeps its text):
    # TensorRT-LLM v1.0's blocking PP loop, charged per request in flight ([serving.default] pp_host_per_request_s,
    # fitted on the 1000/1000 rows at --pp 2 / 4 / 8), brings it within 25% (tests/test_serving_pp_host_loop.py)
    # The 20 llm-foundry A100-80GB rows at seq >= 8192 listed here by ampfsdp (2026-12-02) left the same day (longseq):
    # their attention_kernel cells read flash2; the table ran FlashAttention in Triton (runs-file header), and at its
    # derived rates every one is within 25%
    # (tests/test_validate_hopper.py::test_a100_table_runs_flash_attention_in_triton).
    # row_mpt (2026-12-02) looked again: no wrong cell, the miss follows the configuration (figures recomputed by
    # tests/test_a100_30b_8k_row.py); what costs the time is not established.
    "mpt-a100-30b-8-8k": "predicted 25.6% too fast since a100_long's re-derived Triton backward rate, 2026-12-03, "
    "which brought the table's other 27 rows at seq >= 8192 to a 3.2% median (-26.6% before it; -24.8% before ce's "
    "re-run of the declared nvidia-ampere/pytorch-fsdp rule, 0.66 -> 0.68). Every cell is the llm-foundry README "
    "line's (MicroBatchSize 1, GradAccum 21, GlobalBatchSize 168, FULL_SHARD, checkpointing; NumParams = the cells + "
    "GPT-2-style biases + an 8192 x 7168 position table, neither charged time). The miss follows the configuration, "
    "not one reading or the A100 Triton core: the same line measured earlier in bf16 / PURE (mosaicml/examples "
    "3bbda73, 4977 T/s) is -19.4% (4096: -7.9%); the H100 BF16 table's MPT-30B on 8 GPUs (061f2c7) is -29.3% at 8192 "
    "against -14.2 / -8.5 / -6.7% at 4096 / 2048 / 1024; per token the 8192 line takes 1.25-1.42x the 4096 line's "
    "time, the model 1.07-1.10x. It holds the most tokens per micro-batch of the 30B lines and the model's highest "
    "memory estimate (67.5 of 80.0 GiB): allocator pressure near capacity is a candidate, but neither table publishes "
    "memory or allocator-retry figures and no source sizes such a cost for this run. Examined again 2026-12-05 (mpt8k; "
    "tests/test_a100_30b_8k_row.py): not the attention core: for the published step the Triton core would need 2.93x "
    "the time the model gives it, while the same kernel at head dim 128 needs 0.70-1.06x at 8192-65536 (7b at 65536: "
    "b x h 32, the core 74% of its step, 1.06x), so no cost of that code growing with the sequence explains it (no "
    "ALiBi either: both tables' NumParams count a learned position table). Two table facts for the memory candidate: "
    "in all three measurements the 8192 line is the only 30B 8-GPU line above the sweeps' 6144 tokens per micro-batch "
    "(the 4096 line runs MicroBatchSize 1, not 2 = 8192 tokens; 16-64 GPUs run 20480-32768 at 2048), and FSDP "
    "DEFAULT mixed precision (a buffer in fp32 that PURE keeps in 16 bit) is 5-16% faster than PURE at every 30B "
    "length but 8192, where it is 8% slower; still no published memory or allocator figure. Examined again "
    "2026-12-06 (rmpt; tests/test_a100_30b_8k_row.py): a fourth measurement, the README's earlier H100 80GB table "
    "(amp_bf16 PURE, code index id 31202067367), is -34.1% at 8192 (-17.1 / -9.9 / -8.1 / -6.9% at 4096 / 2048 / "
    "1024 / 512; per token 1.350x its 4096 line). Against 13B on the same GPU at the same length 30B is predicted "
    "faster at every length, by more as the sequence grows: H100 PURE 11.5 / 10.5 / 22.8 points at 512 / 2048 / 8192, "
    "the A100 rows 7.9 / 12.9 / 33.1 at 1024 / 4096 / 8192, while its attention core is the smaller share of the "
    "step (0.18 against 0.23 at 8192). That earlier version's A100 table carried this line as the bf16 PURE 4977 "
    "T/s with its other 30B lines as now: 061f2c7's 4594 replaced that one line (llm-foundry h100new.md at "
    "beb8dee6922c5e31d27a24a713a1315b4013185d lists it with Image mosaicml/pytorch:2.1.0_cu121-nightly20230827, but "
    "lists every A100 line so, unchanged ones too: not evidence of its stack). Its opt30b.sh (same commit) submits "
    "30b.yaml at seq 8192 on 8 H100 80GB with --microbatch_size 2 --accum 1; no table publishes that run, so the "
    "sources do not say whether 8192 tokens per micro-batch is near the memory limit"
    + _RMIX34_MPT.format(**_RMIX34_MPT_FIGS) + _RMIX36_MPT.format(**_RMIX36_MPT_FIGS),
    # mb-gb200-qwen3-30b left 2026-12-02 (moe): -24.2% (28.0% before) once compute.grouped_gemm_s charges one launch
    # gap per local expert (TE GroupedLinear's per-expert cuBLAS GEMMs); within 25%, its strict xfail passed.
    # rmi355 (2026-12-06): sglang-mi355x-qwen3-8b-tp1-fp8-b64-8192-1024-tput left this list (LEFT_UNEXPLAINED keeps
    # its text)
    "amd-mi300x-llama2-7b-fp8": "predicted 27.8% too fast (28.1% before amd_fix, 2026-12-03: CK's tile skip with "
    "the cdna3 bf16 rule re-run, 0.44 -> 0.40, fp8 derived 0.40 -> 0.36) since the cdna3 fp8 value is derived from "
    "AMD's measured FP8 / BF16 GEMM rates (2026-12-02, amdfp8; -12.3% at the grid-floor fit 0.30 it replaced); what "
    "the 2024 ROCm Megatron-LM / TE stack loses against the Infinity Hub v25.2 Llama 3.1 8B FP8 rows (-8..-11% at "
    "0.36) is not established: "
    "its CK fused-attention rate and the FP8 GEMM rate at its shapes have no source (the row's note). Examined "
    "2026-12-02 (row_amdfp8): the log is steady state; the run took nearer the model's BF16 time for its layout "
    "(+11.1%; +7.4% before amd_fix) than its FP8 time, where the v25.2 FP8 rows got the FP8 speed; "
    "--no-gradient-accumulation-fusion is at most 4.5% of the gap; "
    "which CK attention backward (v2 or v3) TE 8c4a512 ran was not found then (figures: test_amd_rows.py). "
    "Read 2026-12-05 (rmisc): it was CK's v2 (ROCm TE's v3 opt-in, NVTE_CK_USES_BWD_V3 default 0 from PR #98 "
    "to the tree PR #272 edited, 2025-08-19, and off on Megatron's sbhd layout since PR #151; the run sets no such "
    "variable); no source gives its rate at this shape: the published step needs it at 100 TFLOP/s (the model: 522), "
    "within 25% at 368 or less, and aiter's measured v3 rates at the nearest shape (409-417) leave the row at -26% "
    "(the row's note; test_amd_rows.py test_llama2_log_ran_cks_v2_backward_and_the_rate_the_row_needs_from_it). "
    "Examined 2026-12-05 (ramd): the TE-issue rows' checked reason (their 2024-10 build's untuned hipBLASLt FP8 GEMMs "
    "at about the BF16 rate, ROCm TE #73 / #78; tests/test_amd_te_2024_fp8.py) is of that build; this log's is a 2025 "
    "one (ROCm 6.4, TE 8c4a512) and no source says whether its FP8 GEMMs were tuned, so it is not carried here"
    + _RGPTOSS_PRIMUS.format(**_RGPTOSS_PRIMUS_FIGS) + _RMISC32_AMD + _RAMD33_AMD.format(**_RAMD33_AMD_FIGS)
    + _RMIX34_AMD.format(**_RMIX34_AMD_FIGS)
    + _RTRAIN5_AMD.format(run_mb="41.9", ih_mb="0.66", us="7.8", gap_s="2.85", share="2.7e-06")
    + _RAMD36_AMD.format(**_RAMD36_AMD_FIGS),
    # ramd (2026-12-05): the #78 proxy and the two #79 Llama 3 8B rows left this list: their notes carry a checked
    # reason (the 2024-10 build's FP8 GEMMs at about the BF16 rate, ROCm TE #73 / #78; the per-iteration cost seen
    # on H200 too, #79), recomputed by tests/test_amd_te_2024_fp8.py
    **{f"wmx-l4-q25-05b-256-128-{c}": _L4_REASON for c in (
        "c1-ttft", "c2-ttft", "c4-ttft", "c8-ttft", "c16-tput", "c16-ttft", "c32-tput", "c32-ttft")},
    "nrn-trn1-l2-7b-b1-128-8064-ttft": "the published Llama-2-7b TTFT at 128 tokens is 0.25x the 70B's with 0.10x its "
    "FLOPs and 0.40x its layers; no source names the fixed cost (searched again 2026-12-01: table columns, linked "
    "samples, transformers-neuronx buckets and context attention, release notes; the 7B's smaller per-core GEMMs "
    "ruled out on the device's training curve, 2026-12-01; tests/test_serving_neuron.py). Ruled out (l4nrn, "
    "2026-12-05): a fixed cost per forward, as the model misses 4.21 ms here and 26.12 ms at batch 8 (6.2x); seen: the "
    "prefill's own time (TTFT - TPOT) over the Llama-2 128-token rows goes with the all-reduce payload (85.6-104.9 ms "
    "per GB), not the FLOPs, but the Llama-3 rows give 75.6-149.9 ms per GB: no one rate, no source sizes it. "
    "Examined (rneuron, 2026-12-05): split by batch within one release, the per-sequence prefill work is one rate per "
    "layer x hidden (2.18.0: 7B 54.2, 70B 49.4-51.6 ns), not per FLOP, published 1.59x the model's slope; the Llama-3 "
    "rows' lower rate (2.18.1: 35.4-38.8 ns) comes with their release and their samples' BSH attention layout (the "
    "Llama-2 samples, this row's and the 70B fit rows', keep the default HSB); a static batch is one context pass "
    "(transformers-neuronx base.py); no source sizes the cost (the runs file's 'Examined 2026-12-05 (rneuron' record); "
    + _LAST_TOKEN_LOGITS + "; " + _CONTEXT_BUCKET + "; " + _CACHE_AND_DECODE,
    "nrn-trn1-l2-7b-b8-128-8064-ttft": "batch 8 of the row above; the same unexplained cost, not a fixed cost per "
    "forward (l4nrn, 2026-12-05: its miss is 6.2x the batch-1 row's), nor eight batch-1 passes (rneuron, 2026-12-05: "
    "transformers-neuronx runs a static batch as one context pass; its prefill is 8.5x the batch-1 row's); "
    + _LAST_TOKEN_LOGITS + "; " + _CONTEXT_BUCKET + "; " + _CACHE_AND_DECODE,
    **{f"nrn-trn1-l3-8b-b1-128-{n}-ttft": "gap row (int8 weight-only); with its matmuls at the bf16 peak still beyond "
       "25%, as the Llama-2-7b 128-token rows; seen (l4nrn, 2026-12-05): their prefill's own time (TTFT - TPOT) is "
       "132.5-149.9 ms per GB of all-reduce payload, 1.3-1.5x the Llama-2-7b batch-1 row's 98.7 with the same payload, "
       "so that row's rate does not carry to them either (tests/test_serving_neuron.py); examined (rneuron, "
       "2026-12-05): split by batch, their per-sequence work is the model's (published 0.90-0.97 of its slope) and the "
       "same release's 70B rate per layer x hidden (35.4-38.3 against 37.0-38.8 ns): the batch-1 miss is in the part "
       "that does not grow with the batch, which no source sizes; " + _LAST_TOKEN_LOGITS + "; " + _CONTEXT_BUCKET
       + "; " + _CACHE_AND_DECODE
       for n in (8064, 3968)},
    "trn1-nxd-llama31-8b-n221": "fit row (Neuron 2.21, May 2025 table); its note's release spread (22-28% published "
    "utilization) does not reach the model's figure at any release, as for the 2.24 row below (2026-12-01); "
    + _KV_SHARED + "; " + _PRECISION + "; " + _FP32_LOSS + "; " + _MULTI_NODE + "; " + _TWIN_PROGRAM + "; " + _NKI_CORE,
    # dsv3 (2026-12-01): held-out DeepSeek-V3 / GPT-OSS-120B rows of Megatron-Bridge 25.11 (notes give the figures)
    # mb-b200-dsv3-fp8 left 2026-12-02 (moe): -23.6% (27.5% before) with the per-expert launch gaps of
    # compute.grouped_gemm_s (32 local experts at EP 8); within 25%.
    # rcb (2026-12-01): beyond 25% since its recompute cell was set from the recipe (selective -> none).
    # mb-gb200-dsv3-bf16 left 2026-12-02 (recmod): -24.4% (-25.7% before) once its recipe's recompute_modules
    # ['mla_up_proj'] is a cell the model charges (the up-projection GEMMs redone in the backward); within 25%, its
    # strict xfail passed; the note's figures are recomputed by tests/test_recompute_modules_rows.py.
    # mb-gb200 / mb-b200 / mb-gb300-gptoss-120b left 2026-12-02 (moe3): their notes carry a checked reason (the 25.11
    # stack's unfused, host-synchronised MoE block, 48.2% of NVIDIA's GPT-OSS step by its fused-kernel blog, against
    # misses of 47.6 / 49.7 / 46.0% once the GB200 / GB300 cells came from the recipes), recomputed by
    # tests/test_moe_gptoss_stack.py; mb-h100: -21.5% (-22.5% before memread's recompute_modules cell, 2026-12-02;
    # within 25% since hopdiag)
    # b300 (2026-12-01): held-out DGX-B300 row of Megatron-Bridge 26.02
    # (its note's figures: tests/test_validate_blackwell_ultra_rows.py)
    # mb2602-b300-qwen3-235b left 2026-12-03 (row_bw): its note carries a checked reason, recomputed by
    # tests/test_b300_qwen3_recipe_change.py: the same DGX-B300 benchmark in the 26.04 table, after NVIDIA removed
    # VP and moe_a2a_overlap (PR #2669; issue #3399: they "degraded perf" on B300) and set MBS 2, publishes a 1.81x
    # shorter step (4865 tokens/s/GPU) where the model's is 1.01x shorter, and the model is within 25% of it (-14.7%).
    # recon2 (2026-12-01): mb-gb300-llama31-405b and mb2602-gb300-llama31-405b-fp8 beyond 25% (too slow) since the
    # Blackwell fp8 rule's re-run 0.50 -> 0.46 after rcb; rblackwell (2026-12-05): both left this list, within 25%
    # (+27.9% -> +20.8%, +30.8% -> +23.7%) once each Blackwell device's fused attention core runs at its measured cuDNN
    # rate and the fp8 rule was re-run 0.46 -> 0.50 (tests/test_blackwell_fused_attention.py); what was examined for
    # them stays in their row notes and tests/test_big405_gb300_rows.py
    **{rid: "vLLM PR #2192 A100-80G latency rows (a100tp, 2026-12-01): vLLM of December 2023 took about twice "
       "the model's decode step, and its NCCL -> custom all-reduce saving (44 us per 1 MiB all-reduce) is a "
       "CUDA-graph host cost outside the kernel; no source gives vLLM 0.2's per-step host cost. Examined 2026-12-02 "
       "(hostcost): the run drove its GPUs as Ray actors, whose control plane vLLM PR #2221 measured at 28.7-40.7% "
       "of a TP 8 Llama 70B run's time on A100-40G (carried unscaled, +13.3%/-5.8% and +0.9%/-16.1%); its size at "
       "TP 4, batch 64 has no source. Examined 2026-12-03 (row_srv): the same table's Llama 33B TP 2 row (no preset; "
       "predicted in the test) has the 70B's published decode step (52.4 / 53.0 ms NCCL, 46.5 / 46.0 custom) where "
       "the model's differ by 30%, so the miss is no per-step constant; the decode kernel of the time did not use "
       "GQA's shared K/V (vLLM issue #1880), so the 70B read its cache once per query head, 8 times (6.9 ms a step "
       "were all reads HBM's, which brings the two rows' residuals within 2.4 ms), but vLLM PR #2744's kernel time "
       "shows some re-reads stay in L2 and no source gives how many at this shape; a cost per Ray worker (4 vs 2) "
       "splits the residuals too, likewise unsized (the notes' figures: tests/test_serving_custom_allreduce_a100.py). "
       "Examined 2026-12-05 (vllmgqa): the re-read is the run's kernel's (vLLM v0.2.6's paged_attention_v1/v2, one "
       "thread block per query head loading its KV head's K and V, read in code), but charged in full, 8 reads of "
       f"each KV head's cache a step at the model's KV rate, the row is still {g8} too fast (matching it takes "
       f"{reads} reads, more than the kernel issues), {gap} points from the multi-head 33B row's {e33}: the "
       "re-read is at most part of the miss (8 reads at the model's rate are an upper end: vLLM PR #2744's kernel "
       f"time moved them at 1.82x it); the rest is one per-step cost of this table's runs ({r70} ms a step here, "
       f"{r33} ms in the 33B row, at 8 reads), unsized at vLLM 0.2.6 (vLLM PR #818's host shares of an August 2023 "
       f"run, carried unscaled, would be {pr818} ms). Seen (rmisc, 2026-12-05): vLLM's own measurement of its later "
       "V0 engine's per-decode-step CPU work (RFC #6854, 2024-07-26: '5-13ms of GPU bubble' a step; #6801, 2024-08: "
       "'can be 20ms' at batch 200) brackets the custom pair's residual at 8 reads (6.8 / 7.7 ms; the 70B's 12.0 ms "
       "with the 8 reads at PR #2744's 1.82x rate), the NCCL pair's being that plus the PR's measured all-reduce "
       "saving (7.06 ms a step); at the model's one read the custom residual, 16.8 ms, "
       "is above it; carried across versions and shapes (v0.2.6 also sent each step's metadata to "
       "its Ray workers, PR #2221), not established (tests/test_serving_custom_allreduce_a100.py). "
       "Examined 2026-12-05 (rsrv): PR #2744's time carried as the kernel's work rate, not as a ratio to bandwidth "
       "(the FlashInfer post, of v0.2.6: on A100 'traditional implementation of Grouped Query Attention is "
       "compute-bound'): 3.82 G (query head, cached token) pairs a second; this step's 31.5 M pairs take 8.23 ms, "
       f"5.75 of the model's KV reads, and the row is at {e_pair}; at that rate the multi-head 33B row's kernel would "
       "take 0.72 of the model's read, faster than the model reads its bytes, so it keeps that one read "
       f"({e33}), and the published steps exceed the model's by {p70} ms here and {r33} ms there, one per-step cost "
       f"within {dp} ms; PR #2744's shape (batch 4: 256 thread blocks on 108 SMs, 1024 tokens each) is not this one "
       "(1024 blocks of 257-511 tokens), so the rate is a reading, not established. " + _VLLM2192_T4[rid]
       + ". " + _RVLLM[rid] + ". " + _RVLLM2[rid] + ". " + _RSRV3[rid] + ". " + _RT4[rid]
       for rid, g8, reads, gap, e33, r70, r33, pr818, e_pair, p70, dp in (
           ("vllm2192-a100-l2-70b-tp4-b64-nccl", "+27.4%", "17.7", "2.8", "+30.2%", "13.8", "14.5", "5.8", "+36.1%",
            "17.0", "2.6"),
           ("vllm2192-a100-l2-70b-tp4-b64-custom", "+13.5%", "12.7", "2.3", "+15.7%", "6.8", "7.7", "5.0", "+21.2%",
            "10.0", "2.3"))},
    # rsrvA (2026-12-06): the same table's T4 cells, held out (their notes; tests/test_serving_custom_allreduce_a100.py)
    # rt4 (2026-12-06): both left this list, within 25% (+32.8% -> +20.4%, +29.2% -> +17.1%): a decode step's weights
    # read at the T4's fp16 GEMM rate measured at its batch (vLLM PR #6996; predict/data/measured_decode_gemm.csv,
    # predict/decode_gemm.py); their entries as they stood are T4_ENTRIES_BEFORE_RT4 above
    "trn1-nxd-llama31-8b-n220": "held-out row of the 8B layout (Neuron 2.20), beyond 25% since the NKI flash "
    "kernel's tile shape (attention_kernel nki_flash, 2026-12-03: -23.4% -> -27.6%; -31.5% after the rule-v2 re-run "
    "0.46 -> 0.50, trnfix; -29.8% at 0.48 since the XLA dead recompute's re-run, 2026-12-04, xla); the layout's gap as "
    "on the fit row below: 26.1% published utilization against the model's 37.2% (38.2% at 0.50, 36.1% at 0.46), no "
    "source separates the layout (searched 2026-12-03: nki-samples attention.py at "
    "a33dfbc, NxD kernels/flash_attn.py at e834945, NxD 0.8.0 release notes); " + _KV_SHARED + "; " + _PRECISION + "; "
    + _FP32_LOSS + "; " + _MULTI_NODE + "; " + _TWIN_PROGRAM + "; " + _NKI_CORE,
    # 2026-12-04 (xlaadopt): trn1-nxd-llama31-8b-n221d's entry removed: -25.9% -> -24.0% (XLA dead recompute and
    # rule v2's re-run 0.50 -> 0.48), within 25%.
    "trn1-nxd-llama31-8b": "fit row, beyond 25% since its recompute was corrected to what the script runs "
    "(2026-12-01: the flash kernel bypasses the checkpointed CoreAttention): every release of the layout publishes "
    "22-28% utilization, below the model's; no source separates the layout (its figures: "
    "tests/test_validate_trainium.py); " + _KV_SHARED + "; " + _PRECISION + "; " + _FP32_LOSS + "; " + _MULTI_NODE
    + "; " + _TWIN_PROGRAM + "; " + _NKI_CORE,
    # newrows (2026-12-03): a held-out MaxText TPU v5p row from AI-Hypercomputer/tpu-recipes, its cells set before it
    # was predicted (figures recomputed by tests/test_newrows_maxtext.py).
    # moerows (2026-12-04): maxtext-v5p-dsv3-671b-512 left (+40.4% -> -20.7%) once the MaxText MoE rows carry
    # moe_grouped_mlp megablox (compute.megablox_gmm_s: MaxText's Pallas grouped matmul, one kernel per GEMM over
    # 512-row tiles, a straddled tile computed once per group); its entry had recorded the per-expert / one-GEMM
    # bracket (127.3 s / 64.7 s) and the searches for a megablox rate (none found). The same cell moved Maverick out
    # of 25% the other way (figures recomputed by tests/test_moe_megablox.py and tests/test_newrows_maxtext.py).
    # rtpuaxis (2026-12-05): maxtext-v5p-llama4-maverick-128 (-28.9% -> -24.9%) and maxtext-v5e-128b-x32 (-31.7% ->
    # -22.4%) left once a TPU's tensor-parallel collectives run on their mesh axes' ICI links (comm.ici_shares; v5e tp
    # 16 on one of the 16x16's two dimensions, v5p tp 4 on one of three) and the v5p rule re-ran 0.80 -> 0.88; their
    # entries' findings now stand in the rows' notes (figures recomputed by tests/test_moe_megablox_tp.py and tests/
    # test_newrows_maxtext.py). The same re-run put maxtext-v5p-dsv3-671b-512 (tp 1) back beyond 25%.
    # rmegablox (2026-12-05): maxtext-v5p-dsv3-671b-512 left (-27.6% -> -4.2%) once MaxText's megablox grouped matmul
    # runs below the GEMM curve at narrow experts (compute.megablox_width_eff: min(1, (width / 14336)^0.30), the
    # exponent from MaxText issue #1256's v5p measurement, 50.4% -> 28% MFU at 14336 -> 2048-wide experts with the
    # same FLOPs and tokens per expert, through the model's own MoE block; no row fitted). The same rate takes Maverick
    # -24.9% -> -15.2% and Scout -8.7% -> -3.5%, and the Hunyuan 3 twin -25.7% -> +2.5% (tests/test_megablox_width.py).
    # Its entry is kept as DSV3_ENTRY_BEFORE_RMEGABLOX, whose figures the tests that quote it recompute with the rate
    # off (MEGABLOX_WIDTH_EXP 0).
    # mbnew (2026-12-03): unseen held-out rows of Megatron-Bridge's 26.02.01 / 26.04 / 26.04.01 tables
    # gptoss (2026-12-03): the 12 Blackwell GPT-OSS-120B rows of 26.02.01 / 26.04 / 26.04.01 (-41.0% to -60.1%) left
    # with a checked reason: these releases ran the MoE block unfused, as 25.11 (the rows are BF16 and Transformer
    # Engine fuses the grouped MLP under an MXFP8 recipe only; the recipes' fused-MoE switch came after them,
    # Megatron-Bridge PRs #3983 / #4173), and x 1.93, the blog's share, brings each within 25% (-23.0% to +13.8%);
    # figures recomputed by tests/test_gptoss_later_releases.py.
    # rh100 (2026-12-05): mb2604-h100-gptoss-120b and mb260401-h100-gptoss-120b left this list with a checked reason,
    # finding (11): Megatron-Core runs GPT-OSS's YaRN RoPE unfused (mscale 1.347 != 1), 0.279 s a step the model does
    # not charge; charged, -26.8% -> -24.8% and -26.6% -> -24.6% (tests/test_gptoss_yarn_rope.py); their entries,
    # findings (1) to (11), are GPTOSS_H100_RECORD above
    # newrows (2026-12-03): the 26.02 GPT-OSS-120B rows of Megatron-Bridge's archive table, held out, cells from the
    # 26.02.01 rows and the stored preset version with the table's layouts (figures: tests/test_mb2602_moe_rows.py)
    # dispatch (2026-12-03): mb2602-gb300 / -gb200 / -b300-gptoss-120b (-45.0%, -52.6%, -45.7%) left with gptoss's
    # checked reason (the 26.02 line ran the unfused MoE block; x 1.93 brings each within 25%: +6.2%, -8.6%, +4.7%);
    # figures recomputed by tests/test_gptoss_later_releases.py, the B300 note keeping the B200 sibling's figures.
    # 2026-12-04 (sortchunks): -32.6% -> -31.0%, -32.7% / -34.7% / -34.5% -> -31.1% / -33.1% / -32.9%, -21.5% ->
    # -19.6%, +30.1% -> +33.2%, the local-expert sort cost (figures: tests/test_mb2602_moe_rows.py)
    # 2026-12-05 (fc2bias): the fc2-bias charge adopted: -31.0% -> -26.2%, -31.1% / -33.1% / -32.9% -> -26.3% /
    # -28.5% / -28.3%, -19.6% -> -15.7%, +33.2% -> +42.4%, host -23.6% -> -18.9%, B200 EP 64 -16.9% -> -15.2%
    # 2026-12-05 (moeopt): -26.2% -> -26.1%, -26.3% / -28.5% / -28.3% -> -26.2% / -28.3% / -28.2%, -15.7% -> -15.4%,
    # +42.4% -> +42.6%, host -18.9% -> -18.6%, before -31.0% -> -30.9%, f32 -21.9% -> -21.8%: the routed experts'
    # optimizer step over their expert-data-parallel group
    # rhopperadopt2 (2026-12-05): mb2602-h100-gptoss-120b left this list, within 25% (-26.1% -> -24.5%: the H100
    # SXM5 fused attention core at cuDNN's measured H200 rate, the Hopper re-runs 0.60 -> 0.58, maxtext 0.54 -> 0.52;
    # tests/test_hopper_fused_attention.py)
    # gb3 (2026-12-06): mb2604 / mb260401-gb300-llama31-405b-fp8 (+29.8% / +28.3%) left this list, within 25% (+15.2% /
    # +13.8%): [family.nvidia-blackwell]'s fitted GB300 fp8_device_factor x1.166 (calibration.toml; rgb3's sized rule,
    # tests/test_gb300_fp8_device_factor.py); their entries as they stood: GB300_405B_RECORD below
    # gb300 (2026-12-04): mb260201-gb300-llama3-70b-mxfp8 (+56.9%) left this list: its note carries a checked reason
    # (the 26.02.01 table's PP 4 / no VP / MBS 2 cannot give its step under 1F1B, nor fit in memory in the model;
    # +19.2% at the recipe's layout), recomputed by tests/test_mb_later_tables.py
    # 2026-12-05 (moenemo): mb260401-b200-dsv3 (+48.4%) left this list: its ep_a2a_overlap cell set from PR #3368's
    # preset, which issue #3385 (labelled 26.04.01) names as the release's B200 change: +5.4%
    # (tests/test_mb_later_tables.py)
    # mb2606 (2026-12-03): the 26.06 table's rows beyond 25%, each predicted once after the rows' commit (40a0a543)
    # 2026-12-04 (sortchunks): 65.05 -> 65.06 s on the integration tree (moved by the merges before the sort cost)
    # gb3 (2026-12-06): mb2606-gb300-llama31-405b-fp8 (+31.3%) left this list, within 25% (+16.5%): the GB300
    # fp8_device_factor (as above); its entry as it stood: GB300_405B_RECORD below
    # qwen3moe (2026-12-04): mb2606-gb300-dsv3, -gbs15360 and the GB200 / GB300 Qwen3-30B / 235B MXFP8 rows left this
    # list: their recipes' cutedsl fused grouped MLP and MoE A2A overlap (PR #3983, PR #4249 / #4606) set as cells,
    # +39.1 / +40.0 / +31.8 / +37.9 / +32.1% -> +9.1 / +8.4 / -5.7 / -13.5 / -0.5% (their row notes)
    # 2026-12-04 (sortchunks): -27.0% -> -23.9%, the local-expert sort cost: mb2606-gb200-gptoss-120b left this list
    # (within 25%; its row note quotes the figures this entry did, tests/test_mb2606_rows.py checks them)
    # ryarn2 (2026-12-05): the lead adopted Megatron-Core's unfused YaRN RoPE (rope_fusion unfused on the 22
    # Megatron-Bridge GPT-OSS rows of 26.02 .. 26.06); the H100 26.04 / 26.04.01 rows above left beyond 25% by the
    # model (-24.8% / -24.6%), and these two B200 rows lost gptoss's checked reason: x 1.93 now overshoots 25% (figures
    # recomputed by tests/test_gptoss_later_releases.py, test_the_b200_rows_lost_the_share_with_the_rope_term)
    # rb200gptoss (2026-12-05 s32): mb260201-b200-gptoss-120b (-33.8%) and mb260401-b200-gptoss-120b (-34.5%) left
    # this list: their notes re-establish gptoss's reason on the step less the model's exposed inter-node gradient
    # reduce (0.97 s of 3.95 s at EP 8 over 8 nodes; 0.4% of the step on the GB200 / GB300 rows the fused recipe ran
    # on), the reduce behind the unfused micro-batch by the model's own overlap rule: +7.2% / +6.0% (bounds +12.8% /
    # +11.5% exposed as now, -3.4% / -4.5% hidden); the RoPE term checked not to double count with the blog's share
    # (tests/test_gptoss_later_releases.py, test_b200_rows_reason_on_the_step_less_the_reduce)
    # peng (2026-12-06): held-out rows added with the per-engine overlays (the gpustack block of the runs file); the
    # figures are recomputed by tests/test_serving_engine_overlay.py (test_unexplained_gpustack_figures)
    "gs-h100-q3-8b-fp8-sglang-c4-ttft": "predicted -60.4%: the FP8 checkpoint's published mean TTFT (39.66 ms) is "
    "above its bf16 twin's (27.70 ms) on the same engine, page and harness, where the model's FP8 prefill is faster "
    "(15.7 vs 27.6 ms predicted; the sglang overlay's 2 ms a request was fitted on the twin). The page's P99 TTFTs "
    "(134.98 vs 43.35 ms) point to a few slow first tokens in the FP8 run; what they are is not established (no "
    "profile published)",
    "gs-h100-q3-8b-trtllm-c4-tpot": "predicted +28.9%: [serving.nvidia-hopper]'s own engine, but its 4.5 ms a forward "
    "was fitted on trtllm-bench max-load rows (hundreds to thousands in flight); trtllm-serve at 4 in flight steps in "
    "7.67 ms, 2.2 ms below the model's 9.89 ms, as vLLM's and SGLang's runs on the page do (their overlays: 2 and "
    "1.75 ms). A per-step cost that grows with the requests in flight would fit both regimes; no source sizes it for "
    "TensorRT-LLM 1.2, and no trtllm-serve fit row was declared (these are held out)",
    "gs-h100-q3-8b-trtllm-c4-ttft": "predicted -45.0%: the family's per_request_overhead_s is 0 (fitted on "
    "trtllm-bench rows, whose TTFT is timed inside the engine), where this TTFT is the client's (HTTP, chat template, "
    "streaming, as vLLM's overlay charges 38 ms); no trtllm-serve fit row was declared",
    # rq32 (2026-12-06): the 32K / 4K / 2K rows left with a checked note (the A100 twin page; recomputed by
    # tests/test_serving_engine_overlay.py test_gpustack_32b_h100_notes_recompute)
    "gs-h100-q3-32b-vllm-128-4": "predicted too fast (Qwen3-32B bf16 on one H100, vLLM 0.11, every request at "
       "once): the overlay's per-step 2 ms for the family's 4.5 ms moved the four rows +64.6 / +59.3 / +58.8 / +113.6% "
       "-> +68.4 / +67.3 / +64.0 / +112.6% (32K, 4K, 2K, 128 prompts); they are prefill-bound, so no host cost per "
       "step explains them. The published total throughput is 2,149-3,195 tok/s on the 4K / 2K / 32K rows, 14-21% "
       "of the H100's bf16 peak at 2 FLOPs a parameter, where the model prefills at 55% of it; vLLM's KV pool on one "
       "80 GB H100 holds few of these requests next to 65.5 GB of weights (batch 1 / 8 / 17 predicted), and whether "
       "its scheduler preempts and recomputes prompts there is not established. The 128 / 4 row runs 1,000 requests "
       "in 32.88 s, 32.9 ms each, near the vllm overlay's 38 ms a request, which the model charges in TTFT only, not "
       "as a limit on requests a second: not established either. rq32 (2026-12-06) examined: the 32K / 4K / 2K rows' "
       "checked note (the run's H100 decoded at about an A100's pace: the same lab's A100 twin page, predicted "
       "within 8.1% on those shapes) covers part of this row, not all: the A100 twin's 128 / 4 run (1,000 requests "
       "in 49.57 s, 80.69 output tok/s) is predicted +29.1% on a100-sxm-80gb, and this row +63.0% on h100-pcie; the "
       "short-prompt runs' mean TPOT (1169.72 ms here, 528.57 ms on the A100) are steps that carry other requests' "
       "prefill chunks, which the model's waves put in TTFT; what makes 128-token requests slower than the model on "
       "both devices is not established",
}


# gb3 (2026-12-06): the UNEXPLAINED entries of the three GB300 Llama 3.1 405B FP8-CS TP 4 rows as they stood when
# [family.nvidia-blackwell]'s fitted GB300 fp8_device_factor (x1.166; calibration.toml, rgb3's sized rule) brought
# them within 25%. Not a list of unexplained rows: a record of what was examined, whose figures the examining modules
# recompute on the model WITHOUT that factor (conftest.without_gb300_fp8_factor), the model the entries were written on.
GB300_405B_RECORD: dict[str, str] = {
    **{rid: f"Llama 3.1 405B FP8 on 256 GB300 predicted {err} too slow, {_MB_LATER}: the GB300 gap of "
       f"mb-gb300-llama31-405b and mb2602-gb300-llama31-405b-fp8 (GB300 keeps B200's GEMM efficiencies, no GB300 "
       f"GEMM measurement found; those two within 25% since rblackwell); the same table's GB200 405B FP8 row is "
       f"{twin}, its "
       f"published GB300 / GB200 ratio {ratio}; searched 2026-12-03 (unexpl_searched; code and issues: "
       "'Megatron-Bridge Llama 3.1 405B GB300 FP8 recipe', 'GB300 Llama3.1 405B FP8 performance'): the stored "
       "scripts/performance/configs/llama/llama31_workload_base_configs.py (code index id 56481504594, commit "
       "0013c9a) gives GB300 FP8_CS_V2 TP 4, PP 8, CP 1, VP 4 and FP8_MX_V2 TP 2, PP 8, CP 2, VP 4 at 256 GPUs, GBS "
       "1536 (the 26.04 / 26.04.01 rows have the FP8_CS layout; the 26.02.01 row's TP 2, CP 2 is the FP8_MX one) and "
       "no GB300-only flag beyond the layout; Megatron-Bridge PR #2198 (2026-02-03, the TP "
       "4 CP 1 GB300 FP8-CS layout) and issue #2118 (2026-01-29, GB300 405B FP8-CS tuning: gradient-accumulation "
       "fusion, low-SM NVLink communication, TP 1) name no rate; no GB300 GEMM or clock measurement found; "
       f"{_GB300_PEAKS}{_R0201_LAYOUT if rid.startswith('mb260201-') else ''}{_GB300_GAP}{_GB300_RECIPE}"
       f"{_rblackwell(rid)}{_RGB300}{_RGB300_SM}{_RGB300_S32}{_ROFFLOAD_S32}{_R405B_S33}{_RGB300_S34}{_RTRAIN5_S35}"
       f"{_RMIX36_GB300}{_RGB3_S37}"
       # 2026-12-04 (vpfix): the 26.02.01 GB200 twin +13.5 -> +13.6%, vpchunk's pipeline edge costs
       # rblackwell (2026-12-05): mb260201-gb300-llama31-405b-fp8 (+31.1% -> +23.8%) left this list, within 25%
       for rid, err, twin, ratio in (("mb2604-gb300-llama31-405b-fp8", "+29.8%", "+11.0%", "1.23"),
                                     ("mb260401-gb300-llama31-405b-fp8", "+28.3%", "+9.7%", "1.23"))},
    "mb2606-gb300-llama31-405b-fp8": f"Llama 3.1 405B FP8 on 256 GB300 predicted +31.3% too slow, {_MB2606}: the "
    "same cells as mb260401-gb300-llama31-405b-fp8 (+28.3%, its entry above: the GB300 gap, no GB300 GEMM measurement "
    "found); the model's step is unchanged (61.56 s), the published one 48.00 -> 46.90 s; searched 2026-12-03 "
    "(issues: 'Megatron-Bridge Qwen3 30B GB300 performance config 26.06', 'Enable ... Full-Iter CUDA Graphs for "
    "26.06 deepseek'): "
    f"no 26.06 Llama 405B recipe change found{_GB300_RECIPE}{_rblackwell('mb2606-gb300-llama31-405b-fp8')}"
    f"{_RGB300}{_RGB300_SM}{_RGB300_S32}{_ROFFLOAD_S32}{_R405B_S33}{_RGB300_S34}{_RTRAIN5_S35}{_RMIX36_GB300}"
    f"{_RGB3_S37}",
}

LEFT_UNEXPLAINED: dict[str, str] = {
    # rmi355 (2026-12-06): +45.3% -> +22.6% under [serving.amd-instinct-cdna4], the table derived from the same
    # stack's bf16 Llama trace (its small kernels 1154 us a decode step, its prefill attention at 674 TFLOP/s) for every
    # MI355X row (tests/test_serving_fits.py DERIVED; tests/test_serving_new_families.py recomputes the figures below
    # under [serving.default], the table they were of)
    "sglang-mi355x-qwen3-8b-tp1-fp8-b64-8192-1024-tput": "Qwen3-8B fp8 predicted 45% too fast; the pages' figures "
    "close at most 49% of the gap: the Qwen page's tuned-GEMM arm (the stock arm's untuned fp8 GEMM shapes cost 3.8% "
    "of its run, 12% of the gap; the model is +39.8% against the tuned arm) and its one kernel time (the prefill "
    "down_proj at 45% of the fp8 peak, 14%), and the Llama page's launch-bound small kernels of a decode step (1154 "
    "us, 22%); the rest (2.9 s a wave) has no figure on either page or in any source found: its decode attention "
    "(SGLANG_USE_AITER_UNIFIED_ATTN, fp8 KV cache, page 64) is untimed, where the same stack's bf16 Llama 3.1 8B "
    "row (+13%) runs another kernel (searched 2026-12-02, srvfp8; figures recomputed by "
    "tests/test_serving_new_families.py). Ruled out 2026-12-05 (vllmgqa): a KV cache read once per query head, as "
    "vLLM 0.2's paged attention and TensorRT-LLM's MMHA read it (the vllm2192 and trt09 Mistral rows): aiter's Triton "
    "unified attention (adapted from vLLM's triton_unified_attention, whose PR #16828 packs GQA 'along the query "
    "dimension') runs one program per KV head and query block, its BLOCK_M rows the query positions times the "
    "num_queries_per_kv query heads of that KV head (Qwen3-8B: 32 / 8 = 4), and loads each K and V tile once for "
    "all of them, in the 2D kernel and in the split-KV 3D one (ROCm/aiter@04678497 "
    "aiter/ops/triton/_triton_kernels/attention/unified_attention.py: kv_head_idx = tl.program_id(0), "
    "query_offset_1 = kv_head_idx * num_queries_per_kv + offs_m % num_queries_per_kv; a stored tree whose order "
    "against the run's d9e5ef7c is not known), so the model's one read of each KV head is the kernel's. A lead, not "
    "sized: rocKE's gfx950 fp8-KV decode kernel is 'bound by the per-element fp8->bf16 dequant (VALU)' "
    "(ROCm/rocm-libraries PR #11313, 2026-08-26), the upcast aiter's Triton kernel also does before its QK product "
    "(aiter PR #4676); no time of aiter's kernel at fp8 KV, page 64, batch 64 and 8-9k tokens of context was found "
    "(searched 2026-12-05: aiter PRs #4676, #5432, #5598, #2235; vLLM PRs #16828, #30191). Sized (rmisc, "
    "2026-12-05): the prefill attention at the bf16 Llama trace's measured rate (its stock CK batch-prefill kernel, "
    "674 TFLOP/s, 27% of the bf16 peak; the same shapes) adds 1.04 s a wave, 19% of the gap, 67% with the three above; "
    "that this fp8-KV, vectorized_5d run took that kernel is carried, not established (the row's note)"
    + _RAMD33_SRV.format(**_RAMD33_SRV_FIGS) + _RMIX34_SRV.format(**_RMIX34_SRV_FIGS),
    # rows that left UNEXPLAINED by a model change, with the reason text they had (the earlier sessions' figures, of the
    # model before that change, which their tests recompute under it: tests/test_serving_pp_rows.py and
    # tests/test_serving_rtx_release12.py under conftest.before_pp_host_loop)
    "trt10-rtx6k-l33-70b-tp1-pp8-128-128": f"{_RTX_PP_REASON}. {_RRTX}; this row, its published figure scaled by the "
    "release ratio at --pp 8 (x1.51), is at +81.1% (+174.0% as published); its decode steps are compute-bound "
    "(65.3 ms of GEMMs against 55.8 ms of memory traffic, at 4096 requests in flight), charged at this device's "
    "[serving.default] decode_compute_efficiency 0.60, an unfitted estimate, where TensorRT-LLM's fitted tables give "
    "its large-batch decode GEMMs 0.35 ([serving.nvidia-hopper], fitted on the engine's trtllm-bench rows, carried to "
    "[serving.nvidia-blackwell]); at 0.35 this row is at +99.4% (+174.0% as published), and with the release ratio at "
    "--pp 8 (x1.51) at +31.7%; " + _RRTX_ADDITIVE.format(at="+38.8% (+1.0% at the decode rate 0.35)")
    + ". Examined (rtrt, 2026-12-05): the page's dataset is finite (perf-overview.md at 00f37686, "
    "'Preparing a Dataset': $num_requests 30000 at 128/128, all of one length): at the model's 4096 "
    "requests in flight it runs in 8 waves, the last of 1328, which validate's steady waves do not "
    "charge; so charged, this row is at +164.5% (+74.8% with the release ratio at --pp 8, +29.9% with the "
    "decode rate 0.35 too), and with release 1.2's datasets (3000 requests at 1024/1024, 1500 at "
    "1024/8192 and 8192/1024, 1000 at 32768/1024) the model is within -14.4% to +4.8% of that release's "
    "13 cells. "
    "Examined (rl4, 2026-12-06): a cost per request and step of the host loop, the form rtxpp2 saw, charged "
    "additively per output token (1/T = 1/T_model + h) on the --pp 2-8 rows only: the engine's non-PP loop exposes no"
    " such cost of 44 us or more on the H200 host (trt10-h200-l3-8b-tp1-128-128 takes 35.8 us per output token in "
    "all, the model 35.1 us of device work), while PR #10349 says the PP loop before it waits on each micro-batch's "
    "sample state. Sized only in later builds on other hosts: PR #16564 (2026-07, GB200, gpt-oss-120b generation "
    "workers) a per-iteration bubble of about 8.8 ms at 256 requests, dominated by TorchSampler.update_requests' "
    "per-request loop, 34.4 us a request at most; PR #11983 (2026-03, L40S, batch 1000) 13.8 ms of sampling host "
    "time, 13.8 us a request. At 34.4 us this row is at +29.3% (+9.9% with the decode rate 0.35), and the table's 46 "
    "rows go from a 10.4% to a 7.8% median |error|, 14 -> 2 beyond 25%; not adopted: the size is another build's on "
    "another host and model, and that v1.0's PP loop exposes it in full is not established",
}
"""Rows beyond 25% with no checked reason, each with why (strict xfails below)."""
# rtrn2 (2026-12-06): five rows left UNEXPLAINED, within 25% once Trainium1's collectives run at AWS's NCCOM-TEST
# measured bus bandwidth (the 2-rank all-reduce's 52.83 GiB/s at 1 GiB over the catalog's 192 GiB/s NeuronLink:
# scaleup_bw_eff 0.80 -> 0.275, one figure for training and serving) and the three fits reading it re-run by their
# declared rules (rule v2 0.48 -> 0.58, the Megatron-LM stack 0.38 -> 0.46, [serving.aws-neuroncore-v2] prefill 0.15 ->
# 0.20, per request 0 -> 1 ms): trn1-nxd-llama31-8b -29.4% -> -5.2%, -n220 -27.1% -> -2.1%, -n221 -38.2% -> -16.9%,
# nrn-trn1-l2-7b-b1-128-8064-ttft -31.6% -> -19.3%, nrn-trn1-l3-8b-b1-128-3968-ttft -33.2% -> -23.3% (figures recomputed
# by tests/test_validate_trainium.py test_rtrn2_nccom_link_record). Their entries move to LEFT_UNEXPLAINED as they
# stood: the dated records' tests quote them at the calibration before (conftest.trn1_link_before_rtrn2).
for _rid in ("trn1-nxd-llama31-8b", "trn1-nxd-llama31-8b-n220", "trn1-nxd-llama31-8b-n221",
             "nrn-trn1-l2-7b-b1-128-8064-ttft", "nrn-trn1-l3-8b-b1-128-3968-ttft"):
    LEFT_UNEXPLAINED[_rid] = UNEXPLAINED.pop(_rid)
_RTRN2_LINK = ("examined (rtrn2, 2026-12-06): with Trainium1's collectives at AWS's NCCOM-TEST measured bus bandwidth "
               "(scaleup_bw_eff 0.80 -> 0.275) and [serving.aws-neuroncore-v2] re-run by its rule (prefill 0.15 -> "
               "0.20, per request 0 -> 1 ms), this row goes {move}, still beyond 25%, where its twin {twin} came "
               "within it; the rest is not sized by any source found")
RTRN2_STILL_BEYOND = {"nrn-trn1-l2-7b-b8-128-8064-ttft": ("-39.3% -> -30.1%", "nrn-trn1-l2-7b-b1-128-8064-ttft"),
                      "nrn-trn1-l3-8b-b1-128-8064-ttft": ("-42.4% -> -33.8%", "nrn-trn1-l3-8b-b1-128-3968-ttft")}
"""The two Trainium1 TTFT rows still beyond 25% after rtrn2: (their move, the twin that left); the figures
test_rtrn2_remaining_trn1_ttft_rows recomputes."""
_RTRN2_TWIN_MOVES = {"nrn-trn1-l2-7b-b1-128-8064-ttft": "-31.6% -> -19.3%",
                     "nrn-trn1-l3-8b-b1-128-3968-ttft": "-33.2% -> -23.3%"}
for _rid, (_move, _twin) in RTRN2_STILL_BEYOND.items():
    UNEXPLAINED[_rid] += "; " + _RTRN2_LINK.format(move=_move, twin=f"{_twin} ({_RTRN2_TWIN_MOVES[_twin]})")
# rtrn3 (2026-12-06): what the tables' throughput column says of the two rows (figures recomputed by
# test_rtrn3_trn1_ttft_reasons_quote_the_recomputed_figures from tests/test_serving_neuron.py decode_buckets)
RTRN3_APPENDED = {
    "nrn-trn1-l2-7b-b8-128-8064-ttft": (
        "examined (rtrn3, 2026-12-06): the run's P50 TPOT is a step at the 8192 token bucket (its mean step by the "
        "table's 'Output Token Throughput' column is 8.71 against 10.10 ms; transformers-neuronx runs more than half "
        "the steps of a 128-token prompt there), so the first decode, at the 256 bucket, is 5.95 ms and the prompt's "
        "own time 60.45 ms against the model's 39.78 ms (1.52x; the Llama-2-70b fit row's 1.17x): the miss stays in "
        "the prompt's own work, which no source sizes (the runs file's 'Examined 2026-12-06 (rtrn3' record)"),
    "nrn-trn1-l3-8b-b1-128-8064-ttft": (
        "examined (rtrn3, 2026-12-06): this run's TTFT is 2.34 ms above its 128+3968 twin's, 2.25-2.92 passes over "
        "the added 4096 positions at the decode's own cost a token-bucket position (0.254 / 0.195 us, from the P50 "
        "TPOT, a step at the last bucket, against the mean step the table's 'Output Token Throughput' column gives), "
        "2.85-2.90 at batch 8: a cost of that form grows with the batch as the published TTFT does, but the pass "
        "count is read off these rows, the context network as coded runs the 128 bucket only, and no source names "
        "such work in the timed span (the runs file's 'Examined 2026-12-06 (rtrn3' record)"),
}
"""The text rtrn3 appended to the two Trainium1 TTFT rows' entries."""
for _rid, _text in RTRN3_APPENDED.items():
    UNEXPLAINED[_rid] += "; " + _text
# rtrn5 (2026-12-06): lead (c), the 32-rank all-reduce, at the rows' message sizes from NCCOM-TEST's 2-rank sweep
# (figures recomputed by test_rtrn5_trn1_ttft_reasons_quote_the_recomputed_figures from tests/test_serving_neuron.py
# nccom_sweep_prefill / nccom_sweep_decode)
RTRN5_APPENDED = {
    "nrn-trn1-l2-7b-b8-128-8064-ttft": (
        "examined (rtrn5, 2026-12-06): the prompt's all-reduces at the NCCOM-TEST guide's 2-rank sweep carried to 32 "
        "ranks by bus bandwidth (8388608 B each: 352.62 against the model's 360.93 us) take this row -30.1% -> "
        "-30.9%: at batch 8 the model's link already matches the measured rate, so the miss is not the all-reduce's "
        "bandwidth at its message size (the runs file's 'Examined 2026-12-06 (rtrn5' record)"),
    "nrn-trn1-l3-8b-b1-128-8064-ttft": (
        "examined (rtrn5, 2026-12-06): the prompt's all-reduces at the NCCOM-TEST guide's 2-rank sweep carried to 32 "
        "ranks by bus bandwidth (1048576 B each: 131.75 against the model's 101.99 us) take this row -33.8% -> "
        "-22.7%, but the excess is the sweep's fixed floor, which on the decode steps' 8192 B all-reduces alone makes "
        "7.19 ms a step, above this run's whole P50 TPOT (7.03 ms): a standalone op's floor the compiled graph's "
        "collectives do not pay, so not a reason (the runs file's 'Examined 2026-12-06 (rtrn5' record)"),
}
"""The text rtrn5 appended to the two Trainium1 TTFT rows' entries."""
for _rid, _text in RTRN5_APPENDED.items():
    UNEXPLAINED[_rid] += "; " + _text
# rtrn6 (2026-12-06): AWS's DMA bandwidth guide against the batch-1 cost a cached position (figures recomputed by
# test_rtrn6_trn1_ttft_reasons_quote_the_recomputed_figures from tests/test_serving_neuron.py position_read_rates /
# dma_serial_rate_gbs / dma_serial_bytes_for)
RTRN6_APPENDED = {
    "nrn-trn1-l2-7b-b8-128-8064-ttft": (
        "examined (rtrn6, 2026-12-06): AWS's DMA bandwidth guide (TRN1 17 B/ns x 16 engines = 272 GB/s a core, a "
        "fixed ~1300 ns a transfer, efficiency against size in words only) sizes no read at a row size: this run's "
        "cost a cached position reads at 251.2 GB/s (0.92 of that peak, 2048 B rows), the batch-1 runs' at 0.24-0.31, "
        "and the guide's fixed cost paid once a transfer (one row a partition, 8 partitions an engine) gives 115.8 "
        "GB/s here, too slow, so the compiled graph hides it; no modelled effect moves this row (the runs file's "
        "'Examined 2026-12-06 (rtrn6' record)"),
    "nrn-trn1-l3-8b-b1-128-8064-ttft": (
        "examined (rtrn6, 2026-12-06): the batch-1 cost a cached position, whose passes would make this TTFT's growth "
        "(rtrn3), reads at 64.5 GB/s in this run, 0.24 of the TRN1 DMA peak in AWS's DMA bandwidth guide (17 B/ns x "
        "16 engines = 272 GB/s a core; 0.24-0.31 over the batch-1 runs, 0.92-0.94 at batch 8); the guide gives the "
        "256 B to 2 KiB band in words only, and its fixed ~1300 ns a transfer, paid once a transfer, needs 6869-9862 "
        "B an engine at batch 1 but 253860-319719 B at batch 8 (27.1-37.0x for rows 8x larger): no one granularity, "
        "no source sizes the rate, so no rule (the runs file's 'Examined 2026-12-06 (rtrn6' record)"),
}
"""The text rtrn6 appended to the two Trainium1 TTFT rows' entries."""
for _rid, _text in RTRN6_APPENDED.items():
    UNEXPLAINED[_rid] += "; " + _text
ALL_REASONS = {**UNEXPLAINED, **LEFT_UNEXPLAINED}
"""Every reason text as written, those of rows that left the list included (the dated records quote them)."""

_CHECKED = re.compile(r"\bchecked\b", re.IGNORECASE)
# a negated or partial 'checked' anywhere in the note: 'not checked', 'not yet checked', 'unchecked', 'partly checked',
# 'partially checked', 'never checked', and 'not explained' / 'unexplained'
_NEGATED = re.compile(r"\b(?:(?:not|never)\s+(?:yet\s+|been\s+)?|un-?|part(?:ial)?ly\s+)checked\b"
                      r"|\bnot\s+(?:yet\s+)?explained\b|\bunexplained\b", re.IGNORECASE)
# case-sensitive: the list's name, in capitals, where it names a record of the list ('its UNEXPLAINED entry', 'the row's
# UNEXPLAINED finding (10)', 'out of UNEXPLAINED'); a bare 'UNEXPLAINED' or 'Beyond 25% (UNEXPLAINED in ...)' says the
# row is unexplained and still negates (rvs32a, 2026-12-05)
_LIST_NAME = re.compile(r"\bUNEXPLAINED\s+(?:entry|entries|finding|findings)\b|\bout\s+of\s+UNEXPLAINED\b")


@dataclass(frozen=True)
class Row:
    id: str
    kind: str  # training / serving / inference
    source: str
    error: float | None
    note: str


@functools.cache
def _rows() -> tuple[Row, ...]:
    train = [Row(r.id, "training", r.source, r.error, r.note) for r in validate_report().runs]
    serve = [Row(r.id, "serving", r.source, r.error, r.note) for r in validate_serving().runs]
    infer = [Row(r.id, "inference", r.source, r.error, r.note) for r in validate_inference_result().runs]
    return tuple(train + serve + infer)


def _beyond() -> list[Row]:
    return [r for r in _rows() if r.error is not None and abs(r.error) > ROW_NOTE_BOUND]


def has_checked_marker(note: str) -> bool:
    """The note says its reason was checked ('checked:', 'Checked 2026-..', 'reason checked', 'CHECKED REASON'), and
    nowhere says it is not ('not checked', 'unchecked', 'partly checked', 'not explained', ...). The all-capitals
    UNEXPLAINED names this module's list (a dated record such as 'the row's UNEXPLAINED finding (10)'), not a verdict:
    it is set aside before the negations are looked for (rh100, 2026-12-05); a row still in the list is held by the
    strict xfail below whatever its note says."""
    return bool(_CHECKED.search(note)) and not _NEGATED.search(_LIST_NAME.sub("", note))


def recomputed_ids(test_file: str) -> frozenset[str]:
    """The row ids whose notes the test module recomputes (its RECOMPUTED_IDS)."""
    if test_file == Path(__file__).name:
        return RECOMPUTED_IDS
    module = importlib.import_module(test_file.removesuffix(".py"))  # tests/ is on sys.path (pytest's rootdir import)
    ids = module.RECOMPUTED_IDS
    assert isinstance(ids, frozenset), test_file
    return ids


def recomputing_test(row: Row) -> Path | None:
    """The test file that recomputes the row's note: the one RECOMPUTED_BY names, if its RECOMPUTED_IDS holds it."""
    name = next((f for p, f in RECOMPUTED_BY.items() if row.id.startswith(p)), None)
    return TESTS / name if name is not None and row.id in recomputed_ids(name) else None


def test_marker_rule() -> None:
    assert has_checked_marker("checked: the miss is a fixed per-forward cost")
    assert has_checked_marker("32 nodes; ... Beyond 25%, reason checked (2026-11-30, rule v2 ...)")
    assert has_checked_marker("Checked 2026-11-30 (s-moe; ...), no mechanism adopted")
    assert not has_checked_marker("not explained: published minus the model's TTFT; layout checked")
    assert not has_checked_marker("partly checked: the model's request cycle")
    for negated in ("the reason is not checked", "the reason is unchecked", "reason not yet checked (2026-12-01)",
                    "layout checked; the reason is partly checked", "checked layout, the miss is not explained",
                    "checked: an unexplained fixed cost", "partially checked", "un-checked"):
        assert not has_checked_marker(negated), negated
    assert has_checked_marker("checked: the fixed cost is not modelled")  # a negation of something else
    # rh100 (2026-12-05): the list's name in capitals is a record, not a verdict; the words still negate
    assert has_checked_marker("Examined (the row's UNEXPLAINED finding (10)). Reason checked: the unfused RoPE")
    for negated in ("Reason checked; unexplained", "Reason checked; Unexplained remainder", "checked, not explained"):
        assert not has_checked_marker(negated), negated
    # rvs32a (2026-12-05): the capitals as a verdict (not a record of the list) still negate
    assert has_checked_marker("checked (rmoe, as its UNEXPLAINED entry); left out of UNEXPLAINED (2026-12-05)")
    for verdict in ("Reason checked; UNEXPLAINED", "Layout checked. Beyond 25% (UNEXPLAINED in "
                    "tests/test_row_notes_checked.py)", "checked: UNEXPLAINED remainder",
                    "reason checked; the row stays in the UNEXPLAINED list"):
        assert not has_checked_marker(verdict), verdict
    assert not has_checked_marker("the nvidia-ampere serving table has no per-request overhead")


def test_every_row_beyond_25pct_has_a_checked_and_recomputed_note() -> None:
    rows = _beyond()
    kinds = {r.kind for r in rows}
    assert {"training", "serving"} <= kinds  # the rule must see both files
    assert len(rows) > len(UNEXPLAINED)  # and rows with a checked reason, not only the unexplained ones
    bad = [(r.kind, r.id, round(r.error or 0.0, 3)) for r in rows if r.id not in UNEXPLAINED
           and not (has_checked_marker(r.note) and recomputing_test(r) is not None)]
    assert not bad, f"rows beyond 25% without a checked note recomputed by a test (or an UNEXPLAINED entry): {bad}"


def test_unexplained_rows_exist_and_say_so() -> None:
    """Every UNEXPLAINED entry is a bundled row with a note (the list must not hide rows that are gone)."""
    by_id = {r.id: r for r in _rows()}
    for rid, reason in UNEXPLAINED.items():
        assert rid in by_id and by_id[rid].note and reason, rid


def test_readme_names_the_unexplained_serving_rows() -> None:
    """README's serving paragraph and Trainium bullet count the UNEXPLAINED Trainium1 serving rows (L4 rows apart)."""
    readme = " ".join((TESTS.parent / "README.md").read_text(encoding="utf-8").split())
    words = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
    nrn = [rid for rid in UNEXPLAINED if rid.startswith("nrn-")]
    for pattern in (r"except the L4 rows and (\w+) Trainium1 TTFT rows \(", r"; (\w+) TTFT rows unexplained, each a"):
        m = re.search(pattern, readme)
        assert m and words.get(m[1]) == len(nrn), (pattern, len(nrn))
    assert {rid.split("-b")[0] for rid in nrn} == {"nrn-trn1-l2-7b", "nrn-trn1-l3-8b"}  # 'Llama-2-7b', 'Llama-3-8B'
    assert all(SERVING_ROWS[rid]["role"] == "gap" and SERVING_ROWS[rid]["weight_dtype"] == "int8"
               for rid in nrn if rid.startswith("nrn-trn1-l3-8b"))  # 'int8 weight-only ... gap rows'


@pytest.mark.xfail(strict=True, reason="rows beyond 25% with no checked reason (UNEXPLAINED holds each one's reason); "
                   "an XPASS means every one is explained or within 25%: shrink UNEXPLAINED")
@pytest.mark.parametrize("run_id", sorted(UNEXPLAINED))
def test_unexplained_row_is_explained_or_within_25pct(run_id: str) -> None:
    row = next(r for r in _rows() if r.id == run_id)
    assert row.error is not None
    assert abs(row.error) <= ROW_NOTE_BOUND or has_checked_marker(row.note), (run_id, UNEXPLAINED[run_id])


# --- recomputation of the notes ------------------------------------------------------------------------------------

SERVING_ROWS = {r["id"]: r for r in read_serving_runs()[0]}
NOTES = {rid: r["note"] for rid, r in SERVING_ROWS.items()}


def _pred(rid: str) -> tuple[float, sv.ServingPrediction]:
    return _predict_row(SERVING_ROWS[rid], None, None)


def _err(rid: str) -> float:
    return _pred(rid)[0] / float(SERVING_ROWS[rid]["published"]) - 1.0


def _pct(x: float) -> str:
    return f"{100 * x:+.1f}%"


def _err_per_forward(rid: str) -> float:
    """The row's error with the [serving.*] tables before srvlayer (2026-12-05): per_step_overhead_s once per forward
    on every engine (per_step_overhead_layers removed), for what a note recorded of the model before it."""
    tables = {k: replace(t, per_step_overhead_layers=None) for k, t in sv.serving_calibrations().items()}
    return _predict_row(SERVING_ROWS[rid], tables, None)[0] / float(SERVING_ROWS[rid]["published"]) - 1.0


# gpt-fast, Llama 2 7B decode at batch 1 on A100 NVLink, tp 2/4/8 (published_serving_runs.csv, source gpt-fast)
NCCL_TESTS_123_8GPU_S = 33.7e-6
"""NVIDIA/nccl-tests issue #123: 8-GPU DGX-A100, <=128 B, NCCL_ALGO=Ring (comm.py's 2.4 us per step = 33.7 / 14)."""


@dataclass(frozen=True)
class TpDecode:
    calls: int  # all-reduces per token
    message_bytes: float
    published_step_ms: float
    weight_read_ms: float
    compute_ms: float
    residual_us: float  # (published step - modelled memory term) per all-reduce
    charged_us: float  # the model's comm term per all-reduce
    ring_error: float  # the row's error with every all-reduce charged as comm.py's ring


def _tp_decode(rid: str) -> TpDecode:
    row = SERVING_ROWS[rid]
    value, p = _pred(rid)
    st, m, tp = p.decode_step, get_model(row["model"]), int(row["tp"])
    spec = get_device(row["hardware"])
    calls = m.tp_allreduces_per_layer * m.layers
    n_bytes = p.batch * m.hidden * sv.ACT_BYTES
    link = sv._link(spec, tp, row_calibration(row, spec), "tensor parallelism")
    ring = float(comm.ring_allreduce_s(np.asarray(n_bytes), np.asarray(tp), np.asarray(link.bandwidth_byte_per_s),
                                       np.asarray(link.latency_s)))
    ring_step = st.total_s - st.comm_s + calls * ring
    published_step_s = 1.0 / float(row["published"])
    return TpDecode(calls=calls, message_bytes=n_bytes, published_step_ms=published_step_s * 1e3,
                    weight_read_ms=st.memory_s * 1e3, compute_ms=st.compute_s * 1e3,
                    residual_us=(published_step_s - max(st.memory_s, st.compute_s) - st.overhead_s) / calls * 1e6,
                    charged_us=st.comm_s / calls * 1e6, ring_error=value * st.total_s / ring_step /
                    float(row["published"]) - 1.0)


GPTFAST_TP_ROWS = ("gptfast-a100-7b-tp4", "gptfast-a100-7b-tp8")


@pytest.mark.parametrize("rid", GPTFAST_TP_ROWS)
def test_gptfast_tp_notes_recompute(rid: str) -> None:
    """The per-all-reduce cost the published figure leaves, against the model's charge: NCCL's tree is a chain inside
    one node (2 (p-1) steps at comm.py's per-step latency, the 8-GPU figure being nccl-tests #123's 33.7 us), where a
    binary tree's 2 log2(p) steps charged less until 2026-12-01; the residuals lie below nccl-tests #123's published
    8-GPU small-message time on A100 NVLink (33.7 us)."""
    note, tp = NOTES[rid], int(SERVING_ROWS[rid]["tp"])
    assert get_device("a100-sxm-80gb").scaleup_latency_s is None  # comm.py's default per-step latency is the one used
    lat_us = comm.DEFAULT_SCALEUP_LATENCY_S * 1e6
    assert pytest.approx(NCCL_TESTS_123_8GPU_S / 14, rel=0.01) == comm.DEFAULT_SCALEUP_LATENCY_S
    d = _tp_decode(rid)
    assert f"{d.calls} all-reduces per token at tp {tp}" in note
    assert f"leaves ~{d.residual_us:.0f} us per all-reduce" in note
    chain_steps = 2 * (tp - 1)
    assert pytest.approx(chain_steps * lat_us, abs=0.1) == d.charged_us  # + 8 KiB over the link
    assert f"gives {chain_steps * lat_us:.1f} us, {chain_steps} steps" in note  # its latency term
    tree_steps = 2 * int(math.log2(tp))
    assert f"it gave {tree_steps * lat_us:.1f} us (a {tree_steps}-step binary tree)" in note
    residuals = [_tp_decode(f"gptfast-a100-7b-tp{t}").residual_us for t in (2, 4, 8)]
    assert max(residuals) < NCCL_TESTS_123_8GPU_S * 1e6
    seventy = [abs(_err(f"gptfast-a100-70b-tp{t}")) for t in (2, 4, 8)]
    assert f"70B rows, where weight reads dominate, are within {math.ceil(100 * max(seventy))}%" in note
    assert abs(_err(rid)) <= ROW_NOTE_BOUND


# TensorRT-LLM v0.6.1 perf table (source trtllm-v061): Llama 2 70B FP8 decode-heavy rows, H100 SXM
XQA_SPEEDUP = (1.9, 2.4)
"""NVIDIA/TensorRT-LLM docs/source/blogs/XQA-kernel.md: Llama-70B FP8 128/2048, tok/s/GPU without -> with XQA:
1,227 -> 2,941 on 1 H200 (2.4x), 13,232 -> 25,300 on 8 (1.9x); 'will be included in the v0.8 releases'."""


TRT061_GQA_ROWS = ("trt061-h100-70b-b480-128-2048", "trt061-h100-70b-b64-2048-2048")


@pytest.mark.parametrize("rid", TRT061_GQA_ROWS)
def test_trt061_gqa_notes_recompute(rid: str) -> None:
    note = NOTES[rid]
    value, p = _pred(rid)
    row = SERVING_ROWS[rid]
    ratio = value / float(row["published"])
    assert note.startswith("checked:")
    before = 1 + _err_per_forward(rid)  # the per-forward tables, before srvlayer
    assert XQA_SPEEDUP[0] <= round(before, 2) <= XQA_SPEEDUP[1]  # "inside that 1.9-2.4x" then
    # srvlayer: with the per-layer session overhead, below that range by at most 30% (0.7 x 2.4 = 1.68)
    assert round(ratio, 2) < XQA_SPEEDUP[0] and round(ratio / XQA_SPEEDUP[1], 2) >= 0.70
    assert (f"predicts this row {ratio:.2f}x the published figure, {ratio / XQA_SPEEDUP[1]:.2f} to "
            f"{ratio / XQA_SPEEDUP[0]:.2f} of that 1.9-2.4x ({before:.2f}x, inside it") in note
    osl = p.output_len
    implied_ms = (p.batch * osl / (float(row["published"]) * p.n_devices) - p.prefill.total_s) / (osl - 1) * 1e3
    assert f"implies is {implied_ms:.1f} ms against the model's {p.decode_step.total_s * 1e3:.1f} ms" in note
    assert get_model("llama2-70b").n_kv_heads == 8 and get_model("llama2-7b").n_kv_heads == 32  # GQA vs MHA
    mha = [_err(f"trt061-h100-7b-{s}") for s in ("b112-128-2048", "b48-2048-2048")]
    assert f"within {math.ceil(100 * max(abs(e) for e in mha))}% ({_pct(mha[0])}, {_pct(mha[1])})" in note
    short = [_err(f"trt061-h100-70b-{s}") for s in ("b1024-128-128", "b96-2048-128")]
    assert f"{_pct(short[0])} and {_pct(short[1])}" in note


TRT05_H100_70B_ROW = "trt05-ttft-h100-70b-128"


def test_trt05_h100_70b_ttft_note_recomputes() -> None:
    rid = TRT05_H100_70B_ROW
    note, short, long_ = NOTES[rid], _pred(rid)[1], _pred("trt05-ttft-h100-70b-2048")[1]
    pub_s, pub_l = (float(SERVING_ROWS[k]["published"]) for k in (rid, "trt05-ttft-h100-70b-2048"))
    slope_ms = (long_.ttft_s - short.ttft_s) * 1e3
    slope_error = slope_ms / (pub_l - pub_s) - 1
    assert f"({pub_l:.0f} - {pub_s:.0f} = {pub_l - pub_s:.0f} ms) is predicted {_pct(slope_error)} ({slope_ms:.1f} " \
           "ms)" in note
    before = _err_per_forward(rid)  # the per-forward tables, before srvlayer
    assert abs(slope_error) < abs(before) / 10  # the prefill slope is right: the row's miss was a fixed cost
    assert f"predicted {_pct(_err(rid))} with the per-forward cost of [serving.nvidia-hopper] charged per layer" in note
    assert f"{_pct(before)} with it once per forward" in note and abs(_err(rid)) <= 0.25 < abs(before)
    e7 = [_err(f"trt05-ttft-h100-7b-{n}") for n in (128, 2048)]
    assert (f"the 128-token 7B TP1 row (a fit row, no all-reduce) {_pct(e7[0])}, the 2048-token one "
            f"{_pct(e7[1])}") in note
    calls = 160  # 2 per layer x 80
    comm_ms = short.prefill.comm_s * 1e3
    gap_ms = pub_s - short.ttft_s * 1e3
    assert f"the model gives them {comm_ms:.2f} ms ({comm_ms / calls * 1e3:.0f} us each" in note
    assert f"closing the {gap_ms:.1f} ms gap needs {(comm_ms + gap_ms) / calls * 1e3:.0f} us per call" in note


TRT05_A100_MODELS = ("7b", "70b")


@pytest.mark.parametrize("model", TRT05_A100_MODELS)
def test_trt05_a100_ttft_notes_recompute(model: str) -> None:
    rid, long_id = f"trt05-ttft-a100-{model}-128", f"trt05-ttft-a100-{model}-2048"
    note = NOTES[rid]
    cal = sv.serving_calibrations()["nvidia-ampere"]
    hopper = sv.serving_calibrations()["nvidia-hopper"]
    assert cal.per_step_overhead_s == cal.per_request_overhead_s == 0  # fitted to the grid's floor / carried
    assert not any(SERVING_ROWS[r]["metric"] == "ttft_ms" for r in cal.fitted_on)  # no A100 TTFT row is a fit row
    assert {SERVING_ROWS[r]["source"] for r in hopper.fitted_on} >= {"trtllm-v061"}  # the same table's H100 TTFT
    short, long_ = _pred(rid)[1], _pred(long_id)[1]
    pub_s, pub_l = float(SERVING_ROWS[rid]["published"]), float(SERVING_ROWS[long_id]["published"])
    assert note.startswith("checked:")
    assert f"The model gives {short.ttft_s * 1e3:.2f} ms against the published {pub_s:.0f} ms" in note
    slope_ms = (long_.ttft_s - short.ttft_s) * 1e3
    assert (f"({pub_l:.0f} - {pub_s:.0f} = {pub_l - pub_s:.0f} ms) is predicted {slope_ms:.1f} ms "
            f"({_pct(slope_ms / (pub_l - pub_s) - 1)})") in note
    with_hopper, _ = _predict_row(SERVING_ROWS[rid], {"nvidia-ampere": replace(
        cal, per_step_overhead_s=hopper.per_step_overhead_s)}, None)
    assert (f"({hopper.per_step_overhead_s * 1e3:.2f} ms) gives {with_hopper:.2f} ms "
            f"({_pct(with_hopper / pub_s - 1)})") in note
    assert f"2048-token row {_pct(_err(long_id))}" in note
    if model == "70b":
        beyond_us = (pub_s - with_hopper) / 160 * 1e3
        charged_us = short.prefill.comm_s / 160 * 1e6
        assert f"{pub_s - with_hopper:.1f} ms left" in note
        assert f"is {beyond_us:.0f} us per call beyond the {charged_us:.0f} us the model charges" in note


# TensorRT-LLM v1.0 perf overview (source trtllm-v10), Llama 3 70B max-load rows
PAGE_GRAPH_BATCHES = (1, 2, 4, 8, 16, 32, 64, 128, 256, 384, 512, 1024, 2048, 4096, 8192)
"""cuda_graph_config.batch_sizes of the page's llm_options.yml (with enable_padding: true)."""


@dataclass(frozen=True)
class Padded:
    in_flight: int
    padded_to: int
    generation_only: float  # exp(-n / OSL): share of decode steps with no new request (arrivals at random)
    step_ms: float
    padded_step_ms: float
    error: float
    padded_error: float


def _padded(rid: str) -> Padded:
    """The row with the decode step's compute scaled by padded/n on generation-only steps (an upper bound on the
    padding's cost: the attention core does not pad; memory traffic unchanged)."""
    value, p = _pred(rid)
    st, n = p.decode_step, p.batch
    pad = next(b for b in PAGE_GRAPH_BATCHES if b >= n)
    frac = math.exp(-n / p.output_len)
    padded = max(st.compute_s * pad / n, st.memory_s) + st.comm_s + st.overhead_s
    tpot_padded = p.tpot_s + frac * (padded - st.total_s)
    pub = float(SERVING_ROWS[rid]["published"])
    return Padded(in_flight=n, padded_to=pad, generation_only=frac, step_ms=st.total_s * 1e3,
                  padded_step_ms=padded * 1e3, error=value / pub - 1, padded_error=value * p.tpot_s / tpot_padded /
                  pub - 1)


CUDA_GRAPH_PADDING_ROWS = ("trt10-b200-l3-70b-tp1-128-4096", "trt10-b200-l3-70b-tp1-1000-2000",
                           "trt10-b200-l3-70b-tp1-2048-2048", "trt10-gb200-l3-70b-tp1-1000-2000",
                           "trt10-b200-l3-70b-tp1-500-2000")  # the last beyond 25% since 2026-12-01 (Hopper re-run)


@pytest.mark.parametrize("rid", CUDA_GRAPH_PADDING_ROWS)
def test_cuda_graph_padding_notes_recompute(rid: str) -> None:
    note, d = NOTES[rid], _padded(rid)
    assert note.startswith("checked:")
    assert (f"the predicted {d.in_flight} sequences in flight run {d.padded_to} GEMM rows on steps without a new "
            f"request (exp(-{d.in_flight}/OSL) = {100 * d.generation_only:.0f}% of them") in note
    assert (f"turns the {d.step_ms:.1f} ms step into {d.padded_step_ms:.1f} ms and predicts this row at "
            f"{_pct(d.padded_error)}") in note
    h200 = [_padded(f"trt10-h200-l3-70b-tp1-{s}") for s in ("128-2048", "500-2000")]
    assert (f"({h200[0].in_flight} and {h200[1].in_flight} in flight, padded to {h200[0].padded_to}) "
            f"{_pct(h200[0].padded_error)} and {_pct(h200[1].padded_error)} ({_pct(h200[0].error)} and "
            f"{_pct(h200[1].error)} without)") in note
    assert h200[0].padded_to == h200[1].padded_to
    # the padding never helps less than nothing here, and it would push an H200 decode-heavy row beyond the bound
    assert abs(d.padded_error) <= abs(d.error) and max(abs(h.padded_error) for h in h200) > ROW_NOTE_BOUND


H200_70B_128_ROW = "trt10-h200-l3-70b-tp1-128-128"


def test_h200_70b_128_128_note_recomputes() -> None:
    rid = H200_70B_128_ROW
    note = NOTES[rid]
    value, p = _pred(rid)
    st = p.decode_step
    assert st.compute_s > st.memory_s  # "every decode step is compute-bound"
    assert (f"at the predicted {p.batch} sequences in flight" in note and
            f"({st.compute_s * 1e3:.1f} ms of GEMMs against {st.memory_s * 1e3:.1f} ms of memory traffic, of a "
            f"{st.total_s * 1e3:.1f} ms step)" in note)
    assert f"decode_compute_efficiency {p.calibration.decode_compute_efficiency:.3f}" in note
    pub = float(SERVING_ROWS[rid]["published"])
    cycle_s = p.batch * p.output_len / pub
    flops = sv.prefill_flops(get_model("llama3-70b"), 1, p.prompt_len + p.output_len)
    rate = p.batch * flops / cycle_s
    peak = get_device("h200").peak("fp8") or 0.0
    assert (f"the published {pub:.0f} tok/s is a {cycle_s:.1f} s cycle for {p.batch} requests of {flops:.2g} FLOPs "
            f"each (one {p.prompt_len + p.output_len}-token forward) = {rate / 1e15:.2f} PFLOP/s, "
            f"{100 * rate / peak:.0f}% of the fp8 dense peak") in note
    assert value / pub - 1 < 0  # too slow (within the bound since the 2026-12-01 Hopper re-run: -17.4%)


# AWS Neuron transformers-neuronx Llama 3 8B int8-weight TTFT rows on Trn1 (gap rows, source neuron-trn1-lat)
INT8_GAP_ROWS = tuple(sorted(r for r, row in SERVING_ROWS.items()
                             if r.startswith("nrn-trn1-l3-8b") and row["role"] == "gap"))


@pytest.mark.parametrize("rid", INT8_GAP_ROWS)
@pytest.mark.usefixtures("trn1_link_before_rtrn2")
def test_int8_weight_only_gap_notes_recompute(rid: str) -> None:
    """The row as plan serve runs it (int8 weight-only since srvfit: matmuls at the bf16 peak) and as W8A8 at the
    int8 peak (--weight-dtype w8a8, how int8 ran before), as the note quotes; 'checked' only where the row comes
    within 25%."""
    row, note = SERVING_ROWS[rid], NOTES[rid]
    pub = float(row["published"])
    as_int8 = _predict_row(row, None, None)[0] / pub - 1
    as_w8a8 = _predict_row({**row, "weight_dtype": "w8a8"}, None, None)[0] / pub - 1
    assert row["weight_dtype"] == "int8" and row["metric"] == "ttft_ms"
    assert f"now --weight-dtype w8a8: {_pct(as_w8a8)}): the row, its matmuls at the bf16 peak, is " \
           f"{_pct(as_int8)}" in note
    assert note.startswith("checked:" if abs(as_int8) <= ROW_NOTE_BOUND else "partly checked:"), rid
    assert (rid in ALL_REASONS) == (abs(as_int8) > ROW_NOTE_BOUND and abs(as_w8a8) > ROW_NOTE_BOUND)


LLAMA2_7B_TTFT_BATCHES = (1, 8)


@pytest.mark.parametrize("batch", LLAMA2_7B_TTFT_BATCHES)
@pytest.mark.usefixtures("trn1_link_before_rtrn2")
def test_unexplained_llama2_7b_ttft_notes_recompute(batch: int) -> None:
    """What the two unexplained rows' notes report: the same table's 128-token TTFT grows with the compiled sequence
    length, at rates that differ several-fold between models (so no checked reason)."""
    rid = f"nrn-trn1-l2-7b-b{batch}-128-8064-ttft"
    note = NOTES[rid]
    pub = {k: float(r["published"]) for k, r in SERVING_ROWS.items()}
    short, long_ = pub[f"nrn-trn1-l3-8b-b{batch}-128-3968-ttft"], pub[f"nrn-trn1-l3-8b-b{batch}-128-8064-ttft"]
    a70, b70 = pub["nrn-trn1-l2-70b-b1-128-128-ttft"], pub["nrn-trn1-l2-70b-b1-128-1024-ttft"]
    assert long_ > short and b70 > a70  # "the TTFT grows with the compiled sequence length"
    assert f"(Llama-3-8B {short:.2f} -> {long_:.2f} ms from 128+3968 to 128+8064 at batch {batch}" in note
    assert f"Llama-2-70B {a70:.2f} -> {b70:.2f} ms from 128+128 to 128+1024 at batch 1)" in note
    missing_ms = pub[rid] - _pred(rid)[0]
    rate_8b_us, rate_70b_us = (long_ - short) / 4096 * 1e3, (b70 - a70) / 896 * 1e3
    assert (f"The model misses {missing_ms:.2f} ms here; Llama-3-8B's rate ({rate_8b_us:.2f} us per position at batch "
            f"{batch}) over 8192 positions gives {rate_8b_us * 8192 / 1e3:.2f} ms, Llama-2-70B's "
            f"({rate_70b_us:.2f} us per position) {rate_70b_us * 8192 / 1e3:.1f} ms") in note
    assert rate_70b_us / rate_8b_us > 2  # "no one rate"
    # TTFT - TPOT of the same run (published and modelled): the prompt's own work beyond one decode step
    b70 = 1 if batch == 1 else 4  # the table's Llama-2-70b 128-token rows are at batch 1 and 4

    def beyond_decode(ttft_id: str) -> tuple[float, float]:
        p = _pred(ttft_id)[1]
        return pub[ttft_id] - pub[ttft_id.replace("-ttft", "-tpot")], (p.ttft_s - p.tpot_s) * 1e3

    (a, m), (c, mc) = beyond_decode(rid), beyond_decode(f"nrn-trn1-l2-70b-b{b70}-128-128-ttft")
    assert (f"published TTFT - TPOT is {a:.2f} ms here against the model's {m:.2f} ms ({a / m:.1f}x), and {c:.2f} "
            f"against {mc:.2f} ms ({c / mc:.1f}x) for the Llama-2-70b row of 128 tokens at batch {b70}") in note
    assert a / m > 1.5 > 1.15 > c / mc  # "the miss is in the 128 tokens' work": the 7B's, not the 70B's
    assert abs(_err(rid.replace("-ttft", "-tpot"))) < 0.15  # "not a per-forward cost a decode step pays too"
    assert note.startswith("not explained:") and rid in ALL_REASONS


@pytest.mark.usefixtures("trn1_link_before_rtrn2")
def test_l4nrn_reasons_quote_the_recomputed_figures() -> None:
    """l4nrn (2026-12-05): the figures the Trainium1 and L4 UNEXPLAINED reasons added are those of the runs file's
    records and row notes, which tests/test_serving_neuron.py and tests/test_serving_l4.py recompute."""
    runs = (TESTS.parent / "src/accelopt/predict/data/published_serving_runs.csv").read_text(encoding="utf-8")
    record = " ".join(ln.lstrip("#").strip() for ln in runs.splitlines() if ln.startswith("#"))
    b1, b8 = (f"nrn-trn1-l2-7b-b{b}-128-8064-ttft" for b in (1, 8))
    miss1, miss8 = (float(SERVING_ROWS[r]["published"]) - _pred(r)[0] for r in (b1, b8))
    assert f"the model misses {miss1:.2f} ms here and {miss8:.2f} ms at batch 8 ({miss8 / miss1:.1f}x)" \
        in ALL_REASONS[b1]
    assert f"its miss is {miss8 / miss1:.1f}x the batch-1 row's" in ALL_REASONS[b8]
    quoted = re.findall(r"\d+\.\d-\d+\.\d ms per GB", ALL_REASONS[b1])
    assert len(quoted) == 2 and all(q in NOTES[b1] for q in quoted)
    for n in (8064, 3968):
        reason = ALL_REASONS[f"nrn-trn1-l3-8b-b1-128-{n}-ttft"]
        rates = re.search(r"is (\d+\.\d-\d+\.\d) ms per GB .*'s (\d+\.\d) with the same payload", reason)
        assert rates and f"the 8B at batch 1 {rates[1]} against the Llama-2-7b's {rates[2]} with the same payload" \
            in record
    l4 = re.search(r"bounds a prefill-bearing step to (\d+\.\d) ms on average only if each prefill had a step of "
                   r"its own \(not established\), so if the lone C 1 prefill is no slower, (\d+\.\d) ms or more of "
                   r"its (\d+\.\d) ms TTFT",
                   ALL_REASONS["wmx-l4-q25-05b-256-128-c1-ttft"])
    assert l4 and f"the prefill-bearing steps average {l4[1]} ms or less" in record and "not established" in record
    assert f"at least {l4[2]} ms of the C 1 TTFT's {l4[3]} ms is outside" in record


def test_rl4_reason_quotes_the_recomputed_figures() -> None:
    """rl4 (2026-12-05): the gaps the L4 reason adds are the runs file's 'Examined 2026-12-05 (rl4' record's, which
    tests/test_serving_l4.py recomputes (test_vllm_defaults_record)."""
    runs = (TESTS.parent / "src/accelopt/predict/data/published_serving_runs.csv").read_text(encoding="utf-8")
    record = " ".join(ln.lstrip("#").strip() for ln in runs.splitlines() if ln.startswith("#"))
    gaps = re.search(r"widens the C 16 / C 32 gaps \(to (\d+\.\d) / (\d+\.\d) ms", _L4_REASON)
    assert gaps and f"(62.7 -> {gaps[1]}, 53.2 -> {gaps[2]} ms)" in record
    assert "Examined 2026-12-05 (rl4, issue 10)" in record and "hold 256 and 512" in record
    assert all(ALL_REASONS[f"wmx-l4-q25-05b-256-128-{c}"] == _L4_REASON for c in ("c1-ttft", "c32-ttft", "c16-tput"))


def test_rl4_second_pass_reason_quotes_the_record() -> None:
    """rl4, second pass (2026-12-05): the figures the L4 reason adds are the runs file's 'Examined 2026-12-05 (rl4,
    second pass' record's, which tests/test_serving_l4.py recomputes (test_median_step_record)."""
    runs = (TESTS.parent / "src/accelopt/predict/data/published_serving_runs.csv").read_text(encoding="utf-8")
    record = " ".join(ln.lstrip("#").strip() for ln in runs.splitlines() if ln.startswith("#"))
    m = re.search(r"leaves a prefill-bearing step (\d+\.\d) ms or less, which under l4nrn's assumption puts "
                  r"(\d+\.\d) to (\d+\.\d) ms of the C 1 TTFT outside the forward pass, a range around the "
                  r"(\d+\.\d) ms miss", _L4_REASON)
    assert m and f"/ {m[1]} ms or less on average at C 2 / 4 / 8 / 16 / 32" in record
    assert f"{m[2]} to {m[3]} ms of the C 1 TTFT's 27.0 ms is then outside" in record
    assert f"around the model's {m[4]} ms miss, not a size" in record
    cyc = re.search(r"the C 1 cycle \((\d+\.\d) ms\) leaves (\d+\.\d) ms a request", _L4_REASON)
    assert cyc and f"= {cyc[1]} ms, one request in flight)" in record and f"leaves {cyc[2]} ms a request" in record
    assert "Examined 2026-12-05 (rl4, second pass, issue 10)" in record
    assert all(pr in _L4_REASON and pr in record for pr in ("PR #32723", "PR #40376"))
    assert "no source sizes the sampler on the L4" in record


def test_rl4_s33_reason_quotes_the_record() -> None:
    """rl4, session 33 (2026-12-06): the figures the L4 reason adds are the runs file's 'Examined 2026-12-06 (rl4,
    session 33' record's, which tests/test_serving_l4.py recomputes (test_same_authors_twin_runs_record)."""
    runs = (TESTS.parent / "src/accelopt/predict/data/published_serving_runs.csv").read_text(encoding="utf-8")
    record = " ".join(ln.lstrip("#").strip() for ln in runs.splitlines() if ln.startswith("#"))
    m = re.search(r"the L4 through KServe at (\d+) ms TTFT and a T4 at (\d+) ms, where the model's forward is "
                  r"(\d+\.\d+) / (\d+\.\d+) ms; .* (\d+\.\d) ms or more of the L4 twin's", _L4_REASON)
    assert m and f"TTFT median {m[1]} ms" in record and f"TTFT p50 / p95 / p99 {m[2]} / " in record
    assert f"is {m[3]} ms on the L4 and {m[4]} ms on the T4" in record
    assert f"so {m[5]} ms or more of the twin's 31 ms" in record
    assert "Examined 2026-12-06 (rl4, session 33, issue 10)" in record and "podAffinity" in record
    assert all(ALL_REASONS[f"wmx-l4-q25-05b-256-128-{c}"] == _L4_REASON for c in ("c1-ttft", "c8-ttft", "c32-tput"))


def test_rsrv_s32_reason_quotes_the_record() -> None:
    """rsrv, session 32 (2026-12-05): the figures the L4 reason adds are the runs file's 'Examined 2026-12-05 (rsrv,
    session 32' record's, which tests/test_serving_l4.py recomputes (test_public_c1_ttft_of_the_same_model_record)."""
    runs = (TESTS.parent / "src/accelopt/predict/data/published_serving_runs.csv").read_text(encoding="utf-8")
    record = " ".join(ln.lstrip("#").strip() for ln in runs.splitlines() if ln.startswith("#"))
    m = re.search(r"on an RTX 5050, (\d+\.\d) ms p50, prompt length not given\) leaves that run's host path "
                  r"(\d+\.\d) ms or less, (\d+\.\d) ms or more short of the (\d+\.\d) ms miss", _L4_REASON)
    assert m and f"TTFT p50 {m[1]} / " in record and f"c = 1 host path took {m[2]} ms or less" in record
    assert f"would leave {m[3]} ms or more of the model's {m[4]} ms C 1 miss" in record
    assert "Examined 2026-12-05 (rsrv, session 32, issue 10)" in record
    assert all(src in _L4_REASON and src in record for src in ("#59681", "PR #64534"))


def test_rsrva_s34_reason_quotes_the_record() -> None:
    """rsrvA, session 34 (2026-12-06): the figures the L4 reason adds are the runs file's 'Examined 2026-12-06 (rsrvA,
    session 34' record's, which tests/test_serving_l4.py recomputes (test_public_host_path_measurements_record)."""
    runs = (TESTS.parent / "src/accelopt/predict/data/published_serving_runs.csv").read_text(encoding="utf-8")
    record = " ".join(ln.lstrip("#").strip() for ln in runs.splitlines() if ln.startswith("#"))
    m = re.search(r"Rust engine: (\d+\.\d+) ms p50 .* tokenizer: (\d+\.\d+)-(\d+\.\d+) ms at 256 tokens\), together "
                  r"(\d+\.\d+) ms or less, (\d+)% of the (\d+\.\d) ms C 1 gap", _L4_REASON)
    assert m and f"{m[1]} ms p50" in record and f"{m[2]}-{m[3]} ms at this row's 256" in record
    assert f"Together {m[4]} ms or less, {m[5]}% of the C 1 gap of {m[6]} ms" in record
    assert "Examined 2026-12-06 (rsrvA, session 34, issue 10)" in record
    assert all(src in record for src in ("issue #738", "issue #2173"))



def test_rwmx_s35_reason_quotes_the_record() -> None:
    """rwmx, session 35 (2026-12-06): the figures the L4 reason adds are the runs file's 'Examined 2026-12-06 (rwmx,
    session 35' record's, which tests/test_serving_l4.py recomputes (test_vllm_api_server_small_model_floor_record)."""
    runs = (TESTS.parent / "src/accelopt/predict/data/published_serving_runs.csv").read_text(encoding="utf-8")
    record = " ".join(ln.lstrip("#").strip() for ln in runs.splitlines() if ln.startswith("#"))
    m = re.search(r"exceeds the model's forward by (\d+\.\d) to (\d+\.\d) ms, (\d+)% to (\d+)% of the (\d+\.\d) ms C 1 "
                  r"gap; carried to this row as a per-request constant it leaves the C 1 TTFT at (-\d+)% to (-\d+)%, "
                  r"(\d+\.\d) to (\d+\.\d) ms", _L4_REASON)
    assert m and f"{m[1]} to {m[2]} ms at 128 prompt tokens" in record
    assert f"{m[3]}% to {m[4]}% of this row's {m[5]} ms C 1 gap" in record
    assert f"{m[6]}% to {m[7]}%, still beyond 25%, with {m[8]} to {m[9]} ms of the gap left" in record
    assert "Examined 2026-12-06 (rwmx, session 35, issue 10)" in record and "issue #340" in record
    assert all(ALL_REASONS[f"wmx-l4-q25-05b-256-128-{c}"] == _L4_REASON for c in ("c1-ttft", "c16-tput", "c32-ttft"))


def test_rwmx2_s36_reason_quotes_the_record() -> None:
    """rwmx2, session 36 (2026-12-06): the figures the L4 reason adds are the runs file's 'Examined 2026-12-06 (rwmx2,
    session 36' record's, which tests/test_serving_l4.py recomputes (test_clock_and_lm_head_record)."""
    runs = (TESTS.parent / "src/accelopt/predict/data/published_serving_runs.csv").read_text(encoding="utf-8")
    record = " ".join(ln.lstrip("#").strip() for ln in runs.splitlines() if ln.startswith("#"))
    m = re.search(r"TTFT (\d+\.\d\d) -> (\d+\.\d\d) ms \((-\d+\.\d)%\), and the clock alone brings it within "
                  r"25% only at (\d+\.\d) MHz or below; the tied (\d+\.\d) M-parameter LM head .* the C 1 forward is "
                  r"(\d+\.\d\d) ms or less, leaving (\d+\.\d) ms or more of the (\d+\.\d) ms outside it", _L4_REASON)
    assert m and f"TTFT {m[1]} -> {m[2]} ms ({m[3]}% against {m[8]})" in record
    assert f"SM clock of {m[4]} MHz or below" in record and f"head, {m[5]} M parameters" in record
    assert f"the C 1 forward is {m[6]} ms or less" in record and f"leaving {m[7]} ms or more of the {m[8]} ms" in record
    assert "Examined 2026-12-06 (rwmx2, session 36, issue 10)" in record
    assert all(ALL_REASONS[f"wmx-l4-q25-05b-256-128-{c}"] == _L4_REASON for c in ("c1-ttft", "c8-ttft", "c32-tput"))


DSV3_DECODE_ROW = "lmsys-h100-dsv3-decode-ep72"


def test_dsv3_decode_batch_is_the_blogs() -> None:
    """lmsys-h100-dsv3-decode-ep72: the batch is the blog's 256 sequences per decode GPU over its 9 nodes (EP72), and
    the published figure is the blog's 22.3k per node over 8 GPUs (the other figures: tests/test_moe_row_notes.py)."""
    row, note = SERVING_ROWS[DSV3_DECODE_ROW], NOTES[DSV3_DECODE_ROW]
    assert int(row["batch"]) == 256 * 9 * 8 and float(row["published"]) == pytest.approx(22.3e3 / 8)
    assert "(256 sequences, 2,000 input length), SGLang achieves 22,282 tokens per second per node" in note
    assert "assumed: output 100 tokens" in note and int(row["output_len"]) == 100


# Trainium1 training rows (AWS Neuron Trn1 performance tables): the cross-release figures their notes quote, each the
# published model-FLOP utilization of another row at the 95 TFLOP/s per NeuronCore peak (tests/test_validate_trainium.py
# recomputes the row's own figures).
def _trn1_published_utilization(run_id: str) -> float:
    row = next(r for r in read_runs() if r["id"] == run_id)
    terms = predict_layout(run_query(row)).terms
    peak = get_device("trainium1-core").peak("bf16") or 0.0
    return 100 * terms["model_flops_per_step"] / (float(row["step_s"]) * terms["devices"] * peak)


TRN1_CROSS_RELEASE_NOTES = ("trn1-meglm-gpt3-6.7b-nlp", "trn1-meglm-gpt3-6.7b-1n-nlp", "trn1-nxd-llama31-8b-n221",
                            "trn1-nxd-llama31-70b", "trn1-nxd-llama31-70b-n221d")
"""The rows whose notes quote the figures below."""


@pytest.mark.usefixtures("trn1_link_before_rtrn2")
def test_trainium1_training_notes_cross_release_figures() -> None:
    u = {rid: f"{_trn1_published_utilization(f'trn1-{rid}'):.1f}" for rid in (
        "meglm-gpt3-6.7b-n210", "meglm-gpt3-6.7b-n211", "meglm-gpt3-6.7b-n212", "meglm-gpt3-6.7b-nlp",
        "nxd-llama31-8b-n221", "nxd-llama31-8b-n221d", "nxd-llama31-8b-n220", "nxd-llama31-8b",
        "nxd-llama31-70b-n220", "nxd-llama31-70b-n221d", "nxd-llama31-70b-n222", "nxd-llama31-70b")}
    notes = {r["id"]: r["note"] for r in read_runs()}
    errors = {r.id: r.error for r in validate_report().runs}
    gpt_16n, gpt_1n, llama8_n221, *llama70 = TRN1_CROSS_RELEASE_NOTES
    assert (f"(2.10 / 2.11 / 2.12: {u['meglm-gpt3-6.7b-n210']} / {u['meglm-gpt3-6.7b-n211']} / "
            f"{u['meglm-gpt3-6.7b-n212']}%)") in notes[gpt_16n]
    assert (f"the same release's 16-node row is {u['meglm-gpt3-6.7b-nlp']}% "
            f"({_pct(errors['trn1-meglm-gpt3-6.7b-nlp'])})") \
        in notes[gpt_1n]
    assert (f"({u['nxd-llama31-8b-n221']}% here at 2.21 in the May 2025 table, {u['nxd-llama31-8b-n221d']}% at 2.21 in "
            f"the Dec 2024 table, {u['nxd-llama31-8b-n220']}% at 2.20, {u['nxd-llama31-8b']}% at 2.24)") \
        in notes[llama8_n221]
    seventy = [float(u[k]) for k in ("nxd-llama31-70b-n220", "nxd-llama31-70b-n221d", "nxd-llama31-70b-n222",
                                      "nxd-llama31-70b")]
    llama2_70b = [errors["trn1-nxd-llama2-70b-n216"], errors["trn1-nxd-llama2-70b"]]  # Neuron 2.16, 2.17
    for rid in llama70:
        assert f"(2.20 / 2.21 Dec 2024 / 2.22 / 2.24: {min(seventy):.1f}-{max(seventy):.1f}% published" in notes[rid]
        # 2026-12-04 (xlaadopt): rule v2 re-run 0.50 -> 0.48 (XLA dead recompute): within 8%, -7.9% / -6.4% -> 7%,
        # -6.3% / -4.7%
        assert f"(2.16, 2.17) are within {math.ceil(100 * max(abs(e) for e in llama2_70b))}%: " \
               f"{_pct(llama2_70b[0])} / {_pct(llama2_70b[1])} at 0.48" in notes[rid]


@pytest.mark.usefixtures("nki_flash_transposes_off", "trn1_link_before_rtrn2")
def test_rneuron_reasons_quote_the_recomputed_figures() -> None:
    """rneuron (2026-12-05): the figures the Trainium1 UNEXPLAINED reasons added are those of the runs files' records,
    which tests/test_serving_neuron.py and tests/test_validate_trainium.py recompute."""
    slopes = importlib.import_module("test_serving_neuron").batch_slopes()
    kv = importlib.import_module("test_validate_trainium").kv_shared_allreduces

    def ns(model: str) -> list[float]:
        return [v["ns_lh"] for k, v in slopes.items() if k[0] == model]

    def span(xs: list[float], fmt: str = ".1f") -> str:
        lo, hi = f"{min(xs):{fmt}}", f"{max(xs):{fmt}}"
        return lo if lo == hi else f"{lo}-{hi}"

    b1, b8 = (f"nrn-trn1-l2-7b-b{b}-128-8064-ttft" for b in (1, 8))
    l3 = ns("l3-8b") + ns("l3-70b")
    assert (f"(2.18.0: 7B {span(ns('l2-7b'))}, 70B {span(ns('l2-70b'))} ns), not per FLOP, published "
            f"{slopes[('l2-7b', 8064)]['vs_model']:.2f}x the model's slope; the Llama-3 rows' lower rate (2.18.1: "
            f"{span(l3)} ns)") in ALL_REASONS[b1]
    assert f"its prefill is {slopes[('l2-7b', 8064)]['batch_x']:.1f}x the batch-1 row's" in ALL_REASONS[b8]
    vm8 = [v["vs_model"] for k, v in slopes.items() if k[0] == "l3-8b"]
    for n in (8064, 3968):
        reason = ALL_REASONS[f"nrn-trn1-l3-8b-b1-128-{n}-ttft"]
        assert (f"(published {span(vm8, '.2f')} of its slope) and the same release's 70B rate per layer x hidden "
                f"({span(ns('l3-8b'))} against {span(ns('l3-70b'))} ns)") in reason
    k8 = kv("trn1-nxd-llama31-8b")
    step = k8["step"] / k8["pub"] - 1
    assert (f"{k8['calls']} of {k8['bytes'] / 2**20:.0f} MiB over 4 cores a step, {k8['total_s']:.3f} s on the 8B "
            f"layout (its 2.24 fit row {100 * step:+.1f}% -> {100 * (step + k8['total_s'] / k8['pub']):+.1f}%)") \
        in _KV_SHARED
    assert kv("trn1-nxd-llama31-70b")["total_s"] > k8["total_s"]  # "more on the 70B"
    for rid in ("trn1-nxd-llama31-8b", "trn1-nxd-llama31-8b-n220", "trn1-nxd-llama31-8b-n221"):
        assert _KV_SHARED in ALL_REASONS[rid]



@pytest.mark.usefixtures("nki_flash_transposes_off", "trn1_link_before_rtrn2")
def test_rneuron2_reasons_quote_the_recomputed_figures() -> None:
    """rneuron2 (2026-12-05): the figures the three Trainium1 8B training reasons added are those of the runs file's
    record, which tests/test_validate_trainium.py recomputes (gpu_compatible_precision)."""
    prec = importlib.import_module("test_validate_trainium").gpu_compatible_precision
    p8, p70 = prec("trn1-nxd-llama31-8b"), prec("trn1-nxd-llama31-70b")

    def err(p: dict[str, float], extra: float) -> str:
        return f"{100 * ((p['step'] + extra) / p['pub'] - 1):+.1f}%"

    assert (f"at most {p8['hook_s']:.3f} + {p8['rs_s']:.3f} s a step on the 8B layout (its 2.24 fit row "
            f"{err(p8, 0)} -> {err(p8, p8['hook_s'] + p8['rs_s'])}), more on the 70B ({err(p70, 0)} -> "
            f"{err(p70, p70['hook_s'] + p70['rs_s'])})") in _PRECISION
    assert p70["hook_s"] + p70["rs_s"] > p8["hook_s"] + p8["rs_s"]  # "more on the 70B"
    for rid in ("trn1-nxd-llama31-8b", "trn1-nxd-llama31-8b-n220", "trn1-nxd-llama31-8b-n221"):
        assert _PRECISION in ALL_REASONS[rid]


@pytest.mark.usefixtures("nki_flash_transposes_off", "trn1_link_before_rtrn2")
def test_rtrn1_reasons_quote_the_recomputed_figures() -> None:
    """rtrn1 (2026-12-05): the figures the three Trainium1 8B training reasons added are those of the runs file's
    record, which tests/test_validate_trainium.py recomputes (fp32_loss_passes); the four 128-token TTFT serving
    reasons carry the context pass's last-token logits read."""
    tvt = importlib.import_module("test_validate_trainium")
    f8, f70 = tvt.fp32_loss_passes("trn1-nxd-llama31-8b"), tvt.fp32_loss_passes("trn1-nxd-llama31-70b")

    def err(f: dict[str, float], extra: float) -> str:
        return f"{100 * ((f['step'] + extra) / f['pub'] - 1):+.1f}%"

    passes = tvt.FP32_LOSS_FWD_BYTES + tvt.FP32_LOSS_BWD_BYTES
    assert (f"whose unfused passes, {passes} B a logit, the model charges {f8['charged_b']:.0f} of: at most "
            f"{f8['total_s']:.3f} s a step on the 8B layout (its 2.24 fit row {err(f8, 0)} -> "
            f"{err(f8, f8['total_s'])}), more on the 70B ({err(f70, 0)} -> {err(f70, f70['total_s'])})") in _FP32_LOSS
    assert f70["total_s"] > f8["total_s"]  # "more on the 70B"
    for rid in ("trn1-nxd-llama31-8b", "trn1-nxd-llama31-8b-n220", "trn1-nxd-llama31-8b-n221"):
        assert _FP32_LOSS in ALL_REASONS[rid]  # rtrn (2026-12-05) appended _MULTI_NODE after it
    for rid in ("nrn-trn1-l2-7b-b1-128-8064-ttft", "nrn-trn1-l2-7b-b8-128-8064-ttft",
                "nrn-trn1-l3-8b-b1-128-8064-ttft", "nrn-trn1-l3-8b-b1-128-3968-ttft"):
        assert _LAST_TOKEN_LOGITS in ALL_REASONS[rid]  # rtrn (2026-12-05) appended _CONTEXT_BUCKET after it



@pytest.mark.usefixtures("nki_flash_transposes_off", "trn1_link_before_rtrn2")
def test_rtrn_training_reasons_quote_the_recomputed_figures() -> None:
    """rtrn (2026-12-05): the figures the three Trainium1 8B training reasons added (_MULTI_NODE) are those of the runs
    file's record, which tests/test_validate_trainium.py recomputes (multi_node_dp_bound)."""
    tvt = importlib.import_module("test_validate_trainium")
    b = {rid: tvt.multi_node_dp_bound(rid) for rid in ("trn1-nxd-llama31-8b", "trn1-nxd-llama31-8b-n220",
                                                        "trn1-nxd-llama31-8b-n221")}
    b8 = b["trn1-nxd-llama31-8b"]
    n_bytes, seconds, _, _ = tvt.NCCOM_TEST_2_INSTANCE_ALLREDUCE
    assert (f"instances, {n_bytes} B in {seconds * 1e6:.0f} us: at least {b8['node_rate'] / 1e9:.2f} GB/s an "
            f"instance each way), the 8B's data-parallel all-reduce takes at most {b8['bound_s']:.3f} s "
            f"({b8['bound_fp32_rs_s']:.3f} s with the fp32 reduce-scatter) where the model charges "
            f"{b8['model_s']:.3f} s") in _MULTI_NODE

    def err(p: dict[str, float], dp_s: float) -> str:
        return f"{100 * ((p['step'] - p['model_s'] + dp_s) / p['pub'] - 1):+.1f}%"

    for rid, what in (("trn1-nxd-llama31-8b", "2.24 fit row"), ("trn1-nxd-llama31-8b-n220", "2.20 row"),
                      ("trn1-nxd-llama31-8b-n221", "May 2025 2.21 row")):
        p = b[rid]
        assert f"{what} {err(p, p['model_s'])} -> {err(p, p['bound_s'])} ({err(p, p['bound_fp32_rs_s'])})" \
            in _MULTI_NODE
        assert _MULTI_NODE + "; " + _TWIN_PROGRAM in ALL_REASONS[rid]  # s32 rtrn appended _TWIN_PROGRAM after it
    f = tvt.multi_node_pair_factor()["factor"]
    assert (f"the multi-node all-reduce took {f:.2f}x the model's: {f * b8['model_s']:.3f} s, the fit row "
            f"{err(b8, f * b8['model_s'])}") in _MULTI_NODE


def test_rtrn_serving_reasons_quote_the_recomputed_figures() -> None:
    """rtrn (2026-12-05): the figures the four 128-token TTFT reasons added (_CONTEXT_BUCKET) are those of the runs
    file's record, which tests/test_serving_neuron.py recomputes (context_bucket, the published growth)."""
    tsn = importlib.import_module("test_serving_neuron")
    assert all(tsn.context_bucket(128, n) == 128 for n in (256, 4096, 8192))
    pub = tsn.PUB
    g1, g8 = (pub[f"nrn-trn1-l3-8b-b{b}-128-8064-ttft"] - pub[f"nrn-trn1-l3-8b-b{b}-128-3968-ttft"] for b in (1, 8))
    assert f"(+{g1:.2f} / +{g8:.2f} ms at batch 1 / 8 from 4096 to 8192 positions)" in _CONTEXT_BUCKET
    for rid in ("nrn-trn1-l2-7b-b1-128-8064-ttft", "nrn-trn1-l2-7b-b8-128-8064-ttft",
                "nrn-trn1-l3-8b-b1-128-8064-ttft", "nrn-trn1-l3-8b-b1-128-3968-ttft"):
        assert _CONTEXT_BUCKET + "; " + _CACHE_AND_DECODE in ALL_REASONS[rid]  # s32 rtrn appended after it

@pytest.mark.usefixtures("nki_flash_transposes_off", "trn1_link_before_rtrn2")
def test_s32_rtrn_training_reasons_quote_the_recomputed_figures() -> None:
    """s32 rtrn (2026-12-05): the figures the three Trainium1 8B training reasons added (_TWIN_PROGRAM) are those of
    the runs file's record, which tests/test_validate_trainium.py recomputes (same_program_twin)."""
    tvt = importlib.import_module("test_validate_trainium")
    t20, t21 = tvt.same_program_twin("2.20"), tvt.same_program_twin("2.21 Dec")

    def pct(x: float) -> str:
        return f"{100 * x:+.1f}%"

    assert (f"are {pct(t20['e7'])} / {pct(t21['e7'])} where the 8B is {pct(t20['e8'])} / {pct(t21['e8'])}"
            in _TWIN_PROGRAM)
    assert f"is {t20['c']:.2f} s / {t21['c']:.2f} s a step" in _TWIN_PROGRAM
    assert f"at {t20['f']:.2f}x / {t21['f']:.2f}x the model's" in _TWIN_PROGRAM
    rows = {r["id"]: r for r in tvt.TRN1_ROWS}
    dec, may = rows["trn1-nxd-llama31-8b-n221d"], rows["trn1-nxd-llama31-8b-n221"]
    e_may = predict_layout(run_query(may)).terms["step_time_s"] / float(may["step_s"]) - 1
    assert (f"{float(may['step_s']) / float(dec['step_s']):.2f}x apart (Dec 2024 {pct(t21['e8'])}, May 2025 "
            f"{pct(e_may)})") in _TWIN_PROGRAM
    for rid in ("trn1-nxd-llama31-8b", "trn1-nxd-llama31-8b-n220", "trn1-nxd-llama31-8b-n221"):
        assert ALL_REASONS[rid].endswith(_TWIN_PROGRAM + "; " + _NKI_CORE)  # s33 rtrn appended _NKI_CORE after it


@pytest.mark.usefixtures("trn1_link_before_rtrn2")
def test_s32_rtrn_serving_reasons_quote_the_recomputed_figures() -> None:
    """s32 rtrn (2026-12-05): the figures the four 128-token TTFT reasons added (_CACHE_AND_DECODE) are those of the
    runs file's record, which tests/test_serving_neuron.py recomputes (kv_cache_pass, the published growth)."""
    tsn = importlib.import_module("test_serving_neuron")
    pub = tsn.PUB
    g1, g8 = (pub[f"nrn-trn1-l3-8b-b{b}-128-8064-ttft"] - pub[f"nrn-trn1-l3-8b-b{b}-128-3968-ttft"] for b in (1, 8))
    assert tsn.kv_cache_pass(8)["added"] / tsn.kv_cache_pass(1)["added"] == 8
    assert f"to 8 where the published 4096 -> 8192 growth goes {g8 / g1:.1f}x" in _CACHE_AND_DECODE
    assert f"so at most {g8 / 8:.2f} of its {g1:.2f} ms at batch 1" in _CACHE_AND_DECODE
    fit = "nrn-trn1-l2-70b-b1-128-128-ttft"
    p = _pred(fit)[0]
    with_tpot = (p + pub[fit.replace("-ttft", "-tpot")]) / pub[fit] - 1
    assert f"({100 * (p / pub[fit] - 1):+.1f}% -> {100 * with_tpot:+.1f}%)" in _CACHE_AND_DECODE
    for rid in ("nrn-trn1-l2-7b-b1-128-8064-ttft", "nrn-trn1-l2-7b-b8-128-8064-ttft",
                "nrn-trn1-l3-8b-b1-128-8064-ttft", "nrn-trn1-l3-8b-b1-128-3968-ttft"):
        assert ALL_REASONS[rid].split("; examined (rtrn2")[0].endswith(_CACHE_AND_DECODE)  # rtrn2 appended after it


TRN1_L3_70B_TTFT_SHAPES = ("b1-2048-2048", "b4-2048-2048", "b4-128-1024", "b4-128-128")


@pytest.mark.parametrize("shape", TRN1_L3_70B_TTFT_SHAPES)
@pytest.mark.usefixtures("trn1_link_before_rtrn2")
def test_trn1_llama3_70b_ttft_notes_model_figures(shape: str) -> None:
    """The model's side of the Llama-3-70B notes (the published ratios: tests/test_serving_neuron.py): the Llama-2-70B
    row of the same shape is predicted at the quoted error, and the two models' TTFTs within 0.1% of each other."""
    l3, l2 = f"nrn-trn1-l3-70b-{shape}-ttft", f"nrn-trn1-l2-70b-{shape}-ttft"
    note = NOTES[l3]
    assert f"({l2}, predicted {_pct(_err(l2))})" in note
    assert "(the model predicts the two rows within 0.1%)" in note
    assert abs(_pred(l3)[0] / _pred(l2)[0] - 1) < 0.001


RECOMPUTED_IDS: frozenset[str] = frozenset((
    *GPTFAST_TP_ROWS, *TRT061_GQA_ROWS, TRT05_H100_70B_ROW, *(f"trt05-ttft-a100-{m}-128" for m in TRT05_A100_MODELS),
    *CUDA_GRAPH_PADDING_ROWS, H200_70B_128_ROW, *INT8_GAP_ROWS,
    *(f"nrn-trn1-l2-7b-b{b}-128-8064-ttft" for b in LLAMA2_7B_TTFT_BATCHES), DSV3_DECODE_ROW,
    *TRN1_CROSS_RELEASE_NOTES, *(f"nrn-trn1-l3-70b-{s}-ttft" for s in TRN1_L3_70B_TTFT_SHAPES)))
"""The rows whose notes this module's tests recompute (the lists their parametrize runs over)."""


@pytest.mark.usefixtures("trn1_link_before_rtrn2")
def test_s33_rtrn_nki_core_reasons_quote_the_recomputed_figures() -> None:
    """s33 rtrn (2026-12-06): the figures the three Trainium1 8B training reasons added (_NKI_CORE) are those of the
    runs file's record, which tests/test_validate_trainium.py recomputes (nki_flash_core), at today's model."""
    c = importlib.import_module("test_validate_trainium").nki_flash_core()

    def pct(x: float) -> str:
        return f"{100 * x:+.1f}%"

    for rid, what in (("trn1-nxd-llama31-8b", "2.24 fit row"), ("trn1-nxd-llama31-8b-n220", "2.20 row"),
                      ("trn1-nxd-llama31-8b-n221", "May 2025 2.21 row")):
        assert f"the {what} {pct(c[rid]['before'])} -> {pct(c[rid]['now'])}" in _NKI_CORE
        assert ALL_REASONS[rid].endswith(_TWIN_PROGRAM + "; " + _NKI_CORE)
        assert abs(c[rid]["now"]) > ROW_NOTE_BOUND  # still beyond 25%: the entry stays
    e8, e70 = c["trn1-nxd-llama31-8b"], c["trn1-nxd-llama31-70b"]
    assert (f"at a fixed {c['rate']['r']:.3f} of the peak for the core the fit row reaches {pct(e8['at_rate'])}"
            in _NKI_CORE)
    assert f"(the 70B 2.24 fit row {pct(e70['now'])} -> {pct(e70['at_rate'])})" in _NKI_CORE
    gap_now, gap_at = 100 * (e70["now"] - e8["now"]), 100 * (e70["at_rate"] - e8["at_rate"])
    assert f"the 8B-70B gap closes {gap_now:.1f} -> {gap_at:.1f} points" in _NKI_CORE


def test_rtrn2_remaining_trn1_ttft_rows() -> None:
    """rtrn2 (2026-12-06): the two Trainium1 TTFT rows still UNEXPLAINED, and their twins that left, moved as their
    entries quote: before (conftest.trn1_link_before_rtrn2_ctx, the cells before) and after (bundled)."""
    from conftest import trn1_link_before_rtrn2_ctx

    def errors() -> dict[str, float]:
        ids = {*RTRN2_STILL_BEYOND, *_RTRN2_TWIN_MOVES}
        return {r.id: r.error for r in validate_serving().runs if r.id in ids and r.error is not None}

    after = errors()
    with trn1_link_before_rtrn2_ctx():
        before = errors()

    def move(rid: str) -> str:
        return f"{_pct(before[rid])} -> {_pct(after[rid])}"

    for rid, (quoted, twin) in RTRN2_STILL_BEYOND.items():
        assert move(rid) == quoted and abs(after[rid]) > ROW_NOTE_BOUND, rid
        assert move(twin) == _RTRN2_TWIN_MOVES[twin] and abs(after[twin]) <= ROW_NOTE_BOUND < abs(before[twin]), twin
        assert f"this row goes {quoted}, still beyond 25%, where its twin {twin} ({move(twin)})" in UNEXPLAINED[rid]
        assert twin in LEFT_UNEXPLAINED and twin not in UNEXPLAINED


def test_rtrn3_trn1_ttft_reasons_quote_the_recomputed_figures() -> None:
    """rtrn3 (2026-12-06): the figures appended to the two Trainium1 TTFT rows' entries are those of the runs file's
    'Examined 2026-12-06 (rtrn3' record, which tests/test_serving_neuron.py recomputes
    (test_rtrn3_p50_tpot_is_the_long_bucket_step); here from the same helpers."""
    tsn = importlib.import_module("test_serving_neuron")
    record = tsn._runs_record("# Examined 2026-12-06 (rtrn3, issue 10)")
    b8 = tsn.decode_buckets("l2-7b-b8-128-8064")
    first = b8["a"] + 256 * b8["s"]
    own = b8["ttft"] - first
    model_own = _pred("nrn-trn1-l2-7b-b8-128-8064-ttft")[0] - tsn.model_decode_step_ms("l2-7b-b8-128-8064", 256)
    fit = "nrn-trn1-l2-70b-b1-128-128"
    fit_ratio = (tsn.PUB[f"{fit}-ttft"] - tsn.PUB[f"{fit}-tpot"]) / (
        _pred(f"{fit}-ttft")[0] - tsn.model_decode_step_ms("l2-70b-b1-128-128", 256))
    text = RTRN3_APPENDED["nrn-trn1-l2-7b-b8-128-8064-ttft"]
    assert f"is {b8['mean']:.2f} against {b8['p50']:.2f} ms" in text and b8["median_bucket"] == 8192
    assert (f"at the 256 bucket, is {first:.2f} ms and the prompt's own time {own:.2f} ms against the model's "
            f"{model_own:.2f} ms ({own / model_own:.2f}x; the Llama-2-70b fit row's {fit_ratio:.2f}x)") in text
    assert f"{own:.2f} ms (batch 8) against" in record and f"({fit_ratio:.2f}x) for the Llama-2-70b fit row" in record
    grow = {b: tsn.PUB[f"nrn-trn1-l3-8b-b{b}-128-8064-ttft"] - tsn.PUB[f"nrn-trn1-l3-8b-b{b}-128-3968-ttft"]
            for b in (1, 8)}
    s1 = {n: tsn.decode_buckets(f"l3-8b-b1-128-{n}")["s"] for n in (8064, 3968)}
    passes = {b: sorted(grow[b] / (4096 * tsn.decode_buckets(f"l3-8b-b{b}-128-{n}")["s"]) for n in (8064, 3968))
              for b in (1, 8)}
    text = RTRN3_APPENDED["nrn-trn1-l3-8b-b1-128-8064-ttft"]
    assert (f"TTFT is {grow[1]:.2f} ms above its 128+3968 twin's, {passes[1][0]:.2f}-{passes[1][1]:.2f} passes over "
            f"the added 4096 positions at the decode's own cost a token-bucket position ({s1[8064] * 1e3:.3f} / "
            f"{s1[3968] * 1e3:.3f} us") in text
    assert f"{passes[8][0]:.2f}-{passes[8][1]:.2f} at batch 8" in text
    assert f"is {passes[1][0]:.2f}-{passes[1][1]:.2f} / {passes[8][0]:.2f}-{passes[8][1]:.2f} passes" in record
    for rid, appended in RTRN3_APPENDED.items():
        # rtrn5 then rtrn6 appended their texts after this one (RTRN5_APPENDED, RTRN6_APPENDED)
        assert UNEXPLAINED[rid].endswith(f"; {appended}; {RTRN5_APPENDED[rid]}; {RTRN6_APPENDED[rid]}")
        assert rid in RECOMPUTED_IDS


def test_rtrn5_trn1_ttft_reasons_quote_the_recomputed_figures() -> None:
    """rtrn5 (2026-12-06): the figures appended to the two Trainium1 TTFT rows' entries are those of the runs file's
    'Examined 2026-12-06 (rtrn5' record, which tests/test_serving_neuron.py recomputes
    (test_rtrn5_nccom_sweep_does_not_size_the_ttft_rows); here from the same helpers."""
    tsn = importlib.import_module("test_serving_neuron")
    record = tsn._runs_record("# Examined 2026-12-06 (rtrn5, issue 10)")
    b8, l3 = "nrn-trn1-l2-7b-b8-128-8064-ttft", "nrn-trn1-l3-8b-b1-128-8064-ttft"
    for rid in (b8, l3):
        d = tsn.nccom_sweep_prefill(rid)
        text = RTRN5_APPENDED[rid]
        assert (f"({d['bytes']} B each: {d['sweep_us']:.2f} against the model's {d['model_us']:.2f} us) take this row "
                f"{_pct(d['before'])} -> {_pct(d['after'])}") in text, rid
        assert f"{d['sweep_us']:.2f}" in record and f"{d['model_us']:.2f} us" in record
        # rtrn6 appended its text after this one (RTRN6_APPENDED)
        assert UNEXPLAINED[rid].endswith(f"; {text}; {RTRN6_APPENDED[rid]}") and rid in RECOMPUTED_IDS
    assert abs(tsn.nccom_sweep_prefill(b8)["after"]) > ROW_NOTE_BOUND
    dec = tsn.nccom_sweep_decode("l3-8b-b1-128-8064")
    assert dec["bytes"] == 8192 and dec["sweep_ms"] > dec["p50"]
    assert (f"decode steps' {dec['bytes']} B all-reduces alone makes {dec['sweep_ms']:.2f} ms a step, above this "
            f"run's whole P50 TPOT ({dec['p50']:.2f} ms)") in RTRN5_APPENDED[l3]


def test_rtrn6_trn1_ttft_reasons_quote_the_recomputed_figures() -> None:
    """rtrn6 (2026-12-06): the figures appended to the two Trainium1 TTFT rows' entries are those of the runs file's
    'Examined 2026-12-06 (rtrn6' record, which tests/test_serving_neuron.py recomputes
    (test_rtrn6_dma_guide_does_not_size_the_batch1_rate); here from the same helpers."""
    tsn = importlib.import_module("test_serving_neuron")
    record = tsn._runs_record("# Examined 2026-12-06 (rtrn6, issue 10)")
    peak = tsn.dma_guide_peak_gbs()
    rates = tsn.position_read_rates()
    f1, f8 = [r / peak for r in rates[1]], [r / peak for r in rates[8]]
    guide = (f"{tsn.DMA_GUIDE_TRN1_ENGINE_BYTES_PER_NS} B/ns x {tsn.DMA_GUIDE_ENGINES_PER_CORE} engines = {peak} GB/s "
             "a core")
    b8, l3 = "nrn-trn1-l2-7b-b8-128-8064-ttft", "nrn-trn1-l3-8b-b1-128-8064-ttft"
    text = RTRN6_APPENDED[b8]
    assert f"(TRN1 {guide}, a fixed ~{tsn.DMA_GUIDE_TRANSFER_LATENCY_NS} ns a transfer" in text
    # rates[8][0] is this run (Llama-2-7b batch 8 128+8064)
    serial8 = tsn.dma_serial_rate_gbs(2048 * tsn.DMA_PARTITIONS_PER_ENGINE)
    assert (f"reads at {rates[8][0]:.1f} GB/s ({f8[0]:.2f} of that peak, 2048 B rows), the batch-1 runs' at "
            f"{min(f1):.2f}-{max(f1):.2f}") in text
    assert f"gives {serial8:.1f} GB/s here, too slow" in text and serial8 < rates[8][0]
    text = RTRN6_APPENDED[l3]
    # rates[1][1] is this run (Llama-3-8B batch 1 128+8064)
    assert (f"reads at {rates[1][1]:.1f} GB/s in this run, {f1[1]:.2f} of the TRN1 DMA peak in AWS's DMA bandwidth "
            f"guide ({guide}; {min(f1):.2f}-{max(f1):.2f} over the batch-1 runs, {min(f8):.2f}-{max(f8):.2f} at "
            "batch 8)") in text
    need = {b: [tsn.dma_serial_bytes_for(r) for r in rates[b]] for b in (1, 8)}
    ratios = [x8 / x1 for x1, x8 in zip(need[1], need[8], strict=True)]
    assert (f"needs {min(need[1]):.0f}-{max(need[1]):.0f} B an engine at batch 1 but {min(need[8]):.0f}-"
            f"{max(need[8]):.0f} B at batch 8 ({min(ratios):.1f}-{max(ratios):.1f}x for rows 8x larger)") in text
    for rid, text in RTRN6_APPENDED.items():
        assert "(rtrn6" in record and UNEXPLAINED[rid].endswith("; " + text) and rid in RECOMPUTED_IDS
        assert abs(_err(rid)) > ROW_NOTE_BOUND, rid  # still beyond 25%: the entry stays
