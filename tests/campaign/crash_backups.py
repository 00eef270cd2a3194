"""The crash matrix's workloads for backup, restore and rekey
(tests/campaign/crash_matrix.py runs them with the others, on the default
encrypted configuration):

- `backup`: CreateBackup in a loop, and `halyard backup DIR --endpoint` of
  the whole server in another, under a stream of acknowledged writes. After
  the restart a backup is AVAILABLE and restores to a state of its snapshot,
  or is gone; a whole-server copy with its MANIFEST restores (keyring and
  all, with the root key) to a state of its snapshot, one without it is
  refused by `halyard restore`.
- `restore`: RestoreTableFromBackup and RestoreTableToPointInTime of a
  table of thousands of items; after the restart each target resumes and
  becomes ACTIVE with exactly the source's items, or is gone; the source is
  untouched.
- `rekey`: `halyard rekey` (a new database key, the database rewritten) or
  `--rotate-service-key` on the killed server's directory, itself killed at
  a random moment (and sometimes run again to the end); the store then opens
  with the old or the new key and every acknowledged write reads back.

A snapshot's state of an item is bounded by what the clients were told:
never older than the last write acknowledged before the backup was asked
for, never a write sent after it answered. These workloads never delete, so
an item's versions only grow.
"""

import json
import os
import signal
import subprocess
import threading
import time

import botocore.exceptions

from crash_matrix import CLIENT_CONFIG, ItemWrites, Write, canonical, create_item_table, update_to, with_condition
from harness import BINARY, CREDENTIALS, Server, scan_all

DEADLINE = 120


def halyard(*args, timeout=120):
    """Runs a halyard command with the root credentials (for --endpoint)."""
    env = {**os.environ, "HALYARD_ROOT_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
           "HALYARD_ROOT_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"]}
    return subprocess.run([str(BINARY), *map(str, args)], capture_output=True, text=True, env=env, timeout=timeout)


def version(state):
    return 0 if state is None else int(json.loads(state)["ver"]["N"])


def stored_items(client, table, name=None):
    """{(name or table, pk, sk): canonical item} of `table`."""
    return {(name or table, item["pk"]["S"], int(item["sk"]["N"])): canonical(item)
            for item in scan_all(client, table, ConsistentRead=True)}


def table_status(client, table):
    try:
        return client.describe_table(TableName=table)["Table"]["TableStatus"]
    except client.exceptions.ResourceNotFoundException:
        return None


class Snapshot:
    """What one backup may hold of the ledger's items: taken when it was
    asked for (`floor`: the acknowledged states) and closed when it answered
    or the server died (`sent`: every state sent by then)."""

    def __init__(self, ledger, label):
        self.label, self.ledger = label, ledger
        with ledger.lock:
            self.floor = {ident: canonical(state) for ident, state in ledger.acked.items()}
        self.sent = None

    def close(self):
        with self.ledger.lock:
            self.sent = {ident: set(states) for ident, states in self.ledger.sent.items()}

    def check(self, stored, findings, table):
        """`stored` is the copy's items of `table`, keyed as the ledger is."""
        idents = {i for i in set(self.floor) | set(self.sent) | set(stored) if i[0] == table}
        for ident in idents:
            have, floor = stored.get(ident), self.floor.get(ident)
            if have is None and floor is not None:
                findings.losses.append(f"{self.label}: {ident} acknowledged before the backup, missing from it")
            elif have is not None and have not in self.sent.get(ident, ()):
                findings.violations.append(f"{self.label}: {ident} holds a state not written before it answered")
            elif version(have) < version(floor):
                findings.losses.append(f"{self.label}: {ident} older than a write acknowledged before the backup")
        findings.notes["backup copies checked"] += 1
        findings.notes["backup items checked"] += len(idents)


class Upserts(ItemWrites):
    """ItemWrites without deletes (PutItem and UpdateItem, each conditioned
    on the acknowledged state) on a preloaded table."""
    tables = ("items",)
    clients = 4
    preloaded = 1500

    def setup(self, client, rng):
        create_item_table(client, "items")
        self.preload(client, "items", self.preloaded)

    def next_write(self, rng, keys, tag):
        ident = rng.choice(keys)
        table, current = ident[0], self.ledger.acked.get(ident)
        item = self.new_state(ident, tag)
        if rng.random() < 0.5:
            request = with_condition({"TableName": table, "Item": item}, current)
            return Write(lambda c: c.put_item(**request), [(ident, item)])
        request = with_condition({"TableName": table, **update_to(item)}, current)
        return Write(lambda c: c.update_item(**request), [(ident, item)])


class Backups(Upserts):
    """CreateBackup and `halyard backup --endpoint` in loops beside the
    writers; the kill comes while copies are being made."""
    name = "backup"

    def __init__(self):
        super().__init__()
        self.table_backups = []   # (arn or None if unanswered, Snapshot)
        self.store_backups = []   # (directory, answered successfully, Snapshot)

    def start_clients(self, server, rng, stop):
        threads = super().start_clients(server, rng, stop)
        client = server.client(**CLIENT_CONFIG)

        def table_backups():
            for n in range(1000):
                if stop.is_set():
                    return
                snapshot = Snapshot(self.ledger, f"backup {n}")
                try:
                    answer = client.create_backup(TableName="items", BackupName=f"backup-{n}")
                except botocore.exceptions.ClientError as error:
                    self.findings.violations.append(f"backup: CreateBackup refused: {error}")
                    return
                except botocore.exceptions.BotoCoreError:
                    snapshot.close()
                    self.table_backups.append((None, snapshot))
                    return
                snapshot.close()
                self.table_backups.append((answer["BackupDetails"]["BackupArn"], snapshot))
                self.findings.notes["CreateBackup answered"] += 1

        def store_backups():
            for n in range(1000):
                if stop.is_set():
                    return
                directory = self.scratch / f"store-{n}"
                snapshot = Snapshot(self.ledger, f"halyard backup {directory.name}")
                result = halyard("backup", directory, "--endpoint", server.endpoint)
                snapshot.close()
                self.store_backups.append((directory, result.returncode == 0, snapshot))
                if result.returncode != 0:
                    # Cut off by the kill, unless the server was still up.
                    if not stop.wait(10):
                        self.findings.violations.append(f"backup: halyard backup failed: {result.stderr}")
                    return
                self.findings.notes["halyard backup answered"] += 1

        for target in (table_backups, store_backups):
            threads.append(threading.Thread(target=target, daemon=True))
            threads[-1].start()
        return threads

    def verify(self, client):
        findings = super().verify(client)
        self.verify_table_backups(client, findings)
        self.verify_store_backups(findings)
        return findings

    def verify_table_backups(self, client, findings):
        listed = {s["BackupArn"]: s["BackupStatus"] for page in
                  client.get_paginator("list_backups").paginate(TableName="items") for s in page["BackupSummaries"]}
        snapshots = {arn: snapshot for arn, snapshot in self.table_backups if arn}
        unanswered = [snapshot for arn, snapshot in self.table_backups if arn is None]
        unknown = set(listed) - set(snapshots)
        if len(unknown) > len(unanswered):
            findings.violations.append(f"backup: backups nobody asked for: {unknown}")
            return
        snapshots.update(zip(unknown, unanswered))
        for arn, status in listed.items():
            if status != "AVAILABLE":
                findings.violations.append(f"backup: {arn} is {status} after the restart")
        findings.notes["table backups gone after the restart"] += len(set(snapshots) - set(listed))
        findings.notes["table backups available"] += len(listed)
        # The last ones asked for (the kill came during them) are restored.
        order = [arn for arn, _ in self.table_backups if arn] + sorted(unknown)
        for n, arn in enumerate([arn for arn in order if arn in listed][-2:]):
            target = f"restored_{n}"
            client.restore_table_from_backup(TargetTableName=target, BackupArn=arn)
            deadline = time.time() + DEADLINE
            while table_status(client, target) != "ACTIVE":
                if time.time() > deadline:
                    findings.violations.append(f"backup: the restore of {arn} did not finish")
                    break
                time.sleep(0.1)
            else:
                snapshots[arn].check(stored_items(client, target, "items"), findings, "items")

    def verify_store_backups(self, findings):
        key = self.workdir / "data.root-key"
        # The last one that answered, and the one the kill interrupted.
        done = [b for b in self.store_backups if b[1]][-1:]
        interrupted = [b for b in self.store_backups if not b[1]]
        for directory, answered, snapshot in done + interrupted:
            complete = (directory / "MANIFEST").exists()
            restored = self.scratch / f"{directory.name}-restored"
            result = halyard("restore", directory, "--data-dir", restored, "--root-key-file", key)
            if not complete:
                findings.notes["store backups cut short by the kill"] += 1
                if result.returncode == 0 or (restored / "halyard.db").exists():
                    findings.violations.append(f"backup: halyard restore took the incomplete {directory.name}")
                continue
            if result.returncode != 0:
                findings.violations.append(f"backup: {directory.name} does not restore: {result.stderr}")
                continue
            server = Server(restored, "--root-key-file", key).start()
            try:
                snapshot.check(stored_items(server.client(), "items"), findings, "items")
            finally:
                server.stop()
            findings.notes["store backups restored"] += 1


class Restores(Upserts):
    """RestoreTableFromBackup and RestoreTableToPointInTime of a preloaded
    table (its point-in-time restore replays its change log) while the
    writers go on; the kill comes during the copies."""
    name = "restore"
    preloaded = 0
    source_items = 2000
    targets = ("from_backup", "to_point_in_time")

    def setup(self, client, rng):
        super().setup(client, rng)
        create_item_table(client, "source")
        client.update_continuous_backups(TableName="source",
                                         PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True})
        self.wait_for(lambda: "LatestRestorableDateTime" in client.describe_continuous_backups(
            TableName="source")["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"])
        requests = [{"PutRequest": {"Item": {"pk": {"S": f"s{n % 40}"}, "sk": {"N": str(n)},
                                             "g": {"S": f"g{n % 9}"}, "ver": {"N": str(n)}, "l": {"N": str(n % 5)},
                                             "payload": {"S": "z" * (n % 400)}}}} for n in range(self.source_items)]
        for start in range(0, len(requests), 25):
            chunk = requests[start:start + 25]
            while chunk:
                chunk = client.batch_write_item(RequestItems={"source": chunk}).get(
                    "UnprocessedItems", {}).get("source", [])
        self.source = sorted(canonical(item) for item in scan_all(client, "source", ConsistentRead=True))
        arn = client.create_backup(TableName="source", BackupName="whole")["BackupDetails"]["BackupArn"]
        self.wait_for(lambda: client.describe_backup(BackupArn=arn)["BackupDescription"]["BackupDetails"][
            "BackupStatus"] == "AVAILABLE")
        self.backup_arn = arn

    def wait_for(self, predicate):
        deadline = time.time() + DEADLINE
        while not predicate():
            if time.time() > deadline:
                raise AssertionError("restore: setup timed out")
            time.sleep(0.05)

    def wait_before_kill(self, client, rng):
        time.sleep(rng.uniform(0.1, 0.5))
        requests = [lambda: client.restore_table_from_backup(TargetTableName="from_backup", BackupArn=self.backup_arn),
                    lambda: client.restore_table_to_point_in_time(SourceTableName="source",
                                                                 TargetTableName="to_point_in_time",
                                                                 UseLatestRestorableTime=True)]
        rng.shuffle(requests)
        for request in requests:
            request()
        time.sleep(rng.uniform(0, 0.8))
        for target in self.targets:
            self.findings.notes[f"{target} {table_status(client, target)} when killed"] += 1

    def recover(self, client):
        deadline = time.time() + DEADLINE
        while any(table_status(client, t) not in ("ACTIVE", None) for t in self.targets):
            if time.time() > deadline:
                self.findings.violations.append("restore: a restore did not finish two minutes after the restart")
                return
            time.sleep(0.1)

    def verify(self, client):
        findings = super().verify(client)
        if sorted(canonical(item) for item in scan_all(client, "source", ConsistentRead=True)) != self.source:
            findings.violations.append("restore: the source table changed")
        for target in self.targets:
            status = table_status(client, target)
            findings.notes[f"{target} {status} after the restart"] += 1
            if status != "ACTIVE":
                continue
            restored = sorted(canonical(item) for item in scan_all(client, target, ConsistentRead=True))
            if restored != self.source:
                missing, extra = len(set(self.source) - set(restored)), len(set(restored) - set(self.source))
                findings.losses.append(f"restore: {target} is ACTIVE with {missing} items missing, {extra} unknown")
            findings.notes["restored items checked"] += len(restored)
        return findings


class Rekey(Upserts):
    """After the kill, `halyard rekey` (or `--rotate-service-key`) on the
    dead server's directory, killed at a random moment; half the time run
    again to the end. The restart opens the store with whichever key it is
    under; every acknowledged write reads back."""
    name = "rekey"
    preloaded = 3000
    # About how long each takes here, on the preloaded store.
    durations = {"rekey": 0.7, "rotate": 0.2}

    def after_kill(self, data_dir, rng):
        mode = rng.choice(list(self.durations))
        command = [str(BINARY), "rekey", "--data-dir", str(data_dir),
                   *(["--rotate-service-key"] if mode == "rotate" else [])]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0, self.durations[mode] * 1.2))
        process.send_signal(signal.SIGKILL)
        _, stderr = process.communicate(timeout=60)
        killed = process.returncode == -signal.SIGKILL
        self.findings.notes[f"{mode} {'killed' if killed else 'finished'}"] += 1
        if not killed and process.returncode != 0:
            self.findings.violations.append(f"rekey: {mode} failed: {stderr.decode(errors='replace')}")
        if rng.random() < 0.5:
            again = subprocess.run(command, capture_output=True, text=True, timeout=120)
            self.findings.notes[f"{mode} run again"] += 1
            if again.returncode != 0:
                self.findings.violations.append(f"rekey: {mode} run again failed: {again.stderr}")
        self.data_dir = data_dir

    def verify(self, client):
        findings = super().verify(client)
        if "next_database_key" in (self.data_dir / "keyring").read_text():
            findings.violations.append("rekey: the restart did not settle the interrupted key change")
        return findings


BACKUP_WORKLOADS = [Backups, Restores, Rekey]
