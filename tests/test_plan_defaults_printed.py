"""No silent fallbacks: a figure missing from a device spec is taken from a cited source, stops with an error naming
the field, or is a default printed beside the result and listed in the JSON; unmodelled config keys are warned."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import explain_terms, run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict.calibration import calibration_for

EXPLAIN = ["plan", "explain", "--model", "gpt3-175b", "--devices", "1024", "--tp", "8", "--pp", "8"]

# A device like an 8-GPU node whose spec lists no scale-up link (so the scale-out figure is used inside the node).
NO_SCALEUP = """
[[device]]
name = "node-no-nvlink"
kind = "gpu"
peak_flop_per_s = { bf16 = [989.4e12, "h100 datasheet"] }
memory_bytes = [85899345920, "80 GiB"]
memory_bandwidth_byte_per_s = [3.35e12, "h100 datasheet"]
scaleup_domain_devices = [8, "one node"]
scaleout_bandwidth_byte_per_s = [50e9, "NDR 400 Gb/s"]
"""


def _explain(capsys: pytest.CaptureFixture[str], hardware: str, *extra: str) -> tuple[int, dict, str]:
    code, out, err = run_main([*EXPLAIN, "--hardware", hardware, *extra, "--json"], capsys)
    return code, json.loads(out), err


def test_tpu_v4_tensor_parallel_uses_its_cited_ici_figure(capsys: pytest.CaptureFixture[str]) -> None:
    spec = get_device("tpu-v4")
    assert spec.scaleup_bandwidth_byte_per_s == 268.6e9 and "1.1 PB/s" in spec.sources["scaleup_bandwidth_byte_per_s"]
    _, d, _ = _explain(capsys, "tpu-v4")
    eff = calibration_for(spec).scaleup_bw_eff
    # tp = 8 inside the 4096-chip ICI domain: the ICI figure, not a 100 Gb/s Ethernet default (12.5e9 B/s)
    assert explain_terms(d)["in_tp_link_byte_per_s"] == pytest.approx(268.6e9 * eff, rel=1e-12)
    assert "scaleup_bandwidth_byte_per_s" not in {a["field"] for a in d["assumed"]}
    assert "scaleout_bandwidth_byte_per_s" not in {a["field"] for a in d["assumed"]}  # 1024 < 4096: never used


def test_missing_link_figures_are_printed_and_in_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    spec_file = tmp_path / "node.toml"
    spec_file.write_text(NO_SCALEUP, encoding="utf-8")
    _, d, _ = _explain(capsys, str(spec_file))
    fields = {a["field"]: a for a in d["assumed"]}
    assert fields["scaleup_bandwidth_byte_per_s"]["value"] == 50e9  # the scale-out figure, said so
    assert {"scaleup_latency_s", "scaleout_latency_s"} <= set(fields)
    assert "scaleout_bandwidth_byte_per_s" not in fields  # the spec has it
    code, out, _ = run_main([*EXPLAIN, "--hardware", str(spec_file)], capsys)
    assert code == 0
    assert "scaleup_bandwidth_byte_per_s = 5e+10 (assumed" in " ".join(out.split())
    # One device: no link is used, so no link default is reported.
    code, out, _ = run_main(["plan", "explain", "--model", "gpt3-125m", "--hardware", str(spec_file), "--devices",
                             "1", "--json"], capsys)
    assert code == 0
    assert json.loads(out)["assumed"] == []


def test_scale_out_default_is_reported_by_plan(capsys: pytest.CaptureFixture[str]) -> None:
    # MI350X lists no scale-out link (GB200's now comes from the DGX GB200 user guide, test_plan_pipeline_overlap;
    # MI300X's from Azure's ND MI300X v5 page since 2026-12-05, rcatlinks, and MI325X's, this test's device until then,
    # from MLPerf's 2-node MI325X system and AMD's validated NICs, utcat: test_catalog_scaleout_links)
    code, out, err = run_main(["plan", "--model", "gpt3-175b", "--hardware", "mi350x", "--devices", "1024",
                               "--top", "1", "--json"], capsys)
    assert code == 0, err
    assumed = json.loads(out)["assumed"]["mi350x"]
    assert {a["field"] for a in assumed} >= {"scaleout_bandwidth_byte_per_s"}
    assert [a["value"] for a in assumed if a["field"] == "scaleout_bandwidth_byte_per_s"] == [12.5e9]


def test_fp32_workload_on_tpu_v5e_is_an_error_naming_the_field(capsys: pytest.CaptureFixture[str],
                                                               tmp_path: Path) -> None:
    from accelopt.workload.types import Op, Workload

    p = tmp_path / "w.json"
    Workload(name="toy", meta={"params": 1e8, "batch_size": 4, "seq_len": 512, "dtype": "fp32"}, ops=[
        Op(name="mm", kind="matmul", flops=1e11, bytes_read=1e8, bytes_written=1e7, phase="forward")]).save(p)
    assert get_device("tpu-v5e").peak("fp32") is None and get_device("tpu-v5e").peak("bf16") is not None
    code, _, err = run_main(["plan", "--model", str(p), "--hardware", "tpu-v5e", "--devices", "1"], capsys)
    assert code == 2 and "peak_flop_per_s.fp32" in err and "fix:" in err
    # The same workload on a device that lists an fp32 peak runs at that peak (H100 SXM: 67 TFLOP/s, datasheet).
    code, out, err = run_main(["plan", "--model", str(p), "--hardware", "h100-sxm", "--devices", "1", "--json"],
                              capsys)
    assert code == 0, err
    one = json.loads(out)["layouts"][0]
    assert one["mfu"] == pytest.approx(1e11 / one["step_time_s"] / get_device("h100-sxm").peak("fp32"))


def _config(tmp_path: Path, **extra: object) -> Path:
    cfg = json.loads(Path("examples/hf_tiny_llama/config.json").read_text(encoding="utf-8"))
    cfg.update(extra)
    p = tmp_path / "config.json"
    p.write_text(json.dumps(cfg), encoding="utf-8")
    return p


@pytest.mark.parametrize("command", [["plan", "explain", "--devices", "1"], ["plan", "serve", "--batch", "1"]])
def test_unmodelled_config_keys_are_warned_and_listed(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                      command: list[str]) -> None:
    # DeepSeek-V3's multi-token-prediction layers and a vision tower: compute the predictor does not model.
    cfg = _config(tmp_path, num_nextn_predict_layers=1, vision_config={"hidden_size": 1152}, head_dim=64)
    code, out, err = run_main([*command, "--model", str(cfg), "--hardware", "h100-sxm", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["unused_config_keys"] == ["num_nextn_predict_layers", "vision_config"]
    assert "warning" in err and "num_nextn_predict_layers, vision_config" in err
    # head_dim other than hidden/heads and sliding windows are modelled now: no warning. The bundled example holds
    # only keys that are used or do not change the arithmetic.
    modelled = _config(tmp_path, head_dim=64, sliding_window=64, layer_types=["sliding_attention"] * 4)
    code, out, err = run_main([*command, "--model", str(modelled), "--hardware", "h100-sxm", "--json"], capsys)
    assert code == 0 and json.loads(out)["unused_config_keys"] == [] and "warning" not in err


def test_serving_and_training_share_the_link_rule_and_latency_default(capsys: pytest.CaptureFixture[str]) -> None:
    from accelopt.predict import comm
    from accelopt.predict.serving import DEFAULT_CALIBRATION, _link

    spec = get_device("h100-sxm")  # no latency in the catalog: the one default of predict/comm.py
    assert spec.scaleup_latency_s is None
    train = comm.Links.of(spec, calibration_for(spec))
    assert _link(spec, 8, DEFAULT_CALIBRATION, "tp").latency_s == train.up_lat == comm.DEFAULT_SCALEUP_LATENCY_S
    assert _link(spec, 16, DEFAULT_CALIBRATION, "pp").latency_s == train.out_lat == comm.DEFAULT_SCALEOUT_LATENCY_S
    code, out, err = run_main(["plan", "serve", "--model", "llama3-70b", "--hardware", "h100-sxm", "--tp", "8",
                               "--batch", "1", "--json"], capsys)
    assert code == 0, err
    point = json.loads(out)["results"][0]["points"][0]
    # no --engine: the custom all-reduce (serving.CUSTOM_ALLREDUCE_FIELD), measured on H100 only, is printed too
    assert [a["field"] for a in point["assumed"]] == ["scaleup_latency_s", "tp_allreduce_latency_s"]
    code, out, err = run_main(["plan", "serve", "--model", "llama3-70b", "--hardware", "h100-sxm", "--tp", "8",
                               "--batch", "1", "--tp-allreduce", "nccl", "--json"], capsys)
    assert code == 0, err
    assert [a["field"] for a in json.loads(out)["results"][0]["points"][0]["assumed"]] == ["scaleup_latency_s"]
    code, out, err = run_main(["plan", "serve", "--model", "llama3-8b", "--hardware", "h100-sxm", "--batch", "1",
                               "--json"], capsys)
    assert json.loads(out)["results"][0]["points"][0]["assumed"] == []  # one device: no link, no default
