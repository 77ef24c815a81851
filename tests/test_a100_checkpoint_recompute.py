"""What the llm-foundry A100-80GB table's checkpointed rows recomputed, and how their step time is derived (issue 10).

Sources (the runs file's mpt-a100 block comment cites them in full):
- the checkpointed module: mosaicml/examples examples/llm/src/models/mosaic_gpt.py at
  026eea9fa1d62a6b02b594ef645960a55422a122, MosaicGPT.activation_checkpointing_fn returns isinstance(module, GPTBlock):
  the whole block;
- reentrant or not: llm-foundry scripts/train/benchmarking/submit_benchmarks.py at
  12a631913c786ac70e33e42047d2eae6f443ee69 sets fsdp_config activation_checkpointing_reentrant False (and
  limit_all_gathers True); scripts/train/yamls/mpt/7b.yaml at the same commit: activation_cpu_offload false;
- the torch that ran: that script's default image mosaicml/pytorch:1.13.1_cu117-python3.10-ubuntu20.04 (the sweep's
  IMAGE too). torch 1.13's non-reentrant checkpoint (_checkpoint_without_reentrant) re-runs the WHOLE function at the
  first unpack of a saved tensor; the early stop that training.early_stop_skipped models came with pytorch/pytorch
  PR #90105 (landed 2023-03, behind a flag off by default) and PR #96866 (default on), after torch 2.0;
- the step: mosaicml/examples examples/llm/throughput/collect_results.py at 3bbda73be98aa986366930685452cc109b33df80:
  Throughput (T/s) = Composer's throughput/samples_per_sec x seq_len, MFU = (3 x 2 N s + 3 x 4 L d s^2) x samples/s /
  (GPUs x 312e12), which counts no recompute; HFU = the same with 4 for 3 on checkpointed runs (a full recompute
  assumed, not measured)."""

from __future__ import annotations

import statistics
from dataclasses import replace

import numpy as np
import pytest

from accelopt.predict import training
from accelopt.predict import validation as V
from accelopt.predict.calibration import load_calibrations
from accelopt.predict.query import predict_layout

ROWS = {r["id"]: r for r in V.read_runs()}
A100 = {i: r for i, r in ROWS.items() if i.startswith("mpt-a100-")}
CHECKPOINTED = sorted(i for i, r in A100.items() if r["recompute"] == "full")
PLAIN = sorted(i for i, r in A100.items() if r["recompute"] == "none")
FIT_ROWS = ["mpt-a100-1b-8", "mpt-a100-70b-64"]  # calibration.toml [family.nvidia-ampere.stack.pytorch-fsdp] fitted_on
A100_PEAK_FLOP_PER_S = 312e12  # collect_results.py GPU_AVAILABLE_FLOPS


def test_the_table_has_the_checkpointed_rows_the_issue_names() -> None:
    assert len(CHECKPOINTED) == 22 and len(PLAIN) == 39  # the table's 61 rows
    for i in ("mpt-a100-7b-8-1k", "mpt-a100-13b-8-1k", "mpt-a100-30b-8-512", "mpt-a100-70b-64"):
        assert i in CHECKPOINTED
    assert {"mpt-a100-7b-8", "mpt-a100-13b-8"} <= set(PLAIN)


@pytest.mark.parametrize("run_id", CHECKPOINTED + PLAIN)
def test_step_is_tokens_over_throughput_and_mfu_counts_no_recompute(run_id: str) -> None:
    # collect_results.py: the table's MFU from samples/s = GlobalBatchSize / step. Every row with a NumParams cell
    # reproduces its MFU column (to the rounding of params_b and of the table) with the 3x (no recompute) formula,
    # checkpointed or not: so the step cell is the measured throughput, whatever the run recomputed, and nothing in
    # it depends on a FLOP count.
    r = A100[run_id]
    if not r["params_b"]:
        pytest.skip("params_b blank (the table's NumParams counts a position table the cells do not)")
    n, s, L, d = float(r["params_b"]) * 1e9, int(r["seq"]), int(r["layers"]), int(r["hidden"])
    samples_per_s = int(r["global_batch"]) / float(r["step_s"])
    mfu = (3 * 2 * n * s + 3 * L * 4 * d * s * s) * samples_per_s / (int(r["devices"]) * A100_PEAK_FLOP_PER_S)
    # params_b keeps NumParams to the digits written (half a unit of the last one, relative), the table's MFU to 0.01
    digits = len(r["params_b"].partition(".")[2])
    rel = 0.5 * 10.0 ** -digits / float(r["params_b"])
    assert mfu * 100 == pytest.approx(float(r["mfu_pct"]), abs=float(r["mfu_pct"]) * rel + 0.02)


@pytest.mark.xfail(strict=True, reason=(
    "KNOWN GAP (ckptfsdp, issue 10): the A100 table ran torch 1.13.1 (submit_benchmarks.py 12a6319's image), whose "
    "non-reentrant checkpoint re-runs the whole GPTBlock (no early stop before pytorch PR #90105/#96866, 2023-03), "
    "but the pytorch-fsdp stack always charges the early-stopped recompute (training.early_stop_skipped: a forward "
    "less the MLP down-projection). Not adopted: no public input says which torch a run used, and with the full "
    "recompute the declared fit rule (fit_stack_eff_max on mpt-a100-1b-8 and mpt-a100-70b-64) moves matmul_eff_max "
    "0.66 -> 0.72, which leaves the checkpointed rows where they are (+5..+14% at seq <= 8k) and sends the plain rows "
    "too fast (held out 6.34% -> 6.94%, A100 table 7.1% -> 10.5%): test_full_recompute_moves_the_gap_not_closes_it"))
def test_checkpointed_a100_rows_recompute_the_whole_block() -> None:
    for run_id in CHECKPOINTED:
        t = predict_layout(V.run_query(A100[run_id])).terms
        assert float(t["t_recompute_s"]) == pytest.approx(float(t["t_fwd_s"]), rel=1e-9), run_id


def _with_eff(cals: dict, value: float) -> dict:
    fam = cals["nvidia-ampere"]
    stack = replace(fam.stacks["pytorch-fsdp"], matmul_eff_max=value)
    return {**cals, "nvidia-ampere": replace(fam, stacks={**fam.stacks, "pytorch-fsdp": stack})}


def test_full_recompute_moves_the_gap_not_closes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """Why the sourced full recompute is not adopted (a diagnosis, nothing fitted here): charged on the A100 rows,
    with the declared rule re-run, the checkpointed rows keep their error and the plain ones go too fast. What these
    runs show is a rate split: the checkpointed 7b/13b/30b rows at seq <= 8k and 70b-64 at HFU 71.1-79.3% (full
    recompute, collect_results' 4/3), 7b-8 / 13b-8 without checkpointing at 64.2% / 59.6%, which neither recompute
    rule explains."""
    cals = load_calibrations(None)
    now = {i: V.reproduce(A100[i], cals).error for i in CHECKPOINTED + PLAIN}
    early_stop = training.early_stop_skipped

    def whole_block_on_ampere(stack, mdl, T, tp, sp, frac_moe, dtb, dev):  # type: ignore[no-untyped-def]
        if dev.cal.family == "nvidia-ampere":
            zero = np.zeros_like(T, dtype=float)
            return zero, zero
        return early_stop(stack, mdl, T, tp, sp, frac_moe, dtb, dev)

    monkeypatch.setattr(training, "early_stop_skipped", whole_block_on_ampere)
    fitted = V.fit_stack_eff_max("nvidia-ampere", "pytorch-fsdp", FIT_ROWS).matmul_eff_max
    assert fitted > cals["nvidia-ampere"].stacks["pytorch-fsdp"].matmul_eff_max  # 0.72 on 2026-12-02
    after = {i: V.reproduce(A100[i], _with_eff(cals, fitted)).error for i in CHECKPOINTED + PLAIN}
    short = [i for i in CHECKPOINTED if int(A100[i]["seq"]) <= 8192 and i not in FIT_ROWS]
    # the checkpointed rows do not come closer (before ce's loss charge they stayed within 2 points; after it and its
    # re-run, 0.68 -> 0.72 here, they go 2..3 points further too slow)
    assert all(after[i] >= now[i] - 0.005 for i in short)
    assert statistics.median(after[i] for i in short) > 0.04  # ... too slow
    plain = [i for i in PLAIN if i not in FIT_ROWS]
    shift = statistics.median(after[i] - now[i] for i in plain)
    assert shift < -0.02  # the plain rows go faster (median -4.6 points before ce, -2.9 after it, 2026-12-02)
