"""Errors of the data layer, each naming the file, field or spec at fault."""

from __future__ import annotations


class DataError(ValueError):
    """Data that cannot be read or does not fit: a bad spec, file, field or shape."""


class DownloadCancelled(DataError):
    """The caller's cancel flag stopped a download; the partial file is kept for resuming."""
