"""onnx-* variants: the dims that vary in the data are dynamic in the export (a held-out batch of another sequence
length failed with ONNX Runtime's raw 'Got invalid dimensions'), an input of a shape the graph does not take is a
clear error, the fallback exporter and an output the variant cannot rebuild are said in the notes (or refused), and
a chain whose first technique wraps the model in autocast is not applicable (it failed with ORT's raw
'tensor(bfloat16) ... invalid')."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnxruntime")

import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from accelopt.errors import UnsupportedError  # noqa: E402
from accelopt.optimize.base import Target, get_technique  # noqa: E402
from accelopt.optimize.runner import _score  # noqa: E402
from accelopt.optimize.steps import AutocastModule  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402

VOCAB = 7
CPU = Target(mode="inference", device="cpu")


def _assert_scores_as_the_model(v: Any, b: Any) -> None:
    """The exported variant scores the held-out batches as the torch model does (within 1e-5)."""
    got = _score(v, b, CPU, keep_outputs=False).value
    base = _score(dataclasses.replace(v, forward=b.model, model=b.model), b, CPU, keep_outputs=False).value
    assert got is not None and got == pytest.approx(base, rel=1e-5)


class _TinyLM(nn.Module):
    """(B, T) ids -> (B, T, V) logits through a position-mixing layer: the sequence length flows through shapes."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(VOCAB, 8)
        self.head = nn.Linear(8, VOCAB)

    def forward(self, x: torch.Tensor) -> Any:
        h = self.emb(x)  # (B, T, 8)
        h = h + h.cumsum(1) / torch.arange(1, x.shape[1] + 1).view(1, -1, 1)  # (B, T, 8)
        return self.head(h)


def _batches(lengths: tuple[int, ...], seed: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(seed)
    return [(torch.randint(0, VOCAB, (2, t), generator=g), torch.randint(0, VOCAB, (2, t), generator=g))
            for t in lengths]


def _lm_loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.cross_entropy(out.reshape(-1, VOCAB), y.reshape(-1))


def _bundle(model: nn.Module, train: tuple[int, ...], held: tuple[int, ...], **kw: Any) -> ModelBundle:
    tr, ev = _batches(train, 0), _batches(held, 1)
    kw.setdefault("loss_fn", _lm_loss)
    return ModelBundle(name="tiny-lm", model=model.eval(), batches=lambda: iter(tr), batch_size=2,
                       eval_batches=lambda: iter(ev), metric="loss", **kw)


def test_a_sequence_length_that_varies_in_the_data_is_dynamic() -> None:
    """Training batches of length 5, held-out of 3 and 9: the export made the batch dim alone dynamic, so scoring
    the held-out batches failed the variant."""
    torch.manual_seed(0)
    b = _bundle(_TinyLM(), (5, 5), (3, 9))
    v = get_technique("onnx-fp32").apply(b, CPU, {})
    _assert_scores_as_the_model(v, b)
    assert any("in0 dims [0, 1]" in n for n in v.notes), v.notes


def test_a_shape_the_graph_does_not_take_is_a_clear_error() -> None:
    """Every batch of length 5: the length is fixed in the graph, said in the notes, and a length-6 input is an
    UnsupportedError naming the input, its shape and the fix (not ORT's 'Got invalid dimensions')."""
    torch.manual_seed(0)
    b = _bundle(_TinyLM(), (5,), (5,))
    v = get_technique("onnx-fp32").apply(b, CPU, {})
    assert any("in0 (*, 5)" in n for n in v.notes), v.notes
    assert v.forward(torch.zeros(3, 5, dtype=torch.long)).shape == (3, 5, VOCAB)  # the batch stays dynamic
    with pytest.raises(UnsupportedError, match=r"in0 has shape \(2, 6\).*\(\*, 5\)") as e:
        v.forward(torch.zeros(2, 6, dtype=torch.long))
    assert "vary" in e.value.fix


def _first_exporter_fails(monkeypatch: pytest.MonkeyPatch, dynamic_fails: bool = False) -> None:
    real = torch.onnx.export

    def export(*args: Any, **kw: Any) -> Any:
        if not kw.get("dynamo"):
            raise RuntimeError("tracing failed here")
        if dynamic_fails and kw.get("dynamic_shapes") is not None:
            raise RuntimeError("no dynamic dims here")
        return real(*args, **kw)

    monkeypatch.setattr(torch.onnx, "export", export)


def test_the_fallback_exporter_is_said_in_the_notes_and_keeps_the_batch_dynamic(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """When the TorchScript exporter fails, torch.export's path writes the graph with the same dims dynamic (it
    fixed every dim, the batch too: a batch of 3 after an export of 2 was refused)."""
    _first_exporter_fails(monkeypatch)
    torch.manual_seed(0)
    b = _bundle(_TinyLM(), (5,), (5,))
    v = get_technique("onnx-fp32").apply(b, CPU, {})
    assert any(n.startswith("EXPORTED BY THE FALLBACK PATH") and "tracing failed here" in n for n in v.notes), v.notes
    assert any("in0 (*, 5)" in n for n in v.notes), v.notes  # read back from the written graph
    assert v.forward(torch.zeros(3, 5, dtype=torch.long)).shape == (3, 5, VOCAB)


def test_a_fallback_export_without_dynamic_dims_is_static_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    _first_exporter_fails(monkeypatch, dynamic_fails=True)
    torch.manual_seed(0)
    b = _bundle(_TinyLM(), (5,), (5,))
    v = get_technique("onnx-fp32").apply(b, CPU, {})
    assert any("no dynamic dims here" in n and "every input dim is static" in n for n in v.notes), v.notes
    with pytest.raises(UnsupportedError, match=r"in0 has shape \(3, 5\)"):  # the batch is static too
        v.forward(torch.zeros(3, 5, dtype=torch.long))


class _Encoder(nn.Module):
    """ids (B, T), padding mask (B, T) -> (B, 3): nn.TransformerEncoder in eval mode runs its fused fast-path op,
    which the TorchScript exporter has no symbolic for."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(VOCAB, 16)
        layer = nn.TransformerEncoderLayer(16, 2, 32, dropout=0.0, batch_first=True)
        self.enc = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = nn.Linear(16, 3)

    def forward(self, ids: torch.Tensor, pad: torch.Tensor) -> torch.Tensor:
        h = self.enc(self.emb(ids), src_key_padding_mask=pad).masked_fill(pad[..., None], 0)  # (B, T, 16)
        return self.head(h.sum(1) / (~pad).sum(1, keepdim=True))  # mean over the real tokens


def _encoder_batches(lengths: tuple[int, ...], batch: int, seed: int) -> list[Any]:
    g = torch.Generator().manual_seed(seed)
    out = []
    for t in lengths:
        pad = torch.arange(t)[None] >= torch.randint(2, t + 1, (batch, 1), generator=g)  # (B, T), True = padding
        ids = torch.randint(0, VOCAB, (batch, t), generator=g)
        out.append(((ids, pad), torch.randint(0, 3, (batch,), generator=g)))
    return out


def test_an_eval_mode_transformer_encoder_exports_with_dynamic_batch_and_length() -> None:
    """The TorchScript exporter fails on the fused encoder op; torch.export's path fixed every dim, so a held-out
    batch of another length or size was refused. Now batch and length stay dynamic (torch 2.13's dynamo exporter
    with dynamic_shapes), and the graph scores the held-out batches as the model does (rel 1e-5, stated before)."""
    torch.manual_seed(0)
    tr, ev = _encoder_batches((6, 8), 4, 0), _encoder_batches((3, 11), 5, 1)
    b = ModelBundle(name="encoder", model=_Encoder().eval(), batches=lambda: iter(tr), batch_size=4,
                    eval_batches=lambda: iter(ev), loss_fn=F.cross_entropy, metric="loss")
    v = get_technique("onnx-fp32").apply(b, CPU, {})
    assert any(n.startswith("EXPORTED BY THE FALLBACK PATH") for n in v.notes), v.notes
    assert not any("input shapes the graph accepts" in n for n in v.notes), v.notes  # said only for a fixed dim
    _assert_scores_as_the_model(v, b)


class _WithCount(nn.Module):
    """{'logits': Tensor, 'n_layers': 2}: a dict with a non-Tensor leaf."""

    def __init__(self) -> None:
        super().__init__()
        self.lm = _TinyLM()

    def forward(self, x: torch.Tensor) -> Any:
        return {"logits": self.lm(x), "n_layers": 2}


def test_a_non_tensor_leaf_keeps_the_output_structure() -> None:
    """A dict holding an int was exported as its first Tensor alone: loss_fn's out['logits'] failed the variant."""
    torch.manual_seed(0)
    b = _bundle(_WithCount(), (5,), (5,), loss_fn=lambda out, y: _lm_loss(out["logits"], y))
    v = get_technique("onnx-fp32").apply(b, CPU, {})
    out = v.forward(torch.zeros(2, 5, dtype=torch.long))
    assert out["n_layers"] == 2 and out["logits"].shape == (2, 5, VOCAB)
    assert _score(v, b, CPU, keep_outputs=False).value is not None


@dataclasses.dataclass
class _Out:
    logits: torch.Tensor


class _DataclassOut(_WithCount):
    def forward(self, x: torch.Tensor) -> Any:
        return _Out(self.lm(x))


def test_an_output_pytree_cannot_flatten_is_said_or_refused() -> None:
    """A plain dataclass output: the variant returns its first Tensor (said in the notes); with metric 'loss'
    (loss_fn takes the model's output, which the variant cannot rebuild) the technique says why it cannot run."""
    torch.manual_seed(0)
    b = _bundle(_DataclassOut(), (5,), (5,), loss_fn=lambda out, y: _lm_loss(out.logits, y))
    with pytest.raises(UnsupportedError, match=r"not a structure torch's pytree flattens.*metric 'loss'"):
        get_technique("onnx-fp32").apply(b, CPU, {})
    b = dataclasses.replace(b, metric="accuracy", higher_is_better=None)
    v = get_technique("onnx-fp32").apply(b, CPU, {})
    assert any("returns that Tensor, not the model's output" in n for n in v.notes), v.notes


class _Conv(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x).mean((2, 3))


@pytest.mark.parametrize("name", ["onnx-fp32", "onnx-int8-static"])
def test_a_chain_after_autocast_is_not_applicable(name: str) -> None:
    """bf16 then onnx-int8-static failed with ONNX Runtime's raw "Type 'tensor(bfloat16)' ... is invalid"."""
    model = AutocastModule(_Conv(), "cpu", torch.bfloat16)
    data = [(torch.randn(2, 3, 8, 8), torch.tensor([0, 1]))]
    b = ModelBundle(name="conv", model=model, batches=lambda: iter(data), loss_fn=F.cross_entropy, batch_size=2)
    why = get_technique(name).not_applicable(b, CPU)
    assert why is not None and "autocast bfloat16" in why and f"measure {name} on its own" in why


class _NoOnnxOp(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.special.airy_ai(x)  # no ONNX symbolic: both exporters fail


def test_a_failed_export_writes_nothing_to_stdout(capfd: pytest.CaptureFixture[str], tmp_path: Any) -> None:
    """torch's C++ ONNX log printed 'Torch IR graph at exception: graph(...)' to file descriptor 1 when the
    TorchScript exporter failed: `optimize --json` wrote it before the JSON document (not parseable); then, sent to
    stderr, its ~50 lines sat amid optimize's progress like a crash, and torch.export's '[torch.onnx] ...' progress
    lines beside it. Dropped: the error (or the variant's notes) says what failed."""
    from accelopt.optimize.onnx_runtime import export_onnx

    with pytest.raises(UnsupportedError, match="airy_ai"):
        export_onnx(_NoOnnxOp(), (torch.randn(2, 3),), tmp_path / "m.onnx")
    out, err = capfd.readouterr()
    assert out == "" and "Torch IR graph" not in err and "[torch.onnx]" not in err, err[:400]


def test_the_saved_graphs_outputs_are_named_by_their_place(tmp_path: Any) -> None:
    """The .onnx file --save writes named its outputs out0, out1: nothing told a deployer which was the logits."""
    import onnxruntime as ort

    torch.manual_seed(0)
    b = _bundle(_WithCount(), (5,), (5,), loss_fn=lambda out, y: _lm_loss(out["logits"], y))
    v = get_technique("onnx-fp32").apply(b, CPU, {})
    assert v.save is not None
    session = ort.InferenceSession(str(v.save(tmp_path)))
    assert [o.name for o in session.get_outputs()] == ["logits"] and [i.name for i in session.get_inputs()] == ["in0"]
    assert any("its outputs logits (their place in the model's output)" in n for n in v.notes), v.notes


class _BakedLength(nn.Module):
    """A forward that computes a size with int(): the TorchScript trace turns it into a constant."""

    def __init__(self) -> None:
        super().__init__()
        self.lm = _TinyLM()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.lm(x)  # (B, T, V)
        flat = h.reshape(int(h.shape[0]) * int(h.shape[1]), VOCAB)  # (B*T, V): B*T baked into the graph
        return flat.reshape(h.shape)


def test_a_graph_that_fixed_a_varying_size_is_refused_with_the_fix() -> None:
    """Lengths 5 and 3 in the data: declared dynamic, but the trace fixed B*T, so the variant failed mid-measurement
    with ONNX Runtime's Reshape message. The export is now run on a batch of each shape first."""
    torch.manual_seed(0)
    b = _bundle(_BakedLength(), (5,), (3,))
    with pytest.raises(UnsupportedError, match=r"does not run the batch of shapes in0 \(2, 3\)") as e:
        get_technique("onnx-fp32").apply(b, CPU, {})
    assert "pad the inputs to one size" in e.value.fix


class _HFOut(nn.Module):
    """(B, T) ids -> a Hugging Face ModelOutput, as GPT2LMHeadModel returns."""

    def __init__(self) -> None:
        super().__init__()
        self.lm = _TinyLM()

    def forward(self, x: torch.Tensor) -> Any:
        from transformers.modeling_outputs import CausalLMOutput

        return CausalLMOutput(logits=self.lm(x))


def test_a_hugging_face_model_output_keeps_its_structure() -> None:
    """transformers 4.31 does not register ModelOutput with torch's pytree: GPT-2 built from a config.json was
    refused ('not a structure torch's pytree flattens'), its loss_fn reading out.logits."""
    pytest.importorskip("transformers")
    torch.manual_seed(0)
    b = _bundle(_HFOut(), (5, 5), (3, 9), loss_fn=lambda out, y: _lm_loss(out.logits, y))
    tech = get_technique("onnx-fp32")
    assert tech.not_applicable(b, CPU) is None
    v = tech.apply(b, CPU, {})
    out = v.forward(torch.zeros(2, 4, dtype=torch.long))
    assert type(out).__name__ == "CausalLMOutput" and out.logits.shape == (2, 4, VOCAB)
    _assert_scores_as_the_model(v, b)


class _Scaled(nn.Module):
    """forward(x, scale) with scale a Python float: the TorchScript exporter declares it a double graph input."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv1d(2, 3, 3, padding=1)

    def forward(self, x: torch.Tensor, scale: float) -> torch.Tensor:
        return self.conv(x).mean(-1) * scale  # (B, 3)


@pytest.mark.parametrize("name", ["onnx-fp32", "onnx-int8-static"])
def test_a_python_number_input_is_fed_to_the_graph(name: str) -> None:
    """A float argument in the batches failed the variant as a 'trace that fixed a size' ("'float' object has no
    attribute 'detach'"), then with ORT's "Required inputs (['in1']) are missing"."""
    g = torch.Generator().manual_seed(0)
    data = [((torch.randn(4, 2, 8, generator=g), s), torch.randint(0, 3, (4,), generator=g)) for s in (0.5, 2.0)]
    torch.manual_seed(0)
    b = ModelBundle(name="scaled", model=_Scaled().eval(), batches=lambda: iter(data), eval_batches=lambda: iter(data),
                    loss_fn=F.cross_entropy, batch_size=4, metric="loss")
    v = get_technique(name).apply(b, CPU, {})
    x = data[1][0][0]
    assert torch.allclose(v.forward(x, 2.0), b.model(x, 2.0), atol=0.05 if "int8" in name else 1e-5)


def test_a_constant_the_graph_baked_in_is_checked() -> None:
    from accelopt.optimize.onnx_runtime import Exported, OutputLayout, check_constants

    exp = Exported(["in0", "in1"], OutputLayout(["out0"]), [(None, 8), ()], [], constants={1: 0.5})
    check_constants(exp, (torch.zeros(2, 8), 0.5))
    with pytest.raises(UnsupportedError, match=r"input in1 is 0.7.*in1 = 0.5") as e:
        check_constants(exp, (torch.zeros(2, 8), 0.7))
    assert "torch.tensor" in e.value.fix


class _DictIn(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(4, 3)

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.lin(batch["x"]) + batch["bias"]


@pytest.mark.parametrize("name", ["onnx-fp32", "onnx-int8", "onnx-int8-static"])
def test_a_dict_input_is_not_applicable_with_the_reason(name: str) -> None:
    """A model taking a dict (as Hugging Face-style models take their batch) failed the export: torch.onnx reads a
    trailing dict argument as keyword arguments ("got an unexpected keyword argument 'x'"), and the reason shown
    was torch's page of next steps with its colour codes."""
    data = [({"x": torch.randn(2, 4), "bias": torch.randn(2, 3)}, torch.tensor([0, 1]))]
    b = ModelBundle(name="dict", model=_DictIn(), batches=lambda: iter(data), loss_fn=F.cross_entropy, batch_size=2)
    why = get_technique(name).not_applicable(b, CPU)
    assert why is not None and "takes a dict (input 0)" in why and "separate arguments" in why


def test_a_dynamo_export_failure_names_its_cause_without_colour_codes(tmp_path: Any,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from accelopt.optimize import onnx_runtime

    def fails(*_: Any, **kw: Any) -> None:
        if kw.get("dynamo"):
            try:
                raise TypeError("got an unexpected keyword argument 'x'")
            except TypeError as cause:
                raise RuntimeError("\x1b[96mThis is step 1/3\x1b[0m of exporting\n- Modify the model code") from cause
        raise RuntimeError("TorchScript exporter failed")

    monkeypatch.setattr(torch.onnx, "export", fails)
    with pytest.raises(UnsupportedError) as e:
        onnx_runtime.export_onnx(_Conv(), (torch.randn(2, 3, 8, 8),), tmp_path / "m.onnx")
    assert "TypeError: got an unexpected keyword argument 'x'" in e.value.problem and "\x1b" not in e.value.problem
