"""Find the local devices torch can use: CPU, CUDA (NVIDIA, or AMD through a ROCm build), MPS, XLA.

Nothing vendor-specific is imported at module import: torch is imported inside `detect_devices`,
and torch_xla is only looked up (importlib.util.find_spec), never imported, because importing it
initialises the TPU runtime.

A GPU's product name maps to a catalog entry through `PRODUCT_TO_CATALOG`, a small explicit table
(no fuzzy matching: a wrong match would silently give the device another device's numbers). A
device that is not in the table, or whose target is missing from the catalog, gets
`catalog_name = None`; `accelopt probe` then measures a spec for it.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from accelopt.units import unit

# torch.cuda.get_device_name() strings (lower-cased, spaces collapsed) -> catalog name.
# The names are what the driver reports (nvidia-smi / hipDeviceProp_t.name), e.g. an H100 SXM5 reads
# 'NVIDIA H100 80GB HBM3' and the PCIe card 'NVIDIA H100 PCIe'.
PRODUCT_TO_CATALOG: dict[str, str] = {
    "nvidia h100 80gb hbm3": "h100-sxm",
    "nvidia h100 pcie": "h100-pcie",
    "nvidia a100-sxm4-40gb": "a100-sxm-40gb",
    "nvidia a100-sxm4-80gb": "a100-sxm-80gb",
    "nvidia h200": "h200",
    "nvidia b200": "b200",
    "nvidia l4": "l4",
    "tesla t4": "t4",
    "nvidia l40s": "l40s",
    "nvidia geforce rtx 4090": "rtx-4090",
    # ROCm exposes each of an MI250X's two GCDs as its own device (64 GiB, 110 CUs): the catalog's per-GCD entry,
    # not the package's 128 GiB (srvgap, 2026-12-02)
    "amd instinct mi250x": "mi250x-gcd",
    "amd instinct mi250x / mi250": "mi250x-gcd",
    "amd instinct mi300x": "mi300x",
    "amd instinct mi325x": "mi325x",
}


@dataclass(frozen=True, kw_only=True)
class DetectedDevice:
    """One local device as torch sees it."""

    torch_device: str
    """String to pass to torch: 'cpu', 'cuda:0', 'mps', 'xla'."""
    kind: str
    """'cpu', 'gpu' (CUDA, ROCm or MPS) or 'xla' (a TPU or other XLA device, not opened)."""
    vendor: str
    name: str
    """Product name as reported (CPU model name, torch.cuda.get_device_name, ...)."""
    memory_bytes: float | None = unit("B")
    """Device memory (host RAM for the CPU); None where it cannot be read without opening the device."""
    index: int | None = unit("count")
    catalog_name: str | None
    """Catalog entry this product maps to, or None (then `accelopt probe` measures a spec)."""
    cores: int | None = unit("count", default=None)
    """CPU: logical cores; GPU: streaming multiprocessors / compute units."""
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def normalize_product(name: str) -> str:
    return re.sub(r"\s+", " ", name.strip().lower())


def catalog_name_for(product: str) -> tuple[str | None, str]:
    """(catalog name or None, note) for a GPU product name; only names in the explicit table map."""
    target = PRODUCT_TO_CATALOG.get(normalize_product(product))
    if target is None:
        return None, f"{product!r} is not in the product table; `accelopt probe` measures a spec for it"
    from accelopt.hardware.catalog import default_catalog

    if target not in default_catalog():
        return None, f"{product!r} maps to {target!r}, which the catalog does not hold"
    return target, ""


# --- CPU -------------------------------------------------------------------------------------------

def cpu_model_name(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    """The CPU's model name from /proc/cpuinfo (x86 'model name', Arm 'Model'/'Hardware'), else platform."""
    try:
        text = cpuinfo.read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    for key in ("model name", "Model", "Hardware", "cpu model"):
        m = re.search(rf"^{key}\s*:\s*(.+)$", text, flags=re.MULTILINE)
        if m and m.group(1).strip():
            return m.group(1).strip()
    return platform.processor() or platform.machine() or "unknown CPU"


def cpu_vendor(model_name: str) -> str:
    low = model_name.lower()
    for key, vendor in (("intel", "Intel"), ("amd", "AMD"), ("apple", "Apple"), ("arm", "Arm"),
                        ("neoverse", "Arm"), ("graviton", "AWS")):
        if key in low:
            return vendor
    return ""


def host_memory_bytes(meminfo: Path = Path("/proc/meminfo")) -> float | None:
    """Total host RAM in bytes (/proc/meminfo MemTotal is in KiB), or sysconf where /proc is absent."""
    try:
        m = re.search(r"^MemTotal:\s*(\d+)\s*kB", meminfo.read_text(encoding="utf-8"), flags=re.MULTILINE)
        if m:
            return float(int(m.group(1)) * 1024)
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return None


def detect_cpu() -> DetectedDevice:
    model = cpu_model_name()
    return DetectedDevice(torch_device="cpu", kind="cpu", vendor=cpu_vendor(model), name=model,
                          memory_bytes=host_memory_bytes(), index=None, catalog_name=None,
                          cores=os.cpu_count(),
                          note="CPUs are not mapped to catalog entries (a SKU's socket count and clocks vary)")


# --- CUDA / ROCm -------------------------------------------------------------------------------------

def detect_cuda(torch: Any) -> list[DetectedDevice]:
    """CUDA devices; on a ROCm build (torch.version.hip set) the same API reports AMD GPUs."""
    try:
        if not torch.cuda.is_available():
            return []
        count = int(torch.cuda.device_count())
    except Exception:  # a broken driver install must not stop detection of the other devices
        return []
    rocm = bool(getattr(torch.version, "hip", None))
    out = []
    for i in range(count):
        props = torch.cuda.get_device_properties(i)
        name = str(props.name)
        catalog, note = catalog_name_for(name)
        vendor = "AMD" if rocm else "NVIDIA"
        arch = getattr(props, "gcnArchName", "") if rocm else f"sm_{props.major}{props.minor}"
        note = "; ".join(x for x in (f"arch {arch}" if arch else "", note) if x)
        out.append(DetectedDevice(torch_device=f"cuda:{i}", kind="gpu", vendor=vendor, name=name,
                                  memory_bytes=float(props.total_memory), index=i, catalog_name=catalog,
                                  cores=int(getattr(props, "multi_processor_count", 0)) or None, note=note))
    return out


def detect_mps(torch: Any) -> list[DetectedDevice]:
    mps = getattr(torch.backends, "mps", None)
    if mps is None or not mps.is_available():
        return []
    # MPS shares the unified host memory; there is no separate device memory size.
    return [DetectedDevice(torch_device="mps", kind="gpu", vendor="Apple", name="Apple GPU (MPS)",
                           memory_bytes=host_memory_bytes(), index=0, catalog_name=None,
                           note="unified memory: memory_bytes is the host RAM")]


def detect_xla() -> list[DetectedDevice]:
    if importlib.util.find_spec("torch_xla") is None:
        return []
    return [DetectedDevice(torch_device="xla", kind="xla", vendor="", name="XLA device (torch_xla installed)",
                           memory_bytes=None, index=None, catalog_name=None,
                           note="found by package only; not opened (importing torch_xla starts the runtime)")]


def detect_devices() -> list[DetectedDevice]:
    """Every device torch can use here, CPU first."""
    import torch

    return [detect_cpu(), *detect_cuda(torch), *detect_mps(torch), *detect_xla()]


def device_name(typed: str) -> str:
    """A --device as torch names it: 'CPU', ' Cuda:0 ' -> 'cpu', 'cuda:0' (torch's device names are lower case, and
    every command that takes --device reads it through here, so one that accepts 'CPU' is not refused by another)."""
    return typed.strip().lower()


def find_device(torch_device: str, devices: list[DetectedDevice] | None = None) -> DetectedDevice:
    """The detected device for a string such as 'cpu', 'cuda' or 'cuda:1'; InputError naming the choices."""
    from accelopt.errors import InputError

    devices = detect_devices() if devices is None else devices
    want = device_name(torch_device)  # 'CPU', ' cuda:0' mean the same device
    want = "cuda:0" if want == "cuda" else want
    for d in devices:
        if d.torch_device == want:
            return d
    known = ", ".join(d.torch_device for d in devices)
    raise InputError(f"device {torch_device!r} was not found on this machine", f"use one of: {known}")
