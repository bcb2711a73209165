"""shoprel: does this product fit this shopper's query, in any language?

The Python API (`shoprel.train`, `shoprel.predict_file`, `shoprel.Scorer`, ...)
lives in shoprel.api; its names are imported from there on first use, so that `shoprel --help`
and other commands do not pay for pandas, LightGBM and the models at start-up.
`shoprel.errors` is there too, so `except shoprel.errors.ShoprelError` works before any API
call; it loads on first use as well, leaving `import shoprel` as fast as it was.
"""

__version__ = "0.1.0"

_API = ("Scorer", "add_far_pairs", "check_submission", "compare_runs", "distill_student",
        "ensemble_runs", "evaluate_file", "export_onnx", "index_targets", "langid_file",
        "list_cache", "load_config", "noisy_rows", "predict_file", "pretrain", "prune_cache",
        "read_pairs", "train", "translate_file", "write_report")
__all__ = ["__version__", "errors", *_API]


def __getattr__(name: str):
    if name == "errors":  # `from shoprel import errors` would come back here: import by name
        import importlib

        return importlib.import_module("shoprel.errors")
    if name in _API:
        from shoprel import api

        return getattr(api, name)
    raise AttributeError(f"module 'shoprel' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), "errors", *_API})
