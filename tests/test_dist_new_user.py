"""A new user's `profile --nproc` mistakes refused before torchrun starts (no rank is launched): each is exit 2 with
the problem and a fix that applies to a distributed run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import run_main


@pytest.fixture
def no_launch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any torchrun launch fails the test: these refusals must come first."""
    def launched(*_: Any, **__: Any) -> None:
        raise AssertionError("torchrun was started")

    monkeypatch.setattr("accelopt.distributed.run.launch_job", launched)


@pytest.mark.parametrize("parallel", ["ddp", "fsdp", "pipeline"])
def test_no_trainable_parameter_is_refused_before_launch(parallel: str, no_launch: None,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["profile", "tests/dist_models.py:frozen", "--nproc", "2", "--parallel", parallel], capsys)
    assert code == 2 and "no trainable parameters" in err and "Traceback" not in err
    assert "without --nproc" in err  # not '--mode inference' alone, which --nproc refuses


def test_steps_beyond_the_limit_are_refused_before_launch(no_launch: None, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["profile", "tests/dist_models.py:mlp", "--nproc", "2", "--steps", "100000000"], capsys)
    assert code == 2 and "at most 1,000,000" in err


def test_ctrl_c_says_the_run_was_stopped(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def interrupted(*_: Any, **__: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("accelopt.distributed.run.profile_distributed", interrupted)
    code, out, err = run_main(["profile", "tests/dist_models.py:mlp", "--nproc", "2"], capsys)
    assert code == 130 and out == "" and "interrupted (Ctrl-C) before any rank finished a step" in err, err
    assert "none of its processes is left" in err


def test_ctrl_c_leaves_no_run_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    import tempfile

    from accelopt.distributed import launch
    from accelopt.distributed.types import Job

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the run's folder is made here
    monkeypatch.setattr(launch, "torchrun_command", lambda *_: ["sleep", "30"])

    def interrupted(*_: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(launch, "_wait", interrupted)
    with pytest.raises(KeyboardInterrupt):
        launch.launch_job(Job(), launch.Launch(nproc=2))
    assert list(tmp_path.iterdir()) == []


def test_more_stages_than_layers_is_refused_before_profiling(no_launch: None, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    def profiled(*_: Any, **__: Any) -> None:
        raise AssertionError("the layers were profiled")

    monkeypatch.setattr("accelopt.distributed.partition.profile_layers", profiled)
    code, _, err = run_main(["profile", "tests/dist_models.py:one_layer", "--nproc", "2", "--parallel", "pipeline"],
                            capsys)
    assert code == 2 and "1 layer" in err and "2 pipeline stages" in err
    assert "2 .. 1" not in err and "--parallel ddp" in err  # the fix names what works: not a range that is empty


def test_fewer_layers_than_stages_names_the_ranks_that_fit() -> None:
    from accelopt.distributed.partition import balanced_bounds
    from accelopt.distributed.types import LayerCost
    from accelopt.errors import InputError

    layers = [LayerCost(name=str(i), fwd_bwd_s=1.0, activation_bytes=1.0, param_bytes=1.0) for i in range(3)]
    with pytest.raises(InputError) as e:
        balanced_bounds(layers, 4)
    assert "3 layers" in e.value.problem and "--nproc 2 .. 3" in e.value.fix


def test_tied_first_and_last_layers_are_refused_for_a_pipeline(no_launch: None,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # each stage would train its own copy of the shared weight, and the run would silently train another model
    code, _, err = run_main(["profile", "tests/dist_models.py:tied", "--nproc", "2", "--parallel", "pipeline"], capsys)
    assert code == 2 and "Traceback" not in err
    assert "0:Embedding" in err and "3:Linear" in err and "share" in err and "--parallel ddp" in err


@pytest.mark.parametrize("seed", range(8))
def test_partitioner_keeps_tied_layers_in_one_stage(seed: int) -> None:
    """Best split among those that cut no tied span (brute force), or an InputError naming the tied layers."""
    import itertools
    import random

    from accelopt.distributed.partition import balanced_bounds, evaluate_split
    from accelopt.distributed.types import LayerCost
    from accelopt.errors import InputError

    rng = random.Random(seed)
    n, stages = rng.randint(4, 8), rng.randint(2, 3)
    lo = rng.randint(0, n - 2)
    tied = [(lo, rng.randint(lo + 1, n - 1))]
    layers = [LayerCost(name=f"{i}:L", fwd_bwd_s=rng.uniform(0.1, 5.0), activation_bytes=1.0, param_bytes=1.0)
              for i in range(n)]
    allowed = [k for k in range(1, n) if not tied[0][0] < k <= tied[0][1]]
    splits = [[0, *c, n] for c in itertools.combinations(allowed, stages - 1)]
    if not splits:
        with pytest.raises(InputError) as e:
            balanced_bounds(layers, stages, tied=tied)
        assert f"{tied[0][0]}:L" in e.value.problem and f"{tied[0][1]}:L" in e.value.problem
        return
    want = min(evaluate_split(layers, b, 1, "1f1b").slowest_s for b in splits)
    b = balanced_bounds(layers, stages, tied=tied)
    assert not any(tied[0][0] < k <= tied[0][1] for k in b[1:-1])
    assert evaluate_split(layers, b, 1, "1f1b").slowest_s == pytest.approx(want)


def test_tied_layers_are_found_by_parameter_identity() -> None:
    from dist_models import tied

    from accelopt.distributed.model import pipeline_layers, tied_spans

    assert tied_spans(pipeline_layers(tied().model)) == [(0, 3)]
    assert tied_spans(pipeline_layers(tied(head_tied=False).model)) == []


def test_fsdp_leaves_tied_layers_to_the_root_unit() -> None:
    # fully_shard on the embedding and then on the head refused the head's weight, already managed by another
    # FSDP group (every rank crashed): layers sharing a parameter are sharded together, by the root
    from dist_models import mlp, tied

    from accelopt.distributed.model import fsdp_units

    model = tied().model
    assert fsdp_units(model) == [model[1]]  # the Linear between them; the embedding and the tied head stay with root
    untied = tied(head_tied=False).model
    assert fsdp_units(untied) == [untied[0], untied[1], untied[3]]
    plain = mlp().model
    assert fsdp_units(plain) == [plain[0], plain[2], plain[4]]


def test_a_model_with_dropout_gets_a_note_that_its_losses_differ() -> None:
    """A Hugging Face T5 (dropout 0.1) under fsdp: losses 6.458 vs the one-process run's 6.188 on the first step and
    nothing said, while BatchNorm is. Dropout of p 0 draws nothing: no note."""
    from torch import nn

    from accelopt.distributed.model import dropout_note

    model = nn.Sequential(nn.Linear(4, 4), nn.Dropout(0.1), nn.Linear(4, 2), nn.Dropout(0.0))
    notes = dropout_note(model, "fsdp")
    assert len(notes) == 1 and "1 dropout layer(s) with p > 0 (1)" in notes[0] and "rank's slice" in notes[0]
    assert "micro-batch" in dropout_note(model, "pipeline")[0]
    assert dropout_note(nn.Sequential(nn.Linear(4, 2), nn.Dropout(0.0)), "ddp") == []


def test_the_dropout_of_an_rnn_or_attention_gets_the_note_too() -> None:
    """nn.LSTM(dropout=0.1, num_layers=2) and nn.MultiheadAttention(dropout=0.1) draw masks by a float attribute,
    not an nn.Dropout module: an LSTM language model under fsdp got no note. One layer: the LSTM draws none."""
    from torch import nn

    from accelopt.distributed.model import dropout_note

    model = nn.ModuleDict({"rnn": nn.LSTM(4, 4, num_layers=2, dropout=0.1), "one": nn.GRU(4, 4, dropout=0.0),
                           "attn": nn.MultiheadAttention(4, 2, dropout=0.1)})
    notes = dropout_note(model, "ddp")
    assert len(notes) == 1 and "2 dropout layer(s) with p > 0 (rnn, attn)" in notes[0], notes
    assert dropout_note(nn.ModuleDict({"rnn": nn.LSTM(4, 4, num_layers=2), "attn": nn.MultiheadAttention(4, 2)}),
                        "ddp") == []


def test_fsdp_shards_the_outer_blocks_of_nested_module_lists() -> None:
    """`profile MODEL --nproc 2 --parallel fsdp` on a Hugging Face T5 crashed every rank ('Invariant encountered:
    value was None'): the units were each block and then the layers of its inner ModuleList, already held by the
    block's FSDP group. Now the outer blocks only; fully_shard takes them (one gloo rank, in process)."""
    import torch
    import torch.distributed as dist
    from torch import nn
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard

    from accelopt.distributed.model import fsdp_units

    def block() -> nn.Module:  # a block holding a ModuleList of its own layers, as T5Block's `layer`
        class Block(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.layer = nn.ModuleList([nn.Linear(4, 4), nn.Linear(4, 4)])

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                for lin in self.layer:
                    x = torch.relu(lin(x))
                return x

        return Block()

    class Nested(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.block = nn.ModuleList([block(), block()])
            self.head = nn.Linear(4, 2)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            for b in self.block:
                x = b(x)
            return self.head(x)

    model = Nested()
    assert fsdp_units(model) == list(model.block)
    store = dist.HashStore()
    dist.init_process_group("gloo", store=store, rank=0, world_size=1)
    try:
        mesh = init_device_mesh("cpu", (1,))
        for unit in fsdp_units(model):
            fully_shard(unit, mesh=mesh)
        fully_shard(model, mesh=mesh)
        model(torch.randn(3, 4)).sum().backward()
        assert all(p.grad is not None for p in model.parameters())
    finally:
        dist.destroy_process_group()


def test_a_busy_machine_during_the_run_is_a_warning_naming_the_figures(monkeypatch: pytest.MonkeyPatch) -> None:
    # profile and probe warn when other processes compete for the cores; profile --nproc said nothing, however busy
    from accelopt.distributed import run as run_mod
    from accelopt.distributed.launch import RawRun, launch_job

    del launch_job
    rank = {"rank": 0, "world_size": 1, "host": "h", "step_times_s": [0.001, 0.001, 0.009], "losses": [1.0],
            "comm": {"comm_s": 0.0, "overlapped_s": 0.0, "compute_s": 0.001, "profiled_step_s": 0.001},
            "peak_memory_bytes": 1.0, "memory_source": "test", "threads": 1}

    def fake_launch(job: Any, launch: Any) -> RawRun:
        return RawRun(ranks=[dict(rank, rank=r) for r in range(launch.nproc)], out_dir=Path("."))

    class BusyWatch:
        def __init__(self) -> None:
            self.load_1min = None

        def finish(self, report: Any, figures: Any, *, threads: int | None = None) -> None:
            report.add("other processes used 1.50 cores on average while measuring", *figures)

    monkeypatch.setattr(run_mod, "launch_job", fake_launch)
    monkeypatch.setattr(run_mod, "Watch", BusyWatch)
    r = run_mod.profile_distributed(run_mod.DistConfig(bundle_ref="tests/dist_models.py:mlp"),
                                    run_mod.Launch(nproc=2))
    assert "2-rank run: other processes used 1.50 cores on average while measuring" in r.contention.warnings
    assert "one-process run: other processes used 1.50 cores on average while measuring" in r.contention.warnings
    assert "step time of every rank" in r.contention.disturbed and "one-process step time" in r.contention.disturbed
    assert "rank 0 step time" in r.contention.disturbed  # 1, 1 and 9 ms: a spread far above 50%


@pytest.mark.parametrize("parallel", ["ddp", "pipeline"])
def test_a_model_without_batches_is_refused_before_launch(parallel: str, no_launch: None,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    # ddp: every rank crashed with 'StopIteration: '; pipeline: a traceback, exit 1
    code, _, err = run_main(["profile", "tests/dist_models.py:empty", "--nproc", "2", "--parallel", parallel], capsys)
    assert code == 2 and "Traceback" not in err and "batches() yielded nothing" in err


@pytest.mark.parametrize("parallel", ["ddp", "pipeline"])
def test_batches_that_disagree_with_batch_size_are_refused(parallel: str, no_launch: None,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    # ddp ran on 6 samples and reported a global batch of 8; the pipeline crashed on mismatched micro-batches.
    # The bundle's batch check (profile's, as optimize's) refuses it before launch, naming the file and both sizes.
    code, _, err = run_main(["profile", "tests/dist_models.py:short_batches", "--nproc", "2", "--parallel", parallel],
                            capsys)
    err = " ".join(err.split())
    assert code == 2 and "Traceback" not in err
    assert "dist_models.py:short_batches" in err and "6 samples" in err and "batch_size 8" in err


def test_a_layer_failing_while_it_is_timed_is_named(no_launch: None, capsys: pytest.CaptureFixture[str]) -> None:
    # micro-batches of one sample: BatchNorm cannot train on them; the partitioner's timing left a traceback, exit 1
    code, _, err = run_main(["profile", "tests/dist_models.py:batchnorm", "--nproc", "2", "--parallel", "pipeline",
                             "--microbatches", "8"], capsys)
    err = " ".join(err.split())
    assert code == 2 and "Traceback" not in err
    assert "1:BatchNorm1d" in err and "1 sample" in err and "Expected more than 1 value" in err
    assert "pass --microbatches 4 (" in err  # micro-batches of 2: the most below 8 that 1F1B on 2 stages takes


class _Launched(Exception):
    """torchrun would start here: every check before the launch passed."""


@pytest.mark.parametrize(("batch", "schedule", "advice"), [
    ("7", "1f1b", ["--batch-size", "8", "--microbatches", "2"]),
    ("7", "1f1b", ["--schedule", "gpipe", "--microbatches", "1"]),
    ("7", "gpipe", ["--microbatches", "1"]),
    ("8", "1f1b", ["--microbatches", "4"])])
def test_a_failing_layers_microbatch_advice_names_a_count_that_works(
        batch: str, schedule: str, advice: list[str], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A batch of 7 with BatchNorm on 2 stages: 7 micro-batches of 1 sample fail in the BatchNorm, and the advice
    'use fewer --microbatches' led to 1, which the 1F1B schedule refuses. The advice now names counts (and a batch)
    that pass both the layer and the schedule: each is run and reaches the launch."""
    base = ["profile", "tests/dist_models.py:batchnorm", "--nproc", "2", "--parallel", "pipeline"]

    def launched(*_: Any, **__: Any) -> None:
        raise _Launched

    monkeypatch.setattr("accelopt.distributed.run.launch_job", launched)
    code, _, err = run_main([*base, "--batch-size", batch, "--microbatches", batch, "--schedule", schedule], capsys)
    err = " ".join(err.split())
    assert code == 2 and "1:BatchNorm1d" in err
    fix = err.split("fix:", 1)[1]
    assert " ".join(advice) in fix.replace("--batch-size a multiple of 4 (e.g. --batch-size 8) and", "--batch-size 8")
    args = dict(zip(["--batch-size", "--schedule"], [batch, schedule], strict=True))
    args.update(dict(zip(advice[::2], advice[1::2], strict=True)))
    with pytest.raises(_Launched):
        run_main([*base, *(x for kv in args.items() for x in kv)], capsys)


def test_1f1b_with_fewer_microbatches_than_stages_is_refused_before_launch(
        no_launch: None, capsys: pytest.CaptureFixture[str]) -> None:
    # torch's Schedule1F1B refuses it inside every rank, and the error told the user to fix the model
    code, _, err = run_main(["profile", "tests/dist_models.py:mlp", "--nproc", "2", "--parallel", "pipeline",
                             "--microbatches", "1"], capsys)
    err = " ".join(err.split())
    assert code == 2 and "1 micro-batch" in err and "2 stages" in err and "--schedule gpipe" in err
    # a prime batch leaves the default at 1 micro-batch: the fix names the batch size too
    code, _, err = run_main(["profile", "tests/dist_models.py:mlp", "--nproc", "2", "--parallel", "pipeline",
                             "--batch-size", "7"], capsys)
    err = " ".join(err.split())
    assert code == 2 and "--batch-size" in err and "--schedule gpipe" in err


@pytest.mark.parametrize(("parallel", "said"), [("ddp", True), ("fsdp", True), ("pipeline", True)])
def test_batchnorm_over_each_ranks_slice_is_said(parallel: str, said: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    # DDP and FSDP ranks normalize over their own slice: their losses differ from the one-process run's, silently
    from accelopt.distributed import run as run_mod
    from accelopt.distributed.launch import RawRun

    rank = {"rank": 0, "world_size": 2, "host": "h", "step_times_s": [0.001] * 3, "losses": [1.0],
            "comm": {"comm_s": 0.0, "overlapped_s": 0.0, "compute_s": 0.001, "profiled_step_s": 0.001},
            "peak_memory_bytes": 1.0, "memory_source": "test", "threads": 1}
    monkeypatch.setattr(run_mod, "launch_job", lambda job, launch: RawRun(
        ranks=[dict(rank, rank=r) for r in range(launch.nproc)], out_dir=Path(".")))
    r = run_mod.profile_distributed(run_mod.DistConfig(bundle_ref="tests/dist_models.py:batchnorm", parallel=parallel),
                                    run_mod.Launch(nproc=2))
    assert any("1 (BatchNorm1d)" in n and ("SyncBatchNorm" in n or "4 micro-batches" in n) for n in r.notes) == said


def test_a_distributed_run_says_each_stage_on_stderr(monkeypatch: pytest.MonkeyPatch,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    # a 2-rank FSDP run of a small model took 90 s on a busy 2-core machine with nothing printed until its table
    def launched(*_: Any, **__: Any) -> None:
        raise KeyboardInterrupt  # stops the run where torchrun would start, after the stages before it were said

    monkeypatch.setattr("accelopt.distributed.run.launch_job", launched)
    code, out, err = run_main(["profile", "tests/dist_models.py:mlp", "--nproc", "2", "--timeout-s", "50"], capsys)
    assert code == 130 and out == ""
    assert "profile: loading tests/dist_models.py:mlp" in err
    assert "ddp on 2 ranks under torchrun" in err and "for 50 s" in err, err


def test_probe_says_the_collectives_start_on_stderr(monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    # `probe --quick --collectives` printed its device plan, then nothing for the collectives' 50 s
    from accelopt.cli import probe

    monkeypatch.setattr("accelopt.distributed.collectives.measure_collectives", lambda *a, **k: "measured")
    assert probe._collectives("cpu", 2, True) == "measured"
    out, err = capsys.readouterr()
    assert out == "" and "all-reduce, all-gather, reduce-scatter and all-to-all on 2 ranks (gloo" in err, err
    assert "1 KiB to 4 MiB" in err


@pytest.mark.parametrize(("batch", "microbatches", "stages"), [(6, 3, 3), (4, 2, 2), (7, 7, 2), (12, 4, 4)])
def test_the_batch_the_advice_names_gives_larger_micro_batches(batch: int, microbatches: int, stages: int) -> None:
    """Where no count below the failing one suits 1F1B, the advice names a batch and --microbatches {stages}: it
    named a multiple of 2 x stages, which for a batch of 6 in 3 micro-batches of 2 on 3 stages (a layer failing on 2
    samples) was 'e.g. --batch-size 6 and --microbatches 3', the run that failed. The batch named now gives each
    micro-batch a sample more than the failing one at least."""
    import re
    from types import SimpleNamespace

    from accelopt.distributed.partition import _larger_microbatch_fix

    bundle = SimpleNamespace(batch_size=batch, meta={}, name="m")
    fix = _larger_microbatch_fix(bundle, microbatches, stages, "1f1b")
    named = re.search(r"--batch-size (\d+)\) and --microbatches (\d+)", fix)
    assert named, fix
    new_batch, count = int(named[1]), int(named[2])
    assert count >= stages and new_batch % count == 0, fix
    assert new_batch // count > batch // microbatches, fix
