"""A seeded generator of mutated labelme files for the reader fuzz test (issue 11).

Each case is the text of a labelme file made from a valid one by a few structural mutations
(values of the wrong type, odd shape types and point counts, deep nesting, huge numbers,
lone surrogates, long or null-byte paths, broken masks) and, sometimes, byte-level damage.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable, Iterator
from typing import Any

WEIRD_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    10**30,
    1e308,
    -0.0,
    "",
    " ",
    "cat ",
    "\ud800",
    "a\x00b",
    "é" * 3,
    [],
    {},
    [[1, 2]],
    [[1, 2], [3, 4]],
    [["a", 1]],
    [[1, 2, 3]],
    {"a": {"b": [1]}},
]
SHAPE_TYPES = [
    "polygon",
    "rectangle",
    "circle",
    "line",
    "linestrip",
    "point",
    "oriented_rectangle",
    "mask",
    "blob",
    "",
    "points",
]
SHAPE_KEYS = ["label", "points", "group_id", "description", "shape_type", "flags", "mask"]
TOP_KEYS = ["version", "flags", "shapes", "imagePath", "imageData", "imageHeight", "imageWidth"]


def _deep(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def _mutate_shape(rng: random.Random, shape: dict) -> None:
    kind = rng.randrange(8)
    key = rng.choice(SHAPE_KEYS)
    if kind == 0:
        shape[key] = copy.deepcopy(rng.choice(WEIRD_VALUES))
    elif kind == 1:
        shape.pop(key, None)
    elif kind == 2:
        shape["shape_type"] = rng.choice(SHAPE_TYPES)
    elif kind == 3:
        n = rng.choice([0, 1, 2, 3, 4, 5, 50])
        shape["points"] = [[rng.uniform(-10, 70), rng.uniform(-10, 50)] for _ in range(n)]
    elif kind == 4:
        shape["points"] = [[rng.choice([10**400, 1e400, -(10**20), 2.5]), 1]]
    elif kind == 5:
        shape[f"extra{rng.randrange(3)}"] = _deep(rng.choice([3, 70, 2000]))
    elif kind == 6:
        shape["label"] = rng.choice(["\ud800x", " ", "cat ", "x" * 300, "\u200b"])
    else:
        mask = shape.get("mask")
        if isinstance(mask, str) and mask:
            i = rng.randrange(len(mask))
            shape["mask"] = mask[:i] + rng.choice(["A", "=", "!", ""]) + mask[i + 1 :]


def _mutate_top(rng: random.Random, data: dict) -> None:
    kind = rng.randrange(6)
    key = rng.choice(TOP_KEYS)
    if kind == 0:
        data[key] = copy.deepcopy(rng.choice(WEIRD_VALUES))
    elif kind == 1:
        data.pop(key, None)
    elif kind == 2:
        data["imagePath"] = rng.choice(["a" * 300, "../" * 40 + "x.png", "a\x00.png", "\ud800.png"])
    elif kind == 3:
        data["imageHeight"] = rng.choice([0, -5, 10**12, 41, "40"])
    elif kind == 4:
        data["imageData"] = rng.choice(["", "!!!", "iVBORw0KGgo=", "QUJD"])
    else:
        data[f"x{rng.randrange(3)}"] = _deep(rng.choice([5, 200, 5000]))


def _damage_text(rng: random.Random, text: str) -> str:
    kind = rng.randrange(3)
    i = rng.randrange(len(text))
    if kind == 0:
        return text[:i]
    if kind == 1:
        return text[:i] + rng.choice('{}[],:"0e-\\') + text[i + 1 :]
    return text[:i] + "9" * rng.choice([50, 5000]) + text[i:]


def cases(base: dict, n: int, seed: int) -> Iterator[tuple[int, str]]:
    """``n`` mutated file texts of ``base`` (a parsed labelme file), reproducible by ``seed``."""
    rng = random.Random(seed)
    for i in range(n):
        data = copy.deepcopy(base)
        for _ in range(rng.randint(1, 3)):
            shapes = data.get("shapes")
            if isinstance(shapes, list) and shapes and rng.random() < 0.7:
                shape = rng.choice(shapes)
                if isinstance(shape, dict):
                    _mutate_shape(rng, shape)
            else:
                _mutate_top(rng, data)
        try:
            text = json.dumps(data, indent=rng.choice([None, 2]), ensure_ascii=rng.random() < 0.5)
        except RecursionError:
            text = json.dumps({"shapes": [], "deep": "x"})
        if rng.random() < 0.15:
            text = _damage_text(rng, text)
        yield i, text


MutateFn = Callable[[random.Random, dict], None]
