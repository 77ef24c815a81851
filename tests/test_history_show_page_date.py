"""`history show --html` re-renders a run's page with its date written as the run's own page wrote it.

The defect: a `simulate run --html` page read 'date (UTC) 2026-12-05T22:18:02+00:00', and the same run re-rendered
by `history show ID --html` read '2026-12-05T22:18:02.859080Z' (the store's raw timestamp): one run, two spellings
of its date on what README calls its re-rendered page."""
import json
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest
from conftest import run_main

DATE_ROW = re.compile(r"date \(UTC\)</th><td>([^<]*)</td>")
SECONDS_UTC = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")


def test_the_reshown_page_writes_the_date_as_the_runs_page_did(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ACCELOPT_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("ACCELOPT_NO_HISTORY", raising=False)
    topo = tmp_path / "t.csv"
    topo.write_text("Layer, M, N, K,\nfc, 8, 8, 8,\n")
    code, _, err = run_main(["simulate", "run", "-d", "tpu-v1", "--topology", str(topo), "--html",
                             str(tmp_path / "a.html")], capsys)
    assert code == 0, err
    code, out, err = run_main(["history", "show", "latest", "--json"], capsys)
    assert code == 0, err
    doc = json.loads(out)
    recorded = doc["time"]
    code, _, err = run_main(["history", "show", "latest", "--html", str(tmp_path / "b.html")], capsys)
    assert code == 0, err
    first = DATE_ROW.search((tmp_path / "a.html").read_text()).group(1)
    again = DATE_ROW.search((tmp_path / "b.html").read_text()).group(1)
    assert SECONDS_UTC.fullmatch(first), first
    assert SECONDS_UTC.fullmatch(again), again
    # the re-rendered page's date is the recorded time, to the second
    when = datetime.fromisoformat(recorded.replace("Z", "+00:00")).astimezone(timezone.utc)
    assert again == when.replace(microsecond=0).isoformat()
