"""The real images with object masks that quality claims are measured on (DESIGN.md section 6).

One loader for tests and benchmarks (``from tests.realdata import real_images``; benchmarks add
the repository root to ``sys.path``). Sources and licences: tests/data/real/README.md.

- photos: labelme JSON next to each photo in tests/data/real/photos, one instance per shape,
  or per ``group_id`` when shapes of one label share it (labelme's instance rule); shapes
  labelled ``__ignore__`` are not objects and are left out of scoring (the ignore mask);
- video: one frame of the five in tests/data/real/video (they are near duplicates);
- nuclei: a seeded sample of the 125 nuclei of mask2d.tif, stratified by size, so that they do
  not outnumber the photo objects; the other nuclei are not ignored (they are background a
  tool must not take).

Polygons are rasterized with ``labeldesk.algorithms.polygons_to_mask`` (labelme's rule).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from labeldesk.algorithms import polygons_to_mask
from labeldesk.io import load_image, read_labelme

REAL = Path(__file__).resolve().parent / "data" / "real"
VIDEO_FRAME = "00000102.json"
IGNORE = "__ignore__"


@dataclass
class RealImage:
    name: str  # file name, e.g. "photos/2011_000003.jpg"
    kind: str  # "photo" or "microscopy"
    image: np.ndarray  # (H, W, 3) uint8 or (H, W) uint16 as the file has it
    masks: list[np.ndarray]  # one (H, W) bool mask per object
    labels: list[str]
    ignore: np.ndarray  # (H, W) bool: not scored
    all_masks: list[np.ndarray] = field(default_factory=list)  # every instance (nuclei: 125)

    @property
    def shape(self) -> tuple[int, int]:
        return self.image.shape[0], self.image.shape[1]


def _image_file(json_path: Path, image_path: str | None) -> Path:
    """The photo a JSON describes: its imagePath, or the image with the JSON's stem (labelme's
    apc2016_obj3.json names itself in imagePath and embeds the image)."""
    if image_path and Path(image_path).suffix.lower() != ".json":
        return json_path.parent / image_path
    for ext in (".jpg", ".png"):
        if json_path.with_suffix(ext).exists():
            return json_path.with_suffix(ext)
    raise ValueError(f"{json_path}: no image for it (imagePath {image_path!r})")


def _labelme(json_path: Path) -> RealImage:
    doc = read_labelme(json_path)
    image = load_image(_image_file(json_path, doc.image_path))
    if image.ndim == 3 and image.shape[2] == 4:
        image = image[:, :, :3]
    h, w = image.shape[:2]
    # a label map drawn in file order, later shapes over earlier ones (labelme's rule), so an
    # occluded object loses the pixels of what is in front of it; -1: __ignore__
    lab = np.zeros((h, w), np.int32)
    ids: dict[tuple[str, int], int] = {}
    for i, shape in enumerate(doc.shapes):
        if shape.shape_type != "polygon":
            raise ValueError(f"{json_path}: shapes[{i}] is a {shape.shape_type}, not a polygon")
        region = polygons_to_mask((h, w), [np.asarray(shape.points, np.float64)])
        if shape.label == IGNORE:
            lab[region] = -1
            continue
        key = (shape.label, shape.group_id if shape.group_id is not None else -1 - i)
        lab[region] = ids.setdefault(key, len(ids) + 1)
    kept = [(lab == v, k[0]) for k, v in ids.items() if (lab == v).any()]
    ignore = lab == -1
    rel = json_path.parent.name + "/" + _image_file(json_path, doc.image_path).name
    return RealImage(
        rel,
        "photo",
        image,
        [m for m, _ in kept],
        [lab for _, lab in kept],
        ignore,
        [m for m, _ in kept],
    )


def _nuclei(count: int, seed: int) -> RealImage:
    import tifffile

    image = np.asarray(tifffile.imread(REAL / "nuclei" / "img2d.tif"))
    label = np.asarray(tifffile.imread(REAL / "nuclei" / "mask2d.tif")).astype(np.int64)
    ids = np.unique(label)
    ids = ids[ids > 0]
    areas = np.bincount(label.ravel())[ids]
    order = ids[np.argsort(areas, kind="stable")]
    # stratified by size: one nucleus drawn from each of ``count`` equal slices of the order
    rng = np.random.default_rng(seed)
    chosen = [int(rng.choice(part)) for part in np.array_split(order, min(count, len(order)))]
    masks = [label == i for i in chosen]
    return RealImage(
        "nuclei/img2d.tif",
        "microscopy",
        image,
        masks,
        ["nucleus"] * len(masks),
        np.zeros(label.shape, bool),
        [label == i for i in ids],
    )


def real_images(*, nuclei: int = 20, seed: int = 0) -> list[RealImage]:
    """Every real image with its objects: the photos, one video frame, sampled nuclei."""
    out = [_labelme(p) for p in sorted((REAL / "photos").glob("*.json"))]
    out.append(_labelme(REAL / "video" / VIDEO_FRAME))
    if nuclei > 0:
        out.append(_nuclei(nuclei, seed))
    return out


def real_objects(
    images: list[RealImage] | None = None,
) -> Iterator[tuple[RealImage, int]]:
    """``(image, object index)`` for every object of ``images`` (default: all)."""
    for img in images if images is not None else real_images():
        for k in range(len(img.masks)):
            yield img, k


def photos(images: list[RealImage]) -> list[RealImage]:
    return [im for im in images if im.kind == "photo"]
