"""A user's factory that draws its weights from torch's default generator without seeding it (nn.Embedding, nn.LSTM,
nn.Linear built as every tutorial builds them) got other weights on every run: torch seeds its default CPU generator
from /dev/urandom at start-up, so two `accelopt optimize FILE.py:lstm --mode train` runs of the same LSTM language model
scored baseline held-out losses of 3.917285 and 3.917148 (the quality steps themselves start from QUALITY_SEED and were
already the same). load_user_factory now calls the factory under torch.manual_seed(FACTORY_SEED), the caller's random
state put back after; a factory that seeds itself keeps its own seed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from conftest import run_main

MODEL_FILE = '''
import torch
from torch import nn
from accelopt.workload.userfile import ModelBundle


class LstmLm(nn.Module):
    def __init__(self, vocab=50, d=16):
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.rnn = nn.LSTM(d, 32, num_layers=2, batch_first=True, dropout=0.2)
        self.head = nn.Linear(32, vocab)

    def forward(self, x):  # x: (B, T) token ids -> (B, T, vocab)
        return self.head(self.rnn(self.emb(x))[0])


def _pairs(seed, batch_size, seq_len=10, n=3):
    g = torch.Generator().manual_seed(seed)
    for _ in range(n):
        x = torch.randint(0, 50, (batch_size, seq_len + 1), generator=g)
        yield x[:, :-1], x[:, 1:]


def _loss(out, y):
    return nn.functional.cross_entropy(out.reshape(-1, out.shape[-1]), y.reshape(-1))


def lstm(batch_size: int = 4):
    return ModelBundle(name="lstm-lm", model=LstmLm(), batches=lambda: _pairs(0, batch_size), loss_fn=_loss,
                       batch_size=batch_size, eval_batches=lambda: _pairs(1000, batch_size), metric="loss")


def seeded(batch_size: int = 4):
    torch.manual_seed(7)
    return lstm(batch_size)
'''


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "lstm_model.py"
    path.write_text(MODEL_FILE)
    return path


def _weights(path: Path, factory: str) -> list[torch.Tensor]:
    from accelopt.workload.userfile import load_user_factory

    return [t.clone() for t in load_user_factory(f"{path}:{factory}").model.state_dict().values()]


def test_an_unseeded_factory_builds_the_same_weights_whatever_the_callers_random_state(model_file: Path) -> None:
    torch.manual_seed(1)  # two processes start from two urandom seeds
    first = _weights(model_file, "lstm")
    torch.manual_seed(2)
    second = _weights(model_file, "lstm")
    assert all(torch.equal(a, b) for a, b in zip(first, second, strict=True))


def test_the_callers_random_state_is_put_back(model_file: Path) -> None:
    torch.manual_seed(3)
    expected = torch.rand(4)
    torch.manual_seed(3)
    _weights(model_file, "lstm")
    assert torch.equal(torch.rand(4), expected)


def test_a_factory_that_seeds_itself_keeps_its_seed(model_file: Path) -> None:
    from accelopt.workload.userfile import FACTORY_SEED

    assert FACTORY_SEED != 7
    torch.manual_seed(7)
    import importlib.util

    spec = importlib.util.spec_from_file_location("lstm_model_direct", model_file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    own = [t.clone() for t in module.LstmLm().state_dict().values()]
    assert all(torch.equal(a, b) for a, b in zip(own, _weights(model_file, "seeded"), strict=True))


def _baseline_loss(model_file: Path, capsys: pytest.CaptureFixture[str], caller_seed: int) -> float:
    torch.manual_seed(caller_seed)
    code, out, err = run_main(["optimize", f"{model_file}:lstm", "--mode", "train", "--only", "fused-optimizer",
                               "--rounds", "3", "--block-s", "0.02", "--combinations", "0", "--no-profile-bounds",
                               "--threads", "1", "--json"], capsys)
    assert code == 0, err
    baseline = next(v for v in json.loads(out)["variants"] if v["name"] == "baseline")
    return float(baseline["quality"]["value"])


def test_two_optimize_runs_of_an_lstm_score_the_same_baseline_loss(model_file: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert _baseline_loss(model_file, capsys, 11) == _baseline_loss(model_file, capsys, 12)
