"""HTTP relevance API over a saved run: `create_app(run_dir, settings)` and `shoprel serve`.

Imports are lazy so that `shoprel --help` does not pay for FastAPI.
"""

__all__ = ["RegionFallbackWarning", "ServeSettings", "create_app"]


def __getattr__(name: str):
    if name == "create_app":
        from shoprel.serve.app import create_app

        return create_app
    if name == "RegionFallbackWarning":
        from shoprel.serve.translation import RegionFallbackWarning

        return RegionFallbackWarning
    if name == "ServeSettings":
        from shoprel.serve.settings import ServeSettings

        return ServeSettings
    raise AttributeError(name)
