"""Smallyes' domain: leads, timelines, suggestions, funnel, imports. No Qt below here."""

# Kept in step with pyproject.toml; the packaged app has no installed metadata to read.
__version__ = "0.1.0"
