"""activation-checkpointing on models with more than one block list: an encoder-decoder (T5's encoder.block and
decoder.block, nn.Transformer's encoder.layers and decoder.layers) had only the list saving most checkpointed (its
decoder), and the saving it reported was that half's."""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from accelopt.optimize import trainloop
from accelopt.optimize.base import Target
from accelopt.workload.userfile import ModelBundle

CPU_TRAIN = Target(mode="train", device="cpu")


def _mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(16, 48), nn.GELU(), nn.Linear(48, 16))


class _Block(nn.Module):
    """A residual block holding a list of its own (as T5Block.layer): the inner list is not taken as well."""

    def __init__(self) -> None:
        super().__init__()
        self.layer = nn.ModuleList([_mlp(), _mlp()])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for f in self.layer:
            x = x + f(x)
        return x


class _EncDec(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.enc = nn.ModuleList([_Block() for _ in range(3)])
        self.dec = nn.ModuleList([_Block() for _ in range(2)])
        self.head = nn.Linear(16, 4)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for b in self.enc:
            x = b(x)
        for b in self.dec:
            x = b(x)
        return self.head(x)


def _bundle(model: nn.Module, x: torch.Tensor) -> ModelBundle:
    y = torch.randint(0, 4, (x.shape[0],))
    return ModelBundle(
        name="m", model=model, batches=lambda: iter([(x, y)]), loss_fn=F.cross_entropy, batch_size=x.shape[0]
    )


def _saved_with(bundle: ModelBundle, name: str) -> float:
    """Bytes saved for backward with the block list `name` alone checkpointed (on a copy)."""
    model = copy.deepcopy(bundle.model)
    model, _ = trainloop._checkpoint(model, name, model.get_submodule(name))
    return trainloop._saved_bytes(model, bundle, CPU_TRAIN)


def test_both_block_lists_of_an_encoder_decoder_are_checkpointed() -> None:
    """Every block of enc and dec is wrapped (not their inner lists), the note names both lists, and the bytes
    saved for backward are fewer than with either list alone; gradients of one step equal the plain model's."""
    torch.manual_seed(0)
    bundle = _bundle(_EncDec(), torch.randn(8, 16))
    v = trainloop.ActivationCheckpointing().apply(bundle, CPU_TRAIN, {})
    assert v.params["blocks"] == "enc, dec"
    assert "each of the 3 blocks of 'enc' and each of the 2 blocks of 'dec' (2 block lists)" in v.notes[0]
    for name in ("enc", "dec"):
        assert all(getattr(b, "accelopt_checkpointed", False) for b in v.model.get_submodule(name))
        assert v.params["saved_bytes_after"] < _saved_with(bundle, name)
    assert not any(getattr(m, "accelopt_checkpointed", False) for b in v.model.enc for m in b.inner.layer)
    x, y = bundle.first_batch()
    plain = copy.deepcopy(bundle.model)
    for m in (plain, v.model):
        F.cross_entropy(m(*x), y).backward()
    for (n, p), q in zip(plain.named_parameters(), v.model.parameters(), strict=True):
        assert torch.allclose(p.grad, q.grad), n


def test_both_halves_of_an_nn_transformer_are_checkpointed() -> None:
    """nn.Transformer: encoder.layers and decoder.layers (the decoder alone was taken)."""

    class Seq2Seq(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.t = nn.Transformer(16, 2, 2, 2, 32, dropout=0.0, batch_first=True)
            self.head = nn.Linear(16, 4)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.head(self.t(x, x).mean(1))

    torch.manual_seed(0)
    bundle = _bundle(Seq2Seq(), torch.randn(4, 6, 16))
    v = trainloop.ActivationCheckpointing().apply(bundle, CPU_TRAIN, {})
    assert sorted(v.params["blocks"].split(", ")) == ["t.decoder.layers", "t.encoder.layers"]
    assert v.params["saved_bytes_after"] < min(
        _saved_with(bundle, "t.encoder.layers"), _saved_with(bundle, "t.decoder.layers")
    )


def test_nested_module_paths() -> None:
    assert trainloop._nested("enc", "enc.0.layer") and trainloop._nested("enc.0.layer", "enc")
    assert trainloop._nested("", "dec") and trainloop._nested("enc", "enc")
    assert not trainloop._nested("enc", "encoder.layers") and not trainloop._nested("enc", "dec")


def test_a_head_of_unlike_layers_is_not_added() -> None:
    """A Sequential head (Linear, GELU, Linear) lowers the count too, but is not a list of repeated blocks: only the
    encoder's and decoder's blocks are wrapped."""

    class WithHead(_EncDec):
        def __init__(self) -> None:
            super().__init__()
            self.head = nn.Sequential(nn.Linear(16, 64), nn.GELU(), nn.Linear(64, 4))

    torch.manual_seed(0)
    v = trainloop.ActivationCheckpointing().apply(_bundle(WithHead(), torch.randn(8, 16)), CPU_TRAIN, {})
    assert v.params["blocks"] == "enc, dec"


def test_a_model_without_block_lists_is_told_how_to_get_one() -> None:
    """The reason named the missing list but not what to do about it."""
    model = nn.Sequential(nn.Linear(4, 3))
    why = trainloop.ActivationCheckpointing().not_applicable(_bundle(model, torch.randn(2, 4)), CPU_TRAIN)
    assert why is not None and "hold the repeated blocks in an nn.ModuleList" in why


def test_a_hybrids_list_of_unlike_blocks_is_added() -> None:
    """A ModuleList whose blocks differ in class (a hybrid's Mamba and attention layers) is a list of blocks all the
    same: its parent loops over it. Here the decoder (2 blocks, the second list taken) has two block classes."""

    class Other(_Block):
        pass

    class Hybrid(_EncDec):
        def __init__(self) -> None:
            super().__init__()
            self.dec = nn.ModuleList([_Block(), Other()])

    torch.manual_seed(0)
    v = trainloop.ActivationCheckpointing().apply(_bundle(Hybrid(), torch.randn(8, 16)), CPU_TRAIN, {})
    assert sorted(v.params["blocks"].split(", ")) == ["dec", "enc"]
