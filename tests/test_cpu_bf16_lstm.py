"""An nn.LSTM under CPU bf16 autocast: torch's oneDNN LSTM kernel refuses bf16 input with fp32 weights on a CPU
without bf16 units ('could not create a primitive descriptor for the LSTM forward propagation primitive', torch 2.13
on an AVX2 CPU; pytorch/pytorch#88136). `profile --dtype bf16` and `optimize --dtype bf16` read it as the model's own
error ('model raised RuntimeError ... fix: check that model(*inputs) ... run on their own'), and optimize's bf16
variant failed with that fix; now the CPU is named, before anything runs, and bf16 is listed as not applicable.
The refusal is driven by a probe of a tiny nn.LSTM (monkeypatched here, so the tests read the same on a CPU whose
kernel has the bf16 form)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch")

import torch
from conftest import run_main

MODEL_FILE = '''
import torch
from torch import nn
from accelopt.workload.userfile import ModelBundle


class LM(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb, self.rnn, self.head = nn.Embedding(20, 8), nn.LSTM(8, 8, batch_first=True), nn.Linear(8, 20)

    def forward(self, ids):
        return self.head(self.rnn(self.emb(ids))[0])


def loss(out, y):
    return nn.functional.cross_entropy(out.reshape(-1, 20), y.reshape(-1))


def build(batch_size: int = 4) -> ModelBundle:
    g = torch.Generator().manual_seed(0)
    data = [torch.randint(0, 20, (batch_size, 9), generator=g) for _ in range(2)]
    pairs = [(d[:, :-1], d[:, 1:]) for d in data]
    return ModelBundle(name="tiny-lstm", model=LM(), batches=lambda: iter(pairs), eval_batches=lambda: iter(pairs),
                       metric="loss", loss_fn=loss, batch_size=batch_size)
'''

REFUSED = "could not create a primitive descriptor for the LSTM forward propagation primitive"
FAST = ["--rounds", "3", "--block-s", "0.005", "--warmup", "0", "--no-profile-bounds"]


@pytest.fixture
def model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The model file's file.py:factory, on a CPU whose LSTM kernel refuses bf16 autocast (the probe's answer)."""
    import accelopt.workload.amp as amp

    monkeypatch.setattr(amp, "_cpu_bf16_lstm_error", lambda: REFUSED)
    path = tmp_path / "lstm_lm.py"
    path.write_text(MODEL_FILE)
    return f"{path}:build"


def test_the_probe_says_what_torch_does_here() -> None:
    from accelopt.workload.amp import _cpu_bf16_lstm_error

    lstm = torch.nn.LSTM(3, 4, batch_first=True)
    try:
        with torch.autocast("cpu", dtype=torch.bfloat16):
            lstm(torch.randn(2, 5, 3))
        runs = True
    except RuntimeError:
        runs = False
    assert (_cpu_bf16_lstm_error() is None) == runs


def test_profile_bf16_names_the_cpu_not_the_model(model: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["profile", model, "--dtype", "bf16", "--steps", "3", "--warmup", "0"], capsys)
    assert code == 2 and out == ""
    assert "model 'tiny-lstm' at --dtype bf16: its nn.LSTM cannot run under bf16 autocast on this CPU" in err, err
    assert REFUSED in err and "--dtype fp32" in err and "check that model(*inputs)" not in err


def test_optimize_bf16_baseline_is_refused_before_measuring(model: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["optimize", model, "--dtype", "bf16", *FAST], capsys)
    assert code == 2 and "cannot run under bf16 autocast on this CPU" in err, err
    assert "measuring the baseline" not in err


def test_optimize_lists_bf16_as_not_applicable(model: str, capsys: pytest.CaptureFixture[str]) -> None:
    # small (2026-12-04): since adc23250 (--only naming no technique that applies is exit 2 before the baseline),
    # `--only bf16` alone is refused with bf16's reason; it exited 0 listing bf16 as not applicable before
    code, _, err = run_main(["optimize", model, "--only", "bf16", "--json", *FAST], capsys)
    assert code == 2, err
    assert "bf16: its nn.LSTM cannot run under bf16 autocast" in err and "measuring the baseline" not in err, err
