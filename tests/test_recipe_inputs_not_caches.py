"""`accelopt optimize --apply out/` (README's example) of a `digits` recipe exits 2 no more (ut3readme, 2026-12-06):
the save run recorded an editable install's src/accelopt.egg-info/entry_points.txt as a data file of the model and
trained the example (writing $ACCELOPT_HOME/examples/digits-*.pt), and the apply run, reading that cache, was refused
('whose code now read .../digits-....pt, which the run that saved the recipe did not read'). Package metadata and
the built-in examples' cache are no inputs of the model."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelopt.optimize.recipe import _an_input


def test_package_metadata_and_the_examples_cache_are_not_model_inputs(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("ACCELOPT_HOME", str(home))
    cached = home / "examples" / "digits-7bb49f49d8f52037.pt"
    meta = tmp_path / "src" / "accelopt.egg-info" / "entry_points.txt"
    data = tmp_path / "train.csv"
    for f in (cached, meta, data):
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text("x")
    assert not _an_input(str(cached))
    assert not _an_input(str(meta))
    assert _an_input(str(data))  # a user's data file still is one
