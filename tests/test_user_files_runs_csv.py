"""A user's own runs CSV (`validate --runs`, `validate --serving --runs`): a hand-written header with a space after
each comma is the bundled header; a file separated by semicolons or tabs (a spreadsheet's export) is named as such
instead of every column reported missing (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main_expect as _cli

HEADER = ("id,source,hardware,devices,layers,hidden,heads,ffn,vocab,seq,global_batch,tp,pp,dp,recompute,step_s,dtype,"
          "mlp")
ROW = "my-run-1,our cluster 2026,h100-sxm,8,24,2048,16,8192,50257,2048,256,1,1,8,none,1.2,bf16,gelu"


def test_a_header_with_spaces_after_commas_validates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Was "lacks the column(s) source, hardware, devices, ...": csv read ' source' as the column's name."""
    p = tmp_path / "mine.csv"
    p.write_text(f"{HEADER.replace(',', ', ')}\n{ROW.replace(',', ', ')}\n")
    spaced, _ = _cli(capsys, "validate", "--runs", str(p), "--json")
    p.write_text(f"{HEADER}\n{ROW}\n")
    plain, _ = _cli(capsys, "validate", "--runs", str(p), "--json")
    assert '"my-run-1"' in spaced and spaced == plain


@pytest.mark.parametrize(("sep", "name"), [(";", "semicolons"), ("\t", "tabs")])
@pytest.mark.parametrize("serving", [False, True])
def test_a_file_in_another_separator_is_named(sep: str, name: str, serving: bool, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "mine.csv"
    p.write_text(f"{HEADER.replace(',', sep)}\n{ROW.replace(',', sep)}\n")
    _, err = _cli(capsys, "validate", *(["--serving"] if serving else []), "--runs", str(p), code=2)
    assert str(p) in err and f"separates its cells with {name}, not commas" in err and "lacks" not in err


@pytest.mark.parametrize(("old", "new", "named"), [
    (",1.2,bf16,", ",nan,bf16,", "run 'my-run-1': step_s = 'nan' is not a positive number"),
    ("h100-sxm", "h100-sxxm", "run 'my-run-1': unknown device 'h100-sxxm'"),
])
def test_a_bad_cell_names_the_runs_file(old: str, new: str, named: str, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """Was "run 'my-run-1': ..." alone: the file it came from went unnamed."""
    p = tmp_path / "mine.csv"
    p.write_text(f"{HEADER}\n{ROW.replace(old, new, 1)}\n")
    _, err = _cli(capsys, "validate", "--runs", str(p), code=2)
    assert f"runs file {p}: {named}" in err
