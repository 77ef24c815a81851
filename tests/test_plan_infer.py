"""`accelopt plan infer`: inference prediction per device (predict/inference.py, cli/plan_infer.py).

Published figures: Coral 'Edge TPU performance benchmarks', Table 1, Dev Board column
(https://coral.ai/docs/edgetpu/benchmarks/), in predict/data/published_inference_runs.csv.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import pytest
from conftest import run_main

from accelopt.errors import InputError
from accelopt.hardware.catalog import get_device
from accelopt.predict.inference import load_runtimes, plan_inference, run_precision, runtime_for
from accelopt.workload.types import Op, Workload


@functools.lru_cache(maxsize=16)
def _example(name: str, batch: int = 1, size: int | None = None) -> Workload:
    from accelopt.workload.inference_zoo import build_example, capture_inference

    return capture_inference(build_example(name, batch, size, meta=True))


@pytest.fixture(autouse=True, scope="module")
def _release_captures() -> Any:
    """Drop the cached workloads after this module, and collect, so that later timing tests (profile) do not
    pay for a full garbage collection of what this module built."""
    yield
    import gc

    from accelopt.workload.inference_zoo import clear_capture_cache

    _example.cache_clear()
    clear_capture_cache()
    gc.collect()


def _walk_keys(obj: Any) -> set[str]:
    if isinstance(obj, dict):
        return set(obj) | {k for v in obj.values() for k in _walk_keys(v)}
    if isinstance(obj, list):
        return {k for v in obj for k in _walk_keys(v)}
    return set()


# ---------------------------------------------------------------- training columns never appear
def test_inference_plan_has_no_training_columns(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "infer", "mobilenet-v2", "--hardware", "edge-tpu,h100-sxm,jetson-agx-orin",
                               "--batch", "1,8", "--json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    keys = _walk_keys(data)
    for training_only in ("zero", "train_time_s", "mem_grads_bytes", "mem_optimizer_bytes", "dp", "tokens"):
        assert training_only not in keys
    assert {"latency_s", "throughput_per_s", "energy_per_inference_j", "memory_total_bytes"} <= keys
    assert [p["batch"] for p in data["devices"][0]["points"]] == [1, 8]


def test_plan_with_inference_workload_points_to_plan_infer(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "inf.json"
    _example("mobilenet-v1").save(path)
    code, out, err = run_main(["plan", "--model", str(path), "--hardware", "edge-tpu", "--devices", "1"], capsys)
    assert code == 2
    assert "plan infer" in err and "zero" not in out.lower()
    # and the same file is planned by `plan infer` at its own batch
    code, out, err = run_main(["plan", "infer", str(path), "--hardware", "edge-tpu", "--batch", "1", "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["devices"][0]["points"][0]["batch"] == 1


def test_plan_with_an_inference_example_points_to_plan_infer(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "--model", "resnet50", "--hardware", "edge-tpu"], capsys)
    assert code == 2 and "plan infer resnet50" in err and out == ""


def test_profile_saved_inference_workload_is_planned(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """The issue's path: `profile --mode inference --save-workload` then `plan infer FILE`."""
    path = tmp_path / "mlp.json"
    code, _, err = run_main(["profile", "mlp", "--mode", "inference", "--steps", "3", "--warmup", "1",
                             "--save-workload", str(path), "--json"], capsys)
    assert code == 0, err
    code, out, err = run_main(["plan", "infer", str(path), "--hardware", "h100-sxm", "--batch", "16", "--json"], capsys)
    assert code == 0, err
    pt = json.loads(out)["devices"][0]["points"][0]
    assert pt["latency_s"] > 0 and pt["batch"] == 16
    # a different batch cannot be made from one saved batch
    code, _, err = run_main(["plan", "infer", str(path), "--hardware", "h100-sxm", "--batch", "1"], capsys)
    assert code == 2 and "--batch 16" in err


def test_train_workload_is_refused(tmp_path: Any) -> None:
    wl = Workload(name="t", ops=[Op(name="aten.mm", kind="matmul", flops=2e6, bytes_read=1e4, bytes_written=1e4,
                                    phase="backward")], meta={"params": 10, "mode": "train"})
    with pytest.raises(InputError, match="train mode"):
        plan_inference({1: wl}, [get_device("h100-sxm")], dtype="fp16")


# ---------------------------------------------------------------- precision as the device runs it
@pytest.mark.parametrize(("device", "asked", "runs", "risky"), [
    ("h100-sxm", "fp16", "fp16", False),
    ("edge-tpu", "fp32", "int8", True),          # int8 only (Coral docs)
    ("edge-tpu", "fp16", "int8", True),
    ("jetson-agx-orin", "fp16", "fp16", False),  # its Tensor Cores' fp16 (catalog formula, orin-fp16)
    ("jetson-agx-orin", "fp32", "fp32", False),
    ("qualcomm-ai100-pro", "fp32", "fp16", True),  # a narrower float: a (low) risk is said
    ("v100-sxm", "int8", "fp16", True),          # no integer peak: the narrowest float
    ("epyc-9654", "int8", "fp32", False),
    ("tpu-v5e", "fp16", "bf16", True),           # same width, another format: a low risk, said
])
def test_precision_rules(device: str, asked: str, runs: str, risky: bool) -> None:
    p = run_precision(get_device(device), asked)
    assert p.run == runs
    assert bool(p.quality_risk) is risky


def test_unknown_model_suggests_the_builtin_examples(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["plan", "infer", "mobilenetv2", "--hardware", "h100-sxm"], capsys)
    assert code == 2 and "mobilenet-v2" in err


def test_bad_dtype_is_an_input_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["plan", "infer", "kws-dscnn", "--hardware", "h100-sxm", "--dtype", "int3"], capsys)
    assert code == 2 and "fix:" in err


# ---------------------------------------------------------------- Edge TPU: int8 and weight streaming
def test_edge_tpu_runs_int8_and_streams_weights_beyond_8mb() -> None:
    spec = get_device("edge-tpu")
    rt = runtime_for(spec, load_runtimes())
    res = plan_inference({1: _example("resnet50")}, [spec], dtype="fp32").devices[0]
    pt = res.points[0]
    assert res.precision.run == "int8" and "int8" in res.precision.quality_risk
    params = 25_557_032  # ResNet-50 (He et al. 2016), counted independently by torchvision as 25.6 M
    assert pt.weights_bytes == params  # one byte per int8 weight
    assert pt.onchip_weights_bytes == pytest.approx(8e6)  # Coral compiler docs: ~8 MB parameter cache
    assert pt.streamed_weights_bytes == pytest.approx(params - 8e6)
    assert pt.weight_stream_s == pytest.approx((params - 8e6) / (500e6 * rt.link_eff))
    assert pt.op_classes[0].op_class == "weight-stream"  # streaming, not compute, bounds ResNet-50 here
    small = plan_inference({1: _example("mobilenet-v1")}, [spec], dtype="fp32").devices[0].points[0]
    assert small.streamed_weights_bytes == 0 and small.weight_stream_s == 0  # 4.2 M int8 weights fit in 8 MB


def test_edge_tpu_bert_falls_back_to_host_from_the_first_unsupported_op() -> None:
    """Coral: no Gather/BatchMatMul on the Edge TPU; everything from the first unsupported op runs on the CPU."""
    wl = _example("bert-base")
    res = plan_inference({1: wl}, [get_device("edge-tpu"), get_device("h100-sxm")], dtype="fp32",
                         host_resolver=get_device)
    tpu, gpu = res.devices
    assert tpu.host == "xeon-8480plus"
    assert tpu.points[0].host_ops > 0 and tpu.points[0].device_compute_s == 0  # the embedding is the first op
    assert tpu.points[0].streamed_weights_bytes == 0  # nothing runs on the Edge TPU, so no weights go to it
    assert gpu.points[0].host_ops == 0 and gpu.host is None


def test_per_op_fallback_counts_the_transfer_both_ways() -> None:
    """A per-op partition: one unsupported op between two device ops crosses the link twice."""
    from dataclasses import replace

    mm = Op(name="aten.mm", kind="matmul", flops=2 * 256**3, bytes_read=2 * 256 * 256 * 4,
            bytes_written=256 * 256 * 4, dtype="fp32")
    odd = Op(name="aten.special_op", kind="other", flops=0.0, bytes_read=256 * 256 * 4,
             bytes_written=256 * 256 * 4, dtype="fp32")
    wl = Workload(name="w", ops=[mm, odd, mm], meta={"params": 65536, "mode": "inference", "input_bytes": 0})
    rts = load_runtimes()
    rts = [replace(r, unsupported_ops=("aten.special_op",)) if r.family == "default" else r for r in rts]
    spec = get_device("h100-sxm")
    plan = plan_inference({1: wl}, [spec], dtype="fp16", runtimes=rts, host=get_device("xeon-8480plus"))
    pt = plan.devices[0].points[0]
    link = 31.5e9 * 0.80  # default family: PCIe 4.0 x16 x link_eff
    # out to the host: the first mm's output (fp16 = half the fp32 bytes); back: the odd op's output (the second
    # mm's weight lives on the device: it read the whole 2 x 256 x 256 input before)
    expected = (256 * 256 * 2) / link + (256 * 256 * 2) / link
    assert pt.transfer_s == pytest.approx(expected)
    assert pt.host_ops == 1 and pt.host_fallback_s > 0
    row = next(r for r in pt.op_classes if r.op_class == "transfer")
    assert row.bytes == 2 * 256 * 256 * 2  # the table shows what crosses (it printed 0 B)


def test_a_crossing_op_s_weights_do_not_cross_the_link() -> None:
    """An unsupported op reading a host-side table (an embedding: 50257 x 768 for GPT-2) after a device op: only
    the device op's output crosses (the whole table was charged to the link: 96.5 ms on an Edge TPU)."""
    from dataclasses import replace

    mm = Op(name="aten.mm", kind="matmul", flops=2 * 256**3, bytes_read=2 * 256 * 256 * 4,
            bytes_written=256 * 256 * 4, dtype="fp32")
    table = Op(name="aten.special_op", kind="embedding", flops=0.0, bytes_read=50257 * 768 * 4 + 256 * 256 * 4,
               bytes_written=256 * 768 * 4, dtype="fp32")
    wl = Workload(name="w", ops=[mm, table], meta={"params": 65536, "mode": "inference", "input_bytes": 0})
    rts = [replace(r, unsupported_ops=("aten.special_op",)) if r.family == "default" else r for r in load_runtimes()]
    plan = plan_inference({1: wl}, [get_device("h100-sxm")], dtype="fp16", runtimes=rts,
                          host=get_device("xeon-8480plus"))
    pt = plan.devices[0].points[0]
    assert pt.transfer_s == pytest.approx(256 * 256 * 2 / (31.5e9 * 0.80))  # mm's fp16 output over PCIe 4.0 x16


def test_edge_tpu_first_data_op_unsupported_runs_all_on_the_host(tmp_path: Any) -> None:
    """A GPT-2 (position ids from aten.arange, then aten.embedding, which the Edge TPU cannot run): nothing reads
    data on the device before the embedding, so the compiler delegates nothing: no link transfer, no invoke (it
    printed 'transfer | link | 0 ops | 96.5 ms | 0 B' and a 1 ms invoke)."""
    arange = Op(name="aten.arange", kind="memory", flops=0.0, bytes_read=0.0, bytes_written=1024.0, dtype="int64")
    emb = Op(name="aten.embedding", kind="embedding", flops=0.0, bytes_read=50257 * 768 * 4 + 1024,
             bytes_written=128 * 768 * 4, dtype="fp32")
    mm = Op(name="aten.mm", kind="matmul", flops=2 * 128 * 768 * 768, bytes_read=(128 + 768) * 768 * 4,
            bytes_written=128 * 768 * 4, dtype="fp32")
    wl = Workload(name="w", ops=[arange, emb, mm], meta={"params": 50257 * 768 + 768 * 768, "mode": "inference",
                                                        "input_bytes": 1024, "input_float": False})
    dev = plan_inference({1: wl}, [get_device("edge-tpu")], dtype="int8", host_resolver=get_device).devices[0]
    pt = dev.points[0]
    assert any(n.startswith("nothing runs on edge-tpu") for n in dev.notes)
    assert not any("stream over the host link" in n for n in dev.notes)  # the weights stay on the host
    assert pt.transfer_s == 0 and pt.invoke_overhead_s == 0 and pt.device_compute_s == 0
    assert pt.host_ops == 3 and pt.streamed_weights_bytes == 0
    assert {r.op_class for r in pt.op_classes}.isdisjoint({"transfer", "invoke"})


# ---------------------------------------------------------------- the arithmetic, recomputed
def test_one_gemm_latency_recomputed_by_hand() -> None:
    """Roofline of one [512,1024]x[1024,1024] GEMM on an H100 in fp16, recomputed from the catalog and the
    default family's values (not from the code's intermediate results)."""
    m, k, n = 512, 1024, 1024
    op = Op(name="aten.mm", kind="matmul", flops=2.0 * m * n * k, bytes_read=(m * k + k * n) * 4.0,
            bytes_written=m * n * 4.0, dtype="fp32")
    wl = Workload(name="gemm", ops=[op], meta={"params": k * n, "mode": "inference", "input_bytes": m * k * 4})
    pt = plan_inference({1: wl}, [get_device("h100-sxm")], dtype="fp16").devices[0].points[0]
    peak, bw = 989.5e12, 3.35e12  # H100 SXM datasheet: dense fp16 (1979 sparse halved), HBM3
    eff = 0.74 * op.flops / (op.flops + 0.5e9)
    t_compute = op.flops / (peak * eff)
    t_memory = (m * k + k * n + m * n) * 2 / (bw * 0.80)
    t_input = m * k * 2 / (31.5e9 * 0.80)
    assert pt.latency_s == pytest.approx(max(t_compute, t_memory) + 4e-6 + t_input, rel=1e-9)
    assert pt.weights_bytes == k * n * 2
    assert pt.memory_total_bytes == pytest.approx(k * n * 2 + (m * k + k * n + m * n) * 2 + 1e9)


def test_batch_raises_throughput_and_energy_per_inference_falls_on_a_gpu() -> None:
    res = plan_inference({b: _example("resnet50", b) for b in (1, 8)}, [get_device("h100-sxm")],
                         dtype="fp16").devices[0]
    p1, p8 = res.points
    assert p8.throughput_per_s > p1.throughput_per_s
    assert p8.energy_per_inference_j is not None and p1.energy_per_inference_j is not None
    assert p8.energy_per_inference_j < p1.energy_per_inference_j
    assert p1.cost_usd_per_million == pytest.approx(get_device("h100-sxm").price_usd_per_hour / 3600 * p1.latency_s
                                                    * 1e6)


# ---------------------------------------------------------------- latency budget
def test_latency_budget_ranks_only_devices_that_meet_it(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "infer", "resnet50", "--hardware",
                               "edge-tpu,jetson-agx-orin,h100-sxm,t4,l4,epyc-9654", "--batch", "1",
                               "--latency-budget-ms", "33", "--objective", "energy", "--json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    lat = {d["device"]: d["points"][0]["latency_s"] for d in data["devices"]}
    energy = {d["device"]: d["points"][0]["energy_per_inference_j"] for d in data["devices"]}
    ranked = data["ranked"]
    assert ranked, "some device meets 33 ms"
    assert all(lat[d] <= 0.033 for d in ranked)
    assert set(ranked) == {d for d, t in lat.items() if t <= 0.033}
    assert "edge-tpu" not in ranked and lat["edge-tpu"] > 0.033  # ResNet-50 streams 17.6 MB per inference
    vals = [energy[d] for d in ranked]
    assert vals == sorted(vals)


def test_no_device_meets_an_impossible_budget(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(["plan", "infer", "kws-dscnn", "--hardware", "h100-sxm,edge-tpu", "--batch", "1",
                             "--latency-budget-ms", "0.000001", "--json"], capsys)
    assert code == 0
    assert json.loads(out)["ranked"] == []


def test_builtin_examples_run_on_every_catalog_device() -> None:
    """Done-when: the built-in examples give latency, throughput, memory and energy (where a TDP exists) on every
    cataloged device, with the precision used."""
    from accelopt.hardware.catalog import default_catalog

    specs = list(default_catalog())
    for name in ("resnet50", "mobilenet-v2", "bert-base", "kws-dscnn"):
        plan = plan_inference({1: _example(name)}, specs, dtype="fp16", host_resolver=get_device)
        for d in plan.devices:
            pt = d.points[0]
            assert pt.latency_s > 0 and pt.throughput_per_s > 0 and pt.memory_total_bytes > 0
            assert pt.dtype in get_device(d.device).peak_flop_per_s
            spec = get_device(d.device)
            if spec.tdp_w is not None and (pt.host_ops == 0 or d.host is not None):
                assert pt.energy_per_inference_j is not None and pt.energy_per_inference_j > 0


# ---------------------------------------------------------------- validation against published figures
def test_edge_tpu_held_out_error_within_25_percent() -> None:
    """Tolerance stated before comparing (the issue's Done-when): held-out median |error| <= 25% on Coral's
    published Dev Board latencies; the worst held-out row carries its explanation in the CSV's note."""
    from accelopt.predict.inference_validation import median_abs_error, validate_inference, worst

    res = validate_inference()
    held = [r for r in res if not r.fitted]
    assert len(held) >= 4
    assert median_abs_error(res) <= 0.25
    bad = worst(res)
    assert bad is not None and bad.note


def test_t4_resnet50_throughput_within_25_percent() -> None:
    """Tolerance stated before comparing: 25%. Dell XE2420 blog (2020-11-04): 4x T4 classify 25,141 images/s on
    ResNet-50 (MLPerf Inference v0.7) = 6,285 per T4; the 'default' family is not fitted on any inference row."""
    from accelopt.predict.inference_validation import validate_inference

    row = next(r for r in validate_inference() if r.id == "dell-xe2420-t4-resnet50")
    assert not row.fitted and row.published == 6285
    assert abs(row.error) <= 0.25


@pytest.mark.xfail(reason="no published Jetson or NPU inference rows in the runs file yet: the 'jetson' and "
                          "'unified-npu' families carry training-calibration efficiencies, unvalidated for inference",
                   strict=True)
def test_jetson_inference_is_validated() -> None:
    from accelopt.predict.inference_validation import validate_inference

    assert any(r.hardware.startswith("jetson") and not r.fitted for r in validate_inference())


def test_validate_inference_cli(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["validate", "--inference", "--json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert data["median_abs_error_held_out"] <= 0.25
    held = [r for r in data["runs"] if not r["fitted"]]
    assert data["worst_held_out"] == max(held, key=lambda r: abs(r["error"]))["id"]


def test_every_plan_infer_flag_is_in_the_readme(capsys: pytest.CaptureFixture[str]) -> None:
    import re
    from pathlib import Path

    code, out, _ = run_main(["plan", "infer", "--help"], capsys)
    assert code == 0
    flags = set(re.findall(r"(--[a-z][a-z-]+)", out)) - {"--help"}
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert {"--batch", "--latency-budget-ms", "--dtype"} <= flags
    assert [f for f in sorted(flags) if f not in readme] == []


def test_html_page_renders_the_same_result(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    page = tmp_path / "infer.html"
    code, out, err = run_main(["plan", "infer", "kws-dscnn", "--hardware", "edge-tpu,l4", "--batch", "1",
                               "--latency-budget-ms", "5", "--json", "--html", str(page)], capsys)
    assert code == 0, err
    data = json.loads(out)
    text = page.read_text(encoding="utf-8")
    assert "inference per device and batch" in text and "<svg" in text and "estimate" in text
    assert "precision as each device runs it" in text  # the Edge TPU runs int8, not the fp16 asked
    for d in data["devices"]:
        assert d["device"] in text


@pytest.mark.parametrize(("text", "says"), [
    ("id,hardware,model\nx,t4,resnet50\n", "lacks the column"),
    ("id,hardware,model,input_size,batch,dtype,metric,published,role,source\n"
     "x,t4,resnet50,224,1,int8,fps,10,test,s\n", "metric"),
    ("id,hardware,model,input_size,batch,dtype,metric,published,role,source\n"
     "x,t4,resnet50,224,1,int8,latency_ms,-3,test,s\n", "positive"),
    ("id,hardware,model,input_size,batch,dtype,metric,published,role,source,note\n"
     "x,t4,resnet50,224,1,int8,latency_ms,3,test,s,a, b\n", "more cells"),
])
def test_bad_inference_runs_file_is_an_input_error(tmp_path: Any, capsys: pytest.CaptureFixture[str], text: str,
                                                   says: str) -> None:
    f = tmp_path / "runs.csv"
    f.write_text(text, encoding="utf-8")
    code, _, err = run_main(["validate", "--inference", "--runs", str(f)], capsys)
    assert code == 2 and says in err and "fix:" in err


def test_bad_runtimes_file_is_an_input_error(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "rt.toml"
    f.write_text('[family.x]\nmatch = ["*"]\nmatmul_eff_max = 1.5\n', encoding="utf-8")
    code, _, err = run_main(["plan", "infer", "kws-dscnn", "--hardware", "t4", "--runtimes", str(f)], capsys)
    assert code == 2 and "fix:" in err


_DATA_DEPENDENT = '''
import torch
from torch import nn
from accelopt.workload.userfile import ModelBundle


class Gate(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(16, 16)

    def forward(self, x):
        if float(x.sum().item()) > -1e30:  # data-dependent Python: cannot run on the meta device
            x = self.fc(x)
        return x


def build(batch_size=4, seq_len=None):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(batch_size, 16, generator=g)
    return ModelBundle(name="gate", model=Gate(), batches=lambda: iter([(x, torch.zeros(batch_size).long())]),
                       loss_fn=lambda out, t: out.sum(), batch_size=batch_size)
'''


def test_a_model_that_cannot_run_on_meta_is_captured_on_the_cpu(tmp_path: Any,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "gate.py"
    f.write_text(_DATA_DEPENDENT, encoding="utf-8")
    code, out, err = run_main(["plan", "infer", f"{f}:build", "--hardware", "t4", "--batch", "2", "--json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert any("captured on the CPU" in n for n in data["notes"])
    pt = data["devices"][0]["points"][0]
    mm = next(c for c in pt["op_classes"] if c["op_class"] == "matmul")
    assert mm["flops"] == 2 * 2 * 16 * 16  # the Linear of the batch of 2 was captured (on the CPU)


def test_console_memory_reads_as_on_the_page(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """The memory column printed 612 MB where the --html page shows the same bytes as 584 MiB."""
    page = tmp_path / "p.html"
    code, out, err = run_main(["plan", "infer", "resnet50", "--hardware", "jetson-agx-orin", "--batch", "1",
                               "--html", str(page)], capsys)
    assert code == 0, err
    text = page.read_text(encoding="utf-8")
    header = next(line for line in out.splitlines() if "memory" in line and line.startswith("┃"))
    col = [c.strip() for c in header.split("┃")].index("memory")
    rows = [line for line in out.splitlines() if line.startswith("│ jetson-agx-orin")]
    cells = [[c.strip() for c in row.split("│")][col] for row in rows]
    assert cells and all(c.endswith("iB") and f">{c}<" in text for c in cells), cells


def test_fixes_name_plan_infers_own_options(monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """A batch too large to capture said 'use a smaller --batch-size (or --seq-len / --size)' and a BERT sequence
    past 512 'pass --size 512 or less': plan infer's options are --batch and --input-size (--size is a zoo size)."""
    code, _, err = run_main(["plan", "infer", "bert-base", "--input-size", "1000", "--hardware", "t4"], capsys)
    assert code == 2 and "pass --input-size 512 or less" in err
    import accelopt.cli.plan_infer as cli

    def no_memory(*a: Any, **k: Any) -> Any:
        raise MemoryError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 6021119939788 bytes")

    monkeypatch.setattr(cli, "_workloads", no_memory)
    code, _, err = run_main(["plan", "infer", "resnet50", "--batch", "99999999", "--hardware", "t4"], capsys)
    assert code == 2 and "--batch up to 99999999" in err and "use a smaller --batch (or --input-size)" in err
    assert "--batch-size" not in err


def test_list_models_refuses_options_it_would_drop(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """`plan infer --list-models --html x.html` printed the list and wrote no page, without a word."""
    page = tmp_path / "x.html"
    code, out, err = run_main(["plan", "infer", "--list-models", "--html", str(page)], capsys)
    assert code == 2 and out == "" and "--html would be ignored" in err and not page.exists()
    code, _, err = run_main(["plan", "infer", "resnet50", "--list-models", "--batch", "4"], capsys)
    assert code == 2 and "MODEL, --batch would be ignored" in err
    code, out, _ = run_main(["plan", "infer", "--list-models", "--json"], capsys)
    assert code == 0 and any(r["name"] == "resnet50" for r in json.loads(out)["models"])
