"""`accelopt env`: what a bug report needs — versions, devices and their catalog mapping, energy meters."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from accelopt.report.env_document import EnvDocument, TorchInfo

HELP = """Print Python, platform, torch (with its CUDA/ROCm/cuDNN versions), the NVIDIA driver (via NVML
when present), the devices torch can use with their catalog mapping, and which energy meters
are readable here and why not."""


def _torch_info() -> TorchInfo:
    from accelopt.report.env_document import TorchInfo

    try:
        import torch
    except ImportError as e:
        return TorchInfo(error=str(e))
    cudnn = None
    try:
        if torch.backends.cudnn.is_available():
            cudnn = torch.backends.cudnn.version()
    except Exception:  # cuDNN probing can fail on broken installs; env must still print the rest
        cudnn = None
    return TorchInfo(version=str(torch.__version__), cuda=torch.version.cuda, rocm=getattr(torch.version, "hip", None),
                     cudnn=cudnn, cuda_available=bool(torch.cuda.is_available()), threads=torch.get_num_threads())


def nvidia_driver() -> tuple[str | None, str]:
    """(driver version, why not) through NVML; pynvml is imported only here."""
    try:
        import pynvml
    except ImportError:
        return None, "pynvml not installed (pip install nvidia-ml-py)"
    try:
        pynvml.nvmlInit()
        v = pynvml.nvmlSystemGetDriverVersion()
    except Exception as e:  # NVMLError subclasses differ by version; any failure means no driver reading
        return None, f"NVML: {e}"
    return (v.decode() if isinstance(v, bytes) else str(v)), ""


def collect() -> EnvDocument:
    import platform
    import sys

    import accelopt
    from accelopt.hardware.detect import detect_devices
    from accelopt.measure.contention import cores_limit, usable_cores
    from accelopt.measure.energy import available_meters
    from accelopt.report.env_document import EnergyMeterInfo, EnvDocument

    driver, why = nvidia_driver()
    devices = detect_devices()
    cores = usable_cores()
    try:
        import numpy

        numpy_version: str | None = numpy.__version__
    except ImportError:
        numpy_version = None
    return EnvDocument(accelopt=getattr(accelopt, "__version__", None), python=sys.version.split()[0],
                       python_executable=sys.executable, platform=platform.platform(), machine=platform.machine(),
                       numpy=numpy_version, torch=_torch_info(), nvidia_driver=driver, nvidia_driver_note=why,
                       devices=devices, usable_cores=cores, usable_cores_note=cores_limit(),
                       energy_meters=[EnergyMeterInfo(name=n, readable=ok, why=estimate_why(w, devices) if
                                                      n == "estimate" else w) for n, ok, w in available_meters()])


def estimate_why(why: str, devices: list[Any]) -> str:
    """The estimate meter's row, saying which local devices it serves without a flag: it needs a spec, and `profile`
    takes only the device's own catalog entry unless told --catalog-device. A CPU maps to none, so on a machine
    without readable RAPL the row read 'yes' while `profile` printed energy 'n/a'."""
    mapped = [f"{d.torch_device} (its entry {d.catalog_name})" for d in devices if d.catalog_name]
    unmapped = [d.torch_device for d in devices if not d.catalog_name]
    parts = [why]
    if mapped:
        parts.append(f"`profile` uses it for {', '.join(mapped)} when no counter reads")
    if unmapped:
        parts.append(f"{', '.join(unmapped)} {'maps' if len(unmapped) == 1 else 'map'} to no catalog entry, so "
                     "`profile` there has no estimate unless you name one with --catalog-device NAME (" +
                     " or ".join(f"`accelopt catalog list --kind {k}`" for k in sorted({d.kind for d in devices
                                                                                        if not d.catalog_name})) + ")")
    return "; ".join(parts)


def _print(info: EnvDocument) -> None:
    from rich.table import Table

    from accelopt.report.console import make_console
    from accelopt.units import fmt_bytes

    con = make_console()
    t = info.torch
    rows = [("accelopt", info.accelopt), ("python", f"{info.python} ({info.python_executable})"),
            ("platform", f"{info.platform} ({info.machine})"), ("numpy", info.numpy),
            ("torch", t.version if t.error is None else f"n/a ({t.error})"), ("torch threads", t.threads),
            ("usable CPU cores", f"{info.usable_cores} ({info.usable_cores_note})" if info.usable_cores_note
             else info.usable_cores),
            ("torch CUDA", t.cuda), ("torch ROCm", t.rocm), ("cuDNN", t.cudnn),
            ("NVIDIA driver", info.nvidia_driver or f"n/a ({info.nvidia_driver_note})")]
    versions = Table(title="accelopt env", show_header=False)
    versions.add_column("what")
    versions.add_column("value")
    for k, v in rows:
        versions.add_row(k, "n/a" if v is None else str(v))
    con.print(versions)
    devs = Table(title="devices")
    for col in ("device", "kind", "vendor", "name", "memory", "cores", "catalog entry", "note"):
        devs.add_column(col)
    for d in info.devices:
        mem = fmt_bytes(d.memory_bytes, binary=True) if d.memory_bytes else "n/a"
        devs.add_row(d.torch_device, d.kind, d.vendor or "n/a", d.name, mem, str(d.cores or "n/a"),
                     d.catalog_name or "none", d.note)
    con.print(devs)
    meters = Table(title="energy meters")
    for col in ("meter", "readable", "why"):
        meters.add_column(col)
    for m in info.energy_meters:
        meters.add_row(m.name, "yes" if m.readable else "no", m.why)
    con.print(meters)


def register(app: typer.Typer) -> None:
    @app.command("env", help=HELP)
    def env_cmd(as_json: bool = typer.Option(False, "--json", help="print the report as JSON only")) -> None:
        from accelopt.report.jsonout import emit

        info = collect()
        if as_json:
            emit(info)
        else:
            _print(info)
