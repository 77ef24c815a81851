"""A design TOML with `dataflow = "WS"` (as papers write it) was refused ('dataflow 'WS' is unknown'), while
`simulate sweep --dataflow WS` was read as ws. The design file's dataflow is now read case-insensitively; the
design and its results are those of "ws"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "my_design.toml"


def _run(capsys: pytest.CaptureFixture[str], design: Path) -> dict:
    code, out, err = run_main(["simulate", "run", "-d", str(design), "-m", "alexnet-conv", "--json"], capsys)
    assert code == 0, err
    return json.loads(out)


def test_upper_case_dataflow_is_read_as_lower_case(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert '\ndataflow = "ws"\n' in text
    upper = tmp_path / "upper.toml"
    upper.write_text(text.replace('\ndataflow = "ws"\n', '\ndataflow = " WS "\n'), encoding="utf-8")
    got, want = _run(capsys, upper), _run(capsys, EXAMPLE)
    assert got["design"]["dataflow"] == "ws"
    assert got["totals"] == want["totals"]


def test_an_unknown_dataflow_is_still_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(EXAMPLE.read_text(encoding="utf-8").replace('\ndataflow = "ws"\n', '\ndataflow = "XS"\n'),
                   encoding="utf-8")
    code, _, err = run_main(["simulate", "run", "-d", str(bad), "-m", "alexnet-conv"], capsys)
    assert code == 2 and "dataflow 'XS' is unknown" in err, err
