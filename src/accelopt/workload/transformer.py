"""Transformer architecture description shared by `plan` (analytic) and the zoo/presets.

Parameter counts follow the standard decomposition (Narayanan et al. 2021, "Efficient
Large-Scale Language Model Training on GPU Clusters using Megatron-LM", sec. 5.1): per layer,
attention projections + MLP + norms; plus embeddings (and an untied output head).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from accelopt.errors import InputError

MlpKind = Literal["gelu", "swiglu"]


@dataclass(frozen=True, kw_only=True)
class TransformerConfig:
    name: str
    layers: int
    hidden: int
    heads: int
    ffn: int
    """MLP inner width (for SwiGLU: the width of each of the gate/up projections)."""
    vocab: int
    seq_len: int = 2048
    kv_heads: int | None = None
    """Grouped-query attention: number of K/V heads (None = heads, i.e. multi-head attention)."""
    mlp: MlpKind = "gelu"
    experts: int = 1
    """Mixture of experts: experts per MoE layer (1 = dense)."""
    top_k: int = 1
    """Experts each token is routed to."""
    moe_every: int = 1
    """Every n-th layer is MoE (1 = all layers when experts > 1)."""
    shared_experts: int = 0
    first_dense_layers: int = 0
    """MoE models whose first layers are dense (DeepSeekMoE: 1); those layers use `dense_ffn`."""
    dense_ffn: int | None = None
    """MLP width of the dense layers of an MoE model when it differs from the expert width `ffn`."""
    tied_embeddings: bool = False
    encoder_only: bool = False
    """BERT-style (bidirectional attention, no causal mask); decoders are causal."""
    source: str = ""
    """Citation for the architecture numbers."""
    unused_keys: tuple[str, ...] = ()
    """Keys of the config file this was read from that the predictors do not model (e.g. sliding_window):
    the CLI prints them as a warning and lists them in its JSON, never drops them silently."""

    def __post_init__(self) -> None:
        for f in ("layers", "hidden", "heads", "ffn", "vocab", "seq_len", "experts", "top_k", "moe_every"):
            v = getattr(self, f)
            if not isinstance(v, int) or v < 1:
                raise InputError(f"model {self.name!r}: {f} = {v!r} must be a positive integer", f"fix {f}")
        if self.hidden % self.heads:
            raise InputError(f"model {self.name!r}: hidden {self.hidden} is not divisible by heads {self.heads}",
                             "pick heads that divide hidden")
        if self.kv_heads is not None and (self.kv_heads < 1 or self.heads % self.kv_heads):
            raise InputError(f"model {self.name!r}: kv_heads {self.kv_heads} must divide heads {self.heads}",
                             "set kv_heads to a divisor of heads (or leave it unset for MHA)")
        if self.top_k > self.experts:
            raise InputError(f"model {self.name!r}: top_k {self.top_k} > experts {self.experts}",
                             "top_k must be <= experts")

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads

    @property
    def n_kv_heads(self) -> int:
        return self.kv_heads or self.heads

    @property
    def is_moe(self) -> bool:
        return self.experts > 1

    @property
    def moe_layers(self) -> int:
        return (self.layers - self.first_dense_layers) // self.moe_every if self.is_moe else 0

    def attn_params_per_layer(self) -> int:
        h, kv = self.hidden, self.n_kv_heads * self.head_dim
        return h * h + 2 * h * kv + h * h  # Wq, Wk, Wv, Wo (biases ignored: < 0.1%)

    def mlp_params_per_expert(self) -> int:
        mats = 3 if self.mlp == "swiglu" else 2
        return mats * self.hidden * self.ffn

    def params_total(self) -> int:
        """All parameters (every expert counted)."""
        per_layer_norms = 2 * self.hidden
        dense_layers = self.layers - self.moe_layers
        dense_width = self.dense_ffn or self.ffn
        mlp = dense_layers * (3 if self.mlp == "swiglu" else 2) * self.hidden * dense_width
        mlp += self.moe_layers * ((self.experts + self.shared_experts) * self.mlp_params_per_expert()
                                  + self.hidden * self.experts)  # + router
        emb = self.vocab * self.hidden * (1 if self.tied_embeddings else 2)
        return self.layers * (self.attn_params_per_layer() + per_layer_norms) + mlp + emb

    def params_active(self) -> int:
        """Parameters one token touches (MoE: top_k + shared experts instead of all)."""
        if not self.is_moe:
            return self.params_total()
        inactive = self.moe_layers * (self.experts - self.top_k) * self.mlp_params_per_expert()
        return self.params_total() - inactive

    def with_seq_len(self, seq_len: int) -> TransformerConfig:
        return replace(self, seq_len=seq_len)
