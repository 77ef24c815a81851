"""FP8 training runs the linear layers' GEMMs in FP8 and everything else in bf16 (predict.compute.linear_precision);
FP4 weights use the catalog's fp4 peak; devices whose family has no fitted run say 'uncalibrated'.

Published reference: NeMo 24.07 performance summary (NVIDIA/NeMo docs/source/performance/performance_summary.md),
DGX-H100 FP8 rows, reproduced by `validate` (tolerance stated before measuring: held-out FP8 median <= 12%, the
issue's per-family bound)."""

from __future__ import annotations

import json
import statistics
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import run_main

from accelopt.errors import InputError
from accelopt.hardware.catalog import get_device
from accelopt.predict.calibration import calibration_for, load_calibrations
from accelopt.predict.compute import (
    FP4_OPERAND_BYTES,
    Device,
    fp8_cast_bytes,
    gemm16_s,
    gemm_s,
    linear_precision,
)
from accelopt.predict.runs_csv import read_runs_csv
from accelopt.predict.training import Layouts, Setup, evaluate
from accelopt.predict.validation import ValidateResult, validate_report
from accelopt.workload.presets import get_model


def _devs() -> tuple[Device, Device]:
    spec = get_device("h100-sxm")
    cal = calibration_for(spec)
    bf16 = Device(peak_flop_per_s=float(spec.peak("bf16") or 0), bw_byte_per_s=spec.memory_bandwidth_byte_per_s,
                  cal=cal)
    return bf16, replace(bf16, linear=linear_precision(spec, "fp8", cal))


def test_fp8_linear_gemm_at_fp8_peak_with_quantize_pass() -> None:
    bf16, fp8 = _devs()
    lin = fp8.linear
    assert lin is not None and lin.peak_flop_per_s == get_device("h100-sxm").peak("fp8")
    m, n, k = 8192.0, 8192.0, 8192.0
    t8, f8 = gemm_s(np.asarray(m), n, k, 2.0, fp8)
    f = 2 * m * n * k
    bw = fp8.bw_byte_per_s * fp8.cal.memory_eff
    eff = lin.eff_max * f / (f + lin.half_flop)
    want = (max(f / (lin.peak_flop_per_s * eff), ((m * k + k * n) * 1.0 + m * n * 2.0) / bw) + fp8.cal.kernel_overhead_s
            + m * k * fp8_cast_bytes("delayed", "nvidia-hopper")[0] / bw + fp8.cal.kernel_overhead_s)
    assert float(t8) == pytest.approx(want, rel=1e-12) and f8 == f
    t16, _ = gemm_s(np.asarray(m), n, k, 2.0, bf16)
    assert 1.0 < float(t16) / float(t8) < 2.0  # faster than bf16, not the 2x of the peak ratio


def test_fp8_keeps_attention_and_logits_in_bf16() -> None:
    """The attention core and the logits run at the bf16 peak in an FP8 run: only the linear layers gain."""
    _, fp8 = _devs()
    t_logit, _ = gemm16_s(np.asarray(8192.0), 128256.0, 4096.0, 2.0, fp8)
    bf16 = replace(fp8, linear=None)
    assert float(t_logit) == float(gemm16_s(np.asarray(8192.0), 128256.0, 4096.0, 2.0, bf16)[0])
    setup8 = Setup(model=get_model("llama3-8b"), seq_len=8192, global_batch=8, dtype="fp8")
    setup16 = replace(setup8, dtype="bf16")
    lay = Layouts(tp=np.array([1]), pp=np.array([1]), dp=np.array([8]), cp=np.array([1]), ep=np.array([1]),
                  vp=np.array([1]), mbs=np.array([1]), m=np.array([1]), zero=np.array([1]), recompute=np.array([1]),
                  sp=np.array([False]), overlap=np.array([True]), schedule=np.array([0]), hsdp=np.array([0]),
                  etp=np.array([0]), recompute_layers=np.array([0]))
    spec = get_device("h100-sxm")
    p8, p16 = evaluate(setup8, spec, lay).terms, evaluate(setup16, spec, lay).terms
    assert p8["t_recompute_s"][0] == pytest.approx(p16["t_recompute_s"][0])  # attention core: same time
    assert p8["t_logits_s"][0] == pytest.approx(p16["t_logits_s"][0])
    assert p8["t_fwd_s"][0] < p16["t_fwd_s"][0]
    assert p8["in_peak_flop_per_s"][0] == spec.peak("fp8")  # MFU against the training dtype's peak


def test_fp4_weights_need_an_fp4_peak() -> None:
    spec = get_device("b200")
    cal = calibration_for(spec)
    if spec.peak("fp4") is None:
        with pytest.raises(InputError, match="fp4 peak"):
            linear_precision(spec, "nvfp4", cal)
    with_fp4 = replace(spec, peak_flop_per_s={**spec.peak_flop_per_s, "fp4": 9e15})
    lin = linear_precision(with_fp4, "nvfp4", cal)
    assert lin is not None and lin.peak_flop_per_s == 9e15 and lin.cast_bytes_per_input == 0.0
    assert lin.operand_bytes == FP4_OPERAND_BYTES["nvfp4"] == 0.5625
    assert linear_precision(with_fp4, "mxfp4", cal).operand_bytes == 0.53125  # type: ignore[union-attr]
    assert linear_precision(spec, "bf16", cal) is None


KNOWN_FAMILY_GAPS: dict[str, str] = {
    # newfam (2026-12-04): the uncalibrated default curve's one held-out training row, MLPerf v5.1 MI355X Llama 3.1 8B
    # FP8 (-20.2%); one row is too few for the declared per-family fit (>= 3 rows), so mi355x stays on default
    "default": "tests/test_newfam_rows.py::test_default_family_within_the_family_bound",
}
# nvidia-blackwell left it 2026-12-01 (bwell: 14.1% -> 8.4% by the FP8 fit's rule 2, calibration.toml;
# tests/test_validate_unseen_runs.py::test_blackwell_family_within_the_family_bound, now a passing test);
# amd-instinct-cdna3 left it when its MI325X scaling brought it to 8.8% (tests/test_amd_rows.py::
# test_cdna3_held_out_within_family_bound, a passing test; its entry stayed until 2026-11-30's review); intel-gaudi2
# left it 2026-11-30 (tests/test_validate_gaudi.py); aws-trainium1 left it 2026-11-30 (t-trn: 11.85%,
# tests/test_validate_trainium.py::test_trainium1_held_out_within_family_bound, now a passing test), came back
# 2026-12-03 (trnfix: 12.48% over 23) and left again the same day (trnstack: 10.28% over 22, the Megatron-LM GPT3-6.7B
# rows' own stack value, calibration.toml)
"""Families whose held-out median misses the 12% bound, each with its own strict xfail (the test named here)."""


KNOWN_RELEASE_GAP_SOURCES = ("NeMo25.02 perf summary DGX-B200", "NeMo25.04 perf summary DGX-GB200")
"""Sources whose held-out rows miss by a software release the model has no input for (the same B200 layout publishes
1.178x the Megatron-Bridge 25.11 time in NeMo 25.02: tests/test_validate_unseen_runs.py), with their strict xfail
(test_dense_held_out_median_target)."""


def _moe_run_ids() -> set[str]:
    """Ids of the bundled training runs with an experts cell (mixture-of-experts runs, 2026-12-01)."""
    rows, _ = read_runs_csv(None, "published_training_runs.csv", "training runs file", ("id",))
    return {r["id"] for r in rows if (r.get("experts") or "").strip()}


def test_fp8_held_out_error_per_family_and_precision() -> None:
    rep = validate_report()
    moe = _moe_run_ids()
    dense_fp8 = [abs(r.error) for r in rep.runs if not r.fitted and r.dtype == "fp8" and r.id not in moe]
    # the 12% bound over the dense FP8 rows (9.61% over 49 with the runs file's fp8_recipe cells, 8.8% before; 9.6% over
    # 36 before the Blackwell fit's rule 2; 9.61% over 75 with the GB300/B300, NeMo 24.07 Nemotron and Megatron-Bridge
    # 26.02 H100 / 25.09 rows; 7.25% over 75 after the day's model changes and re-runs, 2026-12-01; 6.20% over 75 after
    # 2026-12-02's merges); with the MoE rows: the test below (10.2% over 97; 8.68% after those changes; 6.93%; 6.94%
    # after gptoss2 / recmod, 2026-12-02)
    assert len(dense_fp8) >= 10 and statistics.median(dense_fp8) <= 0.12
    for family, errors in _dense_held_out_by_family(rep).items():  # the bound: no family's median above 12%
        if family in KNOWN_FAMILY_GAPS:  # a strict xfail of its own says why
            continue
        assert statistics.median(errors) <= 0.12, family  # with the MoE rows: the strict xfail below
    for r in rep.runs:  # a held-out run beyond 25% carries its checked reason
        if not r.fitted and abs(r.error) > 0.25:
            assert r.note, r.id


def _dense_held_out_by_family(rep: ValidateResult) -> dict[str, list[float]]:
    """family -> |error| of its held-out runs without an experts cell."""
    moe = _moe_run_ids()
    out: dict[str, list[float]] = {}
    for r in rep.runs:
        if not r.fitted and r.id not in moe:
            out.setdefault(r.family, []).append(abs(r.error))
    return out


def test_family_medians_with_the_moe_rows() -> None:
    # A strict xfail until 2026-12-01: nvidia-blackwell's held-out median was 12.13% over 40 with its 15 MoE rows
    # (Megatron-Bridge Qwen3, DeepSeek-V3 and GPT-OSS-120B on GB200/B200, up to 74% too fast). 10.39% over 67 since
    # b300's 17 DGX-GB300/B300 rows and nemon's ten 25.09 GB200/B200 Llama rows (held out, no calibration changed):
    # the added rows sit nearer the median, no row is predicted closer; aws-trainium1 (11.82%) is now the highest.
    for g in validate_report().by_family:
        if g.group not in KNOWN_FAMILY_GAPS:
            assert g.median_abs_error <= 0.12, g


def test_fp8_held_out_median_with_the_moe_rows() -> None:
    # 12.25% with the six Qwen3 MoE rows (2026-12-01) until the H100 235B row's expert all-to-all overlap
    # (plan --ep-a2a-overlap): 10.9% over 41; 8.6% over 50 with the Blackwell FP8 fit's rule 2, its 26.02.x rows and
    # the FP8 recipe (plan --fp8-recipe); 9.3% over 54 with the Nemotron-4 rows. A strict xfail after moetr's six
    # Megatron-Bridge 26.02 Qwen3 rows (12.25% over 47); with every branch merged (2026-12-01: dsv3's five FP8
    # DeepSeek-V3 rows, bwell's rule 2 and dense rows) 9.96% over 65, and 10.2% with the fp8_recipe cells; 9.96% over
    # 97 with b300's / nemon's FP8 rows and this session's recipe cells (mbread, moecells) and Hopper bf16 fit; 8.68%
    # over 97 after fa2, ubuf, ubuf2, hopdiag, rca, rcb and the declared rules' re-runs (2026-12-01); 6.93% over 97
    # after 2026-12-02's merges (amdfp8, pp, dpscale, bucket2 above all); 6.94% over 97 after gptoss2's expert-gradient
    # reduction and recmod's recompute_modules cells (2026-12-02).
    fp8 = next(g for g in validate_report().by_precision if g.group == "fp8")
    assert fp8.median_abs_error <= 0.12


def test_dense_held_out_median_target() -> None:
    """Issue 10's 6% bound over the dense held-out runs (5.49% over 161, 2026-12-01; 5.54% over 167 with the Blackwell
    FP8 fit's rule 2 and its 26.02.x rows; 5.52% over 170 with the FP8 recipe; 6.12% over 174 with the Nemotron-4
    rows; a strict xfail from then: 7.40% over 227 once hopbf16's 27 dgxc H100 BF16 rows were merged, 10.43% over
    those). Met again 2026-12-01 (recon2 removed the xfail, which XPASSed): 5.86% over 227 after the attention kernel
    per run (fa2), the userbuffers TP overlap (ubuf, ubuf2), the causal FlashAttention-2 work (hopdiag), the recompute
    cells from the recipes (rca, rcb) and the declared rules' re-runs; the dgxc rows 2.17%, 110 of the 227 beyond 6%.
    5.40% over 227 after 2026-12-02's merges (the dgxc rows 3.49%). With the mixture-of-experts rows: the test below
    (met since 2026-12-02). A strict xfail again from 2026-12-02 (ampfsdp's 55 rows of llm-foundry's A100-80GB table,
    added held out before they were predicted: 6.82% over 287, 6.64% after the declared nvidia-ampere/pytorch-fsdp
    fit, 6.07% over 285 after longseq's triton attention cells); met again 2026-12-02 (ce; the xfail XPASSed and was
    removed): 5.52% over 285 once the A100 table's rows charge PyTorch eager cross-entropy (eager_cross_entropy,
    tests/test_eager_cross_entropy.py) and the declared rule's re-run (0.66 -> 0.68); 5.10% over the 257 outside the
    table's seq >= 8192 rows."""
    moe = _moe_run_ids()
    runs = [abs(r.error) for r in validate_report().runs if not r.fitted and r.id not in moe]
    assert len(runs) >= 150 and statistics.median(runs) <= 0.06


def test_overall_held_out_median_target() -> None:
    # Issue 10's target. 2026-11-30: 5.4% over 74 held-out runs after the FSDP per-layer ring latencies, the TP/p2p
    # comm overlap of the Megatron configs, Llama 3's derived vp 8 and the TPU slice layout (7.5% over 65 before).
    # 2026-11-30 (integration): 5.9% over 92 held-out runs, with the TPU v4/v6e, Gaudi 2, AMD and Trainium rows and the
    # asynchronous tensor-parallel backward (6.8% over 82 with the Trainium rows before that and the Gaudi re-fits).
    # 2026-11-30 (s-fsdp): 5.1% over 96 held-out runs with the gap families in, after the pytorch-fsdp stack's
    # early-stopping recompute (training.early_stop_skipped) and the refit it forced (6.8% before: the strict xfail
    # this test was then XPASSed).
    # 2026-11-30 (s-megsp): 4.8% over 96 (5.1% before): the megatron stack's asynchronous all-reduce and pipeline
    # scatter/gather without sequence parallel, Korthikanti's layouts, the Ampere refit.
    # 2026-12-01: a strict xfail again at 6.64% over 257 once the 30 Megatron-Bridge MoE rows were in (0-75% off,
    # 21.91% median; MoE training is the gap); 6.07% on int after the bucket branch's 20 recipe bucket cells.
    # 2026-12-02 (bucket2): met again, 5.88% over 257 (the xfail XPASSed and was removed), after the 69 NeMo 2 /
    # Megatron-Bridge rows' 128 Mi-parameter comm-overlap buckets (their recipes', tests/test_dp_bucket_size.py). A
    # thin margin: the median sits among rows whose errors moved by tenths of a point; the MoE gap is unchanged.
    # 2026-12-02: a strict xfail again, 6.21% over 262 with unseen's five MaxText A3 Llama2-7B rows, 7.77% over 317 with
    # the other 55 rows of llm-foundry's A100-80GB table (added held out), 7.19% over 315 after the declared
    # nvidia-ampere/pytorch-fsdp fit, 6.34% after longseq's triton attention cells on that table.
    # 2026-12-02 (ce): met again, 5.88% over 315 (the xfail XPASSed and was removed): the A100 table's rows charge
    # PyTorch eager cross-entropy (mosaicml/examples' F.cross_entropy under autocast, eager_cross_entropy; 5.76% with
    # that alone) and the declared nvidia-ampere/pytorch-fsdp rule re-run on it (0.66 -> 0.68). A thin margin again.
    # 2026-12-03: a strict xfail again (the reason above): modelling what the stacks run and adding unseen rows.
    # 2026-12-03: a strict xfail from the morning (6.07% over 325: fp8head, newrows, trnfix; nothing re-fitted to
    # compensate); met again the same day (the xfail XPASSed and was removed): 5.27% over 325 after a100_long's
    # derived Triton FlashAttention backward rate for the llm-foundry A100 table (0.315 -> 0.280 from the kernel's own
    # header and FlashAttention-1's published rates; 6.07 -> 5.37% alone) and amd_ih's CK block-skipping for the AMD
    # family with the declared cdna3 bf16 rule re-run 0.44 -> 0.40 (6.07 -> 6.01% alone).
    # 2026-12-03 (gaudi_amd_new): 5.21% over 332 with seven held-out Gaudi 2 FP8 rows of Intel's 1.18.0 / 1.16.0 tables
    # (committed before they were predicted; no earlier row moved).
    # 2026-12-03 (tpu_new): 5.40% over 341 with nine held-out TPU rows (the MaxText v5e README's 128B column, Trillium
    # Mistral 7B, v5p Llama 4 Maverick and Scout; committed before they were predicted; no earlier row moved).
    # 2026-12-03 (mbnew): a strict xfail again, 6.13% over 404, with the 79 unseen rows of Megatron-Bridge's later
    # tables (GPT-OSS-120B's 15 rows -33..-54%, the GB300 405B FP8 and cross-node EP rows beyond 25%: the runs file's
    # mbnew block and tests/test_row_notes_checked.py's UNEXPLAINED entries).
    # 2026-12-03 (newrows): 6.32% over 438 (6.29% over 429 before) with the nine unseen rows of the Megatron-Bridge
    # 26.02 archive's DeepSeekV3 and GPT OSS 120B tables (DeepSeek-V3 -6.8%..+7.9%; GPT-OSS -17.8%..-52.6%, four
    # beyond 25%: tests/test_mb2602_moe_rows.py).
    # 2026-12-03 (automodel): 6.32% over 444 (6.32% over 438 before; 213 -> 216 within 6%) with the six unseen NeMo
    # AutoModel DGX-H100 BF16 rows (-25.7%..+20.5%, GPT-OSS 20B beyond 25%: tests/test_automodel_rows.py).
    # 2026-12-03 (tiering): 6.35% over 442 (6.32% over 438 before) with four unseen rows: MaxText's tiering page v5p
    # Llama 2 70B +12.2% and Mixtral 8x7B -4.9%, ROCm TE issue #79's Llama 3 8B FP8 at batch 2 / 4 -47.5% / -44.5%
    # (tests/test_tiering_rows.py).
    # 2026-12-03 (mb2606): 6.65% over 453 (6.32% over 438 before) with the 15 unseen rows of Megatron-Bridge's 26.06
    # table (+6.2%..+40.0% and -27.0%..-6.1%, seven beyond 25%: tests/test_mb2606_rows.py).
    # 2026-12-04 (a3stack): 6.59% over 461 (6.62% over 462 before; 218 within 6% before and after): the nvidia-hopper
    # maxtext stack table fitted on maxtext-a3-llama2-7b-x1 (0.54), the four multi-VM A3 rows 7.6-7.8 points slower.
    # 2026-12-04 (ttstack): 6.27% over 460 (224 within 6%, 218 before): the torchtitan rows on a stack of their own,
    # fitted on tt-a100-llama2-13b-noac (nvidia-ampere, 0.60) and tt-h200-llama31-8b-fp8-32 (nvidia-hopper fp8, 0.46).
    # 2026-12-04 (hopaudit): 6.29% over 465 with ttstack (6.27% over 460 before; 226 within 6%, 224 before) with
    # dgxc-benchmarking 143b90d's five GPT3 175B FP8 rows, -14.0..-2.6%, held out (tests/test_dgxc_fp8_rows.py).
    # 2026-12-04 (qwen3moe): 6.29% -> 6.20% over 465 (226 -> 228 within 6%): six 26.06 MXFP8 rows' recipe cells
    # moe_grouped_mlp cutedsl and ep_a2a_overlap (tests/test_moe_grouped_mlp.py); no other row moved.
    # 2026-12-04 (cdna4): 6.27% over 466 (6.29% over 465 before; 226 -> 227 within 6%): the derived amd-instinct-cdna4
    # family (MLPerf v5.1 MI355X -20.2% -> +4.0%) and its held-out MI350X row (-8.8%; tests/test_cdna4_rows.py).
    # 2026-12-04 (vpchunk): 6.14% over 466 on the merged tree (230 within 6%) with the interleaved fill / drain sends
    # and the tied-embedding gradient all-reduce (tests/test_pipeline_edge_costs.py).
    # 2026-12-04 (sortchunks): met again, 5.79% over 466 (237 within 6%; the strict xfail, missed since mbnew on
    # 2026-12-03, XPASSed and was removed): Megatron-Core's all-to-all dispatcher sorts the routed tokens by local
    # expert after the all-to-all and back before the combine (compute.moe_sort_chunks_s, tests/test_moe_sort_chunks.py;
    # 72 rows closer, 27 further, none re-fitted).
    # 2026-12-04 (xla): 5.79% -> 5.77% over 466 (237 within 6% unchanged, beyond 25% 50 -> 47): an XLA program never
    # recomputes a checkpointed region's last op (training.xla_dead_recompute, tests/test_xla_dead_recompute.py) and the
    # TPU v4 / v5e / v6e and Trainium rules' re-runs (0.80 -> 0.72, 0.96 -> 0.90, 0.72 -> 0.68, 0.50 -> 0.48).
    # 2026-12-04 (moerows): 5.77% unchanged over 466 (237 -> 238 within 6%, beyond 25% 47 unchanged): the four MaxText
    # MoE rows' moe_grouped_mlp megablox (compute.megablox_gmm_s, tests/test_moe_megablox.py).
    # 2026-12-05 (moenemo): 5.77% -> 5.73% over 466 (238 -> 239 within 6%, beyond 25% 47 -> 46): mb260401-b200-dsv3's
    # ep_a2a_overlap cell from PR #3368's preset (issue #3385, labelled 26.04.01), +48.4% -> +5.4%; no other row moved.
    assert validate_report().median_abs_error_held_out <= 0.06


def test_held_out_median_target_outside_the_known_gap_families() -> None:
    # The same 6% bound over every held-out run outside a documented gap: a family in KNOWN_FAMILY_GAPS (each with its
    # own strict xfail) or a mixture-of-experts row (the gap of test_overall_held_out_median_target's strict xfail until
    # 2026-12-02; 20.7% over the 30 MoE rows after that day's merges, 21.3% after gptoss2 and recmod), so
    # a regression elsewhere fails even while the gap rows carry the overall median. (2026-12-01, bwell:
    # nvidia-blackwell left KNOWN_FAMILY_GAPS, so its four Qwen3 MoE rows, and the two H100 ones, are excluded as MoE
    # rows instead.)
    # 2026-12-01 (bwell, after the Nemotron-4 rows): also outside the NeMo 25.02 / 25.04 Blackwell tables, the release
    # gap documented by the nemo2502-b200-llama3-8b note (KNOWN_RELEASE_GAP_SOURCES): 5.22% over 162. A strict xfail
    # from the dgxc rows' merge (7.15% over 215, 2026-12-01) until the day's model changes and re-runs (fa2, ubuf,
    # ubuf2, hopdiag, rca, rcb): 5.84% over 215, 103 of them beyond 6% (recon2 removed the xfail, which XPASSed).
    # 2026-12-02 (ampfsdp): also outside llm-foundry's A100 rows at seq >= 8192 (a long-sequence gap then): 5.86% over
    # 245 (5.55% over 220 before the table's other 55 rows and the A100 pytorch-fsdp fit). longseq (2026-12-02) found
    # the table ran FlashAttention in Triton and set its cells: 5.60% over 245 since; with those 28 rows (median 9.3%
    # now, 31.2% before) 6.08% over 273, above the bound, so they stay out (LONG_SEQUENCE_GAP_SOURCE). ce (2026-12-02,
    # the A100 table's eager cross-entropy and the rule's re-run): 5.11% over 245; with those 28 rows (median 8.75%)
    # 5.53% over 273. a100_long (2026-12-03) re-derived the A100 Triton backward rate (0.315 -> 0.280): those 28 rows
    # -26.6..+5.6% (median 8.75%) -> -25.6..+7.5% (median 3.3%), no longer a gap of their own, so they are back in
    # (LONG_SEQUENCE_GAP_SOURCE retired): 4.52% over 259 with them (5.23% at 0.315), 4.83% over the 231 without.
    # Their checks stay in tests/test_validate_hopper.py (test_a100_table_runs_flash_attention_in_triton,
    # test_a100_long_sequence_gap_is_a_triton_core_rate_gap).
    moe = _moe_run_ids()
    runs = [r for r in validate_report().runs if not r.fitted and r.family not in KNOWN_FAMILY_GAPS and r.id not in moe
            and r.source not in KNOWN_RELEASE_GAP_SOURCES]
    assert len(runs) >= 70
    assert statistics.median(abs(r.error) for r in runs) <= 0.06


def test_uncalibrated_device_is_flagged(capsys: pytest.CaptureFixture[str]) -> None:
    cals = load_calibrations()
    # Gaudi 3: its own family, fitted on nothing (mi300x was the example until its bf16 fit, 2026-11-30 s-amd2)
    assert not calibration_for(get_device("gaudi3"), cals).calibrated("bf16")
    assert calibration_for(get_device("a100-sxm-80gb"), cals).calibrated("bf16")
    assert calibration_for(get_device("h100-sxm"), cals).calibrated("fp8")
    base = ["plan", "explain", "--model", "llama3-8b", "--devices", "8", "--json"]
    code, out, _ = run_main([*base, "--hardware", "gaudi3"], capsys)
    assert code == 0 and json.loads(out)["prediction"]["calibrated"] is False
    code, out, _ = run_main([*base, "--hardware", "a100-sxm-80gb"], capsys)
    assert json.loads(out)["prediction"]["calibrated"] is True


def test_uncalibrated_is_printed_beside_the_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(["plan", "--model", "llama3-8b", "--hardware", "trainium2,a100-sxm-80gb", "--devices", "8",
                             "--top", "40"], capsys)
    # trainium2: no family matches it, the default curve (tests/test_calibration_basis.py has every kind; mi300x was
    # the example here until its bf16 fit, 2026-11-30 s-amd2)
    assert code == 0 and "trainium2 (uncalibrated: default curve)" in out and "a100-sxm-80gb (" not in out
    code, out, _ = run_main(["plan", "explain", "--model", "llama3-8b", "--hardware", "trainium2", "--devices", "8"],
                            capsys)
    assert "stack megatron (uncalibrated: default curve)" in " ".join(out.split())


def test_validate_groups_in_json_and_html(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    page = tmp_path / "v.html"
    code, out, _ = run_main(["validate", "--json", "--html", str(page)], capsys)
    d = json.loads(out)
    assert code == 0 and {g["group"] for g in d["by_precision"]} == {"bf16", "fp8"}
    fam = {g["group"]: g for g in d["by_family"]}
    assert {"nvidia-ampere", "nvidia-hopper", "nvidia-blackwell", "google-tpu-v5e", "google-tpu-v5p"} <= set(fam)
    worst = max((r for r in d["runs"] if not r["fitted"] and r["family"] == "nvidia-hopper"),
                key=lambda r: abs(r["predicted_step_s"] / r["published_step_s"] - 1))
    assert fam["nvidia-hopper"]["worst_run"] == worst["id"]
    html = page.read_text(encoding="utf-8")
    assert "held-out |error| by family" in html and "by precision" in html


def test_explain_shows_the_first_gemm_efficiency_of_its_precision(capsys: pytest.CaptureFixture[str]) -> None:
    """`plan explain`'s in_first_gemm_eff is the curve that GEMM is timed with: the fp8 one (fp8_matmul_eff_max,
    half-size point scaled by the fp8/bf16 peak ratio) in an fp8 run, the 16-bit one otherwise."""
    cal = load_calibrations()["nvidia-hopper"]
    spec = get_device("h100-sxm")
    base = ["plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "8", "--tp", "2",
            "--json"]
    for dtype, eff_max, half in (("bf16", cal.matmul_eff_max, cal.matmul_half_flop),
                                 ("fp8", cal.fp8_matmul_eff_max,
                                  cal.matmul_half_flop * spec.peak("fp8") / spec.peak("bf16"))):
        code, out, err = run_main([*base, "--dtype", dtype], capsys)
        assert code == 0, err
        t = {x["name"]: x["value"] for x in json.loads(out)["terms"]}
        f = t["in_first_gemm_flops"]
        assert t["in_first_gemm_eff"] == pytest.approx(eff_max * f / (f + half)), dtype
