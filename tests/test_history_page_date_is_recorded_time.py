"""A run's own `--html` page dates the run as the history records it, as `history show --html` re-renders it.

The defect (ut4hist, 2026-12-06): `validate --json --html val.html` recorded its run at 13:00:42 (id
20261206T130042.878Z-validate-219de3, `history show` time 2026-12-06T13:00:42.878Z) and its page, written after
the tables and plots, read 'date (UTC) 2026-12-06T13:00:44+00:00'; `history show ID --html` of the same run read
13:00:42. One run, two dates on what README calls its re-rendered page. The test moves the recording clock to a
fixed time, so the page date it reads can only come from the record."""
import datetime as dt
import json
import re
import types
from pathlib import Path

import pytest
from conftest import run_main

DATE_ROW = re.compile(r"date \(UTC\)</th><td>([^<]*)</td>")
RECORDED = dt.datetime(2021, 3, 4, 5, 6, 7, 891000, tzinfo=dt.timezone.utc)


class _Clock(dt.datetime):
    @classmethod
    def now(cls, tz: dt.tzinfo | None = None) -> "_Clock":  # type: ignore[override]
        return cls.fromtimestamp(RECORDED.timestamp(), tz)


def test_the_runs_page_dates_it_at_its_recorded_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from accelopt.report import history

    monkeypatch.setenv("ACCELOPT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ACCELOPT_NO_HISTORY", raising=False)
    # the history's clock only: the page is written by html.py, whose clock reads the real time
    monkeypatch.setattr(history, "_dt", types.SimpleNamespace(datetime=_Clock, timezone=dt.timezone,
                                                               timedelta=dt.timedelta))
    topo = tmp_path / "t.csv"
    topo.write_text("Layer, M, N, K,\nfc, 8, 8, 8,\n")
    page = tmp_path / "a.html"
    code, _, err = run_main(["simulate", "run", "-d", "tpu-v1", "--topology", str(topo), "--html", str(page)], capsys)
    assert code == 0, err
    code, out, err = run_main(["history", "show", "latest", "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    assert doc["time"] == "2021-03-04T05:06:07.891000Z"
    assert doc["id"].startswith("20210304T050607.891Z-simulate-run-")
    shown = DATE_ROW.search(page.read_text()).group(1)
    assert shown == "2021-03-04T05:06:07+00:00"
    code, _, err = run_main(["history", "show", "latest", "--html", str(tmp_path / "b.html")], capsys)
    assert code == 0, err
    assert DATE_ROW.search((tmp_path / "b.html").read_text()).group(1) == shown


def test_a_page_of_a_run_not_recorded_is_dated_now(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ACCELOPT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ACCELOPT_NO_HISTORY", "1")
    topo = tmp_path / "t.csv"
    topo.write_text("Layer, M, N, K,\nfc, 8, 8, 8,\n")
    page = tmp_path / "a.html"
    before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    code, _, err = run_main(["simulate", "run", "-d", "tpu-v1", "--topology", str(topo), "--html", str(page)], capsys)
    assert code == 0, err
    after = dt.datetime.now(dt.timezone.utc)
    shown = dt.datetime.fromisoformat(DATE_ROW.search(page.read_text()).group(1))
    assert before <= shown <= after


@pytest.mark.parametrize(("run_id", "want"), [
    ("20261206T130042.878Z-validate-219de3", dt.datetime(2026, 12, 6, 13, 0, 42, 878000, tzinfo=dt.timezone.utc)),
    ("imported-run-1", None), ("20261306T130042.878Z-plan-abcdef", None)])
def test_time_of_id(run_id: str, want: dt.datetime | None) -> None:
    from accelopt.report.history import time_of_id

    assert time_of_id(run_id) == want
