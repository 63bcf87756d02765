"""Which normalisation the model's input gets: measured from the data ("auto", the
default), or ImageNet's mean and std ("imagenet"), which weights trained on ImageNet
expect. The choice is applied to every split and recorded in the DataInfo, so the
checkpoint, `predict` and the drawing pad use the same values.
"""

from __future__ import annotations

from dataclasses import replace

from dlstudio.data.errors import DataError
from dlstudio.data.info import Normalisation
from dlstudio.data.splits import DataBundle, Split

NORMALISATIONS = ("auto", "imagenet")
# torchvision's ImageNet statistics of RGB pixels in 0..1.
IMAGENET = Normalisation((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))


def normalisation_named(choice: str) -> Normalisation | None:
    """The fixed values of a choice; None for "auto" (measured from the data)."""
    if choice not in NORMALISATIONS:
        raise DataError(f"normalisation {choice!r} is not one of {', '.join(NORMALISATIONS)}")
    return IMAGENET if choice == "imagenet" else None


def normalised(bundle: DataBundle, choice: str) -> DataBundle:
    """`bundle` with the normalisation `choice` in its info and in every split."""
    fixed = normalisation_named(choice)
    if fixed is None:
        return bundle
    info = bundle.info
    if info.kind != "image" or info.input_shape[0] != 3:
        raise DataError(f"normalisation 'imagenet' is for RGB images; {info.name} holds "
                        f"{info.describe_input()}")

    def swap(split: Split | None) -> Split | None:
        if split is None:
            return None
        return replace(split, pipeline=replace(split.pipeline, normalisation=fixed))

    train = swap(bundle.train)
    assert train is not None
    return DataBundle(replace(info, normalisation=fixed), train, swap(bundle.val),
                      swap(bundle.test))
