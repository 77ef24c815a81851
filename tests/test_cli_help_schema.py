"""`accelopt schema` takes --json like every command that prints results (README: "Every command that prints results
also takes --json"); `schema --list --json` was "No such option: --json" (exit 2)."""

from __future__ import annotations

import json

import pytest

from accelopt.cli.main import main
from accelopt.report import schema


def _run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as e:
        main(argv)
    out, err = capsys.readouterr()
    return int(e.value.code or 0), out, err


def test_list_as_json_names_every_kind_with_its_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _run(capsys, ["schema", "--list", "--json"])
    assert code == 0, err
    doc = json.loads(out)
    assert [k["kind"] for k in doc["kinds"]] == [*schema.KINDS, *schema.DOCUMENT_KINDS]  # history, env, catalog too
    for k in doc["kinds"]:
        assert k["schema"] == schema.schema_name(k["kind"]) and k["schema_version"] == schema.result_class(k["kind"])[1]


def test_a_kind_with_json_is_the_same_document(capsys: pytest.CaptureFixture[str]) -> None:
    _, plain, _ = _run(capsys, ["schema", "plan-explain"])
    code, out, _ = _run(capsys, ["schema", "plan-explain", "--json"])
    assert code == 0 and json.loads(out) == json.loads(plain)


def test_list_as_text_is_one_line_per_kind(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, ["schema", "--list"])
    assert code == 0 and len(out.splitlines()) == len(schema.KINDS) + len(schema.DOCUMENT_KINDS)


def test_plain_list_names_the_document_kinds(capsys: pytest.CaptureFixture[str]) -> None:
    """`schema --list` left out the six documents `accelopt schema KIND` prints (history list/prune/import, env,
    catalog list/show), so a user could not find them."""
    code, out, err = _run(capsys, ["schema", "--list"])
    assert code == 0, err
    listed = [line.split("\t")[0] for line in out.splitlines()]
    assert listed == [*schema.KINDS, *schema.DOCUMENT_KINDS] and "catalog-show" in listed
