"""What a table's DynamoDB stream must hold after a crash, for the crash
matrix: per item, the records are the item's committed history in commit
order — exactly one record per acknowledged write, one for the write in
flight at the kill if and only if it was applied, and none for a write that
was never made. With trimming, what is left of an item's records is a
suffix of that history (trimming never leaves a gap).

Records are read with boto3's `dynamodbstreams` client from every shard,
from TRIM_HORIZON, and ordered by sequence number (global and increasing in
Halyard and per item in DynamoDB)."""

import json

SERVICE_IDENTITY = {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}


def canonical(item):
    return None if item is None else json.dumps(item, sort_keys=True)


def read_records(streams, arn):
    """Every record of the stream `arn`, in sequence-number order."""
    shards, start = [], None
    while True:
        page = streams.describe_stream(StreamArn=arn, **({"ExclusiveStartShardId": start} if start else {}))
        shards.extend(page["StreamDescription"]["Shards"])
        start = page["StreamDescription"].get("LastEvaluatedShardId")
        if not start:
            break
    records = []
    for shard in shards:
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"],
                                              ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while iterator:
            page = streams.get_records(ShardIterator=iterator)
            records.extend(page["Records"])
            iterator = page.get("NextShardIterator")
            if not page["Records"]:
                break
    return sorted(records, key=lambda record: int(record["dynamodb"]["SequenceNumber"]))


def records_by_item(records, table):
    """{(table, pk, sk): [record, ...]} in stream order."""
    found = {}
    for record in records:
        keys = record["dynamodb"]["Keys"]
        found.setdefault((table, keys["pk"]["S"], int(keys["sk"]["N"])), []).append(record)
    return found


def state_of(record):
    """The item as the record leaves it: its new image, or None (REMOVE)."""
    return None if record["eventName"] == "REMOVE" else canonical(record["dynamodb"]["NewImage"])


def versions(states):
    """A history by the items' `ver` attributes (None for deleted), for reports."""
    return [None if s is None else json.loads(s)["ver"]["N"] for s in states]


def check_item(ident, records, committed, trimmed, findings):
    """`committed` is the item's history of states (canonical) as the clients
    were told plus the in-flight write if it was applied; the records must
    be exactly it, or (with trimming) a suffix of it."""
    states = [state_of(record) for record in records]
    # Each event name follows from the state before it (unknown before the
    # first record held, when older ones were trimmed).
    for position, (record, state) in enumerate(zip(records, states)):
        if position == 0 and trimmed:
            continue
        before = states[position - 1] if position else None
        expected = "REMOVE" if state is None else ("INSERT" if before is None else "MODIFY")
        if record["eventName"] != expected:
            findings.violations.append(f"{ident}: a {record['eventName']} record where {expected} belongs")
    if trimmed:
        if states and states != committed[len(committed) - len(states):]:
            findings.violations.append(f"{ident}: records {versions(states)} are not a suffix of the committed "
                                       f"history {versions(committed)}")
        findings.notes["stream records checked"] += len(states)
        return
    if states == committed:
        findings.notes["stream records checked"] += len(states)
        return
    missing = [s for s in committed if s not in states]
    unknown = [s for s in states if s not in committed]
    if missing:
        findings.losses.append(f"{ident}: {len(missing)} committed write(s) without a stream record")
    if unknown:
        findings.violations.append(f"{ident}: {len(unknown)} stream record(s) of a write never applied")
    if not missing and not unknown:
        findings.violations.append(f"{ident}: stream records {versions(states)} out of order or repeated "
                                   f"(committed: {versions(committed)})")


def committed_history(ledger, ident, stored):
    """The states the item went through: the acknowledged ones, then the
    write in flight at the kill if the stored state shows it was applied."""
    history = [canonical(state) for state in ledger.history.get(ident, [])]
    in_flight, pending = ledger.pending_state(ident)
    if in_flight and stored == pending and (not history or history[-1] != pending):
        history.append(pending)
    return history


def verify_stream(client, streams, table, ledger, stored, findings, trimmed=False, others=lambda ident: False):
    """Checks `table`'s stream against the ledger of the clients' writes;
    `stored` maps each ident to its stored state (canonical); items for
    which `others` holds were written by someone else and are left to the
    caller. Returns the records by item."""
    arn = client.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    by_item = records_by_item(read_records(streams, arn), table)
    for ident in set(ledger.sent) | set(by_item):
        if ident[0] != table or others(ident):
            continue
        check_item(ident, by_item.get(ident, []), committed_history(ledger, ident, stored.get(ident)), trimmed,
                   findings)
    return by_item
