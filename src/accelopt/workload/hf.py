"""Build a Hugging Face transformers model from a local config.json, with random weights.

Optional extra: `pip install accelopt[hf]`. Nothing is downloaded: the config is read from disk and
the model is built with `from_config` (random initialization), so FLOPs, bytes and timings are those
of the real architecture while the weights are meaningless. `meta=True` (for `plan infer`, which only counts)
builds it on PyTorch's meta device instead: the same modules and shapes, no weight memory, no initialisation.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from accelopt.errors import AcceloptError, InputError, UnsupportedError, first_line, is_out_of_memory
from accelopt.units import fmt_bytes
from accelopt.userio import path_kind, read_user_json
from accelopt.workload.presets import config_model_name
from accelopt.workload.userfile import ModelBundle, seeded

__all__ = ["build_from_hf_config"]

_DEFAULT_SEQ_LEN = 128
_NUM_BATCHES = 4
# Size fields of the common config classes (llama/bert/gpt2 spellings; GPT-Neo's num_layers/num_heads, MPT/DBRX's
# n_layers/n_heads/d_model, OPT's ffn_dim, T5's d_ff): each, when given, is a count >= 1. A 0 or negative one was
# built as a model without layers (or heads), and simulated or profiled without a word (GPT-Neo with num_layers 0:
# 289,280 parameters, the embeddings alone, planned by `plan infer`).
_SIZE_FIELDS = ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
                "vocab_size", "max_position_embeddings", "n_embd", "n_layer", "n_head", "n_inner", "n_positions",
                "num_layers", "num_heads", "n_layers", "n_heads", "d_model", "ffn_dim", "d_ff", "n_ctx")
_MAX_COUNT = 2**31 - 1
BUILD_FIX = ("fix the fields of config.json that message names (sizes that must divide, such as hidden_size by "
             "num_attention_heads)")
"""The fix for a config transformers refuses to build (ValueError on most, RuntimeError on some)."""


def _transformers() -> Any:
    try:
        import transformers
    except ImportError:
        raise UnsupportedError("building from a Hugging Face config.json needs the `transformers` package",
                               "pip install accelopt[hf]") from None
    return transformers


def _read_config(path: str) -> tuple[Path, dict[str, Any]]:
    p = Path(path)
    if path_kind(p, "Hugging Face config") == "folder":
        p = p / "config.json"
    d = read_user_json(p, "Hugging Face config", "pass a directory holding config.json, or the path of the "
                       "config JSON file", one_value_per_key=True)
    if not isinstance(d, dict):  # a JSON list or number was 'has no model_type', as if a key were missing
        kind = {list: "list", str: "string", bool: "true/false", type(None): "null"}.get(type(d), "number")
        raise InputError(f"Hugging Face config {str(p)!r} holds a JSON {kind}, not an object of keys",
                         "pass the model's config.json (one JSON object: {\"model_type\": ..., ...})")
    if "model_type" not in d:
        raise InputError(f"Hugging Face config {str(p)!r} has no 'model_type'",
                         "add \"model_type\" (e.g. \"gpt2\", \"llama\", \"bert\") as in the model's config.json")
    if not isinstance(d["model_type"], str) or not d["model_type"].strip():
        raise InputError(f"Hugging Face config {str(p)!r}: model_type = {d['model_type']!r} is not a name",
                         "give model_type as a quoted name, e.g. \"llama\", as in the model's config.json")
    for key in _SIZE_FIELDS:
        v = d.get(key)
        if v is not None and (isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= _MAX_COUNT):
            raise InputError(f"Hugging Face config {str(p)!r}: {key} = {v!r} is not a whole number in "
                             f"1..{_MAX_COUNT:,}", f"set {key} to the model's real size, as in its config.json")
    return p, d


def _head(config: Any, d: dict[str, Any]) -> str:
    """Which head to build: 'causal', 'masked', 'classify' or 'base' (from `architectures`, else model type)."""
    archs = " ".join(d.get("architectures") or [])
    if "ForSequenceClassification" in archs:  # BertForSequenceClassification, LlamaForSequenceClassification, ...
        return "classify"
    if "ForCausalLM" in archs or "LMHeadModel" in archs:
        return "causal"
    if "ForMaskedLM" in archs or "ForPreTraining" in archs:
        return "masked"
    auto = _transformers().models.auto.modeling_auto
    causal = type(config) in auto.MODEL_FOR_CAUSAL_LM_MAPPING
    masked = type(config) in auto.MODEL_FOR_MASKED_LM_MAPPING
    if causal and (getattr(config, "is_decoder", False) or not masked):
        return "causal"
    if masked:  # encoders such as BERT also have a causal-LM class; their native objective is MLM
        return "masked"
    return "causal" if causal else "base"


def _max_positions(config: Any) -> int | None:
    for attr in ("max_position_embeddings", "n_positions", "max_seq_len", "seq_length"):
        v = getattr(config, attr, None)
        if isinstance(v, int) and v > 0:
            return v
    return None


def _logits(out: Any) -> Any:
    return out.logits if hasattr(out, "logits") else out[0]


def _causal_loss(out: Any, targets: Any) -> Any:
    import torch.nn.functional as F

    logits = _logits(out)  # (B, T, V); targets (B, T) already shifted by one
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), targets.reshape(-1))


def _masked_loss(out: Any, targets: Any) -> Any:
    import torch.nn.functional as F

    logits = _logits(out)  # (B, T, V); targets -100 where not masked
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]).float(), targets.reshape(-1), ignore_index=-100)


def _classify_loss(out: Any, targets: Any) -> Any:
    import torch.nn.functional as F

    logits = _logits(out)  # (B, num_labels); targets (B,) class ids
    return F.cross_entropy(logits.float(), targets)


def _base_loss(out: Any, targets: Any) -> Any:
    # No task head: a synthetic loss (mean square of the last hidden state) so backward runs
    # through every layer; its value means nothing.
    hidden = out.last_hidden_state if hasattr(out, "last_hidden_state") else out[0]
    return hidden.float().pow(2).mean()


def available_memory_bytes() -> int | None:
    """Memory the kernel can give this process without swapping (/proc/meminfo MemAvailable), None where unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for ln in f:
                if ln.startswith("MemAvailable:"):
                    return int(ln.split()[1]) * 1024  # the file counts kB (KiB)
    except (OSError, ValueError, IndexError):
        return None
    return None


def _check_fits_here(auto: Any, config: Any, p: Path) -> None:
    """An InputError before the random weights are built when they cannot fit in this machine's available
    memory: past it the kernel's OOM killer ends the process without a word (an allocator refusal is caught below,
    but Linux overcommits, so the first touch of the weights is what fails). The weights are counted on the meta
    device (no memory); a model that cannot be built there is left to the real build."""
    import torch

    avail = available_memory_bytes()
    if avail is None:
        return
    try:
        with torch.device("meta"):
            need = sum(t.numel() * t.element_size() for t in auto.from_config(config).parameters())
    except Exception:  # the real build below reports what is wrong with the config
        return
    if need > avail:
        raise InputError(f"the model of {str(p)!r} cannot be built here: its random weights need "
                         f"{fmt_bytes(need)} (as transformers builds them), more than the {fmt_bytes(avail)} "
                         "this machine has available", "check the sizes in the config; plan a transformer from its "
                         "config without building it (`accelopt plan --model CONFIG`, `plan serve -m CONFIG`), or "
                         "run on a machine with more memory")


MATERIALISED = "random (from_config)"
META_WEIGHTS = "none: built on PyTorch's meta device (shapes only)"
"""meta['weights'] of a bundle built with random weights / on the meta device."""


def _build_model(auto: Any, config: Any, p: Path, *, meta: bool) -> tuple[Any, str, str]:
    """(the model, what its weights are: meta['weights'], why a meta build fell back to random weights: '' when it
    did not). meta=True: on the meta device (no memory, no initialisation: benchmarks/bench_meta_build.py times
    both), else, or when that build raises, with random weights as transformers initialises them."""
    import torch

    if meta:
        try:
            with torch.device("meta"):
                return auto.from_config(config), META_WEIGHTS, ""
        except Exception as e:  # a config error is reported by the real build below, with its fix
            why = first_line(e)
    else:
        why = ""
    _check_fits_here(auto, config, p)
    return _materialise(auto, config, p), MATERIALISED, why


def _materialise(auto: Any, config: Any, p: Path) -> Any:
    """auto.from_config(config) with random weights, its errors as InputError."""
    try:
        with seeded():  # the same random weights every run, as a file.py factory's (userfile.FACTORY_SEED)
            return auto.from_config(config)
    except (ValueError, KeyError, TypeError) as e:  # mostly sizes: 'hidden size (65) is not a multiple of ...'
        raise InputError(f"transformers cannot build {type(config).__name__} with {auto.__name__}: {first_line(e)}",
                         BUILD_FIX + ", or its architectures / model_type") from None
    except (RuntimeError, MemoryError) as e:
        if is_out_of_memory(e):  # the allocator's refusal: the weights do not fit in this memory
            raise InputError(f"the model of {str(p)!r} cannot be built here (its random weights need more memory "
                             f"than this machine has): {first_line(e)}",
                             "check the sizes in the config (hidden_size, num_hidden_layers, vocab_size, ...)"
                             ) from None
        raise InputError(f"transformers cannot build {type(config).__name__} with {auto.__name__}: {first_line(e)}",
                         BUILD_FIX) from None


def _unknown_type_fix(tf: Any, model_type: str, p: Path, d: dict[str, Any] | None = None) -> str:
    """Close matches among the model types this transformers knows, else the count of them; newer types (mixtral,
    phi) need a newer transformers. A type accelopt's own config reader has a rule for (Mistral, Qwen3, Gemma 2,
    DeepSeek-V3 with transformers 4.31) is planned without transformers by `plan serve` and `plan`: the fix says so
    (it named only the upgrade, which the dev venv's llm-analysis pin to 4.31 does not allow; a user trial, utplan3).
    The upgrade names the version that reads the config (_reading_version: the transformers_version of the file `d`)."""
    from accelopt.errors import close_matches
    from accelopt.workload.presets import reads_model_type

    known = sorted(tf.models.auto.configuration_auto.CONFIG_MAPPING.keys())
    close = close_matches(model_type, known, cutoff=0.75)
    hint = f"did you mean {' or '.join(repr(k) for k in close)}? " if close else ""
    q = shlex.quote(str(p))
    own = (f"; accelopt's own config reader reads {model_type!r} without transformers: `accelopt plan serve -m "
           f"{q}` predicts its LLM serving (prefill, decode, KV cache), `accelopt plan --model {q}` its training"
           ) if reads_model_type(model_type) else ""
    return (f"{hint}check model_type (transformers {tf.__version__} knows {len(known)} types), or upgrade "
            f"transformers (pip install -U transformers) for a newer architecture"
            f"{_reading_version(d or {}, tf.__version__)}{own}")


def _reading_version(d: dict[str, Any], installed: str) -> str:
    """'' or a clause naming the transformers that reads a config whose model_type the installed one does not know:
    the release that wrote it (its transformers_version, when newer than the installed one), or, for a config that
    names its own modelling code (auto_map: the Hub's trust_remote_code, as DeepSeek-V3's, written by 4.33.1 before
    transformers had deepseek_v3), that no release's own classes may read it. The fix said only 'upgrade', and the
    dev venv holds 4.31.0 (llm-analysis 0.2.2 pins huggingface-hub < 0.15; transformers 4.32.0 needs >= 0.15.1)."""
    written = d.get("transformers_version")
    if not _newer_version(written, installed):
        return ""
    from packaging.version import Version

    if d.get("auto_map"):
        return (f": the config was written by transformers {written} with its own modelling code (auto_map, the "
                "Hub's trust_remote_code, which accelopt does not run), so that release may not read it either")
    return (f": the config was written by transformers {written} (its transformers_version), which reads it: "
            f"pip install 'transformers>={Version(str(written)).base_version}'")


# The sizes whose absence transformers fills from its config class's defaults without a word (BertConfig: 12 layers).
_DEFAULTED_SIZES = ("num_hidden_layers", "hidden_size", "num_attention_heads", "intermediate_size", "vocab_size",
                    "max_position_embeddings", "n_layer", "n_embd", "n_head", "n_positions", "num_layers", "num_heads",
                    "ffn_dim", "d_model")


def _undefined_keys(cls: type, defaults: dict[str, Any], d: dict[str, Any]) -> list[str]:
    """The keys of the file `d` that the config class `cls` (its `defaults`: cls().to_dict()) does not define: set as
    attributes no module reads."""
    aliases = dict(getattr(cls, "attribute_map", {}) or {})
    # + the class's properties: PretrainedConfig reads num_labels as one (it builds id2label), which to_dict() omits
    known = set(defaults) | set(aliases) | {k for k in d if isinstance(getattr(cls, k, None), property)}
    return sorted(k for k in d if k not in known and not k.startswith("_"))


def _config_notes(config: Any, d: dict[str, Any], version: str) -> list[str]:
    """Notes on what transformers did with the file without a word: keys its config class does not define (set as
    attributes no module reads: a misspelt num_hiden_layers built bert-large's width at BertConfig's 12 layers, 184M
    parameters for 335M) and sizes the file leaves out, taken from the class's defaults."""
    cls = type(config)
    aliases = dict(getattr(cls, "attribute_map", {}) or {})
    try:
        defaults = cls().to_dict()
    except (TypeError, ValueError, KeyError, AttributeError) as e:  # a class that needs sub-configs to be built
        return [f"the config's keys were not checked against {cls.__name__}'s: its defaults cannot be built alone "
                f"({first_line(e)}); transformers ignores the keys it does not define"]
    notes = []
    unknown = _undefined_keys(cls, defaults, d)
    if unknown:
        notes.append(f"config key(s) {cls.__name__} (transformers {version}) does not define, ignored when the model "
                     f"was built: {', '.join(unknown)}")
    given = set(d) | {aliases[k] for k in d if k in aliases} | {a for a, k in aliases.items() if k in d}
    filled = [f"{k} {defaults[k]!r}" for k in _DEFAULTED_SIZES if k in defaults and k not in given]
    if filled:
        notes.append(f"the config gives no {', '.join(f.split()[0] for f in filled)}: {cls.__name__}'s default(s) "
                     f"used, as transformers builds it ({', '.join(filled)}; give them in the config to change them)")
    return notes


def config_notes(meta: dict[str, Any], asked_dtype: str | None = "fp32",
                 ran: str = "this step and every figure here are fp32") -> list[str]:
    """The notes of a Hugging Face config.json's build (`meta`: the bundle's), each beginning 'config.json: ':
    _config_notes (keys its config class does not define, which transformers set as attributes no module reads, and
    sizes it took from the class's defaults), and a torch_dtype of bf16/fp16 that an fp32 run (`asked_dtype`) does
    not apply, saying what `ran` in fp32 (profile's step; optimize's baseline; None: no torch dtype runs, as in
    simulate, whose design fixes it). profile and optimize warn and note
    them: a misspelt num_hiden_layers built BertConfig's 12 layers, and a Llama config's torch_dtype bfloat16 ran in
    fp32, with nothing said but the --json document's meta."""
    notes = [f"config.json: {n}" for n in meta.get("config_notes") or []]
    if meta.get("source_kind") == "hf-config" and asked_dtype == "fp32":
        notes += _config_dtype_note(str(meta.get("hf_config") or ""), ran)
    return notes


def _config_dtype_note(path: str, ran: str) -> list[str]:
    """The note on the config's torch_dtype (or dtype, its newer spelling) when it is bfloat16 or float16:
    transformers' from_config builds the random weights in fp32 whatever it says (torch's default dtype)."""
    try:
        d = json.loads(Path(path).read_text())
    except (OSError, ValueError):  # the build read it a moment ago; nothing to add if it is gone
        return []
    said = d.get("torch_dtype", d.get("dtype")) if isinstance(d, dict) else None
    ours = {"bfloat16": "bf16", "float16": "fp16"}.get(said) if isinstance(said, str) else None
    if ours is None:
        return []
    return [f"config.json: torch_dtype {said} is not applied: transformers builds the random weights in fp32 "
            f"(from_config), so {ran}; pass --dtype {ours} to run it under {ours} autocast"]


PARAMS_TOLERANCE = 0.01
"""How far an ignored key may move the config's own count (presets.load_hf_config: what `plan` and `plan serve`
read), and the model transformers built may count from it, before the build is refused: 1%, set before any count
was compared (the builds of configs both read agree within 0.02% for GPT-J-6B, Falcon-7B/40B and
examples/hf_tiny_llama; a BERT masked LM's transform and decoder bias, which the reader leaves out, are 3.8% of a
2-layer hidden-128 one, so the key is judged by the reader's count with and without it, not by that difference)."""


def _check_one_count(config: Any, d: dict[str, Any], p: Path, built: int, version: str) -> None:
    """InputError when the installed transformers' config class does not define keys of the file that `plan` and
    `plan serve` read (a head_dim other than hidden_size / num_attention_heads or MoE keys under transformers 4.31's
    LlamaConfig), those keys move the config's own count (load_hf_config with them against without them, or the
    reader refuses the file without them), and the model transformers built counts other parameters than that
    count: the figures would be those of another model (a Qwen3-4B-shaped llama config: 3.67 B parameters built,
    4.02 B in `plan serve`), which the note naming the ignored keys did not stop."""
    from accelopt.workload.presets import load_hf_config, reads_config_key

    cls = type(config)
    try:
        defaults = cls().to_dict()
    except (TypeError, ValueError, KeyError, AttributeError):  # _config_notes says the keys were not checked
        return
    ignored = [k for k in _undefined_keys(cls, defaults, d) if reads_config_key(k)]
    if not ignored:
        return
    try:
        counted = load_hf_config(p).params_total()
    except AcceloptError:  # a config the transformers-free reader refuses: the note still names the keys
        return
    if counted <= 0 or abs(built / counted - 1) <= PARAMS_TOLERANCE or not _keys_move_count(d, ignored, counted):
        return
    keys = ", ".join(f"{k} = {d[k]!r}" for k in ignored)
    newer = " (Llama's head_dim: 4.45 on)" if "head_dim" in ignored else ""
    raise InputError(f"Hugging Face config {str(p)!r}: transformers {version}'s {cls.__name__} does not define "
                     f"{keys}: the model it builds counts {built:,} parameters, where the config's sizes count "
                     f"{counted:,} (as `plan` and `plan serve` read them), so its figures would be another model's",
                     f"upgrade transformers (pip install -U transformers) to a release whose {cls.__name__} reads "
                     f"{', '.join(ignored)}{newer}; or predict the model from the config without transformers: "
                     f"`accelopt plan serve -m {p}` (serving), `accelopt plan --model {p}` (training)")


def _keys_move_count(d: dict[str, Any], keys: list[str], counted: int) -> bool:
    """Whether the config's own count without `keys` (the file `d` less them, read by load_hf_config) is more than
    PARAMS_TOLERANCE from `counted` (with them), or the reader refuses the file without them (num_experts_per_tok
    left without its experts): a head_dim of hidden / heads or as many KV heads as heads moves nothing."""
    import tempfile

    from accelopt.workload.presets import load_hf_config

    with tempfile.TemporaryDirectory() as tmp:
        q = Path(tmp) / "config.json"
        q.write_text(json.dumps({k: v for k, v in d.items() if k not in keys}), encoding="utf-8")
        try:
            without = load_hf_config(q).params_total()
        except AcceloptError:
            return True
    return abs(without / counted - 1) > PARAMS_TOLERANCE


def _newer_version(written: object, installed: str) -> bool:
    """Whether the version string `written` is a later release than `installed` (packaging's PEP 440 ordering:
    packaging is a requirement of transformers, the only caller's library, and of matplotlib); False when either
    is not a version."""
    from packaging.version import InvalidVersion, Version

    try:
        return isinstance(written, str) and Version(written) > Version(installed)
    except InvalidVersion:
        return False


def _refused_config_fix(installed: str, d: dict[str, Any]) -> str:
    """The fix for a config the installed transformers refuses: a published config written by a newer transformers
    (Llama 3.2's llama3 rope_scaling, refused by 4.31 as 'must be a dictionary with two fields') is not the user's
    to fix, so 'fix that field' alone sent them editing a correct file."""
    written = d.get("transformers_version")
    newer = _newer_version(written, installed)
    upgrade = ("upgrade transformers (pip install -U transformers): " + (
        f"the config was written by transformers {written}, newer than the installed {installed}" if newer else
        "a config published for a newer transformers carries fields an older one refuses"))
    return (f"{upgrade}; or fix that field of config.json if it is wrong (`plan`, `plan explain` and `plan serve` "
            "read a config.json without transformers)")


def _image_config(config: Any) -> bool:
    """A config whose model reads pixel_values of one square size (ViTConfig and its kin: image_size, patch_size
    and num_channels as whole numbers)."""
    return all(isinstance(getattr(config, k, None), int) and not isinstance(getattr(config, k), bool)
               and getattr(config, k) > 0 for k in ("image_size", "patch_size", "num_channels"))


def _vision_bundle(tf: Any, config: Any, d: dict[str, Any], p: Path, *, batch_size: int | None,
                   seq_len: int | None, meta: bool) -> ModelBundle:
    """ModelBundle of a ViT-style config: transformers builds the model (its patch embedding, a Conv2d of kernel and
    stride patch_size, then the encoder over (image_size / patch_size)^2 patches + the [CLS] token; Dosovitskiy et
    al. 2021, sec. 3.1, eq. 1), fed seeded random pixel_values (B, num_channels, image_size, image_size). The head
    follows `architectures` (...ForImageClassification: cross-entropy over num_labels classes), else the base model
    with a synthetic loss."""
    import torch

    if seq_len is not None:  # the patches are the sequence: a --seq-len / --input-size would be ignored unsaid
        raise InputError(f"Hugging Face config {str(p)!r}: model_type {d['model_type']!r} reads images; its sequence "
                         f"is its {(config.image_size // config.patch_size) ** 2} patches of image_size "
                         f"{config.image_size} / patch_size {config.patch_size}, not a sequence length",
                         # the flag by its name (plan infer's caller renames it --input-size, its own flag)
                         "leave --seq-len out (set image_size in the config to change the input)")
    b = batch_size or 1
    if not isinstance(b, int) or b < 1:
        raise InputError(f"batch_size = {b!r} must be a positive integer", "pass a positive batch_size")
    classify = "ForImageClassification" in " ".join(d.get("architectures") or [])
    auto = tf.AutoModelForImageClassification if classify else tf.AutoModel
    model, weights, meta_error = _build_model(auto, config, p, meta=meta)
    labels = int(getattr(config, "num_labels", 2) or 2)
    size, ch = config.image_size, config.num_channels
    patches = (size // config.patch_size) ** 2

    def batches() -> Iterator[tuple[Any, Any]]:
        g = torch.Generator().manual_seed(0)
        for _ in range(_NUM_BATCHES):
            yield torch.randn(b, ch, size, size, generator=g), torch.randint(0, labels, (b,), generator=g)

    name = config_model_name(d.get("_name_or_path"), p) or f"hf-{d['model_type']}"
    name = f"{name} ({type(model).__name__}{f', {labels} labels' if classify else ''})"
    # the encoder's sequence: the patches, + ViT's [CLS] token (Dosovitskiy et al. eq. 1; DeiT's and others' extra
    # tokens are not counted in this label, which no figure reads: the captured ops carry the real shapes)
    facts = {"seq_len": patches + (d["model_type"] == "vit"), "input_shape": [ch, size, size], "samples_per_batch": b,
             "model_type": d["model_type"], "head": "classify" if classify else "base", "hf_config": str(p),
             "transformers_version": tf.__version__, "weights": weights, "source_kind": "hf-config",
             "config_notes": _config_notes(config, d, tf.__version__)}
    if meta_error:
        facts["meta_build_error"] = meta_error
    bundle = ModelBundle(name=str(name), model=model, batches=batches,
                         loss_fn=_classify_loss if classify else _base_loss, batch_size=b, meta=facts)
    bundle.meta["params"] = bundle.param_count()
    return bundle


def _check_kv_heads(config: Any, p: Path) -> None:
    """An InputError when num_key_value_heads does not divide num_attention_heads: transformers builds such a
    model without a word (LlamaConfig 4 heads over 3 K/V heads), and its first forward fails inside the attention
    ('The size of tensor a (4) must match the size of tensor b (3)'), which `profile` reported as the model's own
    code raising, with a fix about a model file's batches. Grouped-query attention shares each K/V head among
    heads // kv_heads query heads (Ainslie et al. 2023; transformers' repeat_kv), so kv_heads must divide heads."""
    heads, kv = getattr(config, "num_attention_heads", None), getattr(config, "num_key_value_heads", None)
    if not isinstance(heads, int) or not isinstance(kv, int) or isinstance(kv, bool) or heads < 1:
        return
    if kv < 1 or heads % kv:
        raise InputError(f"Hugging Face config {str(p)!r}: num_key_value_heads {kv} does not divide "
                         f"num_attention_heads {heads} (grouped-query attention shares each K/V head among a whole "
                         "number of query heads; transformers would build the model and fail in its first forward)",
                         "set num_key_value_heads to a divisor of num_attention_heads (num_attention_heads itself "
                         "for multi-head attention, 1 for multi-query)")


def build_from_hf_config(path: str, *, batch_size: int | None = None, seq_len: int | None = None,
                         meta: bool = False) -> ModelBundle:
    """ModelBundle for the architecture in `path` (a directory with config.json, or the JSON file).

    meta=True builds the weights on PyTorch's meta device (shapes only: no memory, no initialisation; for a
    capture that counts, `plan infer`), and with random weights on the CPU where transformers cannot build the model
    there (meta['weights'] says which and why). The inputs are CPU token ids either way.

    The head follows `architectures` (…ForCausalLM -> next-token loss; …ForMaskedLM -> 15% masked
    LM loss; …ForSequenceClassification -> cross-entropy over num_labels classes; otherwise the base model with a
    synthetic loss). Inputs are seeded random token ids (and class ids).
    """
    import torch

    tf = _transformers()
    p, d = _read_config(path)
    fields = {k: v for k, v in d.items() if k != "model_type"}
    if d["model_type"] not in tf.models.auto.configuration_auto.CONFIG_MAPPING:
        # for_model's message lists every known type (2,000+ characters): close matches instead
        raise InputError(f"Hugging Face config {str(p)!r}: model_type {d['model_type']!r} is not known to "
                         f"transformers {tf.__version__}", _unknown_type_fix(tf, str(d["model_type"]), p, d))
    try:
        config = tf.AutoConfig.for_model(d["model_type"], **fields)
    except (ValueError, KeyError, TypeError) as e:  # a known type with a field its config class refuses
        raise InputError(f"Hugging Face config {str(p)!r}: transformers {tf.__version__} refuses its "
                         f"{d['model_type']!r} config: {first_line(e)}",
                         _refused_config_fix(tf.__version__, d)) from None
    if not hasattr(config, "vocab_size") and _image_config(config):  # ViT-style: pixel_values in
        return _vision_bundle(tf, config, d, p, batch_size=batch_size, seq_len=seq_len, meta=meta)
    if not hasattr(config, "vocab_size"):  # vision, audio: set vocab_size would not make it read token ids
        raise UnsupportedError(f"Hugging Face config {str(p)!r}: model_type {d['model_type']!r} takes no token ids "
                               "(its config has no vocab_size), and accelopt builds token inputs for HF configs",
                               "write a model file that feeds its inputs (see examples/my_model.py)")
    if getattr(config, "is_encoder_decoder", False):
        raise UnsupportedError(f"{d['model_type']!r} is an encoder-decoder model; building its decoder inputs "
                               "is not supported", "use a decoder-only or encoder-only config, or write a "
                               "model file (see examples/my_model.py) that feeds both inputs")
    if getattr(config, "add_cross_attention", False) is True:
        # the decoder of an encoder-decoder model (GPT2Block / BertLayer build a cross-attention sublayer): run on
        # token ids alone it skips that sublayer, so its weights were counted and its FLOPs and time were not
        raise UnsupportedError(f"Hugging Face config {str(p)!r}: add_cross_attention = true, the decoder of an "
                               "encoder-decoder model (each block attends to an encoder's output, which accelopt "
                               "does not build for HF configs)", "use a decoder-only config (add_cross_attention "
                               "false or left out), or write a model file (see examples/my_model.py) that feeds "
                               "the encoder's output too")
    _check_kv_heads(config, p)
    b = batch_size or 1
    max_pos = _max_positions(config)
    t = seq_len or min(_DEFAULT_SEQ_LEN, max_pos or _DEFAULT_SEQ_LEN)
    for name, v in (("batch_size", b), ("seq_len", t)):
        if not isinstance(v, int) or v < 1:
            raise InputError(f"{name} = {v!r} must be a positive integer", f"pass a positive {name}")
    if max_pos is not None and t > max_pos:
        raise InputError(f"seq_len {t} (--seq-len) exceeds the {max_pos} positions of the model of {str(p)!r}",
                         f"pass --seq-len {max_pos} or less, or raise the positions in the config "
                         "(max_position_embeddings, n_positions in GPT-2's)")
    head = _head(config, d)
    auto = {"causal": tf.AutoModelForCausalLM, "masked": tf.AutoModelForMaskedLM,
            "classify": tf.AutoModelForSequenceClassification, "base": tf.AutoModel}[head]
    model, weights, meta_error = _build_model(auto, config, p, meta=meta)
    vocab = int(getattr(config, "vocab_size", 0) or 0)
    if vocab < 2:
        raise InputError(f"Hugging Face config {str(p)!r} has no usable vocab_size", "set vocab_size")
    labels = int(getattr(config, "num_labels", 2) or 2)
    # A decoder's sequence-classification head reads the last token that is not padding and refuses batches > 1
    # without a pad_token_id (transformers' *ForSequenceClassification): the last id becomes the pad token where the
    # config names none, and the random inputs never draw the pad token, so every sequence is read at its end.
    pad = -1
    if head == "classify":
        if getattr(model.config, "pad_token_id", None) is None:
            model.config.pad_token_id = vocab - 1
        pad = int(model.config.pad_token_id)

    def class_inputs(g: Any) -> Any:
        tok = torch.randint(0, vocab - 1, (b, t), generator=g)
        return tok + (tok >= pad).long() if 0 <= pad < vocab else tok  # skips the pad id

    def batches() -> Iterator[tuple[Any, Any]]:
        g = torch.Generator().manual_seed(0)
        for _ in range(_NUM_BATCHES):
            if head == "causal":
                tok = torch.randint(0, vocab, (b, t + 1), generator=g)
                yield tok[:, :-1], tok[:, 1:]
            elif head == "classify":
                yield class_inputs(g), torch.randint(0, labels, (b,), generator=g)
            else:
                tok = torch.randint(0, vocab, (b, t), generator=g)
                masked = torch.rand(b, t, generator=g) < 0.15  # Devlin et al. 2019, sec. 3.1
                yield tok, torch.where(masked, tok, torch.full_like(tok, -100))

    loss = {"causal": _causal_loss, "masked": _masked_loss, "classify": _classify_loss, "base": _base_loss}[head]
    # named as `plan` names the file: its _name_or_path (not a local path), else its folder (NAME/config.json) or
    # file name; every config without _name_or_path was 'hf-llama', 'hf-gpt2', ... whatever its folder
    name = config_model_name(d.get("_name_or_path"), p) or f"hf-{d['model_type']}"
    # the head that was built is part of the name every report prints (the architectures list decides it)
    name = f"{name} ({type(model).__name__}{f', {labels} labels' if head == 'classify' else ''})"
    facts = {"seq_len": t, "tokens_per_batch": b * t, "model_type": d["model_type"], "head": head,
             "hf_config": str(p), "transformers_version": tf.__version__, "weights": weights,
             "source_kind": "hf-config", "config_notes": _config_notes(config, d, tf.__version__)}
    if meta_error:
        facts["meta_build_error"] = meta_error
    if seq_len is None:  # the default length was used: its reports say so (predict.inference._capture_notes)
        facts["seq_len_default"] = [t, _DEFAULT_SEQ_LEN, max_pos or 0]  # tokens, the default, positions (0: none)
    bundle = ModelBundle(name=str(name), model=model, batches=batches, loss_fn=loss, batch_size=b, meta=facts)
    bundle.meta["params"] = bundle.param_count()
    _check_one_count(config, d, p, bundle.meta["params"], tf.__version__)
    return bundle
