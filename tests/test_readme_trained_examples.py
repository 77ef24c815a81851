"""The quality figures README.md quotes for the built-in trained examples (`accelopt optimize digits`, `chargpt`) are
the ones their training gives: README says both 'train once from a fixed seed with one thread (reproducible
weights)', so each figure is compared at the digits the README writes it. chargpt was never trained by any test, so
its quoted loss, perplexity and size were checked by nothing (utreadme, 2026-12-05; all true then)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from accelopt.workload import examples

README = re.sub(r"\s+", " ", (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8"))


def _quoted(pattern: str) -> tuple[str, ...]:
    m = re.search(pattern, README)
    assert m, f"README.md no longer has a sentence matching {pattern!r}: update this test with it"
    return m.groups()


def _same_as_written(written: str, actual: float) -> None:
    decimals = len(written.split(".")[1]) if "." in written else 0
    assert abs(float(written) - actual) <= 0.5 * 10.0 ** -decimals + 1e-12, f"README says {written}, got {actual}"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ACCELOPT_HOME", str(tmp_path))  # train here, not in the user's cache
    return tmp_path


def test_digits_figures(home: Path) -> None:
    train_pct, test_pct, acc, n_test = _quoted(
        r"`digits`: a small CNN trained on scikit-learn's bundled 8x8 handwritten digits \(`load_digits`, no "
        r"download\), stratified (\d+)/(\d+) split: \*\*([\d.]+) held-out accuracy\*\* on the (\d+) test digits")
    q = examples.build("digits").meta["trained_quality"]
    _same_as_written(acc, q["test_accuracy"])
    assert int(n_test) == q["test_samples"]
    total = q["train_samples"] + q["test_samples"]
    assert round(100 * q["train_samples"] / total) == int(train_pct)
    assert round(100 * q["test_samples"] / total) == int(test_pct)


def test_chargpt_figures(home: Path) -> None:
    layers, width, params_k, heldout_pct, loss, ppl, unigram = _quoted(
        r"`chargpt`: a (\d+)-layer, (\d+)-wide character-level GPT \((\d+)k parameters\) .*?; last (\d+)% held out: "
        r"\*\*held-out loss "
        r"([\d.]+) nats/char \(perplexity ([\d.]+)\)\*\* against ([\d.]+) for character frequencies alone")
    bundle = examples.build("chargpt")
    q = bundle.meta["trained_quality"]
    _same_as_written(loss, q["heldout_loss"])
    _same_as_written(ppl, q["heldout_perplexity"])
    _same_as_written(unigram, q["unigram_loss"])
    _same_as_written(params_k, bundle.param_count() / 1e3)
    cfg = examples.CharGptCfg()
    assert (int(layers), int(width)) == (cfg.layers, cfg.hidden)
    assert int(heldout_pct) == round(100 * cfg.heldout_fraction)
    assert round(100 * q["heldout_chars"] / (q["train_chars"] + q["heldout_chars"])) == int(heldout_pct)
