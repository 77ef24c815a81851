"""Record SCALE-Sim 3.0.0 bandwidth-limited (USER mode) references for ResNet-50 layers across buffer sizes
and bandwidths, to benchmarks/results/scalesim_user_refs.json (read by bench_simulate.py and the tests).

scalesim replays every demand cycle in Python (minutes per layer in USER mode), so this is run once and
its output committed. Run: PYTHONPATH=src .venv/bin/python benchmarks/scalesim_user_refs.py
"""

from __future__ import annotations

import itertools
import json
import sys
import tempfile
import time
from pathlib import Path

from accelopt.simulate.layers import resnet50_layers
from accelopt.simulate.reference import run_scalesim

OUT = Path(__file__).parent / "results" / "scalesim_user_refs.json"
ARRAY = 32                      # 32x32 output-stationary, the array the user ran
DATAFLOW = "os"
# the smallest ResNet-50 layer: scalesim's USER mode replays every demand in Python, and the next one tried
# (conv2_1.b, a 3x3 with a 1.8 M-element im2col stream) had not finished one configuration in 15 minutes
# on the 2-core machine these references were recorded on
LAYERS = ("conv2_1.a",)
BUFFERS_KB = (4, 16, 64)        # each of the three SCALE-Sim scratchpads, kB = 1024 B
BANDWIDTHS = (10, 50, 100)      # words (bytes) per cycle


def main() -> None:
    layers = {x.name: x for x in resnet50_layers()}
    rows = []
    for name, kb, bw in itertools.product(LAYERS, BUFFERS_KB, BANDWIDTHS):
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            ref = run_scalesim([layers[name]], ARRAY, ARRAY, DATAFLOW, tmp, gemm=layers[name].conv is None,
                               sram_kb=kb, bandwidth_words_per_cycle=bw)[0]
        rows.append({"layer": name, "sram_kb_each": kb, "bandwidth_words_per_cycle": bw,
                     "scalesim_s": round(time.perf_counter() - t0, 1), "report": ref})
        print(name, kb, bw, rows[-1]["scalesim_s"], ref["Total Cycles"], ref["Stall Cycles"], file=sys.stderr)
        OUT.write_text(json.dumps({"peer": "scalesim 3.0.0 (PyPI), USER bandwidth mode, 1-byte words",
                                   "array": f"{ARRAY}x{ARRAY} {DATAFLOW}", "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
