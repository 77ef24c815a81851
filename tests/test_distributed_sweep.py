"""A new user's models under `profile --nproc 2` (udist2's sweep): what failed, refused with the problem and the fix
before any rank starts."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import run_main


@pytest.fixture
def no_launch(monkeypatch: pytest.MonkeyPatch) -> None:
    def launched(*_: Any, **__: Any) -> None:
        raise AssertionError("torchrun was started")

    monkeypatch.setattr("accelopt.distributed.run.launch_job", launched)


def test_a_layer_given_an_lstms_tuple_names_what_it_received(no_launch: None,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    # the error said only "Linear.forward() takes 2 positional arguments but 3 were given" and to fix the layer
    code, _, err = run_main(["profile", "tests/dist_models.py:lstm_layers", "--nproc", "2", "--parallel", "pipeline"],
                            capsys)
    err = " ".join(err.split())
    assert code == 2 and "Traceback" not in err
    assert "called with 2 inputs: Tensor(2, 5, 24), tuple of 2 (the outputs of layer 1:LSTM)" in err
    assert "layer(*outputs)" in err and "wrapper module" in err


def test_the_prediction_prints_the_link_defaults_it_uses() -> None:
    # h100-sxm lists no link latency: the DDP all-reduce used plan's 2.4 us per step, and the check printed only
    # "h100-sxm's scale-up link x scaleup_bw_eff 0.8 (catalog)"
    from accelopt.distributed.predict_check import links_for
    from accelopt.hardware.catalog import get_device
    from accelopt.predict import comm

    links, src = links_for(get_device("h100-sxm"))
    assert links.up_lat == comm.DEFAULT_SCALEUP_LATENCY_S
    assert f"scaleup_latency_s = {comm.DEFAULT_SCALEUP_LATENCY_S:.4g} (assumed, not in the spec" in src
    assert "scaleout" not in src  # the ranks of one host use the scale-up figures only
