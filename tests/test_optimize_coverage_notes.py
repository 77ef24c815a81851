"""What a compressing technique touched, as a share of the model. prune-unstructured on a GRU classifier (the GRU
and the embedding hold ~97% of the parameters) printed "requested sparsity 50.0%, reached 50.0%" when 1.4% of its
parameters were zeroed: the note now gives the share and the layer types left whole. onnx-int8 said "int8
weights (QInt8)" while quantize_dynamic left the GRU in float: the note now gives the int8 share of the graph's
weights, and a quantizer that quantized nothing is not applicable."""

from __future__ import annotations

from typing import Any

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402

from accelopt.optimize.base import Target, get_technique  # noqa: E402
from accelopt.workload.userfile import ModelBundle  # noqa: E402


class _GruNet(nn.Module):
    """ids (B, 12) -> (B, 5): Embedding(50, 16) 800, GRU(16, 32) 4,800, Linear(32, 5) 165 parameters."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(50, 16)
        self.rnn = nn.GRU(16, 32, batch_first=True)
        self.fc = nn.Linear(32, 5)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(self.emb(ids))  # (B, 12, 32)
        return self.fc(out[:, -1])


def test_the_note_says_how_much_of_the_model_was_pruned() -> None:
    torch.manual_seed(0)
    data = [(torch.randint(0, 50, (4, 12)), torch.randint(0, 5, (4,))) for _ in range(2)]
    b = ModelBundle(name="gru", model=_GruNet(), batches=lambda: iter(data), batch_size=4,
                    eval_batches=lambda: iter(data), loss_fn=nn.functional.cross_entropy, metric="accuracy")
    v = get_technique("prune-unstructured").apply(b, Target(mode="inference", device="cpu"),
                                                  {"finetune_steps": 0})
    total = sum(p.numel() for p in b.model.parameters())
    assert total == 800 + 4800 + 165
    # fc.weight: 160 weights, 80 zeroed = 1.4% of the model's 5,765 parameters (hand-computed, stated before)
    note = next(n for n in v.notes if n.startswith("global L1 magnitude pruning"))
    assert "160 of the model's 5,765 parameters (2.8%)" in note, note
    assert "80 zeros = 1.4% of the model" in note, note
    assert "GRU" in note and "Embedding" in note, note  # the layers left whole, by type


def test_onnx_int8_says_which_weights_stay_float() -> None:
    """quantize_dynamic quantizes the Gather (embedding) and the Gemm (Linear) and leaves the GRU in fp32: the
    variant said 'int8 weights (QInt8)' with a file 0.2% bigger. Now: int8 800 + 160 = 960 of 960 + 4,608 GRU
    elements (ONNX's GRU holds W (1, 96, 16) 1,536 and R (1, 96, 32) 3,072; its bias B (1, 192), 2 dims, is a bias
    and left out, as the Linear's 1-dim bias is), hand-computed before running."""
    pytest.importorskip("onnxruntime")
    torch.manual_seed(0)
    data = [(torch.randint(0, 50, (4, 12)), torch.randint(0, 5, (4,))) for _ in range(2)]
    b = ModelBundle(name="gru", model=_GruNet().eval(), batches=lambda: iter(data), batch_size=4,
                    eval_batches=lambda: iter(data), loss_fn=nn.functional.cross_entropy, metric="accuracy")
    v = get_technique("onnx-int8").apply(b, Target(mode="inference", device="cpu"), {})
    assert any("int8 weights: 960 of the graph's 5,568 weight elements (17.2%)" in n and n.endswith("GRU")
               for n in v.notes), v.notes


class _LstmNet(nn.Module):
    """x (B, 10, 8) -> (B, 3): LSTM(8, 16) W 64 x 8 = 512, R 64 x 16 = 1,024, biases 2 x 64; Linear(16, 3) 48 + 3."""

    def __init__(self) -> None:
        super().__init__()
        self.rnn = nn.LSTM(8, 16, batch_first=True)
        self.fc = nn.Linear(16, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)  # (B, 10, 16)
        return self.fc(out[:, -1])


def test_onnx_int8_counts_a_quantized_lstm_as_int8() -> None:
    """quantize_dynamic makes the LSTM a DynamicQuantizeLSTM with int8 W and R and a float bias B (1, 128): the bias,
    2-dim, was counted as a float weight, so the note read 'int8 weights: 1,584 of the graph's 1,712 weight elements
    (92.5%); left in float, the weights of: DynamicQuantizeLSTM' for an LSTM whose every weight was int8. Hand-computed
    before running: 512 + 1,024 + 48 = 1,584 of 1,584."""
    pytest.importorskip("onnxruntime")
    torch.manual_seed(0)
    data = [(torch.randn(4, 10, 8), torch.randint(0, 3, (4,))) for _ in range(2)]
    b = ModelBundle(name="lstm", model=_LstmNet().eval(), batches=lambda: iter(data), batch_size=4,
                    eval_batches=lambda: iter(data), loss_fn=nn.functional.cross_entropy, metric="accuracy")
    v = get_technique("onnx-int8").apply(b, Target(mode="inference", device="cpu"), {})
    note = next(n for n in v.notes if n.startswith("int8 weights:"))
    assert note == "int8 weights: 1,584 of the graph's 1,584 weight elements (100.0%)", note


def test_a_quantizer_that_quantized_nothing_is_not_applicable(monkeypatch: pytest.MonkeyPatch) -> None:
    """A quantizer that leaves every weight in float (stood in for here by one that copies the fp32 graph) is not
    reported as an int8 variant: not applicable, naming the ops whose weights stayed float."""
    import shutil

    pytest.importorskip("onnxruntime")
    from accelopt.errors import UnsupportedError
    from accelopt.optimize.onnx_runtime import OnnxInt8Dynamic

    def copy(self: Any, src: Any, dst: Any, *args: Any) -> Any:
        shutil.copy(src, dst)
        return dst

    monkeypatch.setattr(OnnxInt8Dynamic, "quantize", copy)
    torch.manual_seed(0)
    data = [(torch.randint(0, 50, (4, 12)), torch.randint(0, 5, (4,))) for _ in range(2)]
    b = ModelBundle(name="gru", model=_GruNet().eval(), batches=lambda: iter(data), batch_size=4,
                    eval_batches=lambda: iter(data), loss_fn=nn.functional.cross_entropy, metric="accuracy")
    with pytest.raises(UnsupportedError, match=r"quantized none of the graph's weights \(float weights feed: "
                                               r"GRU, Gather, Gemm\)"):
        get_technique("onnx-int8").apply(b, Target(mode="inference", device="cpu"), {})


@pytest.mark.parametrize("technique", ["int8-weight-only", "int8-dynamic"])
def test_torchao_quantizers_say_how_much_of_the_model_they_quantized(technique: str) -> None:
    """torchao quantizes nn.Linear only: on a Hugging Face GPT-2 (Conv1D blocks) only the tied lm_head, 22.8% of
    the parameters, while the note said 'on every nn.Linear' beside a file 6% larger than the fp32 one. Hand-computed
    before running: fc.weight 32 x 5 = 160 of the GRU classifier's 5,765 parameters (2.8%)."""
    pytest.importorskip("torchao")
    torch.manual_seed(0)
    data = [(torch.randint(0, 50, (4, 12)), torch.randint(0, 5, (4,))) for _ in range(2)]
    b = ModelBundle(name="gru", model=_GruNet().eval(), batches=lambda: iter(data), batch_size=4,
                    eval_batches=lambda: iter(data), loss_fn=nn.functional.cross_entropy, metric="accuracy")
    v = get_technique(technique).apply(b, Target(mode="inference", device="cpu"), {})
    note = next(n for n in v.notes if n.startswith("torchao"))
    assert "the quantized weights are 160 of the model's 5,765 parameters (2.8%)" in note, note
    assert note.endswith("left in float: Embedding, GRU"), note


class _TiedLm(nn.Module):
    """ids (B, 12) -> (B, 12, 50): Embedding(50, 16) 800 tied to the head Linear(16, 50, bias=False), a position
    table pos (40, 16) 640 held by the model itself, Linear(16, 16) 256 + 16: 1,712 parameters, each tensor once."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(50, 16)
        self.pos = nn.Parameter(torch.zeros(40, 16))
        self.mid = nn.Linear(16, 16)
        self.head = nn.Linear(16, 50, bias=False)
        self.head.weight = self.emb.weight  # tied

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return self.head(torch.relu(self.mid(self.emb(ids) + self.pos[: ids.shape[1]])))


def test_torchao_quantizers_name_a_tied_embedding_as_left_in_float() -> None:
    """utopt (2026-12-06): int8-dynamic on a user's tied-embedding encoder said 'left in float: MultiheadAttention,
    TinyLM' while its other note said torchao untied the head and the Embedding kept the fp32 original: the list
    judged layers by tensor, and the tied tensor counted as quantized for the Embedding too. Hand-computed before
    running: quantized mid 256 + head 800 = 1,056 of 1,712 (61.7%); left in float: the Embedding (its own copy) and
    the model's own pos table."""
    pytest.importorskip("torchao")
    torch.manual_seed(0)
    data = [(torch.randint(0, 50, (4, 12)), torch.randint(0, 50, (4, 12))) for _ in range(2)]
    b = ModelBundle(name="tied", model=_TiedLm().eval(), batches=lambda: iter(data), batch_size=4,
                    loss_fn=lambda out, t: nn.functional.cross_entropy(out.reshape(-1, 50), t.reshape(-1)))
    v = get_technique("int8-weight-only").apply(b, Target(mode="inference", device="cpu"), {})
    note = next(n for n in v.notes if n.startswith("torchao"))
    assert "the quantized weights are 1,056 of the model's 1,712 parameters (61.7%)" in note, note
    assert note.endswith("left in float: Embedding, _TiedLm"), note
    assert not isinstance(v.model.emb.weight, type(v.model.head.weight))  # the Embedding's copy did stay float


def test_the_train_mode_note_says_when_its_quality_was_scored() -> None:
    """uttrial (2026-12-05): optimize --mode train printed 'prune-unstructured: held-out loss 13.32' under a table
    whose prune-unstructured row read loss 12.76, with nothing saying that the note's figure is the pruned model's
    as it came out of pruning and the table's the one after the run's training steps (--quality-steps)."""
    torch.manual_seed(0)
    data = [(torch.randint(0, 50, (4, 12)), torch.randint(0, 5, (4,))) for _ in range(2)]
    b = ModelBundle(name="gru", model=_GruNet(), batches=lambda: iter(data), batch_size=4,
                    eval_batches=lambda: iter(data), loss_fn=nn.functional.cross_entropy, metric="loss")
    train = get_technique("prune-unstructured").apply(b, Target(mode="train", device="cpu"), {"finetune_steps": 0})
    note = next(n for n in train.notes if n.startswith("held-out loss"))
    assert "as pruned, before the run's --quality-steps training steps" in note, note
    infer = get_technique("prune-unstructured").apply(b, Target(mode="inference", device="cpu"), {"finetune_steps": 0})
    note = next(n for n in infer.notes if n.startswith("held-out loss"))
    assert "--quality-steps" not in note, note
