"""runs_csv._with_cell, the cheap `dataclasses.replace` of one field that check_params' mistyped-cell search
(_likely_cell) tries ~400 times per mismatched row, gives what replace gives: the same config, or the same
InputError for a value its checks refuse."""

from __future__ import annotations

from dataclasses import replace

import pytest

from accelopt.errors import InputError
from accelopt.predict.runs_csv import ARCH_CELLS, _keystroke_candidates, _with_cell
from accelopt.workload.presets import get_model


@pytest.mark.parametrize("name", ["llama3-8b", "mixtral-8x7b", "gpt3-125m"])
def test_with_cell_is_replace(name: str) -> None:
    model = get_model(name)
    tried = refused = 0
    for cell in (*ARCH_CELLS, "tied_embeddings"):
        typed = str(getattr(model, cell) if getattr(model, cell) is not None else "")
        values = [not model.tied_embeddings] if cell == "tied_embeddings" else \
            sorted(_keystroke_candidates(typed, model.heads if cell == "kv_heads" else None))
        for value in values:
            try:
                want = replace(model, **{cell: value})
            except InputError as e:
                with pytest.raises(InputError) as got:
                    _with_cell(model, cell, value)
                assert (got.value.problem, got.value.fix) == (e.problem, e.fix)
                refused += 1
                continue
            changed = _with_cell(model, cell, value)
            assert changed == want and changed.params_total() == want.params_total()
            tried += 1
    assert tried > 50 and refused > 0  # the candidates reached both outcomes
    assert model == get_model(name)  # the model copied from is left as it was
