"""ramd (2026-12-05, issue 10): the checked reason of the 2024-10 ROCm Transformer Engine FSDP FP8 rows (issues #78 and
#79: the Llama 3 70B 4-layer proxy and Llama 3 8B at batch 2 / 4 on 8 MI300X), each predicted 33-48% too fast.

Sources (GitHub issue threads, ROCm/TransformerEngine):
- #73 'MI300X FP8 TE.Linear 2x Slower than AMP BF16 F.Linear' (SemiAnalysis, 2024-10-13): TE Linear under
  fp8_autocast 1.5-2x slower than bf16 F.linear with amp at Llama 70B training shapes; after AMD's suggestion (the
  hipBLASLt path, NVTE_USE_HIPBLASLT=1, 2024-10-15) the reporter, 2024-10-16: 'on these GEMMs, it is somewhat reached
  parity and is somewhat slightly better with bf16 amp' (H100: FP8 1.5x-2x faster than bf16); AMD: 'Yes. Those fp8
  GEMMs were not us[ing ...]' (the stored excerpt ends there; AMD's own table is not in it).
- #78, AMD (wenchenvincent) 2024-10-22, after PR #66 (the build of the rows' figures) merged: 'triton cast transpose
  should be give further improvement. And fp8 GEMM tuning in hipblasLt library and CK FA v3 should give more
  improvements' (not yet in that build).
- #79, the same reply (AMD, 2024-10-17: batch 2 442, batch 4 474 TFLOP/s per GPU) and, below it, the reporter's
  'preliminary' 8xH200 runs of the same script, 'FSDP TE batch size 1: 609.32 TFLOP/s/GPU', 'batch size 4: 897.56'.

What is recomputed here (the row notes quote each figure as printed below): (1) the rows' per-sequence rate (AMD's two
batches per script, t = a + b x batch) is near the model's BF16 per-sequence rate and far from its FP8 one: the
build's FP8 GEMMs ran at about the BF16 rate (#73, #78); (2) with the linears at the model's BF16 rate (dtype bf16, a
16-bit head) every row is within issue 10's 25%; (3) the rest, a per-iteration cost of 110-140 ms that the model puts
at 6-15 ms, shows in the same #79 script on H200 (157 ms against 16 ms modelled), whose FP8 run the model gives
within 1% at batch 4: a cost of the script on either vendor, not of the AMD build. Bounds: issue 10's 25% for (2) and
for the H200 batch-4 run; the figures themselves are pinned as the notes quote them (they were seen before this test
was written, so no tolerance here is chosen to fit them). Not adopted by the model: no runs-file cell or plan flag
says a build's FP8 GEMMs are untuned, #73 gives parity in words, not a rate, and the family's derived FP8 value
(AMD's measured MAF ratio, tuned hipBLASLt) fits the 2025 v25.2 FP8 rows, for which the BF16 model is > 25% too slow
(tests/test_amd_rows.py test_te_rows_ran_nearer_the_models_bf16_time_than_its_fp8_time).
"""

from __future__ import annotations

import functools

import pytest

from accelopt.predict.calibration import load_calibrations
from accelopt.predict.validation import read_runs, reproduce

PROXY = "amd-mi300x-llama3-70b-proxy-fp8-fsdp"
I79 = {2: "amd-mi300x-llama3-8b-fp8-fsdp-b2", 4: "amd-mi300x-llama3-8b-fp8-fsdp-b4"}
RECOMPUTED_IDS = frozenset((PROXY, *I79.values()))  # tests/test_row_notes_checked.py RECOMPUTED_BY

ROW_NOTE_BOUND = 0.25  # issue 10
SEQ = 4096
# The scripts' flops_per_token = 6 N + 12 L H head_dim T, N every parameter (runs file: #78's block, tiering (B))
PROXY_FLOPS_PER_TOKEN = 6 * 5_523_972_096 + 12 * 4 * 64 * 128 * SEQ
L8B_FLOPS_PER_TOKEN = 6 * 8_030_261_248 + 12 * 32 * 32 * 128 * SEQ
# AMD's reply of 2024-10-17 (PR #66): TFLOP/s per GPU by the script's formula, per micro-batch
PROXY_TFLOPS = {2: 572e12, 10: 696e12}  # #78
L8B_TFLOPS = {2: 442e12, 4: 474e12}  # #79
# #79, the reporter's 'preliminary' 8xH200 'FSDP TE' runs of the same script
L8B_H200_TFLOPS = {1: 609.32e12, 4: 897.56e12}
# #79's first post: 'FSDP torch.compile nightly BF16 (batch size 4): 410.42' (the same model, not the TE script)
L8B_BF16_COMPILE_TFLOPS_B4 = 410.42e12


def _rows() -> dict[str, dict[str, str]]:
    return {r["id"]: r for r in read_runs()}


@functools.cache
def _predicted_s(run_id: str, batch: int, hardware: str = "", bf16: bool = False) -> float:
    row = _rows()[run_id]
    cells = {"mbs": str(batch), "global_batch": str(8 * batch)}
    if hardware:
        cells["hardware"] = hardware
    if bf16:  # the BF16 model of the row: its linears and head at the 16-bit rate
        cells.update(dtype="bf16", fp8_output_head="")
    return reproduce({**row, **cells}, load_calibrations(None)).predicted_step_s


def _published_s(tflops: dict[int, float], per_token: int) -> dict[int, float]:
    return {b: b * SEQ * per_token / t for b, t in tflops.items()}


def _line(t: dict[int, float]) -> tuple[float, float]:
    """(s per sequence, s per iteration) of t = a + b x batch through the two batches."""
    lo, hi = sorted(t)
    per_seq = (t[hi] - t[lo]) / (hi - lo)
    return per_seq, t[lo] - lo * per_seq


def _ms(x: float) -> str:
    return f"{1e3 * x:.1f} ms"


def test_published_steps_are_the_scripts_tflops_converted() -> None:
    rows = _rows()
    proxy = _published_s(PROXY_TFLOPS, PROXY_FLOPS_PER_TOKEN)
    assert float(rows[PROXY]["step_s"]) == pytest.approx(proxy[10], abs=5e-5)
    pub = _published_s(L8B_TFLOPS, L8B_FLOPS_PER_TOKEN)
    for b, rid in I79.items():
        assert float(rows[rid]["step_s"]) == pytest.approx(pub[b], abs=5e-5)
        assert rows[rid]["hardware"] == "mi300x" and rows[rid]["dtype"] == "fp8"


def _per_sequence_figures() -> dict[str, tuple[float, float, float, float, float, float]]:
    """Per script: published, FP8-model and BF16-model (s per sequence, s per iteration) lines, flattened."""
    rows = _rows()
    published = {PROXY: _published_s(PROXY_TFLOPS, PROXY_FLOPS_PER_TOKEN),  # batch 2 is not a row
                 I79[4]: {b: float(rows[rid]["step_s"]) for b, rid in I79.items()}}  # as tests/test_tiering_rows.py
    out = {}
    for rid, pub in published.items():
        fp8 = _line({b: _predicted_s(rid, b) for b in pub})
        bf16 = _line({b: _predicted_s(rid, b, bf16=True) for b in pub})
        out[rid] = (*_line(pub), *fp8, *bf16)
    return out


def test_the_per_sequence_rate_is_near_the_models_bf16_rate() -> None:
    """(1) AMD's two batches per script: the published per-sequence time is within 25% of the model's BF16 one and at
    least 1.25x its FP8 one (the FP8 linears run 1.80x the BF16 rate in the model)."""
    notes = {rid: r["note"] for rid, r in _rows().items()}
    for rid, (b_pub, a_pub, b_fp8, a_fp8, b_bf16, a_bf16) in _per_sequence_figures().items():
        assert abs(b_pub / b_bf16 - 1) <= ROW_NOTE_BOUND and b_pub >= 1.25 * b_fp8, rid
        quoted = (f"{_ms(b_pub)} per sequence + {_ms(a_pub)} per iteration",
                  f"BF16 model {_ms(b_bf16)} + {_ms(a_bf16)}", f"FP8 model {_ms(b_fp8)} + {_ms(a_fp8)}",
                  f"{b_pub / b_bf16:.2f}x the BF16 model's per-sequence time and {b_pub / b_fp8:.2f}x the FP8 one's")
        for rows_of_script in ((PROXY,) if rid == PROXY else tuple(I79.values())):
            for figure in quoted:
                assert figure in notes[rows_of_script], (rows_of_script, figure)


def test_every_row_is_within_25pct_with_its_linears_at_the_bf16_rate() -> None:
    """(2) The BF16 model of each row against its published step: within issue 10's bound; the FP8 model's errors
    are the rows' validate errors (beyond it)."""
    rows = _rows()
    cases = {PROXY: 10, I79[2]: 2, I79[4]: 4}
    for rid, batch in cases.items():
        published = float(rows[rid]["step_s"])
        bf16 = _predicted_s(rid, batch, bf16=True) / published - 1
        fp8 = _predicted_s(rid, batch) / published - 1
        assert abs(bf16) <= ROW_NOTE_BOUND < abs(fp8), (rid, bf16, fp8)
        assert f"with its linears and head at the model's BF16 rate {bf16:+.1%}" in rows[rid]["note"], (rid, bf16)


def test_the_per_iteration_cost_shows_in_the_same_script_on_h200() -> None:
    """(3) The #79 script on 8 H200 (the reporter's figures in #79): the FP8 model is within 25% of the batch-4 run,
    and the run's per-iteration cost is as far above the model's as on MI300X: a cost of the script, not of the
    AMD build. The batch-1 run is the one beyond 25% there (the per-iteration cost is most of its step)."""
    pub = _published_s(L8B_H200_TFLOPS, L8B_FLOPS_PER_TOKEN)
    mod = {b: _predicted_s(I79[4], b, hardware="h200") for b in pub}
    err = {b: mod[b] / pub[b] - 1 for b in pub}
    assert abs(err[4]) <= ROW_NOTE_BOUND < abs(err[1])
    (b_pub, a_pub), (b_mod, a_mod) = _line(pub), _line(mod)
    mi300x = _per_sequence_figures()[I79[4]]
    assert a_pub - a_mod >= 0.5 * (mi300x[1] - mi300x[3])  # at least half the MI300X rows' per-iteration excess
    quoted = (f"H200 {_ms(b_pub)} per sequence + {_ms(a_pub)} per iteration",
              f"model {_ms(b_mod)} + {_ms(a_mod)}", f"batch 4 {err[4]:+.1%}, batch 1 {err[1]:+.1%}")
    for rid in I79.values():
        for figure in quoted:
            assert figure in _rows()[rid]["note"], (rid, figure)
    assert "H200" in _rows()[PROXY]["note"]  # the proxy's note points to the #79 rows' H200 figures


def test_the_bf16_compile_run_the_notes_quote_as_seen_not_used() -> None:
    """The #79 rows' notes quote the issue's BF16 torch.compile run at batch 4 against the model's BF16 time (seen,
    not used: another program on the pre-PR #66 stack)."""
    published = 4 * SEQ * L8B_FLOPS_PER_TOKEN / L8B_BF16_COMPILE_TFLOPS_B4
    error = _predicted_s(I79[4], 4, bf16=True) / published - 1
    for rid in I79.values():
        assert f"410.42 TFLOP/s, {published:.4f} s, which the model's BF16 time puts at {error:+.1%}" in _rows()[rid][
            "note"], rid


def test_notes_carry_the_checked_reason_and_its_sources() -> None:
    for rid in RECOMPUTED_IDS:
        note = _rows()[rid]["note"]
        assert note.startswith("CHECKED REASON (ramd, 2026-12-05;"), rid
        for source in ("#73", "somewhat reached parity", "fp8 GEMM tuning in hipblasLt library",
                       "tests/test_amd_te_2024_fp8.py"):
            assert source in note, (rid, source)


def test_readme_quotes_the_checked_reason_as_recomputed() -> None:
    """README's AMD training paragraph: the per-sequence ratios and the H200 batch-4 error, as computed here."""
    from pathlib import Path

    readme = " ".join((Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8").split())
    figures = _per_sequence_figures()
    h200 = _published_s(L8B_H200_TFLOPS, L8B_FLOPS_PER_TOKEN)[4]
    h200_err = _predicted_s(I79[4], 4, hardware="h200") / h200 - 1
    for quoted in (f"the run's per-sequence time {figures[PROXY][0] / figures[PROXY][4]:.2f}x the model's BF16 one",
                   f"per-sequence time {figures[I79[4]][0] / figures[I79[4]][4]:.2f}x the model's BF16 one, the rest",
                   f"where the FP8 model is {h200_err:+.1%} at batch 4", "tests/test_amd_te_2024_fp8.py"):
        assert quoted in readme, quoted
