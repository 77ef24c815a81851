"""An optimize run stopped by Ctrl-C (`interrupted: true`, the baseline measured, no technique) was listed by
`history list` and `history show` as a finished one: 'recommended (baseline) ...; recommended speed-up 1x', read as
'nothing pays off'. Both now mark it."""

from __future__ import annotations

import json

import pytest
from conftest import run_main_expect as _cli

from accelopt.optimize.results import OptimizeResult, Recommendation, VariantResult
from accelopt.report import history
from accelopt.report.jsonout import to_jsonable


def _optimize(interrupted: bool) -> object:
    base = VariantResult(name="baseline", techniques=[], family="", status="measured", speedup=1.0,
                         step_time_p50_s=1.0e-4)
    return OptimizeResult(name="m", mode="inference", device="cpu", dtype="fp32", batch_size=8, metric="loss",
                          higher_is_better=False, quality_tolerance=1.0, quality_tolerance_unit="percent",
                          variants=[base], interrupted=interrupted,
                          recommendation=Recommendation(name="baseline", techniques=[], speedup=1.0,
                                                                    reason="the model as given"))


def test_list_and_show_mark_an_interrupted_optimize(capsys: pytest.CaptureFixture[str]) -> None:
    done = history.record("optimize", ["optimize", "m.py:build"], to_jsonable(_optimize(False)))
    stopped = history.record("optimize", ["optimize", "m.py:build"], to_jsonable(_optimize(True)))
    assert done and stopped
    runs = {r["id"]: r["summary"] for r in json.loads(_cli(capsys, "history", "list", "--json")[0])["runs"]}
    assert runs[stopped].startswith("INTERRUPTED (Ctrl-C or SIGTERM), partial: baseline step time (p50) 100 µs"), \
        runs[stopped]
    assert not runs[done].startswith("INTERRUPTED"), runs[done]
    out = _cli(capsys, "history", "show", stopped)[0]
    assert "INTERRUPTED (Ctrl-C or SIGTERM), partial" in " ".join(out.split())
    assert "INTERRUPTED" not in _cli(capsys, "history", "show", done)[0]


def _partial(failed: str) -> object:
    from accelopt.measure.profiler import PartialProfile
    from accelopt.measure.timing import Stats

    return PartialProfile(name="late-fail", mode="train", dtype="fp32", device="cpu", batch_size=8, steps=3, warmup=1,
                          interrupted=not failed, interrupted_during="roofline", failed=failed,
                          done=["capture", "warm-up", "headline", "breakdown", "memory"],
                          missing=["roofline", "energy"], step_time=Stats.of([0.048] * 3))


def test_a_failed_profile_is_marked_failed(capsys: pytest.CaptureFixture[str]) -> None:
    """A profile whose model raised in a later pass (profile-partial with `failed` set: its interrupted is False)
    was listed by `history list` and `history show` with its step time as a finished run's and no mark, while the
    same record stopped by Ctrl-C was marked INTERRUPTED. Now each says how it stopped."""
    failed = history.record("profile-partial", ["profile", "late.py:build"],
                            to_jsonable(_partial("model 'late-fail' raised RuntimeError [bad]")))
    stopped = history.record("profile-partial", ["profile", "late.py:build"], to_jsonable(_partial("")))
    assert failed and stopped
    runs = {r["id"]: r["summary"] for r in json.loads(_cli(capsys, "history", "list", "--json")[0])["runs"]}
    assert runs[failed].startswith("FAILED in the roofline pass, partial: step time"), runs[failed]
    assert runs[stopped].startswith("INTERRUPTED (Ctrl-C or SIGTERM), partial: step time"), runs[stopped]
    out = " ".join(_cli(capsys, "history", "show", failed)[0].split())
    assert "key figures (FAILED in the roofline pass, partial)" in out and "INTERRUPTED" not in out


def test_a_record_that_names_its_signal_is_marked_with_it(capsys: pytest.CaptureFixture[str]) -> None:
    """utcode (2026-12-05): every interrupted record was marked 'Ctrl-C or SIGTERM', though the run knew which
    (interrupts.stopped_by); a partial profile records it (stopped_by, profile-partial version 3)."""
    import dataclasses

    stopped = history.record("profile-partial", ["profile", "late.py:build"],
                             to_jsonable(dataclasses.replace(_partial(""), stopped_by="SIGTERM")))  # type: ignore[type-var]
    assert stopped
    runs = {r["id"]: r["summary"] for r in json.loads(_cli(capsys, "history", "list", "--json")[0])["runs"]}
    assert runs[stopped].startswith("INTERRUPTED (SIGTERM), partial: step time"), runs[stopped]
    out = " ".join(_cli(capsys, "history", "show", stopped)[0].split())
    assert "INTERRUPTED (SIGTERM)" in out and "Ctrl-C" not in out, out


def test_the_readme_says_both_markings() -> None:
    """rvcode (2026-12-05): the README said every stopped profile is marked 'INTERRUPTED (Ctrl-C or SIGTERM), partial'
    after a partial profile began recording its signal (stopped_by, profile-partial version 3) and being marked with
    it alone; it now quotes both markings, each as `history list` builds it."""
    import dataclasses
    import re
    from pathlib import Path

    from accelopt.cli.report import _stopped
    from accelopt.measure.profiler import PartialProfile

    text = " ".join((Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8").split())
    said = re.search(r"is marked `(INTERRUPTED \([^`]*\), partial)` by `list` and `show` \(a `profile` recorded with "
                     r"the signal, `stopped_by` since schema `profile-partial` version (\d+), by that signal alone: "
                     r"`(INTERRUPTED \([^`]*\), partial)`\)", text)
    assert said, "the README's history marking sentence"
    old = _partial("")
    signal = dataclasses.replace(old, stopped_by="SIGTERM")  # type: ignore[type-var]
    assert said.group(1) == _stopped("profile-partial", to_jsonable(old))
    assert said.group(3) == _stopped("profile-partial", to_jsonable(signal))
    # stopped_by came with profile-partial version 3 (PartialProfile's READS_VERSIONS comment); later versions
    # (4: memory.buffers_bytes) keep it
    assert int(said.group(2)) == 3 and PartialProfile.SCHEMA_VERSION >= 3
