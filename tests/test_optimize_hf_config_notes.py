"""`accelopt optimize CONFIG` of a Hugging Face config.json that transformers builds otherwise than the file reads: a
misspelt num_hiden_layers measured BertConfig's default 12 layers, and a torch_dtype bfloat16 (every published Llama
config's) was built and measured in fp32, the tables, --json notes, --html page and stderr saying nothing (the notes
sat in the model's meta only). profile says them (tests/test_profile_hf_config_notes.py); optimize now warns them on
stderr as soon as the model is built and makes them its first notes (workload.hf.config_notes, shared)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import TINY_BERT, run_main, write_config

pytest.importorskip("transformers")

FAST = ["--only", "bf16", "--rounds", "3", "--block-s", "0.005", "--warmup", "0", "--no-profile-bounds",
        "--combinations", "0", "--batch-size", "1", "--seq-len", "8"]
IGNORED = "ignored when the model was built: num_hiden_layers"


def test_a_misspelt_size_is_said_on_stderr_first_in_the_json_notes_and_on_the_html_page(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    html = tmp_path / "report.html"
    cfg = write_config(tmp_path, {**TINY_BERT, "num_hiden_layers": 1})
    code, out, err = run_main(["optimize", str(cfg), *FAST, "--json",
                               "--html", str(html)], capsys)
    assert code == 0, err
    assert "warning: config.json: config key(s) BertConfig" in err and IGNORED in err, err
    assert err.index("num_hidden_layers 12") < err.index("measuring the baseline"), err  # before the minutes measured
    notes = json.loads(out)["notes"]
    assert IGNORED in notes[0] and "num_hidden_layers 12" in notes[1], notes
    assert IGNORED in html.read_text()


def test_the_tables_say_a_bf16_torch_dtype_built_in_fp32_and_a_complete_fp32_config_adds_no_note(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = {**TINY_BERT, "num_hidden_layers": 1, "torch_dtype": "bfloat16"}
    code, out, err = run_main(["optimize", str(write_config(tmp_path, cfg)), *FAST], capsys)
    assert code == 0, err
    said = "config.json: torch_dtype bfloat16 is not applied"
    assert f"warning: {said}" in err and "--dtype bf16" in err, err
    assert f"note: {said}" in " ".join(out.split()) and "the baseline, and every variant" in " ".join(out.split()), out
    complete = write_config(tmp_path, {**TINY_BERT, "num_hidden_layers": 1})
    code, out, err = run_main(["optimize", str(complete), *FAST], capsys)
    assert code == 0 and "config.json:" not in out + err, out + err
