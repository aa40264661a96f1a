"""Reports: the HTML report with plots and the Charter scorecard (DESIGN C10)."""

from khazar.report.build import ReportResult, build_report
from khazar.report.coverage import PlannedRoute, asset_coverage, parse_plan, patrol_hours
from khazar.report.scorecard import (
    GOALS,
    Indicator,
    ScorecardInputs,
    TradePorts,
    compute_scorecard,
)

__all__ = [
    "GOALS",
    "Indicator",
    "PlannedRoute",
    "ReportResult",
    "ScorecardInputs",
    "TradePorts",
    "asset_coverage",
    "build_report",
    "compute_scorecard",
    "parse_plan",
    "patrol_hours",
]
