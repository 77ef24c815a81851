"""Published runs reproduced within stated tolerances (sources in the CSV's source column).

Default calibration (nvidia-ampere, megatron stack) was fitted on meg-t1-18.4b, meg-t1-145.6b and meg-t1-1008b only
(Narayanan et al. 2021, Table 1); nvidia-hopper carries the same curve for the megatron stack (not fitted); only
matmul_eff_max of nvidia-hopper/pytorch-fsdp was fitted, on mpt-1b-512 and mpt-70b-512 (MosaicML llm-foundry H100
large-scale table). Every other run is held out. The MosaicML (pytorch-fsdp) runs are asserted in
tests/test_validate_hopper.py.
"""

from __future__ import annotations

import pytest

from accelopt.predict.validation import median_abs_error, read_runs, validate_all

RESULTS = {r.id: r for r in validate_all()}

# Held-out runs with a per-run step-time tolerance:
#  Narayanan et al. 2021 Table 1 (1.7B .. 530B, A100): 10% (the 1.7B/3.6B rows were 21-31% fast until the
#  attention core's time was counted in the forward pass; now within 5%).
#  Korthikanti et al. 2022 Table 5 (full and selective recompute): 20%.
#  Llama 3 405B on 8,192 H100 (Llama Team 2024, Table 4, 43% MFU): 20% (a strict xfail from 2026-11-30 while Hopper
#  used the Ampere curve; within it since the Hopper bf16 fit of 2026-12-01, see KNOWN_GAPS below).
#  BLOOM-176B (Le Scao et al. 2022): 10%; MT-NLG 530B (Smith et al. 2022): 25%.
#  Not asserted: llama3-405b-16k (-21.9% with the derived interleaving vp 8; +48% with plain 1F1B before).
TOLERANCE = {
    "meg-t1-1.7b": 0.10, "meg-t1-3.6b": 0.10, "meg-t1-7.5b": 0.10,
    "meg-t1-39.1b": 0.10, "meg-t1-76.1b": 0.10, "meg-t1-310.1b": 0.10, "meg-t1-529.6b": 0.10,
    "kor-t5-22b-full": 0.20, "kor-t5-22b-sel": 0.20, "kor-t5-175b-full": 0.20,
    "kor-t5-175b-sel": 0.20, "kor-t5-530b-full": 0.20, "kor-t5-530b-sel": 0.20, "kor-t5-1t-full": 0.20,
    "kor-t5-1t-sel": 0.20, "llama3-405b-8k": 0.20, "bloom-176b": 0.10, "mtnlg-530b": 0.25,
}


# llama3-405b-8k was a strict xfail (-24.0% with the Hopper bf16 curve carried from Ampere) until the Hopper bf16 fit on
# NVIDIA's dgxc-benchmarking H100 BF16 rows (hopbf16, 2026-12-01; calibration.toml): -18.4%, within its 20% (a plain
# test since). Left: Meta's FSDP with gradients reduce-scattered in fp32 (sec. 3.3.2), which the row (zero 1) does not
# model.
KNOWN_GAPS: dict[str, str] = {}


@pytest.mark.parametrize("run_id", [pytest.param(r, marks=pytest.mark.xfail(reason=KNOWN_GAPS[r], strict=True))
                                    if r in KNOWN_GAPS else r for r in sorted(TOLERANCE)])
def test_run_within_tolerance(run_id: str) -> None:
    r = RESULTS[run_id]
    assert not r.fitted
    assert abs(r.error) <= TOLERANCE[run_id], f"{run_id} ({r.source}): {r.error:+.1%}"


def _moe_ids() -> set[str]:
    """The bundled mixture-of-experts rows (an experts cell)."""
    return {r["id"] for r in read_runs() if (r.get("experts") or "").strip()}


def test_median_held_out_error_target_on_3d_parallel_runs() -> None:
    # Megatron-style (tensor/pipeline/data parallel) held-out runs: measured 2026-11-26 median |error| 3.4% (19 runs);
    # the dense ones here, the MoE rows with them below (a known gap)
    three_d = [r for r in RESULTS.values() if r.stack == "megatron" and r.id not in _moe_ids()]
    assert median_abs_error(three_d, held_out_only=True) <= 0.10


def test_median_held_out_error_target_on_3d_parallel_runs_with_moe() -> None:
    # A strict xfail from 2026-12-01's merge of the 21 held-out Megatron-Bridge MoE rows (Qwen3, DeepSeek-V3,
    # GPT-OSS-120B; up to 74% too fast on B200/H100 small-expert recipes, tests/test_row_notes_checked.py): 10.8%. It
    # XPASSed once the Blackwell FP8 fit's rule 2 and its dense Megatron-Bridge 26.02.x / NeMo Nemotron-4 rows were
    # merged (9.23%); 9.26% over 103 held-out megatron runs with the runs file's fp8_recipe cells (8.09% over the 82
    # dense ones, the test above).
    three_d = [r for r in RESULTS.values() if r.stack == "megatron"]
    assert median_abs_error(three_d, held_out_only=True) <= 0.10


def test_median_held_out_error_target_on_all_runs() -> None:
    # Issue target: median |error| <= 10% on every run the calibration was not tuned on, both stacks. Measured
    # 2026-11-26: 5.8% over 41 held-out runs (was 18.5% over 37 before the pytorch-fsdp stack calibration, when
    # MosaicML's H100 runs were all predicted 18-40% too fast).
    # 2026-11-29: FP8 (NeMo 24.07, Megatron-Bridge 25.11) and TPU v5e (MaxText) rows added: 65 held-out, 7.5%.
    # 2026-11-30: TPU v5p (MaxText) rows added, one fitted; MosaicML's 6 H100 256-GPU rows (same 'Large Scale'
    # table) added; Intel Gaudi 2 rows (one fitted, one held out): 75 held-out.
    # 2026-11-30: TPU v4 (PaLM, one fitted, one held out) and v6e (tpu-recipes, one fitted, six held out): 82, 5.1%.
    # 2026-11-30 (g-amd): one MI300X row (ROCm Megatron-LM log), held out: 83.
    # 2026-11-30 (g-trn): AWS Trainium (Trn1) rows, one fitted, 7 held out (all too slow; see
    # tests/test_validate_trainium.py): 90.
    # 2026-11-30 (g-gaudi): Gaudi 2 LLaMA 2 7B/13B FP8 rows (held out): 92.
    # 2026-11-30 (s-trn): the two decoder rows of AWS's May 2025 Trn1 training table (Neuron 2.21 / 2.22), held out: 94.
    # 2026-11-30 (s-amd): three MI300X rows from ROCm TE issue reproducers, one fitted (cdna3 rule), two held out: 96.
    # 2026-11-30 (s-amd2): the 14 MI300X/MI325X LLM rows of AMD's Infinity Hub pytorch-training tables, one fitted
    # (cdna3 bf16 rule), 13 held out: 109.
    # 2026-11-30 (s-tpu2): the 16B column of MaxText's v5e README (1 to 32 slices), held out: 115.
    # 2026-11-30 (t-trn): aws-trainium1 rule v2: the ten Trn1 rows seen so far became fit rows (9 fewer held out) and 23
    # rows of AWS's stored Trn1 tables were added after the rule, held out: 129.
    # 2026-12-01 (utrain): 19 rows a new user would type, all held out, committed before they were predicted: MaxText's
    # v5p README 128B/256B/512B (8), torchtitan FSDP2 on 64 A100 (3), NeMo 25.02 DGX-B200 / 25.04 DGX-GB200 FP8 (8): 148
    # (held-out median 5.03% -> 5.45%); then MaxText's v4 README 22B/52B (6): 154, 5.15%
    # (tests/test_validate_unseen_runs.py).
    # 2026-12-01 (umoe): six Megatron-Bridge 25.11 Qwen3 MoE rows, held out, committed before they were predicted:
    # 160, 5.45% (tests/test_validate_moe_rows.py).
    # 2026-12-01 (utitan): torchtitan's A100 'selective layer' / 'selective op' rows (5), held out, committed before
    # they were predicted: 159, 5.40%; then torchtitan's two H200 float8 rows: 161, 5.49% (tests/test_torchtitan_ac.py).
    # 2026-12-01 (dsv3): nine Megatron-Bridge 25.11 / 25.09 DeepSeek-V3 and GPT-OSS-120B rows, held out, committed
    # before they were predicted (tests/test_runs_mla_window.py, tests/test_row_notes_checked.py); (moetr): the six
    # expressible rows of the Megatron-Bridge 26.02 archive's Qwen3 MoE tables, likewise
    # (tests/test_validate_moe_rows.py).
    # 2026-12-01 (bwell): eight Megatron-Bridge 26.02 / 26.02.01 GB200 rows, committed before they were predicted;
    # two are fit rows of the Blackwell FP8 fit's rule 2 (calibration.toml); then the 25.11 tables' three FP8-MX
    # figures with the FP8 recipe mechanism and rule 2 re-applied; then the four Nemotron-4 rows of the NeMo 25.02 /
    # 25.04 Blackwell tables (tests/test_blackwell_fit.py): 195, 7.24%.
    # 2026-12-01 (b300): the 17 Megatron-Bridge 25.11 / 26.02 DGX-GB300/B300 rows
    # (tests/test_validate_blackwell_ultra_rows.py);
    # (nemon): NeMo 24.07's three Nemotron rows, Megatron-Bridge 26.02's two dense H100 rows and 25.09's 13 Llama rows
    # (tests/test_nemo2407_nemotron_rows.py, test_mb2602_h100_rows.py, test_mb2509_llama_rows.py); all held out,
    # committed before they were predicted, no calibration value changed for them: 230, 7.73%.
    # 2026-12-01 (hopbf16): 29 H100 BF16 rows of NVIDIA's dgxc-benchmarking recipes, roles declared before they were
    # predicted: 2 fit rows of the Hopper bf16 rule (calibration.toml), 27 held out (tests/test_hopper_bf16_fit.py);
    # with mbread's / moecells' recipe cells and usim3's Gaudi 2 layout merged: 257, 8.50% (the 230 earlier: 7.87%).
    # 2026-12-01 (fa2, ubuf, ubuf2, hopdiag, rca, rcb and the declared rules' re-runs: Hopper bf16 0.68 -> 0.60, fp8
    # 0.50 -> 0.50 via 0.54 / 0.52, pytorch-fsdp 0.54 -> 0.52, Blackwell fp8 0.58 -> 0.46): 257, 6.64%.
    # 2026-12-02 (fa2r, moe, pp, amdfp8, dpscale, smalldense, bucket, bucket2; pytorch-fsdp 0.52 -> 0.54, cdna3 fp8
    # 0.30 -> 0.40 derived): 257, 5.88%.
    # 2026-12-02 (unseen): MaxText's five A3 (H100) Llama2-7B rows, held out, no calibration value changed: 262, 6.21%.
    # 2026-12-02 (gpt175): the dgxc GPT3 175B rows run their yaml's inline userbuffers config: 262, 6.13%.
    # 2026-12-02 (moe4): the per-expert GEMM floor (nvidia-blackwell expert_gemm_floor_s, cited): 262,
    # 6.04% with gpt175.
    # 2026-12-02 (ampfsdp): the other 55 rows of llm-foundry's A100-80GB table, held out, committed before they were
    # predicted (317, 7.77%); then nvidia-ampere/pytorch-fsdp fitted by its declared rule on two of its rows
    # (mpt-a100-1b-8, mpt-a100-70b-64, held out before): 315, 7.19% (tests/test_validate_hopper.py).
    # 2026-12-03 (newrows): 10 MaxText rows of AI-Hypercomputer/tpu-recipes (8 TPU v6e, 2 TPU v5p), held out,
    # cells set before they were predicted (two changed after, named in the runs file), no calibration value
    # changed: 325, 5.88% (5.76% over the 315 before; tests/test_newrows_maxtext.py).
    # 2026-12-03 (gaudi_amd_new): 7 Gaudi 2 FP8 rows of Intel's 1.18.0 and 1.16.0 training tables, held out, committed
    # before they were predicted, no calibration value changed: 332, 5.21% (5.27% over the 325 before;
    # tests/test_validate_gaudi.py).
    # 2026-12-03 (nemonew): NeMo 25.07 DGX-GB200 (4) and 25.02 DGX-H100 (1) performance-summary rows, held out,
    # committed before they were predicted, no calibration value changed: 330, 5.24%
    # (tests/test_validate_unseen_runs.py). Both merged on int: 337, 5.21%.
    # 2026-12-03 (tpu_new): 9 TPU rows (the MaxText v5e README's 128B column, Trillium Mistral 7B, v5p Llama 4
    # Maverick and Scout), held out, committed before they were predicted, no calibration value changed: 341, 5.40%
    # (5.21% over the 332 before; tests/test_newrows_maxtext.py). All three merged on int: 346.
    # 2026-12-03 (mixrows): the NeMo 25.02 DGX-B200 / 25.04 DGX-GB200 tables' four Mixtral rows, held out, committed
    # before they were predicted, no calibration value changed: 341, 5.20% (5.20% over the 337 before). All
    # merged on int: 429, 6.29%.
    # 2026-12-03 (newrows): the nine rows of the Megatron-Bridge 26.02 archive's DeepSeekV3 and GPT OSS 120B tables,
    # held out, committed before they were predicted, no calibration value changed: 438, 6.32% (6.29% over the 429
    # before; tests/test_mb2602_moe_rows.py).
    # 2026-12-03 (trnstack): trn1-meglm-gpt3-6.7b-n212 is the fit row of aws-trainium1's neuron-megatron-lm stack
    # (calibration.toml): 437, 6.30%.
    held_out = [r for r in RESULTS.values() if not r.fitted]
    # 154 + 6 MoE + 7 torchtitan + 9 DeepSeek-V3 / GPT-OSS + 6 MoE (26.02) + 6 MB 26.02.x + 3 FP8-MX + 4 Nemotron-4
    # + 17 GB300/B300 + 18 NeMo 24.07 / Megatron-Bridge 26.02 H100 / 25.09 + 27 dgxc H100 BF16 + 5 MaxText A3
    # + 55 llm-foundry A100 - 2 of them fitted (nvidia-ampere/pytorch-fsdp) + 10 MaxText tpu-recipes (newrows)
    # + 7 Gaudi 2 (Intel 1.18.0 / 1.16.0 tables, gaudi_amd_new) + 5 NeMo 25.07 / 25.02 H100 (nemonew) + 9 TPU (tpu_new)
    # + 79 Megatron-Bridge 26.02.01 / 26.04 / 26.04.01 rows (mbnew, 2026-12-03: held out, committed before they were
    # predicted, no calibration value changed: 404, 6.13% alone; tests/test_mb_later_tables.py)
    # + 4 NeMo 25.02 / 25.04 Mixtral (mixrows) + 9 Megatron-Bridge 26.02 DeepSeek-V3 / GPT-OSS (newrows)
    # + 6 NeMo AutoModel DGX-H100 BF16 (automodel, 2026-12-03: held out, committed before they were predicted, no
    # calibration value changed: 444, 6.32%; 6.32% over the 438 before; tests/test_automodel_rows.py)
    # + 4 tiering rows (2026-12-03: MaxText's tiering page v5p Llama 2 70B and Mixtral 8x7B, ROCm TE issue #79's two
    # Llama 3 8B FP8 rows; held out, committed before they were predicted, no calibration value changed: 442, 6.35%;
    # tests/test_tiering_rows.py)
    # - 1 Trainium Megatron-LM GPT3-6.7B row fitted (aws-trainium1/neuron-megatron-lm, trnstack)
    # + 15 Megatron-Bridge 26.06 (mb2606, 2026-12-03: held out, committed before they were predicted, no calibration
    # value changed: 453, 6.65% (6.32% over the 438 before; tests/test_mb2606_rows.py))
    # = 462 with all four (integration, 2026-12-03)
    # + 1 MLPerf Training v5.1 MI355X Llama 3.1 8B FP8 (newfam, 2026-12-04: held out, committed before it was predicted,
    # no calibration value changed: 463, 6.65%; tests/test_newfam_rows.py)
    # - 1 MaxText A3 row fitted (nvidia-hopper/maxtext, a3stack, 2026-12-04: maxtext-a3-llama2-7b-x1)
    # = 462 with both (integration, 2026-12-04)
    # - 2 torchtitan rows fitted (ttstack, 2026-12-04: nvidia-ampere/torchtitan on tt-a100-llama2-13b-noac,
    # nvidia-hopper/torchtitan fp8 on tt-h200-llama31-8b-fp8-32): 460, 6.27% (6.62% over 462 before)
    # + 5 dgxc-benchmarking 143b90d GPT3 175B FP8 (hopaudit, 2026-12-04: the README_175b FP8 table beside the BF16
    # rows, held out, committed before they were predicted, no calibration value changed: 465 with ttstack's, 6.29%;
    # tests/test_dgxc_fp8_rows.py)
    # + 1 MLPerf Training v5.1 MI350X Llama 3.1 8B FP8 (2026-12-04, cdna4: held out, committed before it was predicted;
    # the derived amd-instinct-cdna4 family: 465 -> 466, 6.29% -> 6.27%; tests/test_cdna4_rows.py)
    assert len(held_out) == 466
    assert median_abs_error(list(RESULTS.values()), held_out_only=True) <= 0.10


def test_fitted_runs_are_marked() -> None:
    assert {k for k, r in RESULTS.items() if r.fitted} == {
        "meg-t1-18.4b", "meg-t1-145.6b", "meg-t1-1008b", "mpt-1b-512", "mpt-70b-512",
        # fit rows declared in calibration.toml before fitting (2026-11-29): hopper/blackwell fp8, google-tpu
        "nemo-llama2-7b", "nemo-gpt3-175b-128", "mb-b200-llama3-8b", "maxtext-v5e-32b-x1", "maxtext-v5e-64b-x1",
        "maxtext-v5p-32b-x1", "gaudi2-llama31-8b-fp8",  # v5p bf16, intel-gaudi2 fp8 (2026-11-30)
        "palm-540b-1pod", "maxtext-v6e-llama31-8b-256",  # google-tpu-v4, google-tpu-v6e bf16 (2026-11-30)
        "trn1-nxd-llama31-8b",  # aws-trainium1 bf16 (2026-11-30); rule v2 (t-trn): the nine below too
        "trn1-nxd-llama31-70b", "trn1-nxd-llama2-7b", "trn1-nxd-llama2-13b", "trn1-nxd-llama2-70b",
        "trn1-nemo-gpt3-23b", "trn1-nemo-gpt3-46b", "trn1-nemo-gpt3-175b", "trn1-nxd-llama31-8b-n221",
        "trn1-nxd-llama31-70b-n222",
        "trn1-meglm-gpt3-6.7b-n212",  # aws-trainium1/neuron-megatron-lm (2026-12-03, trnstack): the newest release's
        "mb260201-gb200-llama3-70b-fp8", "mb2602-gb200-llama3-70b-fp8",  # nvidia-blackwell fp8 rule 2 (2026-12-01)
        "amd-mi300x-gpt2xl-fp8-ddp",  # amd-instinct-cdna3 fp8 (2026-11-30, s-amd)
        "amd-ih-mi300x-llama31-8b-bf16-s8192",  # amd-instinct-cdna3 bf16 (2026-11-30, s-amd2)
        "dgxc-h100-llama31-8b-bf16-8", "dgxc-h100-nemotron4-340b-bf16-128",  # nvidia-hopper bf16 (2026-12-01, hopbf16)
        "mpt-a100-1b-8", "mpt-a100-70b-64",  # nvidia-ampere/pytorch-fsdp (2026-12-02, ampfsdp)
        "maxtext-a3-llama2-7b-x1",  # nvidia-hopper/maxtext (2026-12-04, a3stack): the only single-VM A3 row
        "tt-a100-llama2-13b-noac",  # nvidia-ampere/torchtitan (2026-12-04, ttstack): the only torchtitan row without AC
        "tt-h200-llama31-8b-fp8-32",  # nvidia-hopper/torchtitan fp8 (2026-12-04, ttstack): the one on fewer hosts
        # nvidia-blackwell's GB300 fp8 factor (2026-12-06, gb3): MLPerf v5.1's 72-GPU GB300 / GB200 8B FP8 pair
        "mlperf51-gb300-llama31-8b-fp8-72", "mlperf51-gb200-llama31-8b-fp8-72"}


def test_narayanan_utilization_is_compared_as_hfu() -> None:
    # Narayanan et al. 2021 Table 1 reports TFLOP/s per GPU counting the recomputed forward pass (their eq. 3),
    # i.e. hardware-FLOP utilization; the predicted figure shown beside it must be HFU too, within 5 points.
    rows = [r for r in validate_all() if r.source.startswith("Narayanan")]
    assert rows and all(r.utilization == "HFU" for r in rows)
    for r in rows:
        assert r.published_mfu is not None
        assert abs(r.predicted_mfu - r.published_mfu) < 0.05, r.id
