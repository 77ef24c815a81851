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
