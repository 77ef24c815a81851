"""User-model contract: load_user_factory happy path and every bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from accelopt.errors import InputError  # noqa: E402
from accelopt.workload.capture import capture_workload  # noqa: E402
from accelopt.workload.userfile import ModelBundle, load_user_factory  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "my_model.py"


def test_example_happy_path() -> None:
    b = load_user_factory(f"{EXAMPLE}:build", batch_size=4)
    assert isinstance(b, ModelBundle) and b.batch_size == 4 and b.name == "small-convnet"
    w = capture_workload(b)
    assert w.total_flops("forward", ["conv"]) > 0 and w.total_flops("backward") > 0
    # the example's own optimizer (SGD with momentum) is used, not the AdamW default
    assert not any(o.name == "aten.addcdiv_" for o in w.ops)


def _write(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "user_model.py"
    p.write_text(body, encoding="utf-8")
    return p


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_user_factory(f"{tmp_path / 'nope.py'}:build")


def test_missing_colon() -> None:
    with pytest.raises(InputError, match=r"path/to/file\.py:factory"):
        load_user_factory(str(EXAMPLE))


def test_not_python(tmp_path: Path) -> None:
    p = tmp_path / "model.txt"
    p.write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match=r"not a \.py file"):
        load_user_factory(f"{p}:build")


def test_no_such_function_lists_choices() -> None:
    with pytest.raises(InputError, match="no function 'make'") as e:
        load_user_factory(f"{EXAMPLE}:make")
    assert "build" in e.value.fix


def test_import_error_in_file(tmp_path: Path) -> None:
    p = _write(tmp_path, "import not_a_module_xyz\n")
    with pytest.raises(InputError, match="ModuleNotFoundError"):
        load_user_factory(f"{p}:build")


def test_factory_raised(tmp_path: Path) -> None:
    p = _write(tmp_path, "def build():\n    raise RuntimeError('boom')\n")
    with pytest.raises(InputError, match="raised RuntimeError: boom"):
        load_user_factory(f"{p}:build")


def test_wrong_return_type(tmp_path: Path) -> None:
    p = _write(tmp_path, "def build():\n    return 42\n")
    with pytest.raises(InputError, match="returned a int, not a ModelBundle") as e:
        load_user_factory(f"{p}:build")
    assert "examples/my_model.py" in e.value.fix


def test_not_callable(tmp_path: Path) -> None:
    p = _write(tmp_path, "build = 3\n")
    with pytest.raises(InputError, match="not a function"):
        load_user_factory(f"{p}:build")


def test_bundle_validates_fields() -> None:
    model = torch.nn.Linear(2, 2)
    ok = {"name": "m", "model": model, "batches": lambda: iter([]), "loss_fn": torch.nn.functional.mse_loss}
    with pytest.raises(InputError, match=r"nn\.Module"):
        ModelBundle(**{**ok, "model": "not a module"})  # type: ignore[arg-type]
    with pytest.raises(InputError, match="batch_size"):
        ModelBundle(**ok, batch_size=0)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="loss_fn"):
        ModelBundle(**{**ok, "loss_fn": 5})  # type: ignore[arg-type]
    with pytest.raises(InputError, match="yielded nothing"):
        ModelBundle(**ok).first_batch()  # type: ignore[arg-type]


def test_a_module_class_for_model_is_named_as_a_class() -> None:
    """model=Net (the class, a common slip) read 'ModelBundle.model is a type, not a torch.nn.Module'."""
    with pytest.raises(InputError, match=r"ModelBundle\.model is the class Linear, not an instance of it") as e:
        ModelBundle(name="m", model=torch.nn.Linear, batches=lambda: iter([]),  # type: ignore[arg-type]
                    loss_fn=torch.nn.functional.mse_loss)
    assert "model=Linear(...)" in e.value.fix


def test_bad_batch_shape() -> None:
    b = ModelBundle(name="m", model=torch.nn.Linear(2, 2), batches=lambda: iter([torch.zeros(2)]),
                    loss_fn=torch.nn.functional.mse_loss)
    with pytest.raises(InputError, match=r"\(inputs, targets\)"):
        b.first_batch()


def test_option_the_factory_does_not_take(tmp_path: Path) -> None:
    p = _write(tmp_path, "def build(batch_size=4):\n    raise AssertionError('not called')\n")
    with pytest.raises(InputError, match="takes no seq_len argument") as e:
        load_user_factory(f"{p}:build", batch_size=2, seq_len=128)
    assert "seq_len=..." in e.value.fix


def test_a_model_file_imports_the_modules_beside_it(tmp_path: Path) -> None:
    """A multi-file project: model.py imports layers.py from its own folder, as `python model.py` allows; it raised
    ModuleNotFoundError ('No module named ...') because the file's folder was not on the import path. The module name
    is unique to this test so no earlier import can satisfy it."""
    (tmp_path / "rvc_sibling_layers.py").write_text(
        "import torch\n\ndef head(n):\n    return torch.nn.Linear(n, 2)\n", encoding="utf-8")
    model = _write(tmp_path, (
        "import torch\nimport rvc_sibling_layers\nfrom accelopt.workload.userfile import ModelBundle\n\n"
        "def build(batch_size=4):\n"
        "    import rvc_sibling_layers as again  # an import inside the factory finds it too\n"
        "    m = torch.nn.Sequential(torch.nn.Linear(8, 8), again.head(8))\n"
        "    xs = lambda: iter([(torch.randn(batch_size, 8), torch.randint(0, 2, (batch_size,)))])\n"
        "    return ModelBundle(name='two-files', model=m, batches=xs, loss_fn=torch.nn.functional.cross_entropy,\n"
        "                       batch_size=batch_size)\n"))
    b = load_user_factory(f"{model}:build")
    assert b.name == "two-files" and b.model(torch.randn(3, 8)).shape == (3, 2)


def test_no_such_function_lists_only_the_files_own_functions(tmp_path: Path) -> None:
    # an imported function is no factory: 'use one of: cross_entropy' sent the user to torch's loss
    p = _write(tmp_path, "from torch.nn.functional import cross_entropy\n\ndef make_bundle():\n    pass\n")
    with pytest.raises(InputError, match="no function 'build'") as e:
        load_user_factory(f"{p}:build")
    assert "make_bundle" in e.value.fix and "cross_entropy" not in e.value.fix


def test_no_such_function_in_a_file_of_a_model_class_says_how_to_write_one(tmp_path: Path) -> None:
    # a file holding only an nn.Module class read 'use one of: (no functions defined)', which fixed nothing
    p = _write(tmp_path, "from torch import nn\n\nclass Net(nn.Module):\n    def forward(self, x):\n"
                         "        return x\n")
    with pytest.raises(InputError, match="no function 'build'") as e:
        load_user_factory(f"{p}:build")
    assert "ModelBundle(" in e.value.fix and "model=Net()" in e.value.fix and "examples/my_model.py" in e.value.fix
    assert "no functions defined" not in e.value.fix


def test_a_bare_model_file_is_told_which_factory_to_append(tmp_path: Path) -> None:
    # 'profile my_net.py' (no ':factory') was told to append a function name, whatever the file held
    p = _write(tmp_path, "from torch import nn\n\nclass Net(nn.Module):\n    def forward(self, x):\n"
                         "        return x\n")
    with pytest.raises(InputError, match=r"path/to/file\.py:factory") as e:
        load_user_factory(str(p))
    assert "it defines no function" in e.value.fix and "model=Net()" in e.value.fix, e.value.fix
    with pytest.raises(InputError, match=r"path/to/file\.py:factory") as e:
        load_user_factory(str(EXAMPLE))
    assert f"e.g. {EXAMPLE}:build" in e.value.fix, e.value.fix


def test_the_likeliest_factory_is_offered_first(tmp_path: Path) -> None:
    # a loss function defined above the factory was offered as the factory ('e.g. enc.py:loss_fn')
    p = _write(tmp_path, "def loss_fn(out, t):\n    return out\n\ndef make():\n    pass\n\n"
                         "def build():\n    pass\n")
    with pytest.raises(InputError) as e:
        load_user_factory(str(p))
    assert f"e.g. {p}:build (use one of the functions it defines: build, loss_fn, make)" in e.value.fix, e.value.fix
    q = _write(tmp_path, "from accelopt.workload.userfile import ModelBundle\n\ndef loss_fn(out, t):\n"
                         "    return out\n\ndef bundle() -> ModelBundle:\n    pass\n")
    with pytest.raises(InputError) as e:
        load_user_factory(f"{q}:build")
    assert e.value.fix == "use one of the functions it defines: bundle, loss_fn", e.value.fix
