"""A user's own inference runs CSV (`validate --inference --runs`): a role other than fit/test counted as held out
without a word, and a published 'inf' was accepted; each bad cell is now named with its value (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main_expect as _cli

HEADER = "id,hardware,model,input_size,batch,dtype,metric,published,role,source,note"
ROW = "mine,edge-tpu,mobilenet-v1,224,1,int8,latency_ms,2.4,test,coral-bench,"


@pytest.mark.parametrize(("old", "new", "named"), [
    (",test,", ",tset,", "role 'tset' is not one of fit, test"),
    (",2.4,", ",inf,", "published = 'inf' is not a positive finite number"),
    (",224,", ",22a,", "input_size = '22a' is not a positive whole number"),
    (",224,1,", ",224,0,", "batch = '0' is not a positive whole number"),
])
def test_a_bad_cell_is_named(old: str, new: str, named: str, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "mine.csv"
    p.write_text(f"{HEADER}\n{ROW.replace(old, new, 1)}\n")
    _, err = _cli(capsys, "validate", "--inference", "--runs", str(p), code=2)
    assert named in err and "fix:" in err


def test_the_legal_row_reproduces(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "mine.csv"
    p.write_text(f"{HEADER}\n{ROW}\n")
    out, _ = _cli(capsys, "validate", "--inference", "--runs", str(p))
    assert "mobilenet-v1" in out and "2.4" in out
