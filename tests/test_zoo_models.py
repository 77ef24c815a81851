"""Zoo: names, sizes, errors, seeded synthetic data, architectures."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from accelopt.errors import InputError, UnknownNameError  # noqa: E402
from accelopt.workload import zoo  # noqa: E402


def test_list_models() -> None:
    assert {"gpt", "bert", "resnet", "mlp"} <= set(zoo.list_models())
    assert "resnet50" in zoo.list_sizes("resnet")


def test_unknown_name_suggests() -> None:
    with pytest.raises(UnknownNameError, match="did you mean 'gpt'"):
        zoo.build("gtp")


def test_unknown_size() -> None:
    with pytest.raises(UnknownNameError, match="size"):
        zoo.build("gpt", "huge")


@pytest.mark.parametrize("kw", [{"batch_size": 0}, {"seq_len": -3}, {"batch_size": 1.5}])
def test_bad_batch_or_seq(kw: dict[str, object]) -> None:
    with pytest.raises(InputError):
        zoo.build("mlp", **kw)  # type: ignore[arg-type]


def test_bad_dtype() -> None:
    with pytest.raises(UnknownNameError, match="dtype"):
        zoo.build("mlp", dtype="fp7")


@pytest.mark.parametrize("name", ["mlp", "gpt", "bert", "resnet"])
def test_tiny_models_run_and_batches_match(name: str) -> None:
    b = zoo.build(name, "tiny", batch_size=3)
    inputs, targets = b.first_batch()
    assert inputs[0].shape[0] == 3 and targets.shape[0] == 3 and b.batch_size == 3
    loss = b.loss_fn(b.model(*inputs), targets)
    assert loss.dim() == 0 and torch.isfinite(loss)
    assert b.meta["params"] == b.param_count() > 0


def test_batches_are_seeded_and_repeatable() -> None:
    b = zoo.build("gpt", "tiny")
    first = [x for x, _ in b.batches()]
    again = [x for x, _ in b.batches()]
    assert len(first) == 8 and all(torch.equal(a, c) for a, c in zip(first, again, strict=True))
    assert not torch.equal(first[0], first[1])


def test_gpt_seq_len_and_targets_shifted() -> None:
    b = zoo.build("gpt", "tiny", seq_len=16)
    (x,), y = b.first_batch()
    assert x.shape == (2, 16) and y.shape == (2, 16)
    assert torch.equal(x[:, 1:], y[:, :-1])  # next-token targets
    assert b.meta["seq_len"] == 16 and b.meta["tokens_per_batch"] == 32


def test_bert_mlm_masks_about_15_percent() -> None:
    b = zoo.build("bert", "small", batch_size=4)
    _, y = b.first_batch()
    frac = (y != -100).float().mean().item()
    assert 0.10 < frac < 0.20  # Devlin et al. 2019, sec. 3.1: 15% of tokens


def test_gpt_realistic_is_gpt2_small() -> None:
    # GPT-2 small: 124M parameters with tied embeddings (Radford et al. 2019); this zoo model unties
    # the head (+ 50257*768 = 38.6M), so 163.0M.
    b = zoo.build("gpt", "realistic", batch_size=1, seq_len=8)
    n = b.param_count()
    assert n - 50257 * 768 == pytest.approx(124.4e6, rel=0.01)


def test_bf16_weights() -> None:
    b = zoo.build("mlp", dtype="bf16")
    assert {p.dtype for p in b.model.parameters()} == {torch.bfloat16}
    (x,), _ = b.first_batch()
    assert x.dtype == torch.bfloat16
