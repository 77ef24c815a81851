"""`plan serve --help` says what --hardware and --catalog take, as `plan --help` does (ut_readme).

`plan serve --help` said '--hardware: Device name(s), comma-separated' and '--catalog: Extra catalog TOML file(s).',
while plan serve takes a spec TOML path as a device (README: a measured spec from `probe --save`, a design from
`simulate export`) and --catalog repeats, as `plan --help` says for both."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main


def _option_text(help_text: str, flag: str) -> str:
    """The help of one option: its row and the wrapped rows under it, up to the next option."""
    rows = [r.strip("│ ") for r in help_text.splitlines()]
    start = next(i for i, r in enumerate(rows) if r.startswith(flag + " "))
    out = [rows[start]]
    for r in rows[start + 1:]:
        if r.startswith("-"):
            break
        out.append(r)
    return " ".join(out)


def test_serve_help_names_spec_paths_and_repeatable_catalog(capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "400")
    code, out, _ = run_main(["plan", "serve", "--help"], capsys)
    assert code == 0
    assert "spec TOML" in _option_text(out, "--hardware")
    assert "repeatable" in _option_text(out, "--catalog")


def test_serve_takes_a_spec_path_as_its_help_says(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = Path(__file__).resolve().parents[1] / "examples" / "my_accelerator.toml"
    code, out, err = run_main(["plan", "serve", "--model", "llama3-8b", "--hardware", str(spec), "--batch", "1",
                               "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["results"][0]["device"] == "my-asic"
