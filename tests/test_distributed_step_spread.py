"""`profile --nproc` shows each rank's step time and the one-process run's with their spread (p10, p90), on the
console, the HTML page and in --json, as `profile` shows its medians. Before, the three showed the median alone
(the JSON kept the raw step times): a rank whose steps ranged from 1 ms to 10 ms read as steady as one at 3 ms
every step, unless the spread passed the 50% warning threshold."""

from __future__ import annotations

import io
import json

import pytest

from accelopt.distributed.types import CommTime, DistributedResult, RankResult
from accelopt.report.console import make_console
from accelopt.report.distributed_view import render
from accelopt.report.html import render_html
from accelopt.report.schema import dump, load
from accelopt.units import fmt_seconds

STEPS_S = [1e-3, 2e-3, 3e-3, 4e-3, 10e-3]
"""Five timed steps: median 3 ms; p10 1.4 ms and p90 7.6 ms (linear interpolation, numpy's default)."""
SINGLE_STEPS_S = [5e-3, 5.5e-3, 6e-3, 6.5e-3, 20e-3]
"""The one-process run's: median 6 ms, p10 5.2 ms, p90 14.6 ms."""


def _rank(i: int, steps_s: list[float]) -> RankResult:
    comm = CommTime(comm_s=1e-3, overlapped_s=0.0, compute_s=1e-3, profiled_step_s=3e-3)
    return RankResult(rank=i, world_size=2, host="h", step_times_s=steps_s, losses=[1.0], comm=comm,
                      peak_memory_bytes=2**28, memory_source="process peak resident set (getrusage)", threads=1)


def _result() -> DistributedResult:
    return DistributedResult(name="m", parallel="ddp", schedule=None, nproc=2, nnodes=1, backend="gloo", device="cpu",
                             global_batch=8, microbatches=1, ranks=[_rank(0, STEPS_S), _rank(1, STEPS_S)],
                             single=_rank(0, SINGLE_STEPS_S), environment={"threads_per_rank": 1})


def test_the_quantiles_are_those_of_the_timed_steps() -> None:
    r = _result()
    assert r.ranks[0].step_p10_s == pytest.approx(1.4e-3) and r.ranks[0].step_p90_s == pytest.approx(7.6e-3)
    assert r.single is not None
    assert r.single.step_p10_s == pytest.approx(5.2e-3) and r.single.step_p90_s == pytest.approx(14.6e-3)


def test_console_page_and_json_show_the_spread_of_every_run() -> None:
    r = _result()
    buf = io.StringIO()
    render(r, make_console(file=buf, width=220))
    text = buf.getvalue()
    page = render_html("profile-distributed", r, title="t", argv=["profile"]).split("full result (JSON)")[0]
    doc = json.loads(json.dumps(dump("profile-distributed", r)))  # what --json prints
    for shown in (text, page):
        for p_s in (1.4e-3, 7.6e-3, 5.2e-3, 14.6e-3):
            assert fmt_seconds(p_s) in shown, (p_s, shown[:3000])
    assert "p10 5.2 ms, p90 14.6 ms over 5 steps" in text
    assert doc["ranks"][1]["step_p10_s"] == pytest.approx(1.4e-3)
    assert doc["ranks"][1]["step_p90_s"] == pytest.approx(7.6e-3)
    assert doc["single"]["step_p90_s"] == pytest.approx(14.6e-3)


def test_a_saved_record_loads_back_with_the_same_spread() -> None:
    """The quantiles are derived from the stored step times, so a record (history, `history show`) renders them."""
    back = load("profile-distributed", json.loads(json.dumps(dump("profile-distributed", _result()))))
    assert back.ranks[0].step_p90_s == pytest.approx(7.6e-3) and back.single.step_p10_s == pytest.approx(5.2e-3)
