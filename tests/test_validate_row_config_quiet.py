"""`validate --row ID` wrote a row's architecture cells as a config.json without model_type; `plan explain --model`
then printed "model_type '(none)' has no rule in this reader ... compare the parameter count with the model card's"
for a block the row's cells state exactly (predict/validation.py run_model: pre-norm, 2 norms, no biases or learned
positions) and that no Hugging Face type is (Megatron-LM's GPT has biases and learned positions). The config now
declares that block (workload.presets.DECLARED_BLOCK_KEY): read back quiet, while a real unused key is still named,
and a bad declaration is refused with a fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accelopt.errors import InputError
from accelopt.predict.run_command import model_gaps, row_config, write_row_command
from accelopt.predict.validation import read_runs, run_model
from accelopt.workload.presets import get_model

ROWS = {r["id"]: r for r in read_runs()}
NOTE = "has no rule in this reader"


@pytest.mark.parametrize("run_id", ["meg-t1-1.7b", "llama3-405b-8k", "mb-gb200-gptoss-120b", "mb2606-gb300-dsv3"])
def test_row_config_reads_back_without_the_unknown_type_note(tmp_path: Path, run_id: str) -> None:
    cmd = write_row_command(ROWS[run_id], tmp_path)
    assert cmd.config_path is not None and not cmd.gaps
    model = get_model(cmd.config_path)
    assert not [n for n in model.config_defaults if NOTE in n]
    assert model.unused_keys == ()
    assert not model_gaps(run_model(ROWS[run_id]), model)


def test_the_same_config_without_the_declaration_still_has_the_note(tmp_path: Path) -> None:
    cfg = row_config(ROWS["meg-t1-1.7b"])
    cfg.pop("accelopt_block")
    path = tmp_path / "plain.json"
    path.write_text(json.dumps(cfg), encoding="utf-8")
    assert [n for n in get_model(str(path)).config_defaults if NOTE in n]


def test_a_real_unused_key_is_still_named(tmp_path: Path) -> None:
    cfg = {**row_config(ROWS["meg-t1-1.7b"]), "attention_dropout_mode": "fancy"}
    path = tmp_path / "extra.json"
    path.write_text(json.dumps(cfg), encoding="utf-8")
    assert get_model(str(path)).unused_keys == ("attention_dropout_mode",)


@pytest.mark.parametrize(("extra", "said"), [({"accelopt_block": "post-norm"}, "is not a block this reader builds"),
                                             ({"model_type": "llama"}, "is given beside model_type 'llama'")])
def test_a_bad_declaration_is_refused(tmp_path: Path, extra: dict[str, str], said: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({**row_config(ROWS["meg-t1-1.7b"]), **extra}), encoding="utf-8")
    with pytest.raises(InputError, match=said):
        get_model(str(path))
