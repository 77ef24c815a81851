"""`profile --nproc N` stopped by a failed rank (or Ctrl-C) keeps the losses of the steps every rank finished, not only
their times (ut4dist, 2026-12-06). Each rank kept its step times in its progress files, but the losses lived on the
device until the end of the run, so a rank raising in its third timed step left 'not measured: the losses' although
every rank had computed them. Each rank now writes its own loss of each finished step beside its times (worker.Tally,
rank<R>.losses<K>.json); the partial result's global_losses is their mean (equal slices of the batch), or the last
pipeline stage's."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import torch
from conftest import run_main

from accelopt.distributed.types import PartialDistributedResult, PartialRank
from accelopt.report.distributed_view import partial_lines
from accelopt.workload.userfile import load_user_factory

MODELS = str(Path(__file__).with_name("dist_models.py"))


pytestmark = pytest.mark.usefixtures("run_dirs_in_tmp")


def _first_loss() -> float:
    """The loss of the first global batch before any update, computed here: the factory is called with torch seeded
    (0), on the ranks as here, so the weights are the same."""
    torch.manual_seed(0)
    bundle = load_user_factory(f"{MODELS}:crashing_late", batch_size=8)
    x, y = next(iter(bundle.batches()))
    with torch.no_grad():
        return float(bundle.loss_fn(bundle.model(x), y))


@pytest.mark.slow
def test_a_crashed_run_keeps_the_losses_of_the_steps_every_rank_finished(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["profile", f"{MODELS}:crashing_late", "--nproc", "2", "--steps", "5", "--warmup", "1",
                               "--json"], capsys)
    assert code == 2 and "rank 1 crashed" in err, err
    doc = json.loads(out)
    losses = doc["global_losses"]
    assert len(losses) >= 3, doc  # the warm-up step and the two timed steps every rank finished
    assert abs(losses[0] - _first_loss()) < 1e-5, (losses, _first_loss())  # the mean of the two halves' losses
    assert "the losses" not in doc["missing"]
    assert all(len(r["losses"]) >= 3 for r in doc["ranks"])


def _partial(parallel: str, losses: list[list[float]], nnodes: int = 1) -> PartialDistributedResult:
    ranks = [PartialRank(rank=i, warmup_done=1, step_times_s=[0.01], losses=ls,
                         stage=i if parallel == "pipeline" else None) for i, ls in enumerate(losses)]
    return PartialDistributedResult(name="m", parallel=parallel, schedule=None, nproc=len(ranks), nnodes=nnodes,
                                    backend="gloo", device="cpu", global_batch=8, microbatches=1, steps=5, warmup=1,
                                    profile_steps=6, ranks=ranks, missing=["the losses"], interrupted=True)


def test_global_losses_are_the_ranks_mean_or_the_last_stages() -> None:
    assert _partial("ddp", [[1.0, 2.0, 3.0], [3.0, 4.0]]).global_losses == [2.0, 3.0]  # the steps both finished
    assert _partial("pipeline", [[], [5.0, 4.0]]).global_losses == [5.0, 4.0]
    assert _partial("ddp", [[1.0], []]).global_losses == []  # a rank kept none: no global batch's loss
    assert _partial("fsdp", [[1.0], [2.0]], nnodes=2).global_losses == []  # the other node's ranks are not here
    line = [t for t in partial_lines(_partial("ddp", [[1.0, 2.0], [3.0, 4.0]])) if t.startswith("loss")]
    assert line == ["loss of the global batch, first -> last of the 2 steps every rank finished (warm-up included): "
                    "2 -> 3"], line


def _aten_ops_writing(losses: int, tmp_path: Path) -> tuple[int, list[float]]:
    """(aten ops the profiler records on the step's thread while a rank writes its losses after step `losses`, the
    chunk it wrote), the earlier steps' losses written as the run writes them, one a step."""
    from types import SimpleNamespace

    from torch.profiler import ProfilerActivity, profile

    from accelopt.distributed.worker import LossLog, Tally

    written: dict[str, Any] = {}
    me = SimpleNamespace(world=2, write=lambda suffix, data: written.__setitem__(suffix, data))
    job = SimpleNamespace(parallel="ddp", warmup=0, steps=losses)
    tally = Tally(job, me, "cpu", SimpleNamespace(stage=None))  # type: ignore[arg-type]
    tally.losses = log = LossLog(losses, "cpu")
    for i in range(losses - 1):
        log.append(torch.tensor(float(i)))
        tally._write_losses()
    log.append(torch.tensor(float(losses - 1)))
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        assert tally._write_losses() == losses
    ops = [e for e in prof.events() if e.name.startswith("aten::")]
    return len(ops), written[".losses0.json"]


def test_a_ranks_loss_writes_add_no_work_per_loss_to_the_profiled_steps(tmp_path: Path) -> None:
    """The write after each step (profiled steps too, inside torch.profiler) copies the new loss only, in one copy:
    a float() of each of the chunk's values ran 4 aten ops a value on the step's thread, which the trace counted as
    the step's compute (about 1,000 ops, 0.5 ms, at 250 losses; rev3, 2026-12-06)."""
    few, chunk_few = _aten_ops_writing(10, tmp_path)
    many, chunk_many = _aten_ops_writing(250, tmp_path)
    assert chunk_few == [float(i) for i in range(10)] and chunk_many == [float(i) for i in range(250)]
    assert many == few <= 10, (few, many)


def test_a_pipelines_losses_are_of_the_steps_every_stage_finished() -> None:
    """The last stage finishes a step's backward (and writes its loss) before stage 0 ends that step: stopped between
    the two, its extra loss was printed as one of 'the N steps every rank finished' (rev3, 2026-12-06)."""
    p = _partial("pipeline", [[], [5.0, 4.0, 3.0]])  # each stage finished 2 steps (1 warm-up, 1 timed) by its record
    p.ranks[1].step_times_s.append(0.01)  # the last stage one step further
    assert p.global_losses == [5.0, 4.0]
    assert "first -> last of the 2 steps every rank finished (warm-up included): 5 -> 4" in "\n".join(partial_lines(p))
    p.ranks[0].started, p.ranks[0].warmup_done, p.ranks[0].step_times_s = False, 0, []  # stage 0 finished none
    assert p.global_losses == []


def test_a_rank_that_had_finished_keeps_its_own_losses() -> None:
    """A rank whose whole run had finished when another failed or hung (a hang at exit: every rank finished) kept no
    losses, so the run said 'not measured: the losses' though every rank had them; it keeps its own from its progress
    files, not its result's global ones (rev3, 2026-12-06)."""
    from accelopt.distributed.run import DistConfig, partial_ranks
    from accelopt.distributed.types import CommTime, RankResult

    def progress(losses: list[float]) -> dict[str, Any]:
        return {"step": 2, "warmup_done": 1, "timed_done": 2, "step_times_s": [0.01, 0.01], "profiled_done": 0,
                "losses": losses}

    done = RankResult(rank=0, world_size=2, host="h", step_times_s=[0.01, 0.01], losses=[9.0, 9.0, 9.0],
                      comm=CommTime(comm_s=0.0, overlapped_s=0.0, compute_s=0.01), peak_memory_bytes=1e8,
                      memory_source="getrusage", threads=1).to_dict()
    records = [{"rank": 0, "started": True, "result": done, "progress": progress([1.0, 2.0, 3.0])},
               {"rank": 1, "started": True, "result": None, "progress": progress([3.0, 4.0, 5.0])}]
    ranks = partial_ranks(records, DistConfig(bundle_ref="x:y", steps=3, warmup=1, profile_steps=1))
    assert ranks[0].losses == [1.0, 2.0, 3.0] and ranks[1].losses == [3.0, 4.0, 5.0]
    p = PartialDistributedResult(name="m", parallel="ddp", schedule=None, nproc=2, nnodes=1, backend="gloo",
                                 device="cpu", global_batch=8, microbatches=1, steps=2, warmup=1, profile_steps=2,
                                 ranks=ranks, missing=[], interrupted=True)
    assert p.global_losses == [2.0, 3.0, 4.0]
