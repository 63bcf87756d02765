"""Errors of the data layer, each naming the file, field or spec at fault, and the
largest number a reader lets through."""

from __future__ import annotations

# Models train in float32 (max 3.4e38), and standardising divides by a std that may be
# as small as 1e-8: a value past 1e30 would come out infinite. Readers refuse it.
LARGEST_VALUE = 1e30


class DataError(ValueError):
    """Data that cannot be read or does not fit: a bad spec, file, field or shape."""


class DownloadCancelled(DataError):
    """The caller's cancel flag stopped a download; the partial file is kept for resuming."""
