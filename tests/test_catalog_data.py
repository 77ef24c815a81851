"""The built-in accelerator catalog: coverage, a source for every number, consistency, and
spot checks of famous figures against the vendor documents cited beside each assertion."""

from __future__ import annotations

import re

import pytest

from accelopt.hardware.catalog import default_catalog, get_device
from accelopt.hardware.spec import KINDS

REQUIRED = [
    "v100-sxm", "a100-sxm-40gb", "a100-sxm-80gb", "a100", "h100-sxm", "h100-pcie", "h200", "b200", "gb200",
    "l4", "t4", "l40s", "rtx-4090", "jetson-agx-orin", "mi250x", "mi300x", "mi325x", "tpu-v4", "tpu-v5e",
    "tpu-v5p", "tpu-v6e", "edge-tpu", "gaudi2", "gaudi3", "trainium1", "trainium2", "inferentia2",
]
SPECS = list(default_catalog())


def test_catalog_has_at_least_30_devices_and_every_kind() -> None:
    assert len(SPECS) >= 30
    assert {s.kind for s in SPECS} == set(KINDS)
    assert len([s for s in SPECS if s.kind == "fpga"]) >= 2
    assert len([s for s in SPECS if s.kind in ("asic", "npu") and s.vendor not in ("Intel", "AWS")]) >= 2


@pytest.mark.parametrize("name", REQUIRED)
def test_required_names_resolve(name: str) -> None:
    assert get_device(name).name in {s.name for s in SPECS}


def test_a100_alias_is_the_80gb_part() -> None:
    assert get_device("a100").name == "a100-sxm-80gb"


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_every_number_has_a_resolved_source(spec) -> None:  # type: ignore[no-untyped-def]
    assert re.fullmatch(r"[a-z0-9][a-z0-9+-]*", spec.name)
    for path in spec.numbers():
        src = spec.sources.get(path)
        assert src, f"{spec.name}: {path} has no source"
        # a [sources] key that was never defined would be left as a bare short key
        assert "http" in src or src.startswith(("Formula", "Derived")), f"{spec.name}: {path} source {src!r}"


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_consistency(spec) -> None:  # type: ignore[no-untyped-def]
    p = spec.peak_flop_per_s
    if "fp8" in p and "bf16" in p:
        assert p["fp8"] >= p["bf16"]
    if "bf16" in p and "fp32" in p:
        assert p["bf16"] >= p["fp32"]
    if "int8" in p and "bf16" in p:
        assert p["int8"] >= p["bf16"]
    if "int4" in p and "int8" in p:
        assert p["int4"] >= p["int8"]
    # 1e17 ceiling: Blackwell Ultra's dense FP4 is 13.5e15 (B300) and 15e15 (GB300) per GPU; a TFLOP/s slip is ~1e3
    assert all(1e11 <= v <= 1e17 for v in p.values()), "peaks are FLOP/s in SI (not TFLOP/s)"
    assert 1e6 <= spec.memory_bytes <= 1e13
    assert 1e8 <= spec.memory_bandwidth_byte_per_s <= 1e14
    if spec.idle_w is not None and spec.tdp_w is not None:
        assert spec.idle_w < spec.tdp_w
    if spec.tdp_w is not None:
        assert 1 <= spec.tdp_w <= 2000
    if spec.scaleup_bandwidth_byte_per_s is not None:
        # per direction: even NVLink5 is 900e9 each way; a bidirectional total would exceed this
        assert spec.scaleup_bandwidth_byte_per_s <= 1e12
        assert spec.scaleup_domain_devices > 1
    if spec.price_usd_per_hour is not None:
        assert re.fullmatch(r"\d{4}-\d{2}", spec.price_date or "")


def test_spot_checks_against_datasheets() -> None:
    h100 = get_device("h100-sxm")
    # NVIDIA H100 datasheet, H100 SXM column: BF16 1,979 TFLOPS with sparsity -> 989.5 dense; 3.35 TB/s; 700 W
    assert h100.peak("bf16") == pytest.approx(989.5e12)
    assert h100.memory_bandwidth_byte_per_s == pytest.approx(3.35e12)
    assert h100.tdp_w == 700
    # NVLink4 900 GB/s total -> 450e9 per direction
    assert h100.scaleup_bandwidth_byte_per_s == pytest.approx(450e9)
    # NVIDIA A100 datasheet: BF16 312 TFLOPS dense, A100 80GB SXM 2,039 GB/s
    a100 = get_device("a100-sxm-80gb")
    assert a100.peak("bf16") == pytest.approx(312e12)
    assert a100.memory_bandwidth_byte_per_s == pytest.approx(2039e9)
    # AMD MI300X datasheet: FP16/BF16 1,307.4 TFLOPS dense, "192 GB" HBM3, 5.3 TB/s; rocm-smi reports
    # 206,141,652,992 B (192 GiB less 16 MiB, ROCm/legacy-rocm-build issue #4750): the capacity is the binary one
    mi = get_device("mi300x")
    assert mi.peak("bf16") == pytest.approx(1307.4e12)
    assert mi.memory_bytes == 206141652992 and 191 * 2**30 < mi.memory_bytes < 192 * 2**30
    # Google Cloud TPU v5e docs: 197 TFLOPS bf16, 393 TOPS int8 per chip
    assert get_device("tpu-v5e").peak("bf16") == pytest.approx(197e12)
    assert get_device("tpu-v5e").peak("int8") == pytest.approx(393e12)
    # Cloud TPU v4 docs: 32 GiB HBM2 (binary), 1200 GBps (decimal)
    v4 = get_device("tpu-v4")
    assert v4.memory_bytes == 32 * 2**30
    assert v4.memory_bandwidth_byte_per_s == pytest.approx(1.2e12)
    # AWS Neuron Trainium docs: 32 GiB at 820 GiB/sec (GiB, not GB)
    trn = get_device("trainium1")
    assert trn.memory_bytes == 32 * 2**30
    assert trn.memory_bandwidth_byte_per_s == 820 * 2**30
    # Intel Gaudi 3 (Hot Chips 2024): BF16 and FP8 1835 TFLOPS, 128 GB, 96 MB SRAM
    g3 = get_device("gaudi3")
    assert g3.peak("bf16") == g3.peak("fp8") == pytest.approx(1835e12)
    assert g3.sram_bytes == pytest.approx(96e6)
    # GB200 NVL72: 72 GPUs in one NVLink domain
    assert get_device("gb200").scaleup_domain_devices == 72


def test_cpu_peaks_follow_their_formula() -> None:
    # Xeon Platinum 8480+ (Intel ARK): 56 cores x 2.0 GHz x 64 fp32 FLOP/cycle (2 AVX-512 FMA units)
    assert get_device("xeon-8480plus").peak("fp32") == pytest.approx(56 * 2.0e9 * 64)
    # EPYC 9654 (AMD): 96 cores x 2.4 GHz x 32 fp32 FLOP/cycle; 12 x DDR5-4800 x 8 B
    epyc = get_device("epyc-9654")
    assert epyc.peak("fp32") == pytest.approx(96 * 2.4e9 * 32)
    assert epyc.memory_bandwidth_byte_per_s == pytest.approx(12 * 4800e6 * 8)


def test_ridge_point_is_peak_over_bandwidth() -> None:
    h100 = get_device("h100-sxm")
    assert h100.ridge_flop_per_byte("bf16") == pytest.approx(989.5e12 / 3.35e12)
    assert h100.ridge_flop_per_byte("int4") is None
