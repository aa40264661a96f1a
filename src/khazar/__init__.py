"""Khazar: maritime security and energy-infrastructure protection for the Caspian Sea."""

__version__ = "0.1.0"

__all__ = ["__version__"]
