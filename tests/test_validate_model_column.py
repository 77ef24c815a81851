"""A user's training runs file may name each run's model as `plan explain --model` does (a `model` cell: a preset or
a config.json, relative to the CSV's folder), so a run typed from a config predicts as the command does.

Before: a `model` column was refused ('column(s) no predictor reads'), and the architecture cells cannot say what a
config.json says: GPT-NeoX-20B's parallel block keeps two LayerNorms (use_parallel_residual; EleutherAI/gpt-neox
configs/20B.yml gpt_j_residual), the cells' `parallel` one, so `validate` gave 37.77 s where `plan explain --model
config.json` gave 38.03 s for the same run (Black et al. 2022: 96 A100-40GB, TP 2, PP 4, batch 1536 x 2048,
117 TFLOP/s per GPU)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

NEOX = {"model_type": "gpt_neox", "hidden_size": 6144, "intermediate_size": 24576, "num_attention_heads": 64,
        "num_hidden_layers": 44, "vocab_size": 50432, "max_position_embeddings": 2048, "hidden_act": "gelu_fast",
        "rotary_pct": 0.25, "use_parallel_residual": True, "tie_word_embeddings": False}
HEADER = ("id,source,model,hardware,devices,seq,global_batch,tp,pp,dp,recompute,tflops_per_gpu,flash,overlap,mbs,zero,"
          "dtype,no_tp_async")
ROW = "neox-20b,Black2022 sec3,neox/config.json,a100-sxm-40gb,96,2048,1536,2,4,12,full,117,0,1,4,1,fp16,1"
EXPLAIN = ["plan", "explain", "--hardware", "a100-sxm-40gb", "--devices", "96", "--tp", "2", "--pp", "4", "--mbs",
           "4", "--zero", "1", "--recompute", "full", "--no-sp", "--seq-len", "2048", "--global-batch", "1536seq",
           "--dtype", "fp16", "--no-flash", "--no-tp-async", "--json"]


def _files(tmp_path: Path, header: str = HEADER, row: str = ROW) -> Path:
    (tmp_path / "neox").mkdir()
    (tmp_path / "neox" / "config.json").write_text(json.dumps(NEOX), encoding="utf-8")
    runs = tmp_path / "runs.csv"
    runs.write_text(f"{header}\n{row}\n", encoding="utf-8")
    return runs


def test_model_cell_predicts_as_plan_explain(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    runs = _files(tmp_path)
    code, out, err = run_main(["validate", "--runs", str(runs), "--json"], capsys)
    assert code == 0, err
    [run] = json.loads(out)["runs"]
    code, out, err = run_main([*EXPLAIN, "--model", str(tmp_path / "neox" / "config.json")], capsys)
    assert code == 0, err
    assert run["predicted_step_s"] == json.loads(out)["prediction"]["step_time_s"]  # to the last digit


def test_model_cell_beside_architecture_cells_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    runs = _files(tmp_path, HEADER + ",layers,hidden", ROW + ",44,6144")
    code, _, err = run_main(["validate", "--runs", str(runs)], capsys)
    assert code == 2
    text = " ".join(err.split())
    assert "run 'neox-20b': model = " in text and "so do the cell(s) layers, hidden" in text
    assert "leave layers, hidden blank" in text


@pytest.mark.parametrize("cell", ["llama3-8bb", "neox/bad.json"])
def test_a_model_cell_that_does_not_read_names_its_row(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                       cell: str) -> None:
    """An unknown preset or a config that is not JSON in a model cell named neither the run nor the column (a file
    of many rows: which one?), where a serving row's says both."""
    runs = _files(tmp_path, row=ROW.replace("neox/config.json", cell))
    (tmp_path / "neox" / "bad.json").write_text('{"hidden_size": 6144', encoding="utf-8")
    code, _, err = run_main(["validate", "--runs", str(runs)], capsys)
    assert code == 2
    text = " ".join(err.split())
    assert "run 'neox-20b': model = '" in text and cell in text  # a relative path: as joined to the CSV's folder
    assert "(in the model cell of row 'neox-20b')" in text


def test_row_without_model_still_needs_its_architecture(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    runs = _files(tmp_path, HEADER + ",layers,hidden,heads,ffn,vocab,mlp",
                  ROW.replace(",neox/config.json,", ",,") + ",44,6144,64,24576,50432,")
    code, _, err = run_main(["validate", "--runs", str(runs)], capsys)
    assert code == 2
    assert "run 'neox-20b'" in err and "mlp" in err


@pytest.mark.parametrize("extra", ["model", "schedule"])
def test_blank_cell_notes_kept_with_a_column_beyond_the_header(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                               extra: str) -> None:
    """The stderr notes (blank flash / overlap, tp > 1 without +sp) re-read the file; that re-read refused the columns
    validate itself reads beyond the bundled header (model, schedule), so a file with one lost every note."""
    runs = _files(tmp_path)
    if extra == "schedule":
        runs.write_text(f"{HEADER},schedule,layers,hidden,heads,ffn,vocab,mlp\n"
                        + ROW.replace(",neox/config.json,", ",,") + ",1f1b,44,6144,64,24576,50432,gelu\n",
                        encoding="utf-8")
    code, _, err = run_main(["validate", "--runs", str(runs)], capsys)
    assert code == 0, err
    assert "note: recompute without +sp in 1 run(s) (neox-20b)" in " ".join(err.split())


def test_unused_config_keys_warned_as_plan_explain_warns(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    runs = _files(tmp_path)
    (tmp_path / "neox" / "config.json").write_text(json.dumps({**NEOX, "word_embed_proj_dim": 6144}), "utf-8")
    code, _, err = run_main(["validate", "--runs", str(runs)], capsys)
    assert code == 0, err
    assert "not modelled by the predictor, ignored: word_embed_proj_dim" in " ".join(err.split())


def test_unused_config_keys_name_the_cell_and_its_runs(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The warning named the config's model alone ('warning: config: config key(s) ...': a model read from
    neox/config.json is named 'config'), not the cell or the runs it concerns, where `validate --serving` names
    both (a user trial, uttrialC); the line of each config now names its cell and its runs, in the text and in JSON."""
    runs = _files(tmp_path)
    (tmp_path / "neox" / "config.json").write_text(json.dumps({**NEOX, "word_embed_proj_dim": 6144}), "utf-8")
    (tmp_path / "neox2").mkdir()
    (tmp_path / "neox2" / "config.json").write_text(json.dumps({**NEOX, "my_key": 1}), "utf-8")
    text = runs.read_text(encoding="utf-8")
    runs.write_text(text + ROW.replace("neox-20b,", "neox-20b-again,") + "\n"
                    + ROW.replace("neox-20b,", "neox-other,").replace("neox/config.json", "neox2/config.json") + "\n",
                    encoding="utf-8")
    code, out, err = run_main(["validate", "--runs", str(runs), "--json"], capsys)
    assert code == 0, err
    said = [n for n in json.loads(out)["input_notes"] if "not modelled by the predictor" in n]
    assert said == ["warning: model 'neox/config.json' of run(s) neox-20b, neox-20b-again: config key(s) not "
                    "modelled by the predictor, ignored: word_embed_proj_dim",
                    "warning: model 'neox2/config.json' of run(s) neox-other: config key(s) not modelled by the "
                    "predictor, ignored: my_key"], said
    assert all(s in " ".join(err.split()) for s in said)
