"""Dockable panels around the canvas: inspector, model summary, problems."""
