"""Property: undo over any sequence of commands gives back every earlier document exactly."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from labeldesk.core import AddShapes, Document, EditShape, PaintMask, RemoveShapes, Reorder, Shape

ops = st.lists(
    st.tuples(
        st.sampled_from(
            ["add", "add_mask", "remove", "points", "label", "reorder", "paint", "erase", "group"]
        ),
        st.integers(0, 1000),
        st.integers(0, 40),
        st.integers(0, 40),
    ),
    max_size=30,
)


def apply(doc: Document, op: str, n: int, x: int, y: int) -> None:
    k = len(doc)
    masks = [i for i, s in enumerate(doc.shapes) if s.shape_type == "mask"]
    if op == "add":
        doc.execute(
            AddShapes([Shape(f"c{n % 3}", [[x, y], [x + 5, y], [x, y + 5]])], [n % (k + 1)])
        )
    elif op == "add_mask":
        m = np.random.default_rng(n).random((4, 6)) > 0.5
        doc.execute(AddShapes([Shape("m", [[x, y], [x + 5, y + 3]], "mask", mask=m)]))
    elif op == "remove" and k:
        doc.execute(RemoveShapes(sorted({n % k, (n // 7) % k})))
    elif op == "points" and k and doc.shapes[n % k].shape_type == "polygon":
        doc.execute(EditShape(n % k, points=[[x, y], [x + 1, y + 9], [y, x], [3, 3]]))
    elif op == "label" and k:
        doc.execute(EditShape(n % k, label=f"l{x}", group_id=y or None, flags={"f": bool(y % 2)}))
    elif op == "reorder" and k:
        doc.execute(Reorder(list(np.random.default_rng(n).permutation(k))))
    elif op in ("paint", "erase") and masks:
        stroke = np.random.default_rng(n).random((5, 3)) > 0.3
        doc.execute(PaintMask(masks[n % len(masks)], x, y, stroke, value=op == "paint"))
    elif op == "group" and k:
        with doc.group("gesture"):
            doc.execute(EditShape(n % k, label="g"))
            doc.execute(AddShapes([Shape("g", [[0, 0], [1, 0], [0, 1]])]))


@settings(max_examples=150, deadline=None)
@given(ops)
def test_undo_redo_returns_exact_earlier_documents(sequence) -> None:
    doc = Document("x.png", 64, 64)
    states = [doc.state()]
    for op in sequence:
        before = len(doc.history)
        apply(doc, *op)
        if len(doc.history) != before:
            states.append(doc.state())
    assert len(states) == len(doc.history) + 1
    for expected in reversed(states[:-1]):
        assert doc.undo()
        assert doc.state() == expected
    assert not doc.is_dirty()
    for expected in states[1:]:
        assert doc.redo()
        assert doc.state() == expected
    for s in doc.shapes:
        s.validate()
