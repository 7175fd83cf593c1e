"""The package version: one place, imported by the package, the CLI and the manifest."""

__all__ = ["__version__"]

__version__ = "0.2.0"
