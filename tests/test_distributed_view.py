"""The console and the HTML page of `profile --nproc` show the same figures from one DistributedResult: the
profiled step beside the trace figures it frames (collectives above the uninstrumented step median looked like an
error), the pipeline split, the straggler, the prediction's notes or why it was left out."""

from __future__ import annotations

import io

from accelopt.distributed.types import (
    CommTime,
    DistributedResult,
    Partition,
    PredictionCheck,
    RankResult,
    StageBalance,
    TermError,
)
from accelopt.report.console import make_console
from accelopt.report.distributed_view import render
from accelopt.report.html import render_html
from accelopt.units import fmt_seconds


def _result(prediction: PredictionCheck | None) -> DistributedResult:
    def rank(i: int, step_s: float) -> RankResult:
        # the profiled steps ran 4x slower than the timed ones: collectives exceed the step median
        comm = CommTime(comm_s=5.4e-3, overlapped_s=0.0, compute_s=3.88e-4, profiled_step_s=6.25e-3)
        return RankResult(rank=i, world_size=2, host="h", step_times_s=[step_s] * 3, losses=[1.0], comm=comm,
                          peak_memory_bytes=2**28, memory_source="process peak resident set (getrusage)", threads=1,
                          stage=i)

    part = Partition(layers=[], stages=2, memory_limit_bytes=None,
                     balanced=StageBalance(bounds=[0, 3, 5], stage_times_s=[2e-4, 1.5e-4], stage_memory_bytes=[1, 1]),
                     naive=StageBalance(bounds=[0, 2, 5], stage_times_s=[1.2e-4, 2.6e-4], stage_memory_bytes=[1, 1]))
    return DistributedResult(name="seq [red]x[/red]", parallel="pipeline", schedule="1f1b", nproc=2, nnodes=1,
                             backend="gloo", device="cpu", global_batch=8, microbatches=4,
                             ranks=[rank(0, 1.8e-3), rank(1, 1.83e-3)], single=None, partition=part,
                             prediction=prediction, environment={"threads_per_rank": 1})


def _console(r: DistributedResult) -> str:
    buf = io.StringIO()
    render(r, make_console(file=buf, width=200))
    return buf.getvalue()


def _page(r: DistributedResult) -> str:
    return render_html("profile-distributed", r, title="t", argv=["profile"]).split("full result (JSON)")[0]


def test_console_and_page_show_the_profiled_step_and_the_split() -> None:
    r = _result(None)
    text, page = _console(r), _page(r)
    for shown in (text, page):
        assert "profiled step" in shown and fmt_seconds(6.25e-3) in shown
        assert "straggler: rank 1 at" in shown
        assert "stages start at layers [0, 3], balance 1.14" in shown
        assert "no catalog entry for this device" in shown  # the prediction left out, and why
    assert "seq [red]x[/red]" in text  # plain text


def test_page_shows_the_prediction_notes() -> None:
    pred = PredictionCheck(device="h100-sxm", link_source="catalog link",
                           notes=["compute on h100-sxm at its fp32 peak"],
                           terms=[TermError(term="step", predicted_s=4e-4, measured_s=1.83e-3)])
    r = _result(pred)
    for shown in (_console(r), _page(r)):
        assert "compute on h100-sxm at its fp32 peak" in shown and "catalog link" in shown


def test_console_and_page_say_ddp_looked_for_unused_parameters() -> None:
    r = _result(None)
    r.parallel, r.schedule, r.partition = "ddp", None, None
    for x in r.ranks:
        x.stage = None
    assert "find_unused_parameters" not in _console(r) and "find_unused_parameters" not in _page(r)
    r.ranks[1].unused_parameters = ["spare.weight", "spare.bias"]
    for text in (_console(r), _page(r)):
        assert "find_unused_parameters=True" in text and "spare.weight, spare.bias" in text


def test_console_and_page_warn_when_the_machine_was_busy() -> None:
    from accelopt.measure.contention import ContentionReport

    r = _result(None)
    assert "warning" not in _console(r)
    r.contention = ContentionReport()
    r.contention.add("other processes used 1.10 cores on average while measuring", "step time of every rank")
    for text in (" ".join(_console(r).split()), _page(r)):
        assert "other processes used 1.10 cores" in text and "step time of every rank" in text


def test_console_and_page_show_the_runs_notes() -> None:
    r = _result(None)
    r.notes = ["1 BatchNorm layer(s), 1 (BatchNorm1d), normalize over each rank's slice of the batch"]
    for text in (" ".join(_console(r).split()), _page(r)):
        assert "1 (BatchNorm1d), normalize over each rank" in text  # the page escapes the apostrophe


def test_title_says_how_many_ranks_on_how_many_nodes() -> None:
    """The title read 'ddp on 2 x 1 ranks (gloo, cpu)': 2 ranks per node on 1 node, not '2 x 1 ranks'."""
    from accelopt.report.distributed_view import ranks_text

    r = _result(None)
    text = " ".join(_console(r).split())
    assert "pipeline on 2 ranks on 1 node (gloo, cpu)" in text and "2 x 1" not in text
    assert ranks_text(4, 2) == "8 ranks on 2 nodes (4 per node)"


def test_a_stopped_pipeline_page_shows_its_split_as_the_console_does() -> None:
    """A pipeline run stopped by Ctrl-C printed its split under the table ('pipeline split (balanced, ...): stages
    start at layers [0, 3]') but its --html page left the split out: the page now has it, table and line."""
    from accelopt.distributed.types import PartialDistributedResult, PartialRank
    from accelopt.report.distributed_view import render_partial, split_line

    part = _result(None).partition
    assert part is not None
    ranks = [PartialRank(rank=i, started=True, warmup_done=1, step_times_s=[2e-3] * 4, profiled_done=0,
                         peak_memory_bytes=2**28, memory_source="process peak resident set (getrusage)", threads=1,
                         stage=i) for i in range(2)]
    p = PartialDistributedResult(name="seq", parallel="pipeline", schedule="1f1b", nproc=2, nnodes=1, backend="gloo",
                                 device="cpu", global_batch=8, microbatches=4, steps=10, warmup=1, profile_steps=3,
                                 ranks=ranks, partition=part, missing=["the losses"], interrupted=True)
    buf = io.StringIO()
    render_partial(p, make_console(file=buf, width=400))
    line = split_line(part)
    assert line in " ".join(buf.getvalue().split())
    page = render_html("profile-distributed-partial", p, title="t", argv=["profile"]).split("full result (JSON)")[0]
    assert "pipeline split (fwd+bwd per micro-batch, profiled layer times)" in page
    assert line.replace("'", "&#x27;") in page or line in page, page
