"""Errors of the graph core. Each carries a message a learner can act on."""

from __future__ import annotations


class GraphError(ValueError):
    """An edit the graph refuses (cycle, occupied input, unknown node, bad value)."""


class ParamError(GraphError):
    """A parameter value outside its type, range or choices."""


class ShapeError(ValueError):
    """A layer cannot take the shapes it is given; raised by shape rules."""
