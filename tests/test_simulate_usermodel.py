"""A user's PyTorch model in one command (`simulate run -m FILE.py:Class`), Hugging Face configs
(`--hf`), and the variant of every built-in model named in the output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_main

from accelopt.errors import InputError
from accelopt.simulate.models import model_layers

pytest.importorskip("torch")

NET = '''
import torch
from torch import nn


class Net(nn.Module):
    def __init__(self, width=8):
        super().__init__()
        self.conv = nn.Conv2d(3, width, 3, padding=1)
        self.fc = nn.Linear(width * 16 * 16, 10)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).flatten(1))


def build():
    return Net(width=4)


def bundle():
    from accelopt.workload.userfile import ModelBundle
    x = torch.zeros(3, 3, 16, 16)
    return ModelBundle(name="net", model=Net(), batches=lambda: iter([(x, torch.zeros(3, dtype=torch.long))]),
                       loss_fn=nn.functional.cross_entropy, batch_size=3)


def bundle_of_more_rows():  # says batch_size 2, yields 6 samples a batch
    from accelopt.workload.userfile import ModelBundle
    x = torch.zeros(6, 3, 16, 16)
    return ModelBundle(name="net", model=Net(), batches=lambda: iter([(x, torch.zeros(6, dtype=torch.long))]),
                       loss_fn=nn.functional.cross_entropy, batch_size=2)


class NoMatmul(nn.Module):
    def forward(self, x):
        return torch.relu(x) * 2


class BadReshape(nn.Module):  # its own code fails after `conv` returned, whatever the input shape
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)

    def forward(self, x):
        return self.conv(x).view(x.shape[0], 7, -1, 5)


class NeedsArgs(nn.Module):
    def __init__(self, n):
        super().__init__()


VALUE = 3


def raises_its_own():
    raise ValueError("no such checkpoint")
'''


def _macs(width: int, batch: int) -> int:
    conv = batch * 16 * 16 * width * 3 * 3 * 3         # output pixels x filters x (3x3x3 window)
    fc = batch * 10 * width * 16 * 16
    return conv + fc


@pytest.fixture()
def net(tmp_path: Path) -> Path:
    p = tmp_path / "net.py"
    p.write_text(NET, encoding="utf-8")
    return p


@pytest.mark.parametrize(("attr", "width"), [("Net", 8), ("build", 4)])
def test_plain_module_class_or_factory(net: Path, attr: str, width: int) -> None:
    layers, desc = model_layers(f"{net}:{attr}", batch=2, input_shape=(3, 16, 16))
    assert sum(x.macs for x in layers) == _macs(width, 2)
    assert [x.kind for x in layers] == ["conv", "gemm"]
    assert "2x3x16x16" in desc and "nn.Module" in desc


def test_bundle_factory_brings_its_inputs(net: Path) -> None:
    layers, desc = model_layers(f"{net}:bundle")
    assert sum(x.macs for x in layers) == _macs(8, 3)
    assert "ModelBundle" in desc
    # no --batch: the bundle's own batch 3 ran, and the line says whose it is
    assert "(ModelBundle, batch 3, the factory's own: --batch changes it)" in desc, desc
    with pytest.raises(InputError, match="brings its own inputs"):
        model_layers(f"{net}:bundle", input_shape=(3, 16, 16))


def test_bundle_whose_batches_hold_other_than_batch_size_is_refused(net: Path) -> None:
    """It printed '(ModelBundle, batch 2)' beside the layers of the 6 samples its batches hold."""
    with pytest.raises(InputError, match=r"batch 0 holds 6 samples(.|\n)*batch_size 2"):
        model_layers(f"{net}:bundle_of_more_rows")


@pytest.mark.parametrize(("spec", "shape", "match"), [
    ("Net", None, "input shape is unknown"),
    ("Missing", (3, 16, 16), "has no 'Missing'"),
    ("NeedsArgs", (3, 16, 16), "needs argument\\(s\\) n, and simulate builds it with none"),
    ("VALUE", (3, 16, 16), "is a value of type int, not a class or function"),
    ("Net", (3, 15, 16), "raised"),
    ("Net", (3, 99999999999, 16), "more than 2,147,483,647"),  # was a traceback from torch's allocator
    # said 'capture it with accelopt.workload.capture', which the one command had just done
    ("NoMatmul", (3, 16, 16), r"nothing for the array to run(.|\n)*Linear, Conv or attention"),
])
def test_bad_user_models_say_what_to_do(net: Path, spec: str, shape: tuple[int, ...] | None, match: str) -> None:
    with pytest.raises(InputError, match=match):
        model_layers(f"{net}:{spec}", input_shape=shape)


def test_cli_one_command(net: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(["simulate", "run", "-d", "edge-npu", "-m", f"{net}:Net", "--input-shape", "3,16,16",
                               "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["totals"]["macs"] == _macs(8, 1)
    code, out, err = run_main(["simulate", "run", "-d", "edge-npu", "-m", f"{net}:Net"], capsys)
    assert code == 2 and "--input-shape" in err
    code, out, err = run_main(["simulate", "run", "-d", "edge-npu", "-m", "no_such_model"], capsys)
    assert code == 2 and "FILE.py:Class" in err


def test_resnet50_variants_are_named_and_differ() -> None:
    v1, d1 = model_layers("resnet50")
    v15, d15 = model_layers("resnet50-v1.5")
    # He et al. 2016 Table 1: 3.8e9 FLOPs (multiply-adds) for v1; torchvision v1.5: 4.09 GMAC
    assert sum(x.macs for x in v1) == pytest.approx(3.86e9, rel=0.005)
    assert sum(x.macs for x in v15) == pytest.approx(4.09e9, rel=0.005)
    assert "v1 " in d1 and "v1.5" in d15


def test_zoo_resnet50_is_labelled_v15() -> None:
    layers, desc = model_layers("resnet:realistic", batch=1)  # the size's own batch is 8; the built-in's is 1
    assert "v1.5" in desc
    assert sum(x.macs for x in layers) == sum(x.macs for x in model_layers("resnet50-v1.5")[0])


def test_hf_config_attention_per_head(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("transformers")
    cfg = {"model_type": "gpt2", "architectures": ["GPT2LMHeadModel"], "n_layer": 2, "n_embd": 32, "n_head": 2,
           "vocab_size": 100, "n_positions": 64}
    (tmp_path / "config.json").write_text(json.dumps(cfg), encoding="utf-8")
    code, out, err = run_main(["simulate", "run", "-d", "edge-npu", "--hf", str(tmp_path), "--seq-len", "16",
                               "--json"], capsys)
    assert code == 0, err
    layers = json.loads(out)["layers"]
    # QK^T per (batch, head): 16 x 16 x 16 (head_dim 32 / 2 heads), 2 layers x 1 x 2 heads of it
    qk = [x for x in layers if (x["m"], x["n"], x["k"]) == (16, 16, 16)]
    assert qk and sum(x["repeats"] for x in qk) >= 2 * 2


@pytest.mark.parametrize(("shape", "says"), [
    ((5, 16, 16), "layer 'conv' (Conv2d), which takes 3 input channels: e.g. --input-shape 3,16,16"),
    ((3, 15, 16), "layer 'fc' (Linear), which takes 2048 input features")])
def test_wrong_input_shape_of_a_plain_module_names_it(net: Path, shape: tuple[int, ...], says: str) -> None:
    """A plain nn.Module given a wrong --input-shape was told to check loss_fn, the optimizer, the metric and
    batches() (the ModelBundle fix); the input is made from --input-shape, so the fix names it and the layer."""
    with pytest.raises(InputError) as e:
        model_layers(f"{net}:Net", batch=1, input_shape=shape)
    given = ",".join(map(str, shape))
    assert f"check --input-shape {given}" in e.value.fix and says in e.value.fix
    assert "loss_fn" not in e.value.fix


def test_a_failure_between_layers_is_not_blamed_on_the_last_layer(net: Path) -> None:
    # a reshape that fails after `conv` returned was reported as "it failed in layer 'conv' (Conv2d), which takes 3
    # input channels", sending the user to an --input-shape that was right
    with pytest.raises(InputError) as e:
        model_layers(f"{net}:BadReshape", batch=1, input_shape=(3, 16, 16))
    assert "after layer 'conv' (Conv2d) returned" in e.value.fix and "which takes 3 input channels" not in e.value.fix


def test_a_builder_that_raises_its_own_error_is_not_told_to_take_no_arguments(net: Path) -> None:
    """A function that takes no arguments and raises ValueError inside was told 'it is called with no arguments:
    give the class defaults'; that fix is now for a builder that needs arguments, this one is told to fix itself."""
    with pytest.raises(InputError) as e:
        model_layers(f"{net}:raises_its_own", input_shape=(3, 16, 16))
    assert "raised ValueError: no such checkpoint" in e.value.problem
    assert "defaults" not in e.value.fix and "traceback" in e.value.fix


def test_a_token_model_given_float_inputs_is_told_the_input_dtype(tmp_path: Path) -> None:
    # an nn.Embedding first layer given --input-shape 16 alone (float32 zeros by default) failed with torch's
    # 'Expected tensor for argument #1 'indices' to have one of the following scalar types: Long, Int', and the fix
    # said only to check --input-shape 16, which was right
    (tmp_path / "lm.py").write_text(
        "from torch import nn\n"
        "class LM(nn.Module):\n"
        "    def __init__(self):\n"
        "        super().__init__()\n"
        "        self.emb, self.head = nn.Embedding(50, 8), nn.Linear(8, 50)\n"
        "    def forward(self, x):\n"
        "        return self.head(self.emb(x))\n")
    with pytest.raises(InputError) as e:
        model_layers(f"{tmp_path / 'lm.py'}:LM", batch=2, input_shape=(16,))
    assert "layer 'emb' (Embedding), which takes token ids: pass --input-dtype int64 (ids below its 50 rows)" \
        in e.value.fix
    layers, _ = model_layers(f"{tmp_path / 'lm.py'}:LM", batch=2, input_shape=(16,), input_dtype="int64")
    assert [x.name for x in layers] == ["head"]  # with the fix it runs: the head's GEMM (the lookup has no MACs)
