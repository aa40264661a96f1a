"""The `khazar` command line. Each module registers its commands on the shared app."""

from khazar.cli import admin, geo, ingest, demo, sim, patrol, serve, export, alerts, report, detect  # noqa: F401, I001  (registration order = help order)
from khazar.cli import theatre  # noqa: F401
from khazar.cli import storage  # noqa: F401  (migrate, restore: after the others)
from khazar.cli._app import app, guard_commands, run
from khazar.logs import configure as configure_logging

__all__ = ["app", "main"]

guard_commands(app)


def main() -> None:
    # warnings and errors only, without tracebacks: a user of the command line gets one
    # line per problem; `khazar serve` sets its own level and format (--log-level/-format)
    configure_logging("warning", tracebacks=False)
    run()
