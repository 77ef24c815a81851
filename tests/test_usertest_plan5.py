"""A new user's pass over `plan`, `plan explain` and `plan serve` (2026-12-03, ut_plan): what a preset and the same
model's config.json say, and what `plan serve` says for a request that decodes nothing. Each test names what it
printed before."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main
from hf_configs import GEMMA2_9B


def _softcap_notes(out: str) -> list[str]:
    return [n for n in json.loads(out)["notes"] if "attn_logit_softcapping" in n]


@pytest.mark.parametrize("command", [["plan", "explain", "--devices", "8", "--tp", "8"],
                                     ["plan", "--devices", "8", "--tokens", "1e9", "--top", "1"]])
def test_gemma2_preset_names_its_softcapping_as_its_config_does(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                command: list[str]) -> None:
    """`--model gemma2-9b` (the preset) printed no attn_logit_softcapping note, while google/gemma-2-9b's config.json
    (attn_logit_softcapping 50.0) printed one: the same model, timed with the default cuDNN fused attention that
    Transformer Engine does not run for a soft-capped model (NVIDIA/TransformerEngine PR #3391), said for one
    spelling only. Both now carry the same note."""
    cfg = tmp_path / "gemma-2-9b" / "config.json"
    cfg.parent.mkdir()
    cfg.write_text(json.dumps(GEMMA2_9B), encoding="utf-8")
    notes = {}
    for model in ("gemma2-9b", str(cfg)):
        code, out, err = run_main([*command, "--model", model, "--hardware", "h100-sxm", "--json"], capsys)
        assert code == 0, err
        notes[model] = _softcap_notes(out)
    assert len(notes[str(cfg)]) == 1 and "--attention-kernel flash2" in notes[str(cfg)][0]
    assert notes["gemma2-9b"] == notes[str(cfg)]


def test_plan_serve_html_is_written_when_no_device_serves(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """`plan serve --html` wrote no page when no device could serve the model (Mixtral 8x7B in bf16 on one H100 or
    one L4: the weights alone need 87 GiB), while `--json` printed the same run's per-device errors and `plan` /
    `plan explain` write their page on exit 2 too: the reasons were on the console only. The page now names each
    device's problem, as --json does, and the exit status stays 2."""
    page = tmp_path / "serve.html"
    code, _, err = run_main(["plan", "serve", "--model", "mixtral-8x7b", "--hardware", "h100-sxm,l4", "--batch", "1",
                             "--html", str(page)], capsys)
    assert code == 2 and "error:" in err
    code, out, _ = run_main(["plan", "serve", "--model", "mixtral-8x7b", "--hardware", "h100-sxm,l4", "--batch", "1",
                             "--json"], capsys)
    errors = json.loads(out)["errors"]
    assert code == 2 and [e["device"] for e in errors] == ["h100-sxm", "l4"]
    assert page.is_file(), "no HTML page written"
    text = page.read_text(encoding="utf-8")
    for e in errors:  # the page says what --json says, device by device
        assert e["device"] in text and e["problem"].split(":")[-1].strip()[:40] in text


def _seq_notes(out: str) -> list[str]:
    return [n for n in json.loads(out)["notes"] if n.startswith("training sequences of")]


@pytest.mark.parametrize("preset, seq_len", [("qwen3-8b", 40960), ("qwen2.5-0.5b", 32768), ("mistral-7b-v0.2", 32768)])
def test_preset_trained_at_its_context_says_so(capsys: pytest.CaptureFixture[str], preset: str, seq_len: int) -> None:
    """`plan --model qwen3-8b` trained on 40,960-token sequences (the preset's seq_len: Qwen3-8B's config.json
    max_position_embeddings, past its 32,768 native positions by YaRN) without a word, while the same model's
    config.json trains on 8,192 with the note 'training sequences of 8,192 tokens assumed (--seq-len left out)'.
    A preset whose sequence is its context length, not a published run's, now says so too; the figure is kept."""
    code, out, err = run_main(["plan", "explain", "--model", preset, "--hardware", "h100-sxm", "--devices", "8",
                               "--cp", "8", "--zero", "3", "--json"], capsys)
    assert code == 0, err
    [note] = _seq_notes(out)
    assert f"{seq_len:,} tokens" in note and "--seq-len" in note
    code, out, err = run_main(["plan", "explain", "--model", preset, "--seq-len", "4096", "--hardware", "h100-sxm",
                               "--devices", "8", "--zero", "3", "--json"], capsys)
    assert code == 0 and _seq_notes(out) == [], err


@pytest.mark.parametrize("preset", ["llama3-8b", "gemma2-9b", "deepseek-v3", "gpt3-175b"])
def test_preset_at_its_published_sequence_says_nothing(capsys: pytest.CaptureFixture[str], preset: str) -> None:
    """Presets whose seq_len is their published run's (Llama 3's 8,192, DeepSeek-V3's 4,096, GPT-3's 2,048) keep
    no such note."""
    code, out, err = run_main(["plan", "explain", "--model", preset, "--hardware", "h100-sxm", "--devices", "1024",
                               "--tp", "8", "--json"], capsys)
    assert code in (0, 2) and _seq_notes(out) == [], err
