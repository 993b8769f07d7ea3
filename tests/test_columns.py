"""The columnar ``--where`` mask decides exactly what ``filters.matches`` decides, document by document."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelhub_jupyter.search import filters
from modelhub_jupyter.search.columns import Columns
from modelhub_jupyter.search.keyword import top_k

KEYS = ("framework.name", "params", "tags", "date", "lr", "flag", "weights.format", "name")
OPS = ("=", "!=", ">", ">=", "<", "<=", "~")

# Values a document holds: the words and numbers people filter by, in several cases, dates with and
# without a zone, numbers a K/M/B suffix reaches, booleans, and the odd shapes (None, dicts, nested lists).
WORDS = st.sampled_from(
    ["pytorch", "PyTorch", "jax", "tensorflow", "", "gpt-2", "GPT", "a,b", "1e3", "100M", "none", "True"]
)
DATES = st.sampled_from(
    [
        "2025-01-10",
        "2025-01-10T09:00:00+00:00",
        "2025-01-10T09:00:00Z",
        "2024-12-31T23:59:59",
        "2025",
        "not-a-date",
    ]
)
NUMBERS = st.one_of(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.sampled_from([0, 1, 768, 1000, 100_000_000, 124_000_000, 1_000_000_000, 2**60, 10**400]),
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.sampled_from([0.0, 1e-4, 3e-4, 0.5, 1.0, 1e8]),
)
SCALARS = st.one_of(WORDS, DATES, NUMBERS, st.booleans(), st.none(), st.text(max_size=6))
VALUES = st.one_of(
    SCALARS,
    st.lists(
        st.one_of(SCALARS, st.lists(SCALARS, max_size=2), st.dictionaries(WORDS, SCALARS, max_size=1)),
        max_size=4,
    ),
    st.dictionaries(st.sampled_from(["name", "x"]), SCALARS, max_size=2),
)


@st.composite
def documents(draw: st.DrawFn) -> dict:
    md: dict = {}
    if draw(st.booleans()):
        md["framework"] = draw(st.one_of(st.dictionaries(st.just("name"), VALUES, max_size=1), VALUES))
    for key in ("params", "tags", "date", "lr", "flag", "name"):
        if draw(st.booleans()):
            md[key] = draw(VALUES)
    if draw(st.booleans()):  # a list of mappings: lookup collects their values
        md["weights"] = draw(st.lists(st.dictionaries(st.just("format"), VALUES, max_size=1), max_size=3))
    return md


WANTED = st.one_of(
    WORDS,
    DATES,
    st.sampled_from(
        ["100M", "1B", "1e3", "0.0003", "-5", "1k", "768", "jax, pytorch", "pytorch,", "true", "2025-01-10"]
    ),
    st.text(min_size=1, max_size=6),
)
CLAUSES = st.builds(filters.Clause, st.sampled_from(KEYS), st.sampled_from(OPS), WANTED)


def _texts(node: object) -> list[str]:
    """Every scalar in ``node`` as a user would type it (so clauses hit equal values and bounds)."""
    if isinstance(node, dict):
        return [t for v in node.values() for t in _texts(v)]
    if isinstance(node, list):
        return [t for v in node for t in _texts(v)]
    return [] if node is None else [str(node)]


@st.composite
def cases(
    draw: st.DrawFn, max_docs: int = 12, max_clauses: int = 3
) -> tuple[list[dict], list[filters.Clause]]:
    """Documents, and clauses whose values are often taken from those documents."""
    docs = draw(st.lists(documents(), max_size=max_docs))
    seen = [t for d in docs for t in _texts(d) if t.strip()]
    wanted = st.one_of(WANTED, st.sampled_from(seen)) if seen else WANTED
    clause = st.builds(filters.Clause, st.sampled_from(KEYS), st.sampled_from(OPS), wanted)
    return docs, draw(st.lists(clause, min_size=1, max_size=max_clauses))


def _expected(docs: list[dict], clauses: list[filters.Clause]) -> list[bool | str]:
    out: list[bool | str] = []
    for md in docs:
        try:
            out.append(filters.matches(md, clauses))
        except Exception as err:  # noqa: BLE001 - the mask must fail the same way
            out.append(type(err).__name__)
    return out


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_mask_equals_matches(case):
    docs, clauses = case
    expected = _expected(docs, clauses)
    if any(isinstance(e, str) for e in expected):
        return  # filters.matches itself raises on some document: nothing to compare
    mask = Columns(docs).mask(clauses)
    assert mask.tolist() == expected, json.dumps(docs, default=str)


@settings(max_examples=200, deadline=None)
@given(st.lists(documents(), min_size=1, max_size=8), CLAUSES)
def test_one_clause_equals_matches_on_json_metadata(docs, clause):
    """Metadata as the catalog returns it: parsed from JSON."""
    docs = [json.loads(json.dumps(d, default=str)) for d in docs if _jsonable(d)]
    expected = _expected(docs, [clause])
    if any(isinstance(e, str) for e in expected):
        return
    assert Columns(docs).mask([clause]).tolist() == expected


def _jsonable(doc: dict) -> bool:
    try:
        json.dumps(doc, allow_nan=False)
    except (ValueError, TypeError):
        return False
    return True


def test_examples_users_type():
    docs = [
        {
            "framework": {"name": "pytorch"},
            "model_dimensions": {"total_parameters": 124_000_000},
            "tags": ["a", "b"],
        },
        {"framework": {"name": "JAX"}, "model_dimensions": {"total_parameters": 7_000_000_000}, "tags": []},
        {"framework": {"name": "tensorflow"}, "creation_date": "2025-01-10T09:00:00+00:00"},
        {},
    ]
    cases = [
        ("framework=pytorch", [True, False, False, False]),
        ("framework=jax,pytorch", [True, True, False, False]),
        ("framework!=jax", [True, False, True, True]),
        ("params>100M", [True, True, False, False]),
        ("params<=1B", [True, False, False, False]),
        ("tags=b", [True, False, False, False]),
        ("tags!=a", [False, True, True, True]),
        ("framework~flow", [False, False, True, False]),
        ("creation_date>2025-01-01", [False, False, True, False]),
    ]
    columns = Columns(docs)
    for text, expected in cases:
        clauses = filters.parse([text])
        assert columns.mask(clauses).tolist() == expected, text
        assert [filters.matches(d, clauses) for d in docs] == expected, text
    both = filters.parse(["framework=jax,pytorch", "params>1B"])
    assert columns.mask(both).tolist() == [False, True, False, False]


def test_masks_are_cached_per_clause_and_read_only():
    columns = Columns([{"a": 1}, {"a": 2}])
    clause = filters.Clause("a", ">", "1")
    first = columns.clause(clause)
    assert columns.clause(clause) is first
    assert not first.flags.writeable
    assert columns.mask([clause]).tolist() == [False, True]
    assert isinstance(columns.mask([]), np.ndarray) and columns.mask([]).all()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from([0.0, 0.5, 1.0, 2.0, -1.0, float("-inf")]) | st.floats(-5, 5), max_size=300),
    st.integers(min_value=0, max_value=400),
)
def test_top_k_is_the_head_of_a_stable_sort(scores, k):
    """The ranking channels' top k (argpartition) equals a full sort, best first, ties by position."""
    values = np.array(scores, dtype=np.float64)
    expected = np.lexsort((np.arange(len(values)), -values))[:k]
    assert top_k(values, k).tolist() == expected.tolist()
