"""The package version, in a module of its own so the API and the CLI can read it without importing
the package's public surface (and without an import cycle through it)."""

__version__ = "0.1.0"
