"""The top-level `accelopt --help` and `--version`, as a new user first types them.

Before: `accelopt --version` was "No such option" (exit 2), and the Commands panel of `accelopt --help` showed
each command's whole help text with its source line breaks (rows broken mid-sentence, "via NVML" / "when
present)" on two lines), beside a second, hand-written list of the same commands above it.
"""

from __future__ import annotations

import pytest
import typer

import accelopt
from accelopt.cli.main import ONE_LINERS, app, main


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as e:
        main(argv)
    out, err = capsys.readouterr()
    return int(e.value.code or 0), out, err


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, ["--version"])
    assert code == 0, err
    assert out.strip() == f"accelopt {accelopt.__version__}"


def test_every_command_has_a_one_line_summary() -> None:
    group = typer.main.get_command(app)
    names = set(group.commands)  # type: ignore[attr-defined]
    assert names == set(ONE_LINERS), names ^ set(ONE_LINERS)
    for name, cmd in group.commands.items():  # type: ignore[attr-defined]
        assert cmd.short_help == ONE_LINERS[name]
        assert "\n" not in cmd.short_help and len(cmd.short_help) <= 100, name


def test_top_level_help_rows_are_whole_sentences(capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    code, out, _ = _run(capsys, ["--help"])
    assert code == 0
    rows = [ln.strip("│ ").rstrip() for ln in out.splitlines()]
    for name, summary in ONE_LINERS.items():
        listed = [r for r in rows if r.split(" ", 1)[0] == name]
        assert len(listed) == 1, (name, out)  # listed once, in the Commands panel
        assert listed[0].endswith(summary), (name, out)  # on one row, whole


@pytest.mark.parametrize(("argv", "where"), [(["plan", "--devices"], "accelopt plan --help"),
                                             (["plan", "serve", "--batch"], "plan serve --help")])
def test_usage_error_points_at_the_subcommand_help(capsys: pytest.CaptureFixture[str], argv: list[str],
                                                   where: str) -> None:
    """`accelopt plan --devices` (a flag without its value) pointed at `accelopt --help`, which lists no plan flag."""
    code, _, err = _run(capsys, argv)
    assert code == 2
    assert "error:" in err and where in err, err
    assert "Traceback" not in err


def test_subcommand_panels_list_one_sentence_each() -> None:
    """`accelopt plan --help` listed serve and infer with their whole multi-line help, broken at source line ends."""
    group = typer.main.get_command(app)
    for gname, g in group.commands.items():  # type: ignore[attr-defined]
        for name, sub in getattr(g, "commands", {}).items():
            short = sub.short_help or sub.help or ""
            assert short and "\n" not in short, f"accelopt {gname} {name}: {short!r}"


@pytest.mark.parametrize(("text", "first"), [
    ("Show one layout.\n  More here.", "Show one layout."),
    ("Compare devices, e.g. h100 and mi300x, side by side. Then more.",
     "Compare devices, e.g. h100 and mi300x, side by side."),
    ("No full stop at all", "No full stop at all"), (None, None)])
def test_first_sentence(text: str | None, first: str | None) -> None:
    from accelopt.cli.main import first_sentence

    assert first_sentence(text) == first


def test_flags_show_no_value_type_in_help(capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """typer 0.29 printed `--quick <bool>` (read as `--quick true`, which click refuses); options taking a value
    keep their type (`--nproc <int>`)."""
    monkeypatch.setenv("COLUMNS", "120")
    code, out, err = _run(capsys, ["probe", "--help"])
    assert code == 0, err
    assert "<bool>" not in out, out
    assert "--quick" in out and "<int>" in out
    code, out, err = _run(capsys, ["plan", "explain", "--help"])
    assert code == 0 and "<bool>" not in out and "--no-flash" in out


@pytest.mark.parametrize(("argv", "flag", "word"), [(["probe", "--quick", "true"], "--quick", "true"),
                                                    (["env", "--json", "1"], "--json", "1")])
def test_a_value_after_a_flag_says_the_flag_takes_none(capsys: pytest.CaptureFixture[str], argv: list[str],
                                                       flag: str, word: str) -> None:
    code, _out, err = _run(capsys, argv)
    assert code == 2 and "Traceback" not in err
    assert f"fix: {flag} is a flag: it takes no value; write `{flag}` alone (leave out '{word}')" in err, err


def test_group_help_names_each_subcommand() -> None:
    """`accelopt plan --help` opened with "predict training/serving time, memory, energy, cost; search layouts": no
    word of `plan infer`, which the group holds. Each group's help names what each of its subcommands does."""
    group = typer.main.get_command(app)
    for gname, g in group.commands.items():  # type: ignore[attr-defined]
        words = " ".join((g.help or "").lower().split())
        for name in getattr(g, "commands", {}):
            stem = name[:-1] if name.endswith("e") else name  # serve -> serv(ing), infer -> infer(ence)
            assert stem in words, f"`accelopt {gname} --help` says {words!r}, no word of `{gname} {name}`"
