"""detect.py: CPU facts from /proc files, CUDA/ROCm through a mocked torch.cuda, product -> catalog table."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from accelopt.errors import InputError
from accelopt.hardware import detect
from accelopt.hardware.catalog import default_catalog


@pytest.mark.parametrize(("product", "catalog"), [
    ("NVIDIA H100 80GB HBM3", "h100-sxm"),
    ("NVIDIA H100 PCIe", "h100-pcie"),
    ("NVIDIA A100-SXM4-80GB", "a100-sxm-80gb"),
    ("NVIDIA A100-SXM4-40GB", "a100-sxm-40gb"),
    ("AMD Instinct MI300X", "mi300x"),
    ("  nvidia  h200 ", "h200"),
    ("Tesla T4", "t4"),
])
def test_product_names_map_to_catalog_entries(product: str, catalog: str) -> None:
    name, note = detect.catalog_name_for(product)
    assert name == catalog and note == ""


def test_every_table_target_is_in_the_catalog() -> None:
    cat = default_catalog()
    missing = sorted({t for t in detect.PRODUCT_TO_CATALOG.values() if t not in cat})
    assert missing == []


def test_unmapped_product_gets_no_catalog_entry() -> None:
    # an H100 NVL is a different card: it must not borrow the SXM or PCIe numbers
    name, note = detect.catalog_name_for("NVIDIA H100 NVL")
    assert name is None and "probe" in note


def test_table_target_missing_from_catalog_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(detect.PRODUCT_TO_CATALOG, "acme x1", "acme-x1-not-in-catalog")
    name, note = detect.catalog_name_for("ACME X1")
    assert name is None and "does not hold" in note


def test_cpu_model_name_from_cpuinfo(tmp_path: Path) -> None:
    f = tmp_path / "cpuinfo"
    f.write_text("processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) Platinum 8480+\n")
    assert detect.cpu_model_name(f) == "Intel(R) Xeon(R) Platinum 8480+"
    assert detect.cpu_vendor(detect.cpu_model_name(f)) == "Intel"


def test_cpu_model_name_falls_back_when_cpuinfo_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # no /proc/cpuinfo: the platform module's answer, then the machine type, never empty
    monkeypatch.setattr(detect.platform, "processor", lambda: "Test CPU 9000")
    assert detect.cpu_model_name(tmp_path / "absent") == "Test CPU 9000"
    monkeypatch.setattr(detect.platform, "processor", lambda: "")
    monkeypatch.setattr(detect.platform, "machine", lambda: "aarch64")
    assert detect.cpu_model_name(tmp_path / "absent") == "aarch64"
    monkeypatch.setattr(detect.platform, "machine", lambda: "")
    assert detect.cpu_model_name(tmp_path / "absent") == "unknown CPU"
    # a cpuinfo with an empty model name also falls back instead of returning ""
    (tmp_path / "blank").write_text("model name\t: \n")
    assert detect.cpu_model_name(tmp_path / "blank") == "unknown CPU"


def test_host_memory_from_meminfo(tmp_path: Path) -> None:
    f = tmp_path / "meminfo"
    f.write_text("MemTotal:       24683924 kB\nMemFree:  1 kB\n")
    assert detect.host_memory_bytes(f) == 24683924 * 1024


def _props(name: str, total: int, major: int = 9, minor: int = 0) -> Any:
    return SimpleNamespace(name=name, total_memory=total, major=major, minor=minor, multi_processor_count=132,
                           gcnArchName="gfx942")


def _fake_torch(names: list[str], hip: str | None = None) -> Any:
    cuda = SimpleNamespace(is_available=lambda: True, device_count=lambda: len(names),
                           get_device_properties=lambda i: _props(names[i], 80 * 2**30))
    return SimpleNamespace(cuda=cuda, version=SimpleNamespace(hip=hip, cuda=None if hip else "13.0"))


def test_detect_cuda_with_mocked_torch() -> None:
    devs = detect.detect_cuda(_fake_torch(["NVIDIA H100 80GB HBM3", "NVIDIA H100 NVL"]))
    assert [d.torch_device for d in devs] == ["cuda:0", "cuda:1"]
    assert devs[0].catalog_name == "h100-sxm" and devs[0].vendor == "NVIDIA" and devs[0].cores == 132
    assert devs[0].memory_bytes == 80 * 2**30 and "sm_90" in devs[0].note
    assert devs[1].catalog_name is None


def test_detect_rocm_build_reports_amd() -> None:
    (dev,) = detect.detect_cuda(_fake_torch(["AMD Instinct MI300X"], hip="6.2"))
    assert dev.vendor == "AMD" and dev.catalog_name == "mi300x" and "gfx942" in dev.note


def test_detect_cuda_none_when_unavailable() -> None:
    torch = SimpleNamespace(cuda=SimpleNamespace(is_available=lambda: False), version=SimpleNamespace(hip=None))
    assert detect.detect_cuda(torch) == []


def test_xla_found_by_spec_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(detect.importlib.util, "find_spec", lambda name: object() if name == "torch_xla" else None)
    (dev,) = detect.detect_xla()
    assert dev.kind == "xla" and dev.memory_bytes is None


def test_detect_devices_lists_cpu_first() -> None:
    devs = detect.detect_devices()
    assert devs[0].torch_device == "cpu" and devs[0].cores and devs[0].catalog_name is None


def test_find_device_unknown_names_choices() -> None:
    with pytest.raises(InputError, match="cuda:7") as e:
        detect.find_device("cuda:7", [detect.detect_cpu()])
    assert "cpu" in e.value.fix
    assert detect.find_device("cpu", [detect.detect_cpu()]).torch_device == "cpu"


@pytest.mark.gpu
def test_real_gpu_is_detected_with_memory() -> None:
    import torch

    devs = [d for d in detect.detect_devices() if d.kind == "gpu"]
    assert len(devs) == torch.cuda.device_count() and devs[0].memory_bytes and devs[0].memory_bytes > 1e9
    if devs[0].catalog_name:  # a mapped product: its catalog memory is within 15% of what the driver reports
        spec = default_catalog().get(devs[0].catalog_name)
        assert abs(devs[0].memory_bytes - spec.memory_bytes) / spec.memory_bytes < 0.15
