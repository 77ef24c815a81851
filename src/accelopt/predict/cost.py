"""Energy, carbon and money for a run on `n_devices` accelerators (every result is an estimate).

Power model (an estimate, not a measurement): a device draws
    P(u) = P_idle + (P_TDP - P_idle) * u,   0 <= u <= 1
where u is the fraction of time it is busy. This linear idle-to-peak model is the one used by
e.g. Fan, Weber & Barroso 2007 ('Power provisioning for a warehouse-sized computer', ISCA, sec. 4.1).
Facility energy = (device + host share) x PUE (The Green Grid 2007, 'The Green Grid Data Center
Power Efficiency Metrics: PUE and DCiE', White Paper #6: PUE = total facility power / IT power).
Carbon = energy x grid intensity (Patterson et al. 2021, 'Carbon Emissions and Large Neural Network
Training', sec. 2, eq.: tCO2e = MWh x tCO2e/MWh).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from accelopt.errors import InputError
from accelopt.hardware.power import IDLE_FRACTION_OF_TDP, IDLE_FRACTION_SOURCE, device_power_w, idle_power_w
from accelopt.hardware.spec import AcceleratorSpec

__all__ = [
    "IDLE_FRACTION_OF_TDP",
    "IDLE_FRACTION_SOURCE",
    "Facility",
    "carbon_kg",
    "cost_usd",
    "device_power_w",
    "energy_j",
    "host_is_device",
    "host_not_counted_note",
    "idle_power_w",
]
from accelopt.units import HOUR_S, KWH_J

# Defaults of Facility, with their sources.
DEFAULT_PUE = 1.10
DEFAULT_PUE_SOURCE = ("Google Data Centers 'Efficiency' page: fleet-wide trailing-twelve-month PUE 1.10 (2023); "
                      "the Uptime Institute Global Data Center Survey 2023 gives an industry average of 1.58")
DEFAULT_GRID_KG_CO2_PER_KWH = 0.367
DEFAULT_GRID_SOURCE = ("U.S. EIA FAQ 'How much carbon dioxide is produced per kilowatthour of U.S. electricity "
                       "generation?': 0.81 lb CO2/kWh in 2023 = 0.367 kg/kWh (US average)")
DEFAULT_HOST_W_PER_DEVICE = 575.0
DEFAULT_HOST_SOURCE = ("NVIDIA DGX H100 datasheet: system power ~10.2 kW max for 8 GPUs of 700 W -> "
                       "(10200 - 8 x 700) / 8 = 575 W of CPUs, memory, NICs, fans per GPU (an upper estimate)")


@dataclass(frozen=True, kw_only=True)
class Facility:
    """Where the devices run. Every default has a source (see the *_SOURCE constants); override any."""

    pue: float = DEFAULT_PUE
    """Power usage effectiveness: facility power / IT power (>= 1)."""
    grid_kg_co2_per_kwh: float = DEFAULT_GRID_KG_CO2_PER_KWH
    """Carbon intensity of the electricity, kg CO2(e) per kWh."""
    host_power_w_per_device: float = DEFAULT_HOST_W_PER_DEVICE
    """Host share (CPU, DRAM, NICs, fans) per accelerator, watts."""
    given: frozenset[str] = field(default=frozenset())
    """The fields the user set (their flags); the others are the defaults above, said beside the result
    (energy_defaults_note)."""

    # Upper limits: past them the figure is a unit slip, not a facility. PUE 10 would mean 90% of the facility's power
    # never reaching the IT load; 2 kg CO2 per kWh is about twice the intensity of burning coal, so a larger figure
    # is g/kWh typed as kg; 100 kW of host power per accelerator is milliwatts typed as watts.
    MAX_PUE: ClassVar[float] = 10.0
    MAX_GRID_KG_CO2_PER_KWH: ClassVar[float] = 2.0
    MAX_HOST_W_PER_DEVICE: ClassVar[float] = 1e5

    def __post_init__(self) -> None:
        if not 1.0 <= self.pue <= self.MAX_PUE:  # also rejects NaN and inf
            raise InputError(f"pue = {self.pue!r} must be a number from 1 to {self.MAX_PUE:g}",
                             "PUE is facility power / IT power, e.g. 1.1")
        if not 0 <= self.grid_kg_co2_per_kwh <= self.MAX_GRID_KG_CO2_PER_KWH:
            raise InputError(f"grid_kg_co2_per_kwh = {self.grid_kg_co2_per_kwh!r} is not a number from 0 to "
                             f"{self.MAX_GRID_KG_CO2_PER_KWH:g}", "give kg (not g) CO2 per kWh, e.g. 0.367")
        if not 0 <= self.host_power_w_per_device <= self.MAX_HOST_W_PER_DEVICE:
            raise InputError(f"host_power_w_per_device = {self.host_power_w_per_device!r} is not a number from 0 to "
                             f"{self.MAX_HOST_W_PER_DEVICE:g}",
                             "give watts per accelerator, e.g. 575 (0 to count the accelerators only)")

    def defaulted(self, flags: bool = True, carbon: bool = True, host_for: str | None = "") -> list[str]:
        """'PUE 1.1 (--pue; source)' for each field left at its default (without `flags`: '(source)'; without
        `carbon`, a result with no carbon figure: not the grid intensity). `host_for`: ' for NAMES' where the host
        default applies to some of the devices only (the others cite their own host_w); None: to none of them."""
        host = (("host_power_w_per_device", f"host {self.host_power_w_per_device:g} W per device{host_for}"),)
        figures = (("pue", f"PUE {self.pue:g}"), *(host if host_for is not None else ()),
                   *((("grid_kg_co2_per_kwh", f"grid {self.grid_kg_co2_per_kwh:g} kg CO2e/kWh"),) if carbon else ()))
        src = self.sources()
        return [f"{text} ({FACILITY_FLAGS[k] + '; ' if flags else ''}{src[k]})" for k, text in figures
                if k not in self.given]

    def sources(self) -> dict[str, str]:
        return {"pue": DEFAULT_PUE_SOURCE, "grid_kg_co2_per_kwh": DEFAULT_GRID_SOURCE,
                "host_power_w_per_device": DEFAULT_HOST_SOURCE}


# Facility field -> the flag of `plan` / `plan explain` that sets it (plan serve has none: its defaults stand)
FACILITY_FLAGS = {"pue": "--pue", "grid_kg_co2_per_kwh": "--grid-kg-per-kwh", "host_power_w_per_device": "--host-w"}


def energy_defaults_note(specs: Sequence[AcceleratorSpec], facility: Facility, flags: bool = True,
                         carbon: bool = True, idle_used: bool = True) -> str | None:
    """The defaults the energy and carbon estimates of `specs` rest on, said beside them: the idle draw of a device
    whose spec has a TDP but no idle_w (IDLE_FRACTION_OF_TDP) and each facility figure left at its default. None when
    no device has a TDP (energy is n/a, nothing assumed). `flags`: the command has --pue, --host-w and
    --grid-kg-per-kwh to name (`plan serve` has none); `carbon`: the result has a carbon figure (Facility.defaulted);
    `idle_used`: the energy draws on the idle power (False where every device counts busy the whole time, u = 1, so
    P(u) is the TDP and neither the estimate nor an idle_w moves it: a profiled workload's `plan`)."""
    with_tdp = [s for s in specs if s.tdp_w is not None]
    if not with_tdp:
        return None
    no_idle = [s.name for s in with_tdp if s.idle_w is None] if idle_used else []
    names = ", ".join(no_idle)
    parts = [f"idle power {IDLE_FRACTION_SOURCE}, for the specs without idle_w: {names}"] if no_idle else []
    # the others cite their own (an edge module's 0), or are the host themselves (a CPU: host_w)
    default_host = [s.name for s in with_tdp if s.host_w is None and not host_is_device(s) and not s.pcie_card]
    host_for = "" if len(default_host) == len(with_tdp) else f" for {', '.join(default_host)}" if default_host else None
    parts += facility.defaulted(flags, carbon, host_for)
    if not parts:
        return None
    if flags:
        fix = ("give the flag, or idle_w in a --hardware spec TOML, to replace them" if no_idle else
               "give the flag to replace them")
    else:
        fix = ("give idle_w in a --hardware spec TOML to replace the idle draw; " if no_idle else "") + \
            "the facility figures are predict/cost.py Facility's"
    what = "energy and carbon" if carbon else "energy"
    # 'default used: ' as query.bucket_note's: the words that mark a default among a result's notes
    return f"default used: {what} (estimates) rest on figures not given: " + "; ".join(parts) + f" — {fix}"


def host_is_device(spec: AcceleratorSpec) -> bool:
    """A CPU socket is the host: the facility's default host share (DEFAULT_HOST_SOURCE, a DGX H100's CPUs, memory,
    NICs and fans per GPU) would count a CPU device's own power a second time, so none is added for it unless its
    spec cites a host_w or the user gives one (host_not_counted_note says what is then not counted)."""
    return spec.kind == "cpu" and spec.host_w is None


def host_w(spec: AcceleratorSpec, facility: Facility) -> float:
    """Host watts per device of `spec`: the user's --host-w where given, else the catalog's host_w of the device (an
    edge module's 0: its CPU and memory are inside its own power figure), else 0 for a CPU device (it is the host:
    host_is_device) and for a PCIe card without one (AcceleratorSpec.pcie_card: no server's figure is cited;
    host_not_counted_note says so), else the facility's default (a data-center server's share per accelerator,
    DEFAULT_HOST_SOURCE; printed as 'default used:')."""
    if "host_power_w_per_device" in facility.given:
        return facility.host_power_w_per_device
    if spec.host_w is not None:
        return spec.host_w
    return 0.0 if host_is_device(spec) or spec.pcie_card else facility.host_power_w_per_device


def host_not_counted_note(specs: Sequence[AcceleratorSpec], facility: Facility, flags: bool = True) -> str | None:
    """What the energy leaves out where no host share is added: a CPU device (host_is_device), whose socket's TDP is
    the whole power counted, and a PCIe card without a catalog host_w (AcceleratorSpec.pcie_card), whose card power
    is; None when no such device is listed or the user gave --host-w (`flags`: the command has --host-w to name;
    `plan serve` and `plan infer` take a --hardware spec TOML's host_w instead)."""
    if "host_power_w_per_device" in facility.given:
        return None
    with_tdp = [s for s in specs if s.tdp_w is not None]
    cpus = [s.name for s in with_tdp if host_is_device(s)]
    cards = [s.name for s in with_tdp if s.pcie_card and s.host_w is None]
    parts = []
    if cpus:
        parts.append(f"energy on {', '.join(cpus)} is the CPU socket's own power (its TDP; the device is the host, so "
                     f"no host share is added: the facility default's {DEFAULT_HOST_W_PER_DEVICE:g} W per "
                     "accelerator is a DGX H100's CPUs, memory, NICs and fans, and would count the CPU twice); the "
                     "rest of the server (DRAM, NICs, storage, fans, power-supply losses) is not counted")
    if cards:
        parts.append(f"energy on {', '.join(cards)} is the PCIe card's own power (its TDP); no host share is added: "
                     f"the facility default's {DEFAULT_HOST_W_PER_DEVICE:g} W per accelerator is a DGX H100's, an SXM "
                     "server with NVSwitches and a 400 Gb/s NIC per GPU, and no PCIe server's host power is cited; "
                     "the server's CPUs, DRAM, NICs, fans and power-supply losses are not counted")
    if not parts:
        return None
    unit = "socket" if cpus and not cards else "card" if cards and not cpus else "device"
    fix = f"--host-w (watts per {unit}), or host_w in a --hardware spec TOML" if flags else \
        f"host_w (watts per {unit}) in a --hardware spec TOML"
    return "not counted: " + "; ".join(parts) + f" — give {fix} to add it"


def energy_j(spec: AcceleratorSpec, n_devices: float | np.ndarray, time_s: float | np.ndarray,
             utilization: float | np.ndarray, facility: Facility | None = None) -> float | np.ndarray:
    """Facility energy of `n_devices` for `time_s`: (device + host) power x time x PUE (an estimate; host: host_w)."""
    f = facility or Facility()
    per_device_w = device_power_w(spec, utilization) + host_w(spec, f)
    out = np.asarray(n_devices, dtype=float) * per_device_w * np.asarray(time_s, dtype=float) * f.pue
    return float(out) if np.ndim(out) == 0 else out


def carbon_kg(energy_j_: float | np.ndarray, facility: Facility | None = None) -> float | np.ndarray:
    """kg CO2(e) of `energy_j_` joules at the facility's grid intensity."""
    f = facility or Facility()
    out = np.asarray(energy_j_, dtype=float) / KWH_J * f.grid_kg_co2_per_kwh
    return float(out) if np.ndim(out) == 0 else out


def cost_usd(spec: AcceleratorSpec, n_devices: float | np.ndarray,
             time_s: float | np.ndarray) -> float | np.ndarray | None:
    """Rental cost at the catalog's price per device-hour; None when the catalog has no price."""
    if spec.price_usd_per_hour is None:
        return None
    out = np.asarray(n_devices, dtype=float) * np.asarray(time_s, dtype=float) / HOUR_S * spec.price_usd_per_hour
    return float(out) if np.ndim(out) == 0 else out
