"""Text from users and data files reaches the terminal as plain text: rich markup in a device, design, layer or
model name, or in a path, is printed verbatim (no MarkupError, no eaten brackets, no hidden hyperlink)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import run_main, run_main_expect

from accelopt.report.console import line, make_console, plain, printable

ROOT = Path(__file__).resolve().parents[1]
CSI = re.compile(r"\x1b\[[0-9;]*m")  # colour codes of a forced terminal, stripped before reading the text
HOSTILE = "evil [/bold] [/] [link=http://x]click[/link] [red]:smile:"


def _catalog(tmp_path: Path, name: str = "dev-x", display: str = "Dev X", source: str = "our datasheet") -> Path:
    p = tmp_path / "mine.toml"
    p.write_text(f"""[sources]
ds = {json.dumps(source)}

[[device]]
name = {json.dumps(name)}
display_name = {json.dumps(display)}
kind = "asic"
vendor = "Example"
peak_flop_per_s = {{ bf16 = [1e14, "ds"] }}
memory_bytes = [160e9, "ds"]
memory_bandwidth_byte_per_s = [1e12, "ds"]
tdp_w = [100, "ds"]
""", encoding="utf-8")
    return p


def test_catalog_show_keeps_the_bracketed_name(capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = run_main_expect(capsys, "catalog", "show", "h100-sxm")
    assert "[h100-sxm]" in out  # markup read `[h100-sxm]` as a style tag and dropped it


@pytest.mark.parametrize(("display", "source"), [
    ("Dev X", "see [link=http://x]the sheet[/link]"),  # valid markup: rich made it a hidden hyperlink
    (HOSTILE, "see [link=http://x]the sheet[/link] [/]"),  # broken markup: rich raised MarkupError
])
def test_markup_in_user_catalog_names_and_sources(display: str, source: str, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")  # a terminal: rich would emit OSC-8 hyperlinks and colours here
    monkeypatch.setenv("COLUMNS", "300")  # no folding inside table cells
    cat = _catalog(tmp_path, display=display, source=source)
    for argv in (["catalog", "show", "dev-x"], ["catalog", "list"], ["catalog", "compare", "dev-x", "h100-sxm"]):
        code, out, err = run_main([*argv, "--catalog", str(cat)], capsys)
        assert code == 0, err
        assert "\x1b]8;" not in out  # no hidden hyperlink
        if argv[1] == "show":
            text = CSI.sub("", out)
            assert display in text and source in text
            assert "😄" not in text  # emoji codes are text too


def test_markup_in_a_device_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    name = "x[/bold]"
    cat = _catalog(tmp_path, name=name)
    out, _ = run_main_expect(capsys, "catalog", "show", name, "--catalog", str(cat))
    assert f"[{name}]" in out
    out, _ = run_main_expect(capsys, "catalog", "list", "--catalog", str(cat))
    assert name in out
    out, _ = run_main_expect(capsys, "plan", "serve", "--model", "llama3-8b", "--hardware", name, "--catalog",
                             str(cat), "--batch", "1")
    assert f"x {name} (tp=1" in out
    out, _ = run_main_expect(capsys, "history", "list")
    assert name in out


def test_markup_in_design_and_layer_names_and_paths(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "res [final]"
    folder.mkdir()
    topo = folder / "layers.csv"
    topo.write_text("Layer,M,N,K\nqkt [/bold] [/],64,64,64\n", encoding="utf-8")
    design = tmp_path / "d.toml"
    design.write_text((ROOT / "examples" / "my_design.toml").read_text(encoding="utf-8")
                      .replace('name = "my-design"', 'name = "npu [/] [/bold]"'), encoding="utf-8")
    out, _ = run_main_expect(capsys, "simulate", "run", "-d", str(design), "--topology", str(topo))
    assert "npu [/] [/bold]" in out and "qkt [/bold] [/]" in out
    assert f"SCALE-Sim topology {topo}" in out  # the path as typed, `[final]` included
    out, _ = run_main_expect(capsys, "simulate", "sweep", "-d", str(design), "--topology", str(topo),
                             "--rows", "16", "--cols", "16", "--sram-kib", "64", "--dataflow", "os")
    assert f"SCALE-Sim topology {topo}" in out and "base npu [/] [/bold]" in out
    out, _ = run_main_expect(capsys, "history", "list")
    # 2026-12-04 (int): the part after the path's space: the table wraps a long command at its spaces (a longer
    # tmp_path under pytest-xdist split 'res [final]' over two lines); markup read would have dropped '[final]'
    assert "[final]/layers.csv" in out


def test_markup_in_a_model_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "m [" / "bold]"  # the path holds `[/bold]`
    folder.mkdir(parents=True)
    config = json.loads((ROOT / "examples" / "hf_tiny_llama" / "config.json").read_text(encoding="utf-8"))
    config["_name_or_path"] = "tiny [/] [link=http://x]llama"
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    out, _ = run_main_expect(capsys, "plan", "explain", "--model", str(folder / "config.json"), "--hardware",
                             "h100-sxm", "--devices", "8")
    assert "tiny [/] [link=http://x]llama on 8 x h100-sxm" in out
    out, _ = run_main_expect(capsys, "plan", "--model", str(folder / "config.json"), "--devices", "8", "--top", "1")
    assert "tiny [/] [link=http://x]llama" in out


def test_markup_in_a_user_model_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "code [" / "bold]"
    folder.mkdir(parents=True)
    src = (ROOT / "examples" / "my_model.py").read_text(encoding="utf-8")
    assert 'name="small-convnet"' in src
    (folder / "m.py").write_text(src.replace('name="small-convnet"', 'name="net [/] [bold"'), encoding="utf-8")
    save = folder / "w [x].json"
    out, _ = run_main_expect(capsys, "profile", f"{folder}/m.py:build", "--steps", "3", "--warmup", "1",
                             "--mode", "inference", "--save-workload", str(save))
    assert "net [/] [bold" in out and f"workload written to {save}" in out
    out, _ = run_main_expect(capsys, "simulate", "run", "-d", "edge-npu", "--workload", str(save))
    assert f"workload {save}" in out


def test_control_characters_are_shown_not_sent(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FORCE_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "300")
    cat = _catalog(tmp_path, display="a\x1b]8;;http://x\x1b\\b\x07c")
    out, _ = run_main_expect(capsys, "catalog", "show", "dev-x", "--catalog", str(cat))
    assert "\x1b]8;" not in out and "\x07" not in out
    assert "a\\x1b]8;;http://x\\x1b\\b\\x07c" in CSI.sub("", out)


def test_error_messages_show_control_characters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    topo = tmp_path / "a\x1b]8;;http://x\x1b\\b.csv"  # an OSC-8 hyperlink in a path that does not exist
    code, _, err = run_main(["simulate", "run", "-d", "edge-npu", "--topology", str(topo)], capsys)
    assert code == 2 and "\x1b" not in err  # before: the terminal received the escape sequence
    assert str(topo).replace("\x1b", "\\x1b") in err  # shown, as an escape


def test_console_helpers(tmp_path: Path) -> None:
    assert printable("ok [/] \t\n") == "ok [/] \t\n" and printable("\x1b[31m") == "\\x1b[31m"
    with (tmp_path / "o.txt").open("w", encoding="utf-8") as f:
        con = make_console(file=f)
        con.print("[bold]not markup[/] :smile:")
        con.print(line(("ours", "bold"), " [/] theirs"), plain("[link=x]y"))
    text = (tmp_path / "o.txt").read_text(encoding="utf-8")
    assert text.splitlines() == ["[bold]not markup[/] :smile:", "ours [/] theirs [link=x]y"]
    assert make_console(file=(tmp_path / "w.txt").open("w")).width == 200  # not a terminal: wide tables


def test_every_console_comes_from_the_factory() -> None:
    """A rich Console built elsewhere would read user text as markup again."""
    src = ROOT / "src" / "accelopt"
    offenders = [str(p.relative_to(src)) for p in src.rglob("*.py")
                 if p.name != "console.py" and re.search(r"\bConsole\(", p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_history_show_prints_argv_verbatim(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_main_expect(capsys, "catalog", "compare", "h100-sxm", "mi300x", "--dtype", "bf16")
    out, _ = run_main_expect(capsys, "history", "show", "latest")
    assert "accelopt catalog compare h100-sxm mi300x --dtype bf16" in out
