"""`accelopt simulate` as an outside user meets it (user trial utsim): models and designs it has not seen, and bad
inputs. Each case failed before its fix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accelopt.errors import InputError

BILINEAR_NET = '''
import torch
from torch import nn


class BilinearNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.bil = nn.Bilinear(16, 16, 8)
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        return self.fc(self.bil(x, x))
'''


def test_a_layer_of_unknown_work_is_named_not_counted_as_without_macs(tmp_path: Path) -> None:
    """nn.Bilinear runs as aten._trilinear, which the capture has no FLOP formula for (workload meta
    'unmodeled_ops'): its 5 x 8 x 16 x 16 = 10,240 MACs were left out under '... ops without MACs to map not
    simulated', a claim that is false for it. The source line now names the op and its module as NOT SIMULATED."""
    from accelopt.simulate.models import model_layers

    path = tmp_path / "bil.py"
    path.write_text(BILINEAR_NET, encoding="utf-8")
    layers, source = model_layers(f"{path}:BilinearNet", None, None, (5, 16), "float32")
    assert [x.name for x in layers] == ["fc"]  # the array runs the Linear only
    assert "NOT SIMULATED: 1 op with no FLOP formula" in source, source
    assert "aten._trilinear in bil x1" in source, source


def test_a_workload_file_names_its_ops_of_unknown_work(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The same for `--workload` (a `profile --save-workload` file records 'unmodeled_ops' in its meta): the op
    was counted among the 'non-GEMM ops not simulated'."""
    from conftest import run_main

    from accelopt.workload.types import Gemm, Op, Workload

    ops = [Op(name="aten._trilinear", kind="other", flops=0.0, bytes_read=4.0 * 2208, bytes_written=160.0,
              phase="forward", module="bil"),
           Op(name="aten.mm", kind="matmul", flops=2.0 * 5 * 4 * 8, bytes_read=4.0 * 72, bytes_written=80.0,
              phase="forward", module="fc", gemm=Gemm(m=5, n=4, k=8)),
           Op(name="aten.relu", kind="elementwise", flops=20.0, bytes_read=80.0, bytes_written=80.0,
              phase="forward", module="act")]
    path = tmp_path / "w.json"
    Workload(name="w", ops=ops, meta={"mode": "inference", "batch_size": 5,
                                      "unmodeled_ops": {"_trilinear": 1}}).save(path)
    code, out, err = run_main(["simulate", "run", "-d", "tpu-v1", "--workload", str(path), "--json"], capsys)
    assert code == 0, err
    source = json.loads(out)["source"]
    assert "1 non-GEMM ops not simulated" in source, source  # the relu only
    assert "NOT SIMULATED: 1 op with no FLOP formula" in source and "aten._trilinear in bil x1" in source, source


def test_an_unknown_sweep_dataflow_is_said_before_the_model_is_captured(monkeypatch: pytest.MonkeyPatch) -> None:
    """`sweep --dataflow os,xs` captured the model first (minutes for a large zoo model or --hf config) and only
    then said "dataflow 'xs' in the sweep is unknown", without naming the flag. It is now refused first, by
    --dataflow, as --rows / --cols / --sram-kib / --bandwidth-gbps already were."""
    from accelopt.cli import simulate as cli

    def no_capture(src: object) -> object:
        raise AssertionError("the model was captured before --dataflow was checked")

    monkeypatch.setattr(cli, "_layers", no_capture)
    opts = cli.SweepOptions(source=cli.SourceOptions(model="resnet50"), dataflow="os,xs", rows="16", cols="16",
                            sram_kib="64")
    with pytest.raises(InputError) as e:
        cli.run_design_sweep(opts)
    assert "--dataflow 'os,xs'" in e.value.problem and "'xs'" in e.value.problem, e.value.problem
    assert "rs" in e.value.fix


def test_rs_psum_scratchpads_too_small_name_ofmap_sram_bytes() -> None:
    """Eyeriss with ofmap_sram_bytes = 16 (its psum scratchpads: 0 words per PE) said 'a filter row of 11 words does
    not fit a 224-word filter scratchpad' and told the user to enlarge filter_sram_bytes, which was fine. The error
    now names the psum scratchpads and ofmap_sram_bytes, and the filter case says how large is enough."""
    from accelopt.simulate.design import load_preset
    from accelopt.simulate.engine import simulate
    from accelopt.simulate.layers import alexnet_conv_layers

    eyeriss = load_preset("eyeriss")
    with pytest.raises(InputError) as e:
        simulate(eyeriss.with_(ofmap_sram_bytes=16), alexnet_conv_layers())
    assert "psum scratchpads hold no word" in e.value.problem and "filter row" not in e.value.problem, e.value.problem
    assert "ofmap_sram_bytes" in e.value.fix and "336 bytes (168 words of 2 B)" in e.value.fix, e.value.fix
    with pytest.raises(InputError) as e:
        simulate(eyeriss.with_(filter_sram_bytes=64), alexnet_conv_layers())
    # CONV1's 11-wide filter rows on 168 PEs: 11 x 168 = 1,848 words of 16 b
    assert "at least 11 x 168 = 3,696 bytes (1,848 words of 2 B)" in e.value.fix, e.value.fix


@pytest.mark.parametrize(("line", "said"), [("rows = true", "rows = true must be a positive integer"),
                                            ('rows = "8"', 'rows = "8" must be a positive integer'),
                                            ("clock_hz = false", "clock_hz = false must be a positive number")])
def test_a_bad_design_value_is_quoted_as_the_toml_writes_it(line: str, said: str, tmp_path: Path) -> None:
    """`rows = true` in a design TOML was reported as 'rows = True' and `rows = "8"` as "rows = '8'": Python's
    spelling, not the file's, so the value could not be found by searching the file for it."""
    from accelopt.simulate.design import load_design_file

    text = (Path(__file__).resolve().parent.parent / "examples" / "my_design.toml").read_text(encoding="utf-8")
    field = line.split(" = ")[0]
    lines = text.splitlines()
    at = next(i for i, x in enumerate(lines) if x.startswith(f"{field} = "))  # in [design], above [sources]
    lines[at] = line
    path = tmp_path / "d.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_design_file(path)
    assert said in e.value.problem, e.value.problem


@pytest.mark.parametrize("field", ["filter_sram_bytes", "ofmap_sram_bytes", "ifmap_sram_bytes"])
def test_an_rs_buffer_fix_gives_bytes_that_fit(field: str) -> None:
    """An rs design whose scratchpads or global buffer hold too little was told to enlarge filter_sram_bytes 'to at
    least 11 x 168 = 1,848 words' (ofmap_sram_bytes: '168 words'; ifmap_sram_bytes: no size): words, in a field of
    bytes, so Eyeriss (16-bit words) given filter_sram_bytes = 1848 failed again. Each fix now gives bytes, with the
    words beside them; the size it names maps the layer, and one byte less does not."""
    import re

    from accelopt.simulate.design import load_preset
    from accelopt.simulate.engine import simulate
    from accelopt.simulate.layers import alexnet_conv_layers

    conv1 = alexnet_conv_layers()[:1]
    eyeriss = load_preset("eyeriss")
    with pytest.raises(InputError) as e:
        simulate(eyeriss.with_(**{field: 16}), conv1)
    assert field in e.value.fix, e.value.fix
    said = re.search(r"at least (?:\d+ x \d+ = )?([\d,]+) bytes \(([\d,]+) words of 2 B\)", e.value.fix)
    assert said, e.value.fix
    least, words = (int(x.replace(",", "")) for x in said.groups())
    assert least == 2 * words  # Eyeriss's words are 16 b
    assert simulate(eyeriss.with_(**{field: least}), conv1).totals().macs > 0
    with pytest.raises(InputError):
        simulate(eyeriss.with_(**{field: least - 1}), conv1)


@pytest.mark.parametrize(("drop", "fix"), [(("name",), 'add it, e.g. name = "my-npu"'),
                                           (("rows",), "add it in SI units, e.g. rows = 32"),
                                           (("name", "clock_hz"), "add them in SI units, e.g. name = ")])
def test_a_missing_design_field_fix_reads_as_the_field(drop: tuple[str, ...], fix: str, tmp_path: Path) -> None:
    """A design TOML without its name was told 'add them in SI units, e.g. name = "my-npu"': one field, and a name
    has no unit. The fix says 'it' for one field, and SI units only where a number is missing."""
    from accelopt.simulate.design import load_design_file

    text = (Path(__file__).resolve().parent.parent / "examples" / "my_design.toml").read_text(encoding="utf-8")
    design, sources = text.split("[sources]")
    kept = [x for x in design.splitlines() if x.split(" = ")[0] not in drop]
    path = tmp_path / "d.toml"
    path.write_text("\n".join(kept) + "\n[sources]" + sources, encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_design_file(path)
    assert e.value.problem.endswith(f"[design] is missing {', '.join(drop)}"), e.value.problem
    assert e.value.fix.startswith(fix), e.value.fix


def test_a_huge_design_size_is_quoted_short(tmp_path: Path) -> None:
    """ifmap_sram_bytes = 1e300 was refused as '1,000,000,000,000,000,052,504,...' (a 301-digit integer, the float
    as Python holds it); past 1e15 the value is quoted as a number of the kind the file wrote."""
    from accelopt.simulate.design import load_design_file

    text = (Path(__file__).resolve().parent.parent / "examples" / "my_design.toml").read_text(encoding="utf-8")
    path = tmp_path / "d.toml"
    path.write_text(text.replace("ifmap_sram_bytes = 524288", "ifmap_sram_bytes = 1e300"), encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_design_file(path)
    assert "ifmap_sram_bytes = 1e+300 is more than 1,099,511,627,776" in e.value.problem, e.value.problem
    path.write_text(text.replace("ifmap_sram_bytes = 524288", "ifmap_sram_bytes = 2e12"), encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_design_file(path)
    assert "ifmap_sram_bytes = 2,000,000,000,000 is more than" in e.value.problem, e.value.problem
    # an integer literal past a float's range: float(v) raised OverflowError out of the loader
    path.write_text(text.replace("ifmap_sram_bytes = 524288", "ifmap_sram_bytes = 1" + "0" * 400), encoding="utf-8")
    with pytest.raises(InputError) as e:
        load_design_file(path)
    assert "ifmap_sram_bytes = 1e+400 is more than 1,099,511,627,776" in e.value.problem, e.value.problem


@pytest.mark.parametrize("name, text, said, goes", [
    ("run.json", '{"schema": "accelopt.simulate-run"}', "is a JSON file, not a design TOML", "--workload"),
    ("net.py", "import torch\nclass Net: ...\n", "is a Python file, not a design TOML", "--model FILE.py:Class"),
    ("layers.csv", "Layer, M, N, K,\ng1, 64, 32, 48,\n", "is a CSV file, not a design TOML", "--topology"),
    ("d.toml", '{"design": {}}', "is a JSON file, not a design TOML", "--workload"),
    ("layers.txt", "Layer, M, N, K,\ng1, 64, 32, 48,\n", "is a SCALE-Sim topology (CSV), not a design TOML",
     "--topology"),
    ("conv", "Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Strides,\n"
     "c1, 8, 8, 3, 3, 4, 8, 1,\n", "is a SCALE-Sim topology (CSV), not a design TOML", "--topology"),
])
def test_a_design_file_of_another_format_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str,
                                                  text: str, said: str, goes: str) -> None:
    """-d run.json (a --json result) or -d net.py said 'is not valid TOML' and 'fix the TOML syntax at that line':
    the file is not a TOML to fix but another kind of input (ut4sim, 2026-12-06)."""
    from conftest import run_main

    p = tmp_path / name
    p.write_text(text)
    code, _out, err = run_main(["simulate", "run", "-d", str(p), "-m", "alexnet-conv"], capsys)
    assert code == 2 and said in err and goes in err, err
    assert "fix the TOML syntax" not in err


def test_hf_of_a_type_only_accelopts_reader_knows_names_simulate_m(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """`simulate run --hf mixtral.json` under a transformers that has no Mixtral: the fix named `plan serve -m` and
    `plan --model` (accelopt's own reader) but not `simulate run -m`, which simulates that config here (ut4sim)."""
    from conftest import run_main, write_hf_config

    transformers = pytest.importorskip("transformers")
    if "mixtral" in transformers.models.auto.configuration_auto.CONFIG_MAPPING:
        pytest.skip("this transformers builds Mixtral: --hf runs it")
    cfg = {"model_type": "mixtral", "hidden_size": 256, "intermediate_size": 512, "num_hidden_layers": 2,
           "num_attention_heads": 8, "num_key_value_heads": 2, "num_local_experts": 8, "num_experts_per_tok": 2,
           "vocab_size": 1000, "max_position_embeddings": 512}
    path = write_hf_config(tmp_path, "moe", cfg)
    code, _out, err = run_main(["simulate", "run", "-d", "tpu-v1", "--hf", str(path), "--seq-len", "16"], capsys)
    assert code == 2 and "not known to transformers" in err, err
    said = f"`accelopt simulate run -d DESIGN -m {path}` simulates it from that reader"
    assert said in " ".join(err.split()), err
    # and that command runs: the same config through -m
    code, out, err = run_main(["simulate", "run", "-d", "tpu-v1", "-m", str(path), "--seq-len", "16",
                               "--max-rows", "0"], capsys)
    assert code == 0 and "transformer config" in out, err


@pytest.mark.parametrize("written, read", [("INT8", "int8"), ("bfloat16", "bf16"), ("float16", "fp16"),
                                           ("Int16", "int16"), ("fp8", None), ("int4", None)])
def test_a_design_dtype_is_read_as_dtype_options_read_it(written: str, read: str | None) -> None:
    """dtype = "INT8" or torch's "bfloat16" was 'unknown' while dataflow = "WS" was read as ws and every --dtype
    option reads torch's spellings (accelopt.dtypes.canonical); a dtype the simulator has no width for stays refused."""
    from accelopt.simulate.design import load_design_text

    text = (f'[design]\nname = "d"\nrows = 8\ncols = 8\ndataflow = "ws"\nifmap_sram_bytes = 4096\n'
            f'filter_sram_bytes = 4096\nofmap_sram_bytes = 4096\ndram_bandwidth_byte_per_s = 1e9\nclock_hz = 1e9\n'
            f'dtype = "{written}"\ntech_node_nm = 16\n')
    if read is None:
        with pytest.raises(InputError, match=f"dtype '{written}' is unknown"):
            load_design_text(text, "d.toml")
    else:
        assert load_design_text(text, "d.toml").dtype == read
