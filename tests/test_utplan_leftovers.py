"""User trial utplan's product leftovers: `simulate` checks --html before it computes, names a training step's
backward ops of unknown work, and `plan` refuses DeepEP / HybridEP on a device they do not run on. Each failed before
its fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

ROOT = Path(__file__).resolve().parents[1]


def _no_compute(*_: object, **__: object) -> object:
    raise AssertionError("the simulation ran before --html was checked")


@pytest.mark.parametrize("bad", ["missing-folder/x.html", "."])
def test_simulate_run_checks_html_before_it_computes(bad: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """`simulate run --html missing/x.html` (or a folder) computed, recorded, then said the path was bad ('the run
    is in the history'): the user waited for nothing. It now exits 2 naming the path before the simulation."""
    import accelopt.simulate.engine as engine

    monkeypatch.setattr(engine, "simulate", _no_compute)
    html = tmp_path / bad
    code, _, err = run_main(["simulate", "run", "-d", "tpu-v1", "-m", "alexnet-conv", "--html", str(html)], capsys)
    assert code == 2, err
    assert "--html" in err and str(html).rstrip("/.") in err and "fix:" in err, err
    assert "the run is in the history" not in err, err


def test_simulate_sweep_checks_html_before_it_computes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    import accelopt.simulate.sweep as sweep

    monkeypatch.setattr(sweep, "run_sweep", _no_compute)
    html = tmp_path / "nope" / "s.html"
    code, _, err = run_main(["simulate", "sweep", "-d", "tpu-v1", "-m", "alexnet-conv", "--rows", "16,32",
                             "--html", str(html)], capsys)
    assert code == 2, err
    assert "folder" in err and "does not exist" in err and "mkdir -p" in err, err
    assert "the run is in the history" not in err, err


def _bilinear_training_workload(path: Path) -> None:
    """A training step of nn.Bilinear -> nn.Linear as `profile --save-workload` records it: aten._trilinear (no FLOP
    formula) in the forward and, through its autograd formula, twice in the backward."""
    from accelopt.workload.types import Gemm, Op, Workload

    def tri(phase: str) -> Op:
        return Op(name="aten._trilinear", kind="other", flops=0.0, bytes_read=4.0 * 2208, bytes_written=160.0,
                  phase=phase, module="bil")

    ops = [tri("forward"),
           Op(name="aten.mm", kind="matmul", flops=2.0 * 5 * 4 * 8, bytes_read=4.0 * 72, bytes_written=80.0,
              phase="forward", module="fc", gemm=Gemm(m=5, n=4, k=8)),
           Op(name="aten.mm", kind="matmul", flops=2.0 * 5 * 4 * 8, bytes_read=4.0 * 72, bytes_written=160.0,
              phase="backward", module="fc", gemm=Gemm(m=5, n=8, k=4)),
           tri("backward"), tri("backward")]
    Workload(name="w", ops=ops, meta={"mode": "train", "batch_size": 5,
                                      "unmodeled_ops": {"_trilinear": 3}}).save(path)


def test_a_backward_op_of_unknown_work_is_named_not_simulated(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """A training workload's backward aten._trilinear (no FLOP formula) was counted among the '2 non-GEMM ops not
    simulated', a claim false for it (its MACs are unknown); the forward one was named NOT SIMULATED. Both are
    now named, the backward ones marked so, in console, JSON and HTML (one source line)."""
    path = tmp_path / "w.json"
    _bilinear_training_workload(path)
    html = tmp_path / "r.html"
    code, out, err = run_main(["simulate", "run", "-d", "tpu-v1", "--workload", str(path), "--json",
                               "--html", str(html)], capsys)
    assert code == 0, err
    source = json.loads(out)["source"]
    assert "NOT SIMULATED: 3 ops with no FLOP formula" in source, source
    assert "aten._trilinear in bil (backward) x2" in source and "aten._trilinear in bil x1" in source, source
    assert "non-GEMM ops not simulated" not in source, source
    assert "aten._trilinear in bil (backward) x2" in html.read_text(encoding="utf-8")
    code, out, err = run_main(["simulate", "run", "-d", "tpu-v1", "--workload", str(path)], capsys)
    assert code == 0 and "(backward) x2" in " ".join(out.split()), out


QWEN3_MOE = {"_name_or_path": "user-qwen3-30b", "num_hidden_layers": 48, "hidden_size": 2048,
             "num_attention_heads": 32, "num_key_value_heads": 4, "head_dim": 128, "intermediate_size": 6144,
             "moe_intermediate_size": 768, "num_experts": 128, "num_experts_per_tok": 8, "vocab_size": 151936,
             "max_position_embeddings": 4096, "hidden_act": "silu", "tie_word_embeddings": False}


@pytest.mark.parametrize("dispatcher", ["hybridep", "deepep"])
def test_plan_refuses_a_hierarchical_dispatcher_off_nvidia(dispatcher: str, tmp_path: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    """`plan --moe-dispatcher hybridep|deepep` on an MI300X or a TPU was priced at the rates DeepEP / HybridEP
    publish for H100 / H800 with a note: both are CUDA libraries (DeepEP's README 'Requirements': Hopper (SM90) or
    SM90 PTX ISA, CUDA 12.3+), so no such run exists to plan. Alone, such a device exits 2 naming it and the fix;
    in a search beside an NVIDIA GPU it is left out with the reason."""
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps(QWEN3_MOE), encoding="utf-8")
    base = ["plan", "--model", str(cfg), "--devices", "16", "--moe-dispatcher", dispatcher, "--top", "2"]
    code, _, err = run_main([*base, "--hardware", "mi300x"], capsys)
    assert code == 2, err
    assert f"--moe-dispatcher {dispatcher} does not run on mi300x" in err and "--moe-dispatcher alltoall" in err, err
    code, out, err = run_main([*base, "--hardware", "h100-sxm,tpu-v5p", "--json"], capsys)
    assert code == 0, err
    data = json.loads(out)
    assert {r["hardware"] for r in data["best"]} == {"h100-sxm"}, data["best"]
    assert "does not run on tpu-v5p" in json.dumps(data["skipped_devices"]), data["skipped_devices"]
