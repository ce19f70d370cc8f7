"""Validation rules declared once as data, applied by predicates and by great-expectations.

A :class:`RuleSet` (one per table) drives both :func:`split` (the exact, scalable
valid/quarantine split, the quarantine reason being the first rule broken) and
:func:`build_suite` / :func:`run_suite` (a great-expectations 1.x suite whose
result JSON is saved next to the run). A build opens :func:`record_splits` around
its rule calls and then calls :func:`report_splits` on what ``split`` judged.
"""

from goldmine.validation._build_suite import build_suite
from goldmine.validation._declarations import ITEM_RULES, ORDER_RULES
from goldmine.validation._record_splits import CheckedFrame, record_splits
from goldmine.validation._report_splits import report_splits
from goldmine.validation._rule import KINDS, Rule, RuleSet
from goldmine.validation._run_suite import (
    RESULT_FORMAT,
    ExpectationOutcome,
    Judged,
    ValidationReport,
    run_suite,
)
from goldmine.validation._split import (
    FAILED_RULES,
    REASON,
    failed_rules_column,
    passes_column,
    reason_column,
    split,
)
from goldmine.validation._warm_up import warm_up

__all__ = [
    "FAILED_RULES",
    "ITEM_RULES",
    "KINDS",
    "ORDER_RULES",
    "REASON",
    "RESULT_FORMAT",
    "CheckedFrame",
    "ExpectationOutcome",
    "Judged",
    "Rule",
    "RuleSet",
    "ValidationReport",
    "build_suite",
    "failed_rules_column",
    "passes_column",
    "reason_column",
    "record_splits",
    "report_splits",
    "run_suite",
    "split",
    "warm_up",
]
