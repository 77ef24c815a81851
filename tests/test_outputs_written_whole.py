"""Output files are written all or nothing: `--html` and `--save-workload` opened the file for writing (emptying
it) before writing the text, so a Ctrl-C, a full disk or an encoding failure mid-write left a rerun's earlier page
or workload cut or empty. They now go to a hidden file beside it, moved onto the name only when whole."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from accelopt.userio import write_text_whole


def test_a_failed_write_keeps_the_earlier_file_and_leaves_nothing_beside_it(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    page.write_text("<html>the earlier run</html>", encoding="utf-8")
    with pytest.raises(UnicodeEncodeError):
        write_text_whole(page, "<html>" + "x" * 1000 + "\ud800")  # fails after the file was opened
    assert page.read_text(encoding="utf-8") == "<html>the earlier run</html>"
    assert sorted(os.listdir(tmp_path)) == ["report.html"]


@pytest.fixture
def ctrl_c_at_the_move(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Ctrl-C between writing the hidden file and moving it onto the name."""
    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)


@pytest.mark.usefixtures("ctrl_c_at_the_move")
def test_a_ctrl_c_before_the_move_keeps_the_earlier_file(tmp_path: Path) -> None:
    page = tmp_path / "w.json"
    page.write_text("{}", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        write_text_whole(page, '{"name": "new"}')
    assert page.read_text(encoding="utf-8") == "{}" and sorted(os.listdir(tmp_path)) == ["w.json"]


def test_a_link_is_followed_and_a_whole_write_replaces(tmp_path: Path) -> None:
    real = tmp_path / "real.html"
    real.write_text("old", encoding="utf-8")
    link = tmp_path / "link.html"
    link.symlink_to(real)
    write_text_whole(link, "new")
    assert link.is_symlink() and real.read_text(encoding="utf-8") == "new"


def test_html_report_keeps_the_earlier_page_when_the_write_fails(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from accelopt.report import html

    page = tmp_path / "report.html"
    # 2026-12-05, htmlsafe: the earlier page carries accelopt's generator <meta>: a page without it is now refused
    # before the render (InputError), which would pass this test without reaching the write it is about
    earlier = '<!DOCTYPE html><html><head><meta name="generator" content="accelopt profile"></head>the earlier run'
    page.write_text(earlier, encoding="utf-8")
    monkeypatch.setattr(html, "render_html", lambda *a, **k: "<!DOCTYPE html>" + "y" * 5000 + "\ud800")
    with pytest.raises(UnicodeEncodeError):
        html.write_html(page, "profile", object(), title="t", argv=[])
    assert page.read_text(encoding="utf-8") == earlier


def test_workload_save_keeps_the_earlier_file_when_the_write_fails(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from accelopt.workload import types

    out = tmp_path / "workload.json"
    out.write_text('{"earlier": true}', encoding="utf-8")
    w = types.Workload(name="w", ops=[])
    monkeypatch.setattr(types.json, "dumps", lambda *a, **k: '{"name": "w"' + "\ud800")
    with pytest.raises(UnicodeEncodeError):
        w.save(out)
    assert out.read_text(encoding="utf-8") == '{"earlier": true}'


@pytest.mark.usefixtures("ctrl_c_at_the_move")
def test_simulate_export_keeps_the_earlier_file_when_interrupted(tmp_path: Path) -> None:
    """`simulate export --out FILE` (and the topology writer, the probe's measured spec) go through write_text_whole."""
    from accelopt.simulate import export

    out = tmp_path / "design.cfg"
    out.write_text("[general]\nrun_name = earlier\n", encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        export.write_text("[general]\nrun_name = new\n", out)
    assert out.read_text(encoding="utf-8") == "[general]\nrun_name = earlier\n"
    assert sorted(os.listdir(tmp_path)) == ["design.cfg"]

