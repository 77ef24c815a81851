"""A training run's params_b (the published parameter count) against the count of its own architecture cells.

Tolerance (runs_csv.params_tolerance), from how a published figure is written, not from the rows' misses: one unit in
the last significant digit of params_b (rounding moves a count by half a unit; papers also truncate: Llama 3's '405B'
is 405.85 B), and at least 1% (biases and learned position embeddings, which params_total leaves out, are under 0.5%
each at hidden >= 2048: Narayanan et al. 2021 sec. 5.1)."""

from __future__ import annotations

import csv
import json
from importlib import resources
from pathlib import Path

import pytest
from conftest import run_main
from runs_rows import write_runs_file

from accelopt.predict.runs_csv import params_tolerance
from accelopt.predict.validation import check_params, read_runs, run_model

_BUNDLED = "published_training_runs.csv"


def _user_file(tmp_path: Path, run_id: str, **cells: str) -> Path:
    """tmp_path/runs.csv: the bundled row `run_id` alone, with `cells` changed (a user's own runs file)."""
    text = (resources.files("accelopt.predict") / "data" / _BUNDLED).read_text("utf-8")
    rows = list(csv.DictReader([ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]))
    row = next(r for r in rows if r["id"] == run_id)
    row.update(cells)
    return write_runs_file(tmp_path / "runs.csv", row)


@pytest.mark.parametrize(("text", "step"), [("70", 10.0), ("405", 4.05), ("8", 1.0), ("1000", 1000.0),
                                            ("175", 1.75), ("64.86", 0.6486), ("1.7", 0.1), ("6.74", 0.0674)])
def test_tolerance_is_one_unit_of_the_last_written_digit_at_least_one_percent(text: str, step: float) -> None:
    assert params_tolerance(text) == pytest.approx(step)


def test_every_bundled_row_matches_its_params_b_or_its_note_says_why() -> None:
    rows = {r["id"]: r for r in read_runs()}
    unexplained = [(m.id, m.counted_params / 1e9, m.published_params / 1e9) for m in check_params(list(rows.values()))
                   if not m.explained]
    assert not unexplained
    assert check_params(list(rows.values()))  # the 8 MaxText '64B' rows: the loop below checks their notes
    for m in check_params(list(rows.values())):  # an explanation quotes the architecture's own count
        assert f"{m.counted_params / 1e9:.2f} B" in rows[m.id]["note"], m.id


def test_narayanan_table1_counts_hold_the_embedding_once() -> None:
    # Narayanan et al. 2021 sec. 5.1: P = 12 l h^2 (1 + 13/(12h) + (V + s)/(12 l h)), one V x h (Megatron-LM ties
    # its embeddings); Table 1: 1008.0 B at 128 layers, hidden 25600. Untied, the row counted 1009.26 B.
    row = next(r for r in read_runs() if r["id"] == "meg-t1-1008b")
    assert run_model(row).tied_embeddings
    assert run_model(row).params_total() / 1e9 == pytest.approx(1008.0, abs=params_tolerance("1008.0"))


def test_mistyped_hidden_in_a_user_file_warns_naming_row_counts_and_cell(tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    # Llama 2 13B (NeMo table row, params_b 13): hidden 5120 typed as 1520 (two digits swapped; 40 heads divide it)
    path = _user_file(tmp_path, "nemo-llama2-13b", hidden="1520")
    code, out, err = run_main(["validate", "--runs", str(path)], capsys)
    assert code == 0, err
    assert "warning: run 'nemo-llama2-13b'" in err
    assert "params_b 13 B" in err and "the hidden cell may be mistyped (5120 would count 13.02 B)" in err
    code, out, err = run_main(["validate", "--runs", str(path), "--json"], capsys)
    (m,) = json.loads(out)["params_mismatches"]
    assert (m["id"], m["likely_cell"], m["likely_value"]) == ("nemo-llama2-13b", "hidden", 5120)
    assert m["counted_params"] < 0.3 * m["published_params"] and not m["explained"]


@pytest.mark.parametrize(("run", "cell", "typed", "true"), [
    ("nemo-llama2-13b", "layers", "4", 40), ("nemo-llama2-13b", "ffn", "18324", 13824),
    ("nemo-llama2-13b", "hidden", "10240", 5120), ("nemo-llama3-8b", "vocab", "12856", 128256)])
def test_the_likely_cell_is_the_mistyped_one(tmp_path: Path, run: str, cell: str, typed: str, true: int) -> None:
    # nemo-llama3-8b with params_b 8.03 (its architecture's count to 3 digits): a vocab slip moves it by 0.95 B,
    # which '8' (+-1 B) would let through
    (m,) = check_params(read_runs(_user_file(tmp_path, run, params_b="8.03" if run == "nemo-llama3-8b" else "13",
                                             **{cell: typed})))
    assert (m.likely_cell, m.likely_value) == (cell, true)


def test_gqa_left_out_is_found_when_params_b_is_precise(tmp_path: Path) -> None:
    # Llama 3.1 70B with kv_heads blank (MHA): 79.95 B, within '70' (+-10 B) but not within '70.55' (+-0.71 B)
    assert not check_params(read_runs(_user_file(tmp_path, "nemo-llama3-70b", kv_heads="")))
    (m,) = check_params(read_runs(_user_file(tmp_path, "nemo-llama3-70b", kv_heads="", params_b="70.55")))
    assert (m.likely_cell, m.likely_value) == ("kv_heads", 8)


def test_blank_params_b_is_not_checked_and_counted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _user_file(tmp_path, "nemo-llama2-13b", hidden="1520", params_b="")
    code, out, err = run_main(["validate", "--runs", str(path), "--json"], capsys)
    doc = json.loads(out)
    assert code == 0 and doc["params_mismatches"] == [] and doc["params_unchecked_runs"] == 1
    assert "warning" not in err and "1 run(s) have params_b blank" in err


def test_a_note_naming_params_b_silences_the_warning(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # 13.02 B counted against '15' (+-1 B): 2 tolerances, a gap a note may explain (EXPLAINED_GAP)
    path = _user_file(tmp_path, "nemo-llama2-13b", params_b="15", note="params_b is the family name, not a count")
    code, out, err = run_main(["validate", "--runs", str(path), "--json"], capsys)
    (m,) = json.loads(out)["params_mismatches"]
    assert code == 0 and m["explained"] and "warning" not in err
    # still named, with both counts, in one note line: a note that names params_b cannot hide a mistyped cell
    assert "1 run(s) count other than their params_b, as their notes say: nemo-llama2-13b (" in " ".join(err.split())


def test_params_b_not_a_number_exits_2_naming_the_cell(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["validate", "--runs", str(_user_file(tmp_path, "nemo-llama2-13b", params_b="13B"))],
                            capsys)
    assert code == 2 and "params_b" in err and "Traceback" not in err


# (bert-base and bert-large, 512 positions, left this list when `plan serve` began refusing encoder-only models:
# tests/test_plan_new_user_configs.py::test_plan_serve_refuses_an_encoder)
@pytest.mark.parametrize(("model", "prompt", "positions"), [("deepseek-moe-16b", 4000, 4096)])
def test_presets_once_without_positions_now_note_a_request_beyond_them(model: str, prompt: int, positions: int,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    # BERT: google-research/bert modeling.py BertConfig(max_position_embeddings=512); DeepSeekMoE 16B Base: the
    # DeepSeek-MoE README's Model Downloads table, Sequence Length 4096 (workload/presets.py cites both)
    for output, noted in ((positions - prompt, False), (positions - prompt + 1, True)):
        code, out, err = run_main(["plan", "serve", "--model", model, "--batch", "1", "--prompt", str(prompt),
                                   "--output", str(output), "--json"], capsys)
        assert code == 0, err
        assert any(f"beyond the model's {positions} positions" in n for n in json.loads(out)["notes"]) == noted


@pytest.mark.parametrize("text", ["1e300", "1.3e1", "1_3"])
def test_params_b_not_written_as_a_decimal_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   text: str) -> None:
    """'1e300' was normalised to a tolerance of 1e300 B (no warning ever); '1_3' read as 13."""
    path = _user_file(tmp_path, "nemo-llama2-13b", params_b=text)
    code, _, err = run_main(["validate", "--runs", str(path)], capsys)
    assert code == 2 and "is not written as a decimal number of billions" in " ".join(err.split())


def test_a_note_does_not_explain_a_gap_of_many_tolerances(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A note naming params_b excuses a nominal size (1.2 tolerances for the MaxText '64B' rows), not a cell that
    counts a fifth of the published model."""
    path = _user_file(tmp_path, "nemo-llama2-13b", hidden="1520", note="params_b is the family name")
    code, out, err = run_main(["validate", "--runs", str(path), "--json"], capsys)
    (m,) = json.loads(out)["params_mismatches"]
    assert code == 0 and not m["explained"] and "warning: run 'nemo-llama2-13b'" in err
