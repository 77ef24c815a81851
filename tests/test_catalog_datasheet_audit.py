"""Catalog figures audited against their cited sources (utcat, 2026-12-06).

Each test pins a figure the audit corrected, with the source beside it; see the entry's `notes` and the
cited source key in the catalog TOML for the full quotation.
"""

from __future__ import annotations

from accelopt.hardware.catalog import get_device

MIB = 2**20


def test_h100_pcie_memory_is_what_the_driver_reports() -> None:
    # nvidia-smi prints 'NVIDIA H100 PCIe, 81559 MiB' (public printouts, source nvsmi-h100-pcie), the
    # same 81,559 MiB as the H100 SXM (nvsmi-modal). The datasheet's '80GB' is a round number: storing
    # it as 80e9 B (74.5 GiB) made plan reject layouts that fit the 79.6 GiB the card holds.
    spec = get_device("h100-pcie")
    assert spec.memory_bytes == 81559 * MIB
    assert spec.memory_bytes == get_device("h100-sxm").memory_bytes
    assert "81559 MiB" in spec.sources["memory_bytes"]


def test_jetson_agx_orin_memory_is_what_the_kernel_reports() -> None:
    # tegrastats on a 12-core (64 GB) Jetson AGX Orin, JetPack 6.2.1: 'RAM 5137/62841MB' (MiB; `free -h`: 'Mem: 61Gi'),
    # source tegrastats-orin. The datasheet's '64 GB' stored as 64e9 B (59.6 GiB) was 1.8 GiB under what the module
    # holds, the GiB/GB slip the catalog's other entries avoid by storing the reported figure.
    spec = get_device("jetson-agx-orin")
    assert spec.memory_bytes == 62841 * MIB
    assert "62841MB" in spec.sources["memory_bytes"]
