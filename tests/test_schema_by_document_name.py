"""`accelopt schema accelopt.plan` (the name a document carries in its `schema` field) was refused ('no result schema
named 'accelopt.plan''): a user reading a JSON document typed what it said. It now prints that kind's schema."""

from __future__ import annotations

import pytest
from conftest import run_main


@pytest.mark.parametrize("kind", ["plan", "plan-serve", "history-list"])
def test_the_documents_schema_name_is_its_kind(kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, by_name, err = run_main(["schema", f"accelopt.{kind}"], capsys)
    assert code == 0, err
    assert by_name == run_main(["schema", kind], capsys)[1]


def test_an_unknown_name_is_still_refused(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(["schema", "accelopt.plann"], capsys)
    assert code == 2 and "accelopt.plann" in err, err


@pytest.mark.parametrize("typed", ["Plan-Serve", "ACCELOPT.plan-serve"])
def test_a_kind_in_other_case_is_its_kind(typed: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`schema Plan Serve` was read case-blind (the command's words) while `schema Plan-Serve` was refused."""
    code, out, err = run_main(["schema", typed], capsys)
    assert code == 0, err
    assert out == run_main(["schema", "plan-serve"], capsys)[1]
