"""`simulate sweep --rows 64..16` suggested '512..8192' (plan --devices' example, from the range parser both share):
the fix now writes the user's own values low end first. A model factory returning an int was "built a int"."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

ROOT = Path(__file__).resolve().parents[1]


def test_a_reversed_range_is_answered_with_its_own_values(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    topo = tmp_path / "layers.csv"
    topo.write_text("Layer,M,N,K\nfc,64,64,64\n", encoding="utf-8")
    code, _, err = run_main(["simulate", "sweep", "-d", str(ROOT / "examples" / "my_design.toml"), "--topology",
                             str(topo), "--rows", "64..16"], capsys)
    assert code == 2 and "'64..16'" in err
    assert "16..64" in err.split("fix:")[1] and "512..8192" not in err


def test_a_factory_returning_an_int_is_named_plainly(tmp_path: Path) -> None:
    pytest.importorskip("torch")
    from accelopt.errors import InputError
    from accelopt.simulate.models import model_layers

    f = tmp_path / "m.py"
    f.write_text("def build():\n    return 3\n", encoding="utf-8")
    with pytest.raises(InputError) as e:
        model_layers(f"{f}:build", input_shape=(4,))
    assert "a int" not in e.value.problem and "returned a value of type int" in e.value.problem
