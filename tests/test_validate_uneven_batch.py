"""What `validate --runs` says of a user's cells. A run whose global_batch the dp cell does not divide is timed at the
fullest rank's share (query.uneven_note):
`plan explain` with the row's flags says so, `validate --runs` said nothing (a typo of 63 for 64 went unseen)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

HEADER = "id,source,model,hardware,devices,seq,global_batch,tp,pp,dp,recompute,step_s,flash,overlap"


@pytest.mark.parametrize("batch,said", [(63, True), (64, False)])
def test_uneven_global_batch_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str], batch: int,
                                      said: bool) -> None:
    runs = tmp_path / "runs.csv"
    runs.write_text(f"{HEADER}\n[b]mine[/b],lab,llama3-8b,h100-sxm,64,8192,{batch},8,1,8,selective+sp,20,1,1\n",
                    encoding="utf-8")
    code, _, err = run_main(["validate", "--runs", str(runs)], capsys)
    assert code == 0, err
    text = " ".join(err.split())
    line = (f"note: run [b]mine[/b]: uneven global batch: {batch} sequences over 8 data-parallel ranks = 7 ranks x 8 "
            "+ 1 ranks x 7")
    assert (line in text) == said, text
    code, out, err = run_main(["plan", "explain", "--model", "llama3-8b", "--hardware", "h100-sxm", "--devices", "64",
                             "--tp", "8", "--recompute", "selective", "--seq-len", "8192", "--global-batch",
                             f"{batch}seq"], capsys)
    assert code == 0, err
    assert ("uneven global batch" in " ".join((out + err).split())) == said  # the command's note, as validate's


def test_an_mfu_of_another_source_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A row whose only figure is mfu_pct, from a source whose MFU is not the compared figure, was told it had 'no
    published figure (tflops_per_gpu is blank)': the cell it gave was not named, nor why it was not read."""
    runs = tmp_path / "runs.csv"
    runs.write_text(f"{HEADER},mfu_pct\nmine,our lab,llama3-8b,h100-sxm,64,8192,64,8,1,8,selective+sp,,1,1,45\n",
                    encoding="utf-8")
    code, _, err = run_main(["validate", "--runs", str(runs)], capsys)
    assert code == 2
    text = " ".join(err.split())
    assert "run 'mine': mfu_pct = '45' is the compared figure only for sources starting Llama3 or MaxText" in text
    assert "give step_s" in text
