"""Defaults the CLI shows in its help, in a module light enough to import at start-up."""

DEFAULT_SHRINKAGE = 200.0  # per-language thresholds: rows a language needs to pull its own cut
