"""The bench scripts are loaded as the command line runs them: their folder first on the path."""

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load_bench(name: str):
    if str(BENCH) not in sys.path:  # as when a script runs: its folder comes first
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(f"{name}_bench", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # as an imported module is: dataclasses look themselves up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def load_bench():
    """load_bench("throughput") -> the bench/throughput.py module."""
    return _load_bench
