"""What building a Hugging Face config's model on PyTorch's meta device saves `plan infer`.

`plan infer CONFIG.json` builds the model from its config and captures one inference per batch. It built the
weights on the CPU with transformers' random initialisation first (a 3.2B llama config: 97 s for one batch on 2
cores), though the capture only reads shapes; it builds them on the meta device now. Both ways are timed here on a
mid-size config, TinyLlama-1.1B's config.json (TinyLlama/TinyLlama-1.1B-intermediate-step-1431k-3T on the Hugging
Face Hub; 1.1B parameters, 4.4 GB of fp32 weights), each the per-batch work of `plan infer`: build the bundle, then
capture_inference. Printed: seconds each way (median of --repeats, the two ways alternated), the ratio
materialised / meta, and whether both captures count the same FLOPs, bytes and parameters (exit 1 when not:
the check; the speed is a figure, with no bound).
Run: .venv/bin/python benchmarks/bench_meta_build.py [--layers N] [--repeats N]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

TINYLLAMA_1_1B: dict[str, Any] = {  # TinyLlama/TinyLlama-1.1B-intermediate-step-1431k-3T config.json (sizes)
    "architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_act": "silu", "hidden_size": 2048,
    "intermediate_size": 5632, "max_position_embeddings": 2048, "num_attention_heads": 32,
    "num_hidden_layers": 22, "num_key_value_heads": 4, "rms_norm_eps": 1e-05, "tie_word_embeddings": False,
    "vocab_size": 32000,
}


def one(path: str, meta: bool) -> tuple[float, Any]:
    """(seconds, workload) of `plan infer`'s per-batch work at batch 1: build, then capture."""
    from accelopt.workload.hf import build_from_hf_config
    from accelopt.workload.inference_zoo import capture_inference

    t0 = time.perf_counter()
    wl = capture_inference(build_from_hf_config(path, batch_size=1, meta=meta),
                           rebuild=lambda: build_from_hf_config(path, batch_size=1))
    return time.perf_counter() - t0, wl


def counts(wl: Any) -> tuple[float, float, int]:
    """(FLOPs, bytes read + written, parameters) of a captured workload."""
    moved = sum((op.bytes_read + op.bytes_written) * op.count for op in wl.ops)
    return wl.total_flops(), moved, int(wl.meta["params"])


def main() -> int:
    """0 when both builds count the same FLOPs, bytes and parameters, else 1."""
    from benchargs import count  # the benchmarks folder: on sys.path when run as a script

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--layers", type=count(1), default=TINYLLAMA_1_1B["num_hidden_layers"],
                    help="num_hidden_layers of the config (default: TinyLlama-1.1B's 22)")
    ap.add_argument("--repeats", type=count(1), default=2, help="timed builds each way (default 2)")
    args = ap.parse_args()
    print(f"# {time.strftime('%Y-%m-%dT%H:%MZ', time.gmtime())} {platform.machine()}, load average "
          f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores; bench_meta_build.py --layers {args.layers}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tinyllama" / "config.json"
        path.parent.mkdir()
        path.write_text(json.dumps({**TINYLLAMA_1_1B, "num_hidden_layers": args.layers}), encoding="utf-8")
        one(str(path), True)  # untimed: the first call pays transformers' imports
        times: dict[bool, list[float]] = {True: [], False: []}
        found: dict[bool, tuple[float, float, int]] = {}
        for _ in range(args.repeats):
            for meta in (True, False):
                s, wl = one(str(path), meta)
                times[meta].append(s)
                found[meta] = counts(wl)
                del wl
    meta_s, real_s = statistics.median(times[True]), statistics.median(times[False])
    flops, moved, params = found[True]
    print(f"config: TinyLlama-1.1B sizes, {args.layers} layers: {params:,} parameters, {flops / 1e9:,.1f} GFLOP and "
          f"{moved / 1e9:,.2f} GB moved per inference at batch 1, 128 tokens")
    print(f"build + capture on the meta device:           {meta_s:8.2f} s (median of {args.repeats})")
    print(f"build with random weights (CPU) + capture:    {real_s:8.2f} s (median of {args.repeats})")
    print(f"materialised / meta = {real_s / meta_s:.1f}x")
    same = found[True] == found[False]
    print(f"counts (FLOPs, bytes, parameters) identical both ways: {'yes' if same else f'NO: {found}'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
