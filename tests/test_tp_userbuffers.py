"""Transformer Engine userbuffers (predict/userbuffers.py): hand-computed values of each overlap method, the bundled
configs against their sources (NVIDIA/NeMo nemo/collections/llm/recipes/tp_overlap_configs/userbuffers.py at 0594a70,
NVIDIA/TransformerEngine transformer_engine/pytorch/module/base.py initialize_ub at fecb10b), and the flag's path."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from accelopt.errors import InputError
from accelopt.hardware.catalog import get_device
from accelopt.predict import userbuffers as ub
from accelopt.predict.training import Layout, Layouts, Setup, evaluate
from accelopt.workload.presets import get_model

A = np.asarray


def test_sm_margin_runs_the_gemm_on_the_sms_left() -> None:
    """set_sm_margin: cuBLAS gets sm_count - num_comm_sm SMs (comm_gemm_overlap.cpp, _math_sms), for the whole GEMM:
    1 ms on an H100 (132 SMs) with 24 SMs taken lasts 132 / 108 ms."""
    layer = ub.UbLayer(ub.PIPELINE, num_sm=24, sm_margin=True)
    assert ub.with_sms(A(1e-3), A(5e-4), layer, 132) == pytest.approx(1e-3 * 132 / 108)


def test_without_margin_the_gemm_loses_the_comm_kernels_sm_seconds() -> None:
    """No margin: a 0.5 ms collective on 16 of 132 SMs beside a 1 ms GEMM takes 16 x 0.5 SM-ms: +0.5 x 16 / 132 ms;
    a collective longer than the GEMM costs at most the GEMM's own duration's share."""
    layer = ub.UbLayer(ub.BULK, num_sm=16)
    assert ub.with_sms(A(1e-3), A(5e-4), layer, 132) == pytest.approx(1e-3 + 5e-4 * 16 / 132)
    assert ub.with_sms(A(1e-3), A(3e-3), layer, 132) == pytest.approx(1e-3 + 1e-3 * 16 / 132)
    # bulk: the step waits for the longer of the two
    assert ub.bulk_s(A(1e-3), A(3e-3), layer, 132) == pytest.approx(3e-3)


def test_ring_exchange_all_gather_chunks() -> None:
    """tp 4 chunks of 0.25 ms, p2p of 0.1 ms each hidden behind a chunk: 4 x 0.25 ms; p2p of 0.4 ms: 0.25 + 3 x
    0.4 ms (the first chunk is local). A reduce-scatter also waits for the last chunk's send (+ p)."""
    ring = ub.UbLayer(ub.RING, num_sm=1)
    assert ub.ring_s(A(0.25e-3), A(0.1e-3), A(4.0), ring, 132, False) == pytest.approx(1.0e-3)
    assert ub.ring_s(A(0.25e-3), A(0.4e-3), A(4.0), ring, 132, False) == pytest.approx(0.25e-3 + 3 * 0.4e-3)
    assert ub.ring_s(A(0.25e-3), A(0.1e-3), A(4.0), ring, 132, True) == pytest.approx(1.1e-3)
    # aggregate (tp 8): one exposed 1X exchange between neighbour pairs, then 4 chunks of twice the size, p2p of two
    agg = dataclasses.replace(ring, aggregate=True)
    assert ub.ring_s(A(0.1e-3), A(0.02e-3), A(8.0), agg, 132, False) == pytest.approx(0.02e-3 + 4 * 0.2e-3)
    # RingExchangeOverlapCfg(num_sm=1, set_sm_margin=True): each chunk on 131 of 132 SMs
    margin = dataclasses.replace(ring, sm_margin=True)
    assert ub.ring_s(A(0.25e-3), A(0.1e-3), A(4.0), margin, 132, False) == pytest.approx(1.0e-3 * 132 / 131)


def test_pipelined_reduce_scatter() -> None:
    """4 chunks of 0.25 ms at 108 of 132 SMs, reduce-scatter of 0.4 ms in 4 pieces of 0.1 ms each hidden behind
    the next chunk, the last exposed: 4 x 0.25 x 132 / 108 + 0.1 ms."""
    pipe = ub.UbLayer(ub.PIPELINE, num_sm=24, sm_margin=True, num_splits=4)
    c = 0.25e-3 * 132 / 108
    assert ub.pipeline_s(A(0.25e-3), A(0.4e-3), pipe, 132) == pytest.approx(4 * c + 0.1e-3)


def test_bundled_configs_match_their_sources() -> None:
    """Spot checks against NeMo's userbuffers.py and TE's defaults."""
    c = ub.config("bf16_h100_h8192_tp4_mbs1_seqlen8192")
    assert (c.proj_fprop.method, c.proj_fprop.num_sm, c.proj_fprop.sm_margin) == (ub.PIPELINE, 24, True)
    assert (c.fc2_fprop.method, c.fc2_fprop.num_sm) == (ub.PIPELINE, 16)
    assert [getattr(c, f).num_sm for f in ("qkv_dgrad", "qkv_wgrad", "fc1_dgrad", "fc1_wgrad")] == [4, 24, 2, 4]
    gpt = ub.config("bf16_h100_h12288_tp4_mbs1_seqlen2048")
    assert (gpt.fc2_fprop.method, gpt.fc2_fprop.num_sm, gpt.fc2_fprop.sm_margin) == (ub.RING, 1, True)
    assert ub.config("fp8_b200_h16384_tp4_cp2_mbs1_seqlen8192").qkv_fprop.aggregate
    te = ub.config("")
    assert te is ub.TE_DEFAULT and te.proj_fprop == ub.UbLayer(ub.PIPELINE, 16, False, 4)
    assert ub.sm_count(get_device("h100-sxm")) == 132 and ub.sm_count(get_device("b200")) == 148


def test_fp8_b200_nemotron4_340b_config_and_te_default_name() -> None:
    """userbuffers_fp8_b200_h18432_tp8_mbs1_seqlen4096 (Megatron-Bridge comm_overlap.py at 0685ff5; NeMo's
    pretrain_nemotron4_340b.py names it for FP8 on B200 / GB200): bulk 8 / 32 / 2 / 8 SMs, the four all-gather and
    dgrad GEMMs ring exchange (no aggregate), proj_fprop and fc2_fprop ring exchange on 1 SM with set_sm_margin (its
    BF16 sibling pipelines fc2_fprop on 24 SMs). 'te-default' names TE's defaults (the cell a read recipe without a
    config gets; blank means the same numbers, unread)."""
    c = ub.config("fp8_b200_h18432_tp8_mbs1_seqlen4096")
    assert [getattr(c, f).num_sm for f in ("qkv_dgrad", "qkv_wgrad", "fc1_dgrad", "fc1_wgrad")] == [8, 32, 2, 8]
    assert all(getattr(c, f).method == ub.BULK for f in ("qkv_dgrad", "qkv_wgrad", "fc1_dgrad", "fc1_wgrad"))
    assert all(getattr(c, f) == ub.UbLayer(ub.RING, 1, False) for f in ("qkv_fprop", "fc1_fprop", "proj_dgrad",
                                                                         "fc2_dgrad"))
    assert c.proj_fprop == c.fc2_fprop == ub.UbLayer(ub.RING, 1, True)
    assert ub.config("bf16_b200_h18432_tp8_mbs1_seqlen4096").fc2_fprop == ub.UbLayer(ub.PIPELINE, 24, True, 4)
    assert ub.config("te-default") is ub.config("") is ub.TE_DEFAULT


def test_unknown_config_and_device_are_errors() -> None:
    with pytest.raises(InputError, match="tp-overlap-cfg"):
        ub.config("bf16_h100_nonexistent")
    with pytest.raises(InputError, match="SM count"):
        ub.sm_count(get_device("mi300x"))
    with pytest.raises(InputError, match="without --tp-comm-overlap"):
        Setup(model=get_model("llama3-70b"), seq_len=8192, global_batch=128,
              tp_overlap_cfg="bf16_h100_h8192_tp4_mbs1_seqlen8192")


def test_sm_margins_cost_the_layer_time_beyond_the_default() -> None:
    """Llama 3 70B, TP 4 on H100: the dgxc recipe's config (proj 24 and fc2 16 SMs given up for the whole GEMM)
    charges more tensor-parallel time than TE's defaults (no margin: SMs only while a chunk's collective runs), and
    both more than zero (before ubuf, 2026-12-01, each NVLink collective was hidden behind 0.8 of its GEMM: ~0)."""
    base = Setup(model=get_model("llama3-70b"), seq_len=8192, global_batch=128, tp_comm_overlap=True)
    lay = Layouts.of([Layout(tp=4, pp=4, dp=2, cp=2, vp=5, m=64, recompute="selective", sp=True)])
    spec = get_device("h100-sxm")
    te = float(evaluate(base, spec, lay).terms["t_tp_comm_s"][0])
    named = dataclasses.replace(base, tp_overlap_cfg="bf16_h100_h8192_tp4_mbs1_seqlen8192")
    cfg = float(evaluate(named, spec, lay).terms["t_tp_comm_s"][0])
    assert 0.0 < te < cfg
    step = float(evaluate(named, spec, lay).terms["step_time_s"][0])
    assert 0.02 < cfg / step < 0.06  # a few percent of the step: the SMs of two of the four forward GEMMs


def test_cli_flag_and_devices_without_an_sm_count(capsys: pytest.CaptureFixture[str]) -> None:
    """--tp-overlap-cfg reaches plan explain (JSON records it); a bad name exits 2 naming the choices; a search over
    a device without a cited SM count leaves it out with the reason, and alone it is an error (exit 2)."""
    from conftest import run_main

    lay = ["--model", "llama3-70b", "--hardware", "h100-sxm", "--devices", "64", "--tp", "4", "--pp", "4", "--cp",
           "2", "--vp", "5", "--seq-len", "8192", "--global-batch", "128seq", "--tp-comm-overlap", "--json"]
    code, out, err = run_main(["plan", "explain", *lay, "--tp-overlap-cfg", "bf16_h100_h8192_tp4_mbs1_seqlen8192"],
                              capsys)
    assert code == 0, err
    assert '"tp_overlap_cfg": "bf16_h100_h8192_tp4_mbs1_seqlen8192"' in out
    code, out, err = run_main(["plan", "explain", *lay[:-1]], capsys)  # no config: the default is said
    assert code == 0 and "Transformer Engine defaults" in out, err
    code, _, err = run_main(["plan", "explain", *lay, "--tp-overlap-cfg", "nope"], capsys)
    assert code == 2 and "bf16_h100_h8192_tp4_mbs1_seqlen8192" in err
    search = ["plan", "--model", "llama3-8b", "--devices", "16", "--tp-comm-overlap", "--top", "2"]
    code, out, err = run_main([*search, "--hardware", "h100-sxm,mi300x"], capsys)
    assert code == 0, err
    assert "not searched: mi300x" in out and "SM count" in out
    code, _, err = run_main([*search, "--hardware", "mi300x"], capsys)
    assert code == 2 and "SM count" in err


def test_sm_count_is_a_cited_catalog_figure_a_user_spec_can_give(capsys: pytest.CaptureFixture[str],
                                                                 tmp_path: Path) -> None:
    """The SM count is the catalog's streaming_multiprocessors (cited per device), not a table inside the predictor:
    a user's own device (--catalog) with the figure gets --tp-comm-overlap, one without it an error naming the
    field and the fix (exit 2). Before, only eight bundled names had it, whatever the user's spec said."""
    from conftest import run_main

    for name in ("a100-sxm-80gb", "h100-sxm", "h200", "b200", "gb200", "b300", "gb300"):
        spec = get_device(name)
        assert spec.streaming_multiprocessors and spec.source_of("streaming_multiprocessors"), name
    base = (tmp_path / "base.toml")
    h100 = get_device("h100-sxm")
    spec_toml = f"""[[device]]
name = "my-h100"
kind = "gpu"
peak_flop_per_s = {{ bf16 = [{h100.peak("bf16")}, "my sheet"] }}
memory_bytes = [{h100.memory_bytes}, "my sheet"]
memory_bandwidth_byte_per_s = [{h100.memory_bandwidth_byte_per_s}, "my sheet"]
scaleup_domain_devices = [8, "my sheet"]
scaleup_bandwidth_byte_per_s = [450e9, "my sheet"]
"""
    base.write_text(spec_toml)
    with_sms = tmp_path / "sms.toml"
    with_sms.write_text(spec_toml.replace('name = "my-h100"', 'name = "my-h100-sms"')
                        + 'streaming_multiprocessors = [132, "my sheet"]\n')
    lay = ["plan", "explain", "--model", "llama3-70b", "--devices", "64", "--tp", "4", "--pp", "4", "--cp", "2",
           "--vp", "5", "--seq-len", "8192", "--global-batch", "128seq", "--tp-comm-overlap", "--json"]
    code, _, err = run_main([*lay, "--hardware", "my-h100-sms", "--catalog", str(with_sms)], capsys)
    assert code == 0, err
    code, _, err = run_main([*lay, "--hardware", "my-h100", "--catalog", str(base)], capsys)
    assert code == 2 and "streaming_multiprocessors" in err
