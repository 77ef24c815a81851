"""Built-in inference examples (vision, speech, text) and the capture of an inference Workload.

`build_example("mobilenet-v2", batch=1)` -> ModelBundle with random weights and a seeded input;
`capture_inference(bundle)` -> the forward ops of one inference (torch.no_grad), captured on PyTorch's
"meta" device (shapes only, no arithmetic: seconds even at batch 64) and, where the model cannot run on
meta, on the CPU. Nothing is downloaded. Each architecture cites the table it is written from.
"""

from __future__ import annotations

import contextlib
import copy
import functools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from accelopt.errors import AcceloptError, InputError, first_line, unknown_name
from accelopt.workload.types import Workload
from accelopt.workload.userfile import ModelBundle

__all__ = ["EXAMPLES", "build_example", "capture_inference", "captured_example", "clear_capture_cache",
           "last_token_logits", "list_examples"]


@dataclass(frozen=True, kw_only=True)
class Example:
    """One built-in inference example: what it is, its default input and its source."""

    name: str
    domain: str
    """vision, speech or text."""
    input_desc: str
    source: str
    build: Callable[[int, int | None], ModelBundle]
    """build(batch, size) -> bundle; size = image side (vision) or tokens (text); None = default."""
    simulate_name: str = ""
    """`simulate run -m`'s name for this model where the same name means another model there ('': the same)."""


def _bundle(name: str, model: Any, x: Any, b: int, meta: dict[str, Any]) -> ModelBundle:
    import torch
    from torch import nn

    model.eval()

    def batches() -> Any:
        return iter([((x,), torch.zeros(b, dtype=torch.long, device=x.device))])

    meta = {**meta, "params": sum(p.numel() for p in model.parameters()), "source_kind": "inference-example",
            "input_bytes": int(x.numel() * x.element_size()), "input_float": bool(x.is_floating_point())}
    return ModelBundle(name=name, model=model, batches=batches, loss_fn=nn.functional.cross_entropy,
                       batch_size=b, meta=meta)


def _input(shape: tuple[int, ...], *, token_ids: int = 0) -> Any:
    """One seeded input batch (floats, or token ids below `token_ids`), on the CPU; built under build_example's
    meta=True (the torch.device("meta") context) an empty meta tensor of that shape: capture reads shapes only,
    and a large batch (resnet50 at 65,536: 39 GB of random floats) is then planned without this machine's memory."""
    import torch

    dtype = torch.long if token_ids else torch.float32
    if torch.empty(0).device.type == "meta":  # factory calls follow the torch.device context
        return torch.empty(shape, dtype=dtype, device="meta")
    g = torch.Generator().manual_seed(0)
    if token_ids:
        return torch.randint(0, token_ids, shape, generator=g, device="cpu")
    return torch.randn(shape, generator=g, device="cpu")


def _image(b: int, side: int, channels: int = 3) -> Any:
    return _input((b, channels, side, side))  # (B, C, H, W)


# --------------------------------------------------------------------------- ResNet (He et al. 2016, Table 1)
def _resnet(blocks: tuple[int, ...], name: str, source: str, *,
            v1: bool = False) -> Callable[[int, int | None], ModelBundle]:
    """ResNet with bottleneck blocks: v1.5 (the zoo's, as torchvision: stride 2 on the 3x3 conv of a stage's first
    block), or with `v1` the paper's (He et al. 2016: stride 2 on that block's first 1x1 conv, ~6% fewer MACs)."""
    def build(b: int, side: int | None) -> ModelBundle:
        from accelopt.workload import zoo

        *_, ResNet = zoo._resnet_classes()
        cfg = zoo._ResCfg("bottleneck", blocks, (64, 128, 256, 512), 224, 1000, b, source)
        s = side or 224
        model = ResNet(cfg)
        if v1:
            _stride_on_first_1x1(model)
        return _bundle(name, model, _image(b, s), b, {"image_size": s, "source": source})

    return build


def _stride_on_first_1x1(model: Any) -> None:
    """v1.5 -> v1: in each downsampling bottleneck move the stride from the 3x3 (conv2) to the first 1x1 (conv1); the
    output sizes are the same (a 1x1 conv has no padding), the 3x3 then runs at the smaller size."""
    for block in model.modules():
        conv1, conv2 = getattr(block, "conv1", None), getattr(block, "conv2", None)
        if conv1 is None or conv2 is None or conv1[0].kernel_size != (1, 1) or conv2[0].stride == (1, 1):
            continue
        conv1[0].stride, conv2[0].stride = conv2[0].stride, (1, 1)


# --------------------------------------------------------------------------- MobileNet v1 / v2
def _conv_bn_relu(nn: Any, c_in: int, c_out: int, k: int, stride: int, groups: int = 1, relu6: bool = True) -> Any:
    layers = [nn.Conv2d(c_in, c_out, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(c_out)]
    if relu6:
        layers.append(nn.ReLU6())
    return nn.Sequential(*layers)


# Howard et al. 2017, 'MobileNets', Table 1: (output channels, stride) of the 13 depthwise-separable layers.
_MBV1 = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1), (512, 1),
         (512, 1), (1024, 2), (1024, 1))
# Sandler et al. 2018, 'MobileNetV2', Table 2: (expansion t, channels c, repeats n, stride s).
_MBV2 = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1))


def _mobilenet_v1(b: int, side: int | None) -> ModelBundle:
    from torch import nn

    layers = [_conv_bn_relu(nn, 3, 32, 3, 2)]
    c = 32
    for c_out, s in _MBV1:  # depthwise 3x3 then pointwise 1x1 (Howard et al. 2017, Fig. 3)
        layers += [_conv_bn_relu(nn, c, c, 3, s, groups=c), _conv_bn_relu(nn, c, c_out, 1, 1)]
        c = c_out
    model = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, 1000))
    s = side or 224
    src = "MobileNet v1 1.0-224, Howard et al. 2017, Table 1"
    return _bundle("mobilenet-v1", model, _image(b, s), b, {"image_size": s, "source": src})


def _mobilenet_v2(b: int, side: int | None) -> ModelBundle:
    from torch import nn

    class InvertedResidual(nn.Module):
        """1x1 expand (ReLU6), 3x3 depthwise (ReLU6), 1x1 linear project; residual when shapes match
        (Sandler et al. 2018, Table 1)."""

        def __init__(self, c_in: int, c_out: int, stride: int, t: int) -> None:
            super().__init__()
            hid = c_in * t
            layers = [_conv_bn_relu(nn, c_in, hid, 1, 1)] if t != 1 else []
            layers += [_conv_bn_relu(nn, hid, hid, 3, stride, groups=hid), _conv_bn_relu(nn, hid, c_out, 1, 1,
                                                                                          relu6=False)]
            self.body = nn.Sequential(*layers)
            self.residual = stride == 1 and c_in == c_out

        def forward(self, x: Any) -> Any:
            return x + self.body(x) if self.residual else self.body(x)

    layers: list[Any] = [_conv_bn_relu(nn, 3, 32, 3, 2)]
    c = 32
    for t, c_out, n, s in _MBV2:
        for i in range(n):
            layers.append(InvertedResidual(c, c_out, s if i == 0 else 1, t))
            c = c_out
    layers += [_conv_bn_relu(nn, c, 1280, 1, 1), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(1280, 1000)]
    s = side or 224
    src = "MobileNet v2 1.0-224, Sandler et al. 2018, Table 2"
    return _bundle("mobilenet-v2", nn.Sequential(*layers), _image(b, s), b, {"image_size": s, "source": src})


# --------------------------------------------------------------------------- VGG (Simonyan & Zisserman 2015)
# Table 1, configurations D (VGG16) and E (VGG19): 3x3 conv widths per stage, 'M' = 2x2 max pool.
_VGG = {"vgg16": (2, 2, 3, 3, 3), "vgg19": (2, 2, 4, 4, 4)}


def _vgg(name: str) -> Callable[[int, int | None], ModelBundle]:
    def build(b: int, side: int | None) -> ModelBundle:
        from torch import nn

        layers: list[Any] = []
        c = 3
        for n, w in zip(_VGG[name], (64, 128, 256, 512, 512), strict=True):
            for _ in range(n):
                layers += [nn.Conv2d(c, w, 3, 1, 1), nn.ReLU()]
                c = w
            layers.append(nn.MaxPool2d(2))
        s = side or 224
        feat = 512 * (s // 32) ** 2
        model = nn.Sequential(*layers, nn.Flatten(), nn.Linear(feat, 4096), nn.ReLU(), nn.Linear(4096, 4096),
                              nn.ReLU(), nn.Linear(4096, 1000))
        src = f"{name.upper()}, Simonyan & Zisserman 2015, Table 1 (configuration {'D' if name == 'vgg16' else 'E'})"
        return _bundle(name, model, _image(b, s), b, {"image_size": s, "source": src})

    return build


# --------------------------------------------------------------------------- speech: keyword spotting DS-CNN
def _kws_dscnn(b: int, side: int | None) -> ModelBundle:
    """DS-CNN keyword spotting (Zhang et al. 2017, 'Hello Edge: Keyword Spotting on Microcontrollers', sec. 3.5
    and Table/Appendix DS-CNN-S; the MLPerf Tiny KWS reference model): input 49 frames x 10 MFCC, a 10x4 conv of
    64 filters at stride 2, four depthwise-separable 3x3 layers of 64 channels, average pool, 12 classes."""
    from torch import nn

    layers: list[Any] = [nn.Conv2d(1, 64, (10, 4), 2, (5, 1), bias=False), nn.BatchNorm2d(64), nn.ReLU()]
    for _ in range(4):
        layers += [nn.Conv2d(64, 64, 3, 1, 1, groups=64, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
                   nn.Conv2d(64, 64, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU()]
    model = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 12))
    frames = side or 49
    x = _input((b, 1, frames, 10))  # (B, 1, frames, MFCC)
    src = "DS-CNN (S), Zhang et al. 2017 'Hello Edge', the MLPerf Tiny keyword-spotting model"
    return _bundle("kws-dscnn", model, x, b, {"frames": frames, "source": src})


# --------------------------------------------------------------------------- text: BERT-base encoder
def _bert_base(b: int, side: int | None) -> ModelBundle:
    """BERT-base encoder (Devlin et al. 2019, sec. 3: L=12, H=768, A=12, FFN 3072, vocab 30522) with the
    SQuAD span head (2 logits per token) that MLPerf Inference's BERT benchmark runs; pre-LN blocks of the
    zoo (the same FLOPs and weights as BERT's post-LN)."""
    import torch
    from torch import nn

    from accelopt.workload import zoo

    Block, _ = zoo._transformer_classes()
    seq = side or 128
    if seq > 512:
        raise InputError(f"sequence length {seq} exceeds BERT's 512 positions", "pass --input-size 512 or less")

    class Encoder(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.tok = nn.Embedding(30522, 768)
            self.pos = nn.Embedding(512, 768)
            self.blocks = nn.ModuleList(Block(768, 12, 3072, False) for _ in range(12))
            self.ln_f = nn.LayerNorm(768)
            self.qa = nn.Linear(768, 2)

        def forward(self, idx: Any) -> Any:
            x = self.tok(idx) + self.pos(torch.arange(idx.shape[1], device=idx.device))  # (B, T, H)
            for blk in self.blocks:
                x = blk(x)
            return self.qa(self.ln_f(x))  # (B, T, 2) start/end logits

    x = _input((b, seq), token_ids=30522)  # (B, T) token ids
    src = "BERT-base, Devlin et al. 2019, sec. 3, with a SQuAD span head (MLPerf Inference BERT)"
    return _bundle("bert-base", Encoder(), x, b, {"seq_len": seq, "source": src})


# Which ResNet: He et al. 2016 (v1) put a stage's stride 2 on its first block's first 1x1 conv; torchvision and NVIDIA
# DeepLearningExamples ("ResNet50 v1.5": "v1 has stride = 2 in the first 1x1 convolution, whereas v1.5 has stride = 2
# in the 3x3 convolution") on the 3x3. MACs at 224x224 (conv + fc, checked by tests/test_resnet50_versions.py):
# v1 3.86e9 (He et al. Table 1: 3.8e9 multiply-adds), v1.5 4.09e9 (torchvision ResNet50_Weights: 4.09 "GFLOPS" = MACs).
_RESNET50_V15 = ("ResNet-50 v1.5 (stride 2 in the 3x3, as torchvision / NVIDIA DeepLearningExamples; He et al. 2016 "
                 "Table 1 depths): 4.09 GMAC; `simulate run -m resnet50` is v1: this model is `simulate run -m "
                 "resnet50-v1.5`")
_RESNET50_V1 = ("ResNet-50 v1 (He et al. 2016 Table 1: stride 2 in the first 1x1 of conv3_1/4_1/5_1): 3.86 GMAC; "
                "what `simulate run -m resnet50` runs")
_RESNET152 = "ResNet-152 v1.5 (stride 2 in the 3x3, as torchvision; He et al. 2016 Table 1 depths)"

EXAMPLES: dict[str, Example] = {e.name: e for e in (
    Example(name="resnet50", domain="vision", input_desc="224x224 RGB image", source=_RESNET50_V15,
            build=_resnet((3, 4, 6, 3), "resnet50", _RESNET50_V15), simulate_name="resnet50-v1.5"),
    Example(name="resnet50-v1.5", domain="vision", input_desc="224x224 RGB image", source=_RESNET50_V15,
            build=_resnet((3, 4, 6, 3), "resnet50-v1.5", _RESNET50_V15)),
    Example(name="resnet50-v1", domain="vision", input_desc="224x224 RGB image", source=_RESNET50_V1,
            build=_resnet((3, 4, 6, 3), "resnet50-v1", _RESNET50_V1, v1=True)),
    Example(name="resnet152", domain="vision", input_desc="224x224 RGB image", source=_RESNET152,
            build=_resnet((3, 8, 36, 3), "resnet152", _RESNET152)),
    Example(name="mobilenet-v1", domain="vision", input_desc="224x224 RGB image",
            source="Howard et al. 2017, Table 1", build=_mobilenet_v1),
    Example(name="mobilenet-v2", domain="vision", input_desc="224x224 RGB image",
            source="Sandler et al. 2018, Table 2", build=_mobilenet_v2),
    Example(name="vgg16", domain="vision", input_desc="224x224 RGB image",
            source="Simonyan & Zisserman 2015, Table 1 (D)", build=_vgg("vgg16")),
    Example(name="vgg19", domain="vision", input_desc="224x224 RGB image",
            source="Simonyan & Zisserman 2015, Table 1 (E)", build=_vgg("vgg19")),
    Example(name="kws-dscnn", domain="speech", input_desc="49 frames x 10 MFCC (1 s of audio)",
            source="Zhang et al. 2017, 'Hello Edge' (DS-CNN)", build=_kws_dscnn),
    Example(name="bert-base", domain="text", input_desc="128 tokens",
            source="Devlin et al. 2019, sec. 3", build=_bert_base),
)}


def list_examples() -> list[str]:
    return sorted(EXAMPLES)


def build_example(name: str, batch: int = 1, size: int | None = None, *, meta: bool = False) -> ModelBundle:
    """A built-in example at `batch`; `size` = image side (vision), frames (speech) or tokens (text).
    meta=True builds the weights on PyTorch's meta device (no memory, no initialisation: for capture only)."""
    import contextlib

    import torch

    if name not in EXAMPLES:
        raise unknown_name("inference example", name, list_examples())
    for label, v in (("batch", batch), ("size", size)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
            raise InputError(f"{label} = {v!r} must be a positive integer", f"pass a positive {label}")
    with torch.device("meta") if meta else contextlib.nullcontext():
        return EXAMPLES[name].build(batch, size)


def capture_inference(bundle: ModelBundle, rebuild: Callable[[], ModelBundle] | None = None) -> Workload:
    """The forward ops of one inference of `bundle` (compacted), captured on the meta device where the model
    runs there (no arithmetic, so any batch is quick), else on the CPU from `rebuild()` (moving to meta drops
    the weights, so the CPU capture needs a fresh bundle). meta['mode'] = 'inference'."""
    from accelopt.workload.capture import capture_workload
    from accelopt.workload.fast_path import fast_path_modules, record_unfused
    from accelopt.workload.meta_build import cpu_attention_on_meta

    in_bytes, in_float = _input_bytes(bundle)
    try:
        fast = fast_path_modules(bundle.model)
        with cpu_attention_on_meta(), last_token_logits(bundle) as head:  # attention as the CPU runs it (one fused
            wl = capture_workload(bundle, mode="inference", device="meta", compact=True)  # op), not meta's math
        wl.meta["capture_device"] = "meta"
        record_unfused(wl, fast)  # the fast path is off on meta: said in plan infer's notes
    except AcceloptError as e:  # a model with data-dependent Python (e.g. .item()) cannot run on meta
        if rebuild is None:
            raise
        again = rebuild()
        with last_token_logits(again) as head:
            wl = capture_workload(again, mode="inference", device="cpu", compact=True)
        wl.meta["capture_device"] = "cpu"
        cause = e.__cause__ or e  # the model's own exception (workload.usercode.user_call)
        wl.meta["meta_capture_error"] = f"{type(cause).__name__}: {first_line(cause)}"  # said in plan infer's notes
    wl.meta.setdefault("input_bytes", in_bytes)
    wl.meta.setdefault("input_float", in_float)
    if head:  # said in plan infer's notes (predict.inference._capture_notes)
        wl.meta["logits_last_token"] = head
    return wl


@contextlib.contextmanager
def last_token_logits(bundle: ModelBundle) -> Iterator[str]:
    """While open, the output layer (LM head) of a Hugging Face causal LM runs on the last position of each sequence
    only, as a serving engine computes it: vLLM gathers the hidden states of the positions it samples from (the last
    prompt token of each request) before the LM head (vllm/v1/worker/gpu_model_runner.py, execute_model:
    `sample_hidden_states = hidden_states[logits_indices]`, then `compute_logits`), and transformers' generate asks
    for the last position's logits alone in its prefill (logits_to_keep). The capture charged the head (hidden x
    vocab, the largest GEMM of a small LM: GPT-2's at 1,024 tokens) and its B x T x vocab logits for every token
    (a user trial, utinfer / utplan3). Yields the head's module name ('' where nothing is changed: not a causal LM
    built from a HF config, or its head not found); `accelopt plan serve` charges the head so as well."""
    model = bundle.model
    out: Any = model.get_output_embeddings() if bundle.meta.get("head") == "causal" and hasattr(
        model, "get_output_embeddings") else None
    name = next((n for n, m in model.named_modules() if m is out), "") if out is not None else ""
    if not name:
        yield ""
        return

    def last_position(_module: Any, args: tuple[Any, ...]) -> tuple[Any, ...] | None:
        x: Any = args[0] if args else None
        if not hasattr(x, "dim") or x.dim() != 3 or x.shape[1] <= 1:
            return None
        return (x[:, -1:, :], *args[1:])  # (B, T, H) -> (B, 1, H)

    hook = out.register_forward_pre_hook(last_position)
    try:
        yield name
    finally:
        hook.remove()


def captured_example(name: str, batch: int = 1, size: int | None = None) -> Workload:
    """capture_inference(build_example(name, batch, size, meta=True)): a deep copy of the capture kept once per process
    for that (name, batch, size). A built-in example is code of this package, so these three are all its capture
    depends on (a user's model file may change between calls: never kept). `plan infer` captures at each batch and
    `validate --inference` each row's example, both on the meta device (seconds per capture)."""
    return copy.deepcopy(_kept_capture(name, batch, size))


@functools.lru_cache(maxsize=16, typed=True)
def _kept_capture(name: str, batch: int, size: int | None) -> Workload:
    # typed: True == 1 as a key, and build_example refuses batch=True (a bool), so a kept batch 1 must not answer it
    return capture_inference(build_example(name, batch, size, meta=True))


def clear_capture_cache() -> None:
    """Forget the kept captures (captured_example): needed only after patching the capture's code in process
    (tests/conftest.py's monkeypatch does it)."""
    _kept_capture.cache_clear()


def _input_bytes(bundle: ModelBundle) -> tuple[int, bool]:
    """(bytes of one batch's inputs, whether they are floating point)."""
    import torch
    from torch.utils._pytree import tree_flatten

    inputs, _ = bundle.first_batch()
    ts = [t for t in tree_flatten(inputs)[0] if isinstance(t, torch.Tensor)]
    return int(sum(t.numel() * t.element_size() for t in ts)), any(t.is_floating_point() for t in ts)
