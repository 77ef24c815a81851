"""TPU Multislice: FSDP inside each ICI slice, data parallelism across slices over the data-center network (DCN).

The cross-slice gradient all-reduce of each chip's 1/g gradient shard runs at the per-chip DCN bandwidth of the
catalog (TPU v5e: 2 x 100 Gb/s NICs per 8-chip host = 6.4 Tb/s per 256-chip pod = 3.125e9 B/s per chip, Google Cloud
'TPU v5e' page; v5p: 50 Gb/s per chip, 'TPU v5p' page). The expected times below are written from the formula
(Thakur et al. 2005 ring all-reduce, the faster of ring and tree), not read back from the code.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from conftest import explain_terms, run_main

from accelopt.errors import InputError
from accelopt.hardware.catalog import get_device
from accelopt.predict.calibration import calibration_for, load_calibrations
from accelopt.predict.comm import DEFAULT_SCALEOUT_LATENCY_S
from accelopt.predict.query import LayoutQuery, predict_layout
from accelopt.predict.validation import read_runs, reproduce, run_query
from accelopt.workload.transformer import TransformerConfig

# MaxText's 64B config on v5e (configs/v5e/64b.sh; global_parameter_scale 64: 64 layers, emb 8192, mlp 28672).
MODEL = TransformerConfig(name="maxtext-64b", layers=64, hidden=8192, heads=64, ffn=28672, vocab=32000, seq_len=2048,
                          mlp="swiglu")
SLICE = 256
TOL = 0.01  # relative, stated before measuring: the parameter count below leaves out biases-free details only


def _params(m: TransformerConfig) -> float:
    """Parameters: per layer Q,K,V,O (4 h^2), SwiGLU MLP (3 h f), two norms (2 h); untied embedding and output
    (2 V h) and the final norm (h)."""
    return m.layers * (4 * m.hidden**2 + 3 * m.hidden * m.ffn + 2 * m.hidden) + 2 * m.vocab * m.hidden + m.hidden


def _ring_or_tree_s(n_bytes: float, p: int, bw: float, lat: float) -> float:
    ring = 2 * (p - 1) / p * n_bytes / bw + 2 * (p - 1) * lat
    tree = 2 * n_bytes / bw + 2 * math.log2(p) * lat
    return min(ring, tree)


def _query(slices: int, *, overlap: bool = True, hardware: str = "tpu-v5e", slice_devices: int = SLICE,
           hsdp: int = SLICE, tp: int = 1) -> LayoutQuery:
    devices = slices * (slice_devices or SLICE)
    return LayoutQuery(model=MODEL, hardware=hardware, devices=devices, tp=tp, mbs=2, zero=3, recompute="full",
                       sp=tp > 1, overlap=overlap, hsdp=hsdp, slice_devices=slice_devices, seq_len=2048,
                       global_batch_seqs=2 * devices // tp, stack="maxtext")


def test_v5e_dcn_figure_is_cited_per_chip() -> None:
    spec = get_device("tpu-v5e")
    assert spec.scaleout_bandwidth_byte_per_s == pytest.approx(6.4e12 / 8 / 256)  # 6.4 Tb/s per 256-chip pod
    src = spec.sources["scaleout_bandwidth_byte_per_s"]
    assert "2 x 100 Gbps" in src and "6.4 Tbps" in src and "cloud.google.com/tpu/docs/v5e" in src


@pytest.mark.parametrize("slices", [2, 4, 32])
def test_cross_slice_allreduce_is_priced_at_the_dcn_bandwidth(slices: int) -> None:
    spec = get_device("tpu-v5e")
    cal = calibration_for(spec, load_calibrations(), "maxtext")
    shard_bytes = 2.0 * _params(MODEL) / SLICE  # bf16 gradients, reduce-scattered over the slice's 256 chips first
    dcn = spec.scaleout_bandwidth_byte_per_s * cal.scaleout_bw_eff
    want = _ring_or_tree_s(shard_bytes, slices, dcn, DEFAULT_SCALEOUT_LATENCY_S)
    got = predict_layout(_query(slices)).terms["t_dp_comm_raw_s"]
    assert got == pytest.approx(want, rel=TOL)


def test_step_time_rises_with_slices_by_the_dcn_term_when_not_overlapped() -> None:
    """At fixed per-slice work (same per-chip batch), without overlap each added slice count adds exactly its
    cross-slice all-reduce; one slice has none."""
    one = predict_layout(_query(1, overlap=False)).terms
    assert one["t_dp_comm_raw_s"] == 0.0
    prev = one["step_time_s"]
    for slices in (2, 8, 32):
        t = predict_layout(_query(slices, overlap=False)).terms
        assert t["step_time_s"] - one["step_time_s"] == pytest.approx(t["t_dp_comm_raw_s"], rel=1e-9)
        assert t["step_time_s"] > prev
        prev = t["step_time_s"]


def test_overlapped_dcn_allreduce_hides_behind_the_backward() -> None:
    """Multislice docs: XLA overlaps the DCN communication with computation; the model subtracts overlap_eff x the
    backward pass (here far longer than the ~0.4 s all-reduce), so the overlapped step does not grow."""
    t = predict_layout(_query(32)).terms
    assert t["t_dp_comm_raw_s"] > 0.1 and t["t_dp_comm_s"] == 0.0


def test_removing_the_dcn_figure_falls_back_to_a_printed_default() -> None:
    spec = get_device("tpu-v5e")
    bare = replace(spec, scaleout_bandwidth_byte_per_s=None,
                   sources={k: v for k, v in spec.sources.items() if k != "scaleout_bandwidth_byte_per_s"})
    from accelopt.predict.training import Layouts, evaluate

    res = predict_layout(_query(2))
    with_fig = evaluate(res.setup, spec, Layouts.of([res.layout]), res.cal)
    without = evaluate(res.setup, bare, Layouts.of([res.layout]), res.cal)
    assert without.terms["t_dp_comm_raw_s"][0] < with_fig.terms["t_dp_comm_raw_s"][0] / 3  # 12.5e9 vs 3.125e9 B/s
    assert any(a.field == "scaleout_bandwidth_byte_per_s" for a in without.assumed)
    assert not any(a.field == "scaleout_bandwidth_byte_per_s" for a in with_fig.assumed)


def test_slices_inside_one_v5p_pod_still_talk_over_dcn() -> None:
    """Two v5p-128 slices (64 chips each) sit inside one 8960-chip pod; without --slice-devices the model would send
    their gradient all-reduce over ICI. With it, the shard crosses at v5p's 50 Gb/s per chip."""
    spec = get_device("tpu-v5p")
    cal = calibration_for(spec, load_calibrations(), "maxtext")
    sliced = predict_layout(_query(2, hardware="tpu-v5p", slice_devices=64, hsdp=16, tp=4))
    whole = predict_layout(_query(2, hardware="tpu-v5p", slice_devices=0, hsdp=16, tp=4))
    shard_bytes = 2.0 * _params(MODEL) / 64  # over tp 4 x FSDP 16 in a slice
    want = _ring_or_tree_s(shard_bytes, 2, spec.scaleout_bandwidth_byte_per_s * cal.scaleout_bw_eff,
                           DEFAULT_SCALEOUT_LATENCY_S)
    assert sliced.terms["t_dp_comm_raw_s"] == pytest.approx(want, rel=TOL)
    assert whole.terms["t_dp_comm_raw_s"] < want / 10  # ICI: 600e9 B/s per direction
    assert any("ICI slices of 64" in n for n in sliced.notes)


def test_slice_larger_than_the_domain_is_an_input_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(InputError, match="--slice-devices 512"):
        predict_layout(_query(1, slice_devices=512, hsdp=512))
    code, _, err = run_main(["plan", "explain", "--model", "llama3-8b", "--hardware", "tpu-v5e", "--devices", "512",
                             "--slice-devices", "512"], capsys)
    assert code == 2 and "--slice-devices 512" in err


def test_each_tpu_generation_is_calibrated_on_its_own_rows() -> None:
    """A generation is calibrated only by a fit on its own public rows (v4: PaLM; v6e: tpu-recipes Trillium)."""
    cals = load_calibrations()
    for name in ("tpu-v4", "tpu-v5e", "tpu-v5p", "tpu-v6e"):
        cal = calibration_for(get_device(name), cals, "maxtext")
        assert cal.family == f"google-tpu-{name.removeprefix('tpu-')}" and cal.calibrated("bf16"), name
        assert all(row.startswith(("palm-", f"maxtext-{name.removeprefix('tpu-')}-")) for row in cal.fitted_on), name


def _layout_flags(lay: dict[str, object]) -> list[str]:
    """`plan explain` flags of a `plan --json` layout."""
    recompute = {0: "none", 1: "selective", 2: "full"}.get(lay["recompute"], lay["recompute"])  # type: ignore[call-overload]
    return ["--tp", str(lay["tp"]), "--pp", str(lay["pp"]), "--cp", str(lay["cp"]), "--vp", str(lay["vp"]),
            "--mbs", str(lay["mbs"]), "--zero", str(lay["zero"]), "--recompute", str(recompute),
            "--hsdp", str(lay["hsdp"]), "--recompute-layers", str(lay["recompute_layers"])]


def test_plan_search_takes_slice_devices_as_plan_explain(capsys: pytest.CaptureFixture[str]) -> None:
    """`plan --slice-devices` (was only on `plan explain`): the search times its best layout over 2 v5p-128 slices
    (64 chips each, inside one pod) exactly as `plan explain --slice-devices` does (one model), with its sharded
    traffic crossing DCN, unlike the whole-pod domain; devices that are not whole slices are refused as in
    `plan explain`."""
    import json

    base = ["--model", "llama3-8b", "--hardware", "tpu-v5p", "--devices", "128", "--stack", "maxtext",
            "--global-batch", "1024"]
    code, out, err = run_main(["plan", *base, "--slice-devices", "64", "--top", "1", "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["slice_devices"] == 64
    best = doc["best"][0]
    flags = _layout_flags(best["layout"])
    code, out, err = run_main(["plan", "explain", *base, *flags, "--slice-devices", "64", "--json"], capsys)
    assert code == 0, err
    sliced = json.loads(out)
    assert sliced["prediction"]["step_time_s"] == pytest.approx(best["step_time_s"], rel=1e-9)
    code, out, err = run_main(["plan", "explain", *base, *flags, "--json"], capsys)
    assert code == 0, err

    def traffic_s(d: dict[str, object]) -> float:
        t = explain_terms(d)  # type: ignore[arg-type]
        return float(t["t_dp_comm_raw_s"] + t["t_zero3_comm_raw_s"])

    # the data-parallel / ZeRO traffic crosses DCN (v5p: 50 Gb/s per chip) only with slices
    assert traffic_s(json.loads(out)) < traffic_s(sliced)
    code, out, err = run_main(["plan", *base, "--slice-devices", "64", "--top", "1"], capsys)
    assert code == 0 and "ICI slices of 64" in out
    code, out, err = run_main(["plan", *base[:4], "--devices", "64..1024", "--slice-devices", "3"], capsys)
    assert code == 2 and "--devices 64 is not a whole number of slices (scale-up domains) of 3" in err and "fix:" in err
    code, out, err = run_main(["plan", *base[:4], "--slice-devices", "-1"], capsys)
    assert code == 2 and "--slice-devices -1" in err


@pytest.mark.parametrize(("hardware", "says", "never"), [
    ("tpu-v5e", "span 4 ICI slices of 4: collectives reduce inside each ICI slice over ICI", "NVLink"),
    # GPUs were told of 'ICI slices' and 'ICI' (a TPU term) for their NVLink / Infinity Fabric domains
    ("h100-sxm", "span 4 NVLink domains of 4: collectives reduce inside each NVLink domain over NVLink", "ICI"),
    ("mi300x", "span 4 Infinity Fabric domains of 4", "ICI"),
    ("gaudi2", "span 4 scale-up domains of 4: collectives reduce inside each scale-up domain over the scale-up link",
     "ICI"),
])
def test_slice_line_names_the_device_family_link(capsys: pytest.CaptureFixture[str], hardware: str, says: str,
                                                 never: str) -> None:
    args = ["--model", "gpt3-1.3b", "--hardware", hardware, "--devices", "16", "--slice-devices", "4"]
    code, out, err = run_main(["plan", "explain", *args], capsys)
    assert code == 0, err
    line = next(ln for ln in out.splitlines() if "devices span" in ln)
    assert says in line and never not in line
    code, out, err = run_main(["plan", *args, "--tokens", "1e9", "--top", "1"], capsys)
    assert code == 0, err
    line = next(ln for ln in out.splitlines() if "devices span" in ln)
    assert says in line and never not in line


def test_slice_help_is_device_neutral(capsys: pytest.CaptureFixture[str]) -> None:
    from accelopt.cli.plan import SLICE_HELP

    assert "GPU NVLink domain" in SLICE_HELP and "TPU ICI slice" in SLICE_HELP
    assert not SLICE_HELP.startswith("chips per ICI slice")  # was: a TPU-only description on every device


def test_v5e_multislice_loss_is_per_layer_and_beyond_the_dcn_allreduce() -> None:
    """The checked arithmetic behind the v5e multi-slice rows' notes (2026-11-30): the published loss against one
    slice is the same per layer for the 32B (32 layers) and 64B (64 layers) configs at every slice count (within 10%,
    stated before checking; same widths), and the model's raw cross-slice all-reduce, even exposed and doubled (fp32
    gradients), is below it: the DCN bandwidth at the cited figure cannot be the mechanism, so nothing is fitted."""
    rows = {r["id"]: r for r in read_runs()}
    step = {rid: reproduce(r).published_step_s for rid, r in rows.items() if rid.startswith("maxtext-v5e-")}
    for k in (2, 4, 8, 16, 32):
        per_layer = {m: (step[f"maxtext-v5e-{m}b-x{k}"] - step[f"maxtext-v5e-{m}b-x1"]) / m for m in (32, 64)}
        assert per_layer[32] == pytest.approx(per_layer[64], rel=0.10)
        for m in (32, 64):
            raw = float(predict_layout(run_query(rows[f"maxtext-v5e-{m}b-x{k}"])).terms["t_dp_comm_raw_s"])
            assert 2 * raw < per_layer[m] * m


def test_v5e_multislice_loss_is_not_proportional_to_the_gradient_bytes() -> None:
    """The README's 16B column (rows added 2026-11-30, s-tpu2): 32 layers like the 32B but emb 4096, so each layer
    sends half the 32B's gradient bytes across slices. Any bandwidth-bound mechanism (a lower DCN efficiency, fp32
    gradients) scales the loss per layer with those bytes: ratio 0.5. Published: 0.66-0.94 at 2-32 slices (checked
    2026-11-30), asserted above 0.6, clear of 0.5, while the model's raw all-reduce keeps the 0.5 ratio (within 2%):
    why no bandwidth mechanism is adopted for these rows."""
    rows = {r["id"]: r for r in read_runs()}
    step = {rid: reproduce(r).published_step_s for rid, r in rows.items() if rid.startswith("maxtext-v5e-")}

    def raw(m: int, k: int) -> float:
        return float(predict_layout(run_query(rows[f"maxtext-v5e-{m}b-x{k}"])).terms["t_dp_comm_raw_s"])

    for k in (2, 4, 8, 16, 32):
        loss = {m: step[f"maxtext-v5e-{m}b-x{k}"] - step[f"maxtext-v5e-{m}b-x1"] for m in (16, 32)}  # both 32 layers
        assert loss[16] / loss[32] > 0.6
        assert raw(16, k) / raw(32, k) == pytest.approx(0.5, rel=0.02)
