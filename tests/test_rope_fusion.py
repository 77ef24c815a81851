"""Megatron-Core's unfused RoPE as a model term (issue 10, ryarn, 2026-12-05): plan / plan explain --rope-fusion
fused|unfused, runs-file column rope_fusion, the term t_rope_unfused_s (compute.rope_unfused_extra_s).

rh100 found (tests/test_gptoss_yarn_rope.py, finding (11) of the H100 GPT-OSS rows) that Megatron-Core runs GPT-OSS's
YaRN RoPE unfused (concentration factor 0.1 ln 32 + 1 = 1.347 != 1 leaves Transformer Engine's fused RoPE:
rope_utils.py @00c51e13, NVIDIA/Megatron-LM PR #2038) and sized the extra passes at the model's own rates as a
what-if. The term charges the same bytes and kernels in the step (its own term, in t_microbatch_s, so in the 1F1B
bubble too); stated before it was computed: it must reproduce rh100's what-if seconds on the H100 rows to 1e-9.

Not adopted on the rows (a lead, the runs file's rope_fusion block): set on the 22 Megatron-Bridge 26.02 .. 26.06
GPT-OSS rows, the 26.06 GB300 row goes +3.1% -> +7.1% and the training held-out median 5.32% -> 5.35% (validate,
2026-12-05, ryarn; the median is not recomputed here: it needs the whole file). test_the_lead_as_quoted recomputes the
row figures the block quotes.

All of these fail before the change: the flag, the column, the function and the term are new.

Adopted (ryarn2, 2026-12-05, the lead's decision): the runs file sets the cell on the 22 rows (LEAD_ROWS), so the
rows read unfused and the figures the block quotes are the row with the cell blank (fused) -> the row as it is.
test_no_row_sets_the_cell_yet became test_exactly_the_lead_rows_set_the_cell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import explain_terms, row_explain_argv, run_main
from test_gptoss_h100_rows import H100, _pct
from test_gptoss_h100_rows import RUNS as ROWS  # ryarn2: the rows as set (rope_fusion unfused)
from test_gptoss_yarn_rope import fused, rope_figures

from accelopt.errors import InputError
from accelopt.predict import compute as C
from accelopt.predict.query import predict_layout
from accelopt.predict.validation import read_runs, reproduce, run_query


@pytest.fixture(scope="module", autouse=True)
def _before_gb3(gb300_before_gb3: None) -> None:
    """gb3 (2026-12-06): the GB300 FP8 figures this module's records and row notes quote were written before
    [family.nvidia-blackwell]'s fitted GB300 fp8_device_factor (x1.166) moved every GB300 FP8 prediction: replayed at
    the model before it (conftest.gb300_before_gb3_ctx; no other device's prediction differs there), so they stay
    checked. The factor's own figures: tests/test_gb300_fp8_device_factor.py, calibration.toml."""

RUNS_FILE = Path(__file__).resolve().parents[1] / "src" / "accelopt" / "predict" / "data" / \
    "published_training_runs.csv"
LEAD_ROWS = [f"{rel}-{system}-gptoss-120b" for rel in ("mb2602", "mb260201", "mb2604", "mb260401")
             for system in ("gb300", "gb200", "b300", "b200", "h100")] + \
    [f"mb2606-{system}-gptoss-120b" for system in ("gb300", "gb200")]
"""The rows whose stack runs the unfused RoPE (the runs file's rope_fusion block)."""


def _unfused(row: dict[str, str]) -> dict[str, str]:
    return {**row, "rope_fusion": "unfused"}


def test_the_passes_are_rh100s() -> None:
    assert sum(C.ROPE_UNFUSED_FWD_ACCESSES) * 2 == 24 and sum(C.ROPE_UNFUSED_BWD_ACCESSES) * 2 == 20
    assert C.ROPE_FUSED_ACCESSES * 2 == 4
    assert len(C.ROPE_UNFUSED_FWD_ACCESSES) + C.ROPE_UNFUSED_FWD_SMALL_KERNELS - 1 == 11
    assert len(C.ROPE_UNFUSED_BWD_ACCESSES) - 1 == 4


def test_fused_charges_nothing() -> None:
    r = fused(ROWS[H100["mb2604"]])  # ryarn2: the row sets the cell now; blank it
    assert predict_layout(run_query(r)).terms["t_rope_unfused_s"] == 0.0


@pytest.mark.parametrize("rel", list(H100))
def test_the_term_is_rh100s_what_if(rel: str) -> None:
    """The step moves by exactly the seconds finding (11) quotes (0.279 s: 83 slots x 9 layers)."""
    rid = H100[rel]
    f = rope_figures(rid)
    base, unf = reproduce(fused(ROWS[rid])), reproduce(_unfused(ROWS[rid]))
    assert unf.predicted_step_s - base.predicted_step_s == pytest.approx(f["step_s"], rel=1e-9)
    assert unf.error == pytest.approx(f["rope"], rel=1e-9)
    assert f"{f['step_s']:.3f}" == "0.279"
    terms = predict_layout(run_query(_unfused(ROWS[rid]))).terms
    m = float(ROWS[rid]["global_batch"]) / float(ROWS[rid]["dp"]) / float(ROWS[rid]["mbs"])
    assert float(terms["t_rope_unfused_s"]) == pytest.approx(m * (f["fwd_us"] + f["bwd_us"]) * 1e-6 * f["layers"],
                                                             rel=1e-9)


def test_full_recompute_reruns_the_forward() -> None:
    r = {**_unfused(ROWS[H100["mb2604"]]), "recompute": "full", "recompute_modules": ""}
    f = rope_figures(H100["mb2604"])
    terms = predict_layout(run_query(r)).terms
    m = float(r["global_batch"]) / float(r["dp"]) / float(r["mbs"])
    assert float(terms["t_rope_unfused_s"]) == pytest.approx(
        m * (2 * f["fwd_us"] + f["bwd_us"]) * 1e-6 * f["layers"], rel=1e-9)


def test_the_cli_and_validate_agree_on_an_unfused_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    row = _unfused(ROWS[H100["mb2604"]])
    argv = row_explain_argv(row, tmp_path)
    assert argv[argv.index("--rope-fusion") + 1] == "unfused"
    code, out, err = run_main(argv, capsys)
    assert code in (0, 2), err
    doc = json.loads(out)
    assert doc["rope_fusion"] == "unfused"
    terms = explain_terms(doc)
    assert terms["step_time_s"] == reproduce(row).predicted_step_s
    assert terms["t_rope_unfused_s"] == predict_layout(run_query(row)).terms["t_rope_unfused_s"] > 0


def test_a_bad_value_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [*row_explain_argv(fused(ROWS[H100["mb2604"]]), tmp_path), "--rope-fusion", "yarn"]  # ryarn2: fused()
    code, _, err = run_main(argv, capsys)
    assert code == 2 and "--rope-fusion 'yarn' is not one of fused, unfused" in err
    with pytest.raises(InputError, match="--rope-fusion 'partly'"):
        predict_layout(run_query({**ROWS[H100["mb2604"]], "rope_fusion": "partly"}))


def test_exactly_the_lead_rows_set_the_cell() -> None:
    """Adopted (ryarn2, 2026-12-05): the 22 rows read unfused, every other row fused (the block says why); each of
    the 22 notes says so. Before, no row set the cell (test_no_row_sets_the_cell_yet)."""
    unfused = {r["id"] for r in read_runs() if (r.get("rope_fusion") or "") != ""}
    assert unfused == set(LEAD_ROWS)
    for rid in LEAD_ROWS:
        assert ROWS[rid]["rope_fusion"] == "unfused"
        assert "Cell rope_fusion unfused (ryarn, 2026-12-05; the column's block above)" in ROWS[rid]["note"]


def test_the_lead_as_quoted() -> None:
    """The figures the runs file's rope_fusion block quotes, recomputed with the cell set."""
    text = " ".join(line.lstrip("# ").strip() for line in RUNS_FILE.read_text(encoding="utf-8").splitlines()
                    if line.startswith("#"))
    moves = {rid: (reproduce(fused(ROWS[rid])).error, reproduce(ROWS[rid]).error) for rid in LEAD_ROWS}
    gb300 = moves["mb2606-gb300-gptoss-120b"]
    assert f"the 26.06 GB300 row goes {_pct(gb300[0])} -> {_pct(gb300[1])}" in text
    assert abs(gb300[0]) < 0.06 < abs(gb300[1])  # out of 6%
    h = [moves[H100[rel]] for rel in ("mb2604", "mb260401")]
    assert (f"the H100 26.04 / 26.04.01 rows {_pct(h[0][0])} -> {_pct(h[0][1])}, {_pct(h[1][0])} -> "
            f"{_pct(h[1][1])}") in text
    gb200 = moves["mb2606-gb200-gptoss-120b"]
    assert f"the 26.06 GB200 row {_pct(gb200[0])} -> {_pct(gb200[1])}" in text
    closer = [abs(e0) - abs(e1) for e0, e1 in list(moves.values())[:20]]  # the 26.02 .. 26.04.01 rows
    assert (f"{100 * min(closer):.1f}", f"{100 * max(closer):.1f}") == ("1.0", "2.3")
    assert "the 20 rows of 26.02 .. 26.04.01 move 1.0 to 2.3 points closer" in text
    beyond = [e1 for rid, (e0, e1) in list(moves.items())[:20] if "-h100-" not in rid and abs(e0) > 0.25]
    assert len(beyond) == 15 and all(abs(e) > 0.25 for e in beyond)
    assert "the 15 Blackwell ones beyond 25% stay beyond" in text
    assert all(abs(moves[H100[rel]][1]) < 0.25 for rel in H100)
    assert ("ADOPTED (ryarn2, 2026-12-05, issue 10, the lead's decision): unfused is set on all 22 of those rows"
            in text)


def test_unfused_on_a_model_without_rope_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """rvs32a (2026-12-05): GPT-3 has a learned position table, no RoPE (TransformerConfig.learned_positions), yet
    --rope-fusion unfused charged it 44.7 ms of RoPE passes a step (gpt3-1.3b, 8 x h100-sxm, global batch 64)."""
    argv = ["plan", "explain", "--model", "gpt3-1.3b", "--hardware", "h100-sxm", "--devices", "8",
            "--global-batch", "64", "--rope-fusion", "unfused"]
    code, out, err = run_main(argv, capsys)
    assert code == 2 and "t_rope_unfused_s" not in out
    assert "--rope-fusion unfused" in err and "learned position table" in err and "fix:" in err


def test_unfused_with_a_jax_stack_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """fr2 (session 32 final review): --rope-fusion unfused --stack maxtext charged Megatron-Core's eager PyTorch RoPE
    kernels to a MaxText run on a TPU with exit 0, where --te-cross-entropy and --eager-cross-entropy are refused."""
    with pytest.raises(InputError, match="--rope-fusion unfused"):
        C.check_stack_flags("maxtext", eager_cross_entropy=False, tp_comm_overlap=False, attention_unpad=False,
                            rope_fusion="unfused")
    argv = ["plan", "explain", "--model", "llama3-8b", "--hardware", "tpu-v5p", "--stack", "maxtext", "--devices",
            "8", "--tp", "1", "--rope-fusion", "unfused"]
    code, _, err = run_main(argv, capsys)
    assert code == 2 and "not a PyTorch stack" in err and "leave --rope-fusion unfused out" in err
    code, _, err = run_main(["plan", "--model", "llama3-8b", "--hardware", "tpu-v5p", "--stack", "maxtext",
                             "--devices", "8", "--rope-fusion", "unfused"], capsys)
    assert code == 2 and "not a PyTorch stack" in err
