"""probe.py on the CPU for real (tiny sizes), planning for GPUs with torch.cuda mocked, the measured spec file."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from accelopt.errors import InputError, MeasurementError
from accelopt.hardware.catalog import get_device, load_catalog
from accelopt.hardware.detect import DetectedDevice, detect_cpu
from accelopt.measure import probe
from accelopt.measure.timing import Stats
from accelopt.units import MiB

TINY = probe.ProbeSettings(shapes={"fp32": [(64, 64, 64), (128, 96, 32)], "bf16": [(32, 32, 32)]},
                           shape_budget_s=0.02, max_call_s=1.0, stream_bytes=4 * MiB, stream_budget_s=0.05)


@pytest.fixture(scope="module")
def cpu_result() -> probe.ProbeResult:
    return probe.run_probe(detect_cpu(), settings=TINY)


def test_cpu_probe_measures_matmul_and_stream(cpu_result: probe.ProbeResult) -> None:
    metrics = [f.metric for f in cpu_result.figures]
    assert metrics == ["matmul.fp32", "matmul.bf16", "stream.copy", "stream.triad"]
    for f in cpu_result.figures:
        assert f.median > 0 and f.p10 <= f.median <= f.p90 and f.n >= 3
        assert f.catalog_peak is None and f.fraction_of_peak is None  # CPUs map to no catalog entry: n/a
    assert "best of 2 shape(s)" in cpu_result.get("matmul.fp32").detail  # type: ignore[union-attr]
    best, triad = cpu_result.best_matmul(), cpu_result.get("stream.triad")
    assert best is not None and triad is not None
    assert cpu_result.ridge_flop_per_byte == pytest.approx(best.median / triad.median)
    assert "3 arrays" in triad.detail and "4 MiB" in triad.detail


def test_figure_rates_from_times() -> None:
    stats = Stats.of([1.0, 2.0, 4.0])
    f = probe.figure_from_times("matmul.fp32", "FLOP/s", 8.0, stats, "d")
    # rate = work / time: median 8/2, slow end 8/p90(time), fast end 8/p10(time)
    assert f.median == 4.0 and f.p10 == pytest.approx(8 / 3.6) and f.p90 == pytest.approx(8 / 1.2)


def test_figure_spread_is_that_of_the_rates_shown() -> None:
    """The probe table's spread sat beside rate columns but was the times' spread: matmul.bf16 median 405, p10 21,
    p90 435 GFLOP/s printed 1835% where (p90 - p10) / median of the row is 102%."""
    stats = Stats.of([1.0, 1.0, 1.0, 1.0, 20.0])  # one slow repeat stretches the times' p90
    f = probe.figure_from_times("matmul.bf16", "FLOP/s", 8.0, stats, "d")
    assert f.spread == pytest.approx((f.p90 - f.p10) / f.median)
    assert f.spread < stats.spread


def test_older_probe_document_loads_with_spread_of_rates(cpu_result: probe.ProbeResult) -> None:
    """A version-3 document's spread (of the times) is recomputed from its rates when it loads."""
    from accelopt.report import schema

    doc = schema.dump("probe", cpu_result)
    assert doc["schema_version"] == 12
    legacy = {"FLOP/s": "flop_per_s", "B/s": "byte_per_s"}  # a figure's unit as versions 1-4 wrote it
    old = {**doc, "schema_version": 3,
           "figures": [{**f, "spread": 99.0, "unit": legacy[f["unit"]]} for f in doc["figures"]]}
    loaded = schema.load("probe", old)
    for f in loaded.figures:
        assert f.spread == pytest.approx((f.p90 - f.p10) / f.median)
    assert [f.unit for f in loaded.figures] == [f.unit for f in cpu_result.figures]


def test_a_figure_carries_its_unit_in_the_units_vocabulary(cpu_result: probe.ProbeResult) -> None:
    """A figure's unit was a free string ('flop_per_s') that the console, the HTML page and the JSON each mapped to
    the name fmt_quantity knows; it is now typed (units.RateUnit), written as such in the JSON (version 5), and
    a version-4 document's names load as the new ones."""
    from accelopt import units
    from accelopt.report import schema

    assert {f.unit for f in cpu_result.figures} == {"FLOP/s", "B/s"}
    doc = schema.dump("probe", cpu_result)
    assert [f["unit"] for f in doc["figures"]] == [f.unit for f in cpu_result.figures]
    assert schema.json_schema("probe")["$defs"]["Figure"]["properties"]["unit"]["enum"] == list(units.RATE_UNITS)
    v4 = {**doc, "schema_version": 4, "figures": [{**f, "unit": "flop_per_s" if f["unit"] == "FLOP/s" else
                                                   "byte_per_s"} for f in doc["figures"]]}
    assert [f.unit for f in schema.load("probe", v4).figures] == [f.unit for f in cpu_result.figures]
    with pytest.raises(ValueError, match="not one of"):
        probe.Figure(metric="x", unit="GB/s", median=1.0, p10=1.0, p90=1.0, spread=0.0, n=1,  # type: ignore[arg-type]
                     detail="")


def test_measured_spec_loads_as_device_and_catalog(cpu_result: probe.ProbeResult, tmp_path: Path) -> None:
    path = probe.save_spec(cpu_result, tmp_path / "m.toml")
    spec = get_device(str(path))
    assert spec.measured and spec.kind == "cpu"
    assert spec.peak("fp32") == pytest.approx(cpu_result.get("matmul.fp32").median)  # type: ignore[union-attr]
    assert spec.memory_bandwidth_byte_per_s == pytest.approx(cpu_result.get("stream.triad").median)  # type: ignore[union-attr]
    src = spec.source_of("peak_flop_per_s.fp32") or ""
    assert src.startswith("measured by accelopt probe on ") and "torch " in src
    assert spec.name in load_catalog([path])


def test_save_spec_rejects_non_toml(cpu_result: probe.ProbeResult, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"\.toml"):
        probe.save_spec(cpu_result, tmp_path / "m.txt")


def test_spec_needs_triad(cpu_result: probe.ProbeResult) -> None:
    partial = probe.ProbeResult(device=cpu_result.device, host="h", date="d", torch_version="t", quick=True,
                                threads=1, figures=cpu_result.matmul())
    with pytest.raises(MeasurementError, match="triad"):
        probe.spec_toml(partial)


def test_attach_peaks_uses_catalog_numbers(cpu_result: probe.ProbeResult) -> None:
    h100 = get_device("h100-sxm")
    figs = probe.attach_peaks(cpu_result.figures, h100)
    mm = next(f for f in figs if f.metric == "matmul.bf16")
    peak = h100.peak("bf16")
    assert peak is not None and mm.catalog_peak == peak and mm.fraction_of_peak == pytest.approx(mm.median / peak)
    tri = next(f for f in figs if f.metric == "stream.triad")
    assert tri.catalog_peak == h100.memory_bandwidth_byte_per_s


def test_check_dtypes() -> None:
    cpu = detect_cpu()
    assert probe.check_dtypes(cpu, None) == ["fp32", "bf16"]
    with pytest.raises(InputError, match="tf32"):
        probe.check_dtypes(cpu, ["tf32"])


def test_cpu_llc_from_sysfs(tmp_path: Path) -> None:
    # two CPUs sharing one 32 MiB L3, plus per-CPU L2 and an instruction cache that must not count
    for cpu in (0, 1):
        for idx, (level, kind, size) in enumerate([(1, "Instruction", "32K"), (2, "Unified", "512K"),
                                                   (3, "Unified", "32768K")]):
            d = tmp_path / f"cpu{cpu}" / "cache" / f"index{idx}"
            d.mkdir(parents=True)
            (d / "level").write_text(f"{level}\n")
            (d / "type").write_text(f"{kind}\n")
            (d / "size").write_text(f"{size}\n")
            (d / "shared_cpu_list").write_text("0-1\n" if level == 3 else f"{cpu}\n")
    assert probe.cpu_llc_bytes(tmp_path) == 32 * MiB
    settings = probe.settings_for(detect_cpu(), quick=True, llc_bytes=32 * MiB)
    assert settings.stream_bytes >= 4 * 32 * MiB or settings.stream_bytes * 16 >= (detect_cpu().memory_bytes or 0)


def test_parse_cache_size() -> None:
    assert probe._parse_cache_size("32768K") == 32 * MiB
    with pytest.raises(ValueError):
        probe._parse_cache_size("lots")


def test_host_copy_counts_bytes_once() -> None:
    import torch

    f = probe.measure_transfer(torch, "cpu", "cpu", 1 * MiB, pinned=False, budget_s=0.02, metric="h2d.pageable")
    assert f.unit == "B/s" and f.median > 0 and "1 MiB" in f.detail


def _gpu(index: int = 0, name: str = "NVIDIA A100-SXM4-80GB") -> DetectedDevice:
    return DetectedDevice(torch_device=f"cuda:{index}", kind="gpu", vendor="NVIDIA", name=name,
                          memory_bytes=80e9, index=index, catalog_name="a100-sxm-80gb")


def _fake_torch(count: int, capability: tuple[int, int], hip: str | None = None) -> Any:
    cuda = SimpleNamespace(is_available=lambda: count > 0, device_count=lambda: count,
                           get_device_capability=lambda i: capability)
    return SimpleNamespace(cuda=cuda, version=SimpleNamespace(hip=hip), __version__="2.11.0",
                           _scaled_mm=object(), float8_e4m3fn=object())


def test_gpu_plan_with_two_gpus_and_no_fp8() -> None:
    skipped: list[tuple[str, str]] = []
    dev = _gpu()
    settings = probe.settings_for(dev, quick=False, llc_bytes=40e6)
    steps = probe.build_steps(_fake_torch(2, (8, 0)), dev, list(probe.CUDA_DTYPES), settings, skipped)
    metrics = [s.metric for s in steps]
    assert metrics[:4] == ["matmul.fp32", "matmul.tf32", "matmul.bf16", "matmul.fp16"]
    assert {"h2d.pinned", "h2d.pageable", "d2h.pinned", "d2h.pageable"} <= set(metrics)
    assert {"d2d.cuda:0->cuda:1", "d2d.cuda:1->cuda:0"} <= set(metrics)
    assert skipped == [("matmul.fp8", "fp8 tensor cores need compute capability 8.9 or newer (this GPU is 8.0)")]
    assert settings.stream_bytes >= 4 * 40e6
    assert probe.estimate_duration_s(steps) == pytest.approx(sum(s.budget_s for s in steps))


def test_gpu_plan_hopper_single_gpu_and_rocm() -> None:
    skipped: list[tuple[str, str]] = []
    dev = _gpu()
    steps = probe.build_steps(_fake_torch(1, (9, 0)), dev, ["bf16", "fp8"], probe.settings_for(dev, True, None),
                              skipped)
    assert [s.metric for s in steps][:2] == ["matmul.bf16", "matmul.fp8"]
    assert skipped == [("d2d", "needs 2 or more local GPUs (found 1)")]
    skipped = []
    steps = probe.build_steps(_fake_torch(1, (9, 4), hip="6.2"), dev, ["tf32", "fp8"],
                              probe.settings_for(dev, True, None), skipped)
    assert {m for m, _ in skipped} == {"matmul.tf32", "matmul.fp8", "d2d"}


@pytest.mark.gpu
def test_real_gpu_probe_quick() -> None:
    from accelopt.hardware.detect import find_device

    dev = find_device("cuda:0")
    result = probe.run_probe(dev, quick=True, dtypes=["bf16"])
    bf16 = result.get("matmul.bf16")
    assert bf16 is not None and bf16.median > 1e12
    assert result.get("h2d.pinned") is not None and result.get("stream.triad") is not None
    if dev.catalog_name:
        assert bf16.fraction_of_peak is not None and 0.2 < bf16.fraction_of_peak < 1.2


def test_matmul_sweep_stops_before_too_slow_shapes() -> None:
    import torch

    # 64^3 then 4096^3 (4096x the FLOP): with a 1 ms cap on one call the big shape is never run
    f = probe.measure_matmul(torch, "cpu", "fp32", [(64, 64, 64), (4096, 4096, 4096)], shape_budget_s=0.01,
                             max_call_s=1e-3)
    assert "best of 1 shape(s) at 64x64x64" in f.detail and "larger shapes skipped" in f.detail


class _CudaOnCpu:
    """torch with its CUDA boundary faked: tensors asked for on 'cuda:N' live on the CPU; synchronize,
    pin_memory and the TF32 switch are recorded."""

    def __init__(self) -> None:
        import torch

        self._torch = torch
        self.synced: list[str] = []
        self.pinned: list[bool] = []
        self.tf32_during_mm: list[bool] = []
        self.cuda = SimpleNamespace(synchronize=lambda d=None: self.synced.append(str(d)))
        self.backends = SimpleNamespace(cuda=SimpleNamespace(matmul=SimpleNamespace(allow_tf32=False)))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._torch, name)

    def _host(self, fn: Any, *a: Any, device: str = "cpu", pin_memory: bool = False, **k: Any) -> Any:
        self.pinned.append(pin_memory)
        return fn(*a, **k)

    def randn(self, *a: Any, **k: Any) -> Any:
        return self._host(self._torch.randn, *a, **k)

    def rand(self, *a: Any, **k: Any) -> Any:
        return self._host(self._torch.rand, *a, **k)

    def empty(self, *a: Any, **k: Any) -> Any:
        return self._host(self._torch.empty, *a, **k)

    def mm(self, *a: Any, **k: Any) -> Any:
        self.tf32_during_mm.append(self.backends.cuda.matmul.allow_tf32)
        return self._torch.mm(*a, **k)


def test_cuda_matmul_path_toggles_tf32_and_syncs_its_device() -> None:
    fake = _CudaOnCpu()
    f = probe.measure_matmul(fake, "cuda:1", "tf32", [(32, 32, 32)], shape_budget_s=0.01, max_call_s=1.0)
    assert f.metric == "matmul.tf32" and all(fake.tf32_during_mm)
    assert fake.backends.cuda.matmul.allow_tf32 is False  # restored after the measurement
    assert fake.synced and set(fake.synced) == {"cuda:1"}
    fake.tf32_during_mm.clear()
    probe.measure_matmul(fake, "cuda:0", "fp32", [(32, 32, 32)], shape_budget_s=0.01, max_call_s=1.0)
    assert fake.tf32_during_mm and not any(fake.tf32_during_mm)  # plain fp32 runs with TF32 off


def test_cuda_transfer_path_pins_host_side_and_syncs_both_gpus() -> None:
    fake = _CudaOnCpu()
    f = probe.measure_transfer(fake, "cpu", "cuda:0", 1 * MiB, pinned=True, budget_s=0.01, metric="h2d.pinned")
    assert fake.pinned == [True, False] and "pinned host memory" in f.detail
    fake = _CudaOnCpu()
    probe.measure_transfer(fake, "cuda:0", "cuda:1", 1 * MiB, pinned=False, budget_s=0.01, metric="d2d")
    assert fake.pinned == [False, False] and set(fake.synced) == {"cuda:0", "cuda:1"}


def test_spec_with_device_to_device_figures(cpu_result: probe.ProbeResult, tmp_path: Path) -> None:
    def d2d(metric: str, rate: float) -> probe.Figure:
        return probe.Figure(metric=metric, unit="B/s", median=rate, p10=rate, p90=rate, spread=0.0, n=3,
                            detail="x")

    gpu = _gpu()
    result = probe.ProbeResult(device=gpu, host="node1", date="2026-11-26", torch_version="2.11.0", quick=True,
                               threads=1, figures=[*cpu_result.figures, d2d("d2d.cuda:0->cuda:1", 4e11),
                                                   d2d("d2d.cuda:1->cuda:0", 3e11)])
    spec = get_device(str(probe.save_spec(result, tmp_path / "g.toml")))
    assert spec.kind == "gpu" and spec.scaleup_domain_devices == 2
    assert spec.scaleup_bandwidth_byte_per_s == 3e11  # the slowest pair
    src = spec.source_of("scaleup_bandwidth_byte_per_s")
    assert src == "measured by accelopt probe on node1, 2026-11-26, torch 2.11.0"
    assert (spec.source_of("scaleup_domain_devices") or "").startswith("local GPUs with device-to-device")


def test_ctrl_c_before_the_first_figure_says_so(monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Ctrl-C before the first figure printed nothing and exited 130 (run_probe re-raises KeyboardInterrupt when
    nothing was measured; typer turned it into a silent exit)."""
    from conftest import run_main

    def interrupted(step: probe.Step) -> probe.Step:
        def stop() -> probe.Figure:
            raise KeyboardInterrupt
        return dataclasses.replace(step, run=stop)

    monkeypatch.setattr(probe, "calibrate_steps",
                        lambda torch, device, steps, settings: [interrupted(s) for s in steps])
    code, _, err = run_main(["probe", "--quick", "--device", "cpu", "--no-save"], capsys)
    assert code == 130
    assert "interrupted (Ctrl-C) before the first figure was measured: nothing saved or recorded" in " ".join(
        err.split())


def test_cuda_matmul_ladder_runs_fp32_with_tf32_off() -> None:
    # the op-size ladder (probe --save's curve for plan infer) timed fp32 in whatever TF32 state torch was left in;
    # like the matmul sweep it measures fp32 as fp32, and syncs the device it measures
    fake = _CudaOnCpu()
    fake.backends.cuda.matmul.allow_tf32 = True  # a user's global setting
    points = probe.measure_ladder(fake, "cuda:1", "fp32", budget_s=0.002)
    assert [p.side for p in points] == list(probe.LADDER_SIDES)
    assert fake.tf32_during_mm and not any(fake.tf32_during_mm)
    assert fake.backends.cuda.matmul.allow_tf32 is True  # restored after
    assert set(fake.synced) == {"cuda:1"}


def test_a_gpu_spec_takes_what_the_probe_cannot_measure_from_its_catalog_entry(
        cpu_result: probe.ProbeResult, tmp_path: Path) -> None:
    """A one-GPU probe of an H200 (2026-12-04) wrote a spec with no links, TDP or compute capability: plan over 8
    such devices assumed 100 Gb/s Ethernet between them. The fields the probe cannot measure come from the catalog
    entry detected for the GPU, each citing that entry's source; measured figures win, and a catalog spec given only
    to compare with lends nothing."""
    h200 = DetectedDevice(torch_device="cuda:0", kind="gpu", vendor="NVIDIA", name="NVIDIA H200", memory_bytes=150e9,
                          index=0, catalog_name="h200")

    def saved(device: DetectedDevice, catalog: str, extra: list[probe.Figure], name: str) -> Any:
        result = probe.ProbeResult(device=device, host="node1", date="2026-12-04", torch_version="2.11.0",
                                   quick=True, threads=1, figures=[*cpu_result.figures, *extra], catalog_name=catalog)
        return get_device(str(probe.save_spec(result, tmp_path / name)))

    spec = saved(h200, "h200", [], "one.toml")
    cat = get_device("h200")
    assert spec.scaleup_domain_devices == 8 and spec.scaleup_bandwidth_byte_per_s == cat.scaleup_bandwidth_byte_per_s
    assert spec.tdp_w == 700 and spec.compute_capability == "9.0"
    assert spec.scaleout_bandwidth_byte_per_s == cat.scaleout_bandwidth_byte_per_s
    src = spec.source_of("scaleup_bandwidth_byte_per_s") or ""
    assert src.startswith("not measured by accelopt probe: the built-in catalog's h200 entry, which cites ")
    assert src.endswith(cat.source_of("scaleup_bandwidth_byte_per_s") or "?")
    assert spec.peak("bf16") == cpu_result.get("matmul.bf16").median  # type: ignore[union-attr]  # measured stays

    d2d = probe.Figure(metric="d2d.cuda:0->cuda:1", unit="B/s", median=3e11, p10=3e11, p90=3e11, spread=0.0, n=3,
                       detail="x")
    two = saved(h200, "h200", [d2d], "two.toml")
    assert two.scaleup_domain_devices == 2 and two.scaleup_bandwidth_byte_per_s == 3e11  # measured wins
    assert two.tdp_w == 700

    compared = saved(_gpu(), "h200", [], "compared.toml")  # an A100 probed with --compare h200
    assert compared.tdp_w is None and compared.scaleup_domain_devices == 1
