"""`accelopt plan`, `plan explain` and `validate` through the CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main_expect

from accelopt.cli.main import main


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    return run_main_expect(capsys, *args)[0]


def test_plan_json(capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(capsys, "plan", "--model", "llama3-8b", "--tokens", "1e12", "--hardware", "h100-sxm,mi300x",
               "--devices", "64,128", "--top", "3", "--json")
    d = json.loads(out)
    assert d["candidates"] > 100 and len(d["best"]) == 3 and d["pareto_front"]
    assert d["best"][0]["train_time_s"] <= d["best"][-1]["train_time_s"]


def test_explain_feasible_and_infeasible(capsys: pytest.CaptureFixture[str]) -> None:
    d = json.loads(_run(capsys, "plan", "explain", "--model", "gpt3-175b", "--hardware", "h100-sxm", "--devices",
                        "1024", "--tp", "8", "--pp", "8", "--global-batch", "2048", "--json"))
    t = {x["name"]: x["value"] for x in d["terms"]}  # every term with its value (and unit, checked below)
    assert {x["name"]: x["unit"] for x in d["terms"]}["tokens_per_s"] == "tok/s"
    assert d["feasible"] and t["step_time_s"] > 0 and d["prediction"]["step_time_s"] == t["step_time_s"]
    # model FLOPs per step: Narayanan et al. 2021 (Megatron-LM at scale), eq. 3 without the recompute pass:
    # 72 B s l h^2 (1 + s/(6h) + V/(16 l h)); GPT-3 175B: l=96, h=12288, V=50257; B=2048 sequences of s=2048
    b, s, layers, h, v = 2048, 2048, 96, 12288, 50257
    model_flops = 72 * b * s * layers * h * h * (1 + s / (6 * h) + v / (16 * layers * h))
    assert t["model_flops_per_step"] == pytest.approx(model_flops, rel=0.005)
    # MFU and throughput follow from the step time; 989.5 TFLOP/s bf16 dense is the H100 SXM datasheet peak
    assert t["mfu"] == pytest.approx(t["model_flops_per_step"] / t["step_time_s"] / (1024 * 989.5e12))
    assert t["tokens_per_s"] == pytest.approx(b * s / t["step_time_s"])
    assert t["mem_total_bytes"] == pytest.approx(sum(t[f"mem_{k}_bytes"] for k in
                                                     ("weights", "grads", "optimizer", "activations", "overhead")))
    with pytest.raises(SystemExit) as e:  # an infeasible layout: JSON with the reasons, then exit status 2
        main(["plan", "explain", "--model", "gpt3-175b", "--hardware", "h100-sxm", "--devices", "8", "--zero", "0",
              "--global-batch", "2048", "--json"])
    assert e.value.code == 2
    d = json.loads(capsys.readouterr().out)
    assert not d["feasible"] and any("per device" in w for w in d["infeasible_because"])


def test_bad_inputs_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    for args, needle in ((["plan", "--model", "llama9"], "llama9"),
                         (["plan", "--model", "llama3-8b", "--objective", "speed"], "speed"),
                         (["plan", "--model", "llama3-8b", "--hardware", "h100-sxn"], "h100-sxm"),
                         (["plan", "--model", "llama3-8b", "--global-batch", "1000tok"], "1000tok"),
                         (["validate", "--runs", "/nonexistent.csv"], "/nonexistent.csv")):
        with pytest.raises(SystemExit) as e:
            main(args)
        assert e.value.code == 2
        err = capsys.readouterr().err  # a user error naming the bad value, with its fix; not a crash
        assert "fix:" in err and needle in err and "Traceback" not in err, (args, err)


def test_plan_workload_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from accelopt.workload.types import Op, Workload

    p = tmp_path / "w.json"
    Workload(name="toy", meta={"params": 1e8, "batch_size": 4, "seq_len": 512}, ops=[
        Op(name="mm", kind="matmul", flops=1e11, bytes_read=1e8, bytes_written=1e7, phase="forward")]).save(p)
    d = json.loads(_run(capsys, "plan", "--model", str(p), "--devices", "1,8", "--json"))
    # ZeRO 0-3 at dp 8; at dp 1 the stages shard nothing, so ZeRO 0 alone (3d97944a)
    assert len(d["layouts"]) == 5
    lay = {(x["dp"], x["zero"]): x for x in d["layouts"]}
    assert set(lay) == {(1, 0)} | {(8, z) for z in range(4)}
    one = lay[(1, 0)]
    # 1e11 FLOP of forward matmul can run no faster than the H100 SXM bf16 dense peak (989.5 TFLOP/s, datasheet)
    assert one["t_fwd_s"] >= 1e11 / 989.5e12 and one["mfu"] == pytest.approx(1e11 / one["step_time_s"] / 989.5e12)
    # mixed-precision Adam: 2 B weights + 2 B grads + 12 B optimizer state per parameter (Rajbhandari et al.
    # 2020, ZeRO, sec. 3.1, K=12); stage 1 shards the optimizer over dp ranks, stage 2 also grads, 3 also weights
    n = 1e8
    assert (one["mem_weights_bytes"], one["mem_grads_bytes"], one["mem_optimizer_bytes"]) == (2 * n, 2 * n, 12 * n)
    for z, sharded in ((0, ()), (1, ("optimizer",)), (2, ("optimizer", "grads")),
                       (3, ("optimizer", "grads", "weights"))):
        for part in ("weights", "grads", "optimizer"):
            key = f"mem_{part}_bytes"
            want = one[key] / 8 if part in sharded else one[key]
            assert lay[(8, z)][key] == pytest.approx(want), (z, part)


def test_validate_json(capsys: pytest.CaptureFixture[str]) -> None:
    d = json.loads(_run(capsys, "validate", "--json"))
    assert len(d["runs"]) >= 40 and 0 < d["median_abs_error_held_out"] < 0.30
    by = d["median_abs_error_held_out_by_source"]
    assert by["Narayanan2021"] <= 0.10 and by["Korthikanti2022"] <= 0.10  # Megatron-style runs: target met
