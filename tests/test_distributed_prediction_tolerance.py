"""`profile --nproc` printed plan's predicted terms beside the measured ones with a signed error and no bar: a user
could not tell whether a -40% communication term was a good or a bad prediction. Each term now carries the tolerance
it is judged by (distributed.types.PREDICTION_TOLERANCE, validate's 25% bar) and whether it is inside it, in the text
table, the JSON (profile-distributed 8) and the HTML page."""

from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from rich.console import Console

from accelopt.distributed.predict_check import predict_run
from accelopt.distributed.types import (
    PREDICTION_TOLERANCE,
    CommTime,
    DistributedResult,
    PredictionCheck,
    RankResult,
    TermError,
)
from accelopt.hardware.catalog import get_device
from accelopt.report.distributed_view import _render_prediction, html_tables
from accelopt.report.schema import to_plain
from accelopt.workload.types import Op


def _run(prediction: PredictionCheck | None = None) -> DistributedResult:
    rank = RankResult(rank=0, world_size=2, host="h", step_times_s=[0.01] * 3, losses=[1.0], threads=1,
                      comm=CommTime(comm_s=0.002, overlapped_s=0.001, compute_s=0.006), peak_memory_bytes=1.0,
                      memory_source="test")
    return DistributedResult(name="m", parallel="ddp", schedule=None, nproc=2, nnodes=1, backend="gloo",
                             device="cpu", global_batch=16, microbatches=1, ranks=[rank], single=None,
                             prediction=prediction)


def test_within_tolerance_judges_the_error() -> None:
    assert TermError(term="a", predicted_s=1.2, measured_s=1.0, tolerance=0.25).within_tolerance is True
    assert TermError(term="a", predicted_s=1.3, measured_s=1.0, tolerance=0.25).within_tolerance is False
    assert TermError(term="a", predicted_s=0.7, measured_s=1.0, tolerance=0.25).within_tolerance is False
    assert TermError(term="a", predicted_s=1.0, measured_s=0.0, tolerance=0.25).within_tolerance is None
    assert TermError(term="a", predicted_s=1.0, measured_s=1.0).within_tolerance is None  # an older record


def test_predict_run_states_the_tolerance_of_every_term() -> None:
    mm = Op(name="aten.mm", kind="matmul", flops=2e12, bytes_read=1e8, bytes_written=5e7, dtype="fp32")
    check = predict_run(_run(), SimpleNamespace(ops=[mm]), get_device("xeon-8480plus"), 1e6)
    assert check.terms and all(t.tolerance == PREDICTION_TOLERANCE == 0.25 for t in check.terms)
    doc = to_plain(_run(check))["prediction"]
    assert all(t["tolerance"] == 0.25 and isinstance(t["within_tolerance"], bool) for t in doc["terms"])


def _check() -> PredictionCheck:
    return PredictionCheck(device="xeon-8480plus", link_source="catalog", terms=[
        TermError(term="compute", predicted_s=0.0061, measured_s=0.006, tolerance=0.25),
        TermError(term="communication", predicted_s=0.001, measured_s=0.002, tolerance=0.25)])


def test_text_table_prints_the_bar_and_each_verdict() -> None:
    buf = io.StringIO()
    _render_prediction(_run(_check()), Console(file=buf, width=200))
    out = buf.getvalue()
    assert "within +-25%" in out and "tolerance: |error| <= 25%" in out and "1 of 2 measured terms inside" in out
    rows = {ln.split()[1]: ln for ln in out.splitlines() if ln.startswith("│")}
    assert rows["compute"].rstrip(" │").endswith("yes") and rows["communication"].rstrip(" │").endswith("NO")


def test_html_table_has_the_column() -> None:
    (table,) = [t for t in html_tables(_run(_check())) if "prediction" in t.title]
    assert table.headers[-1] == "within +-25%" and [r[-1] for r in table.rows] == ["yes", "NO"]
    assert "tolerance: |error| <= 25%" in table.note


@pytest.mark.parametrize("version", [7])
def test_an_older_record_reads_without_a_tolerance(version: int) -> None:
    assert version in DistributedResult.READS_VERSIONS
    old = TermError(term="step", predicted_s=1.0, measured_s=1.1)
    buf = io.StringIO()
    _render_prediction(_run(PredictionCheck(device="d", link_source="l", terms=[old])), Console(file=buf, width=200))
    assert "not stated in this record" in buf.getvalue() and "within tolerance" in buf.getvalue()
