"""A user's own runs CSV (`validate --runs`, `validate --serving --runs`): a hand-written header with a space after
each comma is the bundled header; a file separated by semicolons or tabs (a spreadsheet's export) is named as such
instead of every column reported missing (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main_expect as _cli

HEADER = ("id,source,hardware,devices,layers,hidden,heads,ffn,vocab,seq,global_batch,tp,pp,dp,recompute,step_s,dtype,"
          "mlp")
ROW = "my-run-1,our cluster 2026,h100-sxm,8,24,2048,16,8192,50257,2048,256,1,1,8,none,1.2,bf16,gelu"


def _report(out: str) -> dict[str, object]:
    """validate --json without input_files: the runs file's own SHA-256 differs between two spellings of it."""
    doc = json.loads(out)
    assert [f["role"] for f in doc.pop("input_files")] == ["runs", "calibration"]
    return doc


def test_a_header_with_spaces_after_commas_validates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Was "lacks the column(s) source, hardware, devices, ...": csv read ' source' as the column's name."""
    p = tmp_path / "mine.csv"
    p.write_text(f"{HEADER.replace(',', ', ')}\n{ROW.replace(',', ', ')}\n")
    spaced, _ = _cli(capsys, "validate", "--runs", str(p), "--json")
    p.write_text(f"{HEADER}\n{ROW}\n")
    plain, _ = _cli(capsys, "validate", "--runs", str(p), "--json")
    assert '"my-run-1"' in spaced and _report(spaced) == _report(plain)


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


SERVING_HEADER = ("id,source,engine,hardware,model,tp,pp,weight_dtype,kv_dtype,prompt_len,output_len,batch,metric,"
                  "published,role,note,ep,attention_dp,redundant_experts,two_batch_overlap,max_batch_size")
SERVING_CELLS = dict(zip(SERVING_HEADER.split(","), ("my-serve-1", "our lab", "vllm", "h100-sxm", "llama3-8b", "1", "1",
                                                    "bf16", "bf16", "128", "128", "1", "output_tok_s", "100", "test",
                                                    "", "", "", "", "", ""), strict=True))


def _serving_file(tmp_path: Path, col: str, value: str) -> Path:
    p = tmp_path / "serving.csv"
    p.write_text(f"{SERVING_HEADER}\n{','.join({**SERVING_CELLS, col: value}.values())}\n")
    return p


@pytest.mark.parametrize(("col", "value", "says", "fix"), [
    ("tp", "two", "is not a whole number", "write a whole number from 1"),
    ("prompt_len", "12x8", "is not a whole number", "write a whole number from 1 to 16,777,216 tokens"),
    ("output_len", "0", "is out of range (1..16,777,216 tokens", "write a whole number from 1"),
    ("published", "abc", "is not a positive number", "write a positive, finite number"),
    ("published", "nan", "is not a positive number", "write a positive, finite number"),
    ("batch", "0", "is out of range (1..", "write max (the engine's maximum load) or a whole number"),
    ("weight_dtype", "fp9", "is not one of bf16, fp16, fp8", "write one of bf16"),
    ("ep", "0", "is out of range (1..", "or leave it blank (1)"),
    ("max_batch_size", "x", "is not a whole number", "or leave it blank (the engine's default)"),
    ("two_batch_overlap", "maybe", "is not one of yes", "write one of yes, or leave it blank"),
    ("hardware", "h100-sxxm", "unknown device 'h100-sxxm'", "did you mean"),
    ("model", "llama9", "unknown model 'llama9'", "did you mean"),
])
def test_a_bad_serving_cell_names_the_row_column_and_value(col: str, value: str, says: str, fix: str,
                                                           tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Was one message for every numeric cell ("published, tp, pp, lengths and batch must be positive (finite)
    numbers ...", fix "fix that row"), the predictor's flag names for a dtype or ep ("--weight-dtype 'fp9'"), an
    unknown device without the row, and an unknown model told to become a 'gap' row."""
    p = _serving_file(tmp_path, col, value)
    _, err = _cli(capsys, "validate", "--serving", "--runs", str(p), code=2)
    problem, _, fix_text = " ".join(err.split()).partition("fix:")
    assert f"serving runs file {p}: serving run 'my-serve-1': {col} = {value!r} {says}" in problem
    assert fix in fix_text and f"in the {col} cell of row 'my-serve-1'" in fix_text


@pytest.mark.parametrize(("old", "new", "named", "fix"), [
    (",8,24,", ",8.5,24,", "devices = '8.5' is not a whole number", "write a whole number from 1"),
    (",256,1,1,8,", ",256,1,1,x,", "dp = 'x' is not a whole number", "in the dp cell of row 'my-run-1'"),
])
def test_a_bad_training_cell_says_what_to_write(old: str, new: str, named: str, fix: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Was the fix 'fix the devices cell of that row' (and 'is not a positive integer' for devices 8.5)."""
    p = tmp_path / "mine.csv"
    p.write_text(f"{HEADER}\n{ROW.replace(old, new, 1)}\n")
    _, err = _cli(capsys, "validate", "--runs", str(p), code=2)
    problem, _, fix_text = " ".join(err.split()).partition("fix:")
    assert f"runs file {p}: run 'my-run-1': {named}" in problem and fix in fix_text


def test_an_invalid_training_layout_names_the_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Was "layout tp=1 ... hsdp=4 ... is invalid" without the file or the row (an InfeasibleError, not wrapped)."""
    p = tmp_path / "mine.csv"
    p.write_text(f"{HEADER},hsdp\n{ROW},3\n")
    _, err = _cli(capsys, "validate", "--runs", str(p), code=2)
    assert f"runs file {p}: run 'my-run-1': layout " in " ".join(err.split())


@pytest.mark.parametrize("kind", ["training", "serving"])
def test_a_row_without_an_id_is_refused(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Was accepted: the row was reported under a blank name, and a bad cell in it was named "run ''"."""
    p = tmp_path / "mine.csv"
    if kind == "training":
        p.write_text(f"{HEADER}\n{ROW}\n{ROW.replace('my-run-1', '', 1)}\n")
    else:
        cells = ",".join({**SERVING_CELLS, "id": ""}.values())
        p.write_text(f"{SERVING_HEADER}\n{','.join(SERVING_CELLS.values())}\n{cells}\n")
    _, err = _cli(capsys, "validate", *(["--serving"] if kind == "serving" else []), "--runs", str(p), code=2)
    text = " ".join(err.split())
    assert f"{p}: run 2 (counting data rows from 1, after the header) has no id" in text
    assert "give each row an id" in text


def test_a_published_step_faster_than_the_peak_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Was accepted: step_s 0.0012 (1.2 s typed in ms / 1000) printed an error of +144,926% and entered the medians;
    a step faster than the devices' peak is not a run."""
    p = tmp_path / "mine.csv"
    p.write_text(f"{HEADER}\n{ROW.replace(',1.2,bf16,', ',0.0012,bf16,', 1)}\n")
    _, err = _cli(capsys, "validate", "--runs", str(p), code=2)
    text = " ".join(err.split())
    assert "run 'my-run-1': step_s = '0.0012' puts the step's model FLOPs at" in text
    assert "of the bf16 peak of 8 x h100-sxm" in text and "a figure in milliseconds is 1000x too small" in text
    assert "in the step_s cell of row 'my-run-1'" in text


def test_tflops_per_device_above_the_peak_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    p = tmp_path / "mine.csv"
    # full recompute: a run Narayanan et al. 2021 eq. 3 describes (any other is refused for that first)
    row = ROW.replace(",1.2,bf16,", ",,bf16,", 1).replace(",none,", ",full,", 1)
    p.write_text(f"{HEADER},tflops_per_gpu\n{row},8000\n")
    _, err = _cli(capsys, "validate", "--runs", str(p), code=2)
    text = " ".join(err.split())
    assert "tflops_per_gpu = '8000' puts the step's model FLOPs at" in text and "not per node" in text


@pytest.mark.parametrize(("metric", "published", "fix"), [
    ("ttft_ms", "0.0002", "give milliseconds"),  # 0.2 s typed as seconds into a ms column, /1000 again
    ("tpot_ms", "0.0066", "give milliseconds"),  # 6.6 ms typed as seconds
    ("output_tok_s", "9e6", "give tokens per second"),
])
def test_a_published_serving_figure_faster_than_the_device_is_refused(metric: str, published: str, fix: str,
                                                                      tmp_path: Path,
                                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """Was accepted with an error of -99.9% (or +1e5%) entering the medians: a TPOT shorter than one read of the
    weights at the memory bandwidth, a TTFT shorter than the prompt's FLOPs at the peak, is not a run."""
    cells = {**SERVING_CELLS, "metric": metric, "published": published}
    p = tmp_path / "serving.csv"
    p.write_text(f"{SERVING_HEADER}\n{','.join(cells.values())}\n")
    _, err = _cli(capsys, "validate", "--serving", "--runs", str(p), code=2)
    text = " ".join(err.split())
    assert f"serving run 'my-serve-1': published = '{published}' is" in text
    assert f"of what 1 x h100-sxm can do for {metric}" in text and fix in text


def test_a_bad_recompute_suffix_lists_every_recompute_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Was "give the recompute cell none, selective, full, minimal or mlp": the op mode (training.RECOMPUTE), which
    the cell accepts, went unnamed."""
    p = tmp_path / "mine.csv"
    p.write_text(f"{HEADER}\n{ROW.replace(',none,', ',full+tp,', 1)}\n")
    _, err = _cli(capsys, "validate", "--runs", str(p), code=2)
    text = " ".join(err.split())
    assert "run 'my-run-1': recompute = 'full+tp'" in text
    assert "minimal, minimal_flash, save_dot_except_mlpwi, mlp or op, optionally with +sp" in text


@pytest.mark.parametrize("blank", [",,,,", "," * 17, " , ,", "," * 25])
def test_a_row_of_blank_cells_is_skipped_as_an_empty_line(blank: str, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """A spreadsheet writes its empty rows as commas (',,,,'): such a row stopped the file with "run 2 (counting data
    rows from 1, after the header) has no id" (a user trial, uttrialC), where an empty line is skipped. It is skipped
    too, with as few or as many commas as the header has columns; a row with any cell still needs its id."""
    p = tmp_path / "mine.csv"
    p.write_text(f"{HEADER}\n{ROW}\n\n")
    plain, _ = _cli(capsys, "validate", "--runs", str(p), "--json")
    p.write_text(f"{HEADER}\n{ROW}\n{blank}\n")
    with_blank, _ = _cli(capsys, "validate", "--runs", str(p), "--json")
    assert _report(with_blank) == _report(plain)
    p.write_text(f"{HEADER}\n{ROW}\n,x{blank}\n")
    _, err = _cli(capsys, "validate", "--runs", str(p), code=2)
    assert "has no id" in err
