"""The fast labelme JSON writer gives exactly the standard library's text."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from labeldesk.io.jsonfmt import dumps_indent2

scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8)
)
points = st.lists(st.lists(st.floats(allow_nan=False), min_size=2, max_size=2), max_size=5)
values = st.recursive(
    scalars | points,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=120, deadline=None)
@given(values)
def test_same_text_as_json_dumps(value) -> None:
    assert dumps_indent2(value) == json.dumps(value, ensure_ascii=False, indent=2)


def test_labelme_like_document() -> None:
    doc = {
        "version": "5.5.0",
        "flags": {},
        "shapes": [
            {"label": "猫", "points": [[1.5, 2.0], [3.25, -4.0]], "group_id": None, "flags": {}}
        ],
        "imageData": None,
        "weird": [[1, 2], [3.0, 4.0], []],
        "nan": [[float("nan"), 1.0]],
        "keys": {1: "a", 2.5: "b", False: "c", None: "d"},
    }
    assert dumps_indent2(doc) == json.dumps(doc, ensure_ascii=False, indent=2)
