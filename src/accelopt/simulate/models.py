"""Resolve `--model NAME` to layers: built-in CNNs, transformer presets, a captured zoo model, a user's
PyTorch file (`FILE.py:Class` or `FILE.py:factory`), or a Hugging Face config directory.

Every description names the model's variant, because two models of one name differ in their MACs:
ResNet-50 v1 (He et al. 2016, Table 1: stride 2 in the first 1x1 of a downsampling block, 3.86 GMAC
at 224x224) and v1.5 (torchvision and NVIDIA's DeepLearningExamples: stride 2 in the 3x3, 4.09 GMAC).
"""

from __future__ import annotations

import contextlib
import math
import shlex
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from accelopt.errors import InputError, UnsupportedError, first_line, unknown_name
from accelopt.simulate.layers import (
    Layer,
    alexnet_conv_layers,
    from_workload,
    resnet50_layers,
    transformer_layers,
    unmodeled_note,
    unmodeled_ops,
)
from accelopt.workload.meta_build import META_BUILT, build_on_meta, cpu_attention_on_meta

MAX_BATCH = 2**20
"""Largest --batch simulated (1,048,576 samples): larger is a typo (e.g. 1e12), never an inference batch."""
MAX_INPUT_ELEMENTS = 2**31 - 1  # elements of a user module's input tensor (batch included)

BUILTIN = {
    "resnet50": "ResNet-50 v1 (He et al. 2016 Table 1: stride 2 in the first 1x1 of conv3_1/4_1/5_1; built in; "
                "`plan infer resnet50` is v1.5: give resnet50-v1.5 here for that one)",
    "resnet50-v1": "ResNet-50 v1 (He et al. 2016 Table 1: stride 2 in the first 1x1 of conv3_1/4_1/5_1; built in)",
    "resnet50-v1.5": "ResNet-50 v1.5 (torchvision / NVIDIA DeepLearningExamples: stride 2 in the 3x3; built in)",
    "alexnet-conv": "AlexNet's 5 conv layers as run by Eyeriss (Krizhevsky et al. 2012, 2-group conv2/4/5; built in)",
}
ZOO_VARIANTS = {
    "resnet:realistic": "ResNet-50 v1.5 (stride 2 in the 3x3, as torchvision)",
    "resnet:small": "ResNet-18 at 64x64",
}
USER_INPUT_DTYPES = ("float32", "int64")


def _builtin(key: str, batch: int) -> list[Layer]:
    if key in ("resnet50", "resnet50-v1"):
        return resnet50_layers(batch)
    if key == "resnet50-v1.5":
        return resnet50_layers(batch, stride_in_3x3=True)
    return alexnet_conv_layers(batch)


def _check_callable_without_arguments(obj: Any, attr: str, path: Any) -> None:
    """InputError naming the parameters `obj` requires: simulate builds it with none."""
    import inspect

    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError):  # a builtin without a signature: its call says what it needs
        return
    required = [p.name for p in sig.parameters.values() if p.default is p.empty
                and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if required:
        raise InputError(f"{attr!r} in {str(path)!r} needs argument(s) {', '.join(required)}, and simulate builds it "
                         "with none", "give those parameters defaults, or wrap it in a function that takes none and "
                         "returns the model")


def _captured(bundle: Any, what: str, capture: Any = None) -> tuple[list[Layer], str]:
    """Layers of one inference forward pass of `bundle` (a ModelBundle), and a description. capture(bundle, mode=):
    workload.capture.capture_workload (on the CPU) unless given."""
    import warnings

    import torch

    from accelopt.workload.capture import capture_workload

    # oneDNN (mkldnn) runs a CPU LSTM as one fused aten op (mkldnn_rnn_layer) with no GEMM shape to map: the
    # LSTM's MACs vanished from the simulation. Without it, torch runs the LSTM's gate matmuls as mm/addmm ops.
    # Likewise the fast path of nn.TransformerEncoderLayer / nn.MultiheadAttention in inference runs a whole layer
    # as one op (_transformer_encoder_layer_fwd): only the layers around the encoder were simulated. With it off,
    # torch runs the layer's projections, attention and FFN as separate GEMMs (same MACs, see opcount_fused).
    fastpath = torch.backends.mha.get_fastpath_enabled()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*oneDNN.*")  # torch's TF32-on-oneDNN note when flags change
        with torch.backends.mkldnn.flags(enabled=False):
            torch.backends.mha.set_fastpath_enabled(False)
            try:
                w = _capture_within_memory(bundle, what, capture or capture_workload)
            finally:
                torch.backends.mha.set_fastpath_enabled(fastpath)
    layers, skipped = from_workload(w)
    plain = len(skipped) - len(unmodeled_ops(w))  # an op of unknown work is named apart (unmodeled_note)
    note = (f"; {plain} ops without MACs to map not simulated" if plain > 0 else "") + unmodeled_note(w)
    return layers, f"{what} captured in inference mode (one forward pass){note}"


class OnMeta:
    """capture(bundle, mode=) for _captured: one forward pass on PyTorch's meta device (shapes only: no weight memory,
    no arithmetic), for a bundle built there; a model whose forward does not run on meta (data-dependent Python such
    as .item()) is rebuilt with build() (its weights: `weights`) and captured on the CPU. A bundle built with
    weights (`built_on_meta` False, its build raised on meta: `why`) is captured on the CPU. `how` says which."""

    def __init__(self, build: Callable[..., Any], weights: str, *, built_on_meta: bool = True, why: str = "",
                 how: str = "") -> None:
        self.build, self.weights, self.built_on_meta = build, weights, built_on_meta
        self.how = how or (META_BUILT if built_on_meta else f"{weights}: it cannot be built on the meta device ({why})")

    def __call__(self, bundle: Any, mode: str) -> Any:
        from accelopt.errors import AcceloptError
        from accelopt.workload.capture import capture_workload

        if not self.built_on_meta:
            return capture_workload(bundle, mode=mode)
        try:
            with cpu_attention_on_meta():  # attention as the CPU runs it (one fused op), not meta's math path
                return capture_workload(bundle, mode=mode, device="meta")
        except AcceloptError as e:  # data-dependent Python cannot run on meta: rebuilt with weights, on the CPU
            cause = e.__cause__ or e
            self.how = (f"{self.weights}, on the CPU: its forward does not run on the meta device "
                        f"({type(cause).__name__}: {first_line(cause)})")
            return capture_workload(self.build(), mode=mode)


def _captured_on_meta(bundle: Any, what: str, capture: OnMeta) -> tuple[list[Layer], str]:
    """_captured with an OnMeta capture; the description ends saying how the model was built and captured."""
    layers, desc = _captured(bundle, what, capture)
    return layers, f"{desc}; {capture.how}"


def _capture_within_memory(bundle: Any, what: str, capture: Any) -> Any:
    """capture(bundle) in inference mode; the allocator's refusal inside the model's forward (which the capture
    passes through unchanged, see workload.usercode) is an InfeasibleError naming `what`, not a traceback."""
    from accelopt.errors import out_of_memory_as_infeasible

    with out_of_memory_as_infeasible(
            lambda said: f"one forward pass of {what} does not fit in this machine's memory: the allocator said "
                         f"{said!r}", "use a smaller --batch (or --input-shape / --seq-len)"):
        return capture(bundle, mode="inference")


DEFAULT_BATCH = 1
"""The batch of a source that has none of its own (the built-in CNNs, a transformer preset, a plain nn.Module, a
SCALE-Sim topology) when --batch is left out: one inference request."""


def _check_counts(batch: int | None, seq_len: int | None) -> None:
    """The --batch / --seq-len range checks, named by their flags (the library arguments are batch / seq_len);
    None is the source's own batch."""
    if batch is not None and not 1 <= batch <= MAX_BATCH:
        raise InputError(f"--batch {batch:,} must be 1..{MAX_BATCH:,}", "pass --batch 1 or more, within that range")
    if seq_len is not None and seq_len < 1:
        raise InputError(f"--seq-len {seq_len} must be >= 1", "pass --seq-len 1 or more (or leave it out)")


def model_layers(name: str, batch: int | None = None, seq_len: int | None = None,
                 input_shape: tuple[int, ...] | None = None,
                 input_dtype: str | None = None) -> tuple[list[Layer], str]:
    """(layers, description). Names: resnet50 (v1), resnet50-v1.5, alexnet-conv, a transformer preset
    ('bert-base', 'llama2-7b', ...), one of `plan infer`'s examples ('mobilenet-v2', 'vgg16', 'kws-dscnn', ...), a
    zoo model 'NAME[:SIZE]' ('gpt:tiny'), or a user file
    'FILE.py:Class' / 'FILE.py:factory' (see `user_model_layers`). `batch` None is the model's own (a zoo
    size's or a factory's default; DEFAULT_BATCH where the model has none); the description says which ran."""
    _check_counts(batch, seq_len)
    if _is_user_file(name):
        return user_model_layers(name, batch, input_shape, input_dtype, seq_len)
    if name.strip().rstrip(":").lower().endswith(".py"):  # 'net.py', 'net.py:': was 'unknown model ... mlp?'
        _refuse_file_without_name(name.strip().rstrip(":"))
    given = [f for f, v in (("--input-shape", input_shape is not None), ("--input-dtype", input_dtype is not None))
             if v]
    if given:  # --input-dtype alone was silently ignored here
        raise InputError(f"{' / '.join(given)} appl{'y' if len(given) > 1 else 'ies'} to a model file (FILE.py:Class) "
                         "only", f"leave {' and '.join(given)} out for built-in, preset and zoo models")
    key = name.strip().lower()
    if key in BUILTIN and seq_len is not None:
        raise InputError(f"--seq-len does not apply to {key} (a CNN)", "leave --seq-len out for CNNs")
    own = DEFAULT_BATCH if batch is None else batch
    if key in BUILTIN:
        return _builtin(key, own), f"{BUILTIN[key]}, batch {own}"
    from accelopt.workload import presets

    try:
        cfg = presets.get_model(name)
    except InputError:
        if key.endswith(".json") or _is_folder(name):  # a config.json's own error (T5, a bad key), not "unknown"
            raise
        cfg = None
    if cfg is not None:  # a config's unused keys and missing figures are said, as `plan` says them
        said = ([f"config keys not modelled, ignored: {', '.join(cfg.unused_keys)}"] if cfg.unused_keys else []) \
            + list(cfg.config_defaults) + _beyond_positions(cfg, seq_len) \
            + (["encoder only: no output head simulated (an MLM or classifier head on top is not counted; --hf "
                "captures the architecture's own)"] if cfg.encoder_only else [])
        kind = "transformer config" if cfg.source.startswith("Hugging Face config") else "transformer preset"
        return transformer_layers(cfg, own, seq_len), \
            f"{kind} {cfg.name} (prefill, batch {own}, seq_len {seq_len or cfg.seq_len})" + \
            "".join(f"; {t}" for t in said)
    from accelopt.workload import inference_zoo, zoo

    if key in inference_zoo.EXAMPLES:  # plan infer's examples (mobilenet-v2, vgg16, kws-dscnn, ...): one vocabulary
        return _inference_example(key, own, seq_len)
    zname, _, size = key.partition(":")
    if zname in zoo.list_models():
        def build(meta: bool = False) -> Any:
            return zoo.build(zname, size or "tiny", batch_size=batch, seq_len=seq_len, meta=meta)

        bundle = build(meta=True)  # shapes only: the zoo's builders run on meta (plan infer builds them so)
        full = f"{zname}:{size or 'tiny'}"
        variant = f" = {ZOO_VARIANTS[full]}" if full in ZOO_VARIANTS else ""
        own_note = ", the size's own: --batch changes it" if batch is None else ""
        return _captured_on_meta(bundle, f"zoo model {full}{variant} (batch {bundle.batch_size}{own_note})",
                                 OnMeta(build, "random weights"))
    err = unknown_name("model", name, [*BUILTIN, *presets.list_models(), *inference_zoo.list_examples(),
                                       *zoo.list_models(), "FILE.py:Class", "FILE.py:factory"],
                       listed_by="accelopt simulate run --help")
    if "FILE.py:Class" not in err.fix:  # past a few names only the nearest are listed: a model file is always taken
        err.fix += "; or your own model: FILE.py:Class or FILE.py:factory"
    raise err


def _inference_example(name: str, batch: int, seq_len: int | None) -> tuple[list[Layer], str]:
    """Layers of one of `plan infer`'s built-in examples (accelopt.workload.inference_zoo) at `batch`; --seq-len is
    a text model's token count and applies to none of them here (bert-base resolves to its transformer preset)."""
    from accelopt.workload import inference_zoo

    ex = inference_zoo.EXAMPLES[name]
    if seq_len is not None:
        raise InputError(f"--seq-len does not apply to {name} ({ex.domain}, input {ex.input_desc})",
                         f"leave --seq-len out for {name}")
    def build(meta: bool = False) -> Any:
        return inference_zoo.build_example(name, batch, meta=meta)

    return _captured_on_meta(build(meta=True), f"{name} ({ex.source}; input {ex.input_desc}; built in, as `plan "
                                               f"infer` runs it), batch {batch}", OnMeta(build, "random weights"))


def _beyond_positions(cfg: Any, seq_len: int | None) -> list[str]:
    """The line naming a --seq-len past the model's positions (rope scaling included), as `plan` notes it."""
    head = cfg.context.beyond(seq_len) if seq_len is not None and cfg.context is not None else None
    return [f"{head}: a prompt the model was not built for"] if head else []


def _is_folder(name: str) -> bool:
    """`name` is an existing folder (a Hugging Face model folder); False for a name too long to be a path."""
    try:
        return Path(name).is_dir()
    except OSError:
        return False


def _model_names(module: Any) -> list[str]:
    """What `-m FILE.py:NAME` accepts from a model file: its own nn.Module classes and functions (a
    torch.autograd.Function class, a dataclass of settings, was suggested beside them and refused when named)."""
    import inspect

    import torch

    return [n for n, v in vars(module).items()
            if not n.startswith("_") and getattr(v, "__module__", None) == module.__name__
            and (inspect.isfunction(v) or (inspect.isclass(v) and issubclass(v, torch.nn.Module)))]


def _refuse_file_without_name(path: str) -> None:
    """`-m net.py` (or `net.py:`): a model file without the class or factory to build from it. It was looked up as a
    model name ('unknown model', 'did you mean mlp?'); now the fix names the form and, for a file that exists, what
    it defines (importing it, as a `net.py:Name` does; a missing file is said by _import_file)."""
    from accelopt.workload.userfile import _import_file

    names = _model_names(_import_file(Path(path)))
    listed = f"{path} defines {', '.join(names)}" if names else f"{path} defines no nn.Module class or function"
    example = names[0] if names else "MyNet"
    raise InputError(f"--model {path!r} names a model file but not the model in it",
                     "append ':' and the model's name (an nn.Module class, or a function returning an nn.Module or "
                     f"a ModelBundle); {listed}: e.g. --model {path}:{example}")


def _is_user_file(name: str) -> bool:
    path, sep, attr = name.rpartition(":")
    return bool(sep) and path.endswith(".py") and bool(attr)


def hf_layers(config_dir: str, batch: int | None = None, seq_len: int | None = None) -> tuple[list[Layer], str]:
    """Layers of a Hugging Face architecture from its local config.json (one forward pass); attention matmuls appear
    per head and per sequence length (they are captured bmm/SDPA ops).

    Only the shapes are read, so the model is built and captured on PyTorch's meta device (no weight memory, no
    initialisation: a 70B config is simulated on a laptop), as `plan infer` does. A model transformers cannot build
    on meta, or whose forward does not run there (data-dependent code such as BERT's pad-token check), is built
    with random weights and captured on the CPU, as before; the description says which and why."""
    from accelopt.workload.hf import META_WEIGHTS, build_from_hf_config, config_notes

    _check_counts(batch, seq_len)  # --hf used to run --batch 0 / --seq-len 0 and exit 0
    try:
        bundle = build_from_hf_config(config_dir, batch_size=batch, seq_len=seq_len, meta=True)
    except InputError as e:
        raise InputError(e.problem, e.fix + _own_reader_here(config_dir)) from None
    on_meta = bundle.meta["weights"] == META_WEIGHTS  # else transformers could not build it there: random weights
    capture = OnMeta(lambda: build_from_hf_config(config_dir, batch_size=batch, seq_len=seq_len), "random weights",
                     built_on_meta=on_meta, how="" if on_meta else "random weights: transformers cannot build it on "
                     f"the meta device ({bundle.meta.get('meta_build_error')})")
    # the sequence length said: its default (workload/hf.py) is not the one --model CONFIG.json takes (the preset's)
    what = f"Hugging Face config {config_dir}"
    layers, desc = _captured(bundle, what, capture)  # desc starts with `what`; `how` is known after the capture
    # a misspelt num_hiden_layers simulated BertConfig's 12 layers unsaid: the description (heading, JSON, HTML) says it
    said = "".join(f"; {n}" for n in config_notes(bundle.meta, None))
    return layers, (f"{what} (batch {bundle.batch_size}, seq_len {bundle.meta['seq_len']}; {capture.how})"
                    f"{desc[len(what):]}{said}")


def _own_reader_here(config_dir: str) -> str:
    """'' or the simulate command that reads a config whose model_type transformers does not know but accelopt's own
    config reader does (`-m CONFIG.json`: the transformer layers `plan` counts). The fix of `simulate run --hf` named
    only `plan serve` and `plan` for it (a Mixtral config.json under transformers 4.31: ut4sim, 2026-12-06)."""
    from accelopt.workload.hf import _read_config, _transformers
    from accelopt.workload.presets import reads_model_type

    try:
        p, d = _read_config(config_dir)
        known = _transformers().models.auto.configuration_auto.CONFIG_MAPPING
    except (InputError, UnsupportedError):
        return ""
    mtype = str(d["model_type"])
    if mtype in known or not reads_model_type(mtype):
        return ""
    return (f"; here, `accelopt simulate run -d DESIGN -m {shlex.quote(str(p))}` simulates it from that reader "
            "(the layers `plan` counts, without transformers)")


def user_model_layers(spec: str, batch: int | None, input_shape: tuple[int, ...] | None,
                      input_dtype: str | None = None, seq_len: int | None = None) -> tuple[list[Layer], str]:
    """Layers of a user's model file 'FILE.py:NAME'.

    NAME may be an nn.Module subclass (built with no arguments), a function returning an nn.Module,
    or a function returning a ModelBundle (accelopt.workload.userfile). A plain nn.Module needs
    `input_shape` (one sample, without the batch dimension: (3, 224, 224) for an image model, (128,)
    of int64 token ids for a language model); the batch dimension is `batch` (DEFAULT_BATCH when None). A
    ModelBundle brings its own inputs; a `batch` or `seq_len` given is passed to its factory as batch_size= /
    seq_len=, as `profile --batch-size / --seq-len` pass them; None keeps the factory's own.
    """
    import torch

    from accelopt.workload.userfile import ModelBundle, _import_file, _split_spec, load_user_factory

    path, attr = _split_spec(spec)
    module = _import_file(path)
    obj = getattr(module, attr, None)
    if obj is None:
        names = _model_names(module)
        raise InputError(f"model file {str(path)!r} has no {attr!r}",
                         f"use one of: {', '.join(names) or '(no nn.Module classes or functions defined)'}")
    if not callable(obj):
        raise InputError(f"{attr!r} in {str(path)!r} is a value of type {type(obj).__name__}, not a class or function",
                         "name an nn.Module class or a function returning an nn.Module or a ModelBundle")
    _check_callable_without_arguments(obj, attr, path)

    def make() -> Any:
        try:
            return obj()
        except Exception as e:  # its own error: 'give the class defaults' was the fix for any, a ValueError inside
            raise InputError(f"building {attr!r} from {str(path)!r} raised {type(e).__name__}: {e}",
                             "fix the class or function (call it in Python to see the traceback)") from e

    # shapes only: built on PyTorch's meta device; code that reads values there raises, and is built as usual
    built, why = build_on_meta(make)
    on_meta = built is not None
    if built is None:
        built = make()
    what = f"{path}:{attr}"
    if isinstance(built, ModelBundle):
        if input_shape is not None or input_dtype is not None:  # --input-dtype alone was silently ignored
            raise InputError(f"{what} returns a ModelBundle, which brings its own inputs",
                             "leave --input-shape and --input-dtype out (change the bundle's batches to change "
                             "shapes or dtypes)")
        kwargs = {k: v for k, v in (("batch_size", batch), ("seq_len", seq_len))
                  if v is not None}
        def rebuild() -> Any:
            # a factory without such a parameter, or one returning another batch_size: named, with the fix
            return load_user_factory(spec, **kwargs) if kwargs else make()

        if kwargs:
            del built  # the factory builds the model again, at the asked sizes
            built, why = build_on_meta(rebuild) if on_meta else (None, why)
            on_meta = built is not None
            if built is None:
                built = rebuild()
        built.check_batch_rows()  # the batch said below is batch_size; the layers are the batches' own rows
        own = ", the factory's own: --batch changes it" if batch is None else ""
        return _captured_on_meta(built, f"model file {what} (ModelBundle, batch {built.batch_size}{own}"
                                        + (f", seq_len {seq_len}" if seq_len else "") + ")",
                                 OnMeta(rebuild, "its own weights", built_on_meta=on_meta, why=why))
    if seq_len is not None:  # it was ignored: the input is --input-shape's
        raise InputError(f"--seq-len applies to a ModelBundle factory, not to the plain nn.Module {what}",
                         "give the sequence length in --input-shape (e.g. --input-shape 128 --input-dtype int64 for "
                         "128 token ids), and leave --seq-len out")
    if not isinstance(built, torch.nn.Module):
        raise InputError(f"{what} returned a value of type {type(built).__name__}, not an nn.Module or a ModelBundle",
                         "return the model (nn.Module) or an accelopt ModelBundle")
    if input_shape is None:
        raise InputError(f"{what} is a plain nn.Module: its input shape is unknown",
                         "pass --input-shape for one sample without the batch dimension, e.g. "
                         "--input-shape 3,224,224 (images) or --input-shape 128 --input-dtype int64 (token ids)")
    batch = DEFAULT_BATCH if batch is None else batch
    input_dtype = "float32" if input_dtype is None else input_dtype  # left out: float32 (images, features)
    bundle = _plain_module_bundle(built, attr, batch, input_shape, input_dtype, on_meta=on_meta)
    shape = "x".join(str(s) for s in (batch, *input_shape))
    from accelopt.workload.usercode import ModelCodeError

    capture = OnMeta(lambda: _plain_module_bundle(make(), attr, batch, input_shape, input_dtype), "its own weights",
                     built_on_meta=on_meta, why=why)
    with _last_module_entered(built) as entered, _integer_into_float_layer(built) as wrong:
        try:
            captured = _captured_on_meta(bundle, f"model file {what} (nn.Module, batch {batch}, input {shape} "
                                                 f"{input_dtype})", capture)
        except ModelCodeError as e:  # the input is ours, made from --input-shape: that is what to check first
            e.fix = _input_shape_fix(input_shape, input_dtype, entered)
            raise
    if wrong:  # on the meta device F.linear(int64, float32) returns float32: the model would raise when run
        name, kind, dtype = wrong[0]
        raise InputError(f"{what}: layer {name!r} ({kind}) has floating-point weights and is given the {dtype} "
                         f"input --input-dtype {input_dtype} makes: the model cannot run on it (PyTorch refuses "
                         "mixed integer x float matmuls and convolutions), so nothing is simulated",
                         "pass --input-dtype float32 for a model that takes real-valued inputs (int64 is for token "
                         "ids entering an nn.Embedding first)")
    return captured


@contextlib.contextmanager
def _integer_into_float_layer(model: Any) -> Iterator[list[tuple[str, str, str]]]:
    """[(name, class, dtype)] of the first PyTorch layer with floating-point weights entered with an integer or bool
    tensor (an nn.Linear given --input-dtype int64 token ids): shape-only capture on the meta device does not check
    dtypes, so this is the check PyTorch makes when the model runs; nn.Embedding takes integer ids and is not one."""
    import torch

    wrong: list[tuple[str, str, str]] = []

    def hook(name: str) -> Any:
        def pre(module: Any, args: Any) -> None:
            x = args[0] if args else None  # the layer's input (a later one may be a bool mask)
            if isinstance(x, torch.Tensor) and not (x.is_floating_point() or x.is_complex()) and not wrong:
                wrong.append((name, type(module).__name__, str(x.dtype).removeprefix("torch.")))
        return pre

    nn = torch.nn
    # PyTorch's own layers that multiply their input by floating-point weights (a model's own leaf module may look
    # integer ids up in its weight, as nn.Embedding does: not checked)
    float_only = (nn.Linear, nn.Bilinear, nn.modules.conv._ConvNd, nn.modules.batchnorm._NormBase, nn.LayerNorm,
                  nn.GroupNorm, nn.RNNBase, nn.MultiheadAttention)
    leaves = [(n, m) for n, m in model.named_modules() if isinstance(m, float_only)
              and any(p.is_floating_point() for p in m.parameters(recurse=False))]
    handles = [m.register_forward_pre_hook(hook(n)) for n, m in leaves]
    try:
        yield wrong
    finally:
        for h in handles:
            h.remove()


@contextlib.contextmanager
def _last_module_entered(model: Any) -> Iterator[list[tuple[str, Any, bool]]]:
    """[(name, module, running)] of the last leaf module whose forward began (forward pre-hooks); `running` turns
    False when it returned (forward hooks), so that a failure in the model's own code between layers (a reshape
    after `c1`) is not blamed on `c1` and its input channels. The hooks are removed on leaving."""
    entered: list[tuple[str, Any, bool]] = []

    def hook(name: str) -> Any:
        def pre(module: Any, args: Any) -> None:
            entered[:] = [(name, module, True)]
        return pre

    def returned(module: Any, args: Any, output: Any) -> None:
        if entered:
            entered[0] = (*entered[0][:2], False)

    leaves = [(n, m) for n, m in model.named_modules() if not any(m.children())]
    handles = [m.register_forward_pre_hook(hook(n)) for n, m in leaves]
    handles += [m.register_forward_hook(returned) for _, m in leaves]
    try:
        yield entered
    finally:
        for h in handles:
            h.remove()


def _input_shape_fix(input_shape: tuple[int, ...], input_dtype: str, entered: list[tuple[str, Any, bool]]) -> str:
    """The fix for a plain nn.Module that raised on the input --input-shape made: the shape given, and what the
    layer it failed in takes where that layer says (a convolution's in_channels, a linear layer's in_features)."""
    given = f"--input-shape {','.join(map(str, input_shape))} (--input-dtype {input_dtype})"
    fix = f"check {given}: one sample without the batch dimension, as the model's forward takes it"
    if not entered:
        return fix
    name, module, running = entered[0]
    kind = type(module).__name__
    if not running:
        return fix + f"; it failed in the model's forward code after layer {name!r} ({kind}) returned, not in a layer"
    channels, features = getattr(module, "in_channels", None), getattr(module, "in_features", None)
    if isinstance(channels, int):
        dims = len(getattr(module, "kernel_size", ()) or ())
        fix += f"; it failed in layer {name!r} ({kind}), which takes {channels} input channels"
        if dims and len(input_shape) == dims + 1 and input_shape[0] != channels:
            fix += f": e.g. --input-shape {','.join(map(str, (channels, *input_shape[1:])))}"
    elif isinstance(features, int):
        fix += f"; it failed in layer {name!r} ({kind}), which takes {features} input features (last dimension)"
    elif isinstance(getattr(module, "num_embeddings", None), int) and input_dtype != "int64":
        # an nn.Embedding (or EmbeddingBag) looks up token ids: float32 zeros failed with torch's 'Expected tensor
        # for argument #1 'indices' to have one of the following scalar types: Long, Int', and the fix named only
        # the shape
        fix += (f"; it failed in layer {name!r} ({kind}), which takes token ids: pass --input-dtype int64 "
                f"(ids below its {module.num_embeddings} rows)")
    else:
        fix += f"; it failed in layer {name!r} ({kind})"
    return fix


def _plain_module_bundle(model: Any, name: str, batch: int, input_shape: tuple[int, ...], input_dtype: str, *,
                         on_meta: bool = False) -> Any:
    """A ModelBundle around a plain nn.Module for one inference forward pass on a fixed input
    (zeros: the MAC count of a forward pass does not depend on the values; zeros are valid token ids). `on_meta`:
    the input is a meta tensor (no memory), for a model built there."""
    import torch

    from accelopt.workload.userfile import ModelBundle

    if input_dtype not in USER_INPUT_DTYPES:
        raise InputError(f"--input-dtype {input_dtype!r} is unknown", f"use one of {', '.join(USER_INPUT_DTYPES)}")
    if not input_shape or any(not isinstance(s, int) or s < 1 for s in input_shape):
        raise InputError(f"--input-shape {input_shape!r} must be positive integers", "e.g. --input-shape 3,224,224")
    dt = torch.float32 if input_dtype == "float32" else torch.int64
    elements = batch * math.prod(input_shape)
    shape_text = "x".join(str(s) for s in (batch, *input_shape))
    if elements > MAX_INPUT_ELEMENTS:  # the README's limit on counts; torch.zeros would fail (or swap) instead
        raise InputError(f"the input {shape_text} (--batch x --input-shape) has {elements:,} elements, more than "
                         f"{MAX_INPUT_ELEMENTS:,}", "give the shape of one sample without the batch dimension, "
                         "e.g. --input-shape 3,224,224")
    try:
        x = torch.zeros((batch, *input_shape), dtype=dt, device="meta" if on_meta else "cpu")
    except (RuntimeError, MemoryError) as e:  # the allocator's own refusal: more than this machine's memory
        raise InputError(f"the input {shape_text} ({input_dtype}) cannot be allocated here: {str(e)[:200]}",
                         "use a smaller --input-shape or --batch") from None

    def batches() -> Any:
        return iter([(x, None)])

    def no_loss(out: Any, targets: Any) -> Any:  # inference capture never calls it
        raise AssertionError("loss is not used in inference capture")

    return ModelBundle(name=name, model=model, batches=batches, loss_fn=no_loss, batch_size=batch,
                       meta={"source_kind": "user-module"})
