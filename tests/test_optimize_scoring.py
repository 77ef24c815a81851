"""One scoring rule for optimize's quality: the runner's held-out score and compress.evaluate (the compression
techniques' before/after figures) agree, and a loss is the mean over every target element (padding left out where
the loss names its ignore_index), as torch's mean reduction over all held-out batches would be, whatever each
batch's size or sequence length."""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, NamedTuple

import pytest

torch = pytest.importorskip("torch")

import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from accelopt.optimize.base import Target, Variant  # noqa: E402
from accelopt.optimize.compress import evaluate  # noqa: E402
from accelopt.optimize.runner import _score  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402

VOCAB = 5


def _lm_loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(logits.reshape(-1, VOCAB), y.reshape(-1))  # (B, T, V) vs (B, T): mean over B*T tokens


def _uneven_batches() -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(B, T) token batches of 1 x 6 and 3 x 1: 1 and 3 rows, 6 and 3 target elements."""
    g = torch.Generator().manual_seed(0)
    return [(torch.randint(0, VOCAB, (b, t), generator=g), torch.randint(0, VOCAB, (b, t), generator=g))
            for b, t in ((1, 6), (3, 1))]


def _bundle(metric: object = "loss", **kw: object) -> ModelBundle:
    torch.manual_seed(0)
    model = nn.Embedding(VOCAB, VOCAB)  # (B, T) ids -> (B, T, V) logits
    held = _uneven_batches()
    return ModelBundle(name="tiny-lm", model=model, batches=lambda: iter(held), loss_fn=_lm_loss, batch_size=1,
                       eval_batches=lambda: iter(held), metric=metric, **kw)  # type: ignore[arg-type]


def _runner_value(bundle: ModelBundle) -> float | None:
    v = Variant(technique="baseline", model=bundle.model, forward=bundle.model)
    return _score(v, bundle, Target(mode="inference", device="cpu"), keep_outputs=False).value


def test_loss_is_the_mean_over_all_target_elements_in_both_scorers() -> None:
    """The runner weighed each batch's loss by its rows (1 and 3), compress.evaluate by its target elements (6 and
    3): the same model scored two different losses in one optimize run."""
    b = _bundle()
    xs, ys = zip(*_uneven_batches(), strict=True)
    with torch.no_grad():  # torch's mean reduction over every held-out token at once
        logits = torch.cat([b.model(x).reshape(-1, VOCAB) for x in xs])
        expected = float(F.cross_entropy(logits, torch.cat([y.reshape(-1) for y in ys])))
        per_row = sum(float(_lm_loss(b.model(x), y)) * x.shape[0] for x, y in zip(xs, ys, strict=True)) / 4
    assert abs(per_row - expected) > 1e-3  # the batches are uneven enough that the two rules differ
    assert _runner_value(b) == pytest.approx(expected, rel=1e-6)
    assert evaluate(b.model, b, "cpu") == pytest.approx(expected, rel=1e-6)


def _padded_batches(pad: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Two batches of 6 token ids -> 6 targets, with uneven padding: 1 and 5 targets equal to `pad`."""
    g = torch.Generator().manual_seed(1)
    out = []
    for padded in (1, 5):
        x, y = torch.randint(0, VOCAB, (6,), generator=g), torch.randint(0, VOCAB - 1, (6,), generator=g)
        y[6 - padded:] = pad
        out.append((x, y))
    return out


@pytest.mark.parametrize(("loss_fn", "pad"), [
    (nn.CrossEntropyLoss(ignore_index=VOCAB - 1), VOCAB - 1),
    (functools.partial(F.cross_entropy, ignore_index=VOCAB - 1), VOCAB - 1),
    (F.cross_entropy, -100),  # its own default ignore_index
])
def test_padding_adds_no_weight_to_the_loss(loss_fn: Any, pad: int) -> None:
    """batch_quality weighed a loss by every target element, padding too: the batch with 5 padded targets of 6
    weighed as much as the one with 1, though torch's mean over both leaves the padding out."""
    torch.manual_seed(0)
    model = nn.Embedding(VOCAB, VOCAB)  # (N,) ids -> (N, V) logits
    held = _padded_batches(pad)
    b = ModelBundle(name="padded-lm", model=model, batches=lambda: iter(held), loss_fn=loss_fn, batch_size=6,
                    eval_batches=lambda: iter(held))
    with torch.no_grad():  # torch's mean reduction over every held-out target at once, padding left out
        x, y = torch.cat([x for x, _ in held]), torch.cat([y for _, y in held])
        expected = float(F.cross_entropy(model(x), y, ignore_index=pad))
        by_elements = sum(float(loss_fn(model(x), y)) * 6 for x, y in held) / 12
    assert abs(by_elements - expected) > 1e-3  # the padding is uneven enough that the two rules differ
    assert _runner_value(b) == pytest.approx(expected, rel=1e-6)
    assert evaluate(b.model, b, "cpu") == pytest.approx(expected, rel=1e-6)


def test_callable_metric_is_weighted_by_rows_in_both_scorers() -> None:
    """A callable metric is averaged over batches weighted by batch size (the ModelBundle contract)."""
    b = _bundle(metric=lambda out, y: float(y.shape[1]), higher_is_better=True)  # 6 for 1 row, 1 for 3 rows
    assert _runner_value(b) == pytest.approx((6 * 1 + 1 * 3) / 4)
    assert evaluate(b.model, b, "cpu") == pytest.approx((6 * 1 + 1 * 3) / 4)


def test_technique_notes_show_accuracy_as_the_table_does() -> None:
    """prune-unstructured's notes said 'held-out accuracy 0.2778' beside the table's 27.78% (distill and
    prune-structured likewise: one formatter each, now compress.quality_text for all)."""
    from accelopt.optimize.base import get_technique

    torch.manual_seed(0)
    data = [(torch.randn(9, 6), torch.randint(0, 3, (9,))) for _ in range(2)]
    b = ModelBundle(name="clf", model=nn.Linear(6, 3), batches=lambda: iter(data), loss_fn=F.cross_entropy,
                    batch_size=9, eval_batches=lambda: iter(data), metric="accuracy")
    v = get_technique("prune-unstructured").apply(b, Target(mode="inference", device="cpu"), {})
    acc = evaluate(v.forward, b, "cpu")
    assert acc is not None and f"held-out accuracy {100 * acc:.4g}%" in v.notes


def test_a_batch_of_padding_only_adds_nothing() -> None:
    """torch's mean over no kept target is 0/0 (nan): such a batch adds neither loss nor weight."""
    from accelopt.optimize.compress import batch_quality

    b = ModelBundle(name="padded-lm", model=nn.Identity(), batches=lambda: iter([]), loss_fn=F.cross_entropy,
                    batch_size=2)
    assert batch_quality(b, torch.zeros(2, VOCAB), torch.full((2,), -100)) == (0.0, 0.0)


class _DictLM(nn.Module):
    """(B, T) ids -> {"logits": (B, T, V), "hidden": (B, T, V)}: a model whose forward returns a dict."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(VOCAB, 8)
        self.head = nn.Linear(8, VOCAB)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        return {"logits": self.head(self.emb(x)), "hidden": self.emb(x)}


def _same_length_batches() -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(B, T) token batches of 1 x 4 and 3 x 4 (the onnx export's dynamic dimension is the batch alone)."""
    g = torch.Generator().manual_seed(0)
    return [(torch.randint(0, VOCAB, (b, 4), generator=g), torch.randint(0, VOCAB, (b, 4), generator=g))
            for b in (1, 3)]


def _dict_bundle() -> ModelBundle:
    torch.manual_seed(0)
    held = _same_length_batches()

    def loss(out: dict[str, torch.Tensor], y: torch.Tensor) -> torch.Tensor:  # the contract: the model's output
        return _lm_loss(out["logits"], y)

    return ModelBundle(name="dict-lm", model=_DictLM().eval(), batches=lambda: iter(held), loss_fn=loss,
                       batch_size=1, eval_batches=lambda: iter(held), metric="loss")


def _expected_loss(b: ModelBundle) -> float:
    xs, ys = zip(*_same_length_batches(), strict=True)
    with torch.no_grad():
        logits = torch.cat([b.model(x)["logits"].reshape(-1, VOCAB) for x in xs])
        return float(F.cross_entropy(logits, torch.cat([y.reshape(-1) for y in ys])))


def test_a_loss_metric_gets_the_models_own_output() -> None:
    """metric "loss" handed loss_fn the output's first Tensor, not the model's output: a loss_fn reading
    out["logits"] raised on every optimize run of a model returning a dict (or read the first row of a tuple's)."""
    b = _dict_bundle()
    assert _runner_value(b) == pytest.approx(_expected_loss(b), rel=1e-6)
    assert evaluate(b.model, b, "cpu") == pytest.approx(_expected_loss(b), rel=1e-6)


def test_an_onnx_variant_returns_the_models_output_structure() -> None:
    """onnx-* exported only the first output, so the loss_fn above raised on every onnx variant of a dict model."""
    pytest.importorskip("onnxruntime")
    from accelopt.optimize.base import get_technique

    b = _dict_bundle()
    v = get_technique("onnx-fp32").apply(b, Target(mode="inference", device="cpu"), {})
    out = v.forward(torch.tensor([[1, 2, 3, 4], [0, 1, 2, 3]]))
    assert sorted(out) == ["hidden", "logits"] and out["logits"].shape == (2, 4, VOCAB)
    assert _score(v, b, Target(mode="inference", device="cpu"), keep_outputs=False).value == pytest.approx(
        _expected_loss(b), rel=1e-5)


@dataclasses.dataclass(frozen=True)
class _Out:
    logits: torch.Tensor
    hidden: torch.Tensor


class _LMOut(NamedTuple):
    logits: torch.Tensor
    hidden: torch.Tensor


@pytest.mark.parametrize("wrap", [
    lambda d: d,  # a dict
    lambda d: (d["logits"], d["hidden"]),  # a tuple
    lambda d: _LMOut(**d),  # a named tuple
    lambda d: _Out(**d),  # a frozen dataclass
])
def test_a_bf16_structured_output_is_scored_in_fp32(wrap: Any) -> None:
    """A bf16 variant returning a dict/tuple/dataclass had its loss computed by loss_fn on the bf16 leaves (1.545
    here vs 1.5422 from the same logits in fp32: bf16 keeps 3 significant digits), while a plain Tensor output was
    cast to fp32 first; both scorers now cast every floating leaf."""

    class Wrapped(nn.Module):
        def __init__(self, inner: nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, x: torch.Tensor) -> Any:
            return wrap(self.inner(x))

    def logits_of(out: Any) -> torch.Tensor:
        return out["logits"] if isinstance(out, dict) else out[0] if isinstance(out, tuple) else out.logits

    b = _dict_bundle()
    model = Wrapped(b.model).to(torch.bfloat16)
    b = dataclasses.replace(b, model=model, loss_fn=lambda out, y: _lm_loss(logits_of(out), y))
    xs, ys = zip(*_same_length_batches(), strict=True)
    with torch.no_grad():  # the same bf16 logits, the loss taken in fp32
        logits = torch.cat([logits_of(model(x)).float().reshape(-1, VOCAB) for x in xs])
        expected = float(F.cross_entropy(logits, torch.cat([y.reshape(-1) for y in ys])))
    v = Variant(technique="bf16", model=model, forward=model)
    assert _score(v, b, Target(mode="inference", device="cpu", dtype="bf16"), keep_outputs=False).value == \
        pytest.approx(expected, rel=1e-6)
    assert evaluate(model, b, "cpu") == pytest.approx(expected, rel=1e-6)


def test_a_nan_output_has_no_agreement_figure() -> None:
    """A variant whose outputs were NaN (a fine-tune that diverged) showed max |diff| 0 and top-1 agreement 100%
    beside its quality-failure status: Python's max(0.0, nan) is 0.0, and argmax picks the NaN's index."""
    from accelopt.optimize.runner import _agreement

    base = [torch.tensor([[0.1, 0.9], [0.8, 0.2]])]
    assert _agreement([torch.full((2, 2), float("nan"))], base) == (None, None)
    assert _agreement([torch.tensor([[0.1, float("inf")], [0.8, 0.2]])], base) == (None, None)
    diff, agree = _agreement([torch.tensor([[0.2, 0.9], [0.8, 0.2]])], base)
    assert diff == pytest.approx(0.1) and agree == 1.0


def test_a_float16_model_is_said_to_run_in_float16() -> None:
    """The header said 'fp32' (--dtype) for a model given in float16, whose onnx-* variants (exported from an fp32
    copy) then read 586x faster on a CPU without a word on where the gain came from."""
    from accelopt.optimize.runner import RunOptions, _Run

    b = dataclasses.replace(_bundle(), model=nn.Embedding(VOCAB, VOCAB).half())
    run = _Run(b, RunOptions(profile_bounds=False))
    run.baseline()
    assert any("own weights are float16" in n and "emulated" in n for n in run.result.notes), run.result.notes
    run = _Run(_bundle(), RunOptions(profile_bounds=False))
    run.baseline()
    assert not any("own weights" in n for n in run.result.notes)


def test_an_fp16_baseline_on_a_cpu_is_said_to_be_emulated() -> None:
    """small (2026-12-04): `optimize --device cpu --dtype fp16` measured its baseline under CPU fp16 autocast
    (emulated, slow kernels) and ranked every variant against it without a note, though the fp16 technique itself
    is not applicable on a CPU for that very reason."""
    from accelopt.optimize.runner import RunOptions, _Run

    run = _Run(_bundle(), RunOptions(profile_bounds=False, dtype="fp16"))
    run.baseline()
    assert any("--dtype fp16" in n and "emulated" in n and "--dtype fp32" in n for n in run.result.notes), \
        run.result.notes
    for dtype in ("fp32", "bf16"):
        run = _Run(_bundle(), RunOptions(profile_bounds=False, dtype=dtype))
        run.baseline()
        assert not any("emulated" in n for n in run.result.notes), (dtype, run.result.notes)


def test_the_runners_cross_entropy_terms_use_the_one_target_filter(monkeypatch: pytest.MonkeyPatch) -> None:
    """utcode (2026-12-05): runner._cross_entropy_terms re-implemented compress's ignore_index filter; both now read
    compress.counted_targets, so a change of what counts as padding reaches both scorers."""
    from accelopt.optimize import runner

    held = _padded_batches(VOCAB - 1)
    b = ModelBundle(name="padded-lm", model=nn.Embedding(VOCAB, VOCAB), batches=lambda: iter(held),
                    loss_fn=nn.CrossEntropyLoss(ignore_index=VOCAB - 1), batch_size=6, eval_batches=lambda: iter(held))
    out, y = torch.randn(6, VOCAB), held[0][1]  # 1 of 6 targets is padding
    assert runner._cross_entropy_terms(b, out, y).shape == (2, 5)
    seen: list[Any] = []

    def first_only(loss_fn: Any, targets: torch.Tensor) -> torch.Tensor:
        seen.append(loss_fn)
        return torch.arange(targets.numel()) == 0

    monkeypatch.setattr(runner, "counted_targets", first_only)
    assert runner._cross_entropy_terms(b, out, y).shape == (2, 1) and seen == [b.loss_fn]
