"""The official SAM checkpoints the model manager offers: a torch-free table (issue 11, item 4).

The model manager opens on the GUI thread; nothing it imports may import torch (4-7 s).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class KnownCheckpoint:
    """An official checkpoint the model manager can offer (sha256 None when not known)."""

    name: str
    variant: str
    file_name: str
    size_bytes: int
    url: str
    sha256: str | None
    license: str


# Sizes and sha256 sums as published with the files and repeated in many public manifests;
# they were not re-measured here (no download at build time).
KNOWN_CHECKPOINTS: tuple[KnownCheckpoint, ...] = (
    KnownCheckpoint(
        "MobileSAM (ViT-T)",
        "vit_t",
        "mobile_sam.pt",
        40_728_226,
        "https://github.com/ChaoningZhang/MobileSAM/raw/master/weights/mobile_sam.pt",
        "6dbb90523a35330fedd7f1d3dfc66f995213d81b29a5ca8108dbcdd4e37d6c2f",
        "Apache-2.0",
    ),
    KnownCheckpoint(
        "SAM ViT-B",
        "vit_b",
        "sam_vit_b_01ec64.pth",
        375_042_383,
        "https://dl.fbaipublicfiles.com/segment_anything/sam_vit_b_01ec64.pth",
        "ec2df62732614e57411cdcf32a23ffdf28910380d03139ee0f4fcbe91eb8c912",
        "Apache-2.0",
    ),
    KnownCheckpoint(
        "SAM ViT-L",
        "vit_l",
        "sam_vit_l_0b3195.pth",
        1_249_524_607,
        "https://dl.fbaipublicfiles.com/segment_anything/sam_vit_l_0b3195.pth",
        "3adcc4315b642a4d2101128f611684e8734c41232a17c648ed1693702a49a622",
        "Apache-2.0",
    ),
    KnownCheckpoint(
        "SAM ViT-H",
        "vit_h",
        "sam_vit_h_4b8939.pth",
        2_564_550_879,
        "https://dl.fbaipublicfiles.com/segment_anything/sam_vit_h_4b8939.pth",
        "a7bf3b02f3ebf1267aba913ff637d9a2d5c33d3173bb679e46d9f338c26f262e",
        "Apache-2.0",
    ),
)
