"""The official SAM 2.1 checkpoints the model manager offers: a torch-free table (issue 11)."""

from __future__ import annotations

from labeldesk.models.sam.known import KnownCheckpoint

# URLs: the official repository's download script (2024-09-24 SAM 2.1 release). Sizes and
# sha256: the Git-LFS pointers of public Hugging Face mirrors of these files (camenduru/
# sam2-1-hiera; Promethe-us/sam2 agrees for tiny and base_plus); not re-measured here.
_BASE = "https://dl.fbaipublicfiles.com/segment_anything_2/092824/"
KNOWN_SAM2_CHECKPOINTS: tuple[KnownCheckpoint, ...] = tuple(
    KnownCheckpoint(
        f"SAM 2.1 Hiera-{label}",
        f"sam2.1_{name}",
        f"sam2.1_hiera_{name}.pt",
        size,
        f"{_BASE}sam2.1_hiera_{name}.pt",
        sha,
        "Apache-2.0",
    )
    for label, name, size, sha in (
        (
            "T",
            "tiny",
            156_008_466,
            "7402e0d864fa82708a20fbd15bc84245c2f26dff0eb43a4b5b93452deb34be69",
        ),
        (
            "S",
            "small",
            184_416_285,
            "6d1aa6f30de5c92224f8172114de081d104bbd23dd9dc5c58996f0cad5dc4d38",
        ),
        (
            "B+",
            "base_plus",
            323_606_802,
            "a2345aede8715ab1d5d31b4a509fb160c5a4af1970f199d9054ccfb746c004c5",
        ),
        (
            "L",
            "large",
            898_083_611,
            "2647878d5dfa5098f2f8649825738a9345572bae2d4350a2468587ece47dd318",
        ),
    )
)
