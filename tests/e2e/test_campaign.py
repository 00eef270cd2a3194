"""The standing campaign (tests/campaign), briefly: a few crash-matrix
trials with a fixed seed, a short serializability history with one kill, and
the self-tests showing that the list-append checker finds the anomalies it
claims to find. The full runs are done by hand (see the scripts' docstrings)."""

import random
import re
import subprocess
import sys
from pathlib import Path

import pytest

CAMPAIGN = Path(__file__).resolve().parents[1] / "campaign"
sys.path.insert(0, str(CAMPAIGN))
import crash_matrix  # noqa: E402
import crash_backups  # noqa: E402
import stream_history  # noqa: E402
from list_append import Op, check  # noqa: E402
from conftest import sqlite_only  # noqa: E402


def run_script(name, *args):
    result = subprocess.run([sys.executable, str(CAMPAIGN / name), *args], capture_output=True, text=True,
                            timeout=600)
    print(result.stdout[-5000:], result.stderr[-5000:])
    return result


@sqlite_only("each trial starts on a new SQLite data directory and ends with `halyard check --data-dir`")
def test_crash_matrix_brief():
    # One trial of each workload (backup, restore and rekey among them).
    trials = len(crash_matrix.WORKLOADS)
    result = run_script("crash_matrix.py", "--trials", str(trials), "--seed", "7")
    assert result.returncode == 0
    assert f"{trials} trials" in result.stdout
    assert "losses 0, violations 0" in result.stdout


def test_serializability_brief_with_a_kill():
    result = run_script("serializability.py", "--rounds", "1", "--seconds", "20", "--kills", "1", "--seed", "3")
    assert result.returncode == 0
    assert result.stdout.rstrip().endswith("anomalies 0")
    assert int(re.search(r"acknowledged_appends (\d+)", result.stdout).group(1)) > 100


def test_the_crash_matrix_finds_lost_and_half_applied_writes(fresh_server):
    """The crash matrix's verification, given a ledger that disagrees with
    what is stored, reports each kind of damage."""
    server = fresh_server.start()
    client = server.client()
    workload = crash_matrix.Transactions()
    workload.setup(client, random.Random(1))
    ledger = workload.ledger
    kept, lost, half, other_half = [("ledger_a", f"c0-p{n}", n) for n in range(4)]
    states = {ident: workload.new_state(ident, "tx1") for ident in (kept, lost, half, other_half)}
    # Both writes acknowledged, one of them not stored: a loss.
    acknowledged = crash_matrix.Write(None, [(kept, states[kept]), (lost, states[lost])])
    ledger.sending(acknowledged)
    ledger.acknowledge(acknowledged.changes)
    # A transaction without an answer, stored in part: half applied.
    unanswered = crash_matrix.Write(None, [(half, states[half]), (other_half, states[other_half])], atomic=True)
    ledger.sending(unanswered)
    ledger.lost_answer(unanswered)
    # An item no client wrote.
    stray = workload.new_state(("ledger_a", "c9-p0", 9), "nobody")
    for item in (states[kept], states[half], stray):
        client.put_item(TableName="ledger_a", Item=item)

    findings = workload.verify(client)
    assert len(findings.losses) == 1 and "c0-p1" in findings.losses[0]
    assert sorted(problem.split(":")[0] for problem in findings.violations) == [
        "('ledger_a', 'c9-p0', 9)", "transaction half applied"]


def stream_record(name, version):
    """A record as GetRecords returns it, for an item of version `version`."""
    image = {"pk": {"S": "p"}, "sk": {"N": "1"}, "ver": {"N": str(version)}}
    return {"eventName": name, "dynamodb": {"Keys": {"pk": image["pk"], "sk": image["sk"]},
                                            **({} if name == "REMOVE" else {"NewImage": image})}}


@pytest.mark.parametrize("records, trimmed, problem", [
    ([("INSERT", 1), ("MODIFY", 2), ("REMOVE", None)], False, None),
    ([("INSERT", 1), ("REMOVE", None)], False, "loss"),            # the record of write 2 is missing
    ([("INSERT", 1), ("MODIFY", 2), ("MODIFY", 3), ("REMOVE", None)], False, "violation"),  # never written
    ([("INSERT", 1), ("REMOVE", None), ("MODIFY", 2)], False, "violation"),  # out of order
    ([("INSERT", 1), ("INSERT", 2), ("REMOVE", None)], False, "violation"),  # wrong event name
    ([("MODIFY", 2), ("REMOVE", None)], True, None),                # trimmed: a suffix
    ([("INSERT", 1), ("REMOVE", None)], True, "violation"),         # trimmed: a gap
])
def test_the_stream_check_finds_missing_unknown_and_misordered_records(records, trimmed, problem):
    committed = [stream_history.state_of(stream_record("INSERT", v)) for v in (1, 2)] + [None]
    findings = crash_matrix.Findings()
    stream_history.check_item(("t", "p", 1), [stream_record(name, v) for name, v in records], committed, trimmed,
                              findings)
    found = "loss" if findings.losses else "violation" if findings.violations else None
    assert found == problem, (findings.losses, findings.violations)


# --- The checker finds what it claims to find -------------------------------

def ok(invoke, complete, *mops):
    return Op("ok", list(mops), invoke, complete)


def append(key, value):
    return ("append", key, value)


def read(key, *values):
    return ("r", key, list(values))


def test_a_serial_history_is_valid():
    history = [
        ok(0, 1, append("x", 1)),
        ok(2, 3, read("x", 1)),
        ok(4, 5, append("x", 2), append("y", 1)),
        ok(6, 7, read("x", 1, 2), read("y", 1)),
        ok(6, 8, append("y", 2), ("r", "y", [1, 2])),
    ]
    assert check(history) == {}


def test_indeterminate_appends_may_or_may_not_appear():
    history = [
        Op("info", [append("x", 1)], 0),
        Op("info", [append("x", 2)], 0),
        Op("info", [("r", "y", None)], 0),
        ok(5, 6, read("x", 1)),
    ]
    assert check(history) == {}


@pytest.mark.parametrize("anomaly, history", [
    # Two transactions' appends land in opposite orders on two keys.
    ("G0", [ok(0, 1, append("x", 1), append("y", 1)), ok(0, 1, append("x", 2), append("y", 2)),
            ok(2, 3, read("x", 1, 2), read("y", 2, 1))]),
    # Each transaction reads the other's append (circular information flow).
    ("G1c", [ok(0, 1, append("x", 1), read("y", 1)), ok(0, 1, append("y", 1), read("x", 1))]),
    # Read skew: one append seen, the other of the same transaction not.
    ("G-single", [ok(0, 1, append("x", 1), append("y", 1)), ok(0, 1, read("x"), read("y", 1)),
                  ok(2, 3, read("x", 1))]),
    # Write skew: each reads the key the other appends to as empty.
    ("G2", [ok(0, 1, read("x"), append("y", 1)), ok(0, 1, read("y"), append("x", 1)),
            ok(2, 3, read("x", 1), read("y", 1))]),
    # A stale read: an append acknowledged before the read began is missing.
    ("G-single-realtime", [ok(0, 1, append("x", 1)), ok(2, 3, read("x")), ok(4, 5, read("x", 1))]),
    # A lost update: an acknowledged append missing from a later read.
    ("lost-append", [ok(0, 1, append("x", 1)), ok(0, 1, append("x", 2)), ok(2, 3, read("x", 2))]),
    ("G1a", [Op("fail", [append("x", 1)], 0, 1), ok(2, 3, read("x", 1))]),
    ("G1b", [ok(0, 3, append("x", 1), append("x", 2)), ok(1, 2, read("x", 1))]),
    ("duplicate-elements", [ok(0, 1, append("x", 1)), ok(2, 3, read("x", 1, 1))]),
    ("incompatible-order", [ok(0, 1, append("x", 1)), ok(0, 1, append("x", 2)),
                            ok(2, 3, read("x", 1, 2)), ok(2, 3, read("x", 2, 1))]),
    ("garbage-read", [ok(0, 1, read("x", 9))]),
    ("internal", [ok(0, 1, append("x", 1), read("x"))]),
])
def test_the_checker_finds(anomaly, history):
    found = check(history)
    assert set(found) == {anomaly}, found


def test_the_backup_check_finds_missing_stale_and_unwritten_states():
    """A backup's copy of an item is bounded by the ledger: not older than
    its last write acknowledged before the backup, not a write sent after."""
    workload = crash_backups.Upserts()
    ledger = workload.ledger
    canonical = crash_matrix.canonical
    missing, stale, later, racing = [("items", f"c0-p{n}", n) for n in range(4)]

    def write(ident, tag, acknowledge=True):
        state = workload.new_state(ident, tag)
        ledger.sending(crash_matrix.Write(None, [(ident, state)]))
        if acknowledge:
            ledger.acknowledge([(ident, state)])
        return canonical(state)

    kept = write(missing, "w1")
    old, newer = write(stale, "w1"), write(stale, "w2")
    before_racing = write(racing, "w1")
    snapshot = crash_backups.Snapshot(ledger, "backup")
    during = write(racing, "w2", acknowledge=False)  # sent while the backup ran
    snapshot.close()
    after = write(later, "w3")
    findings = crash_matrix.Findings()
    snapshot.check({stale: old, later: after, racing: during}, findings, "items")
    assert sorted(findings.losses) == sorted([
        f"backup: {missing} acknowledged before the backup, missing from it",
        f"backup: {stale} older than a write acknowledged before the backup",
    ])
    assert findings.violations == [f"backup: {later} holds a state not written before it answered"]
    # Each item as it was when the backup was asked for, or as a write sent
    # while it ran left it, is right.
    for racing_state in (before_racing, during):
        findings = crash_matrix.Findings()
        snapshot.check({missing: kept, stale: newer, racing: racing_state}, findings, "items")
        assert findings.losses == [] and findings.violations == []
