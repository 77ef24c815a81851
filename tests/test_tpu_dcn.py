"""TPU Multislice over the data-center network (DCN): what the model charges the MaxText rows' cross-slice gradient
traffic, checked by hand from the cited figures, and the published multi-slice slowdown that charge does not explain.

What MaxText runs (AI-Hypercomputer/maxtext MaxText/configs/base.yml, commit 000e935): mesh axes 'data' (DCN,
dcn_data_parallelism -1) and 'fsdp' (ICI, ici_fsdp_parallelism -1); no parameter axis maps to 'data'
(logical_axis_rules), so every slice holds a full FSDP copy, each chip's gradient shard is reduced over its slice
(ICI) and all-reduced across the slices over DCN. weight_dtype float32 (base.yml; configs/v5e/{16b,32b,64b}.sh do not
override it): the gradients, and so the DCN all-reduce, are fp32; the model moves them in bf16 (2 B/parameter).
The per-chip DCN figure is the host's NICs shared by its chips (Cloud TPU 'TPU v5e' page: 2 x 100 Gbps NIC and 8
chips per host; 'TPU v6e' page: 4 x 200 Gbps and 8; 'TPU v5p' page: 50 Gbps per chip). The Multislice overview says
XLA overlaps the DCN traffic with computation (https://cloud.google.com/tpu/docs/multislice-introduction).
"""

from __future__ import annotations

import re

import pytest

from accelopt.hardware.catalog import get_device
from accelopt.predict.query import predict_layout
from accelopt.predict.validation import RunResult, read_runs, run_query, validate_all

ROWS = {r["id"]: r for r in read_runs()}
REL = 0.01  # stated before measuring: the hand parameter count leaves nothing out that the model counts


@pytest.fixture(scope="module")
def results() -> dict[str, RunResult]:
    return {r.id: r for r in validate_all()}


def _params(layers: int, hidden: int, q_width: int, ffn: int, vocab: int) -> float:
    """Per layer Q, K, V, O (4 h q: no GQA in MaxText's global_parameter_scale models), SwiGLU MLP (3 h f), two norms
    (2 h); untied embedding and output (2 V h), final norm (h)."""
    return layers * (4 * hidden * q_width + 3 * hidden * ffn + 2 * hidden) + 2 * vocab * hidden + hidden


P_16B = _params(32, 4096, 64 * 128, 28672, 32000)  # 15.83e9: scale 16 (emb 4096, 64 heads of 128)
P_32B = _params(32, 8192, 8192, 28672, 32000)  # 31,663,333,376: scale 32
P_64B = _params(64, 8192, 8192, 28672, 32000)  # 62.80e9: scale 64


@pytest.mark.parametrize(
    ("device", "per_chip_byte_per_s"),
    [
        ("tpu-v5e", 2 * 100e9 / 8 / 8),  # 2 x 100 Gb/s NICs per host, 8 chips per host: 3.125e9 B/s per chip
        ("tpu-v6e", 4 * 200e9 / 8 / 8),  # 4 x 200 Gb/s NICs per host, 8 chips per host: 12.5e9 B/s per chip
        ("tpu-v5p", 50e9 / 8),  # 50 Gb/s per chip, as the v5p page states it
    ],
)
def test_dcn_figure_is_the_hosts_nics_shared_by_its_chips(device: str, per_chip_byte_per_s: float) -> None:
    spec = get_device(device)
    assert spec.scaleout_bandwidth_byte_per_s == pytest.approx(per_chip_byte_per_s)
    src = spec.source_of("scaleout_bandwidth_byte_per_s") or ""
    assert f"cloud.google.com/tpu/docs/{device.removeprefix('tpu-')}" in src


@pytest.mark.parametrize(
    ("run_id", "want_s"),
    [
        # shard = 2 B x P_32B / 256 chips = 247,369,792 B; DCN 3.125e9 x scaleout_bw_eff 0.8 = 2.5e9 B/s; latency: the
        # printed 8 us default (no TPU DCN latency is published). Ring over N slices (faster than the tree here):
        # x2: 2 (1/2) 0.098948 s + 2 x 8 us = 0.098964 s; x32: 2 (31/32) 0.098948 + 62 x 8 us = 0.192208 s.
        ("maxtext-v5e-32b-x2", 0.098964),
        ("maxtext-v5e-32b-x32", 0.192208),
    ],
)
def test_row_dcn_allreduce_by_hand(run_id: str, want_s: float) -> None:
    """The maxtext rows' cross-slice all-reduce through the public path (`plan explain` = validate), and hidden:
    the backward (6.1 s) x overlap_eff 0.8 is far longer."""
    shard_b = 2 * P_32B / 256
    slices = int(ROWS[run_id]["devices"]) // 256
    ring_s = 2 * (slices - 1) / slices * shard_b / (3.125e9 * 0.8) + 2 * (slices - 1) * 8e-6
    assert ring_s == pytest.approx(want_s, rel=1e-5)  # the hand figures above
    terms = predict_layout(run_query(ROWS[run_id])).terms
    assert terms["t_dp_comm_raw_s"] == pytest.approx(want_s, rel=REL)
    assert terms["t_dp_comm_s"] == 0.0


@pytest.mark.parametrize(("model", "params"), [("16b", P_16B), ("32b", P_32B), ("64b", P_64B)])
def test_cited_dcn_bandwidth_cannot_explain_the_v5e_multislice_loss(
    results: dict[str, RunResult], model: str, params: float
) -> None:
    """The published loss from 1 to 32 v5e-256 slices (MaxText configs/v5e/README.md, MFU per slice count; steps
    through the model's FLOPs) is more than twice even the worst case of the cited DCN figure: the fp32 all-reduce
    (base.yml weight_dtype float32) fully exposed at 100% of 3.125e9 B/s per chip: 16B 0.153 s vs 1.21 s, 32B
    0.307 s vs 1.30 s, 64B 0.609 s vs 2.61 s. So no bandwidth or overlap setting of the DCN term reproduces it."""
    loss_s = results[f"maxtext-v5e-{model}-x32"].published_step_s - results[f"maxtext-v5e-{model}-x1"].published_step_s
    dcn = get_device("tpu-v5e").scaleout_bandwidth_byte_per_s  # the catalog's cited figure (3.125e9), no efficiency
    assert dcn is not None
    worst_dcn_s = 2 * 31 / 32 * (4 * params / 256) / dcn
    assert loss_s > 2 * worst_dcn_s


def test_v5p_loss_falls_as_the_dcn_bytes_per_chip_double(results: dict[str, RunResult]) -> None:
    """MaxText configs/v5p/README.md, 128B on 2 slices: v5p-256 slices (128 chips, tp 8 x fsdp 16) send each chip's
    1/128 gradient shard over DCN, v5p-512 slices (256 chips, tp 8 x fsdp 32) a 1/256 shard, at the same 50 Gb/s per
    chip; yet the larger slices lose 4.4x the time (0.77 s vs 0.18 s). A per-chip DCN bandwidth cost goes the other
    way."""
    loss_256 = results["maxtext-v5p-128b-256x2"].published_step_s - results["maxtext-v5p-128b-256x1"].published_step_s
    loss_512 = results["maxtext-v5p-128b-512x2"].published_step_s - results["maxtext-v5p-128b-512x1"].published_step_s
    shard_256 = predict_layout(run_query(ROWS["maxtext-v5p-128b-256x2"])).terms["t_dp_comm_raw_s"]
    shard_512 = predict_layout(run_query(ROWS["maxtext-v5p-128b-512x2"])).terms["t_dp_comm_raw_s"]
    assert shard_256 == pytest.approx(2 * shard_512, rel=REL)  # twice the bytes per chip over the same link
    assert loss_512 > 3 * loss_256


DRIFT_TOL = 0.03
"""Stated before any change was measured: a multi-slice row's signed error within 3 percentage points of its
single-slice partner's (same model, same per-chip batch, same slice shape)."""


def _single_slice_partner(run_id: str) -> str | None:
    """maxtext-v5e-32b-x8 -> maxtext-v5e-32b-x1; maxtext-v5p-128b-512x2 -> maxtext-v5p-128b-512x1."""
    m = re.fullmatch(r"(maxtext-v(?:4|5e|5p)-.+x)(\d+)", run_id)
    return None if m is None or m.group(2) == "1" else m.group(1) + "1"


@pytest.mark.xfail(
    strict=True,
    reason=(
        "MaxText multi-slice rows drift too fast with the slice count (v5e x1 -> x32: 16B -4.1 -> -14.2%, "
        "32B +1.6 -> -8.2%, 64B -5.0 -> -20.4%; v5p 128B on v5p-512 +2.7 -> -11.0%; v4 22B +2.4 -> -4.0% at x8): "
        "the published loss grows about 1 ms per layer per added slice whatever the gradient bytes, and no public "
        "source gives a mechanism or figure for it: the DCN all-reduce at the cited per-chip bandwidth is 0.05-0.4 s "
        "and hidden behind the backward, as the Multislice docs say XLA does (the tests above)"
    ),
)
def test_multislice_error_does_not_drift_with_the_slice_count(results: dict[str, RunResult]) -> None:
    drifts = {
        rid: results[rid].error - results[one].error
        for rid in results
        if (one := _single_slice_partner(rid)) is not None and one in results
    }
    assert len(drifts) >= 20
    assert max(abs(d) for d in drifts.values()) <= DRIFT_TOL, drifts
