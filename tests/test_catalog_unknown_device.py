"""An unknown device name suggests the closest catalog names, not the alphabet's first 40, and says where the full
list is (`accelopt catalog list`). Before: `--hardware zzz` printed 'known devices: 4090, a100, ...' cut at 40,
'nvidia-a100' suggested 'v100' first, 't4-pcie' never 't4'."""

from __future__ import annotations

from pathlib import Path

import pytest

from accelopt.cli.main import main
from accelopt.errors import InputError, UnknownNameError
from accelopt.hardware.catalog import closest_devices, load_catalog


@pytest.mark.parametrize(("typed", "first"), [
    ("h100-sxn", "h100-sxm"),      # a one-letter typo of a longer name ranks above the short name inside it
    ("nvidia-a100", "a100"),       # a vendor word before the catalog name
    ("NVIDIA H100", "h100"),       # spaces and capitals
    ("t4-pcie", "t4"),             # a name that contains a catalog name
    ("mi300", "mi300x"),           # a name contained in a catalog name
])
def test_closest_device_first(typed: str, first: str) -> None:
    cat = load_catalog()
    with pytest.raises(UnknownNameError) as e:
        cat.get(typed)
    assert e.value.fix.startswith(f"did you mean {first!r}"), e.value.fix
    assert "`accelopt catalog list` lists all" in e.value.fix


def test_no_close_name_points_at_the_full_list() -> None:
    cat = load_catalog()
    with pytest.raises(UnknownNameError) as e:
        cat.get("zzz")
    assert f"lists all {len(cat)} devices" in e.value.fix
    assert "4090, a100" not in e.value.fix  # not the alphabet's first names
    assert closest_devices("zzz", [s.name for s in cat]) == []


@pytest.mark.parametrize(("args", "want"), [
    # a misspelt device and a misspelt model, ranked by the one matcher (errors.close_matches)
    (["plan", "--model", "llama3-8b", "--hardware", "nvidia_h100_sxn"], "did you mean 'h100-sxm'"),
    (["plan", "--model", "Llama_3_8c", "--hardware", "h100-sxm"], "did you mean 'llama3-8b'"),
    # a model family typed alone offers that family (errors' difflib ranking offered 'llama2-13b' third, the
    # catalog's ranking would not have: the two rankings disagreed)
    (["plan", "--model", "llama3", "--hardware", "h100-sxm"],
     "did you mean 'llama3-8b' or 'llama3-70b' or 'llama3-"),
])
def test_a_misspelt_device_or_model_suggests_the_right_name(args: list[str], want: str,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(args)
    err = capsys.readouterr().err
    assert e.value.code == 2 and want in err and "Traceback" not in err, err


def test_one_did_you_mean_ranking() -> None:
    """hardware/catalog ranked device names with a difflib scorer of its own beside errors.close_matches."""
    from pathlib import Path

    import accelopt

    src = Path(accelopt.__file__).parent
    rankers = sorted(str(p.relative_to(src)) for p in src.rglob("*.py") if "difflib" in p.read_text(encoding="utf-8"))
    assert rankers == ["errors.py"], rankers


@pytest.mark.parametrize("args", [["plan", "--model", "gpt3-125m", "--hardware", "h100-sxn"],
                                  ["catalog", "show", "h100-sxn"]])
def test_cli_exit_2_with_closest(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(args)
    err = capsys.readouterr().err
    assert e.value.code == 2 and "did you mean 'h100-sxm'" in err and "Traceback" not in err


@pytest.mark.parametrize("args", [["catalog", "show", ""], ["catalog", "compare", " ", "h100"]])
def test_empty_name_says_so(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    # was "'' is a folder, not a device name" (Path('') is the working folder)
    with pytest.raises(SystemExit) as e:
        main(args)
    err = capsys.readouterr().err
    assert e.value.code == 2 and "an empty device name" in err and "folder" not in err


def test_a_misspelt_field_of_a_user_spec_names_the_field_meant(tmp_path: Path) -> None:
    """`memory_byte = [...]` in a user's catalog TOML listed the 23 allowed fields without saying which was meant; a
    text value ('48GB' in the [value, source] pair) said 'give a plain number in SI units' without an example."""
    text = (Path(__file__).parents[1] / "examples" / "my_accelerator.toml").read_text(encoding="utf-8")
    path = tmp_path / "mine.toml"
    path.write_text(text.replace("memory_bytes =", "memory_byte ="), encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_catalog([path])
    assert "unknown field(s) memory_byte" in e.value.problem and "did you mean 'memory_bytes'" in e.value.fix
    path.write_text(text.replace('memory_bytes = [48e9', 'memory_bytes = ["48GB"'), encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_catalog([path])
    assert "'48GB' is not a number" in e.value.problem and "48e9" in e.value.fix


@pytest.mark.parametrize(("typed", "first"), [
    # the start of a catalog name: 'a100-sxm' suggested 'h100-sxm' or 'v100-sxm' or 'h100-sxm5' (a one-letter
    # substitution, difflib 0.875, above the names it begins, 0.82), never the A100s (a user trial of plan infer)
    ("a100-sxm", "a100-sxm-40gb"),
    ("jetson-agx", "jetson-agx-orin"),
])
def test_the_start_of_a_name_suggests_that_name(typed: str, first: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as e:
        main(["plan", "infer", "resnet50", "--hardware", typed, "--batch", "1"])
    err = capsys.readouterr().err
    assert e.value.code == 2 and f"did you mean {first!r}" in err, err


def test_a_device_of_ones_own_is_offered_the_catalog_flag_beside_near_names(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A runs-file row naming the user's own device without --catalog was offered 'edge-tpu' or 'tpu-v4' alone; the fix
    now says how to read a device of one's own (--catalog FILE, or the spec TOML's path)."""
    cat = load_catalog()
    with pytest.raises(UnknownNameError) as e:
        cat.get("my-tpu")
    assert e.value.fix.startswith("did you mean ") and "--catalog FILE for a device of your own" in e.value.fix
    runs = tmp_path / "mine.csv"
    runs.write_text("id,source,hardware,devices,layers,hidden,heads,ffn,vocab,seq,global_batch,tp,pp,dp,recompute,"
                    "step_s,mlp\nr1,our lab,my-tpu,8,32,4096,32,11008,32000,4096,64,1,1,8,none,5.1,swiglu\n")
    with pytest.raises(SystemExit) as ex:
        main(["validate", "--runs", str(runs)])
    err = " ".join(capsys.readouterr().err.split())
    assert ex.value.code == 2 and "unknown device 'my-tpu'" in err and "--catalog FILE" in err, err


@pytest.mark.parametrize(("typed", "first"), [
    # what the driver prints for an H100 SXM (nvidia-smi, torch.cuda.get_device_name): 'h100-80gb-8' (Google
    # Cloud's A3 High VM, another scale-out network) was offered first (user trial ut3prof, session 35)
    ("NVIDIA H100 80GB HBM3", "h100-sxm"),
    # ROCm shows each of an MI250X's dies as a device: 'mi250x' alone (the package, twice the figures) was offered
    ("AMD Instinct MI250X", "mi250x-gcd"),
    ("Tesla T4", "t4"),
])
def test_a_product_name_offers_the_entry_env_maps_it_to_first(typed: str, first: str) -> None:
    from accelopt.hardware.detect import PRODUCT_TO_CATALOG

    assert PRODUCT_TO_CATALOG[" ".join(typed.lower().split())] == first  # the table env and probe map it through
    with pytest.raises(UnknownNameError) as e:
        load_catalog().get(typed)
    assert e.value.fix.startswith(f"did you mean {first!r}"), e.value.fix
    assert f"the entry `accelopt env` maps the product name {typed!r} to" in e.value.fix
