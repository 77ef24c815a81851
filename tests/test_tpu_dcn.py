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

import math
import re
from collections.abc import Callable

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
    """maxtext-v5e-32b-x8 -> maxtext-v5e-32b-x1; maxtext-v5p-128b-512x2 -> maxtext-v5p-128b-512x1; the MaxText A3 rows
    (data parallel across A3 High VMs over their GPU NICs, the GPU form of the same layout) likewise:
    maxtext-a3-llama2-7b-x16 -> maxtext-a3-llama2-7b-x1."""
    m = re.fullmatch(r"(maxtext-(?:v4|v5e|v5p|a3)-.+x)(\d+)", run_id)
    return None if m is None or m.group(2) == "1" else m.group(1) + "1"


@pytest.mark.xfail(
    strict=True,
    reason=(
        "MaxText multi-slice rows drift too fast with the slice count (v5e x1 -> x32: 16B -4.1 -> -14.2%, "
        "32B +1.6 -> -8.2%, 64B -5.0 -> -20.4%, 128B -21.5 -> -35.3%; v5p 128B on v5p-512 +2.7 -> -11.0%; "
        "v4 22B +2.4 -> -4.0% at x8; "
        "A3 Llama 2 7B -10.4 -> -31.7% at 16 VMs): "
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


# ---- Rechecked 2026-12-02 (msdcn, issue 10): candidate mechanisms for the multi-slice / multi-VM loss ----
# Tolerance (stated before any candidate was set against the rows): DRIFT_TOL above, 3 percentage points of a row's
# published step, the bound of the strict xfail. A candidate would be adopted only with a source for its form AND its
# constants; none has both (the runs file's v5e block comment, 'Rechecked 2026-12-02 (msdcn)', lists what was read).


def _multislice_losses(results: dict[str, RunResult]) -> dict[str, tuple[int, int, float, float]]:
    """id -> (slices or VMs N, layers, published loss against the x1 partner [s], published step [s]) of every MaxText
    multi-slice / multi-VM row whose x1 partner is a row. maxtext-v4-52b-x2 is left out: it is faster than its x1 row
    (MaxText's v4 README: 'quirkily higher than single slice because of choices made by the compiler')."""
    out: dict[str, tuple[int, int, float, float]] = {}
    for rid, r in results.items():
        one = _single_slice_partner(rid)
        if one is None or one not in results:
            continue
        loss_s = r.published_step_s - results[one].published_step_s
        if loss_s > 0:
            out[rid] = (int(rid.rsplit("x", 1)[1]), int(ROWS[rid]["layers"]), loss_s, r.published_step_s)
    return out


HOP_FORMS: dict[str, Callable[[int], float]] = {
    "ring over the slices, 2 (N - 1) latency steps per collective": lambda n: 2.0 * (n - 1),
    "tree / recursive halving, 2 log2 N steps": lambda n: 2.0 * math.log2(n),
    "one message per other slice, N - 1": lambda n: n - 1.0,
    "a fixed cost once a step spans slices": lambda n: 1.0,
}
"""Latency-shaped candidates: a per-layer cost c x hops(N) per step, the shape of the loss (per layer, about the same
for 0.5x to 1x the gradient bytes and per-layer FLOPs, growing with N). No public figure gives c for a DCN hop of a
MaxText step (the Megascale docs name send / recv-done and 'MXLA RPC' latencies, no values)."""


def _per_hop_window(losses: dict[str, tuple[int, int, float, float]], hops: Callable[[int], float]
                    ) -> tuple[float, float]:
    """The constants c [s per layer per hop] that put every row within DRIFT_TOL: |c hops(N) layers - loss| <=
    DRIFT_TOL x step on each row; (lo, hi), empty when lo > hi."""
    lo = max((loss - DRIFT_TOL * step) / (hops(n) * layers) for n, layers, loss, step in losses.values())
    hi = min((loss + DRIFT_TOL * step) / (hops(n) * layers) for n, layers, loss, step in losses.values())
    return lo, hi


@pytest.mark.parametrize("form", sorted(HOP_FORMS))
def test_no_one_latency_constant_fits_every_maxtext_multislice_series(results: dict[str, RunResult], form: str) -> None:
    """Whatever its size, one per-layer latency constant of any of these forms misses some MaxText series (v5e, v5p,
    v4, A3) by more than DRIFT_TOL: the issue's question, 'one mechanism across all series', has no such answer."""
    losses = _multislice_losses(results)
    assert len(losses) >= 28
    lo, hi = _per_hop_window(losses, HOP_FORMS[form])
    assert lo > hi, (form, lo, hi)


def test_no_function_of_slices_and_layers_fits_the_v5p_128b_pair(results: dict[str, RunResult]) -> None:
    """MaxText configs/v5p/README.md, 128B on 2 slices: the same model (64 layers), the same 2 slices, per-chip batch
    and tp 8; v5p-512 slices lose 0.77 s, v5p-256 slices 0.18 s. Any cost that depends only on the slice count and
    the layer count charges both alike, and their losses differ by more than DRIFT_TOL of both steps together, so it
    misses one of them by more (and a per-chip DCN bandwidth cost goes the other way:
    test_v5p_loss_falls_as_the_dcn_bytes_per_chip_double)."""
    losses = _multislice_losses(results)
    n_a, layers_a, loss_a, step_a = losses["maxtext-v5p-128b-256x2"]
    n_b, layers_b, loss_b, step_b = losses["maxtext-v5p-128b-512x2"]
    assert (n_a, layers_a) == (n_b, layers_b) == (2, 64)
    assert abs(loss_b - loss_a) > DRIFT_TOL * (step_a + step_b)


def test_log_depth_form_fits_the_v5e_and_v4_series_alone(results: dict[str, RunResult]) -> None:
    """Recorded, not adopted: a per-layer cost of c x 2 log2 N fits the 15 v5e rows of the 16B, 32B and 64B columns
    and the three v4 22B rows within DRIFT_TOL for c of about 3.3-4.2 ms per layer per hop (fitted here to held-out
    rows; no source gives the form or a DCN hop of milliseconds), and fails on the v5p rows (the 128B pair above) and
    on the A3 rows. tpu_new (2026-12-03) added the README's 128B column, unseen, after the form was recorded: its five
    multi-slice rows alone need c in an empty window (3.94 ms above 2.87 ms), so the form fails on v5e too."""
    losses = _multislice_losses(results)
    tree = HOP_FORMS["tree / recursive halving, 2 log2 N steps"]
    tpu = {k: v for k, v in losses.items()
           if k.startswith(("maxtext-v5e-", "maxtext-v4-")) and not k.startswith("maxtext-v5e-128b-")}
    lo, hi = _per_hop_window(tpu, tree)
    assert len(tpu) == 18 and lo <= hi
    assert (round(1000 * lo, 1), round(1000 * hi, 1)) == (3.3, 4.2)
    v5e_128b = {k: v for k, v in losses.items() if k.startswith("maxtext-v5e-128b-")}
    lo, hi = _per_hop_window(v5e_128b, tree)
    assert len(v5e_128b) == 5 and (round(1000 * lo, 2), round(1000 * hi, 2)) == (3.94, 2.87)
    for family in ("maxtext-v5p-", "maxtext-a3-"):
        lo, hi = _per_hop_window({k: v for k, v in losses.items() if k.startswith(family)}, tree)
        assert lo > hi, family


def _layer_params(hidden: int, q_width: int, ffn: int) -> float:
    """One layer of the scale-N models: Q, K, V, O (4 h q), SwiGLU MLP (3 h f), two norms (2 h)."""
    return 4 * hidden * q_width + 3 * hidden * ffn + 2 * hidden


@pytest.mark.parametrize(("model", "hidden"), [("16b", 4096), ("32b", 8192), ("64b", 8192)])
def test_exposed_last_gradient_chunk_is_a_sliver_of_the_v5e_loss(results: dict[str, RunResult], model: str,
                                                                  hidden: int) -> None:
    """The sourced overlap form: the data-parallel all-reduce goes layer by layer under the backward and only the last
    chunk is exposed (Megatron-Bridge docs, 'Communication Overlap': 'chunked by the granularity of a Transformer
    layer ... exposes only one DP communication chunk'; the v5e configs' DATA_PARALLEL_OVERLAP flags, MaxText
    benchmarks/xla_flags_library.py: 'enable pipelining of data parallel ops across multiple iterations'). The last
    chunk the backward produces is layer 0's and the input embedding's gradient. Even in fp32 (4 B) over a ring of
    the slices at 100% of the cited 3.125e9 B/s per chip it is under 2% of every v5e row's published loss."""
    dcn = get_device("tpu-v5e").scaleout_bandwidth_byte_per_s
    assert dcn is not None and dcn == pytest.approx(3.125e9)
    chunk_b = 4 * (_layer_params(hidden, 64 * 128, 28672) + 32000 * hidden) / 256  # per chip: 1/256 of the slice
    rows = {k: v for k, v in _multislice_losses(results).items() if k.startswith(f"maxtext-v5e-{model}-")}
    assert len(rows) == 5
    for rid, (n, _layers, loss_s, _step) in rows.items():
        tail_s = 2 * (n - 1) / n * chunk_b / dcn
        assert tail_s < 0.02 * loss_s, (rid, tail_s, loss_s)


# ---- Rechecked 2026-12-04 (multislice, issue 10): libtpu's Megascale defaults, the not-overlapped case ----
# The v5e / v5p scripts at the README's commits set the data-parallel overlap flags (configs/v5e/16b.sh and 32b.sh,
# configs/v5p/128b.sh at 0777510), so the DCN all-reduce is scheduled to overlap in every series. A public MaxText
# benchmark note (code index id 70690007450; TPU7x, MaxText ce38f6b, libtpu 0.0.44.1) saw a 1 -> 2 slice loss equal
# to the exposed all-reduce with every overlap flag false, and names two libtpu defaults the model lacks: Megascale
# host reduction (the DCN sum done by the host CPU) and a best measured DCN all-reduce of 236 of a host's 400 Gbps.
# Both cost in proportion to the bytes; the two tests below bound them against the v5e rows.

ACHIEVED_DCN_SHARE = 236 / 400
"""The note's best measured DCN all-reduce rate over its host's line rate (2 x 200 Gbps): 59%. Another chip and
libtpu than the v5e rows' (the note's own job reached 137 Gbps with a single NIC's worth of traffic): a bound only."""


@pytest.mark.parametrize(
    ("model", "params", "exposed_s", "loss_s"),
    [
        ("16b", P_16B, (0.13, 0.26), (0.30, 1.21)),
        ("32b", P_32B, (0.27, 0.52), (0.38, 1.30)),
        ("64b", P_64B, (0.53, 1.03), (0.77, 2.61)),
    ],
)
def test_fp32_allreduce_exposed_at_the_measured_dcn_share_is_below_every_v5e_loss(
    results: dict[str, RunResult], model: str, params: float, exposed_s: tuple[float, float],
    loss_s: tuple[float, float]
) -> None:
    """The worst case of both Megascale defaults: the fp32 gradient shard (4 B x params / 256 chips), fully exposed,
    in a ring over the N slices at 59% of the cited 3.125e9 B/s per chip. It stays below the published loss at every
    slice count (the figures the runs file's v5e block quotes, 2 and 32 slices)."""
    dcn = get_device("tpu-v5e").scaleout_bandwidth_byte_per_s
    assert dcn is not None
    one = results[f"maxtext-v5e-{model}-x1"].published_step_s
    exposed, loss = [], []
    for n in (2, 4, 8, 16, 32):
        loss.append(results[f"maxtext-v5e-{model}-x{n}"].published_step_s - one)
        exposed.append(2 * (n - 1) / n * (4 * params / 256) / (ACHIEVED_DCN_SHARE * dcn))
        assert exposed[-1] < loss[-1], (model, n, exposed[-1], loss[-1])
    assert (round(exposed[0], 2), round(exposed[-1], 2)) == exposed_s
    assert (round(loss[0], 2), round(loss[-1], 2)) == loss_s


def test_per_layer_loss_does_not_follow_the_gradient_bytes_per_layer(results: dict[str, RunResult]) -> None:
    """The 16B and 32B columns have 32 layers each and the 32B's layer holds 2.00x the 16B's gradient bytes (emb 8192
    against 4096, the same 64 x 128 attention width and mlp 28672), yet its per-layer loss is only 1.07-1.53x the
    16B's at 2-32 slices: a cost in proportion to the bytes (DCN rate, host reduction, gradient dtype) scales both
    columns alike and cannot fit both."""
    bytes_ratio = _layer_params(8192, 64 * 128, 28672) / _layer_params(4096, 64 * 128, 28672)
    assert round(bytes_ratio, 2) == 2.00
    losses = _multislice_losses(results)
    ratios = []
    for n in (2, 4, 8, 16, 32):
        _n16, layers16, loss16, _s16 = losses[f"maxtext-v5e-16b-x{n}"]
        _n32, layers32, loss32, _s32 = losses[f"maxtext-v5e-32b-x{n}"]
        ratios.append((loss32 / layers32) / (loss16 / layers16))
    assert (round(min(ratios), 2), round(max(ratios), 2)) == (1.07, 1.53)
    assert max(ratios) < 0.8 * bytes_ratio


def test_v5e_128b_allreduce_left_exposed_is_refuted_at_two_slices_and_short_at_32(
    results: dict[str, RunResult]
) -> None:
    """rmisc (2026-12-05), issue 10's lead for maxtext-v5e-128b-x32: the cross-slice gradient all-reduce not hidden
    behind compute. Sized at its worst: fp32 (base.yml weight_dtype float32), each chip's 1/256 shard in a ring over the
    N slices at 100% of Google's per-host DCN figure (Cloud TPU 'TPU v5e' page: 2 x 100 Gbps NIC per 8-chip host =
    3.125e9 B/s per chip). The 128B column's published losses over x1 (README MFUs through the model's FLOPs) refute
    it where the all-reduce is largest against the loss: on 2 slices it would take 10x the published loss and on 4
    slices 3.2x, so there it is hidden; on 32 slices it is 40% of the loss, and charged there in full the row would
    be -15.5% with the x1 row's -6.0% under it (the model's step is the same 13.504 s on 1-32 slices since
    rtpuaxis; -24.7% and -17.2% at 11.893 s before)."""
    dcn = get_device("tpu-v5e").scaleout_bandwidth_byte_per_s
    assert dcn == pytest.approx(2 * 100e9 / 8 / 8)
    params = run_query(ROWS["maxtext-v5e-128b-x1"]).model.params_total()
    one = results["maxtext-v5e-128b-x1"].published_step_s
    ratio = {}
    for n in (2, 4, 32):
        loss = results[f"maxtext-v5e-128b-x{n}"].published_step_s - one
        ratio[n] = 2 * (n - 1) / n * (4 * params / 256) / dcn / loss
    row = results["maxtext-v5e-128b-x32"]
    exposed_32 = ratio[32] * (row.published_step_s - one)
    charged = (row.predicted_step_s + exposed_32) / row.published_step_s - 1
    assert ratio[2] > 5 and ratio[4] > 3 and ratio[32] < 0.5 and charged > -0.25
    note = ROWS["maxtext-v5e-128b-x32"]["note"]
    for figure in (f"{ratio[2]:.0f}x", f"{ratio[4]:.1f}x", f"{ratio[32]:.0%} of", f"{exposed_32:.2f} s",
                   f"{charged:+.1%}"):
        assert figure in note, figure
