"""Data-quality thresholds and severities: the one place they are configured (versioned with the code).

``critical`` expectations block (the gate raises and nothing is published); ``warning`` ones are reported
in the output and the Data Docs but let the data through. Each threshold says what it guards against.
"""

from __future__ import annotations

from dataclasses import dataclass

CRITICAL, WARNING = "critical", "warning"


@dataclass(frozen=True)
class QualityPolicy:
    # Bronze / Silver: above this share of bad rows a file is systematically wrong (wrong export, wrong
    # source system), so the file is blocked instead of quarantining most of it row by row.
    max_bad_row_share: float = 0.02
    # ... but a handful of bad rows is never "systematic": a 3-row correction file with one bad row goes
    # through, and its bad row lands in the quarantine.
    bad_rows_always_tolerated: int = 10
    # Silver distribution checks against the stored reference profile (distribution-shift detection):
    # the mean invoice amount may move within this band (ratio to the reference mean) ...
    amount_mean_band: tuple[float, float] = (0.6, 1.6)
    # ... and the business_code mix may diverge from the reference by at most this KL divergence (nats).
    business_mix_max_kl: float = 0.25
    # A distribution is only judged on at least this many rows (a small correction file is not a shift).
    min_rows_for_distribution: int = 500
    # Features: the newest feature row may not be older than this many days before the run's as-of day.
    feature_max_lag_days: int = 14
    # Training: fewer rows than this cannot support a time split and three models.
    min_training_rows: int = 200
    # Training: the label's mean may move this many days from the last training run before we warn.
    label_mean_shift_days: float = 3.0

    def tolerated_bad_share(self, rows: int) -> float:
        """Share of bad rows a file of ``rows`` rows may have before it is blocked as a whole."""
        if rows <= 0:
            return 1.0
        return min(1.0, max(self.max_bad_row_share, self.bad_rows_always_tolerated / rows))


POLICY = QualityPolicy()
