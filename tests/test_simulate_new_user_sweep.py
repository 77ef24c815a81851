"""What a new user's models and files showed `simulate` getting wrong (one test per finding, each failed before it).

- A train-step workload's fused attention backward (FlashAttention on CPU: dO, q, k, v) was mapped as the forward's
  two GEMMs from the wrong tensors: 2 x 4704 MACs simulated where torch's sdpa_backward_flop_count says 5 x 4704."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

ATTENTION = '''
import torch
from torch import nn
from accelopt.workload.userfile import ModelBundle


class Att(nn.Module):
    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(32, 96)

    def forward(self, x):  # x (B, S, 32): 4 heads of 8
        q, k, v = (t.reshape(3, 7, 4, 8).transpose(1, 2) for t in self.qkv(x).chunk(3, -1))
        return nn.functional.scaled_dot_product_attention(q, k, v).mean((1, 2, 3))


def build():
    x = torch.randn(3, 7, 32)
    return ModelBundle(name="att", model=Att(), batches=lambda: iter([(x, torch.zeros(3))]),
                       loss_fn=nn.functional.mse_loss, batch_size=3)
'''


def test_a_fused_attention_backward_simulates_its_five_gemms(tmp_path: Path) -> None:
    """Every attention op's simulated MACs = its captured FLOPs / 2: forward 2 x B*H*S*S*D = 2 x 3*4*7*7*8 = 9408,
    backward (recomputed QK^T, dP, dV, dQ, dK) 5 x 4704 = 23520, as torch's FlopCounterMode counts them."""
    from accelopt.simulate.layers import from_workload
    from accelopt.workload.capture import capture_workload
    from accelopt.workload.userfile import load_user_factory

    path = tmp_path / "att.py"
    path.write_text(ATTENTION)
    w = capture_workload(load_user_factory(f"{path}:build"), mode="train")
    layers, _ = from_workload(w)
    captured = {phase: sum(o.flops for o in w.ops if o.kind == "attention" and o.phase == phase) / 2
                for phase in ("forward", "backward")}
    assert captured == {"forward": 9408, "backward": 23520}
    assert sum(x.macs for x in layers if x.kind == "attention") == 9408 + 23520  # was 2 x 9408


EXAMPLE_DESIGN = Path(__file__).parent.parent / "examples" / "my_design.toml"


@pytest.mark.parametrize(("field", "slip", "named", "fix"), [
    ("dram_latency_s", "100", "dram_latency_s = 100 s is more than 1e-05 s", "write 100e-9 if 100 is in ns"),
    ("dram_bytes", "4", "dram_bytes = 4 is under 1e+06 bytes", "write 4e9 if 4 is in GB"),
])
def test_a_design_unit_slip_is_named(field: str, slip: str, named: str, fix: str, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    """100 for 100 ns of DRAM latency ran AlexNet's 5 conv layers in 8.33 minutes; 4 for 4 GB of DRAM was exported
    as a 4-byte device."""
    from conftest import run_main_expect

    text = EXAMPLE_DESIGN.read_text("utf-8")
    line = next(ln for ln in text.splitlines() if ln.startswith(f"{field} ="))
    path = tmp_path / "d.toml"
    path.write_text(text.replace(line, f"{field} = {slip}", 1))
    _, err = run_main_expect(capsys, "simulate", "run", "-d", str(path), "-m", "alexnet-conv", code=2)
    assert named in err and fix in err


def _totals(out: str) -> dict[str, float]:
    import json

    t = json.loads(out)["totals"]
    return {k: t[k] for k in ("total_cycles", "stall_cycles", "dram_read_bytes", "dram_write_bytes")}


def test_an_exported_scalesim_cfg_says_what_it_leaves_out_and_reads_back(tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """examples/my_design.toml has 2 cores; its .cfg (one array: SCALE-Sim has no cores) ran AlexNet in 889,541
    cycles against the design's 445,423 and nothing said why. A design a .cfg can hold whole (1 core, 1 GHz, 45 nm,
    16 words/cycle, no latency) reads back to the same cycles and DRAM bytes."""
    from conftest import run_main_expect

    cfg = tmp_path / "my.cfg"
    out, _ = run_main_expect(capsys, "simulate", "export", "-d", str(EXAMPLE_DESIGN), "--out", str(cfg))
    assert "not in the config: cores = 2" in out and "NOT IN THIS CONFIG: cores = 2" in cfg.read_text("utf-8")

    text = EXAMPLE_DESIGN.read_text("utf-8")
    whole = {"cores": "1", "dram_bandwidth_byte_per_s": "16e9", "dram_latency_s": "0", "tech_node_nm": "45"}
    for field, value in whole.items():
        line = next(ln for ln in text.splitlines() if ln.startswith(f"{field} ="))
        text = text.replace(line, f"{field} = {value}", 1)
    design = tmp_path / "whole.toml"
    design.write_text(text.replace("[design]", "[design]\nvdd_v = 0.9", 1))
    out, _ = run_main_expect(capsys, "simulate", "export", "-d", str(design), "--out", str(cfg))
    assert "not in the config" not in out
    runs = [_totals(run_main_expect(capsys, "simulate", "run", "-d", d, "-m", "alexnet-conv", "--json")[0])
            for d in (str(design), str(cfg))]
    assert runs[0] == runs[1]


HF_TINY = Path(__file__).parent.parent / "examples" / "hf_tiny_llama"


def test_a_config_read_two_ways_names_its_sequence_length(capsys: pytest.CaptureFixture[str]) -> None:
    """--model config.json took the config's 256 positions and --hf its 128-token default: 286,261,248 against
    126,353,408 MACs for the same file, neither line saying the length. Hand count at 128 tokens: 4 layers x (q 128^2
    + k, v 128 x 64 + o 128^2 + 3 x 128 x 344) + head 128 x 1024 = 856,064 MACs a token x 128, plus attention
    4 layers x 4 heads x 2 x 128 x 128 x 32 = 16,777,216: 126,353,408."""
    import json

    from conftest import run_main_expect

    docs = [json.loads(run_main_expect(capsys, "simulate", "run", "-d", "tpu-v1", *src, "--json")[0])
            for src in (["-m", str(HF_TINY / "config.json")], ["--hf", str(HF_TINY)],
                        ["-m", str(HF_TINY / "config.json"), "--seq-len", "128"])]
    assert ["seq_len 256" in docs[0]["source"], "seq_len 128" in docs[1]["source"]] == [True, True]
    assert docs[1]["totals"]["macs"] == docs[2]["totals"]["macs"] == 856_064 * 128 + 16_777_216


def test_energy_past_a_kilojoule_reads_in_kj() -> None:
    """A 100,000^3 GEMM on tpu-v1 printed '2.45e+03 J' (the unit table stopped at J)."""
    from accelopt.cli.simulate import _energy

    assert [_energy(2450.0), _energy(0.5)] == ["2.45 kJ", "500 mJ"]


MY_MODEL = Path(__file__).parent.parent / "examples" / "my_model.py"
NO_SIZES = '''
import torch
from torch import nn
from accelopt.workload.userfile import ModelBundle


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 4)

    def forward(self, x):
        return self.fc(x)


def build():
    x = torch.zeros(2, 8)
    return ModelBundle(name="net", model=Net(), batches=lambda: iter([(x, torch.zeros(2, 4))]),
                       loss_fn=nn.functional.mse_loss, batch_size=2)
'''


def _macs(capsys: pytest.CaptureFixture[str], *args: str) -> int:
    import json

    from conftest import run_main_expect

    return int(json.loads(run_main_expect(capsys, "simulate", "run", "-d", "tpu-v1", "--json", *args)[0])
               ["totals"]["macs"])


def test_batch_reaches_a_modelbundle_factory(capsys: pytest.CaptureFixture[str]) -> None:
    """`-m examples/my_model.py:build -b 64` simulated the factory's default batch of 16 and said 'batch 16'; the
    factory takes batch_size (as `profile --batch-size` passes it), so 64 samples are 4x the MACs of 16."""
    assert _macs(capsys, "-m", f"{MY_MODEL}:build", "-b", "64") == 4 * _macs(capsys, "-m", f"{MY_MODEL}:build")


@pytest.mark.parametrize(("target", "flags", "named"), [
    ("build", ["-b", "8"], "takes no batch_size argument"),
    ("build", ["--seq-len", "8"], "takes no seq_len argument"),
    ("Net", ["--input-shape", "8", "--seq-len", "8"], "--seq-len applies to a ModelBundle factory, not to the plain"),
])
def test_a_size_the_model_file_cannot_take_is_named(target: str, flags: list[str], named: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """Each was ignored without a word: the file's own batch (2) or the --input-shape length was simulated."""
    from conftest import run_main_expect

    path = tmp_path / "net.py"
    path.write_text(NO_SIZES)
    _, err = run_main_expect(capsys, "simulate", "run", "-d", "tpu-v1", "-m", f"{path}:{target}", *flags, code=2)
    assert named in err and "fix:" in err


@pytest.mark.parametrize(("design", "topology", "said"), [
    (str(EXAMPLE_DESIGN), "Layer, M, N, K,\nfc1, 64, 64, 64,\n",
     "not replayed for 2 cores (SCALE-Sim models one array)"),
    ("edge-npu", "Layer, M, N, K,\nfc1, 100000, 100000, 100000,\n",
     "DRAM traffic and stalls of 0 of 1 layers"),
])
def test_scalesim_code_says_where_its_buffers_were_not_replayed(design: str, topology: str, said: str,
                                                                tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    """--convention scalesim-code promises SCALE-Sim's own DRAM traffic and stalls, but a 2-core design and a layer
    too large to replay keep the tiling model: the table said nothing, and its footer named the tiling model even
    when every layer was replayed."""
    from conftest import run_main_expect

    path = tmp_path / "t.csv"
    path.write_text(topology)
    out, _ = run_main_expect(capsys, "simulate", "run", "-d", design, "--topology", str(path), "--convention",
                             "scalesim-code")
    assert said in " ".join(out.split()) and "DRAM traffic and stalls as the note below says" in " ".join(out.split())


def test_an_encoder_preset_says_it_has_no_head(capsys: pytest.CaptureFixture[str]) -> None:
    """bert-base's config (BertForMaskedLM) simulated 2.3M MACs fewer than --hf on the same file at 64 tokens: the
    MLM head (64 x 64 transform + 64 x 500 decoder per token), left out without a word."""
    import json

    from conftest import run_main_expect

    doc = json.loads(run_main_expect(capsys, "simulate", "run", "-d", "tpu-v1", "-m", "bert-base", "--json")[0])
    assert "encoder only: no output head simulated" in doc["source"]


def test_a_quoted_number_in_a_design_says_to_unquote_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """dram_bandwidth_byte_per_s = "inf" (text in TOML) got 'set it in SI units (> 0)', no way to unlimited."""
    from conftest import run_main_expect

    text = EXAMPLE_DESIGN.read_text("utf-8")
    line = next(ln for ln in text.splitlines() if ln.startswith("dram_bandwidth_byte_per_s ="))
    path = tmp_path / "d.toml"
    path.write_text(text.replace(line, 'dram_bandwidth_byte_per_s = "inf"', 1))
    _, err = run_main_expect(capsys, "simulate", "run", "-d", str(path), "-m", "alexnet-conv", code=2)
    assert "without quotes: dram_bandwidth_byte_per_s = inf" in err


def test_an_attention_op_whose_flops_disagree_with_its_shapes_is_named(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """A hand-written fused attention op of q, k, v (1, 4, 128, 64) carries 2 x 2 x 4 x 128^2 x 64 = 16.8 MFLOP;
    halved for a causal mask, plan timed 8.4 MFLOP while the array ran all 16.8M."""
    import json

    from conftest import run_main_expect

    qkv = [[1, 4, 128, 64]] * 3
    op = {"name": "sdpa", "kind": "attention", "flops": 2 * 4 * 128 * 128 * 64, "bytes_read": 1e5,
          "bytes_written": 1e5, "shapes": qkv}
    path = tmp_path / "w.json"
    path.write_text(json.dumps({"name": "att", "meta": {"batch_size": 1, "mode": "inference"}, "ops": [op]}))
    _, err = run_main_expect(capsys, "simulate", "run", "-d", "tpu-v1", "--workload", str(path), code=2)
    assert f"workload file {path}: op 0 ('sdpa'): flops = 8.389e+06 disagrees with its attention shapes" in err
    assert "1.678e+07 FLOPs" in err
    path.write_text(json.dumps({"name": "att", "meta": {"batch_size": 1, "mode": "inference"},
                                "ops": [{**op, "flops": 4 * 4 * 128 * 128 * 64}]}))
    run_main_expect(capsys, "simulate", "run", "-d", "tpu-v1", "--workload", str(path))


def test_a_catalog_device_given_as_a_design_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """-d h100-sxm said 'unknown design preset' with design names as the fix; -d on the catalog TOML that
    `simulate export` writes said 'no [design] table': both now say what the file or name is and where it goes."""
    from conftest import run_main_expect

    _, err = run_main_expect(capsys, "simulate", "run", "-d", "h100-sxm", "-m", "alexnet-conv", code=2)
    assert "'h100-sxm' is a catalog device" in err and "accelopt plan --hardware h100-sxm" in err
    spec = tmp_path / "spec.toml"
    run_main_expect(capsys, "simulate", "export", "-d", "tpu-v1", "--out", str(spec))
    _, err = run_main_expect(capsys, "simulate", "run", "-d", str(spec), "-m", "alexnet-conv", code=2)
    assert "is a catalog device file ([[device]]), not a design" in err


HW_HEADER = ("Layer name,IFMAP height,IFMAP width,Filter height,Filter width,Channels,Num filter,Stride height,"
             "Stride width,")


def test_scalesim_two_stride_topology_header_is_read() -> None:
    """scale-sim-v2 writes (and reads) a stride per direction; the file was refused ('missing column(s) Strides').
    Equal strides read as the one-stride format does; conv2 of stride 1 x 2 on 56 x 56 with a 3 x 3 kernel has
    Ho = 54, Wo = (56 - 3) // 2 + 1 = 27 (ceil((56 - 3 + 2) / 2) = 28 under SCALE-Sim's rounding)."""
    from accelopt.simulate.topology import parse_topology

    one = parse_topology("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, "
                         "Strides,\nconv1,224,224,7,7,3,64,2,\n")
    two = parse_topology(f"{HW_HEADER}\nconv1,224,224,7,7,3,64,2,2,\nconv2,56,56,3,3,64,64,1,2,\n"
                         "DPconv,56,56,3,3,32,1,1,2,\n")
    assert two[0] == one[0]
    assert [(x.m, x.n, x.k, x.repeats) for x in two[1:]] == [(54 * 27, 64, 576, 1), (54 * 27, 1, 9, 32)]
    assert [x.ifmap_elems for x in two[1:]] == [56 * 56 * 64, 56 * 56]
    rounded = parse_topology(f"{HW_HEADER}\nconv2,56,56,3,3,64,64,1,2,\n", scalesim_rounding=True)
    assert rounded[0].m == 54 * 28


@pytest.mark.parametrize("gbps", ["25.6e9", "0.000001"])
def test_a_sweep_bandwidth_outside_any_memory_is_named_by_its_flag(gbps: str,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """--bandwidth-gbps 25.6e9 (bytes/s typed for GB/s) ran at 25.6 EB/s, no stalls at all; 1e-6 GB/s was refused
    by the design check telling the user to write '1000e9 if 1000 is in GB/s' of a flag already in GB/s."""
    from conftest import run_main_expect

    _, err = run_main_expect(capsys, "simulate", "sweep", "-m", "alexnet-conv", "--rows", "16", "--cols", "16",
                             "--sram-kib", "64", "--dataflow", "ws", "--bandwidth-gbps", gbps, code=2)
    assert f"--bandwidth-gbps '{gbps}' is" in err and "outside 1e-05..1e+08 GB/s" in err


def test_presets_json_lists_every_design_name_the_text_gives(capsys: pytest.CaptureFixture[str]) -> None:
    """The text ends 'also built in: nvdla-2048, ...'; the JSON listed 3 designs and none of those 7."""
    import json

    from conftest import run_main_expect

    from accelopt.simulate.published import nvdla_names

    names = [d["name"] for d in json.loads(run_main_expect(capsys, "simulate", "presets", "--json")[0])["designs"]]
    assert set(nvdla_names()) <= set(names) and {"tpu-v1", "eyeriss", "edge-npu"} <= set(names)


def test_a_conv_captured_as_its_gemm_reads_its_input_not_the_im2col(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """A dilated 3x3 conv (2 x 16 x 13 x 11 input, 4 groups, 32 filters) is captured as its im2col GEMM (no Conv):
    simulate read 286 x 36 x 4 = 41,184 input bytes from DRAM, 9x the 4,576 the input holds."""
    import json

    from conftest import run_main_expect

    op = {"name": "aten.convolution", "kind": "conv", "flops": 2 * 286 * 8 * 36 * 4, "bytes_read": 5e3,
          "bytes_written": 5e3, "shapes": [[2, 16, 13, 11], [32, 4, 3, 3]], "gemm": {"m": 286, "n": 8, "k": 36,
                                                                                    "batch": 4}}
    path = tmp_path / "w.json"
    path.write_text(json.dumps({"name": "dil", "meta": {"batch_size": 2, "mode": "inference"}, "ops": [op]}))
    out, _ = run_main_expect(capsys, "simulate", "run", "-d", "edge-npu", "--workload", str(path), "--json")
    layer = json.loads(out)["layers"][0]
    assert layer["dram_ifmap_read_bytes"] == 2 * 16 * 13 * 11 and layer["kind"] == "conv"  # was listed as a gemm


@pytest.mark.parametrize(("text", "sep"), [("Layer;M;N;K;\nfc1;64;64;64;\n", "';'"),
                                           ("Layer\tM\tN\tK\nfc1\t64\t64\t64\n", "'\\t'")])
def test_a_topology_with_another_separator_says_so(text: str, sep: str) -> None:
    """A spreadsheet's semicolon or tab export was 'missing column(s) Layer name, IFMAP Height, ...' (every name)."""
    import re

    from accelopt.errors import InputError
    from accelopt.simulate.topology import parse_topology

    with pytest.raises(InputError, match=re.escape(f"separates columns with {sep}")):
        parse_topology(text)


def test_a_topology_with_half_the_two_stride_header_names_that_form() -> None:
    """A conv header with Stride height but no Stride width was told only of 'Strides': the fix named one form."""
    from accelopt.errors import InputError
    from accelopt.simulate.topology import parse_topology

    text = ("Layer name, IFMAP Height, IFMAP Width, Filter Height, Filter Width, Channels, Num Filter, Stride height,\n"
            "c1, 10, 10, 3, 3, 4, 8, 1,\n")
    with pytest.raises(InputError) as e:
        parse_topology(text)
    assert "missing column(s) Strides" in str(e.value) and "Stride height, Stride width in place of" in e.value.fix


def _conv_backward(dy: list[int], x: list[int], w: list[int], flops: float) -> dict[str, object]:
    return {"name": "aten.convolution_backward", "kind": "conv", "flops": flops, "bytes_read": 1e3,
            "bytes_written": 1e3, "shapes": [dy, x, w], "phase": "backward"}


def test_a_train_workloads_conv_backward_runs_its_gradient_gemms(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """convolution_backward was left out of every train workload ('NOT SIMULATED: 66.67% of the matmul FLOPs' of a
    CNN). Its dX and dW GEMMs each hold the forward's MACs: a depthwise 3x3 on 16 x 8 x 8 -> 6 x 6 has 36 x 9 x 16 =
    5,184 MACs a pass, so 10,368 backward; torch's FlopCounterMode counts that kernel as (1 + g) x the forward's
    FLOPs (dW taken over all channels), 17 x 10,368 here, which is read only to tell which gradients ran. A first
    layer's backward (3 -> 4 channels, its input needs no gradient) is dW alone: 36 x 27 x 4 = 3,888 MACs."""
    import json

    from conftest import run_main_expect

    ops = [_conv_backward([1, 16, 6, 6], [1, 16, 8, 8], [16, 1, 3, 3], 17 * 2 * 5184),
           _conv_backward([1, 4, 6, 6], [1, 3, 8, 8], [4, 3, 3, 3], 2 * 3888)]
    path = tmp_path / "w.json"
    path.write_text(json.dumps({"name": "cnn", "meta": {"batch_size": 1, "mode": "train"}, "ops": ops}))
    out, _ = run_main_expect(capsys, "simulate", "run", "-d", "edge-npu", "--workload", str(path), "--json")
    doc = json.loads(out)
    assert doc["totals"]["macs"] == 2 * 5184 + 3888 and "NOT SIMULATED" not in doc["source"]
    assert [x["name"].rsplit(".", 1)[-1] for x in doc["layers"]] == ["dX", "dW", "dW"]


def test_a_conv_backward_counted_at_two_forwards_runs_both_gradients(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """A grouped conv's backward counted as dX + dW at the forward's FLOPs each (a hand-written file, or a fixed
    counter) runs both GEMMs too: groups 4, 16 -> 32 channels, 3x3 on 8x8 -> 6x6: 36 x 36 x 8 x 4 = 41,472 MACs each."""
    import json

    from conftest import run_main_expect

    path = tmp_path / "w.json"
    op = _conv_backward([1, 32, 6, 6], [1, 16, 8, 8], [32, 4, 3, 3], 2 * 2 * 41472)
    path.write_text(json.dumps({"name": "cnn", "meta": {"batch_size": 1, "mode": "train"}, "ops": [op]}))
    out, _ = run_main_expect(capsys, "simulate", "run", "-d", "edge-npu", "--workload", str(path), "--json")
    assert json.loads(out)["totals"]["macs"] == 2 * 41472
