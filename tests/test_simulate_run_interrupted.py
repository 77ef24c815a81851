"""`simulate run` stopped by Ctrl-C keeps the layers it simulated, as `simulate sweep` keeps the designs it did: a long
run (a scalesim-code replay of a large model) stopped midway printed nothing and recorded nothing (rev2 / ut4sim,
2026-12-06). The run goes in parts (engine.simulate_kept); the parts joined must equal one whole run."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from accelopt.simulate import engine
from accelopt.simulate.design import get_design
from accelopt.simulate.models import model_layers


@pytest.mark.parametrize("dataflow", ["os", "ws", "is", "rs"])
@pytest.mark.parametrize("convention", ["paper", "scalesim-code"])
def test_parts_joined_equal_the_whole_run(monkeypatch: pytest.MonkeyPatch, dataflow: str, convention: str) -> None:
    import dataclasses

    layers, _ = model_layers("alexnet-conv")
    base = get_design("eyeriss") if dataflow == "rs" else get_design("tpu-v1")
    d = dataclasses.replace(base, dataflow=dataflow) if dataflow != "rs" else base
    whole = engine.simulate(d, layers, convention)
    monkeypatch.setattr(engine, "PART_LAYERS", 2)
    parts = engine.simulate_kept(d, layers, convention)
    assert parts.names == whole.names and parts.kinds == whole.kinds and len(parts.names) > 2
    assert parts.cols.keys() == whole.cols.keys()
    for k in whole.cols:
        assert np.array_equal(parts.cols[k], whole.cols[k], equal_nan=True), k
    assert parts.rs_mappings == whole.rs_mappings and parts.weight_elems == whole.weight_elems
    assert parts.report("x") == whole.report("x")


def _stop_on_call(monkeypatch: pytest.MonkeyPatch, n: int) -> None:
    """engine.simulate raises KeyboardInterrupt on its n-th call, one layer a call."""
    real, calls = engine.simulate, []

    def stopping(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == n:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "PART_LAYERS", 1)
    monkeypatch.setattr(engine, "simulate", stopping)


def test_a_stopped_run_keeps_prints_and_records_the_layers_done(monkeypatch: pytest.MonkeyPatch,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    from conftest import run_main

    layers, _ = model_layers("alexnet-conv")
    whole = engine.simulate(get_design("tpu-v1"), layers[:2]).totals()
    _stop_on_call(monkeypatch, 3)
    code, out, err = run_main(["simulate", "run", "-d", "tpu-v1", "-m", "alexnet-conv", "--json"], capsys)
    assert code == 130, err
    doc = json.loads(out)
    assert doc["interrupted"] is True and len(doc["layers"]) == 2 and doc["totals"]["layers"] == 2
    assert doc["totals"]["total_cycles"] == whole.total_cycles
    assert doc["notes"][-1] == (f"PARTIAL: interrupted (Ctrl-C) after 2 of {len(layers)} layers: the table and "
                                "totals are those layers' only")
    code, listed, _ = run_main(["history", "list"], capsys)
    assert code == 0 and "INTERRUPTED (Ctrl-C or SIGTERM), partial" in listed, listed

    _stop_on_call(monkeypatch, 2)
    code, out, err = run_main(["simulate", "run", "-d", "tpu-v1", "-m", "alexnet-conv"], capsys)
    assert code == 130 and f"PARTIAL: interrupted (Ctrl-C) after 1 of {len(layers)} layers" in out, out + err


def test_a_run_stopped_in_its_first_part_keeps_nothing(monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from conftest import run_main

    _stop_on_call(monkeypatch, 1)
    code, out, _ = run_main(["simulate", "run", "-d", "tpu-v1", "-m", "alexnet-conv", "--json"], capsys)
    assert code == 130 and out == "", out
