"""Counts and names README.md states about what ships, checked against the library (not the validation figures,
which tests/test_readme_accuracy.py checks)."""

from __future__ import annotations

import re
from pathlib import Path

from accelopt.hardware.catalog import default_catalog

README = re.sub(r"\s+", " ", (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8"))
WORDS = {"two": 2, "three": 3, "four": 4, "five": 5}


def test_catalog_counts_match_catalog_list() -> None:
    """README said '34 accelerators' while `catalog list` printed 37 rows (the per-NeuronCore entries unsaid); 39
    accelerators and 42 entries since a3net's two Google Cloud A3 VMs (h100-a3-high / -mega), 2026-12-02; 43 entries
    since srvgap's mi250x-gcd (one GCD of an AMD MI250X, a part as ROCm counts devices), 2026-12-02."""
    m = re.search(r"A cited catalog of (\d+) accelerators .*?`catalog list` shows (\d+) entries: these \1 "
                  r"accelerators, plus (\w+) parts of a chip as its SDK counts ranks \(([^)]*)\)", README)
    assert m, "README.md's catalog sentence changed: update this test"
    chips, entries, parts, named = int(m[1]), int(m[2]), WORDS[m[3]], m[4]
    names = [s.name for s in default_catalog()]
    assert entries == len(names), names
    part_names = re.findall(r"`([a-z0-9-]+)`", named)
    assert len(part_names) == parts and set(part_names) <= set(names), part_names
    assert chips == entries - parts


def test_every_preset_family_is_named_in_the_models_bullet() -> None:
    """The Models bullet of `plan` left out the Qwen presets that `plan --list-models` prints."""
    from accelopt.workload import presets

    m = re.search(r"\*\*Models\*\*: presets with citations \((.*?)\), a local Hugging", README)
    assert m, "README.md's Models bullet changed: update this test"
    named = re.sub(r"[^a-z0-9]", "", m[1].lower())
    for name in presets.list_models():
        family = re.match(r"[a-z]+", name)  # llama, qwen, gpt, bert, deepseek, ...
        assert family and family[0] in named, f"plan preset {name!r}: its family is not in README's Models bullet"


def test_result_commands_list_is_the_commands_with_html() -> None:
    """The sentence naming the commands that take --html left out optimize and simulate published."""
    m = re.search(r"the result commands \((.*?)\) also take `--html PATH`", README)
    assert m, "README.md's result-commands sentence changed: update this test"
    named: set[str] = set()
    for item in m[1].split(", "):
        head, _, tail = item.rpartition(" ")
        named |= {f"{head} {t}".strip() for t in tail.split("/")}
    # history show / compare write pages too, of recorded runs: they are named beside `accelopt history`
    history_pages = {"history show", "history compare"}
    with_html = _commands_with_html()
    assert named == with_html - history_pages, (named ^ (with_html - history_pages))
    assert "whose `show` re-renders a run's page and whose `compare` writes one of two runs" in README


def test_html_plot_table_has_a_row_per_command_with_html() -> None:
    """The table of what each HTML page plots had no row for plan infer, optimize or simulate published."""
    table = re.search(r"\| command \| plots \|(.*?)\n\n", (Path(__file__).resolve().parents[1] / "README.md")
                      .read_text(encoding="utf-8"), re.S)
    assert table, "README.md's plots table changed: update this test"
    rows: set[str] = set()
    for cell in re.findall(r"^\| (.*?) \|", table[1], re.M):
        names = re.findall(r"`([a-z -]+)`", cell)  # `simulate run` / `sweep`: the second shares the first's group
        rows |= {names[0]} | {f"{names[0].split()[0]} {n}" for n in names[1:]}
    with_html = _commands_with_html()
    assert rows == with_html - {"history show"}, rows ^ (with_html - {"history show"})


def _commands_with_html() -> set[str]:
    """`plan serve`, `simulate run`, ...: every command path of the CLI that takes --html."""
    import typer

    from accelopt.cli.main import app

    found: set[str] = set()

    def walk(cmd: object, path: list[str]) -> None:
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, [*path, name])
        if any("--html" in p.opts for p in getattr(cmd, "params", [])):
            found.add(" ".join(path))

    walk(typer.main.get_command(app), [])
    return found


def test_benchmarks_table_names_every_benchmark_script() -> None:
    """The Benchmarks table left out gpu_profile.py and gpu_optimize.py, which gpu.sh runs."""
    m = re.search(r"## Benchmarks (.*?)## Layout", README)
    assert m, "README.md's Benchmarks section changed: update this test"
    bench = Path(__file__).resolve().parents[1] / "benchmarks"
    for script in sorted([*bench.glob("bench_*.py"), *bench.glob("gpu_*.py")]):
        assert f"`benchmarks/{script.name}`" in m[1], f"{script.name} has no row in README's Benchmarks table"


def test_profile_examples_run_on_the_device_their_peaks_describe() -> None:
    """README's `profile resnet --catalog-device h100-sxm ...` ran on the CPU (profile's --device defaults to cpu):
    a CPU step's MFU, roofline verdicts and bf16 gain bound against an H100's peaks."""
    from accelopt.hardware.catalog import get_device

    lines = re.findall(r"accelopt profile [^#`]*?--catalog-device ([\w.-]+)[^#`]*", README)
    assert lines, "README.md has no profile example with --catalog-device: update this test"
    for m in re.finditer(r"accelopt profile [^#`]*?--catalog-device ([\w.-]+)[^#`]*", README):
        kind = get_device(m[1]).kind
        device = re.search(r"--device (\S+)", m[0])
        ran_on = device[1] if device else "cpu"
        assert (ran_on == "cpu") == (kind == "cpu"), f"{m[0]!r}: runs on {ran_on}, peaks of a {kind}"


def test_layout_names_every_package_and_top_level_module() -> None:
    """README's Layout left out userio.py (every user file in and out) and paths.py."""
    m = re.search(r"## Layout ``` src/accelopt/ (.*?)```", README)
    assert m, "README.md's Layout block changed: update this test"
    src = Path(__file__).resolve().parents[1] / "src" / "accelopt"
    for entry in sorted(src.iterdir()):
        if entry.name.startswith("_") or entry.name == "py.typed" or entry.name.endswith(".pyc"):
            continue
        name = entry.name + "/" if entry.is_dir() else entry.name
        if entry.is_dir() and not (entry / "__init__.py").exists():
            continue
        assert re.search(rf"(^|[ ,]){re.escape(name)}([ ,]|$)", m[1]), f"src/accelopt/{name} is not in the Layout"


def _infer_point(capsys, model: str, *extra: str) -> dict:  # type: ignore[no-untyped-def]
    import json

    from conftest import run_main_expect

    out, _ = run_main_expect(capsys, "plan", "infer", model, "--hardware", "edge-tpu", "--batch", "1", "--json",
                             *extra)
    return json.loads(out)["devices"][0]["points"][0]  # type: ignore[no-any-return]


def test_edge_tpu_figures_are_what_plan_infer_prints(capsys, monkeypatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """README said ResNet-50 on the Edge TPU is bound by its weight stream at '~56 ms' (the published figure, at
    Coral's 299 input) while `plan infer resnet50 --hardware edge-tpu` printed 50.9 ms at the default 224."""
    monkeypatch.setenv("ACCELOPT_HOME", str(tmp_path))
    m = re.search(r"ResNet-50 streams ([\d.]+) MB per inference \(([\d.]+) ms\), which bounds it \(([\d.]+) ms at "
                  r"Coral's 299 x 299 input, `--input-size 299`; ([\d.]+) ms at the default 224\); MobileNet v1 "
                  r"\(([\d.]+) MB int8\) stays on chip \(([\d.]+) ms\)", README)
    assert m, "README.md's Edge TPU on-chip memory bullet changed: update this test"
    stream_mb, stream_ms, ms299, ms224, mobile_mb, mobile_ms = (float(g) for g in m.groups())
    r224, r299 = _infer_point(capsys, "resnet50"), _infer_point(capsys, "resnet50", "--input-size", "299")
    mobile = _infer_point(capsys, "mobilenet-v1")
    assert f"{r224['streamed_weights_bytes'] / 1e6:.1f}" == f"{stream_mb:.1f}"
    assert f"{r224['weight_stream_s'] * 1e3:.1f}" == f"{stream_ms:.1f}"
    assert f"{r299['latency_s'] * 1e3:.1f}" == f"{ms299:.1f}"
    assert f"{r224['latency_s'] * 1e3:.1f}" == f"{ms224:.1f}"
    assert mobile["streamed_weights_bytes"] == 0 and f"{mobile['weights_bytes'] / 1e6:.1f}" == f"{mobile_mb:.1f}"
    assert f"{mobile['latency_s'] * 1e3:.2f}" == f"{mobile_ms:.2f}"


def test_what_it_answers_table_has_a_row_per_top_level_command() -> None:
    """The 'What it answers' table, the first list of commands a new user reads, had no row for `accelopt
    optimize` (one of the commands `accelopt --help` lists and `make demo` runs), and its `validate` row named
    published training runs only, while `validate --serving` and `--inference` check serving and inference too."""
    import typer

    from accelopt.cli.main import app

    table = re.search(r"\| command \| question \|(.*?)\n\n", (Path(__file__).resolve().parents[1] / "README.md")
                      .read_text(encoding="utf-8"), re.S)
    assert table, "README.md's 'What it answers' table changed: update this test"
    rows = dict(re.findall(r"^\| `accelopt ([a-z]+)[^`]*` \| (.*?) \|$", table[1], re.M))
    commands = set(getattr(typer.main.get_command(app), "commands", {}))
    assert commands and commands <= set(rows), sorted(commands - set(rows))
    assert all(word in rows["validate"] for word in ("training", "serving", "inference")), rows["validate"]


def test_layout_names_every_docs_and_examples_file() -> None:
    """utreadme (2026-12-05): README's Layout named docs/schemas.md but not docs/runs_files.md (each runs-file
    column of `validate --runs`, which README points to), so a reader of the Layout did not know it was there."""
    m = re.search(r"## Layout ``` src/accelopt/ (.*?)```", README)
    assert m, "README.md's Layout block changed: update this test"
    root = Path(__file__).resolve().parents[1]
    for folder in ("docs", "examples"):
        for entry in sorted((root / folder).iterdir()):
            if entry.name.startswith((".", "_")):
                continue
            named = f"{folder}/{entry.name}" if folder == "docs" else entry.name
            assert re.search(rf"(^|[ (,]){re.escape(named)}([/ ,)]|$)", m[1]), \
                f"{folder}/{entry.name} is not in the Layout"
