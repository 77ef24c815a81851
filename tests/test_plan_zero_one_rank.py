"""`plan --model llama3.1-405b --devices 8` listed, under "closest to fitting memory (none fits)", ZeRO 0, 1 and 2 at
dp = 1 as three rows with the same numbers: over a one-rank shard group ZeRO 1 and 2 shard nothing and are ZeRO 0's
layout. The search enumerates them only where a shard group (dense dp x cp, or the experts' tp x dp x cp /
(etp x ep)) has more than one rank; that loses no prediction (checked here against the dropped layouts)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import run_main

from accelopt.hardware.catalog import get_device
from accelopt.predict.calibration import calibration_for
from accelopt.predict.search import _with, enumerate_layouts
from accelopt.predict.training import Layouts, Setup, evaluate
from accelopt.workload.presets import get_model

_KEY = ("tp", "pp", "dp", "cp", "ep", "etp", "vp", "mbs", "recompute")


def _key(lay: Layouts, i: int, zero: int) -> tuple[int, ...]:
    return (*(int(getattr(lay, f)[i]) for f in _KEY), zero)


def test_closest_rows_are_each_listed_once(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "--model", "llama3.1-405b", "--devices", "8", "--json"], capsys)
    assert code == 2, err
    rows = json.loads(out)["closest_by_memory"]
    assert len(rows) == 10
    shown = [(r["layout"]["tp"], r["layout"]["pp"], r["layout"]["dp"], r["layout"]["cp"], r["layout"]["mbs"],
              r["mem_total_bytes"], r["step_time_s"]) for r in rows]
    assert len(set(shown)) == len(shown), shown  # no two rows of the same numbers on the same layout
    assert not any(r["layout"]["zero"] in (1, 2) and r["layout"]["dp"] * r["layout"]["cp"] == 1 for r in rows)


@pytest.mark.parametrize(("model", "device", "n", "stack"), [("llama3.1-405b", "h100-sxm", 8, "megatron"),
                                                             ("mixtral-8x7b", "h100-sxm", 8, "megatron"),
                                                             ("llama3-8b", "a100-80gb", 4, "pytorch-fsdp")])
def test_dropped_zero_layouts_predict_as_zero_0(model: str, device: str, n: int, stack: str) -> None:
    setup = Setup(model=get_model(model), seq_len=8192, global_batch=64, tokens=1e12)
    spec = get_device(device)
    cal = calibration_for(spec, stack=stack)
    lay = enumerate_layouts(setup, [n])
    base = np.nonzero((lay.zero == 0) & (lay.dp * lay.cp == 1))[0]
    kept = {_key(lay, i, int(lay.zero[i])) for i in range(len(lay))}
    zero0 = evaluate(setup, spec, lay.take(base), cal)
    for z in (1, 2):
        alt = _with(lay, base, zero=np.full(len(base), z))
        pred = evaluate(setup, spec, alt, cal)
        etp = np.where(alt.etp == 0, alt.tp, alt.etp)
        nothing = alt.tp // np.maximum(etp * alt.ep, 1) <= 1  # the experts' shard group is one rank too
        for i in np.nonzero(nothing)[0]:  # dropped from the search: it must predict what ZeRO 0 does
            assert _key(alt, i, z) not in kept
            for name in ("step_time_s", "train_time_s", "mem_total_bytes", "mfu"):
                assert pred.terms[name][i] == zero0.terms[name][i], (name, z)
        for i in np.nonzero(~nothing)[0]:  # MoE: experts shard over ep ranks, a layout of its own, kept
            assert _key(alt, i, z) in kept


def test_zero3_over_one_rank_is_not_listed_beside_zero0(capsys: pytest.CaptureFixture[str]) -> None:
    """`plan --model llama3-8b --devices 1` listed ZeRO 0 and ZeRO 3 rows alternating at the same step time: over one
    rank FSDP shards nothing (PyTorch clamps it to NO_SHARD), so only ZeRO 0 is listed."""
    code, out, err = run_main(["plan", "--model", "llama3-8b", "--devices", "1", "--hardware", "h200", "--top", "50",
                               "--json"], capsys)
    assert code == 0, err
    rows = json.loads(out)["best"]
    assert rows
    assert {r["layout"]["zero"] for r in rows} == {0}


@pytest.mark.parametrize(("model", "device", "stack"), [("llama3-8b", "h200", "megatron"),
                                                        ("llama3-8b", "a100-80gb", "pytorch-fsdp"),
                                                        ("mixtral-8x7b", "h100-sxm", "megatron")])
def test_dropped_zero3_is_never_better_than_zero0(model: str, device: str, stack: str) -> None:
    """The dropped ZeRO-3 layouts lose no best layout: each predicts no faster and no smaller than its ZeRO 0."""
    setup = Setup(model=get_model(model), seq_len=8192, global_batch=64, tokens=1e12)
    spec = get_device(device)
    cal = calibration_for(spec, stack=stack)
    lay = enumerate_layouts(setup, [1, 8])
    base = np.nonzero((lay.zero == 0) & (lay.dp * lay.cp == 1))[0]
    assert len(base)
    zero0 = evaluate(setup, spec, lay.take(base), cal)
    alt = _with(lay, base, zero=np.full(len(base), 3))
    pred = evaluate(setup, spec, alt, cal)
    etp = np.where(alt.etp == 0, alt.tp, alt.etp)
    nothing = np.nonzero(alt.tp // np.maximum(etp * alt.ep, 1) <= 1)[0]
    assert len(nothing)
    kept = {_key(lay, i, int(lay.zero[i])) for i in range(len(lay))}
    for i in nothing:
        assert _key(alt, i, 3) not in kept
        assert pred.terms["step_time_s"][i] >= zero0.terms["step_time_s"][i]
        assert pred.terms["mem_total_bytes"][i] >= zero0.terms["mem_total_bytes"][i]


def test_a_profiled_workload_over_one_device_is_listed_at_zero_0_alone(
        tmp_path: object, capsys: pytest.CaptureFixture[str]) -> None:
    """`plan --model W.json` (a profiled workload, data parallel x ZeRO) listed ZeRO 0, 1, 2 and 3 at dp 1 as four
    rows of the same step time and memory: over one rank they shard nothing (as the search's rows above). dp 2 keeps
    its four (ZeRO shards over two ranks)."""
    from pathlib import Path

    gemm = {"name": "fc1", "kind": "matmul", "flops": 2 * 64 * 256 * 256, "bytes_read": 2 * (64 * 256 + 256 * 256),
            "bytes_written": 2 * 64 * 256, "dtype": "bf16", "gemm": {"m": 64, "n": 256, "k": 256}}
    doc = {"name": "one-gemm", "meta": {"batch_size": 8, "mode": "train", "dtype": "bf16", "params": 65536},
           "ops": [gemm, {**gemm, "name": "fc1.bwd", "phase": "backward", "count": 2}]}
    path = Path(str(tmp_path)) / "w.json"
    path.write_text(json.dumps(doc))
    code, out, err = run_main(["plan", "--model", str(path), "--hardware", "h100-sxm", "--devices", "1,2", "--json"],
                              capsys)
    assert code == 0, err
    rows = sorted((r["dp"], r["zero"]) for r in json.loads(out)["layouts"])
    assert rows == [(1, 0), (2, 0), (2, 1), (2, 2), (2, 3)], rows


def test_explain_refuses_zero_3_over_one_rank(capsys: pytest.CaptureFixture[str]) -> None:
    """`plan explain --zero 3` at dp 1 charged two gathered layers (266 MiB of weights for gpt3-125m, ZeRO 0's
    239 MiB) to a layout `plan` does not list: ZeRO-3 over one rank shards nothing. It is exit 2 naming --zero 0."""
    code, _, err = run_main(["plan", "explain", "--model", "gpt3-125m", "--hardware", "h100-sxm", "--devices", "1",
                             "--zero", "3"], capsys)
    assert code == 2, err
    assert "shards nothing" in err and "--zero 0" in err, err
    code, _, err = run_main(["plan", "explain", "--model", "gpt3-125m", "--hardware", "h100-sxm", "--devices", "2",
                             "--zero", "3"], capsys)
    assert code == 0, err  # dp 2: a shard group of two ranks
