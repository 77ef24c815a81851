"""rt4 (2026-12-06, issue 10): a decode step's weight reads at the device's measured GEMM rate at its batch.

Source: vLLM PR #6996 '[Kernel] Tuned int8 Cutlass Kernels for SM75 (T4)' (github.com/vllm-project/vllm/pull/6996,
description 2024-07-31), 'Machine : T4 x 1', table 'torch.int8 meta-llama/Llama-2-7b-hf-TP1', column
'pytorch_f16_f16_f16_matmul-no-scales - main (us)': torch.mm in fp16 at Llama 2 7B's four linear layers (MKN rows
below), M = 1, 16, 32, 64. The PR measured one GPU (the T4); its M 128-512 rows are cut off in the stored copy after
the first. predict/data/measured_decode_gemm.csv holds the cells; predict/decode_gemm.py reads them.
"""
from __future__ import annotations

import json
import math

import pytest
from conftest import run_main_expect

from accelopt.hardware.catalog import get_device
from accelopt.predict import decode_gemm, serving
from accelopt.predict.serving_validation import _predict_row, read_serving_runs, serving_row_commands
from accelopt.workload.presets import get_model

# the PR's cells, (M, K, N) -> us, as its table prints them ('MKN=(MxKxN)')
PR6996_CELLS_US = {
    (1, 4096, 12288): 388.4, (1, 4096, 4096): 133.0, (1, 4096, 22016): 692.3, (1, 11008, 4096): 356.2,
    (16, 4096, 12288): 433.8, (16, 4096, 4096): 160.9, (16, 4096, 22016): 759.1, (16, 11008, 4096): 412.0,
    (32, 4096, 12288): 566.8, (32, 4096, 4096): 172.1, (32, 4096, 22016): 951.8, (32, 11008, 4096): 477.5,
    (64, 4096, 12288): 552.4, (64, 4096, 4096): 176.2, (64, 4096, 22016): 953.2, (64, 11008, 4096): 488.1,
}
T4_ROWS = ("vllm2192-t4-l2-7b-tp2-b32-nccl", "vllm2192-t4-l2-7b-tp2-b32-custom")
ROW_NOTE_BOUND = 0.25  # issue 10


def layer_rate(m: int) -> float:
    """One Llama 2 7B layer's fp16 weight bytes over its four GEMMs' time at M = m, of the T4's datasheet 320 GB/s."""
    cells = {mkn: us for mkn, us in PR6996_CELLS_US.items() if mkn[0] == m}
    return sum(k * n * 2 for _, k, n in cells) / (sum(cells.values()) * 1e-6) / 320e9


def _t4_prediction(batch: int, weight_dtype: str = "fp16", **kw: object) -> serving.ServingPrediction:
    return serving.predict_serving(get_model("llama2-7b"), get_device("t4"), tp=1, batch=batch, prompt_len=256,
                                   output_len=256, weight_dtype=weight_dtype, kv_dtype="fp16", allow_oom=True, **kw)


def test_the_file_holds_the_prs_cells_and_the_rates_recompute() -> None:
    assert get_device("t4").memory_bandwidth_byte_per_s == 320e9  # the T4 datasheet's 320 GB/s
    assert decode_gemm.measured_devices() == (("t4", "fp16"),)  # the one GPU PR #6996 measured
    t4 = get_device("t4")
    for m, want in ((1, 0.806), (16, 0.716), (32, 0.583), (64, 0.583)):
        r = decode_gemm.decode_weight_rate(t4, "fp16", m, 0.69)
        assert r is not None and not r.clamped and r.measured_m == (1, 16, 32, 64)
        assert r.fraction == pytest.approx(layer_rate(m), rel=1e-12)
        assert round(r.fraction, 3) == want  # the figures rsrv3's notes quote
    # the rate falls with M through the model's flat 0.69 (why one flat rate cannot serve both ends)
    assert layer_rate(1) > layer_rate(16) > 0.69 > layer_rate(32)


def test_interpolated_in_log_m_and_clamped_beyond_the_measured_m() -> None:
    t4 = get_device("t4")
    r8 = decode_gemm.decode_weight_rate(t4, "fp16", 8, 0.69)
    assert r8 is not None and not r8.clamped
    w = math.log(8) / math.log(16)  # log-M weight between M 1 and M 16
    assert r8.fraction == pytest.approx(layer_rate(1) + w * (layer_rate(16) - layer_rate(1)), rel=1e-12)
    assert layer_rate(16) < r8.fraction < layer_rate(1)
    r128 = decode_gemm.decode_weight_rate(t4, "fp16", 128, 0.69)
    assert r128 is not None and r128.clamped and r128.fraction == pytest.approx(layer_rate(64), rel=1e-12)
    assert "clamped to the measured M 64" in r128.note and "vLLM PR #6996" in r128.note


def test_a_device_or_dtype_without_rows_keeps_the_tables_rate() -> None:
    assert decode_gemm.decode_weight_rate(get_device("a100-sxm-80gb"), "fp16", 32, 0.69) is None
    assert decode_gemm.decode_weight_rate(get_device("t4"), "int8", 32, 0.69) is None
    p = serving.predict_serving(get_model("llama2-7b"), get_device("a100-sxm-80gb"), batch=32, prompt_len=256,
                                output_len=256, weight_dtype="fp16", kv_dtype="fp16")
    assert p.decode_weight_rate is None
    assert _t4_prediction(32, "int8").decode_weight_rate is None


def test_the_t4_decode_step_reads_weights_at_the_measured_rate_and_the_kv_cache_at_the_tables() -> None:
    """memory term = weight bytes / (320 GB/s x rate(M)) + KV bytes / (320 GB/s x 0.69): the weights' share alone
    moves, by the ratio of the two rates."""
    now = _t4_prediction(32)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(decode_gemm, "decode_weight_rate", lambda *a, **k: None)
        flat = _t4_prediction(32)
    rate = now.decode_weight_rate
    assert rate is not None and rate.batch == 32 and rate.table_fraction == flat.calibration.decode_bandwidth_efficiency
    d_now, d_flat = now.decode_step, flat.decode_step
    assert d_now.memory_s > d_now.compute_s and d_flat.memory_s > d_flat.compute_s
    w = serving.decode_weight_bytes_read(get_model("llama2-7b"), 32, "fp16", now.calibration)  # tp 1: every weight
    assert d_now.memory_s - d_flat.memory_s == pytest.approx(w / 320e9 * (1 / rate.fraction - 1 / rate.table_fraction),
                                                             rel=1e-9)
    assert d_now.memory_s > d_flat.memory_s


def test_batch_1_is_faster_than_the_flat_rate() -> None:
    now = _t4_prediction(1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(decode_gemm, "decode_weight_rate", lambda *a, **k: None)
        flat = _t4_prediction(1)
    assert now.decode_weight_rate is not None and now.decode_weight_rate.fraction > 0.8
    assert now.decode_step.memory_s < flat.decode_step.memory_s
    assert now.tpot_s < flat.tpot_s


def test_the_t4_rows_come_within_25pct() -> None:
    rows = {r["id"]: r for r in read_serving_runs()[0]}
    for rid in T4_ROWS:
        pred, p = _predict_row(rows[rid], None, None)
        err = pred / float(rows[rid]["published"]) - 1
        assert 0 < err < ROW_NOTE_BOUND, rid
        assert p.decode_weight_rate is not None and p.decode_weight_rate.batch == 32
        assert rows[rid]["note"].startswith(f"within 25% since rt4 (2026-12-06; recomputed by "
                                            f"tests/test_serving_custom_allreduce_a100.py): too fast by "
                                            f"{100 * err:+.1f}%")


def test_plan_serve_and_validate_say_the_rate_and_its_source(capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = run_main_expect(capsys, "plan", "serve", "--model", "llama2-7b", "--hardware", "t4", "--tp", "2",
                             "--prompt", "16", "--output", "16", "--weight-dtype", "fp16", "--kv-dtype", "fp16",
                             "--batch", "1,32,128", "--json")
    doc = json.loads(out)
    rates = [p["decode_weight_rate"] for p in doc["results"][0]["points"]]
    assert [r["batch"] for r in rates] == [1, 32, 128] and [r["clamped"] for r in rates] == [False, False, True]
    line = next(n for n in doc["notes"] if n.startswith("measured: t4: decode weight reads at "))
    assert "0.806 at batch 1, 0.583 at batch 32, 0.583 at batch 128 (clamped)" in line and "PR #6996" in line
    out, _ = run_main_expect(capsys, "plan", "serve", "--model", "llama2-7b", "--hardware", "t4", "--tp", "2",
                             "--prompt", "16", "--output", "16", "--weight-dtype", "fp16", "--kv-dtype", "fp16",
                             "--batch", "32")
    assert "measured: t4: decode weight reads at 0.583" in " ".join(out.split())
    row = serving_row_commands((T4_ROWS[0],))[0]
    assert any(n.startswith("measured: t4: decode weight reads at 0.583 of the memory bandwidth at batch 32")
               for n in row.notes)
    out, _ = run_main_expect(capsys, "plan", "serve", "--model", "llama2-7b", "--hardware", "a100-sxm-80gb",
                             "--prompt", "256", "--output", "256", "--batch", "32", "--json")
    doc = json.loads(out)
    assert doc["results"][0]["points"][0]["decode_weight_rate"] is None
    assert not any(n.startswith("measured: a100") and "decode weight" in n for n in doc["notes"])


def test_a_model_narrower_than_the_measured_shapes_is_told_so(capsys: pytest.CaptureFixture[str]) -> None:
    """rev1: the T4 rate is Llama 2 7B's shapes (the narrowest 4096 x 4096) carried to any model. A model whose widest
    per-device weight matrix is narrower than every measured one (Qwen2.5-0.5B: 896 x 4864) reads slower (pytorch
    issue #195716: 106.7 GiB/s on a T4 at M 1, 0.358 of 320 GB/s, against the file's 0.806): the caution says so;
    Llama 2 7B at TP 2 (4096 x 12288 / 2 = 25.2M weights >= 16.8M) and the bundled T4 rows get none."""
    args = ("--hardware", "t4", "--prompt", "16", "--output", "16", "--weight-dtype", "fp16", "--kv-dtype", "fp16",
            "--batch", "1", "--json")
    out, _ = run_main_expect(capsys, "plan", "serve", "--model", "qwen2.5-0.5b", *args)
    said = [n for n in json.loads(out)["notes"] if "narrower" in n]
    assert len(said) == 1
    assert "896 x 4864" in said[0] and "4096 x 4096" in said[0] and "#195716" in said[0]
    assert "too fast" in said[0]
    assert decode_gemm.narrow_layers_note(get_device("t4"), "fp16", get_model("qwen2.5-0.5b"), 1) == said[0]
    out, _ = run_main_expect(capsys, "plan", "serve", "--model", "llama2-7b", "--tp", "2", *args)
    assert not [n for n in json.loads(out)["notes"] if "narrower" in n]
    assert decode_gemm.narrow_layers_note(get_device("a100-sxm-80gb"), "fp16", get_model("qwen2.5-0.5b"), 1) is None
