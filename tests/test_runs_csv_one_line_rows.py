"""A runs file's row is one line (predict/runs_csv.csv_rows, shared by `validate --runs`, `--serving --runs` and
`--inference --runs`). Found by the utval user trial, 2026-12-03: a note cell opening a quote it did not close
('"see table 2') made csv read every later line into that cell, so three runs validated as one (exit 0, the other
two in no median and named nowhere); and a column named twice in the header (a second step_s added at the end)
silently replaced the first's cells. Both now exit 2 naming the run / column and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main_expect as _cli

from accelopt.predict.runs_csv import unclosed_quote_cell

HEADER = "id,source,hardware,devices,layers,hidden,heads,ffn,vocab,seq,global_batch,tp,pp,dp,recompute,step_s,mlp,note"
ROW = "my-run-{n},our cluster 2026,h100-sxm,8,24,2048,16,8192,50257,2048,256,1,1,8,none,1.2,gelu,{note}"

SERVING_HEADER = ("id,source,engine,hardware,model,tp,pp,weight_dtype,kv_dtype,prompt_len,output_len,batch,metric,"
                  "published,role,note")
SERVING_ROW = "my-serve-{n},our lab,vllm,h100-sxm,llama3-8b,1,1,bf16,bf16,128,128,64,output_tok_s,5000,test,{note}"


def _file(tmp_path: Path, serving: bool, notes: list[str], extra_header: str = "", extra: str = "") -> Path:
    header, row = (SERVING_HEADER, SERVING_ROW) if serving else (HEADER, ROW)
    p = tmp_path / "mine.csv"
    p.write_text("\n".join([header + extra_header]
                           + [row.format(n=n, note=note) + extra for n, note in enumerate(notes, start=1)]) + "\n")
    return p


@pytest.mark.parametrize("serving", [False, True])
@pytest.mark.parametrize("where", [0, 2])  # the first of three rows (the later two were swallowed), the last
def test_an_unclosed_quote_in_a_cell_is_refused(serving: bool, where: int, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Was exit 0 with one run of three validated (where 0): the note '"see table 2' took in the next two lines."""
    notes = ["", "", ""]
    notes[where] = '"see table 2'
    p = _file(tmp_path, serving, notes)
    _, err = _cli(capsys, "validate", *(["--serving"] if serving else []), "--runs", str(p), code=2)
    rid = f"my-{'serve' if serving else 'run'}-{where + 1}"
    assert f"{p}: run '{rid}': the note cell opens a quote" in err and "close the quote" in err


@pytest.mark.parametrize("serving", [False, True])
def test_quoted_cells_that_close_still_read(serving: bool, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """A quoted cell with a comma and a doubled quote, and a quote inside an unquoted cell, read as before."""
    p = _file(tmp_path, serving, ['"a, b ""c"""', 'the 7" screen', ""])
    out, _ = _cli(capsys, "validate", *(["--serving"] if serving else []), "--runs", str(p), "--json")
    for n in (1, 2, 3):
        assert f"my-{'serve' if serving else 'run'}-{n}" in out


@pytest.mark.parametrize(("serving", "col", "value"), [(False, "step_s", "40"), (True, "published", "50")])
def test_a_column_named_twice_is_refused(serving: bool, col: str, value: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """Was exit 0 with the second column's figure (40 s for the published 1.2 s) compared, the first dropped."""
    p = _file(tmp_path, serving, ["", ""], extra_header=f",{col}", extra=f",{value}")
    _, err = _cli(capsys, "validate", *(["--serving"] if serving else []), "--runs", str(p), code=2)
    assert f"{p}: column '{col}' appears 2 times in the header" in err and f"keep one {col} column" in err


@pytest.mark.parametrize(("line", "cell"), [
    ('a,b,"c', 2), ('"a', 0), ('a, "b ""x"" ,c', 1), ('a,"b"", c', 1),
    ('a,b,c', None), ('a,"b, c",d', None), ('a,"b ""q""",c', None), ('a,7" screen,c', None), ('a,"b" x,c', None),
    ('', None),
])
def test_unclosed_quote_cell_follows_csv(line: str, cell: int | None) -> None:
    assert unclosed_quote_cell(line) == cell
