"""FLOPs of fused aten kernels that run a whole recurrent layer, or a whole transformer encoder layer, in one
call. FlopCounterMode's table has none of them, so without these formulas capture read them as "unmodeled" (0).

Recurrent layers: the gate equations of the PyTorch docs (torch.nn.LSTM, torch.nn.GRU, torch.nn.RNN):
    LSTM (4 gates): i, f, o = sigmoid(W_i* x + b_i* + W_h* h + b_h*), g = tanh(W_ig x + b_ig + W_hg h + b_hg),
                    c' = f * c + i * g, h' = o * tanh(c')
    GRU (3 gates):  r, z = sigmoid(W_i* x + b_i* + W_h* h + b_h*), n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),
                    h' = (1 - z) * n + z * h
    RNN (1 gate):   h' = tanh or relu(W_ih x + b_ih + W_hh h + b_hh)
Per time step and sequence, per layer and direction, with G gates, H hidden units and I inputs to the layer:
    gate GEMMs  2 * G * H * (I + H)   (2 FLOPs per multiply-accumulate, as the rest of opcount)
    LSTM with proj_size P: W_hh is (G*H, P) and h' = W_hr h'' adds 2 * H * P; later layers take P (x2 if
    bidirectional) inputs.
    pointwise   POINTWISE_PER_HIDDEN[mode] * H: the ops torch's unfused cells run (aten/src/ATen/native/RNN.cpp,
                LSTMCell / GRUCell / SimpleCell), each counted 1 as in opcount.ELEMENT_FLOPS.
Bias adds are not counted, as flop_registry does not count addmm's bias: a fused layer counts exactly what torch's
unfused path counts op by op (tests/test_opcount_fused.py checks both, and the GEMM part against FlopCounterMode).

Backward of a fused layer: 2x its forward. The input and the weight gradient are each a GEMM as large as the
forward one (the convention of FlopCounterMode for mm, and of Kaplan et al. 2020, "Scaling Laws for Neural
Language Models", Sec. 2.1: backward = 2 x forward); for the pointwise part the factor is an estimate.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from accelopt.workload.types import Gemm

RNN_GATES = {0: 1, 1: 1, 2: 4, 3: 3}
"""Gates per `mode` (the cuDNN / oneDNN numbering torch passes: 0 RNN_RELU, 1 RNN_TANH, 2 LSTM, 3 GRU)."""
POINTWISE_PER_HIDDEN = {
    0: 2.0,  # sum of the two projections, relu
    1: 2.0,  # sum, tanh
    2: 13.0,  # 4 gate sums, 4 activations (sigmoid x3, tanh), f*c + i*g (3), tanh(c') and o* (2)
    3: 10.0,  # r, z: 2 sums + 2 sigmoids; n: r* (1), + (1), tanh (1); h' = n + z * (h - n) (3; the docs' form)
}
BACKWARD_FACTOR = 2.0
"""Backward FLOPs of a fused layer per forward FLOP (module docstring)."""

RNN_FORWARD = frozenset({"mkldnn_rnn_layer", "_cudnn_rnn", "miopen_rnn"})
RNN_BACKWARD = frozenset({"mkldnn_rnn_layer_backward", "_cudnn_rnn_backward", "miopen_rnn_backward"})
FUSED_CELLS = {"_thnn_fused_lstm_cell": 13.0, "_thnn_fused_gru_cell": 10.0}
"""CUDA fused pointwise cells (the gate GEMMs run as separate mm ops): FLOPs per element of the state."""
FUSED_CELLS_BACKWARD = {"_thnn_fused_lstm_cell_backward_impl": 13.0, "_thnn_fused_gru_cell_backward": 10.0}
OPTIMIZER_FLOPS = {"_fused_adam": 13.0, "_fused_adamw": 13.0, "_fused_adagrad": 9.0, "_fused_sgd": 1.0}
"""Fused optimizer steps (torch.optim.X(fused=True)): FLOPs per parameter element, the same the foreach and
single-tensor implementations count op by op (tests/test_opcount_fused.py): Adam's m and v updates, bias
corrections, sqrt, eps and step (Kingma & Ba 2015, Algorithm 1) 13; +1 for weight decay (L2 for Adam, decoupled
for AdamW), +1 for amsgrad's max; Adagrad 9 (+1 weight decay); SGD 1, +2 with momentum, +1 weight decay, +1
Nesterov."""
ENCODER_LAYER = "_transformer_encoder_layer_fwd"
NATIVE_MHA = "_native_multi_head_attention"
FUSED_OPS = (RNN_FORWARD | RNN_BACKWARD | set(FUSED_CELLS) | set(FUSED_CELLS_BACKWARD) | {ENCODER_LAYER, NATIVE_MHA}
             | {f"{n}_" for n in OPTIMIZER_FLOPS} | set(OPTIMIZER_FLOPS))


def named_args(func: Any, args: Sequence[Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The op's arguments by their schema names (defaults filled in)."""
    out: dict[str, Any] = {}
    for i, sa in enumerate(func._schema.arguments):
        if i < len(args):
            out[sa.name] = args[i]
        elif sa.name in kwargs:
            out[sa.name] = kwargs[sa.name]
        elif sa.has_default_value():
            out[sa.name] = sa.default_value
    return out


def rnn_layer_flops(mode: int, rows: int, inputs: int, hidden: int, proj: int = 0) -> float:
    """Forward FLOPs of one layer in one direction over `rows` (time steps x sequences) (module docstring)."""
    gates = RNN_GATES[mode]
    recurrent = proj or hidden  # the h that feeds back
    gemm = 2.0 * gates * hidden * (inputs + recurrent) + (2.0 * hidden * proj if proj else 0.0)
    return rows * (gemm + POINTWISE_PER_HIDDEN[mode] * hidden)


def rnn_stack_flops(mode: int, rows: int, inputs: int, hidden: int, proj: int, layers: int,
                    bidirectional: bool) -> float:
    """Forward FLOPs of a whole stack (cuDNN and MIOpen run every layer and direction in one call)."""
    dirs = 2 if bidirectional else 1
    out_size = (proj or hidden) * dirs  # what layer l >= 1 reads
    return sum(dirs * rnn_layer_flops(mode, rows, inputs if layer == 0 else out_size, hidden, proj)
               for layer in range(layers))


def _rows(x: Any) -> tuple[int, int]:
    """(rows, features) of an RNN input: (T, B, I), (B, T, I), (T*B packed, I) or unbatched (T, I)."""
    features = int(x.shape[-1])
    return int(x.numel()) // max(features, 1), features


def rnn_flops(name: str, a: dict[str, Any]) -> float:
    """FLOPs of a fused recurrent kernel call (forward or backward), `a` its named arguments."""
    rows, features = _rows(a["input"])
    mode, hidden = int(a["mode"]), int(a["hidden_size"])
    if name.startswith("mkldnn_rnn_layer"):  # one layer, one direction: its input size is the weight's
        w_ih = a["weight0"] if "weight0" in a else a["weight1"]
        forward = rnn_layer_flops(mode, rows, int(w_ih.shape[1]), hidden)
    else:
        forward = rnn_stack_flops(mode, rows, features, hidden, int(a.get("proj_size", 0) or 0),
                                  int(a["num_layers"]), bool(a["bidirectional"]))
    return forward * (BACKWARD_FACTOR if name in RNN_BACKWARD else 1.0)


def rnn_gemm(a: dict[str, Any]) -> Gemm | None:
    """The gate GEMM of a oneDNN layer per time step, as one GEMM over [x, h] (K = I + H) repeated T times; None
    when the input is packed or unbatched (the sequences per step vary or are not known). The input is (T, B, I)
    here whatever `batch_first` says: torch hands a batch-first input to the kernel transposed."""
    x = a["input"]
    if x.dim() != 3 or a.get("batch_sizes"):
        return None
    steps, batch = int(x.shape[0]), int(x.shape[1])
    hidden = int(a["hidden_size"])
    return Gemm(m=batch, n=RNN_GATES[int(a["mode"])] * hidden, k=int(a["weight0"].shape[1]) + hidden, batch=steps)


def _sequence_lengths(src: Any) -> list[int]:
    """Tokens of each sequence: a (B, S, E) tensor, or the nested tensor the fast path builds from a padding mask."""
    if getattr(src, "is_nested", False):
        return [int(n) for n in src._nested_tensor_size()[:, 0].tolist()]
    batch, seq = (1, int(src.shape[0])) if src.dim() == 2 else (int(src.shape[0]), int(src.shape[1]))
    return [seq] * batch


def encoder_layer_flops(a: dict[str, Any]) -> float:
    """One torch.nn.TransformerEncoderLayer on the fast path, counted as its unfused ops are (transformer.py):
    QKV and output projections 2*N*(3E^2 + E^2), FFN 2*N*2*E*F, attention 4*S^2*E per sequence (QK^T and AV, as
    FlopCounterMode counts SDPA, softmax not counted), two layer norms 7*N*E each (NORM_FLOPS), two residual adds
    N*E each, activation relu 1 or gelu 5 per FFN element (ELEMENT_FLOPS); N tokens, E model width, F FFN width."""
    lengths = _sequence_lengths(a["src"])
    tokens, width, ffn = sum(lengths), int(a["embed_dim"]), int(a["ffn_weight_1"].shape[0])
    gemms = 2.0 * tokens * (4 * width * width + 2 * width * ffn)
    attention = 4.0 * width * sum(s * s for s in lengths)
    act = 5.0 if a["use_gelu"] else 1.0
    return gemms + attention + tokens * (2 * 7.0 * width + 2.0 * width + act * ffn)


def native_mha_flops(a: dict[str, Any]) -> float:
    """torch.nn.MultiheadAttention on the fast path: Q, K, V and output projections (2*E^2 per token each) and
    attention 4*Sq*Sk*E per sequence (QK^T and AV, as FlopCounterMode counts SDPA)."""
    q, k = a["query"], a["key"]
    width = int(a["embed_dim"])
    batch = math.prod(int(d) for d in q.shape[:-2]) if q.dim() > 2 else 1
    sq, sk = int(q.shape[-2]), int(k.shape[-2])
    return batch * (2.0 * width * width * (2 * sq + 2 * sk) + 4.0 * sq * sk * width)


def optimizer_flops(name: str, a: dict[str, Any]) -> float:
    """FLOPs of a fused optimizer step over all its parameters (OPTIMIZER_FLOPS)."""
    per_element = OPTIMIZER_FLOPS[name] + (1.0 if a.get("weight_decay") else 0.0)
    if name in ("_fused_adam", "_fused_adamw"):
        per_element += 1.0 if a.get("amsgrad") else 0.0
    if name == "_fused_sgd":
        per_element += (2.0 if a.get("momentum") else 0.0) + (1.0 if a.get("nesterov") else 0.0)
    return per_element * sum(int(p.numel()) for p in a["self"])


def fused_work(name: str, func: Any, args: Sequence[Any], kwargs: dict[str, Any]) -> tuple[str, float, Gemm | None]:
    """(op kind, FLOPs, gate GEMM or None) of a fused op named in FUSED_OPS."""
    a = named_args(func, args, kwargs)
    if name.removesuffix("_") in OPTIMIZER_FLOPS:
        return "elementwise", optimizer_flops(name.removesuffix("_"), a), None
    if name in RNN_FORWARD or name in RNN_BACKWARD:
        gemm = rnn_gemm(a) if name == "mkldnn_rnn_layer" else None
        return "matmul", rnn_flops(name, a), gemm
    if name in FUSED_CELLS:
        state = a["cx"] if "cx" in a else a["hx"]
        return "elementwise", FUSED_CELLS[name] * int(state.numel()), None
    if name in FUSED_CELLS_BACKWARD:
        state = a["cx"] if "cx" in a else a["grad_hy"]
        return "elementwise", BACKWARD_FACTOR * FUSED_CELLS_BACKWARD[name] * int(state.numel()), None
    if name == ENCODER_LAYER:
        return "matmul", encoder_layer_flops(a), None
    return "matmul", native_mha_flops(a), None
