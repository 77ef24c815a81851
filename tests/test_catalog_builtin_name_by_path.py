"""A spec TOML passed by path whose device took a built-in name ("h100-sxm") was accepted and got that family's
calibration, while `--catalog` refused the same file (README: "A user entry may not take the name or an alias of a
built-in device"). By path it is refused the same way now, naming the fix (rename the device). And the unknown-device
message names --catalog FILE for a device of the user's own catalog file."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_main

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "my_accelerator.toml"  # my-asic, alias my-chip


def _spec(tmp_path: Path, name: str, aliases: str = "[]") -> Path:
    text = EXAMPLE.read_text(encoding="utf-8").replace('name = "my-asic"', f'name = "{name}"')
    p = tmp_path / "d4.toml"
    p.write_text(text.replace('aliases = ["my-chip"]', f"aliases = {aliases}"), encoding="utf-8")
    return p


@pytest.mark.parametrize(("name", "aliases", "taken"), [("h100-sxm", "[]", "h100-sxm"),
                                                         ("H100-SXM", "[]", "H100-SXM"),
                                                         ("our-chip", '["h100"]', "h100")])
def test_a_spec_path_may_not_take_a_builtin_name(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str,
                                                 aliases: str, taken: str) -> None:
    spec = _spec(tmp_path, name, aliases)
    for argv in (["plan", "--model", "llama3-8b", "--hardware", str(spec)],
                 ["plan", "--model", "llama3-8b", "--hardware", "h100-sxm", "--catalog", str(spec)]):
        code, out, err = run_main(argv, capsys)
        assert code == 2 and "Traceback" not in err and out == "", argv
        assert f"uses the name {taken!r} of the built-in device 'h100-sxm'" in err and "rename it" in err, argv


def test_a_spec_path_with_its_own_name_still_plans(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["plan", "--model", "llama3-8b", "--hardware", str(_spec(tmp_path, "our-chip")),
                               "--devices", "8"], capsys)
    assert code in (0, 2) and "built-in" not in err and "our-chip" in out


def test_unknown_device_names_the_catalog_flag(capsys: pytest.CaptureFixture[str]) -> None:
    code, _out, err = run_main(["plan", "--model", "llama3-8b", "--hardware", "acme-x1"], capsys)
    assert code == 2 and "unknown device 'acme-x1'" in err
    assert "--catalog FILE for a device of your own catalog file" in err
