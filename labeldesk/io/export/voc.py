"""PASCAL VOC export, laid out and valued as labelme's ``labelme2voc.py`` writes it.

Layout of OUT_DIR::

    JPEGImages/STEM.jpg                      the image as displayed (see imaging.py)
    SegmentationClass/STEM.png               8-bit palette PNG, VOC colormap, 255 = __ignore__
    SegmentationClassNpy/STEM.npy            int32 (H, W), -1 = __ignore__       (not --nonpy)
    SegmentationClassVisualization/STEM.jpg                                      (not --noviz)
    SegmentationObject/STEM.png              instance ids, 0 = none               (not --noobject)
    SegmentationObjectNpy/STEM.npy           int32 (H, W)
    SegmentationObjectVisualization/STEM.jpg
    class_names.txt                          _background_ first, one name a line
    ImageSets/Segmentation/{train,val,trainval}.txt

The class and object PNGs hold the same pixels as labelme's for every file labelme exports.
Where labelme silently writes wrong data, this exporter does not:

- more than 254 instances in an image: labelme wraps id 256 to 0 (or writes 255, the VOC
  "void" value); here that image's object PNG is a 16-bit grayscale PNG (ids kept) and the
  report says so. The ``.npy`` files are int32 in both.
- EXIF-rotated photos: the image copy is rotated as displayed, so it lines up with the labels.
- 16-bit / float images: scaled from their own range to 8 bits instead of clipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from labeldesk.core.errors import ExportError
from labeldesk.io.export.common import (
    ExportOptions,
    FileResult,
    Job,
    load,
    new_result,
)
from labeldesk.io.export.imaging import (
    save_label_png,
    to_gray,
    visualize,
    write_jpeg,
    write_jpeg_pixels,
)

MAX_8BIT_ID = 254  # 255 is "void" in VOC PNGs


class VocFormat:
    name = "voc"
    title = "export voc"

    def check(self, options: ExportOptions) -> None:
        if len(options.labels.names) - 1 > MAX_8BIT_ID:
            raise ExportError(
                f"{options.labels.source}: {len(options.labels.names) - 1} classes; VOC class "
                f"PNGs hold at most {MAX_8BIT_ID}"
            )

    def folders(self, options: ExportOptions) -> list[str]:
        out = ["JPEGImages", "SegmentationClass", "ImageSets/Segmentation"]
        if not options.nonpy:
            out.append("SegmentationClassNpy")
        if not options.noviz:
            out.append("SegmentationClassVisualization")
        if not options.noobject:
            out.append("SegmentationObject")
            if not options.nonpy:
                out.append("SegmentationObjectNpy")
            if not options.noviz:
                out.append("SegmentationObjectVisualization")
        return out

    def prepare(self, out: Path, options: ExportOptions) -> None:
        for folder in self.folders(options):
            (out / folder).mkdir(parents=True, exist_ok=True)
        (out / "class_names.txt").write_text("\n".join(options.labels.names), encoding="utf-8")

    def process(self, out: Path, job: Job, options: ExportOptions) -> FileResult:
        loaded = load(job, options.labels)
        result = new_result(job, loaded)
        stem = job.stem
        write_jpeg(loaded.src, loaded.pixels, out / "JPEGImages" / f"{stem}.jpg")
        cls, ins = loaded.raster.cls, loaded.raster.ins
        save_label_png(out / "SegmentationClass" / f"{stem}.png", cls)
        if not options.nonpy:
            np.save(out / "SegmentationClassNpy" / f"{stem}.npy", cls)
        gray = None if options.noviz else to_gray(loaded.pixels)
        if gray is not None:
            names = options.labels.names
            viz = visualize(gray, cls, lambda v: names[v] if 0 <= v < len(names) else None)
            _write_viz(viz, out / "SegmentationClassVisualization" / f"{stem}.jpg")
        if options.noobject:
            return result
        bits = save_label_png(out / "SegmentationObject" / f"{stem}.png", ins, allow_16bit=True)
        if bits == 16:
            result.warnings.append(
                f"{int(ins.max())} instances: SegmentationObject/{stem}.png is a 16-bit PNG "
                f"(8-bit VOC PNGs hold at most {MAX_8BIT_ID})"
            )
        if not options.nonpy:
            np.save(out / "SegmentationObjectNpy" / f"{stem}.npy", ins)
        if gray is not None:
            viz = visualize(gray, ins, str)
            _write_viz(viz, out / "SegmentationObjectVisualization" / f"{stem}.jpg")
        return result

    def finish(
        self,
        out: Path,
        jobs: Sequence[Job],
        results: list[FileResult | None],
        options: ExportOptions,
    ) -> list[tuple[str, str]]:
        written = [job for job, res in zip(jobs, results, strict=True) if res is not None]
        train = sorted(j.stem for j in written if j.split == "train")
        val = sorted(j.stem for j in written if j.split == "val")
        sets = out / "ImageSets" / "Segmentation"
        for name, stems in (("train", train), ("val", val), ("trainval", sorted(train + val))):
            (sets / f"{name}.txt").write_text("".join(f"{s}\n" for s in stems), encoding="utf-8")
        return []


def _write_viz(viz: np.ndarray, path: Path) -> None:
    write_jpeg_pixels(viz, path, quality=90)


FORMAT = VocFormat()
