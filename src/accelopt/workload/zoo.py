"""Runnable example models with synthetic, seeded data: `build("gpt", "tiny")` -> ModelBundle.

Models: `mlp`, `gpt` (decoder, causal SDPA), `bert` (encoder, MLM head), `resnet` (CNN; size
`resnet50`/`realistic` is ResNet-50 of He et al. 2016, Table 1, written by hand here).
Sizes: `tiny` (unit tests, well under 1 s per step on CPU), `small`, `realistic` (benchmarks).
Nothing is downloaded: batches are drawn in process from a seeded `torch.Generator`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from accelopt import dtypes
from accelopt.errors import InputError, unknown_name
from accelopt.workload.userfile import ModelBundle, near_model_files, seeded

__all__ = ["SIZES", "build", "list_models", "list_sizes"]

SIZES: tuple[str, ...] = ("tiny", "small", "realistic")
_DTYPES = ("fp32", "bf16", "fp16")
_NUM_BATCHES = 8
"""Batches per epoch of the synthetic loaders (each batch is regenerated from the seed)."""


def _torch_dtype(dtype: str) -> Any:
    return dtypes.torch_dtype(dtype, _DTYPES)


class SyntheticBatches:
    """A DataLoader-like iterable: `num_batches` seeded batches produced by `make(generator)`."""

    def __init__(self, make: Callable[[Any], tuple[Any, Any]], num_batches: int = _NUM_BATCHES, seed: int = 0):
        self.make = make
        self.num_batches = num_batches
        self.seed = seed

    def __len__(self) -> int:
        return self.num_batches

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        import torch

        g = torch.Generator().manual_seed(self.seed)
        for _ in range(self.num_batches):
            yield self.make(g)


# --------------------------------------------------------------------------- MLP
@dataclass(frozen=True)
class _MlpCfg:
    d_in: int
    width: int
    depth: int
    classes: int
    batch: int


_MLP = {
    "tiny": _MlpCfg(64, 128, 2, 10, 16),
    "small": _MlpCfg(784, 1024, 3, 10, 64),
    "realistic": _MlpCfg(4096, 4096, 4, 1000, 256),
}


def _build_mlp(size: str, batch_size: int | None, seq_len: int | None, dtype: str) -> ModelBundle:
    import torch
    from torch import nn

    c = _MLP[size]
    b = batch_size or c.batch
    layers: list[nn.Module] = []
    d = c.d_in
    for _ in range(c.depth):
        layers += [nn.Linear(d, c.width), nn.ReLU()]
        d = c.width
    layers.append(nn.Linear(d, c.classes))
    model = nn.Sequential(*layers)
    tdt = _torch_dtype(dtype)

    def make(g: Any) -> tuple[Any, Any]:
        x = torch.randn(b, c.d_in, generator=g).to(tdt)  # (B, d_in)
        y = torch.randint(0, c.classes, (b,), generator=g)  # (B,)
        return x, y

    return _finish(ModelBundle(name=f"mlp-{size}", model=model, batches=lambda: iter(SyntheticBatches(make)),
                               loss_fn=nn.functional.cross_entropy, batch_size=b,
                               meta={"d_in": c.d_in, "width": c.width, "depth": c.depth}), dtype)


# --------------------------------------------------------------------------- transformers
@dataclass(frozen=True)
class _TfCfg:
    layers: int
    hidden: int
    heads: int
    ffn: int
    vocab: int
    seq: int
    batch: int
    source: str = ""


# Longest sequence each family was built for; every size of the family keeps it so that --seq-len cannot
# silently build a model the family never had. GPT-2: 1024-token context (Radford et al. 2019, sec. 2.3);
# BERT: sequences of at most 512 tokens (Devlin et al. 2019, sec. 3 / A.2).
_MAX_POSITIONS = {"gpt": 1024, "bert": 512}


_GPT = {
    "tiny": _TfCfg(2, 64, 4, 256, 256, 32, 2),
    "small": _TfCfg(4, 256, 4, 1024, 4096, 128, 8),
    # GPT-2 small (124M): Radford et al. 2019, "Language Models are Unsupervised Multitask Learners", Table 2.
    "realistic": _TfCfg(12, 768, 12, 3072, 50257, 1024, 4, "GPT-2 small, Radford et al. 2019, Table 2"),
}
_BERT = {
    "tiny": _TfCfg(2, 64, 4, 256, 256, 32, 2),
    "small": _TfCfg(4, 256, 4, 1024, 8192, 128, 8),
    # BERT-base: Devlin et al. 2019, sec. 3 (L=12, H=768, A=12, FFN 4H, WordPiece vocab 30522).
    "realistic": _TfCfg(12, 768, 12, 3072, 30522, 512, 4, "BERT-base, Devlin et al. 2019, sec. 3"),
}


def _transformer_classes() -> tuple[type, type]:
    """Block and LM classes, defined lazily so importing the zoo does not import torch."""
    import torch.nn.functional as F
    from torch import nn

    class Block(nn.Module):
        """Pre-LN transformer block (GPT-2 style): x + attn(ln(x)); x + mlp(ln(x))."""

        def __init__(self, hidden: int, heads: int, ffn: int, causal: bool) -> None:
            super().__init__()
            self.heads, self.causal = heads, causal
            self.ln1 = nn.LayerNorm(hidden)
            self.qkv = nn.Linear(hidden, 3 * hidden)
            self.proj = nn.Linear(hidden, hidden)
            self.ln2 = nn.LayerNorm(hidden)
            self.fc1 = nn.Linear(hidden, ffn)
            self.fc2 = nn.Linear(ffn, hidden)

        def forward(self, x: Any) -> Any:
            b, t, h = x.shape  # (B, T, H)
            q, k, v = self.qkv(self.ln1(x)).split(h, dim=2)
            # (B, nh, T, hs)
            q, k, v = (z.view(b, t, self.heads, h // self.heads).transpose(1, 2) for z in (q, k, v))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=self.causal)
            x = x + self.proj(y.transpose(1, 2).reshape(b, t, h))
            return x + self.fc2(F.gelu(self.fc1(self.ln2(x))))

    class LM(nn.Module):
        """Token + learned position embeddings, blocks, final LayerNorm, vocab head (untied)."""

        def __init__(self, c: _TfCfg, seq: int, causal: bool) -> None:
            super().__init__()
            self.tok = nn.Embedding(c.vocab, c.hidden)
            self.pos = nn.Embedding(seq, c.hidden)
            self.blocks = nn.ModuleList(Block(c.hidden, c.heads, c.ffn, causal) for _ in range(c.layers))
            self.ln_f = nn.LayerNorm(c.hidden)
            self.head = nn.Linear(c.hidden, c.vocab, bias=False)

        def forward(self, idx: Any) -> Any:
            import torch

            t = idx.shape[1]  # idx: (B, T) token ids
            x = self.tok(idx) + self.pos(torch.arange(t, device=idx.device))
            for blk in self.blocks:
                x = blk(x)
            return self.head(self.ln_f(x))  # (B, T, V)

        def get_output_embeddings(self) -> nn.Module:
            """The vocab head, as transformers' models name it (inference_zoo.last_token_logits reads it)."""
            return self.head

        def pipeline_layers(self) -> list[nn.Module]:
            """The forward as a list of modules to split into pipeline stages (accelopt.distributed)."""
            return [_Embed(self.tok, self.pos), *self.blocks, nn.Sequential(self.ln_f, self.head)]

    class _Embed(nn.Module):
        """Token + position embedding of LM.forward as one module (shares LM's weights)."""

        def __init__(self, tok: nn.Embedding, pos: nn.Embedding) -> None:
            super().__init__()
            self.tok, self.pos = tok, pos

        def forward(self, idx: Any) -> Any:
            import torch

            return self.tok(idx) + self.pos(torch.arange(idx.shape[1], device=idx.device))  # (B, T, H)

    return Block, LM


def _lm_loss(logits: Any, targets: Any) -> Any:
    import torch.nn.functional as F

    # logits (B, T, V), targets (B, T); -100 = ignored position (BERT: unmasked tokens)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), targets.reshape(-1), ignore_index=-100)


def _build_lm(kind: str, size: str, batch_size: int | None, seq_len: int | None, dtype: str) -> ModelBundle:
    import torch

    c = (_GPT if kind == "gpt" else _BERT)[size]
    b, t = batch_size or c.batch, seq_len or c.seq
    if t > _MAX_POSITIONS[kind]:
        raise InputError(f"seq_len {t} exceeds {kind}'s {_MAX_POSITIONS[kind]} positions",
                         f"pass --seq-len {_MAX_POSITIONS[kind]} or less")
    _, LM = _transformer_classes()
    model = LM(c, t, causal=(kind == "gpt"))

    def make_gpt(g: Any) -> tuple[Any, Any]:
        tok = torch.randint(0, c.vocab, (b, t + 1), generator=g)  # next-token prediction
        return tok[:, :-1], tok[:, 1:]

    def make_bert(g: Any) -> tuple[Any, Any]:
        # Masked LM (Devlin et al. 2019, sec. 3.1): 15% of positions predicted; the rest ignored (-100).
        tok = torch.randint(0, c.vocab, (b, t), generator=g)
        masked = torch.rand(b, t, generator=g) < 0.15
        targets = torch.where(masked, tok, torch.full_like(tok, -100))
        return tok, targets

    make = make_gpt if kind == "gpt" else make_bert
    meta: dict[str, Any] = {"seq_len": t, "tokens_per_batch": b * t, "layers": c.layers, "hidden": c.hidden,
                            "heads": c.heads, "ffn": c.ffn, "vocab": c.vocab}
    if c.source:
        meta["source"] = c.source
    if kind == "gpt":  # a causal LM: plan infer computes its head for the last position (last_token_logits)
        meta["head"] = "causal"
    return _finish(ModelBundle(name=f"{kind}-{size}", model=model, batches=lambda: iter(SyntheticBatches(make)),
                               loss_fn=_lm_loss, batch_size=b, meta=meta), dtype)


# --------------------------------------------------------------------------- ResNet
@dataclass(frozen=True)
class _ResCfg:
    block: str  # "basic" | "bottleneck"
    blocks: tuple[int, ...]
    widths: tuple[int, ...]
    image: int
    classes: int
    batch: int
    source: str = ""


_RESNET = {
    "tiny": _ResCfg("basic", (1, 1), (16, 32), 32, 10, 4),
    # ResNet-18 layout (He et al. 2016, Table 1, "18-layer" column) at 64x64.
    "small": _ResCfg("basic", (2, 2, 2, 2), (64, 128, 256, 512), 64, 100, 8, "ResNet-18, He et al. 2016, Table 1"),
    # ResNet-50 (He et al. 2016, Table 1, "50-layer" column): bottlenecks [3, 4, 6, 3], 224x224, 1000 classes.
    "realistic": _ResCfg("bottleneck", (3, 4, 6, 3), (64, 128, 256, 512), 224, 1000, 8,
                         "ResNet-50, He et al. 2016, Table 1"),
}
_SIZE_ALIASES = {("resnet", "resnet50"): "realistic", ("resnet", "resnet18"): "small"}


def _resnet_classes() -> tuple[type, type, type]:
    from torch import nn

    def conv_bn(c_in: int, c_out: int, k: int, stride: int) -> nn.Sequential:
        return nn.Sequential(nn.Conv2d(c_in, c_out, k, stride=stride, padding=k // 2, bias=False),
                             nn.BatchNorm2d(c_out))

    class Basic(nn.Module):
        """Two 3x3 convs (He et al. 2016, Fig. 5 left)."""

        expansion = 1

        def __init__(self, c_in: int, width: int, stride: int) -> None:
            super().__init__()
            self.conv1, self.conv2 = conv_bn(c_in, width, 3, stride), conv_bn(width, width, 3, 1)
            self.relu = nn.ReLU()
            self.down = conv_bn(c_in, width, 1, stride) if stride != 1 or c_in != width else None

        def forward(self, x: Any) -> Any:
            idn = self.down(x) if self.down is not None else x
            return self.relu(self.conv2(self.relu(self.conv1(x))) + idn)

    class Bottleneck(nn.Module):
        """1x1 reduce, 3x3, 1x1 expand x4 (He et al. 2016, Fig. 5 right). The stride sits on the
        3x3 conv as in torchvision's "ResNet v1.5" (whose 4.09 GMAC figure the tests compare to)."""

        expansion = 4

        def __init__(self, c_in: int, width: int, stride: int) -> None:
            super().__init__()
            out = width * 4
            self.conv1 = conv_bn(c_in, width, 1, 1)
            self.conv2 = conv_bn(width, width, 3, stride)
            self.conv3 = conv_bn(width, out, 1, 1)
            self.relu = nn.ReLU()
            self.down = conv_bn(c_in, out, 1, stride) if stride != 1 or c_in != out else None

        def forward(self, x: Any) -> Any:
            idn = self.down(x) if self.down is not None else x
            y = self.relu(self.conv1(x))
            y = self.relu(self.conv2(y))
            return self.relu(self.conv3(y) + idn)

    class ResNet(nn.Module):
        def __init__(self, c: _ResCfg) -> None:
            super().__init__()
            block = Bottleneck if c.block == "bottleneck" else Basic
            # stem: 7x7/2 conv, 3x3/2 max pool (Table 1, conv1 and conv2_x first row)
            self.stem = nn.Sequential(nn.Conv2d(3, c.widths[0], 7, stride=2, padding=3, bias=False),
                                      nn.BatchNorm2d(c.widths[0]), nn.ReLU(), nn.MaxPool2d(3, 2, 1))
            stages: list[nn.Module] = []
            c_in = c.widths[0]
            for i, (n, w) in enumerate(zip(c.blocks, c.widths, strict=True)):
                blocks: list[nn.Module] = []
                for j in range(n):
                    blocks.append(block(c_in, w, 2 if (j == 0 and i > 0) else 1))
                    c_in = w * block.expansion
                stages.append(nn.Sequential(*blocks))
            self.stages = nn.Sequential(*stages)
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(c_in, c.classes)

        def forward(self, x: Any) -> Any:
            x = self.pool(self.stages(self.stem(x)))  # (B, C, 1, 1)
            return self.fc(x.flatten(1))

    return Basic, Bottleneck, ResNet


def _build_resnet(size: str, batch_size: int | None, seq_len: int | None, dtype: str) -> ModelBundle:
    import torch
    from torch import nn

    c = _RESNET[size]
    b = batch_size or c.batch
    img = seq_len or c.image  # for CNNs the "sequence length" knob is the image side
    *_, ResNet = _resnet_classes()
    model = ResNet(c)
    tdt = _torch_dtype(dtype)

    def make(g: Any) -> tuple[Any, Any]:
        x = torch.randn(b, 3, img, img, generator=g).to(tdt)  # (B, 3, H, W)
        return x, torch.randint(0, c.classes, (b,), generator=g)

    meta: dict[str, Any] = {"image_size": img, "blocks": list(c.blocks), "block": c.block}
    if c.source:
        meta["source"] = c.source
    name = "resnet50" if size == "realistic" else f"resnet-{size}"
    return _finish(ModelBundle(name=name, model=model, batches=lambda: iter(SyntheticBatches(make)),
                               loss_fn=nn.functional.cross_entropy, batch_size=b, meta=meta), dtype)


# --------------------------------------------------------------------------- registry
def _finish(bundle: ModelBundle, dtype: str) -> ModelBundle:
    bundle.model = bundle.model.to(_torch_dtype(dtype))
    bundle.meta.update({"params": bundle.param_count(), "weights_dtype": dtype, "source_kind": "zoo"})
    return bundle


_BUILDERS: dict[str, Callable[[str, int | None, int | None, str], ModelBundle]] = {
    "mlp": _build_mlp,
    "gpt": lambda s, b, t, d: _build_lm("gpt", s, b, t, d),
    "bert": lambda s, b, t, d: _build_lm("bert", s, b, t, d),
    "resnet": _build_resnet,
}


def list_models() -> list[str]:
    return sorted(_BUILDERS)


def unknown_model(name: str) -> InputError:
    """An unknown model name for `profile`/`optimize`: the closest among the zoo and the trained examples (digits,
    chargpt: they were never suggested), and the other forms a model may take."""
    from accelopt.userio import path_kind
    from accelopt.workload import examples

    # A folder or file of the working directory named without a '/' (a folder holding config.json is read as the
    # model before this): 'unknown model cfg, did you mean chargpt?' hid that the path was found (uttrial).
    kind = path_kind(name, "model") if name.strip() else "missing"
    forms = ("path/file.py:factory, a Hugging Face config.json (or the folder holding it), or a zoo name ("
             + ", ".join([*list_models(), *examples.list_examples()]) + ")")
    if kind == "folder":
        return InputError(f"model {name!r} is a folder without a config.json", f"give {forms}")
    if kind != "missing":
        what = "a file" if kind == "file" else "a device or pipe"
        return InputError(f"model {name!r} is {what}, not a model this command can read", f"give {forms}")
    near = near_model_files(name)
    if near:  # a misspelt file (causal.jsn) was offered zoo names only
        return InputError(f"unknown model {name!r}: no zoo model, built-in example or model file of that name",
                          "did you mean the file " + " or ".join(repr(n) for n in near) + "? (a model file is "
                          "path/file.py:factory, a Hugging Face config.json or its folder)")
    err = unknown_name("model", name, [*list_models(), *examples.list_examples()])
    return type(err)(err.problem, f"{err.fix} (also accepted: path/file.py:factory, a function returning a "
                     "ModelBundle; a Hugging Face config.json or its folder)")


def list_sizes(name: str) -> list[str]:
    extra = [alias for (model, alias) in _SIZE_ALIASES if model == name]
    return [*SIZES, *extra]


def build(name: str, size: str = "tiny", *, batch_size: int | None = None, seq_len: int | None = None,
          dtype: str = "fp32", meta: bool = False) -> ModelBundle:
    """Build a zoo model with its synthetic data. `seq_len` is the image side for `resnet`.

    `dtype` is the weight and input dtype (fp32, bf16, fp16); for mixed precision keep fp32
    weights and pass dtype="bf16" to capture_workload instead (autocast).
    meta=True builds the weights on PyTorch's meta device (no memory, no initialisation: for a capture that counts,
    `plan infer`); the batches are still drawn on the CPU when iterated.
    """
    import contextlib

    import torch

    key = name.lower()
    if key not in _BUILDERS:
        raise unknown_model(name)
    sz = _SIZE_ALIASES.get((key, size.lower()), size.lower())
    if sz not in SIZES:
        raise unknown_name(f"{key} size", size, list_sizes(key))
    for field_name, v in (("batch_size", batch_size), ("seq_len", seq_len)):
        if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 1):
            raise InputError(f"{field_name} = {v!r} must be a positive integer", f"pass a positive {field_name}")
    if key == "mlp" and seq_len is not None:
        raise InputError("mlp has no sequence length: seq_len applies to gpt, bert (tokens) and resnet (image side)",
                         "leave out --seq-len for mlp")
    _torch_dtype(dtype)
    # seeded: the same weights and data every run, as a file.py factory's (userfile.FACTORY_SEED)
    with torch.device("meta") if meta else contextlib.nullcontext(), seeded():
        return _BUILDERS[key](sz, batch_size, seq_len, dtype)
