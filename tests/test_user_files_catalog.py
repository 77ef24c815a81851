"""A user's own device spec TOML (`catalog show FILE`, `--catalog`, `--hardware FILE`): a new device from the README
alone loads with the right derived figures; a misspelt [sources] header or citation key, a field above [[device]] and
a size written as text are errors naming the file, the field and the fix (exit 2), no longer printed as citations or
dropped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main_expect as _cli

SPEC = """[sources]
ds = "My vendor datasheet 2026, table 1"

[[device]]
name = "my-npu"
display_name = "[red]My NPU[/]"
kind = "npu"
vendor = "Acme"
peak_flop_per_s = { bf16 = [400e12, "ds"] }
memory_bytes = [48e9, "ds"]
memory_bandwidth_byte_per_s = [1.2e12, "ds"]
tdp_w = [300, "ds"]
"""


def _spec(tmp_path: Path, text: str = SPEC) -> str:
    p = tmp_path / "npu.toml"
    p.write_text(text)
    return str(p)


def test_a_new_device_shows_its_figures(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Ridge point 400e12 / 1.2e12 = 333.3 FLOP/B; 48e9 B = 44.7 GiB; the citation is the [sources] text and the
    display name prints as typed (not as markup)."""
    out, _ = _cli(capsys, "catalog", "show", _spec(tmp_path))
    assert "[red]My NPU[/]" in out and "333.3 FLOP/B" in out and "44.7 GiB" in out
    assert "My vendor datasheet 2026, table 1" in out
    data = json.loads(_cli(capsys, "catalog", "show", _spec(tmp_path), "--json")[0])
    assert data["device"]["memory_bytes"] == 48e9


@pytest.mark.parametrize(("old", "new", "named"), [
    ("[sources]", "[sourcs]", "unknown table(s) or top-level key(s) sourcs"),
    ("[sources]", 'vendor_url = "x"\n[sources]', "unknown table(s) or top-level key(s) vendor_url"),
    ('[400e12, "ds"]', '[400e12, "dss"]', "peak_flop_per_s.bf16 cites 'dss', which is not a key of [sources] (ds)"),
    ('[48e9, "ds"]', '"48 GB"', "memory_bytes = '48 GB' is text, not a number with its source"),
    ("[[device]]", "[[devices]]", "has no [[device]] table (it holds devices)"),
])
def test_a_misspelt_or_misplaced_entry_is_named(old: str, new: str, named: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Were: the [sourcs] table and vendor_url dropped (each citation printed as the word 'ds'), 'dss' printed as the
    citation itself, '48 GB' reported as 'has no source'."""
    path = _spec(tmp_path, SPEC.replace(old, new, 1))
    _, err = _cli(capsys, "catalog", "show", path, code=2)
    assert path in err and named in err and "fix:" in err


@pytest.mark.parametrize(("line", "shown"), [('name = "npu,v2"', "'npu,v2'"), ('name = "  "', "'  '"),
                                             ('name = "my-npu"\naliases = ["a,b"]', "alias 'a,b'")])
def test_a_name_that_hardware_cannot_take_is_refused(line: str, shown: str, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    # a device named 'npu,v2' loaded, then `plan --hardware npu,v2` read two devices and said "unknown device
    # 'npu': did you mean 'npu,v2'?", the name the user had typed
    path = _spec(tmp_path, SPEC.replace('name = "my-npu"', line))
    _, err = _cli(capsys, "catalog", "list", "--catalog", path, code=2)
    assert shown in err and "comma" in err and "fix:" in err


@pytest.mark.parametrize(("line", "shown", "fix"), [('name = "my npu"', "'my npu'", "'my-npu'"),
                                                    ('name = "my-npu"\naliases = ["npu\\tv2"]', "alias 'npu\\tv2'",
                                                     "'npu-v2'")])
def test_a_name_with_a_blank_inside_is_refused(line: str, shown: str, fix: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """'my npu' loaded, and `--hardware my npu` then passed two words; no bundled device name or alias holds a
    blank (they are one --hardware word each)."""
    path = _spec(tmp_path, SPEC.replace('name = "my-npu"', line))
    _, err = _cli(capsys, "catalog", "list", "--catalog", path, code=2)
    assert shown in err and "one word" in err and fix in err.split("fix:")[1]


def test_no_bundled_device_name_holds_a_blank() -> None:
    from accelopt.hardware.catalog import load_catalog

    labels = [x for s in load_catalog().specs.values() for x in (s.name, *s.aliases)]
    assert labels and not [x for x in labels if any(c.isspace() for c in x)]


@pytest.mark.parametrize(("old", "new", "said"), [
    ('kind = "npu"', 'kind = "NPU"',
     "kind 'NPU' is not one of gpu, tpu, asic, fpga, npu, cpu (the names are lower case: npu)"),
    ("{ bf16 = ", "{ BF16 = ", "unknown dtype 'BF16' (the names are lower case: bf16)"),
])
def test_a_name_refused_only_for_its_case_says_so(old: str, new: str, said: str, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """kind = "NPU" (a vendor's spelling) was told it is not a kind at all, as BF16 was not a dtype (uttrial3)."""
    _, err = _cli(capsys, "catalog", "show", _spec(tmp_path, SPEC.replace(old, new)), code=2)
    assert said in " ".join(err.split()), err
