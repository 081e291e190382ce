"""`advisor tune`: the search loop over a recommendation's space and the study it writes."""

from advisor.tuning.tuner import TuneSettings, best_trial, tune

__all__ = ["TuneSettings", "best_trial", "tune"]
