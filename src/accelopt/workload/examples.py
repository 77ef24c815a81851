"""Built-in examples that learn a real task offline, so a quality delta means something.

- `digits`: a small CNN trained on scikit-learn's bundled 8x8 handwritten digits (`load_digits`, 1,797
  images, UCI "Optical Recognition of Handwritten Digits"; nothing downloaded); held-out test accuracy.
- `chargpt`: a small character-level GPT trained on a fixed list of the Python standard library's own
  source files (they ship with every Python); held-out cross-entropy in nats per character and
  perplexity = exp(loss).

Each trains in seconds to a minute on 2 CPU cores from a fixed seed; the trained weights are cached
under $ACCELOPT_HOME/examples/<name>-<config hash>.pt (and in this process), so later runs and the
demo do not retrain. `build(name)` returns a ModelBundle with `eval_batches` (the held-out set) and a
`metric`, and `meta["trained_quality"]` holds the quality measured right after training.
"""

from __future__ import annotations

import hashlib
import json
import sys
import sysconfig
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from accelopt.errors import InputError, unknown_name
from accelopt.paths import accelopt_home
from accelopt.workload.userfile import ModelBundle

__all__ = ["build", "list_examples", "trained_state"]

CACHE_VERSION = 2
"""Bumped when training code changes in a way the config hash does not see."""
_MEMO: dict[str, tuple[dict[str, Any], dict[str, float]]] = {}
"""In-process cache: config hash -> (state dict, trained quality)."""


def _log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- digits
@dataclass(frozen=True)
class DigitsCfg:
    channels: tuple[int, int] = (32, 64)
    hidden: int = 128
    epochs: int = 8
    batch: int = 64
    lr: float = 2e-3
    test_fraction: float = 0.2
    seed: int = 0


def _digits_data(cfg: DigitsCfg) -> tuple[Any, Any, Any, Any]:
    """(x_train, y_train, x_test, y_test); images (N, 1, 8, 8) scaled to 0..1 (pixel values are 0..16)."""
    import torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x_tr, x_te, y_tr, y_te = train_test_split(d.images, d.target, test_size=cfg.test_fraction,
                                              random_state=cfg.seed, stratify=d.target)
    def tx(a: Any) -> Any:
        return torch.tensor(a, dtype=torch.float32).unsqueeze(1) / 16.0

    return tx(x_tr), torch.tensor(y_tr), tx(x_te), torch.tensor(y_te)


def _digits_model(cfg: DigitsCfg) -> Any:
    from torch import nn

    c1, c2 = cfg.channels
    return nn.Sequential(
        nn.Conv2d(1, c1, 3, padding=1), nn.ReLU(),   # (B, c1, 8, 8)
        nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(),  # (B, c2, 8, 8)
        nn.MaxPool2d(2),                             # (B, c2, 4, 4)
        nn.Flatten(), nn.Linear(c2 * 16, cfg.hidden), nn.ReLU(), nn.Linear(cfg.hidden, 10))


def _batched(x: Any, y: Any, batch: int, *, shuffle_seed: int | None, drop_last: bool) -> Iterator[tuple[Any, Any]]:
    import torch

    n = x.shape[0]
    order = (torch.randperm(n, generator=torch.Generator().manual_seed(shuffle_seed)) if shuffle_seed is not None
             else torch.arange(n))
    stop = n - n % batch if drop_last else n
    for i in range(0, stop, batch):
        idx = order[i:i + batch]
        yield x[idx], y[idx]


def accuracy(model: Any, batches: Iterator[tuple[Any, Any]]) -> float:
    """Fraction of samples whose argmax over the last dimension equals the label."""
    import torch

    right = total = 0
    model.eval()
    with torch.inference_mode():
        for x, y in batches:
            right += int((model(x).argmax(-1) == y).sum())
            total += int(y.numel())
    return right / total


def _train_digits(cfg: DigitsCfg) -> tuple[dict[str, Any], dict[str, float]]:
    import torch
    import torch.nn.functional as F

    torch.manual_seed(cfg.seed)
    x_tr, y_tr, x_te, y_te = _digits_data(cfg)
    model = _digits_model(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    for epoch in range(cfg.epochs):
        model.train()
        for x, y in _batched(x_tr, y_tr, cfg.batch, shuffle_seed=cfg.seed + epoch, drop_last=False):
            opt.zero_grad(set_to_none=True)
            F.cross_entropy(model(x), y).backward()
            opt.step()
    acc = accuracy(model, _batched(x_te, y_te, 256, shuffle_seed=None, drop_last=False))
    return model.state_dict(), {"test_accuracy": acc, "test_samples": float(y_te.numel()),
                                "train_samples": float(y_tr.numel())}


def _build_digits(batch_size: int | None, seq_len: int | None) -> ModelBundle:
    import torch
    from torch import nn

    if seq_len is not None:
        raise InputError("digits has no sequence length (its images are 8x8)", "leave out --seq-len for digits")
    cfg = DigitsCfg()
    state, quality = trained_state("digits", cfg, lambda: _train_digits(cfg))
    model = _digits_model(cfg)
    model.load_state_dict(state)
    x_tr, y_tr, x_te, y_te = _digits_data(cfg)
    b = batch_size or cfg.batch
    if b > x_tr.shape[0]:
        raise InputError(f"batch size {b} exceeds the {x_tr.shape[0]} training images of digits",
                         f"pass --batch-size {x_tr.shape[0]} or less")
    return ModelBundle(
        name="digits", model=model,
        batches=lambda: _batched(x_tr, y_tr, b, shuffle_seed=cfg.seed, drop_last=True),
        eval_batches=lambda: _batched(x_te, y_te, 120, shuffle_seed=None, drop_last=False),
        loss_fn=nn.functional.cross_entropy, metric="accuracy",
        make_optimizer=lambda params: torch.optim.AdamW(params, lr=1e-4),
        batch_size=b,
        meta={"image_size": 8, "source": "scikit-learn load_digits (UCI optical digits), stratified 80/20 split",
              "trained_quality": quality, "config": asdict(cfg), "source_kind": "example"})


# --------------------------------------------------------------------------- chargpt
# Fixed, ordered list: sizeable pure-Python modules present in every CPython 3.10+ install.
CHARGPT_FILES = ("textwrap.py", "shlex.py", "string.py", "fnmatch.py", "heapq.py", "bisect.py", "calendar.py",
                 "argparse.py")
VOCAB = "\n\t" + "".join(chr(c) for c in range(32, 127))
"""97 symbols: newline, tab and printable ASCII; anything else maps to '?'."""


@dataclass(frozen=True)
class CharGptCfg:
    layers: int = 2
    hidden: int = 64
    heads: int = 4
    ffn: int = 256
    seq: int = 64
    batch: int = 16
    steps: int = 400
    lr: float = 3e-3
    heldout_fraction: float = 0.1
    seed: int = 0


def _stdlib_text() -> str:
    root = Path(sysconfig.get_paths()["stdlib"])
    parts = []
    for name in CHARGPT_FILES:
        p = root / name
        if not p.is_file():
            raise InputError(f"chargpt: the standard library file {str(p)!r} is missing",
                             "use a full CPython install (its Lib/ folder holds the training text)")
        parts.append(p.read_text(encoding="utf-8", errors="replace"))
    return "\n".join(parts)


def _encode(text: str) -> Any:
    import torch

    index = {ch: i for i, ch in enumerate(VOCAB)}
    unknown = index["?"]
    return torch.tensor([index.get(ch, unknown) for ch in text], dtype=torch.long)


def _chargpt_data(cfg: CharGptCfg, text: str) -> tuple[Any, Any]:
    """(train tokens, held-out tokens): the last `heldout_fraction` of the text is held out."""
    ids = _encode(text)
    cut = int(len(ids) * (1 - cfg.heldout_fraction))
    return ids[:cut], ids[cut:]


def _windows(ids: Any, cfg: CharGptCfg, batch: int, *, seed: int | None,
             count: int | None) -> Iterator[tuple[Any, Any]]:
    """Batches of (B, T) inputs and next-character targets. seed None: consecutive non-overlapping windows
    (the held-out set, each character predicted once); else `count` batches of random windows."""
    import torch

    t = cfg.seq
    if seed is None:
        n = (len(ids) - 1) // t
        starts = torch.arange(n) * t
    else:
        g = torch.Generator().manual_seed(seed)
        starts = torch.randint(0, len(ids) - t - 1, ((count or 1) * batch,), generator=g)
    offs = torch.arange(t)
    for i in range(0, len(starts) - batch + 1 if seed is not None else len(starts), batch):
        s = starts[i:i + batch, None] + offs  # (B, T)
        yield ids[s], ids[s + 1]


def _chargpt_model(cfg: CharGptCfg) -> Any:
    from accelopt.workload.zoo import _TfCfg, _transformer_classes

    _, LM = _transformer_classes()
    tf = _TfCfg(cfg.layers, cfg.hidden, cfg.heads, cfg.ffn, len(VOCAB), cfg.seq, cfg.batch)
    return LM(tf, cfg.seq, causal=True)


def mean_loss(model: Any, batches: Iterator[tuple[Any, Any]], loss_fn: Callable[[Any, Any], Any]) -> float:
    """Mean of loss_fn over batches, weighted by the number of targets."""
    import torch

    total = weight = 0.0
    model.eval()
    with torch.inference_mode():
        for x, y in batches:
            n = float(y.numel())
            total += float(loss_fn(model(x), y)) * n
            weight += n
    return total / weight


def _train_chargpt(cfg: CharGptCfg, text: str) -> tuple[dict[str, Any], dict[str, float]]:
    import math

    import torch

    from accelopt.workload.zoo import _lm_loss

    torch.manual_seed(cfg.seed)
    train, held = _chargpt_data(cfg, text)
    model = _chargpt_model(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=cfg.steps, pct_start=0.1)
    model.train()
    for x, y in _windows(train, cfg, cfg.batch, seed=cfg.seed, count=cfg.steps):
        opt.zero_grad(set_to_none=True)
        _lm_loss(model(x), y).backward()
        opt.step()
        sched.step()
    loss = mean_loss(model, _windows(held, cfg, 64, seed=None, count=None), _lm_loss)
    # unigram entropy of the held-out text under the training character frequencies: what a model that
    # learned nothing but character counts would score (a yardstick for the trained loss)
    counts = torch.bincount(train, minlength=len(VOCAB)).double() + 1.0
    logp = (counts / counts.sum()).log()
    unigram = float(-logp[held].mean())
    return model.state_dict(), {"heldout_loss": loss, "heldout_perplexity": math.exp(loss),
                                "unigram_loss": unigram, "train_chars": float(len(train)),
                                "heldout_chars": float(len(held))}


def _build_chargpt(batch_size: int | None, seq_len: int | None) -> ModelBundle:
    import torch

    from accelopt.workload.zoo import _lm_loss

    cfg = CharGptCfg()
    if seq_len is not None and seq_len != cfg.seq:
        raise InputError(f"chargpt was trained with {cfg.seq}-character windows, not {seq_len}",
                         f"leave out --seq-len (or pass {cfg.seq}) for chargpt")
    text = _stdlib_text()
    state, quality = trained_state("chargpt", cfg, lambda: _train_chargpt(cfg, text), text=text)
    model = _chargpt_model(cfg)
    model.load_state_dict(state)
    train, held = _chargpt_data(cfg, text)
    b = batch_size or 16
    return ModelBundle(
        name="chargpt", model=model,
        batches=lambda: _windows(train, cfg, b, seed=cfg.seed + 1, count=8),
        eval_batches=lambda: _windows(held, cfg, 64, seed=None, count=None),
        loss_fn=_lm_loss, metric="loss",
        make_optimizer=lambda params: torch.optim.AdamW(params, lr=1e-4),
        batch_size=b,
        meta={"seq_len": cfg.seq, "tokens_per_batch": b * cfg.seq, "vocab": len(VOCAB),
              "source": "character-level LM on CPython stdlib sources: " + ", ".join(CHARGPT_FILES) +
                        "; last 10% held out",
              "trained_quality": quality, "config": asdict(cfg), "source_kind": "example"})


# --------------------------------------------------------------------------- cache + registry
def config_hash(name: str, cfg: Any, text: str = "") -> str:
    """Hash of everything that decides the trained weights: example, config, training text, torch version."""
    import torch

    blob = json.dumps({"name": name, "cfg": asdict(cfg), "v": CACHE_VERSION, "torch": torch.__version__,
                       "text": hashlib.sha256(text.encode()).hexdigest()}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def trained_state(name: str, cfg: Any, train: Callable[[], tuple[dict[str, Any], dict[str, float]]],
                  text: str = "") -> tuple[dict[str, Any], dict[str, float]]:
    """(state dict, trained quality), from this process's memo, the disk cache, or by training (then cached)."""
    import torch

    key = config_hash(name, cfg, text)
    if key in _MEMO:
        return _MEMO[key]
    path = accelopt_home() / "examples" / f"{name}-{key}.pt"
    if path.is_file():
        try:
            saved = torch.load(path, weights_only=True)
            _MEMO[key] = (saved["state"], saved["quality"])
            return _MEMO[key]
        except Exception as e:  # a truncated or foreign file: retrain and overwrite, saying so
            _log(f"example {name}: cached weights at {path} unreadable ({type(e).__name__}); retraining")
    _log(f"example {name}: training (once; cached at {path}) ...")
    t0 = time.perf_counter()
    # one intra-op thread while training: the same reduction order on every machine (reproducible weights), and
    # no OpenMP spin-waiting when other processes share the cores
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        state, quality = train()
    finally:
        torch.set_num_threads(threads)
    quality = {**quality, "train_time_s": time.perf_counter() - t0}
    _log(f"example {name}: trained in {quality['train_time_s']:.1f} s: "
         + ", ".join(f"{k} {v:.4g}" for k, v in quality.items() if k != "train_time_s"))
    _MEMO[key] = (state, quality)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        torch.save({"state": state, "quality": quality}, tmp)
        tmp.replace(path)
    except OSError as e:
        _log(f"example {name}: could not cache weights at {path} ({e.strerror or e}); they will be retrained")
    return _MEMO[key]


_BUILDERS: dict[str, Callable[[int | None, int | None], ModelBundle]] = {
    "digits": _build_digits, "chargpt": _build_chargpt}
DESCRIPTIONS = {"digits": "CNN on scikit-learn's 8x8 digits, held-out accuracy",
                "chargpt": "character-level GPT on Python stdlib sources, held-out loss"}


def list_examples() -> list[str]:
    return sorted(_BUILDERS)


def build(name: str, *, batch_size: int | None = None, seq_len: int | None = None) -> ModelBundle:
    """A trained built-in example (trains once, then loads cached weights)."""
    key = name.lower()
    if key not in _BUILDERS:
        raise unknown_name("example", name, list_examples())
    for flag, v in (("--batch-size", batch_size), ("--seq-len", seq_len)):
        if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 1):
            raise InputError(f"{flag} {v!r} must be a positive integer", f"pass a positive {flag}")
    bundle = _BUILDERS[key](batch_size, seq_len)
    bundle.meta["params"] = bundle.param_count()
    return bundle
