"""`accelopt optimize ... --json` stopped by a signal on a CUDA GPU: is what it measured kept?

H200, 2026-12-04 (results/gpu_nvidia-h200/README.md, "Open"): `timeout -s INT 130 accelopt optimize gpt --size
realistic --device cuda --json > out.json` wrote nothing and no traceback, where the same on the CPU kept its JSON.
This starts the same command as a child (stdout to a file, as there), sends it SIGINT and then, in a second run,
SIGTERM (which accelopt handles as Ctrl-C) --after-s seconds after its progress on stderr reads --when (by default
inside torch.compile's compile), and records for each: whether this process inherited SIGINT ignored (a child of a
non-interactive shell does; Python then never raises KeyboardInterrupt and SIGINT does nothing), the exit status,
the seconds from the signal to the exit (a hang on the way out shows here; SIGKILL after --grace-s), the bytes of
stdout, whether they are one JSON document with `interrupted: true`, and the last lines of stderr.

Run by benchmarks/gpu.sh on a GPU machine; writes gpu_interrupt.json to $ACCELOPT_RESULTS_DIR (else
benchmarks/results/) after each run. Exits 0 with a note when no CUDA device is present (--device cpu runs it here).

    python benchmarks/gpu_interrupt.py [--model gpt --size realistic] [--only compile,int8-dynamic] [--after-s 5]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any


def sigint_ignored() -> bool:
    """SIGINT is ignored in this process (inherited: a child then starts with it ignored too)."""
    return signal.getsignal(signal.SIGINT) is signal.SIG_IGN


def one(argv: list[str], sig: signal.Signals, when: str, after_s: float, wait_s: float,
        grace_s: float) -> dict[str, Any]:
    """Run `python -m accelopt *argv` with stdout to a file; send `sig` `after_s` seconds after its stderr shows `when`
    (or `wait_s` after the start, whichever first); SIGKILL `grace_s` after the signal."""
    src = str(Path(__file__).resolve().parents[1] / "src")
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    lines: list[str] = []
    seen = threading.Event()

    def read(stream: Any) -> None:
        for text in stream:
            lines.append(text.rstrip("\n"))
            if when in text:
                seen.set()

    with tempfile.TemporaryFile() as out:
        t0 = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "accelopt", *argv], stdout=out, stderr=subprocess.PIPE,
                                env=env, text=True, errors="replace")
        reader = threading.Thread(target=read, args=(proc.stderr,), daemon=True)
        reader.start()
        saw = seen.wait(wait_s)
        if saw:
            time.sleep(after_s)
        sent = None
        rc: int | None = proc.poll()
        if rc is None:
            sent = time.monotonic()
            proc.send_signal(sig)
            try:
                rc = proc.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                rc = None
        end = time.monotonic()
        reader.join(timeout=5)
        out.seek(0)
        text = out.read().decode(errors="replace")
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    return {"signal": sig.name, "sent_at_s": (sent - t0) if sent is not None else None,
            "sent_after": f"{after_s} s after {when!r}" if saw else f"{wait_s} s from the start ({when!r} not seen)",
            "exit_status": rc, "killed_after_grace": rc is None and sent is not None,
            "exit_after_signal_s": (end - sent) if sent is not None and rc is not None else None,
            "wall_s": end - t0, "stdout_bytes": len(text), "json_document": doc is not None,
            "interrupted": doc.get("interrupted") if isinstance(doc, dict) else None,
            "variants": ([f"{v.get('name')}: {v.get('status')}" for v in doc.get("variants", [])]
                         if isinstance(doc, dict) else None),
            "stderr_tail": lines[-8:]}


def optimize_argv(args: argparse.Namespace) -> list[str]:
    """The `accelopt` command line each run stops (tests/test_gpu_sh_commands.py parses it with the current CLI)."""
    return ["optimize", args.model, "--size", args.size, "--device", args.device, "--only", args.only, "--json"]


def main() -> int:
    from benchargs import positive_seconds  # the benchmarks folder: on sys.path when run as a script
    from gpu_profile import write_json

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="gpt", help="model (default: %(default)s)")
    ap.add_argument("--size", default="realistic", help="zoo size (default: %(default)s)")
    ap.add_argument("--only", default="compile,int8-dynamic", help="techniques (default: %(default)s)")
    ap.add_argument("--device", default="cuda", help="cuda, or cpu to try it here (default: %(default)s)")
    ap.add_argument("--when", default="applying compile",
                    help="stderr text after which the signal is sent (default: %(default)s)")
    ap.add_argument("--after-s", type=positive_seconds, default=5.0,
                    help="seconds from --when's text to the signal (default: %(default)s)")
    ap.add_argument("--wait-s", type=positive_seconds, default=60.0,
                    help="at most this long from the start to the signal (default: %(default)s)")
    ap.add_argument("--grace-s", type=positive_seconds, default=40.0,
                    help="seconds from the signal to SIGKILL (default: %(default)s)")
    ap.add_argument("--signals", default="INT,TERM", help="signals sent, one run each (default: %(default)s)")
    args = ap.parse_args()
    sigs = []
    for name in args.signals.split(","):
        try:
            sigs.append(signal.Signals[f"SIG{name.strip().upper()}"])
        except KeyError:
            ap.error(f"--signals: {name!r} is not a signal name (INT, TERM)")
    if args.device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            print("gpu_interrupt: no CUDA device; nothing measured")
            return 0
    out_dir = Path(os.environ.get("ACCELOPT_RESULTS_DIR", Path(__file__).resolve().parent / "results"))
    argv = optimize_argv(args)
    rows: list[dict[str, Any]] = []
    doc = {"benchmark": "optimize stopped by a signal", "command": ["accelopt", *argv],
           "sigint_ignored_inherited": sigint_ignored(),
           "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "runs": rows}
    for sig in sigs:
        row = one(argv, sig, args.when, args.after_s, args.wait_s, args.grace_s)
        rows.append(row)
        print(f"{sig.name}: exit {row['exit_status']}, {row['stdout_bytes']} bytes of stdout, JSON "
              f"{'yes' if row['json_document'] else 'NO'} (interrupted {row['interrupted']}), exit "
              f"{row['exit_after_signal_s']} s after the signal; SIGINT ignored here: "
              f"{doc['sigint_ignored_inherited']}",
              flush=True)
        write_json(out_dir / "gpu_interrupt.json", doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
