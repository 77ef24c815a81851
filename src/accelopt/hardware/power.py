"""Power draw of one device from its spec (an estimate, not a measurement).

    P(u) = P_idle + (P_TDP - P_idle) * u,   0 <= u <= 1
where u is the fraction of time it is busy: the linear idle-to-peak model of Fan, Weber & Barroso 2007
('Power provisioning for a warehouse-sized computer', ISCA, sec. 4.1). The one power-from-utilization
model of the project: `predict.cost` (energy of a planned run) and `measure.energy` (the estimate meter)
both use it, which is why it lives with the spec and not in either of them.
"""

from __future__ import annotations

import numpy as np

from accelopt.errors import InputError
from accelopt.hardware.spec import AcceleratorSpec

# When a spec has no idle_w: an assumed idle draw of 10% of TDP (an estimate). Patterson et al. 2021
# report measured average system power per processor rather than idle; NVIDIA's H100 SXM idles at
# roughly 60-90 W of its 700 W TDP in nvidia-smi readings (about 10%). Override with a spec idle_w.
IDLE_FRACTION_OF_TDP = 0.10
IDLE_FRACTION_SOURCE = "assumed 10% of TDP (estimate; H100 SXM idles at ~70 W of 700 W in nvidia-smi readings)"


def idle_power_w(spec: AcceleratorSpec) -> float:
    """Idle draw: the spec's idle_w, else IDLE_FRACTION_OF_TDP x TDP (an estimate)."""
    if spec.tdp_w is None:
        raise InputError(f"device {spec.name!r} has no tdp_w", "add tdp_w (with its source) to the catalog entry")
    if spec.idle_w is not None:
        return float(spec.idle_w)
    return IDLE_FRACTION_OF_TDP * float(spec.tdp_w)


def device_power_w(spec: AcceleratorSpec, utilization: float | np.ndarray) -> float | np.ndarray:
    """Estimated draw of one device busy a fraction `utilization` of the time: idle + (TDP - idle) x u."""
    u = np.clip(utilization, 0.0, 1.0)
    idle = idle_power_w(spec)
    out = idle + (float(spec.tdp_w or 0.0) - idle) * u
    return float(out) if np.ndim(out) == 0 else out
