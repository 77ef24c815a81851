"""A user's own files (runs CSV, hardware spec) with hostile or malformed text: what reaches the terminal and what
the errors say (ut3io, 2026-12-06)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import run_main

SRC = Path(__file__).resolve().parents[1] / "src" / "accelopt"
HEADER = "id,source,hardware,devices,layers,hidden,heads,ffn,vocab,seq,global_batch,tp,pp,dp,recompute,mlp,step_s"
ROW = "h100-sxm,8,12,768,12,3072,50257,2048,64,1,1,8,none,gelu,0.5"


def test_escape_sequence_in_a_run_id_is_shown_not_sent(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A run id and source holding ESC (a terminal escape sequence: colours, a cleared screen, a retitled window)
    reached the terminal raw through validate's tables: their cells were rich Text objects built from the user's
    string, which the console's plain-text guard (report/console.printable) never saw."""
    runs = tmp_path / "runs.csv"
    runs.write_text(f"{HEADER}\nab\x1b[2Jcd,src\x1b]0;pwned\x07,{ROW}\n", encoding="utf-8")
    code, out, err = run_main(["validate", "--runs", str(runs)], capsys)
    assert code == 0, err
    assert "\x1b" not in out and "\x07" not in out
    assert "ab\\x1b[2Jcd" in out  # shown as a visible escape, the id still readable


def test_no_bare_rich_text_from_strings_outside_the_console_module() -> None:
    """rich's Text(str) shows control characters as they are; every module builds its Text through
    report.console.plain / line, which make them visible (the guard the validate tables above missed)."""
    bare = re.compile(r"\bText\(")
    found = [f"{p.relative_to(SRC)}:{n}" for p in SRC.rglob("*.py") if p.name != "console.py"
             for n, ln in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if bare.search(ln)]
    assert not found, found


@pytest.mark.parametrize(("row", "says"), [
    # global_batch left out: every later cell moved one column left, and the error blamed a blank step_s
    ("my1,our log,h100-sxm,8,12,768,12,3072,50257,2048,1,1,8,none,gelu,0.5",
     "run 'my1' has 16 cells, the header 17 columns: the row ends before its step_s column, where its published "
     "figure goes"),
    ("my1,our log,h100-sxm,8,12,768,12,3072,50257,2048,64,1,1,8",
     "run 'my1' has 14 cells, the header 17 columns: the row ends before its recompute, mlp columns, which every "
     "row needs"),
])
def test_a_row_shorter_than_the_header_is_named_as_such(row: str, says: str, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    runs = tmp_path / "runs.csv"
    runs.write_text(f"{HEADER}\n{row}\n", encoding="utf-8")
    code, _, err = run_main(["validate", "--runs", str(runs)], capsys)
    text = " ".join(err.split())
    assert code == 2 and says in text, text
    assert "a cell left out in the middle of the row puts every cell after it under the wrong column" in text


def test_a_serving_row_shorter_than_the_header_is_named_as_such(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    runs = tmp_path / "serving.csv"
    runs.write_text("id,source,engine,hardware,model,tp,pp,weight_dtype,kv_dtype,prompt_len,output_len,batch,metric,"
                    "published,role\ns1,b,vllm,h100-sxm,llama3-8b,1,1,bf16,bf16,1024,8,tpot_ms,20,test\n",
                    encoding="utf-8")  # output_len left out
    code, _, err = run_main(["validate", "--serving", "--runs", str(runs)], capsys)
    text = " ".join(err.split())
    assert code == 2 and "run 's1' has 14 cells, the header 15 columns: the row ends before its role column" in text


def test_trailing_optional_cells_may_still_be_left_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The bundled files leave out trailing optional cells (a blank); a user's row may too."""
    runs = tmp_path / "runs.csv"
    runs.write_text(f"{HEADER},mbs,note\nmy1,our log,{ROW}\n", encoding="utf-8")
    code, out, err = run_main(["validate", "--runs", str(runs)], capsys)
    assert code == 0, err
    assert "my1" in out


def test_plan_infer_says_why_a_device_of_ones_own_sorts_last(tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    """`plan infer` without --latency-budget-ms orders its table by the objective (energy), so a spec without tdp_w
    came last without a word but its n/a cells; the order and the reason are now said (as with a budget)."""
    spec = tmp_path / "asic.toml"
    spec.write_text('[[device]]\nname = "our-asic"\nkind = "asic"\nvendor = "Us"\n'
                    'peak_flop_per_s = { bf16 = [200e12, "our slide 3"] }\nmemory_bytes = [32e9, "our slide 3"]\n'
                    'memory_bandwidth_byte_per_s = [1e12, "our slide 3"]\n', encoding="utf-8")
    code, out, err = run_main(["plan", "infer", "--model", "resnet50", "--hardware", f"{spec},h100-sxm"], capsys)
    assert code == 0, err
    text = " ".join(out.split())
    assert ("order: best first by energy at batch 1: h100-sxm; not ranked, no energy figure (no TDP in its spec): "
            "our-asic") in text
    code, out, err = run_main(["plan", "infer", "--model", "resnet50", "--hardware", "h100-sxm"], capsys)
    assert code == 0 and "order:" not in out  # every device ranked: the table says it all
