"""fix5a (issue 10): a runs file whose id repeats names its bad values in the same error.

Before, check_table raised on the repeated id before any row's values were read: the user fixed the id, ran again,
and only then met the bad cell of another row (ut5val's notes). Now the repeated id is that row's first problem,
named in the one error each_row gives for the rows with a bad value; exit 2, as before."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from conftest import USER_RUNS_HEADER, USER_RUNS_ROWS, run_main

from accelopt.predict.runs_csv import bundled_path


def _bundled_rows(name: str) -> tuple[list[str], list[dict[str, str]]]:
    text = Path(bundled_path(name)).read_text(encoding="utf-8")
    reader = csv.DictReader(ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#"))
    return list(reader.fieldnames or []), list(reader)[:2]


def _write(path: Path, header: list[str], rows: list[dict[str, str]]) -> None:
    out = io.StringIO()
    w = csv.DictWriter(out, header, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")


def _flat(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    code, out, err = run_main(argv, capsys)
    assert code == 2 and not out, (code, out, err)
    return " ".join(err.split())


def test_training_runs_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = USER_RUNS_ROWS.strip().splitlines()
    bad = rows[1].replace("my-test,", "my-bad,", 1).replace(",10.0,", ",-1,", 1)
    path = tmp_path / "mine.csv"
    path.write_text("\n".join([USER_RUNS_HEADER, *rows, rows[0], bad]) + "\n", encoding="utf-8")
    flat = _flat(capsys, ["validate", "--runs", str(path)])
    assert "2 of the 5 runs have a problem" in flat, flat
    assert "run id 'my-fit' appears twice (data rows 1 and 4" in flat, flat
    assert "run 'my-bad': step_s = '-1' is not a positive number" in flat, flat


def test_a_repeated_id_alone_reads_as_before(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rows = USER_RUNS_ROWS.strip().splitlines()
    path = tmp_path / "mine.csv"
    path.write_text("\n".join([USER_RUNS_HEADER, *rows, rows[2]]) + "\n", encoding="utf-8")
    flat = _flat(capsys, ["validate", "--runs", str(path)])
    assert f"error: runs file {path}: run id 'my-a100' appears twice (data rows 3 and 4" in flat, flat


@pytest.mark.parametrize(("bundled", "flag"), [("published_serving_runs.csv", "--serving"),
                                                ("published_inference_runs.csv", "--inference")])
def test_serving_and_inference_runs_files(tmp_path: Path, capsys: pytest.CaptureFixture[str], bundled: str,
                                          flag: str) -> None:
    header, (one, two) = _bundled_rows(bundled)
    bad = {**two, "id": "my-bad", "published": "-3"}
    path = tmp_path / "mine.csv"
    _write(path, header, [one, two, dict(one), bad])
    flat = _flat(capsys, ["validate", flag, "--runs", str(path)])
    assert f"run id {one['id']!r} appears twice (data rows 1 and 3" in flat, flat
    assert "'my-bad'" in flat and "published" in flat and "'-3'" in flat, flat
