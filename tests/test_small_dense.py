"""Small dense models (issue 10, smalldense): the copies llm-foundry's MPT attention makes around FlashAttention.

llm-foundry's flash_attn_fn gathers Q, K and V to (tokens, width) with flash_attn.bert_padding.index_first_axis and
scatters the output back with pad_input on every layer, whether or not the batch is padded (mosaicml/llm-foundry
llmfoundry/models/layers/attention.py at 11d3d7066fa22766b8f9ce5f72372a90a9b25a82). The runs file says so per row
(column attention_unpad), `plan` with --attention-unpad; compute.attention_unpad_s charges the passes that
flash_attn/bert_padding.py's autograd functions make (Dao-AILab/flash-attention at 2d64d7a5).

All of these fail before the change: the function, the Setup/LayoutQuery field, the flag and the column are new."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from conftest import run_main

from accelopt.predict.validation import read_runs, run_query


def _row(run_id: str) -> dict[str, str]:
    return next(r for r in read_runs() if r["id"] == run_id)


def test_unpad_copies_of_mpt_1b_on_h100_by_hand() -> None:
    """mpt-1b-8: micro-batch 14 x 2048 = 28,672 tokens per GPU, d_model 2048, 16 heads of 128, MHA (k = v = 2048),
    tp 1, bf16 (2 bytes); H100 SXM 3.35e12 B/s (catalog, h100-ds) x memory_eff 0.80, 4 us per launch (nvidia-hopper
    calibration). Forward: 2 passes over Q, K, V (6144 wide) + 3 over the output (2048 wide) = 18,432 elements per
    token; backward: 3 over Q, K, V + 2 over the output = 22,528 per token."""
    from accelopt.predict.compute import attention_unpad_s
    from accelopt.predict.query import predict_layout

    q = run_query(_row("mpt-1b-8"))
    assert q.attention_unpad and q.mbs == 14 and q.model.hidden == 2048 and q.model.heads == 16
    res = predict_layout(q)
    dev_bw, mem_eff, launch_s = 3.35e12, 0.80, 4e-6
    tokens = 14 * 2048
    fwd_hand = (2 * 6144 + 3 * 2048) * tokens * 2 / (dev_bw * mem_eff) + 5 * launch_s
    bwd_hand = (3 * 6144 + 2 * 2048) * tokens * 2 / (dev_bw * mem_eff) + 7 * launch_s
    assert fwd_hand == pytest.approx(0.41439e-3, rel=1e-4)  # 1.057 GB through 2.68 TB/s = 0.394 ms, + 20 us
    from accelopt.predict.training import _device

    dev = _device(res.spec, "bf16", res.cal)
    fwd, bwd = attention_unpad_s(q.model, np.asarray([float(tokens)]), np.asarray([1.0]), 2.0, dev)
    assert float(fwd[0]) == pytest.approx(fwd_hand, rel=1e-12)
    assert float(bwd[0]) == pytest.approx(bwd_hand, rel=1e-12)


def test_unpad_copies_add_their_forward_and_backward_to_the_step() -> None:
    """No recompute, one micro-batch, 24 layers: the step grows by exactly 24 x (forward + backward copies)."""
    from accelopt.predict.compute import attention_unpad_s
    from accelopt.predict.query import predict_layout
    from accelopt.predict.training import _device

    q = run_query(_row("mpt-1b-8"))
    on, off = predict_layout(q), predict_layout(replace(q, attention_unpad=False))
    dev = _device(on.spec, "bf16", on.cal)
    fwd, bwd = attention_unpad_s(q.model, np.asarray([14.0 * 2048]), np.asarray([1.0]), 2.0, dev)
    assert on.terms["in_micro_batches"] == 1 and q.recompute == "none"
    want = 24 * float(fwd[0] + bwd[0])
    assert float(on.terms["step_time_s"] - off.terms["step_time_s"]) == pytest.approx(want, rel=1e-9)
    assert float(on.terms["t_fwd_s"] - off.terms["t_fwd_s"]) == pytest.approx(24 * float(fwd[0]), rel=1e-9)


def test_full_recompute_reruns_the_forward_copies() -> None:
    """mpt-70b-512 (Activation Checkpointing True: full recompute): the recomputed forward includes the gathers."""
    from accelopt.predict.query import predict_layout

    q = run_query(_row("mpt-70b-512"))
    assert q.attention_unpad and q.recompute == "full"
    on, off = predict_layout(q), predict_layout(replace(q, attention_unpad=False))
    assert float(on.terms["t_recompute_s"] - off.terms["t_recompute_s"]) == pytest.approx(
        float(on.terms["t_fwd_s"] - off.terms["t_fwd_s"]), rel=1e-9)


def test_the_column_is_set_on_the_llm_foundry_rows_only() -> None:
    """Every MPT H100 row (llm-foundry, attn_impl flash) has attention_unpad 1; the A100 table's rows (attn_impl triton:
    triton_flash_attn_fn calls the kernel on the padded tensors, longseq), torchtitan (SDPA) and Megatron rows 0."""
    rows = read_runs()
    for r in rows:
        want = r["id"].startswith("mpt-") and not r["id"].startswith("mpt-a100-")
        assert (r.get("attention_unpad") or "").strip() == ("1" if want else ""), r["id"]
    assert sum(r["id"].startswith("mpt-") for r in rows) == 85  # 30 + the A100 table's other 55 (ampfsdp)
    assert sum(r["id"].startswith("mpt-a100-") for r in rows) == 61


def test_unpad_with_unfused_attention_is_an_input_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run_main(["plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "8",
                                "--no-flash", "--attention-unpad"], capsys)
    assert code == 2
    assert "--attention-unpad" in err and "fused" in err


def test_plan_explain_flag_reaches_the_step(capsys: pytest.CaptureFixture[str]) -> None:
    """The flag flows through the public path: explain's step grows, and the JSON records attention_unpad."""
    import json

    base = ["plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "8", "--zero", "3",
            "--attention-kernel", "flash2", "--json"]
    code, out, err = run_main(base, capsys)
    assert code in (0, 2), err
    plain = json.loads(out)
    code, out, err = run_main([*base, "--attention-unpad"], capsys)
    assert code in (0, 2), err
    unpad = json.loads(out)
    assert unpad["attention_unpad"] is True and plain["attention_unpad"] is False
    assert unpad["prediction"]["step_time_s"] > plain["prediction"]["step_time_s"]
