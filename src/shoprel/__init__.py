"""shoprel: does this product fit this shopper's query, in any language?

The Python API (`shoprel.train`, `shoprel.predict_file`, `shoprel.Scorer`, ...)
lives in shoprel.api; its names are imported from there on first use, so that `shoprel --help`
and other commands do not pay for pandas, LightGBM and the models at start-up.
"""

__version__ = "0.1.0"

_API = ("Scorer", "evaluate_file", "load_config", "predict_file", "pretrain", "read_pairs",
        "train")
__all__ = ["__version__", *_API]


def __getattr__(name: str):
    if name in _API:
        from shoprel import api

        return getattr(api, name)
    raise AttributeError(f"module 'shoprel' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_API})
