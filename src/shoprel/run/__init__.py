"""The run folder (DESIGN.md, "A run directory"), one module a job; it re-exports nothing."""
