"""The `khazar` command line. Each module registers its commands on the shared app."""

from khazar.cli import admin, geo, ingest, demo, sim, patrol, serve, export, alerts, report, detect  # noqa: F401, I001  (registration order = help order)
from khazar.cli._app import app, run

__all__ = ["app", "main"]


def main() -> None:
    run()
