"""`plan serve --collectives FILE`: the scale-up link `probe --collectives` measured, fed to the serving model as
`plan` and `plan explain` take it (issue 10: every input of the predictor is a flag of all three commands)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict.calibration import calibration_for
from accelopt.predict.comm import DEFAULT_SCALEUP_LATENCY_S
from accelopt.workload.presets import get_model

# The published TP-8 serving row trt10-h200-l3.1-405b-tp8-128-2048 (published_serving_runs.csv: Llama 3.1 405B,
# 8 x H200, fp8 weights and KV cache, 128 in / 2048 out), at a fixed static batch so that only the link differs;
# through NCCL (--tp-allreduce nccl), whose tree chains the node (the engine's custom kernel is timed as a log2 tree).
ROW = ["plan", "serve", "--model", "llama3.1-405b", "--hardware", "h200", "--tp", "8", "--weight-dtype", "fp8",
       "--kv-dtype", "fp8", "--prompt", "128", "--output", "2048", "--batch", "64", "--tp-allreduce", "nccl"]
BATCH, TP = 64, 8


def _probe(tmp_path: Path, ranks: int = 8) -> tuple[Path, float, float]:
    """A spec TOML as `probe --collectives --save` writes it: (path, measured busbw B/s, latency s)."""
    from test_plan_layouts import _probe_file

    path, res = _probe_file(tmp_path, alpha=20e-6, bw=5e9, p=ranks)
    return path, res.link_bandwidth_byte_per_s, res.link_latency_s  # type: ignore[attr-defined]


def _allreduce_s(n_bytes: float, p: int, bw: float, lat: float) -> float:
    """The faster of a ring and a tree all-reduce (Thakur et al. 2005, Table 1), written out here, all p ranks in one
    scale-up domain: NCCL's tree is then a chain of 2 (p-1) steps (NVIDIA/nccl src/graph/tuning.cc)."""
    ring = 2 * (p - 1) * lat + 2 * (p - 1) / p * n_bytes / bw
    tree = 2 * (p - 1) * lat + 2 * n_bytes / bw
    return min(ring, tree)


def _decode_comm_s(bw: float, lat: float) -> float:
    """Decode step of the row: 2 all-reduces per layer of batch x hidden x 2 bytes over the 8 tensor-parallel ranks
    (Megatron-LM, Shoeybi et al. 2019, sec. 3)."""
    m = get_model("llama3.1-405b")
    return 2 * m.layers * _allreduce_s(BATCH * m.hidden * 2.0, TP, bw, lat)


def _point(out: str) -> dict:  # type: ignore[type-arg]
    doc = json.loads(out)
    return doc["results"][0]["points"][0]


def test_measured_link_sets_the_tp8_decode_all_reduces(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, bw, lat = _probe(tmp_path)
    code, out, err = run_main([*ROW, "--json"], capsys)
    assert code == 0, err
    base = _point(out)
    code, out, err = run_main([*ROW, "--json", "--collectives", str(path)], capsys)
    assert code == 0, err
    doc = json.loads(out)
    meas = doc["results"][0]["points"][0]
    # catalog: H200 NVLink x the hopper family's scaleup_bw_eff, the spec's latency (or comm's default)
    h200 = get_device("h200")
    assert h200.scaleup_bandwidth_byte_per_s is not None
    cat_bw = h200.scaleup_bandwidth_byte_per_s * calibration_for(h200).scaleup_bw_eff
    cat_lat = h200.scaleup_latency_s or DEFAULT_SCALEUP_LATENCY_S
    assert base["decode_step"]["comm_s"] == pytest.approx(_decode_comm_s(cat_bw, cat_lat), rel=1e-9)
    # measured: busbw and latency as measured (no efficiency applied)
    assert meas["decode_step"]["comm_s"] == pytest.approx(_decode_comm_s(bw, lat), rel=1e-9)
    # direction and size: a 4.2 GB/s link instead of ~380 GB/s makes every decode step slower by exactly the
    # difference of the all-reduce times (compute and memory terms do not depend on the link)
    extra = _decode_comm_s(bw, lat) - _decode_comm_s(cat_bw, cat_lat)
    assert extra > 0
    assert meas["tpot_s"] - base["tpot_s"] == pytest.approx(extra, rel=1e-6)
    assert meas["decode_step"]["memory_s"] == base["decode_step"]["memory_s"]
    # the JSON carries the measured link, and the latency default is no longer listed as assumed
    assert doc["measured_link"]["bandwidth_byte_per_s"] == bw and doc["measured_link"]["latency_s"] == lat
    assert doc["results"][0]["calibration"]["measured_link"]["ranks"] == 8
    assert not [a for a in meas["assumed"] if a["field"] == "scaleup_latency_s"]
    assert [a for a in base["assumed"] if a["field"] == "scaleup_latency_s"] or h200.scaleup_latency_s
    code, text, err = run_main([*ROW, "--collectives", str(path)], capsys)
    assert code == 0 and "(measured: 8 ranks" in text and "the scale-out link is the catalog's" in text, err


def test_measured_link_on_a_switchless_domain_is_shared_as_in_plan(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """gaudi2 (no switch): a TP-2 group reaches one pair link of a busbw measured over 4 cards, 1/3 of it
    (comm.measured_peer_bw), in the serving model as in `plan explain`; the same note, in the JSON too."""
    path, bw, lat = _probe(tmp_path, ranks=4)
    args = ["plan", "serve", "--model", "llama3-8b", "--hardware", "gaudi2", "--tp", "2", "--batch", "8",
            "--prompt", "128", "--output", "16", "--collectives", str(path), "--json"]
    code, out, err = run_main(args, capsys)
    assert code == 0, err
    doc = json.loads(out)
    m = get_model("llama3-8b")
    want = 2 * m.layers * _allreduce_s(8 * m.hidden * 2.0, 2, bw / 3, lat)
    assert doc["results"][0]["points"][0]["decode_step"]["comm_s"] == pytest.approx(want, rel=1e-9)
    notes = [n for n in doc["notes"] if "no switch" in n]
    assert len(notes) == 1 and f"2 devices {bw / 3 / 1e9:.4g} GB/s" in notes[0]


def test_moe_expert_exchange_uses_the_measured_link(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The MoE dispatch/combine inside the scale-up domain runs over the measured link: a slow measured link makes
    the exchange slower than over the catalog's NVLink."""
    path, _, _ = _probe(tmp_path)
    args = ["plan", "serve", "--model", "mixtral-8x7b", "--hardware", "h100-sxm", "--tp", "1", "--attention-dp", "8",
            "--ep", "8", "--batch", "64", "--prompt", "128", "--output", "16", "--json"]
    code, out, err = run_main(args, capsys)
    assert code == 0, err
    base = json.loads(out)["results"][0]["points"][0]["moe"]["exchange_decode_s"]
    code, out, err = run_main([*args, "--collectives", str(path)], capsys)
    assert code == 0, err
    meas = json.loads(out)["results"][0]["points"][0]["moe"]["exchange_decode_s"]
    assert meas > 10 * base > 0


@pytest.mark.parametrize(("content", "says"), [
    (None, "--collectives file"),  # no such file
    ("", "--collectives"),  # empty: no device in it (the error named neither the flag nor a probe spec)
    ("not toml [", "--collectives"),
])
def test_bad_collectives_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str | None,
                                      says: str) -> None:
    path = tmp_path / "probe.toml"
    if content is not None:
        path.write_text(content)
    code, _, err = run_main([*ROW, "--collectives", str(path)], capsys)
    assert code == 2 and "fix:" in err and says in err and "Traceback" not in err, err
    assert "probe --collectives" in err  # the fix says what file the flag takes


def _edited_probe(tmp_path: Path, bandwidth: str) -> Path:
    """A probe spec whose measured bus bandwidth was edited to `bandwidth` (as typed in the TOML)."""
    path, bw, _ = _probe(tmp_path)
    text = path.read_text()
    assert f"    {bw!r}," in text
    path.write_text(text.replace(f"    {bw!r},", f"    {bandwidth},"))
    return path


@pytest.mark.parametrize("bandwidth", ["0.0", "-4.2e9"])
@pytest.mark.parametrize("command", ["serve", "explain"])
def test_zero_or_negative_measured_bandwidth_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     bandwidth: str, command: str) -> None:
    """A measured 0 B/s link was accepted: `plan explain` printed every time as n/a and 'feasible' (exit 0), `plan
    serve` blamed the catalog ('lists no link bandwidth'). Both now stop, naming the flag and the figure."""
    path = _edited_probe(tmp_path, bandwidth)
    argv = ROW if command == "serve" else ["plan", "explain", "--model", "gpt3-1.3b", "--hardware", "h100-sxm",
                                           "--devices", "8", "--tp", "8"]
    code, _, err = run_main([*argv, "--collectives", str(path)], capsys)
    assert code == 2 and f"--collectives {path}" in err and "scaleup_bandwidth_byte_per_s" in err, err
    assert "fix:" in err and "catalog lists no link" not in err


def test_catalog_spec_without_a_measured_link_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    catalog = Path(__file__).resolve().parents[1] / "src" / "accelopt" / "hardware" / "catalog" / "data"
    some = sorted(catalog.glob("*.toml"))[0]
    code, _, err = run_main([*ROW, "--collectives", str(some)], capsys)
    assert code == 2 and "probe --collectives" in err and "fix:" in err, err


def test_collectives_without_any_collective_says_it_has_no_effect(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """On one device per replica no collective runs: the measured link was printed as if it had been used."""
    path, _, _ = _probe(tmp_path)
    args = ["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--batch", "8", "--prompt", "128",
            "--output", "16", "--collectives", str(path), "--json"]
    code, out, err = run_main(args, capsys)
    assert code == 0, err
    assert any("--collectives has no effect here" in n for n in json.loads(out)["notes"])
    code, out, err = run_main([*args[:-1], "--tp", "2", "--json"], capsys)
    assert code == 0 and not any("no effect" in n for n in json.loads(out)["notes"]), err


def test_measured_link_is_used_as_measured_where_the_spec_lists_no_scaleup_bandwidth(tmp_path: Path) -> None:
    """serving._link gave a measured link the scale-out efficiency (0.8) when the spec has a scale-up domain but no
    scale-up bandwidth: the measured figure was derated once more. Now it is used as measured, as in training."""
    from dataclasses import replace

    from accelopt.predict import serving
    from accelopt.predict.comm import load_measured

    path, bw, lat = _probe(tmp_path)
    spec = replace(get_device("h100-sxm"), scaleup_bandwidth_byte_per_s=None)
    cal = replace(serving.calibration_for_spec(spec), measured_link=load_measured(path), tp_allreduce="nccl")
    p = serving.predict_serving(get_model("llama3.1-405b"), spec, tp=TP, batch=BATCH, prompt_len=128, output_len=16,
                                weight_dtype="fp8", kv_dtype="fp8", calibration=cal, allow_oom=True)
    assert p.decode_step.comm_s == pytest.approx(_decode_comm_s(bw, lat), rel=1e-9)
