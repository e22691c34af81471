"""API fuzzing from the OpenAPI description: parameters drawn from the spec (and past its limits),
every response of the status and shape the spec gives, never a 5xx."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

SPEC = json.loads((Path(__file__).resolve().parent.parent / "web" / "static" / "openapi.json").read_text())
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _validate(response, path: str) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    responses = SPEC["paths"][path]["get"]["responses"]
    assert str(response.status_code) in responses, response.status_code
    schema = {**responses[str(response.status_code)]["content"]["application/json"]["schema"],
              "components": SPEC["components"]}
    errors = [e.message for e in Draft202012Validator(schema).iter_errors(response.get_json())]
    assert not errors, errors


TEXT = st.text(max_size=80)
NUMBER = st.one_of(st.integers(-5, 100_000), TEXT)  # in range, out of range, not a number
SEARCH_PARAMS = st.fixed_dictionaries({}, optional={
    "q": st.one_of(TEXT, st.sampled_from(["oil", '"oil prices"', "title:", "date:2021", "AND OR", "*"])),
    "limit": NUMBER, "offset": NUMBER,
    "sort": st.one_of(st.sampled_from(["relevance", "newest", "oldest"]), TEXT),
    "source": TEXT, "year": st.one_of(st.from_regex(r"\A[0-9]{4}\Z"), TEXT),
    "month": st.one_of(st.from_regex(r"\A[0-9]{4}-[0-9]{2}\Z"), TEXT), "lang": TEXT,
})


@FUZZ
@given(SEARCH_PARAMS)
def test_api_search_answers_every_parameter_set_as_the_spec_says(client, params):
    _validate(client.get("/api/search", query_string=params), "/api/search")


@FUZZ
@given(st.one_of(st.from_regex(r"\A[0-9a-f]{16}\Z"), TEXT.filter(lambda s: "/" not in s and s not in ("", ".", ".."))),
       st.one_of(st.none(), TEXT))
def test_api_doc_answers_every_id_as_the_spec_says(client, doc_id, q):
    response = client.get(f"/api/doc/{doc_id}", query_string={"q": q} if q is not None else {})
    if response.status_code == 404 and not response.is_json:
        return  # ids the router itself refuses (not of the route's form) get the plain 404 page
    _validate(response, "/api/doc/{id}")
