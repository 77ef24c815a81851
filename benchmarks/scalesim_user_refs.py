"""Record SCALE-Sim 3.0.0 bandwidth-limited (USER mode) references for ResNet-50 layers across buffer sizes
and bandwidths, to benchmarks/results/scalesim_user_refs.json (read by bench_simulate.py and the tests).

scalesim replays every demand in Python (tens of seconds to minutes per layer and configuration in USER
mode), so this is run once and its output committed. Rows already in the file are kept and not re-run.
Run: PYTHONPATH=src .venv/bin/python benchmarks/scalesim_user_refs.py [--layers conv2_1.a,conv5_1.a] [--dataflow os]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from accelopt.simulate.layers import resnet50_layers
from accelopt.simulate.reference import run_scalesim

OUT = Path(__file__).parent / "results" / "scalesim_user_refs.json"
ARRAY = 32                      # 32x32, the array the user ran
# ResNet-50 layers whose USER-mode run takes SCALE-Sim under a minute per configuration on a 32x32 array:
# the first 1x1 of stage 2 and the strided 1x1 of stages 3-5. The 3x3 layers (conv2_1.b: a 1.8 M-element
# im2col stream) had not finished one configuration in 15 minutes on the 2-core machine these were recorded on.
LAYERS = ("conv2_1.a", "conv3_1.a", "conv4_1.a", "conv5_1.a")
BUFFERS_KB = (4, 16, 64)        # each of the three SCALE-Sim scratchpads, kB = 1024 B
BANDWIDTHS = (10, 50, 100)      # words (bytes) per cycle


def _key(row: dict[str, Any]) -> tuple[str, str, int, int]:
    return row["layer"], row.get("dataflow", "os"), row["sram_kb_each"], row["bandwidth_words_per_cycle"]


def main() -> None:
    from benchargs import names_from  # the benchmarks folder: on sys.path when run as a script

    layers = {x.name: x for x in resnet50_layers()}
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--layers", default=",".join(LAYERS), type=names_from(layers, "layer"),
                    help="comma-separated ResNet-50 layer names (default: %(default)s)")
    ap.add_argument("--dataflow", default="os", choices=("os", "ws", "is"), help="dataflow (default: %(default)s)")
    args = ap.parse_args()
    rows: list[dict[str, Any]] = json.loads(OUT.read_text())["rows"] if OUT.exists() else []
    for r in rows:
        r.setdefault("dataflow", "os")
    done = {_key(r) for r in rows}
    asked = list(itertools.product(args.layers.split(","), BUFFERS_KB, BANDWIDTHS))
    kept = sum((name, args.dataflow, kb, bw) in done for name, kb, bw in asked)
    print(f"{len(asked)} configurations asked ({args.dataflow}, {ARRAY}x{ARRAY}): {kept} already in {OUT} (kept, not "
          f"re-run), {len(asked) - kept} to run with scalesim", flush=True)
    for name, kb, bw in asked:
        if (name, args.dataflow, kb, bw) in done:
            continue
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            ref = run_scalesim([layers[name]], ARRAY, ARRAY, args.dataflow, tmp, gemm=layers[name].conv is None,
                               sram_kb=kb, bandwidth_words_per_cycle=bw)[0]
        rows.append({"layer": name, "dataflow": args.dataflow, "sram_kb_each": kb, "bandwidth_words_per_cycle": bw,
                     "scalesim_s": round(time.perf_counter() - t0, 1), "report": ref})
        print(name, args.dataflow, kb, bw, rows[-1]["scalesim_s"], ref["Total Cycles"], ref["Stall Cycles"],
              file=sys.stderr)
        OUT.write_text(json.dumps({"peer": "scalesim 3.0.0 (PyPI), USER bandwidth mode, 1-byte words",
                                   "array": f"{ARRAY}x{ARRAY}", "rows": rows}, indent=1) + "\n")
    print(f"{OUT}: {len(rows)} rows; bench_simulate.py compares accelopt with them (cycles, stalls, DRAM bytes)")


if __name__ == "__main__":
    main()
