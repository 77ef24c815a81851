"""Speed of `accelopt simulate`: all of ResNet-50 (batch 1, 224x224) on a 32x32 array, and the same
layers' subset against the `scalesim` package (SCALE-Sim 3.0.0) in the same run.

Target (issue 5): the whole of ResNet-50 in under 100 ms. Prints medians of repeated runs and the
speed ratio against scalesim on layers both simulate, plus whether the cycle counts agree
(`--convention scalesim-code`). Run: .venv/bin/python benchmarks/bench_simulate.py
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable

from accelopt.simulate.dataflow import compute
from accelopt.simulate.design import load_preset
from accelopt.simulate.engine import layer_arrays, simulate
from accelopt.simulate.layers import resnet50_layers

TARGET_S = 0.100
ROWS = COLS = 32


def _median_s(fn: Callable[[], object], repeats: int) -> tuple[float, float, float]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return statistics.median(times), times[len(times) // 10], times[-1 - len(times) // 10]


def main(peer_layers: int = 2) -> None:
    design = load_preset("edge-npu").with_(name="bench-32x32", rows=ROWS, cols=COLS)

    def whole_model() -> object:
        return simulate(design, resnet50_layers(batch=1, image=224)).totals()

    whole_model()  # warm-up (imports, numpy first-call costs)
    med, p10, p90 = _median_s(whole_model, 50)
    r = simulate(design, resnet50_layers())
    verdict = "PASS" if med < TARGET_S else "FAIL"
    print(f"ResNet-50 batch 1 on {ROWS}x{COLS} ({len(r.names)} layers, {r.macs / 1e9:.3g} GMAC): "
          f"median {med * 1e3:.2f} ms (p10 {p10 * 1e3:.2f}, p90 {p90 * 1e3:.2f}) — target < {TARGET_S * 1e3:.0f} ms: "
          f"{verdict}")
    print(f"  simulated latency {r.latency_s * 1e3:.3g} ms, utilization {r.totals()['utilization']:.1%}")

    try:
        from accelopt.simulate.reference import run_scalesim
    except ImportError:  # pragma: no cover
        print("scalesim not installed: peer comparison skipped")
        return
    # scalesim replays every fold cycle by cycle in Python (about a minute per late-stage ResNet-50 layer
    # on one core), so it gets only a few of the layers; we time the same few.
    layers = [x for x in resnet50_layers() if x.name.startswith("conv5_3")][:peer_layers]
    arr = layer_arrays(layers)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        ref = run_scalesim(layers, ROWS, COLS, "ws", tmp)
        peer_s = time.perf_counter() - t0
    ours_s, _, _ = _median_s(lambda: compute(ROWS, COLS, 1, "ws", arr, "scalesim-code"), 200)
    ours = compute(ROWS, COLS, 1, "ws", arr, "scalesim-code")["compute_cycles"]
    agree = [int(x["Total Cycles"]) for x in ref] == [int(c) for c in ours]
    print(f"scalesim 3.0.0 on {len(layers)} ResNet-50 layers ({', '.join(x.name for x in layers)}), ws {ROWS}x{COLS}: "
          f"{peer_s:.3g} s; accelopt on the same layers: {ours_s * 1e6:.1f} µs; ratio {peer_s / ours_s:.3g}x; "
          f"cycle counts {'identical' if agree else 'DIFFER'}")
    per_layer_peer = peer_s / len(layers)
    print(f"  scalesim {per_layer_peer:.3g} s per layer; accelopt's whole ResNet-50 ({med * 1e3:.2f} ms) is "
          f"{per_layer_peer / med:.3g}x faster than scalesim's time for one of these layers")


if __name__ == "__main__":
    import sys

    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
