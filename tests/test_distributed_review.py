"""A demanding user's `profile --nproc` runs: what the run must not pass over in silence (a diverged loss, a
prediction built on figures probed on a busy machine). The ranks are faked at the launcher (launch_job) where the
check is the launcher's; no torchrun is started."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import run_main


def _rank(losses: list[float], **over: Any) -> dict[str, Any]:
    """What one rank reports to the launcher (RankResult.to_dict)."""
    return {"rank": 0, "world_size": 2, "host": "h", "step_times_s": [0.001] * 3, "losses": losses,
            "comm": {"comm_s": 0.0, "overlapped_s": 0.0, "compute_s": 0.001, "profiled_step_s": 0.001},
            "peak_memory_bytes": 1.0, "memory_source": "test", "threads": 1, **over}


def _fake_launch(monkeypatch: pytest.MonkeyPatch, losses: list[float], single: list[float] | None = None) -> None:
    from accelopt.distributed import run as run_mod
    from accelopt.distributed.launch import RawRun

    def launched(job: Any, launch: Any) -> RawRun:
        got = losses if job.parallel != "none" or single is None else single
        return RawRun(ranks=[_rank(got, rank=r) for r in range(launch.nproc)], out_dir=Path("."))

    monkeypatch.setattr(run_mod, "launch_job", launched)


def test_a_loss_that_turns_nan_on_the_ranks_stops_the_run_with_exit_2(monkeypatch: pytest.MonkeyPatch,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    # a model whose loss went NaN at its 4th step under DDP: the run printed its step times, exit 0, no word
    nan = float("nan")
    _fake_launch(monkeypatch, [2.3, 2.2, 2.1, nan, nan, nan, nan])
    code, out, err = run_main(["profile", "tests/dist_models.py:mlp", "--nproc", "2", "--steps", "3"], capsys)
    err = " ".join(err.split())
    assert code == 2 and out == "" and "Traceback" not in err
    assert "loss of the 2-rank ddp run is not finite (nan) from step 4 of 7" in err
    assert "learning rate" in err and "losses of steps 1 to 4: 2.3, 2.2, 2.1, nan" in err


def test_a_loss_that_turns_inf_in_the_one_process_run_is_refused_too(monkeypatch: pytest.MonkeyPatch) -> None:
    from accelopt.distributed import run as run_mod
    from accelopt.errors import MeasurementError

    _fake_launch(monkeypatch, [2.3, 2.2, 2.1], single=[2.3, float("inf"), 1.0])
    with pytest.raises(MeasurementError, match=r"one-process run is not finite \(inf\) from step 2 of 3"):
        run_mod.profile_distributed(run_mod.DistConfig(bundle_ref="tests/dist_models.py:mlp", steps=3),
                                    run_mod.Launch(nproc=2))


def test_finite_losses_run_on(monkeypatch: pytest.MonkeyPatch) -> None:
    from accelopt.distributed import run as run_mod

    _fake_launch(monkeypatch, [2.3, 2.2, 2.1])
    r = run_mod.profile_distributed(run_mod.DistConfig(bundle_ref="tests/dist_models.py:mlp", steps=3),
                                    run_mod.Launch(nproc=2))
    assert r.single is not None and r.ranks[0].losses == [2.3, 2.2, 2.1]


def _busy_probe_spec(tmp_path: Path, *, link_noisy: bool) -> Path:
    """A spec TOML as `probe --collectives --save` writes it after measuring on a busy machine (its peaks marked) and,
    with `link_noisy`, with all-reduce repeats spread (its link marked)."""
    from test_collectives_noise import _rank0
    from test_distributed_units import _probe_result

    from accelopt.distributed.collectives import build_result, spec_lines
    from accelopt.measure.probe import spec_toml

    probe = _probe_result()
    probe.contention.add("other processes used 1.50 cores on average while measuring", "matmul.fp32",
                         "stream.triad")
    links = build_result(_rank0(noisy_size=4 * 2**20 if link_noisy else None), "gloo", "cpu", 2)
    path = tmp_path / "busy probe.toml"
    path.write_text(spec_toml(probe, spec_lines(links)))
    return path


@pytest.mark.parametrize("link_noisy", [True, False])
def test_a_spec_probed_on_a_busy_machine_is_a_warning_on_the_prediction(tmp_path: Path, link_noisy: bool,
                                                                        monkeypatch: pytest.MonkeyPatch,
                                                                        capsys: pytest.CaptureFixture[str]) -> None:
    # profile --nproc --probed SPEC predicted with figures probe saved as disturbed, and said nothing (profile and plan
    # print the same spec's warning beside what they compute from it)
    _fake_launch(monkeypatch, [2.3, 2.2, 2.1])
    path = _busy_probe_spec(tmp_path, link_noisy=link_noisy)
    code, out, err = run_main(["profile", "tests/dist_models.py:mlp", "--nproc", "2", "--steps", "3", "--probed",
                               str(path), "--json"], capsys)
    assert code == 0, err
    doc = __import__("json").loads(out)
    warnings = doc["contention"]["warnings"]
    probed = [w for w in warnings if "was probed on a busy machine (other processes used 1.50 cores" in w]
    assert len(probed) == 1 and probed[0].startswith("--probed ")
    # the disturbed-link warning (the noisy spec's ring model also misses its 4 MiB median: a fit warning of its own,
    # tests/test_distributed_link_fit_warning.py)
    link = [w for w in warnings if "measured link (probe --collectives)" in w and "disturbed while measured" in w]
    assert len(link) == (1 if link_noisy else 0)
    if link_noisy:
        assert "all_reduce 4 MiB: spread (p90 - p10) / median" in link[0]
    assert "plan's prediction" in doc["contention"]["disturbed"]
    assert doc["prediction"]["link_source"].startswith("measured collectives in")


def test_a_busy_node_of_a_two_node_run_names_the_whole_run(monkeypatch: pytest.MonkeyPatch) -> None:
    # --nproc 1 --nnodes 2: the warning said '1-rank run' of a run of 2 ranks
    from accelopt.distributed import run as run_mod

    class BusyWatch:
        def __init__(self) -> None:
            self.load_1min = None

        def finish(self, report: Any, figures: Any, *, threads: int | None = None) -> None:
            report.add("other processes used 1.50 cores on average while measuring", *figures)

    _fake_launch(monkeypatch, [2.3, 2.2, 2.1])
    monkeypatch.setattr(run_mod, "Watch", BusyWatch)
    r = run_mod.profile_distributed(run_mod.DistConfig(bundle_ref="tests/dist_models.py:mlp", steps=3),
                                    run_mod.Launch(nproc=1, nnodes=2, rdzv_endpoint="127.0.0.1:29500"))
    assert r.single is None  # no one-process run on several machines
    assert r.contention.warnings == ["2-rank run (1 on this node): other processes used 1.50 cores on average while "
                                     "measuring"]
    # the speedup and scaling efficiency a 2-node run does not have were said to be disturbed
    assert r.contention.disturbed == ["step time of every rank", "collectives and compute of every rank"]


def test_a_two_node_run_says_why_it_has_no_speedup_and_counts_every_rank() -> None:
    # --nnodes 2 --nproc 2: no one-process line and no word why; history's key figure 'ranks' read 2 for 4 ranks
    import dataclasses
    import html

    from test_distributed_view import _console, _page, _result

    from accelopt.report.distributed_view import key_figures

    r = dataclasses.replace(_result(None), nnodes=2)
    assert r.single is None
    for shown in (" ".join(_console(r).split()), " ".join(html.unescape(_page(r)).split())):
        assert "on several machines (--nnodes > 1), so no speedup or scaling efficiency" in shown
    ranks = next(f for f in key_figures(r) if f.label == "ranks")
    assert ranks.value == 4 and ranks.unit == "count"
    one_node = _result(None)
    assert "not run on several machines" not in _console(one_node)
    assert next(f for f in key_figures(one_node) if f.label == "ranks").value == 2


def test_a_loss_per_sample_is_named_on_the_rank_as_profile_names_it(tmp_path: Path) -> None:
    # profile said 'loss_fn returned Tensor torch.Size([8]), not a scalar Tensor'; every rank of profile --nproc
    # crashed with torch's 'grad can be implicitly created only for scalar outputs' and 'fix the error in the model'
    from accelopt.distributed.types import Job
    from accelopt.distributed.worker import Rank, Trainer, _error_record
    from accelopt.errors import InputError

    job = Job(bundle_ref="tests/dist_models.py:vector_loss", parallel="none", out_dir=str(tmp_path))
    trainer = Trainer(job, Rank(job), "cpu")
    with pytest.raises(InputError, match=r"loss_fn returned Tensor torch.Size\(\[8\]\), not a scalar") as e:
        trainer.step_fn(0)
    record = _error_record(e.value)
    assert record["input"] and "reduce with .mean()" in record["fix"]  # the launcher's exit 2 with this fix


def test_the_partitioner_names_a_loss_per_sample_too() -> None:
    from accelopt.distributed.model import load_bundle
    from accelopt.distributed.partition import profile_layers
    from accelopt.errors import InputError

    bundle = load_bundle("tests/dist_models.py:vector_loss", {})
    with pytest.raises(InputError, match=r"loss_fn returned Tensor torch.Size\(\[4\]\), not a scalar"):
        profile_layers(bundle, 4, repeats=1)


def test_a_one_process_run_out_of_memory_keeps_the_measured_ranks(monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # FSDP on ranks that fit, the one-process baseline of the global batch did not: exit 2 'rank 0: the step does
    # not fit in memory', and the ranks' measured figures were lost with it
    from accelopt.distributed import run as run_mod
    from accelopt.distributed.launch import RankOutOfMemory, RawRun

    def launched(job: Any, launch: Any) -> RawRun:
        if job.parallel == "none":
            raise RankOutOfMemory("rank 0: the step does not fit in memory: the allocator said 'CUDA out of memory'",
                                  "use a smaller --batch-size")
        return RawRun(ranks=[_rank([2.3, 2.2, 2.1], rank=r) for r in range(launch.nproc)], out_dir=Path("."))

    monkeypatch.setattr(run_mod, "launch_job", launched)
    code, out, err = run_main(["profile", "tests/dist_models.py:mlp", "--nproc", "2", "--parallel", "fsdp", "--steps",
                               "3", "--json"], capsys)
    assert code == 0, err
    doc = __import__("json").loads(out)
    assert doc["single"] is None and len(doc["ranks"]) == 2 and doc["scaling_efficiency"] is None
    note = " ".join(doc["notes"])
    assert "one-process run of the global batch (16 samples) did not fit in one process's memory" in note
    assert "the allocator said 'CUDA out of memory'" in note and "--batch-size" in note
    code, out, _ = run_main(["profile", "tests/dist_models.py:mlp", "--nproc", "2", "--parallel", "fsdp", "--steps",
                             "3"], capsys)
    assert code == 0 and "did not fit in one process's memory" in " ".join(out.split())


def test_a_failing_one_process_run_is_named_as_such_not_as_rank_0(monkeypatch: pytest.MonkeyPatch,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    # the 2-rank run finished, then the baseline failed and the error said 'rank 0 crashed', a rank of the run
    from accelopt.distributed import run as run_mod
    from accelopt.distributed.launch import RawRun
    from accelopt.errors import MeasurementError

    def launched(job: Any, launch: Any) -> RawRun:
        if job.parallel == "none":
            raise MeasurementError("rank 0 crashed: ValueError: bad batch (at m.py:3)", "fix the error in the model")
        return RawRun(ranks=[_rank([2.3, 2.2, 2.1], rank=r) for r in range(launch.nproc)], out_dir=Path("."))

    monkeypatch.setattr(run_mod, "launch_job", launched)
    code, out, err = run_main(["profile", "tests/dist_models.py:mlp", "--nproc", "2", "--steps", "3"], capsys)
    err = " ".join(err.split())
    assert code == 2 and out == ""
    assert ("error: the one-process run (the baseline, after the distributed run finished) crashed: ValueError: bad "
            "batch (at m.py:3)") in err and "rank 0" not in err


def test_the_losses_are_shown_beside_the_one_process_runs() -> None:
    # the notes said a BatchNorm model's losses differ from the one-process run's; no loss was shown but in JSON
    import dataclasses
    import html

    from test_distributed_view import _console, _page, _result

    base = _result(None)
    ranks = [dataclasses.replace(r, losses=[2.3264, 2.3019, 2.2563]) for r in base.ranks]
    single = dataclasses.replace(ranks[0], losses=[2.3264, 2.3019, 2.2564])
    r = dataclasses.replace(base, ranks=ranks, single=single)
    want = "loss of the global batch, first -> last of 3 steps (warm-up included): 2.326 -> 2.256; one process: " \
           "2.326 -> 2.256"
    assert want in " ".join(_console(r).split())
    assert want in " ".join(html.unescape(_page(r)).split())


def test_a_pipeline_stage_without_parameters_trains_the_others(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # a stage of parameter-free layers (the loss head after the last Linear): its rank crashed with torch's
    # 'optimizer got an empty parameter list' and the error told the user to fix the model. A real 2-rank gloo run;
    # tolerance stated before measuring (as test_distributed_runs): the one-process run's losses within 1e-4.
    import tempfile

    from accelopt.distributed import run as run_mod

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    r = run_mod.profile_distributed(
        run_mod.DistConfig(bundle_ref="tests/dist_models.py:param_free_stage", parallel="pipeline", steps=3,
                           warmup=1), run_mod.Launch(nproc=2, timeout_s=120))
    assert r.partition is not None and r.partition.balanced.bounds == [0, 1, 2]
    steps = 1 + 3 + 1 + run_mod.PROFILE_STEPS  # warm-up, timed, the profiler's warm-up, profiled
    assert r.single is not None and len(r.single.losses) == len(r.ranks[1].losses) == steps
    assert r.ranks[1].losses == pytest.approx(r.single.losses, rel=1e-4)
    assert r.single.losses[-1] != r.single.losses[0]  # the first stage's Linear was trained


def test_a_stage_without_parameters_gets_an_optimizer_that_updates_nothing() -> None:
    import torch
    from torch import nn

    from accelopt.distributed.model import load_bundle
    from accelopt.distributed.worker import NothingToUpdate, stage_optimizer

    bundle = load_bundle("tests/dist_models.py:param_free_stage", {})
    assert isinstance(stage_optimizer(bundle, nn.Sequential(nn.ReLU())), NothingToUpdate)
    assert isinstance(stage_optimizer(bundle, nn.Sequential(nn.Linear(2, 2))), torch.optim.SGD)
    frozen = nn.Linear(2, 2).requires_grad_(False)
    assert isinstance(stage_optimizer(bundle, frozen), NothingToUpdate)


def test_a_pipelines_first_stage_as_the_straggler_is_said_to_be_its_schedule() -> None:
    # gpipe on 2 stages: 'straggler: rank 0 at 1.59x the median rank' read as a slow machine; the first stage ends
    # each step last by design
    import dataclasses

    from test_distributed_view import _console, _result

    from accelopt.report.distributed_view import straggler_line

    base = _result(None)  # rank 1 (stage 1) is the slowest
    assert "by its schedule" not in straggler_line(base)
    ranks = [dataclasses.replace(base.ranks[0], step_times_s=[2.9e-3] * 3), base.ranks[1]]
    r = dataclasses.replace(base, ranks=ranks)
    assert "rank 0 at" in straggler_line(r) and "first stage ends each step last by its schedule" in straggler_line(r)
    assert "first stage ends each step last" in " ".join(_console(r).split())
    assert "by its schedule" not in straggler_line(dataclasses.replace(r, parallel="ddp"))


def test_a_sigterm_leaves_no_run_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    # `timeout 300 accelopt profile ... --nproc 2` stopped the run cleanly but left /tmp/accelopt-dist-* behind,
    # its torchrun.log named to nobody (Ctrl-C removed it)
    import tempfile

    from accelopt.distributed import launch
    from accelopt.distributed.types import Job

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the run's folder is made here
    monkeypatch.setattr(launch, "torchrun_command", lambda *_: ["sleep", "30"])

    def terminated(*_: Any) -> None:
        raise SystemExit(143)  # what _sigterm_unwinds raises on SIGTERM

    monkeypatch.setattr(launch, "_wait", terminated)
    with pytest.raises(SystemExit):
        launch.launch_job(Job(), launch.Launch(nproc=2))
    assert list(tmp_path.iterdir()) == []


def test_torchrun_leaves_no_folder_of_its_own_in_tmpdir(tmp_path: Any) -> None:
    # uttools (2026-12-05): every `profile --nproc 2` left /tmp/torchelastic_* behind (two per run: the ranks' run and
    # the one-process one), torchrun's agent's log folder that nothing removes. Our torchrun command, its worker
    # swapped for one that exits at once, run with TMPDIR at an empty folder: its log folder is in the run's folder.
    import os
    import subprocess

    from accelopt.distributed import launch

    tmp, run = tmp_path / "tmp", tmp_path / "accelopt-dist-x"
    tmp.mkdir()
    run.mkdir()
    (run / "job.json").write_text("{}")
    cmd = launch.torchrun_command(run / "job.json", launch.Launch(nproc=1))
    cmd[cmd.index("accelopt.distributed.worker")] = "json.tool"  # `python -m json.tool job.json`: exits 0
    subprocess.run(cmd, env={**os.environ, "TMPDIR": str(tmp)}, check=True, capture_output=True, timeout=120)
    assert list(tmp.iterdir()) == [], list(tmp.iterdir())
    assert (run / "torchelastic").is_dir()
