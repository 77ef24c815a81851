"""The `--json` document of `accelopt env` (what a bug report needs): typed and versioned, with a JSON Schema
(`accelopt schema env`). It describes this machine, not a run: not recorded, no HTML page
(accelopt.report.schema.DOCUMENT_CLASSES)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from accelopt.hardware.detect import DetectedDevice
from accelopt.units import unit


@dataclass(frozen=True, kw_only=True)
class TorchInfo:
    """PyTorch as imported here (null fields: not built with it, or torch not importable: see `error`)."""

    version: str | None = None
    cuda: str | None = field(default=None, metadata={"doc": "CUDA version torch was built with"})
    rocm: str | None = field(default=None, metadata={"doc": "ROCm (HIP) version torch was built with"})
    cudnn: int | None = field(default=None, metadata={"doc": "cuDNN version number, where available"})
    cuda_available: bool | None = None
    threads: int | None = unit("count", "torch's intra-op threads", default=None)
    error: str | None = field(default=None, metadata={"doc": "why torch could not be imported"})


@dataclass(frozen=True, kw_only=True)
class EnergyMeterInfo:
    """One energy meter backend and whether it can be read here."""

    name: str
    readable: bool
    why: str


@dataclass(frozen=True, kw_only=True)
class EnvDocument:
    """`accelopt env --json`: versions, devices and readable energy meters of this machine."""

    SCHEMA_KIND: ClassVar[str] = "env"
    SCHEMA_VERSION: ClassVar[int] = 3  # 2: usable_cores, usable_cores_note; 3: usable_cores null where not recorded
    READS_VERSIONS: ClassVar[tuple[int, ...]] = (1, 2)
    """Version 1 reads with usable_cores None and usable_cores_note '' (it counted no cores; version 2 read as 1 core
    where the field was missing, and no older version was read at all), version 2 as it is."""

    accelopt: str | None
    python: str
    python_executable: str
    platform: str
    machine: str
    numpy: str | None
    torch: TorchInfo
    nvidia_driver: str | None
    nvidia_driver_note: str = field(metadata={"doc": "why no driver version was read (empty when read)"})
    devices: list[DetectedDevice]
    energy_meters: list[EnergyMeterInfo]
    usable_cores: int | None = unit("count", "the CPU cores this process can keep busy: its CPU affinity, or fewer "
                                    "under a cgroup CPU quota (a container's CPU limit), rounded up; what profile and "
                                    "optimize judge torch's threads against; null in a version-1 document, written "
                                    "before they were counted", default=None)
    usable_cores_note: str = field(default="", metadata={
        "doc": "what set usable_cores where it is below the machine's logical CPUs (the quota file, the affinity)"})
