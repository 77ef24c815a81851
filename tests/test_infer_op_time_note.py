"""`plan infer` prints a roofline table per op class (FLOPs, bytes, time) but printed none of the values its per-op
time is made of (the family's efficiency curve, memory efficiency and launch overhead), so a user could not check a
latency by hand. A note now gives the formula with the family's values; this test recomputes an op class's time
from that note alone, as a user would."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import run_main

FACTORY = '''
import torch
from torch import nn
from accelopt.workload.userfile import ModelBundle


def build(batch_size=1):
    model = nn.Sequential(nn.Linear(256, 512), nn.LayerNorm(512))

    def batches():
        while True:
            yield torch.randn(batch_size, 256), torch.zeros(batch_size, 512)

    return ModelBundle(name="lin-ln", model=model, batches=batches, loss_fn=nn.functional.mse_loss,
                       batch_size=batch_size)
'''
NOTE = re.compile(r"time per op = max\(FLOPs / \(peak x eff\), bytes / \(bandwidth x (?P<me>[\d.e+-]+)\)\) \+ "
                  r"(?P<us>[\d.e+-]+) µs launch; eff = (?P<emax>[\d.e+-]+) x FLOPs / \(FLOPs \+ (?P<half>[\d.e+-]+)\) "
                  r"for conv and matmul, (?P=emax) for other ops \(family 'default'")


def test_an_op_class_time_follows_from_the_printed_note(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from accelopt.hardware.catalog import get_device

    f = tmp_path / "m.py"
    f.write_text(FACTORY)
    code, out, _ = run_main(["plan", "infer", f"{f}:build", "--hardware", "h100-sxm", "--batch", "1", "--json"],
                            capsys)
    assert code == 0
    dev = json.loads(out)["devices"][0]
    m = next(m for m in (NOTE.search(n) for n in dev["notes"]) if m)
    me, over, emax, half = (float(m[k]) for k in ("me", "us", "emax", "half"))
    spec = get_device("h100-sxm")
    peak, bw = spec.peak("fp16"), spec.memory_bandwidth_byte_per_s
    classes = {c["op_class"]: c for c in dev["points"][0]["op_classes"]}
    mm = classes["matmul"]
    assert mm["ops"] == 1
    eff = emax * mm["flops"] / (mm["flops"] + half)
    by_hand = max(mm["flops"] / (peak * eff), mm["bytes"] / (bw * me)) + over * 1e-6
    assert mm["time_s"] == pytest.approx(by_hand, rel=1e-9)
    norm = classes["norm"]
    by_hand = max(norm["flops"] / (peak * emax), norm["bytes"] / (bw * me)) + over * 1e-6
    assert norm["time_s"] == pytest.approx(by_hand, rel=1e-9)
