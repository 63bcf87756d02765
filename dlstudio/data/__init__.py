"""Datasets: built-in sets, MNIST-family IDX files and CIFAR-10 batches and their
download, CSV tables and image folders; seeded splits; batch-wise augmentation; the
checks that data fits a graph.

Start with `load_data("builtin:digits28")`; see docs/data.md.
"""

from dlstudio.data.augment import Augmentation, Augmenter
from dlstudio.data.builtin import builtin_description, builtin_names
from dlstudio.data.cifar import load_cifar10
from dlstudio.data.download import (
    DownloadProgress,
    default_cache_dir,
    download_dataset,
    download_mnist_family,
    download_spec,
    downloadable,
)
from dlstudio.data.errors import DataError, DownloadCancelled
from dlstudio.data.fit import check_fits, check_graph, check_targets
from dlstudio.data.info import DataInfo, ImageFacts, Normalisation
from dlstudio.data.pipeline import BatchPipeline
from dlstudio.data.preprocess import preprocess
from dlstudio.data.spec import SPEC_FORMS, DataSpec, load_data, parse_spec
from dlstudio.data.splits import DataBundle, DataSplit, Split, StreamingSplit

__all__ = [
    "SPEC_FORMS", "Augmentation", "Augmenter", "BatchPipeline", "DataBundle", "DataError",
    "DataInfo", "DataSplit", "DataSpec", "DownloadCancelled", "DownloadProgress",
    "ImageFacts", "Normalisation", "Split", "StreamingSplit", "builtin_description",
    "builtin_names", "check_fits", "check_graph", "check_targets", "default_cache_dir",
    "download_dataset", "download_mnist_family", "download_spec", "downloadable",
    "load_cifar10", "load_data", "parse_spec", "preprocess",
]
