"""`plan`'s search over hybrid sharding, partial recompute and expert tensor parallelism finds the layout a brute-force
search over the same space finds (the pruning in predict/search.py loses no best layout)."""

from __future__ import annotations

import numpy as np
import pytest

from accelopt.hardware.catalog import get_device
from accelopt.predict.calibration import calibration_for
from accelopt.predict.search import SearchAxes, _join, _stage_cap, _with, enumerate_layouts, rank, search
from accelopt.predict.training import Layouts, Setup, evaluate
from accelopt.workload.presets import get_model

PLAIN = SearchAxes(hsdp=(0,), etp=(0,), recompute_layers=(0,))


def _brute_best_s(setup: Setup, device: str, n: int) -> tuple[float, Layouts]:
    """Fastest feasible layout over every shard group dividing dp x cp and every N of full recompute (no pruning)."""
    spec = get_device(device)
    cal = calibration_for(spec)
    lay = enumerate_layouts(setup, [n])
    dpcp = lay.dp * lay.cp
    z3 = np.nonzero((lay.zero == 3) & (lay.ep == 1))[0]
    parts = [lay] + [_with(lay, z3[(dpcp[z3] % g == 0) & (dpcp[z3] > g)], hsdp=np.full(int(((dpcp[z3] % g == 0)
                     & (dpcp[z3] > g)).sum()), g)) for g in range(2, int(dpcp.max()))]
    lay = _join(parts)
    cap = _stage_cap(setup, lay, evaluate(setup, spec, lay, cal))
    full = np.nonzero(lay.recompute == 2)[0]
    parts = [lay] + [_with(lay, full[cap[full] > k], recompute_layers=np.full(int((cap[full] > k).sum()), k))
                     for k in range(1, int(cap.max()))]
    lay = _join(parts)
    p = evaluate(setup, spec, lay, cal)
    t = np.where(p.feasible, p.terms["train_time_s"], np.inf)
    best = int(np.argmin(t))
    return float(t[best]), lay.take(np.asarray([best]))


@pytest.mark.parametrize(("model", "device", "n", "seq", "batch", "needs"), [
    # 70B on 16 H100s at 8K: nothing fits without full recompute; recomputing 24 of a stage's layers beats all of them
    ("llama3-70b", "h100-sxm", 16, 8192, 64, "recompute_layers"),
    # 8B on 64 H100 PCIe (NVLink-bridged pairs, the scale-out default between them): 4-rank shard groups beat FSDP
    # over all 64 (l40s until pcielink gave it its PCIe link, 8 per server: its best layout then shards nothing)
    ("llama3-8b", "h100-pcie", 64, 4096, 256, "hsdp"),
])
def test_search_finds_the_brute_force_best(model: str, device: str, n: int, seq: int, batch: int, needs: str) -> None:
    setup = Setup(model=get_model(model), seq_len=seq, global_batch=batch, tokens=1e12)
    brute_s, brute = _brute_best_s(setup, device, n)
    c = search(setup, [get_device(device)], [n])
    best = int(rank(c, "time", 1)[0])
    assert c.terms["train_time_s"][best] == pytest.approx(brute_s, rel=1e-9)
    assert getattr(c.layouts, needs)[best] > 0 and getattr(brute, needs)[0] > 0  # the case needs the new dimension
    plain = search(setup, [get_device(device)], [n], axes=PLAIN)
    assert plain.terms["train_time_s"][rank(plain, "time", 1)[0]] > brute_s  # and without it the best is slower


@pytest.mark.parametrize(("model", "device", "n", "dtype"), [
    ("mixtral-8x7b", "h100-sxm", 16, "bf16"), ("deepseek-moe-16b", "l40s", 32, "bf16"),
    ("mixtral-8x7b", "h100-sxm", 16, "fp8"), ("mixtral-8x7b", "b200", 64, "fp8")])
def test_etp_pruning_loses_nothing(model: str, device: str, n: int, dtype: str) -> None:
    """The automatic etp set (pruned where a larger etp on the same link is valid) finds the best layout that every
    etp below tp, listed without pruning, finds; FP8 too, where etp also sets the expert GEMMs' quantize bytes."""
    setup = Setup(model=get_model(model), seq_len=4096, global_batch=4 * n, tokens=1e12, dtype=dtype)
    auto = search(setup, [get_device(device)], [n])
    every = search(setup, [get_device(device)], [n], axes=SearchAxes(etp=(0, 1, 2, 4, 8, 16, 32, 64)))
    assert len(every) > len(auto)  # the pruning removed layouts
    best = auto.terms["train_time_s"][rank(auto, "time", 1)[0]]
    assert best == pytest.approx(every.terms["train_time_s"][rank(every, "time", 1)[0]], rel=1e-12)


def test_expert_tensor_parallel_lets_ep_exceed_dp() -> None:
    """etp 1 with tp 8 lays 64 experts over ep = 64 on 64 devices with dp = 8, which etp = tp cannot (ep | dp x cp)."""
    setup = Setup(model=get_model("mixtral-8x7b"), seq_len=4096, global_batch=256, tokens=1e12)
    c = search(setup, [get_device("h100-sxm")], [64], axes=SearchAxes(etp=(0, 1)))
    lay = c.layouts
    assert np.any((lay.etp == 1) & (lay.ep > lay.dp * lay.cp))
    assert not np.any((lay.etp == 0) & (lay.ep > lay.dp * lay.cp))
    assert set(np.unique(lay.etp)) == {0, 1}


def test_axes_constrain_the_search() -> None:
    """--hsdp 8 leaves only 8-rank shard groups among ZeRO-3 layouts; --recompute-layers off leaves none partial."""
    setup = Setup(model=get_model("llama3-8b"), seq_len=4096, global_batch=256, tokens=1e12)
    c = search(setup, [get_device("l40s")], [64], axes=SearchAxes(hsdp=(8,), recompute_layers=(0,)))
    z3 = c.layouts.zero == 3
    assert z3.any() and set(np.unique(c.layouts.hsdp[z3])) == {8}
    assert not np.any(c.layouts.recompute_layers)


def test_plan_flags_reach_the_search(capsys: pytest.CaptureFixture[str]) -> None:
    """--hsdp / --recompute-layers constrain `plan` as SearchAxes does, and the JSON says what was searched."""
    import json

    from conftest import run_main

    args = ["plan", "--model", "llama3-8b", "--hardware", "l40s", "--devices", "64", "--seq-len", "4096",
            "--global-batch", "256", "--tokens", "1e12", "--json"]
    code, out, _ = run_main([*args, "--hsdp", "8", "--recompute-layers", "off"], capsys)
    d = json.loads(out)
    assert code == 0 and d["axes"] == {"hsdp": [8], "etp": None, "recompute_layers": [0], "recompute": None}
    rows = d["best"] + d["pareto_front"]
    assert all(r["layout"]["hsdp"] == 8 for r in rows if r["layout"]["zero"] == 3)
    assert not any(r["layout"]["recompute_layers"] for r in rows)
    code, out, _ = run_main(args, capsys)
    free = json.loads(out)["best"][0]
    # the constrained search is a subset of the free one, and here the flags kept its best out
    assert code == 0 and free["train_time_s"] <= d["best"][0]["train_time_s"]
    assert free["layout"]["hsdp"] != 8 or free["layout"]["recompute_layers"] > 0
    code, _, err = run_main([*args, "--hsdp", "eight"], capsys)
    assert code == 2 and "--hsdp 'eight'" in err and "fix:" in err
    code, _, err = run_main([*args, "--etp", "1"], capsys)
    assert code == 2 and "has no experts" in err


def test_first_gemm_of_an_mla_layer_is_its_kv_down_projection(capsys: pytest.CaptureFixture[str]) -> None:
    """MLA has no fused QKV GEMM: plan explain's first-GEMM input is the KV down-projection [T, h] x [h, d_c + rope],
    replicated over tensor parallelism (the same FLOPs at tp 1 and tp 8); for GQA it is the fused QKV split by tp."""
    import json

    from conftest import run_main

    def first(model: str, tp: int) -> float:
        _, out, _ = run_main(["plan", "explain", "--model", model, "--hardware", "h100-sxm", "--devices", "64",
                               "--tp", str(tp), "--seq-len", "4096", "--global-batch", "64", "--zero", "3",
                               "--recompute", "full", "--json"], capsys)
        t = {x["name"]: x["value"] for x in json.loads(out)["terms"]}
        return float(t["in_first_gemm_flops"])

    mdl = get_model("deepseek-v3")
    assert mdl.mla is not None
    assert first("deepseek-v3", 1) == pytest.approx(2 * 4096 * mdl.hidden * (512 + 64))
    assert first("deepseek-v3", 8) == first("deepseek-v3", 1)
    g = get_model("llama3-8b")
    assert first("llama3-8b", 8) == pytest.approx(2 * 4096 * g.hidden * (g.q_width + g.k_width + g.v_width) / 8)
