"""profile --json kept `diagnosis.recommendations` when the console withheld the diagnosis (the profiled pass
disagreed with the headline step, 53x slower on a busy machine): only `contention.disturbed` held the word
"diagnosis", which a script reading the recommendations did not look at. Now the diagnosis says `withheld` (why) and
its recommendations are moved to `withheld_recommendations`, so `recommendations` is empty, as on the console
(schema `profile` version 3; documents of versions 1 and 2 read, their diagnosis as standing)."""

from __future__ import annotations

import dataclasses
import json

from test_html_warnings import _busy
from test_report_html import _profile_result

from accelopt.measure.diagnose import WITHHELD_REASON, diagnose, gain_bound
from accelopt.report import schema
from accelopt.report.jsonout import dumps


def test_a_standing_diagnosis_keeps_its_recommendations_in_the_json() -> None:
    r = _profile_result(False)
    d = diagnose(r)
    doc = json.loads(dumps(r))["diagnosis"]
    assert d.recommendations and doc["withheld"] is None
    assert len(doc["recommendations"]) == len(d.recommendations) and doc["withheld_recommendations"] == []


def test_a_withheld_diagnosis_says_so_and_moves_its_recommendations() -> None:
    standing = diagnose(_profile_result(False))
    r = dataclasses.replace(_profile_result(False), contention=_busy("roofline", "diagnosis"))
    assert r.conclusions_withheld
    d = diagnose(r)
    doc = json.loads(dumps(r))["diagnosis"]
    assert doc["withheld"] == WITHHELD_REASON and "not to be acted on" in doc["withheld"]
    assert doc["recommendations"] == []  # a reader of the recommendations finds none, as the console shows none
    assert [x["action"] for x in doc["withheld_recommendations"]] == [x.action for x in standing.recommendations]
    assert next(iter(doc)) == "withheld"  # the first key of the diagnosis
    # optimize's own profile pass still bounds its variants from what it measured, as before
    techniques = standing.recommendations[0].techniques
    assert gain_bound(d, techniques) == gain_bound(standing, techniques)


def test_a_version_2_document_still_reads() -> None:
    r = _profile_result(False)
    diagnose(r)
    doc = schema.dump("profile", r)
    doc["schema_version"] = 2
    del doc["diagnosis"]["withheld"], doc["diagnosis"]["withheld_recommendations"]
    back = schema.load("profile", doc)
    assert back.diagnosis.withheld is None and back.diagnosis.recommendations
