"""`accelopt profile CONFIG` of a Hugging Face config.json that transformers builds otherwise than the file reads: a
misspelt num_hiden_layers (set as an attribute no module reads) profiled BertConfig's default 12 layers, and the
tables, the stderr and the HTML page said nothing of it; the note (workload/hf.py _config_notes, which `plan infer`
prints) sat in the --json document's meta only. It is now a warning on stderr as soon as the model is built and the
first diagnosis note (tables, JSON, HTML)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import TINY_BERT, run_main, write_config

pytest.importorskip("transformers")

FAST = ["--mode", "inference", "--steps", "3", "--warmup", "0", "--batch-size", "1", "--seq-len", "8"]
IGNORED = "ignored when the model was built: num_hiden_layers"


def _folder(tmp_path: Path, cfg: dict[str, object]) -> str:
    """The folder holding `cfg` as config.json: profile is handed it as a user points at a downloaded model."""
    return str(write_config(tmp_path, cfg).parent)


def test_a_misspelt_size_is_said_on_stderr_in_the_json_and_on_the_html_page(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    html = tmp_path / "report.html"
    code, out, err = run_main(["profile", _folder(tmp_path, {**TINY_BERT, "num_hiden_layers": 2}), *FAST, "--json",
                               "--html", str(html)], capsys)
    assert code == 0, err
    assert "warning: config.json: config key(s) BertConfig" in err and IGNORED in err, err
    assert "no num_hidden_layers" in err and "num_hidden_layers 12" in err, err
    notes = json.loads(out)["diagnosis"]["notes"]
    assert any(IGNORED in n for n in notes) and any("num_hidden_layers 12" in n for n in notes), notes
    assert IGNORED in html.read_text()


def test_the_tables_say_it_and_a_complete_config_adds_no_such_note(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(["profile", _folder(tmp_path, {**TINY_BERT, "num_hiden_layers": 2}), *FAST], capsys)
    assert code == 0 and "note: config.json:" in out and "num_hiden_layers" in out, out
    code, out, err = run_main(["profile", _folder(tmp_path, {**TINY_BERT, "num_hidden_layers": 2}), *FAST], capsys)
    assert code == 0 and "config.json:" not in out + err, out + err


def test_a_bf16_torch_dtype_the_fp32_step_does_not_apply_is_said(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    # a published Llama/Mistral config says torch_dtype bfloat16; from_config built fp32 weights, the step ran fp32
    cfg = {**TINY_BERT, "num_hidden_layers": 1, "torch_dtype": "bfloat16"}
    code, out, err = run_main(["profile", _folder(tmp_path, cfg), *FAST, "--json"], capsys)
    assert code == 0, err
    assert "warning: config.json: torch_dtype bfloat16 is not applied" in err and "--dtype bf16" in err, err
    doc = json.loads(out)
    assert doc["dtype"] == "fp32" and any("torch_dtype bfloat16" in n for n in doc["diagnosis"]["notes"]), doc
    code, out, err = run_main(["profile", _folder(tmp_path, cfg), *FAST, "--dtype", "bf16", "--json"], capsys)
    assert code == 0 and "is not applied" not in err + json.dumps(json.loads(out)["diagnosis"]), err


def test_a_seq_len_beyond_the_positions_names_the_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the fix read "pass seq_len <= 16", the library's argument, at the command line whose option is --seq-len
    cfg = {**TINY_BERT, "num_hidden_layers": 1}
    code, _, err = run_main(["profile", _folder(tmp_path, cfg), "--seq-len", "40", "--steps", "3"], capsys)
    assert code == 2 and "exceeds the 16 positions" in err and "fix: pass --seq-len 16 or less" in err, err
