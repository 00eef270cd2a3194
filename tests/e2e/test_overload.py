"""A short run of the overload campaign (tests/campaign/overload.py): 320
connections of real requests, slowloris headers and bodies, 16 MB and deeply
nested bodies, and idle sockets beyond the connection limit, while a boto3
client is served. Figures are printed (run with -s), not asserted."""

import json
import sys
from pathlib import Path

from conftest import BINARY

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "campaign"))
import overload  # noqa: E402


def test_overload_short_run():
    args = overload.parse_args([
        "--binary", str(BINARY), "--duration", "8", "--connections", "320", "--slow-headers", "40",
        "--slow-bodies", "20", "--huge", "4", "--nested", "2", "--idle", "400", "--max-connections", "600",
        "--", "--header-timeout", "2", "--body-timeout", "3",
    ])
    report = overload.Campaign(args).run()
    print(json.dumps(report, indent=2))
    assert overload.failures(report) == []
    answers = report["answers"]
    # Each kind of client was answered: the load and the well-behaved client
    # served, the slow clients cut off, the huge bodies refused.
    assert answers["load"].get("200", 0) > 0
    assert sum(answers["slow headers"].values()) > 0
    assert sum(answers["slow bodies"].values()) > 0
    # A 17 MB sender may see the connection close before it reads the 413:
    # the server answers once the limit is passed and stops reading.
    huge = answers["huge bodies"]
    assert set(huge) <= {"400 ValidationException", "413 RequestEntityTooLarge", "connection closed"}, answers
    assert huge.get("400 ValidationException", 0) + huge.get("413 RequestEntityTooLarge", 0) > huge.get(
        "connection closed", 0), answers
    assert answers["idle sockets"].get("closed by the server", 0) > 0
