"""One typed, versioned JSON shape per command: every --json document validates against `accelopt schema KIND`,
loads back into its typed result unchanged, and every HTML page shows its key figures in the units the JSON
declares (tests/_pages.py reads the shown text back into SI on its own)."""

from __future__ import annotations

import dataclasses
import json
import re
import typing
from pathlib import Path

import jsonschema
import pytest
from _pages import KEY_FIGURE_PATHS, Page, check_figure, key_figures_in, read_quantity

from accelopt.report import schema


@pytest.fixture
def pages(result_pages: dict[str, Page]) -> dict[str, Page]:
    return result_pages


def test_every_kind_has_a_page(pages: dict[str, Page]) -> None:
    from accelopt.report.figures import KINDS

    assert set(pages) == set(KINDS) == set(schema.KINDS) == set(KEY_FIGURE_PATHS)


@pytest.mark.parametrize("kind", schema.KINDS)
def test_document_validates_and_round_trips(pages: dict[str, Page], kind: str) -> None:
    doc = pages[kind].document
    assert doc["schema"] == f"accelopt.{kind}" and doc["schema_version"] == schema.result_class(kind)[1]
    jsonschema.Draft202012Validator(schema.json_schema(kind)).validate(doc)
    obj = schema.load(kind, doc)
    assert json.loads(json.dumps(schema.dump(kind, obj))) == doc  # nothing lost or renamed on the way back


@pytest.mark.parametrize("kind", schema.KINDS)
def test_page_key_figures_match_the_json(pages: dict[str, Page], kind: str) -> None:
    shown = dict(key_figures_in(pages[kind].path.read_text(encoding="utf-8")))
    want = KEY_FIGURE_PATHS[kind]
    assert set(want) <= set(shown), f"{kind}: figures missing from the page: {set(want) - set(shown)}"
    for label in want:
        check_figure(kind, pages[kind].document, label, shown[label])


def test_schema_rejects_other_versions_and_shapes(pages: dict[str, Page]) -> None:
    doc = dict(pages["simulate-run"].document)
    with pytest.raises(schema.OtherVersionError, match="version"):
        schema.load("simulate-run", {**doc, "schema_version": 0})
    with pytest.raises(schema.OtherVersionError, match="schema"):
        schema.load("plan", doc)
    with pytest.raises(schema.SchemaError, match="totals"):
        schema.load("simulate-run", {**doc, "totals": [1, 2, 3]})


def test_old_record_renders_its_json_with_a_note(pages: dict[str, Page]) -> None:
    from accelopt.report.html import render_html

    old = {k: v for k, v in pages["plan"].document.items() if k not in ("schema", "schema_version")}
    page = render_html("plan", old, title="old", argv=["plan"])
    assert "predates accelopt's versioned result schemas" in page and "<svg" not in page and "candidates" in page
    other = {**pages["plan"].document, "schema_version": 99}
    page = render_html("plan", other, title="other", argv=["plan"])
    assert "another version of accelopt (schema accelopt.plan version 99)" in page and "<svg" not in page


@pytest.mark.parametrize("kind", ["optimize", "plan-infer", "validate-inference", "profile-distributed"])
def test_record_from_before_the_schema_loads_through_it(pages: dict[str, Page], kind: str) -> None:
    """A run of a kind typed late was stored as its plain fields (optimize: with `"schema": 1`); it loads into
    the typed result and gets the full page, and one that no longer fits says so instead of failing."""
    from accelopt.report.figures import key_figures
    from accelopt.report.html import render_html

    doc = pages[kind].document
    legacy = {**{k: v for k, v in doc.items() if k not in ("schema", "schema_version")}, "schema": 1}
    assert schema.dump(kind, schema.load(kind, legacy)) == schema.dump(kind, schema.load(kind, doc))
    assert key_figures(kind, legacy) == key_figures(kind, doc)
    field = next(f.name for f in dataclasses.fields(schema.result_class(kind)[0]))
    broken = {k: v for k, v in legacy.items() if k != field}
    with pytest.raises(schema.OtherVersionError, match="predates"):
        schema.load(kind, broken)
    page = render_html(kind, broken, title="old", argv=[kind])
    assert "predates accelopt's versioned result schemas" in page and 'class="kf"' not in page


def test_docs_schemas_md_is_generated() -> None:
    text = (Path(__file__).resolve().parents[1] / "docs" / "schemas.md").read_text(encoding="utf-8")
    assert text == schema.docs_markdown(), "regenerate docs/schemas.md (see accelopt.report.schema.docs_markdown)"


def _classes(cls: type, seen: set[type]) -> set[type]:
    seen.add(cls)
    for tp in typing.get_type_hints(cls).values():
        for a in (tp, *typing.get_args(tp), *(b for x in typing.get_args(tp) for b in typing.get_args(x))):
            if dataclasses.is_dataclass(a) and isinstance(a, type) and a not in seen:
                _classes(a, seen)
    return seen


def test_every_number_declares_its_unit() -> None:
    """A number in a result says its unit in its field (or, when the unit varies by row, `in unit` and a
    sibling `unit` field): nothing downstream guesses units from names."""
    missing = []
    for kind in schema.KINDS:
        for cls in _classes(schema.result_class(kind)[0], set()):
            hints = typing.get_type_hints(cls)
            for f in dataclasses.fields(cls):
                if not f.repr:  # not part of the JSON document (raw samples)
                    continue
                tp = hints[f.name]
                kinds = {tp, *typing.get_args(tp), *(b for x in typing.get_args(tp) for b in typing.get_args(x))}
                if not kinds & {int, float} or bool in kinds:
                    continue
                doc = str(f.metadata.get("doc", ""))
                m = re.match(r"in `(\w+)`", doc)  # the unit is in a sibling field (or derived value) so named
                sibling = m is not None and (m.group(1) in {g.name for g in dataclasses.fields(cls)}
                                             or m.group(1) in getattr(cls, "DERIVED_UNITS", {}))
                if "unit" not in f.metadata and not sibling and not doc.startswith("in the SI unit that `field`"):
                    missing.append(f"{cls.__name__}.{f.name}")
    assert not missing, f"numbers without a unit: {sorted(set(missing))}"


def _rows_of(page_html: str, first_cell: str) -> list[str]:
    """The cells of the table row whose first cell is `first_cell` (HTML source, entities decoded)."""
    import html
    import re

    for row in re.findall(r"<tr>(.*?)</tr>", page_html):
        cells = [html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        if cells and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row {first_cell!r}")


def test_explain_terms_shown_in_their_own_units(pages: dict[str, Page]) -> None:
    """The bug this replaces: units guessed from key suffixes showed tokens_per_s (ends in _s) as '15.6 h'."""
    page = pages["plan-explain"].path.read_text(encoding="utf-8")
    for term in pages["plan-explain"].document["terms"]:
        value, unit = read_quantity(_rows_of(page, term["name"])[1])
        if term["value"] is None:
            assert value is None, term
            continue
        assert unit in ({"count", ""} if term["unit"] == "count" else {term["unit"]}), (term, unit)
        # shown to 3 significant digits (tolerance as in _pages.check_figure)
        tol = 0.005 * abs(term["value"]) + {"fraction": 5e-4, "count": 0.5}.get(term["unit"], 0.0)
        assert abs(value - term["value"]) <= tol, (term, value)


def test_simulate_bandwidth_is_a_bandwidth(pages: dict[str, Page]) -> None:
    """The bug this replaces: bandwidth_needed_byte_per_s (ends in _s) was shown as '478 years'."""
    page = pages["simulate-run"].path.read_text(encoding="utf-8")
    value, unit = read_quantity(_rows_of(page, "DRAM bandwidth needed for no bandwidth stalls (B/s)")[1])
    want = pages["simulate-run"].document["totals"]["bandwidth_needed_byte_per_s"]
    assert unit == "B/s" and value == pytest.approx(want, rel=0.005)


def test_schema_cli_help_names_every_kind_and_list_with_a_kind_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    from conftest import run_main

    code, out, _ = run_main(["schema", "--help"], capsys)
    assert code == 0
    help_text = " ".join(out.split())
    missing = [k for k in schema.KINDS if not re.search(rf"(?<![\w-]){re.escape(k)}(?![\w-])", help_text)]
    assert not missing, f"`accelopt schema --help` does not name {missing}"
    code, out, err = run_main(["schema", "--list", "plan"], capsys)  # the kind used to be dropped silently
    assert code == 2 and out == "" and "error:" in err and "fix:" in err and "'plan'" in err


def test_schema_near_miss_kind_suggests_the_closest(capsys: pytest.CaptureFixture[str]) -> None:
    """`accelopt schema simulate_run` listed all 17 kinds without pointing at 'simulate-run'."""
    from conftest import run_main

    for typed_kind, meant in (("simulate_run", "simulate-run"), ("Plan Serve", "plan-serve"),
                              ("catalog", "catalog-compare")):
        code, out, err = run_main(["schema", typed_kind], capsys)
        assert code == 2 and out == "" and f"fix: did you mean '{meant}'" in err


def test_close_name_suggestions_come_from_errors() -> None:
    """schema.result_class and `simulate published --chip` each matched names with difflib of their own, beside
    errors.unknown_name: one matcher (errors.close_matches) keeps case and order the same everywhere."""
    from accelopt import errors

    assert errors.close_matches("EYERIS", ["nvdla", "eyeriss"], n=1, cutoff=0.6) == ["eyeriss"]
    assert errors.close_matches("H100", ["H100-SXM", "tpu-v4"]) == ["H100-SXM"]  # as `known` spells it
    with pytest.raises(errors.AcceloptError) as e:
        schema.result_class("Plan Serv")
    assert e.value.fix.startswith("did you mean 'plan-serve'")


def test_a_number_past_float_range_is_a_schema_error_not_a_traceback() -> None:
    """A record whose flops_per_step is the JSON integer 10**400 (hand-edited, or another tool's) made
    `history list` end in OverflowError: int too large to convert to float."""
    from test_report_html import _profile_result

    from accelopt.report.schema import SchemaError, dump, load

    doc = dump("profile", _profile_result(False))
    with pytest.raises(SchemaError, match=r"flops_per_step: an integer of 401 digits is past the largest"):
        load("profile", {**doc, "flops_per_step": 10**400})
    assert load("profile", {**doc, "flops_per_step": 10**300}).flops_per_step == 1e300  # large but a float: reads
