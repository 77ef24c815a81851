"""utserve2 (2026-12-05): `plan serve --batch max` (and `--concurrency max`, `--rate`) at --pp 1 ran at the default
max_batch_size 2048 where the KV cache holds more, beside 'max batch that fits: 2985', and no line said the 2048 was a
default: a tiny config on one H100 at 100 + 100 tokens showed 'batch 2048' with 51 of 72 GiB used. The default is now
printed as 'default used:' where it sets the requests in flight, and not where memory does or the flag was given."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import run_main, write_config

SMALL = {"model_type": "llama", "hidden_size": 3072, "num_hidden_layers": 30, "num_attention_heads": 24,
         "num_key_value_heads": 6, "head_dim": 160, "intermediate_size": 8192, "vocab_size": 50000,
         "max_position_embeddings": 8192}
SERVE = ["plan", "serve", "--hardware", "h100-sxm", "--prompt", "100", "--output", "100"]


def _serve(tmp_path: Any, capsys: pytest.CaptureFixture[str], *flags: str) -> tuple[int, dict[str, Any]]:
    cfg = write_config(tmp_path, SMALL)
    code, out, _ = run_main([*SERVE, "-m", str(cfg), *flags, "--json"], capsys)
    return code, json.loads(out)


def _cap_notes(doc: dict[str, Any]) -> list[str]:
    return [n for n in doc["notes"] if "--max-batch-size was left out" in n]


@pytest.mark.parametrize("load", [["--batch", "max"], ["--concurrency", "max"]])
def test_default_cap_that_sets_the_load_is_printed(tmp_path: Any, capsys: pytest.CaptureFixture[str],
                                                    load: list[str]) -> None:
    code, doc = _serve(tmp_path, capsys, *load)
    sweep = doc["results"][0]
    assert code == 0 and sweep["points"][0]["batch"] == 2048 and sweep["max_batch"] > 2048, sweep["max_batch"]
    notes = _cap_notes(doc)
    assert len(notes) == 1 and notes[0].startswith("default used:") and "h100-sxm: 2,048" in notes[0], doc["notes"]


def test_text_output_prints_it_too(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = write_config(tmp_path, SMALL)
    code, out, err = run_main([*SERVE, "-m", str(cfg), "--batch", "max"], capsys)
    assert code == 0 and "--max-batch-size was left out" in " ".join((out + err).split()), out


def test_no_note_where_memory_sets_the_load_or_the_flag_is_given(tmp_path: Any,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code, doc = _serve(tmp_path, capsys, "--batch", "max", "--max-batch-size", "2048")
    assert code == 0 and not _cap_notes(doc), doc["notes"]
    cfg = write_config(tmp_path, SMALL)  # a 2048-token prompt: the KV cache holds 261, below the cap
    code, out, _ = run_main(["plan", "serve", "--hardware", "h100-sxm", "-m", str(cfg), "--batch", "max", "--json"],
                            capsys)
    doc = json.loads(out)
    assert code == 0 and doc["results"][0]["points"][0]["batch"] < 2048 and not _cap_notes(doc), doc["notes"]
