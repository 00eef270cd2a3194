"""The differential tester (tests/differential) on a bounded sample: a few
hundred requests, the same for every run (seed 1), to the real binary and to
DynamoDB Local (fetched with npm on first use). Any difference that is not
on the known list (tests/differential/known_differences.py) fails."""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "differential"))

import difftest  # noqa: E402


@pytest.mark.skipif(bool(os.environ.get("HALYARD_TEST_ENDPOINT")), reason="compares Halyard with DynamoDB Local itself")
def test_no_unexplained_difference_from_dynamodb_local(capsys):
    status = difftest.main(["--seed", "1", "--count", "20"])
    report = capsys.readouterr().out
    counts = report.splitlines()[0]
    assert counts.startswith("requests: ") and int(counts.split()[1]) >= 300, report
    assert status == 0, report
