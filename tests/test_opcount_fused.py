"""FLOPs of fused recurrent layers (LSTM / GRU / RNN) and of the transformer encoder fast path
(accelopt.workload.opcount_fused), checked against torch's own unfused path counted op by op, and the gate GEMMs
against torch.utils.flop_counter.FlopCounterMode.

Tolerance, stated before measuring: the fused count equals the unfused count exactly (the formulas count the same
ops), except that the unfused nn.MultiheadAttention in-projection adds its bias as a separate op (N x 3E FLOPs per
layer) which the fused count leaves out as flop_registry leaves out addmm's bias."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from torch.utils._python_dispatch import TorchDispatchMode  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from accelopt.workload import opcount, opcount_fused  # noqa: E402

nn = torch.nn


class _Count(TorchDispatchMode):
    """FLOPs of every aten call by opcount.classify, and the names it could not model."""

    def __init__(self) -> None:
        super().__init__()
        self.flops = 0.0
        self.ops: Counter[str] = Counter()
        self.flops_by_op: Counter[str] = Counter()
        self.unmodeled: list[str] = []

    def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        out = func(*args, **kwargs)
        work = opcount.classify(func, args, kwargs, out)
        self.flops += work.flops
        self.ops[opcount.base_name(func)] += 1
        self.flops_by_op[opcount.base_name(func)] += work.flops
        if not work.modeled:
            self.unmodeled.append(opcount.base_name(func))
        return out


def _forward(model: Any, x: Any, grad: bool = False, **kw: Any) -> _Count:
    count = _Count()
    with count, torch.set_grad_enabled(grad):
        model(x, **kw)
    return count


def _lstm() -> Any:
    torch.manual_seed(0)
    return nn.LSTM(12, 20, num_layers=2, bidirectional=True).eval()


@pytest.mark.skipif(not torch.backends.mkldnn.is_available(), reason="oneDNN (the fused CPU LSTM) not in this torch")
def test_fused_lstm_counts_what_the_unfused_path_counts() -> None:
    model, x = _lstm(), torch.randn(7, 3, 12)  # (T, B, I)
    fused = _forward(model, x)
    with torch.backends.mkldnn.flags(enabled=False):
        unfused = _forward(model, x)
    assert fused.ops["mkldnn_rnn_layer"] == 4 and not fused.unmodeled  # read "unmodeled" (0 FLOPs) before
    assert "mkldnn_rnn_layer" not in unfused.ops
    assert fused.flops == unfused.flops
    model.batch_first = True  # (B, T, I): the same work (unfused, torch then adds layer 0's input bias apart)
    assert _forward(model, x.transpose(0, 1).contiguous()).flops == fused.flops
    # by hand (PyTorch docs' LSTM: 4 gates): rows 21, H 20; layer 0 I 12, layer 1 I 40; 13 pointwise per unit
    rows = 3 * 7
    by_hand = 2 * rows * ((2 * 4 * 20 * (12 + 20) + 13 * 20) + (2 * 4 * 20 * (40 + 20) + 13 * 20))
    assert fused.flops == by_hand


@pytest.mark.skipif(not torch.backends.mkldnn.is_available(), reason="oneDNN (the fused CPU LSTM) not in this torch")
@pytest.mark.parametrize("batch_first", [False, True])
def test_fused_lstm_gate_gemm_is_batch_by_gates_per_step(batch_first: bool) -> None:
    """M = sequences, N = 4H, K = I + H, once per time step; a batch-first input reached the kernel transposed, so
    its GEMM read M = time steps, repeated once per sequence."""
    torch.manual_seed(0)
    model = nn.LSTM(12, 20, batch_first=batch_first).eval()
    x = torch.randn(3, 7, 12) if batch_first else torch.randn(7, 3, 12)  # 3 sequences of 7 steps
    gemms = []

    class _Gemms(TorchDispatchMode):
        def __torch_dispatch__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            out = func(*args, **(kwargs or {}))
            if opcount.base_name(func) == "mkldnn_rnn_layer":
                gemms.append(opcount.classify(func, args, kwargs or {}, out).gemm)
            return out

    with _Gemms(), torch.no_grad():
        model(x)
    assert gemms == [opcount_fused.Gemm(m=3, n=80, k=32, batch=7)]


@pytest.mark.skipif(not torch.backends.mkldnn.is_available(), reason="oneDNN (the fused CPU LSTM) not in this torch")
def test_fused_lstm_backward_is_twice_its_forward() -> None:
    model, x = _lstm().train(), torch.randn(3, 7, 12)
    count = _Count()
    with count:
        out, _ = model(x)
        out.sum().backward()
    assert count.ops["mkldnn_rnn_layer_backward"] == 4 and not count.unmodeled
    assert count.flops_by_op["mkldnn_rnn_layer_backward"] == 2 * count.flops_by_op["mkldnn_rnn_layer"] > 0


@pytest.mark.parametrize(("make", "mode"), [
    (lambda: nn.LSTM(12, 20, num_layers=2, bidirectional=True, proj_size=6), 2),
    (lambda: nn.GRU(12, 20, num_layers=3, bidirectional=True), 3),
    (lambda: nn.RNN(12, 20, num_layers=2), 1),
    (lambda: nn.RNN(12, 20, nonlinearity="relu"), 0),
])
def test_stack_formula_matches_the_unfused_path(make: Any, mode: int) -> None:
    """The formula cuDNN / MIOpen calls get (every layer at once) against the same stack run unfused on the CPU,
    and its GEMM part against FlopCounterMode."""
    torch.manual_seed(0)
    model, x = make().eval(), torch.randn(5, 3, 12)  # (T, B, I)
    with torch.backends.mkldnn.flags(enabled=False):
        unfused = _forward(model, x)
        with FlopCounterMode(display=False) as fc, torch.no_grad():
            model(x)
    proj = getattr(model, "proj_size", 0)
    formula = opcount_fused.rnn_stack_flops(mode, 15, 12, 20, proj, model.num_layers, model.bidirectional)
    assert formula == unfused.flops and not unfused.unmodeled
    pointwise = opcount_fused.POINTWISE_PER_HIDDEN[mode] * 20 * 15 * model.num_layers * (1 + model.bidirectional)
    assert formula - pointwise == fc.get_total_flops()


def test_cudnn_call_counts_every_layer_and_direction() -> None:
    """_cudnn_rnn's named arguments (GPU only) through rnn_flops: a packed input of 40 rows."""
    args = {"input": torch.zeros(40, 12), "mode": 3, "hidden_size": 20, "proj_size": 0, "num_layers": 2,
            "bidirectional": True}
    layer0 = 2 * 3 * 20 * (12 + 20) + 10 * 20
    layer1 = 2 * 3 * 20 * (40 + 20) + 10 * 20
    assert opcount_fused.rnn_flops("_cudnn_rnn", args) == 40 * 2 * (layer0 + layer1)
    assert opcount_fused.rnn_flops("_cudnn_rnn_backward", args) == 2 * 40 * 2 * (layer0 + layer1)


@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_fast_path_counts_the_slow_paths_ops(activation: str, norm_first: bool) -> None:
    torch.manual_seed(0)
    layer = nn.TransformerEncoderLayer(16, 2, 48, batch_first=True, activation=activation, norm_first=norm_first)
    model, x = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False).eval(), torch.randn(2, 5, 16)
    fast = _forward(model, x)
    slow = _forward(model, x, grad=True)  # autograd on: torch takes the unfused path
    assert fast.ops["_transformer_encoder_layer_fwd"] == 2 and not fast.unmodeled
    assert "_transformer_encoder_layer_fwd" not in slow.ops
    qkv_bias_adds = 2 * (2 * 5) * (3 * 16)  # layers x tokens x 3E (module docstring)
    assert fast.flops == slow.flops - qkv_bias_adds


def test_encoder_fast_path_with_padding_counts_the_real_tokens() -> None:
    torch.manual_seed(0)
    model = nn.TransformerEncoder(nn.TransformerEncoderLayer(16, 2, 48, batch_first=True), 1).eval()
    x = torch.randn(2, 4, 16)
    pad = torch.tensor([[False, False, False, True], [False, False, True, True]])  # lengths 3 and 2
    count = _forward(model, x, src_key_padding_mask=pad)
    assert count.ops["_transformer_encoder_layer_fwd"] == 1 and not count.unmodeled
    tokens, width, ffn = 5, 16, 48
    by_hand = (2 * tokens * (4 * width**2 + 2 * width * ffn) + 4 * width * (3**2 + 2**2)
               + tokens * (2 * 7 * width + 2 * width + ffn))
    assert count.flops_by_op["_transformer_encoder_layer_fwd"] == by_hand  # the mask's own ops count apart


def test_native_multi_head_attention_counts_the_slow_paths_ops() -> None:
    torch.manual_seed(0)
    mha, x = nn.MultiheadAttention(16, 2, batch_first=True).eval(), torch.randn(2, 5, 16)
    fast, slow = _Count(), _Count()
    with fast, torch.no_grad():
        mha(x, x, x, need_weights=False)
    with slow:
        mha(x, x, x, need_weights=False)
    assert fast.ops["_native_multi_head_attention"] == 1 and not fast.unmodeled
    assert fast.flops == slow.flops - (2 * 5) * (3 * 16)


@pytest.mark.parametrize("make", [
    lambda p: torch.optim.AdamW(p),
    lambda p: torch.optim.AdamW(p, amsgrad=True),
    lambda p: torch.optim.Adam(p),
    lambda p: torch.optim.Adam(p, weight_decay=0.1),
    lambda p: torch.optim.SGD(p, lr=0.1),
    lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
    lambda p: torch.optim.Adagrad(p),
])
def test_fused_optimizer_counts_what_foreach_counts(make: Any) -> None:
    """torch.optim.X(fused=True) runs one _fused_X_ kernel that read as unmodeled; it counts the FLOPs the
    foreach implementation counts op by op (from the second step on: the first makes the state)."""
    counts = {}
    for impl in ("foreach", "fused"):
        torch.manual_seed(0)
        model = nn.Linear(30, 5)
        opt = make(model.parameters())
        opt.defaults[impl] = True
        for group in opt.param_groups:
            group[impl] = True
        count = _Count()
        for step in range(2):
            model(torch.randn(3, 30)).sum().backward()
            if step == 1:
                with count:
                    opt.step()
            else:
                opt.step()
        assert not count.unmodeled, (impl, count.unmodeled)
        counts[impl] = count
    assert counts["fused"].flops == counts["foreach"].flops > 0
    assert any(name.startswith("_fused_") for name in counts["fused"].ops)
