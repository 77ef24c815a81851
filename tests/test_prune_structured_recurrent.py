"""prune-structured on a GRU/LSTM model said 'nothing could be pruned structurally (every group is an output layer,
an embedding, or breaks the forward)', unsaid that its recurrent layer was never a candidate: torch-pruning 1.6.1
has no pruner for nn.GRU / nn.RNN (ops.module2type maps nn.LSTM alone to one), and its LSTM pruner fails on a
one-layer LSTM (ut3opt trial, an Embedding + bidirectional GRU text classifier). The error now says so."""

from __future__ import annotations

import importlib.metadata
import warnings

import pytest
import torch
from torch import nn

from accelopt.errors import UnsupportedError
from accelopt.optimize.base import Target, get_technique
from accelopt.optimize.pruning import recurrent_note
from accelopt.workload.userfile import ModelBundle

tp = pytest.importorskip("torch_pruning")

pytestmark = pytest.mark.usefixtures("torch_one_thread")  # conftest: these models are tiny

CPU = Target(mode="inference", device="cpu", budget_s=30)


class _Text(nn.Module):
    """Embedding -> recurrent layer -> a 4-class Linear head (the output layer, never pruned)."""

    def __init__(self, rnn: nn.Module) -> None:
        super().__init__()
        self.emb, self.rnn, self.head = nn.Embedding(50, 16), rnn, nn.Linear(32, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, _ = self.rnn(self.emb(x))  # (B, T, 32)
        return self.head(h.mean(1))


def _bundle(rnn: nn.Module) -> ModelBundle:
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(0)
    data = [(torch.randint(0, 50, (4, 7), generator=g), torch.randint(0, 4, (4,), generator=g))]
    return ModelBundle(name="text", model=_Text(rnn).eval(), batches=lambda: iter(data), batch_size=4,
                       loss_fn=nn.functional.cross_entropy)


def _error(rnn: nn.Module) -> str:
    with pytest.raises(UnsupportedError) as e:
        get_technique("prune-structured").apply(_bundle(rnn), CPU, {"ratio": 0.5, "finetune_steps": 0})
    return e.value.problem


def test_a_gru_model_is_told_torch_pruning_has_no_gru_pruner() -> None:
    text = _error(nn.GRU(16, 16, batch_first=True, bidirectional=True))
    version = importlib.metadata.version("torch-pruning")
    assert "nothing in text could be pruned structurally" in text, text
    assert f"recurrent layer rnn (GRU) is never pruned: torch-pruning {version} has no pruner for nn.GRU" in text, text


def test_an_lstm_model_is_told_the_lstm_pruner_is_not_used() -> None:
    text = _error(nn.LSTM(16, 32, batch_first=True))
    assert "rnn (LSTM) is never pruned" in text and "LSTM pruner is not used" in text, text
    assert "has no pruner" not in text, text


def test_no_note_without_a_recurrent_layer() -> None:
    assert recurrent_note(nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))) == ""


def test_the_installed_lstm_pruner_fails_on_a_one_layer_lstm() -> None:
    """The reason recurrent_note gives for not rooting groups at nn.LSTM, recomputed at the installed version: its
    prune_out_channels indexes weight_ih_l0's input dim by the 4 gates' hidden indices. A version that prunes it
    makes this fail: then root LSTM groups (pruning._root_types) and drop the reason."""

    class _M(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inp, self.rnn, self.head = nn.Linear(16, 16), nn.LSTM(16, 32, batch_first=True), nn.Linear(32, 4)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h, _ = self.rnn(self.inp(x))
            return self.head(h[:, -1])

    m = _M()
    with warnings.catch_warnings():  # torch-pruning names the LSTM's weights 'unwrapped parameters'
        warnings.simplefilter("ignore")
        dg = tp.DependencyGraph().build_dependency(m, example_inputs=(torch.randn(2, 7, 16),))
    pruner = dg.get_pruner_of_module(m.rnn)
    group = dg.get_pruning_group(m.rnn, pruner.prune_out_channels, idxs=list(range(8)))
    with pytest.raises(IndexError, match="index out of range"):
        group.prune()
