"""User catalog files (--catalog) and measured spec files: every mistake is an InputError that
names the file, the device and the field, and says the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelopt.errors import InputError, UnknownNameError
from accelopt.hardware.catalog import get_device, load_catalog, load_file

GOOD = """
[sources]
ds = "My chip datasheet rev 1, table 1"

[[device]]
name = "my-npu"
kind = "npu"
vendor = "Me"
peak_flop_per_s = { int8 = [100e12, "ds"], bf16 = [50e12, "ds"] }
memory_bytes = [16e9, "ds"]
memory_bandwidth_byte_per_s = [400e9, "ds"]
tdp_w = [40, "ds"]
"""


def _write(tmp_path: Path, text: str, name: str = "mine.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_good_user_file_adds_a_device(tmp_path: Path) -> None:
    cat = load_catalog([_write(tmp_path, GOOD)])
    spec = cat.get("my-npu")
    assert spec.peak("int8") == 100e12
    assert spec.sources["peak_flop_per_s.int8"] == "My chip datasheet rev 1, table 1"
    assert "h100-sxm" in cat  # built-ins are still there


def test_missing_source_names_file_device_and_field(tmp_path: Path) -> None:
    p = _write(tmp_path, GOOD.replace('int8 = [100e12, "ds"]', "int8 = 100e12"))
    with pytest.raises(InputError) as e:
        load_file(p)
    assert str(p) in e.value.problem and "my-npu" in e.value.problem
    assert "peak_flop_per_s.int8" in e.value.problem and "source" in e.value.fix


def test_unknown_field(tmp_path: Path) -> None:
    p = _write(tmp_path, GOOD.replace('tdp_w = [40, "ds"]', 'tdp_watts = [40, "ds"]'))
    with pytest.raises(InputError) as e:
        load_file(p)
    assert "tdp_watts" in e.value.problem and "tdp_w" in e.value.fix


def test_bad_kind_names_the_file(tmp_path: Path) -> None:
    p = _write(tmp_path, GOOD.replace('kind = "npu"', 'kind = "xpu"'))
    with pytest.raises(InputError) as e:
        load_file(p)
    assert str(p) in e.value.problem and "kind" in e.value.problem and "'xpu'" in e.value.problem
    assert "gpu" in e.value.fix


def test_bad_toml(tmp_path: Path) -> None:
    p = _write(tmp_path, GOOD.replace('name = "my-npu"', "name = my-npu"))
    with pytest.raises(InputError, match="not valid TOML") as e:
        load_file(p)
    assert "syntax" in e.value.fix


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist") as e:
        load_catalog([tmp_path / "nope.toml"])
    assert "--catalog" in e.value.fix


def test_unknown_dtype_and_missing_required_field(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="fp128") as e:
        load_file(_write(tmp_path, GOOD.replace("bf16 =", "fp128 =")))
    assert "bf16" in e.value.fix
    with pytest.raises(InputError, match="memory_bytes"):
        load_file(_write(tmp_path, GOOD.replace('memory_bytes = [16e9, "ds"]', "")))


def test_price_needs_a_date_and_idle_below_tdp(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="price_date"):
        load_file(_write(tmp_path, GOOD + 'price_usd_per_hour = [1.5, "ds"]\n'))
    with pytest.raises(InputError, match="idle_w") as e:
        load_file(_write(tmp_path, GOOD + 'idle_w = [50, "ds"]\n'))
    assert str(tmp_path) in e.value.problem


def test_alias_taken_by_a_builtin_is_rejected(tmp_path: Path) -> None:
    p = _write(tmp_path, GOOD.replace('vendor = "Me"', 'vendor = "Me"\naliases = ["h100"]'))
    with pytest.raises(InputError, match="of the built-in device 'h100-sxm'") as e:
        load_catalog([p])
    assert str(p) in e.value.problem and "alias" in e.value.fix


def test_measured_spec_from_probe_loads(tmp_path: Path) -> None:
    text = GOOD.replace('name = "my-npu"', 'name = "myhost-cuda0"').replace('kind = "npu"', 'kind = "gpu"')
    p = _write(tmp_path, text.replace('vendor = "Me"', 'vendor = "NVIDIA"\nmeasured = true'), "probe.toml")
    spec = get_device(str(p))  # probe names its spec host-device (measure/probe.py spec_toml)
    assert spec.measured and spec.peak("bf16") == 50e12
    # taking a built-in's name is refused, in a catalog file and by path alike: it would stand in for that device
    # unsaid (by path it got the built-in's calibration family)
    p = _write(tmp_path, p.read_text(encoding="utf-8").replace("myhost-cuda0", "h100-sxm"), "probe.toml")
    for load in (lambda: load_catalog([p]), lambda: get_device(str(p))):
        with pytest.raises(InputError, match="built-in device 'h100-sxm'") as e:
            load()
        assert "rename" in e.value.fix
    with pytest.raises(InputError, match="measured"):
        load_file(_write(tmp_path, GOOD.replace('vendor = "Me"', 'vendor = "Me"\nmeasured = "yes"')))


def test_example_user_file_loads_with_sources() -> None:
    path = Path(__file__).resolve().parents[1] / "examples" / "my_accelerator.toml"
    (spec,) = load_file(path)
    assert spec.name == "my-asic"
    assert all(k in spec.sources for k in spec.numbers())
    # the example's formula: 256 x 256 MAC x 2 OP x 1 GHz
    assert spec.peak("int8") == pytest.approx(256 * 256 * 2 * 1e9, rel=1e-3)


@pytest.mark.parametrize(("typo", "expected"), [("mi300", "mi300x"), ("h100-pcle", "h100-pcie"), ("gaudi-3", "gaudi3")])
def test_unknown_name_suggests_close_match(typo: str, expected: str) -> None:
    if typo == "gaudi-3":  # an alias resolves, it is not an error
        assert get_device(typo).name == expected
        return
    with pytest.raises(UnknownNameError) as e:
        get_device(typo)
    assert expected in e.value.fix


def test_one_file_given_twice_is_named_as_such(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """It used to say "device 'my-asic' is defined twice; rename one of them" (there was nothing to rename)."""
    from conftest import run_main

    p = _write(tmp_path, GOOD)
    code, _out, err = run_main(["catalog", "list", "--catalog", str(p), "--catalog", str(tmp_path / "." / p.name)],
                               capsys)
    assert code == 2 and "is given twice" in err and "once" in err and "rename" not in err
