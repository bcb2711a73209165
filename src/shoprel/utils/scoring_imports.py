"""LightGBM imported without scikit-learn, for the processes that only score."""

from __future__ import annotations

import importlib
import sys


def import_lightgbm_for_scoring() -> None:
    """Import LightGBM with scikit-learn hidden from it, if neither is imported yet.

    LightGBM imports scikit-learn whenever it is installed, only to build its scikit-learn-style
    estimators (LGBMClassifier ...), which shoprel never uses: it trains and scores through
    `lightgbm.Booster`. Scoring needs nothing else of scikit-learn, and importing it costs a
    predict command ~0.9 s and ~65 MB. Call this only at the start of a process shoprel owns
    and that only scores (the CLI's predict and serve), never on import of the library: in that
    process LightGBM's scikit-learn-style estimators stay unusable. scikit-learn itself stays
    importable (evaluating labels imports it later in the same process, as usual).
    """
    if "lightgbm" in sys.modules or "sklearn" in sys.modules:
        return
    sys.modules["sklearn"] = None  # makes `import sklearn` raise ImportError, which LightGBM
    try:                           # takes as "not installed"
        importlib.import_module("lightgbm")
    finally:
        if sys.modules.get("sklearn", 0) is None:
            del sys.modules["sklearn"]
