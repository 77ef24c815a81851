"""The files in examples/ load through the real code paths, and every `accelopt WORD` the README
names is a registered command (so the README cannot advertise a command that does not exist)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer.main

from accelopt.cli.main import app
from accelopt.hardware.catalog import load_catalog
from accelopt.simulate.design import get_design
from accelopt.workload.presets import load_hf_config

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
README = ROOT / "README.md"


def test_my_design_loads_and_every_number_has_a_source() -> None:
    d = get_design(str(EXAMPLES / "my_design.toml"))
    assert (d.rows, d.cols, d.cores, d.dataflow, d.dtype) == (32, 32, 2, "ws", "int8")
    # LPDDR4X-4266 on one x32 channel: 4266e6 transfers/s x 4 bytes (JEDEC JESD209-4).
    assert d.dram_bandwidth_byte_per_s == pytest.approx(4266e6 * 4)
    # peak = 2 OP per MAC x 2 x 32 x 32 MACs x 1 GHz = 4.096e12 OP/s
    assert d.peak_op_per_s == pytest.approx(2 * 2 * 32 * 32 * 1e9)
    numeric = {"rows", "cols", "cores", "ifmap_sram_bytes", "filter_sram_bytes", "ofmap_sram_bytes",
               "dram_bandwidth_byte_per_s", "dram_latency_s", "dram_bytes", "clock_hz", "tech_node_nm",
               "dataflow", "dtype"}
    assert numeric <= set(d.sources), f"fields without a source: {sorted(numeric - set(d.sources))}"
    # exportable as a catalog device (simulate export)
    assert d.to_accelerator_spec().peak("int8") == pytest.approx(4.096e12)


def test_my_accelerator_loads_through_the_catalog() -> None:
    cat = load_catalog([EXAMPLES / "my_accelerator.toml"])
    spec = cat.get("my-chip")  # alias of my-asic
    assert spec.name == "my-asic"
    assert spec.peak("int8") == 131e12
    assert spec.memory_bandwidth_byte_per_s == 1.6e12
    assert "h100-sxm" in cat


def test_hf_tiny_llama_config_parses() -> None:
    cfg = load_hf_config(EXAMPLES / "hf_tiny_llama" / "config.json")
    assert (cfg.layers, cfg.hidden, cfg.heads, cfg.kv_heads) == (4, 128, 4, 2)
    assert cfg.mlp == "swiglu"
    assert cfg.ffn == 344 and cfg.vocab == 1024 and not cfg.tied_embeddings


def test_my_model_factory_builds_a_bundle() -> None:
    from accelopt.workload.userfile import ModelBundle, load_user_factory

    bundle = load_user_factory(str(EXAMPLES / "my_model.py") + ":build", batch_size=2)
    assert isinstance(bundle, ModelBundle)
    assert bundle.batch_size == 2
    images, labels = next(iter(bundle.batches()))
    assert tuple(images.shape) == (2, 3, 32, 32) and tuple(labels.shape) == (2,)
    assert tuple(bundle.model(images).shape) == (2, 10)


def _readme_commands() -> list[tuple[str, str | None]]:
    """(WORD, NEXT) for every `accelopt WORD [NEXT]` in the README (NEXT: a lowercase word or None)."""
    text = README.read_text(encoding="utf-8")
    found = re.findall(r"\baccelopt ([a-z][a-z-]*)(?:[ /\[]+([a-z][a-z-]*))?", text)
    return sorted({(w, n or None) for w, n in found}, key=lambda p: (p[0], p[1] or ""))


def test_every_readme_command_is_registered() -> None:
    root = typer.main.get_command(app)
    commands = getattr(root, "commands", {})  # typer >= 0.2x vendors click; duck-type its Group
    pairs = _readme_commands()
    assert len({w for w, _ in pairs}) >= 8, pairs  # the parse really found the commands
    for word, nxt in pairs:
        assert word in commands, f"README names `accelopt {word}`, which is not a command"
        cmd = commands[word]
        subcommands = getattr(cmd, "commands", None)
        # for a group, a following bare word must be one of its subcommands, unless the group takes
        # positional arguments of its own (none of accelopt's groups do)
        if subcommands is not None and nxt is not None and not any(
                p.param_type_name == "argument" for p in cmd.params):
            assert nxt in subcommands, f"README names `accelopt {word} {nxt}`, not a subcommand of {word}"


def test_readme_parse_sees_known_subcommands() -> None:
    pairs = set(_readme_commands())
    for pair in [("plan", "serve"), ("plan", "explain"), ("simulate", "run"), ("history", "compare"),
                 ("catalog", "list")]:
        assert pair in pairs


def test_readme_names_the_example_files() -> None:
    text = README.read_text(encoding="utf-8")
    for name in ["examples/my_design.toml", "examples/hf_tiny_llama", "examples/my_accelerator.toml",
                 "examples/my_model.py"]:
        assert name in text
        assert (ROOT / name).exists()


def test_my_model_provides_the_eval_contract() -> None:
    """examples/my_model.py documents and provides eval_batches + metric: held-out batches differ from training."""
    import torch

    from accelopt.workload.userfile import load_user_factory

    bundle = load_user_factory(str(EXAMPLES / "my_model.py") + ":build", batch_size=2)
    assert bundle.metric == "accuracy" and bundle.higher_is_better is True and bundle.eval_batches is not None
    (x_train, _), (x_eval, _) = next(iter(bundle.batches())), next(iter(bundle.eval_batches()))
    assert not torch.equal(x_train, x_eval)
    text = (EXAMPLES / "my_model.py").read_text()
    assert all(w in text for w in ("eval_batches", "metric", "higher_is_better"))
