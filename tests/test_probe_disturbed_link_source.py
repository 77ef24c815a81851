"""Link figures `probe --collectives` measured while disturbed (spread or bimodal all-reduce repeats, a busy
machine) were written into the spec TOML like quiet ones, and `plan --collectives` then used them without a
word. The warning now travels in the figures' source text, which plan, explain and serve print beside the
measured link they use; figures of other collectives (not used by plan) do not mark the link."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main
from test_collectives_noise import _rank0
from test_distributed_units import _probe_result

from accelopt.distributed.collectives import LINK_FIGURES, build_result, spec_lines
from accelopt.measure.contention import ContentionReport, link_warning
from accelopt.measure.probe import spec_toml
from accelopt.predict.comm import load_measured

MIB4 = 4 * 2**20
PLAN = ["plan", "explain", "--model", "gpt3-1.3b", "--hardware", "h100-sxm", "--devices", "8", "--tp", "2"]


def _spec(tmp_path: Path, rank0: dict, report: ContentionReport | None = None) -> Path:  # type: ignore[type-arg]
    res = build_result(rank0, "gloo", "cpu", 2, report)
    path = tmp_path / "probe.toml"
    path.write_text(spec_toml(_probe_result(), spec_lines(res)))
    return path


def test_a_spread_all_reduce_marks_the_saved_link_and_plan_prints_it(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    path = _spec(tmp_path, _rank0(noisy_size=MIB4))
    source = load_measured(path).source
    warning = link_warning(source)
    assert warning is not None and warning.startswith("all_reduce 4 MiB: spread (p90 - p10) / median = "), source
    code, out, err = run_main([*PLAN, "--collectives", str(path)], capsys)
    assert code == 0, err
    text = " ".join((out + err).split())
    assert "warning: the measured link was disturbed while measured: all_reduce 4 MiB: spread" in text, text
    code, out, err = run_main([*PLAN, "--collectives", str(path), "--json"], capsys)  # JSON carries the source
    assert code == 0 and "all_reduce 4 MiB: spread" in json.loads(out)["measured_link"]["source"], err


def test_a_busy_machine_marks_the_link_with_its_warning() -> None:
    report = ContentionReport()
    report.add("other processes used 1.50 cores on average while measuring", "every collective figure")
    res = build_result(_rank0(), "gloo", "cpu", 2, report)
    assert LINK_FIGURES in res.contention.disturbed
    assert link_warning(spec_lines(res)[1]) == "other processes used 1.50 cores on average while measuring"


def test_a_quiet_link_is_saved_and_printed_without_a_warning(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    path = _spec(tmp_path, _rank0())
    assert link_warning(load_measured(path).source) is None
    code, out, err = run_main([*PLAN, "--collectives", str(path)], capsys)
    assert code == 0 and "measured:" in out and "disturbed" not in out + err, err


def test_a_spread_all_gather_alone_leaves_the_link_unmarked() -> None:
    """plan's link comes from the all-reduce times only: an all-gather's spread is probe's own warning."""
    rank0 = _rank0()
    ag = next(t for t in rank0["times"] if t["op"] == "all_gather" and t["size_bytes"] == MIB4)
    ag["times_s"] = [ag["times_s"][0] * (1 + 0.3 * i) for i in range(10)]
    res = build_result(rank0, "gloo", "cpu", 2)
    assert res.contention.warnings and link_warning(res.source) is None
