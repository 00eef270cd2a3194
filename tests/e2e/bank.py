"""The bank workload's pieces, shared by test_bank.py and the crash matrix
(tests/campaign): accounts, a conditional two-account transfer, and which
errors mean "not applied, retry"."""


def account(i):
    return {"pk": {"S": f"acct-{i:02d}"}}


def transfer_items(table, source, target, amount):
    return [
        {"Update": {"TableName": table, "Key": account(source),
                    "UpdateExpression": "SET balance = balance - :amt",
                    "ConditionExpression": "balance >= :amt",
                    "ExpressionAttributeValues": {":amt": {"N": str(amount)}}}},
        {"Update": {"TableName": table, "Key": account(target),
                    "UpdateExpression": "SET balance = balance + :amt",
                    "ExpressionAttributeValues": {":amt": {"N": str(amount)}}}},
    ]


def is_conflict(error):
    """A conflict with another transaction or write: the transfer was not applied and may be retried."""
    code = error.response["Error"]["Code"]
    if code in ("TransactionConflictException", "TransactionInProgressException", "ThrottlingException"):
        return True
    if code == "TransactionCanceledException":
        return any(r.get("Code") == "TransactionConflict" for r in error.response.get("CancellationReasons", []))
    return False
