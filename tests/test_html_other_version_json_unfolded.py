"""A page that can show only a run's JSON (a result of another schema version) shows it unfolded.

The defect (ut4hist, 2026-12-06): `history show ID --html` of a plan-serve run recorded at a newer schema version
(99) wrote a page whose banner said 'only its JSON is shown', and the JSON sat folded under a closed 'show'
toggle: the page showed nothing but a banner and the meta table until the reader clicked."""
from accelopt.report.html import render_html

DOC = {"schema": "accelopt.plan-serve", "schema_version": 99, "results": [{"device": "h100-sxm"}]}


def test_the_json_of_a_result_of_another_version_is_open() -> None:
    page = render_html("plan-serve", DOC, title="t", argv=["plan", "serve"])
    assert "only its JSON is shown" in page
    assert "<details open><summary>show</summary>" in page
    assert "&quot;schema_version&quot;: 99" in page


def test_a_full_page_keeps_its_json_folded() -> None:
    from accelopt.report.html import _page

    assert "<details><summary>show</summary>" in _page("t", "plan", ["<p>x</p>"], "{}")
