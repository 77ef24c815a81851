"""`plan infer` of a config.json that is a JSON list or number said "has no 'model_type'" and asked to add the key,
as if one were missing from an object (a user trial, utplan3): it now names what the file holds. `plan` and
`plan serve` already said 'holds no JSON object'."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main


@pytest.mark.parametrize(("text", "kind"), [("[1, 2]", "list"), ("3", "number"), ('"llama"', "string"),
                                            ("null", "null")])
def test_a_config_that_is_not_an_object_is_named_so(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str,
                                                    kind: str) -> None:
    pytest.importorskip("transformers")
    p = tmp_path / "config.json"
    p.write_text(text, encoding="utf-8")
    code, _, err = run_main(["plan", "infer", str(p), "--hardware", "h100-sxm", "--batch", "1"], capsys)
    assert code == 2 and "Traceback" not in err
    flat = " ".join(err.split())
    assert f"holds a JSON {kind}, not an object of keys" in flat and "has no 'model_type'" not in flat, flat
