"""Mixture-of-experts runs in a runs file (issue 10): the expert cells (experts, top_k, moe_ffn, shared_experts,
first_dense, moe_every) and the ep layout cell reach the predictor exactly as `plan explain` takes them from a
Hugging Face config.json and --ep, and a malformed expert cell is an error naming the cell."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import explain_terms, run_main
from test_note_history_records import outside_records

from accelopt.errors import InputError
from accelopt.hardware.catalog import get_device
from accelopt.predict import comm
from accelopt.predict.query import predict_layout
from accelopt.predict.runs_csv import bundled_header
from accelopt.predict.validation import read_runs, reproduce, run_model, run_query

HEADER = bundled_header("published_training_runs.csv")
# Qwen3-30B-A3B (Qwen/Qwen3-30B-A3B config.json: 48 layers, hidden 2048, 32 heads / 4 KV heads of 128, intermediate
# 6144, moe_intermediate_size 768, 128 experts, top 8, vocab 151936, untied) on 8 GB200, EP 8, MBS 4, GBS 512, seq
# 4096, FP8 (Megatron-Bridge 25.11 performance summary, DGX-GB200: 23766 tokens/s/GPU -> 512 x 4096 / (8 x 23766)).
QWEN3_30B = {"id": "user-qwen3-30b", "source": "Megatron-Bridge25.11 perf summary", "hardware": "gb200",
             "devices": "8", "layers": "48", "hidden": "2048", "heads": "32", "ffn": "6144", "vocab": "151936",
             "seq": "4096", "global_batch": "512", "tp": "1", "pp": "1", "dp": "8", "cp": "1", "vp": "1",
             "dtype": "fp8", "recompute": "selective", "step_s": "11.03", "mbs": "4", "zero": "0", "flash": "1",
             "overlap": "1", "kv_heads": "4", "mlp": "swiglu", "tied": "0", "head_dim": "128", "experts": "128",
             "top_k": "8", "moe_ffn": "768", "ep": "8"}
CONFIG = {"_name_or_path": "user-qwen3-30b", "num_hidden_layers": 48, "hidden_size": 2048, "num_attention_heads": 32,
          "num_key_value_heads": 4, "head_dim": 128, "intermediate_size": 6144, "moe_intermediate_size": 768,
          "num_experts": 128, "num_experts_per_tok": 8, "vocab_size": 151936, "max_position_embeddings": 4096,
          "hidden_act": "silu", "tie_word_embeddings": False}


def _runs_file(path: Path, rows: list[dict[str, str]]) -> Path:
    lines = [",".join(HEADER)] + [",".join(r.get(c, "") for c in HEADER) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_moe_row_is_the_cli_prediction(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The row's step is the step `plan explain` prints for the same config.json and --ep 8 (before the expert
    columns the row was read as a dense 6144-wide model, or refused as having unknown columns)."""
    row = read_runs(_runs_file(tmp_path / "runs.csv", [QWEN3_30B]))[0]
    model = run_model(row)
    assert (model.experts, model.top_k, model.ffn, model.dense_ffn) == (128, 8, 768, 6144)
    assert round(model.params_total() / 1e9, 1) == 30.5  # the model card's 30.5B total parameters
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps(CONFIG), encoding="utf-8")
    code, out, err = run_main(["plan", "explain", "--model", str(cfg), "--hardware", "gb200", "--devices", "8",
                               "--ep", "8", "--mbs", "4", "--seq-len", "4096", "--global-batch", "512seq",
                               "--dtype", "fp8", "--zero", "0", "--recompute", "selective", "--flash", "--no-sp",
                               "--json"], capsys)
    assert code in (0, 2), err
    assert explain_terms(json.loads(out))["step_time_s"] == reproduce(row).predicted_step_s


def test_validate_reads_a_moe_runs_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["validate", "--runs", str(_runs_file(tmp_path / "runs.csv", [QWEN3_30B])), "--json"],
                              capsys)
    assert code == 0, err
    (run,) = json.loads(out)["runs"]
    assert run["id"] == "user-qwen3-30b" and run["published_step_s"] == pytest.approx(11.03)


@pytest.mark.parametrize(("cells", "named"), [({"experts": ""}, "top_k, moe_ffn"),
                                              ({"experts": "1"}, "top_k, moe_ffn"),
                                              ({"top_k": "0"}, "top_k"), ({"ep": "3"}, "ep"),
                                              ({"moe_ffn": "7x"}, "moe_ffn")])
def test_bad_expert_cell_names_it(cells: dict[str, str], named: str, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Expert cells on a dense row, top_k 0, an ep not dividing the experts' grid, a non-number: exit 2, the cell named
    (an expert cell on a dense row would otherwise be dropped without a word)."""
    path = _runs_file(tmp_path / "runs.csv", [{**QWEN3_30B, **cells}])
    code, _, err = run_main(["validate", "--runs", str(path)], capsys)
    assert code == 2 and "Traceback" not in err
    assert named in err.replace("\n", " ") or f"--{named}" in err.replace("\n", " ")
    with pytest.raises(InputError):
        reproduce(read_runs(path)[0])


def test_ep_alltoall_across_domains_keeps_the_domain_share_on_the_scale_up_link() -> None:
    """mb-h100-qwen3-235b: EP 32 (etp 1) spans 4 DGX-H100 nodes of 8. NCCL's all-to-all is one group of send/recv to
    every peer, progressing independently (NCCL user guide, Point-to-point communication), so 7/32 of a rank's bytes
    cross NVLink while 24/32 cross InfiniBand at the same time; before, all 31/32 were timed on InfiniBand."""
    row = next(r for r in read_runs() if r["id"] == "mb-h100-qwen3-235b")
    res = predict_layout(run_query(row))
    links = comm.Links.of(get_device("h100-sxm"), res.cal)
    n_bytes = 1 * 4096 * 8 * 4096 * 2 / 2  # b s top_k h x 2 B / tp: each tp rank dispatches its s / tp tokens
    one = max(7 / 32 * n_bytes / float(links.up_bw_of(np.array(8.0))), 24 / 32 * n_bytes / links.out_bw)
    one += 31 * links.out_lat
    # micro-batches (GBS / dp / mbs); the busiest stage is the last one, its edge_layers 11 + the logits (the recipe's
    # account_for_embedding/loss_in_pipeline_split: 96 units over 32 chunks; moecells 2026-12-01; 12 layers before)
    m, layers = 2048 // 16, 11
    assert res.terms["t_ep_comm_raw_s"] == pytest.approx(m * layers * 4 * one, rel=1e-9)
    all_out = 31 / 32 * n_bytes / links.out_bw + 31 * links.out_lat
    assert res.terms["t_ep_comm_raw_s"] < m * layers * 4 * all_out


# --- Megatron-Core's expert all-to-all overlap (--overlap-moe-expert-parallel-comm; plan --ep-a2a-overlap) ---------


def test_ep_a2a_overlap_hides_up_to_the_other_micro_batch_compute() -> None:
    """mb-h100-qwen3-235b ran with the overlap (its recipe's moe_a2a_overlap=True; ep_a2a_overlap 1). Hand-computed:
    per MoE layer a forward of one micro-batch beside the backward of another exposes max(0, a - eff attn_f) +
    max(0, 2a - eff 3 mlp_f) + max(0, a - eff 2 attn_f) (Megatron-LM model_chunk_schedule_plan.py, layer schedule),
    in (m v - warmup) / (m v) of the passes, warmup (p-1) 2 + (v-1) p + 1 = 39 of 128 x 4; the other passes expose all
    4 a. Before the flag every all-to-all was exposed (t_ep_comm_s = t_ep_comm_raw_s)."""
    import dataclasses

    from accelopt.predict import training

    row = next(r for r in read_runs() if r["id"] == "mb-h100-qwen3-235b")
    assert row["ep_a2a_overlap"] == "1"
    q = run_query(row)
    assert q.ep_a2a_overlap
    seen: dict[str, float] = {}
    orig = training.ep_a2a_exposed_s

    def spy(a: np.ndarray, attn: np.ndarray, mlp: np.ndarray, eff: float) -> np.ndarray:
        seen.update(a=float(np.ravel(a)[0]), attn=float(np.ravel(attn)[0]), mlp=float(np.ravel(mlp)[0]), eff=eff)
        return orig(a, attn, mlp, eff)

    mp = pytest.MonkeyPatch()
    mp.setattr(training, "ep_a2a_exposed_s", spy)
    try:
        on = predict_layout(q).terms
    finally:
        mp.undo()
    off = predict_layout(dataclasses.replace(q, ep_a2a_overlap=False)).terms
    a, attn, mlp, eff = seen["a"], seen["attn"], seen["mlp"], seen["eff"]
    m, layers = 128, 11  # the last stage's edge_layers 11 (the recipe's pipeline split; 12 before moecells)
    assert on["t_ep_comm_raw_s"] == pytest.approx(m * layers * 4 * a, rel=1e-9)
    # without the overlap a layer's exposed all-to-alls outweigh the logits: a middle stage's 12 layers set the step
    assert (on["layers_per_stage"], off["layers_per_stage"]) == (11, 12)
    assert off["t_ep_comm_s"] == pytest.approx(m * 12 * 4 * a, rel=1e-9)
    pair = max(0.0, a - eff * attn) + max(0.0, 2 * a - eff * 3 * mlp) + max(0.0, a - eff * 2 * attn)
    share = (m * 4 - (2 * 7 + 3 * 8 + 1)) / (m * 4)
    assert on["t_ep_comm_s"] == pytest.approx(m * layers * ((1 - share) * 4 * a + share * pair), rel=1e-9)
    assert 0 < on["t_ep_comm_s"] < on["t_ep_comm_raw_s"]  # hidden only up to the overlapping compute
    assert on["step_time_s"] < off["step_time_s"]


def test_ep_a2a_overlap_hides_nothing_once_compute_is_short() -> None:
    """With no compute beside it nothing hides; with ample compute all of a paired layer's all-to-all hides."""
    from accelopt.predict.training import a2a_paired_share, ep_a2a_exposed_s

    a = np.array([1.0])
    assert ep_a2a_exposed_s(a, np.array([0.0]), np.array([0.0]), 0.8)[0] == pytest.approx(4.0)
    assert ep_a2a_exposed_s(a, np.array([10.0]), np.array([10.0]), 0.8)[0] == 0.0
    one = np.array([1.0])
    assert a2a_paired_share(np.array([16.0]), one, one)[0] == pytest.approx(15 / 16)  # no pipelining: 1 alone
    assert a2a_paired_share(np.array([4.0]), np.array([8.0]), np.array([4.0]))[0] == 0.0  # all warmup


def test_ep_a2a_overlap_flag_at_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`plan explain --ep-a2a-overlap` gives what validate gives for a row with ep_a2a_overlap 1, and its terms show
    the all-to-all before (t_ep_comm_raw_s) and after the overlap (t_ep_comm_s); a dense layout says it has no
    effect."""
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps(CONFIG), encoding="utf-8")
    row = read_runs(_runs_file(tmp_path / "runs.csv", [{**QWEN3_30B, "ep_a2a_overlap": "1"}]))[0]
    args = ["plan", "explain", "--model", str(cfg), "--hardware", "gb200", "--devices", "8", "--ep", "8", "--mbs",
            "4", "--seq-len", "4096", "--global-batch", "512seq", "--dtype", "fp8", "--zero", "0", "--recompute",
            "selective", "--flash", "--no-sp", "--json"]
    code, out, err = run_main([*args, "--ep-a2a-overlap"], capsys)
    assert code in (0, 2), err
    t = explain_terms(json.loads(out))
    assert t["step_time_s"] == reproduce(row).predicted_step_s
    assert 0 < t["t_ep_comm_s"] < t["t_ep_comm_raw_s"]
    code, out, err = run_main([*args[:9], "1", *args[10:], "--ep-a2a-overlap"], capsys)
    assert code in (0, 2), err
    assert "--ep-a2a-overlap has no effect here" in out + err


# --- the notes of the Megatron-Bridge 25.11 Qwen3 rows beyond 25%: every figure they quote, recomputed ------------

QWEN3_ROWS = {r["id"]: r for r in read_runs() if r["id"].startswith(("mb-", "mb2602-")) and "-qwen3-" in r["id"]}
RECOMPUTED_IDS = frozenset({"mb-b200-qwen3-30b", "mb-h100-qwen3-30b", "mb-b200-qwen3-235b", "mb-h100-qwen3-235b",
                            "mb2602-b200-qwen3-30b", "mb2602-h100-qwen3-30b", "mb2602-b200-qwen3-235b"})
"""Rows whose checked notes the test below recomputes (tests/test_row_notes_checked.py RECOMPUTED_BY)."""
PUBLISHED_TOK_S = {"mb-gb200-qwen3-30b": 23766, "mb-b200-qwen3-30b": 9299, "mb-h100-qwen3-30b": 5275,
                   "mb-gb200-qwen3-235b": 4916, "mb-b200-qwen3-235b": 3269, "mb-h100-qwen3-235b": 1575,
                   "mb2602-gb200-qwen3-30b": 26084, "mb2602-b200-qwen3-30b": 9691, "mb2602-h100-qwen3-30b": 5113,
                   "mb2602-gb200-qwen3-235b": 5448, "mb2602-b200-qwen3-235b": 3805, "mb2602-h100-qwen3-235b": 1633}
"""Tokens/s/GPU of the 25.11 tables and of the 26.02 archive tables (the rows' step_s = GBS x 4096 / (GPUs x this))."""
B300_30B_TOK_S, GB300_30B_TOK_S = 29521, 30376
"""The 26.02 table's DGX-B300 (MBS 8) and DGX-GB300 (MBS 8) Qwen3-30B-A3B rows (no catalog device: not rows)."""


def _model_tok_s(rid: str) -> float:
    row = QWEN3_ROWS[rid]
    return int(row["global_batch"]) * 4096 / (int(row["devices"]) * reproduce(row).predicted_step_s)


def _quoted(rid: str) -> list[str]:
    """The figures the row's note quotes, recomputed from the model and the published tables."""
    err = f"{abs(reproduce(QWEN3_ROWS[rid]).error):.1%}"
    if rid.startswith("mb2602-"):
        return _quoted_2602(rid, err)
    pair_30b = (f"{23766 / 9299:.2f}x",
                f"{_model_tok_s('mb-gb200-qwen3-30b') / _model_tok_s('mb-b200-qwen3-30b'):.2f}x")
    pair_235b = (f"{4916 / 3269:.2f}x",
                 f"{_model_tok_s('mb-gb200-qwen3-235b') / _model_tok_s('mb-b200-qwen3-235b'):.2f}x")
    if rid == "mb-b200-qwen3-30b":  # the 25.09 B200 figure for this layout: 18066 tokens/s/GPU (token-drop)
        return [err, *pair_30b, *pair_235b, f"{18066 / 9299:.2f}x"]
    if rid == "mb-h100-qwen3-30b":  # the 25.09 H100 figure: 10494 tokens/s/GPU (token-drop)
        model = _model_tok_s("mb-h100-qwen3-30b") / _model_tok_s("mb-b200-qwen3-30b")
        return [err, f"{5275 / 9299:.3f}", f"{model:.3f}", f"{10494 / 5275:.2f}x"]
    if rid == "mb-b200-qwen3-235b":
        return [err, *pair_235b, f"{reproduce(QWEN3_ROWS['mb-gb200-qwen3-235b']).error:+.1%}"]
    if rid == "mb-h100-qwen3-235b":  # with the recipe's all-to-all overlap, and without it (before the flag)
        import dataclasses

        row = QWEN3_ROWS[rid]
        q = run_query(row)
        t = predict_layout(q).terms
        before = predict_layout(dataclasses.replace(q, ep_a2a_overlap=False)).terms["step_time_s"]
        no_a2a = t["step_time_s"] - t["t_ep_comm_s"]
        return [err, f"{before / float(row['step_s']) - 1:.1%}", f"{t['t_ep_comm_raw_s']:.2f} s",
                f"{t['t_ep_comm_raw_s'] - t['t_ep_comm_s']:.2f} s", f"{t['t_ep_comm_s']:.2f} s",
                f"{float(row['step_s']) - no_a2a:.2f} s"]
    assert rid == "mb-gb200-qwen3-30b"  # not explained; its figures are still checked: 26.02's 26084 tokens/s/GPU
    pred = reproduce(QWEN3_ROWS[rid]).predicted_step_s
    return [err, f"{pred:.2f} s", f"{512 * 4096 / (8 * 26084):.2f} s", f"{26084 / 23766 - 1:.1%}"]


def _quoted_2602(rid: str, err: str) -> list[str]:
    """The 26.02 rows: each B200/H100 row against its sibling, as the 25.11 rows' notes."""
    tok = PUBLISHED_TOK_S
    if rid == "mb2602-b200-qwen3-30b":
        model = _model_tok_s("mb2602-gb200-qwen3-30b") / _model_tok_s(rid)
        return [err, f"{tok['mb2602-gb200-qwen3-30b'] / tok[rid]:.2f}x", f"{model:.2f}x",
                f"{B300_30B_TOK_S / GB300_30B_TOK_S:.2f}x", f"{B300_30B_TOK_S / tok[rid]:.2f}x"]
    if rid == "mb2602-h100-qwen3-30b":
        model = _model_tok_s(rid) / _model_tok_s("mb2602-b200-qwen3-30b")
        return [err, f"{tok[rid] / tok['mb2602-b200-qwen3-30b']:.3f}", f"{model:.3f}"]
    assert rid == "mb2602-b200-qwen3-235b"
    model = _model_tok_s("mb2602-gb200-qwen3-235b") / _model_tok_s(rid)
    return [err, f"{tok['mb2602-gb200-qwen3-235b'] / tok[rid]:.2f}x", f"{model:.2f}x",
            f"{reproduce(QWEN3_ROWS['mb2602-gb200-qwen3-235b']).error:+.1%}"]


@pytest.mark.parametrize("rid", sorted(RECOMPUTED_IDS | {"mb-gb200-qwen3-30b"}))
def test_qwen3_row_notes_quote_the_model(rid: str) -> None:
    row = QWEN3_ROWS[rid]
    assert float(row["step_s"]) == pytest.approx(int(row["global_batch"]) * 4096
                                                 / (int(row["devices"]) * PUBLISHED_TOK_S[rid]), abs=0.006)
    # outside the note's [...] records (rreview, 2026-12-05): a figure found only in an earlier record's quote is no
    # sentence of today's
    for figure in _quoted(rid):
        assert figure in outside_records(row["note"]), (rid, figure)


def test_qwen3_rows_are_held_out() -> None:
    """Committed before they were predicted: no fit row among them (calibration.toml names none)."""
    results = [reproduce(r) for r in QWEN3_ROWS.values()]
    # 12 GB200/B200/H100 rows of the 25.11 and 26.02 tables, and (2026-12-01, b300) the six DGX-GB300/B300 ones: 25.11
    # GB300 30B/235B, 26.02 GB300 and B300 30B/235B (tests/test_validate_blackwell_ultra_rows.py)
    assert len(results) == 18 and not any(r.fitted for r in results)
