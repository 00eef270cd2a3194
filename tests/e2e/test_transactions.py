"""TransactWriteItems and TransactGetItems (issue 6): Put/Update/Delete/
ConditionCheck across tables, all-or-nothing cancellation with
CancellationReasons in request order, ReturnValuesOnConditionCheckFailure,
ClientRequestToken idempotency, the 100-action and 4 MB limits, and the
validation errors.

Checked against DynamoDB Local; the tests that assert the service where Local
differs are listed in ORACLE_NOTES.md."""

import json
import uuid
from pathlib import Path

import botocore.exceptions
import pytest

from conftest import create_table
from helpers import expect_error, hkey, rkey
from test_batch import AWS, aws

VE = "ValidationException"
CANCELLED = "Transaction cancelled, please refer cancellation reasons for specific reasons "
SAME_ITEM = "Transaction request cannot include multiple operations on one item"
KEY_MISMATCH = "The provided key element does not match the schema"
MISSING_TABLE = "Requested resource not found"


def get(client, table, key):
    return client.get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")


def cancelled(call, **kwargs):
    """Calls and expects TransactionCanceledException; returns the error response."""
    with pytest.raises(botocore.exceptions.ClientError) as caught:
        call(**kwargs)
    error = caught.value.response
    assert error["Error"]["Code"] == "TransactionCanceledException", error
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400, error
    return error


def codes(error):
    return [reason["Code"] for reason in error["CancellationReasons"]]


def assert_condition_failed(reason, item=None):
    assert reason["Code"] == "ConditionalCheckFailed", reason
    # The service's text is "The conditional request failed"; Local adds a full stop for
    # ConditionCheck actions only, so the stop is not asserted (ORACLE_NOTES.md).
    assert reason["Message"].rstrip(".") == "The conditional request failed", reason
    if item is None:
        assert "Item" not in reason, reason
    else:
        assert reason["Item"] == item, reason


# ================================================== TransactWriteItems: happy path

def test_put_update_delete_condition_check_across_two_tables(client, tables):
    h, r = tables
    client.put_item(TableName=h, Item={**hkey("upd"), "n": {"N": "1"}, "gone": {"S": "x"}})
    client.put_item(TableName=h, Item={**hkey("del"), "v": {"S": "x"}})
    client.put_item(TableName=r, Item={**rkey("check", 1), "status": {"S": "open"}})
    response = client.transact_write_items(TransactItems=[
        {"Put": {"TableName": h, "Item": {**hkey("new"), "v": {"S": "fresh"}},
                 "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Update": {"TableName": h, "Key": hkey("upd"), "UpdateExpression": "ADD n :one REMOVE gone SET #s = :s",
                    "ConditionExpression": "n = :one", "ExpressionAttributeNames": {"#s": "status"},
                    "ExpressionAttributeValues": {":one": {"N": "1"}, ":s": {"S": "done"}}}},
        {"Delete": {"TableName": h, "Key": hkey("del"), "ConditionExpression": "attribute_exists(v)"}},
        {"ConditionCheck": {"TableName": r, "Key": rkey("check", 1), "ConditionExpression": "#s = :open",
                            "ExpressionAttributeNames": {"#s": "status"}, "ExpressionAttributeValues": {":open": {"S": "open"}}}},
        {"Put": {"TableName": r, "Item": {**rkey("p", 2), "l": {"L": [{"N": "1"}]}}}},
    ])
    assert "ConsumedCapacity" not in response and "ItemCollectionMetrics" not in response
    assert get(client, h, hkey("new")) == {**hkey("new"), "v": {"S": "fresh"}}
    assert get(client, h, hkey("upd")) == {**hkey("upd"), "n": {"N": "2"}, "status": {"S": "done"}}
    assert get(client, h, hkey("del")) is None
    assert get(client, r, rkey("check", 1)) == {**rkey("check", 1), "status": {"S": "open"}}
    assert get(client, r, rkey("p", 2)) == {**rkey("p", 2), "l": {"L": [{"N": "1"}]}}


def test_update_creates_missing_item_and_delete_of_missing_item_is_fine(client, tables):
    h, r = tables
    client.transact_write_items(TransactItems=[
        {"Update": {"TableName": h, "Key": hkey("c"), "UpdateExpression": "SET v = if_not_exists(v, :z) + :one",
                    "ExpressionAttributeValues": {":z": {"N": "0"}, ":one": {"N": "1"}}}},
        {"Delete": {"TableName": r, "Key": rkey("never", 1)}},
    ])
    assert get(client, h, hkey("c")) == {**hkey("c"), "v": {"N": "1"}}


def test_one_hundred_actions(client, tables):
    h, r = tables
    actions = [{"Put": {"TableName": h, "Item": hkey(f"k{i}")}} for i in range(50)]
    actions += [{"Put": {"TableName": r, "Item": rkey("p", i)}} for i in range(50)]
    client.transact_write_items(TransactItems=actions)
    assert client.scan(TableName=h)["Count"] == 50 and client.scan(TableName=r)["Count"] == 50


def test_return_consumed_capacity(client, tables):
    h, r = tables
    response = client.transact_write_items(TransactItems=[
        {"Put": {"TableName": h, "Item": hkey("a")}},
        {"Put": {"TableName": r, "Item": rkey("a", 1)}},
    ], ReturnConsumedCapacity="TOTAL")
    by_table = {c["TableName"]: c for c in response["ConsumedCapacity"]}
    assert set(by_table) == {h, r}
    # Transactional writes cost two write units per 1 KB (at least 2 per table here; Local
    # reports 4 per table for this request, so the exact figure is not asserted).
    for entry in by_table.values():
        assert entry["CapacityUnits"] >= 2.0 and entry["WriteCapacityUnits"] == entry["CapacityUnits"]


# ====================================================== all-or-nothing cancellation

def test_one_failing_condition_cancels_everything(client, tables):
    h, r = tables
    client.put_item(TableName=h, Item={**hkey("a"), "v": {"N": "1"}})
    client.put_item(TableName=r, Item={**rkey("b", 1), "v": {"N": "1"}})
    error = cancelled(client.transact_write_items, TransactItems=[
        {"Put": {"TableName": h, "Item": {**hkey("new"), "v": {"N": "9"}}}},
        {"ConditionCheck": {"TableName": h, "Key": hkey("a"), "ConditionExpression": "v = :x",
                            "ExpressionAttributeValues": {":x": {"N": "2"}}}},
        {"Update": {"TableName": r, "Key": rkey("b", 1), "UpdateExpression": "SET v = :x",
                    "ExpressionAttributeValues": {":x": {"N": "5"}}}},
    ])
    assert error["Error"]["Message"] == CANCELLED + "[None, ConditionalCheckFailed, None]"
    assert codes(error) == ["None", "ConditionalCheckFailed", "None"]
    assert error["CancellationReasons"][0] == {"Code": "None"}
    assert error["CancellationReasons"][2] == {"Code": "None"}
    assert_condition_failed(error["CancellationReasons"][1])
    # Nothing was applied.
    assert get(client, h, hkey("new")) is None
    assert get(client, r, rkey("b", 1)) == {**rkey("b", 1), "v": {"N": "1"}}
    assert get(client, h, hkey("a")) == {**hkey("a"), "v": {"N": "1"}}


def test_cancellation_reasons_for_each_kind_of_action(client, tables):
    h, r = tables
    client.put_item(TableName=h, Item={**hkey("exists"), "v": {"N": "1"}})
    client.put_item(TableName=r, Item={**rkey("exists", 1), "v": {"N": "1"}})
    client.put_item(TableName=r, Item={**rkey("other", 1), "v": {"N": "1"}})
    # (DynamoDB Local lets two actions name one item; the service refuses that, so
    # the ConditionCheck names another item.)
    error = cancelled(client.transact_write_items, TransactItems=[
        {"Put": {"TableName": h, "Item": hkey("exists"), "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Put": {"TableName": h, "Item": hkey("fine")}},
        {"Delete": {"TableName": r, "Key": rkey("exists", 1), "ConditionExpression": "v > :x",
                    "ExpressionAttributeValues": {":x": {"N": "1"}}}},
        {"Update": {"TableName": h, "Key": hkey("nobody"), "UpdateExpression": "SET v = :x",
                    "ConditionExpression": "attribute_exists(pk)", "ExpressionAttributeValues": {":x": {"N": "1"}}}},
        {"ConditionCheck": {"TableName": r, "Key": rkey("other", 1), "ConditionExpression": "attribute_exists(v)"}},
    ])
    assert error["Error"]["Message"] == (
        CANCELLED + "[ConditionalCheckFailed, None, ConditionalCheckFailed, ConditionalCheckFailed, None]")
    assert codes(error) == ["ConditionalCheckFailed", "None", "ConditionalCheckFailed", "ConditionalCheckFailed", "None"]
    for index in (0, 2, 3):
        assert_condition_failed(error["CancellationReasons"][index])
    assert get(client, h, hkey("fine")) is None
    assert get(client, r, rkey("exists", 1)) == {**rkey("exists", 1), "v": {"N": "1"}}
    assert get(client, h, hkey("nobody")) is None


def test_return_values_on_condition_check_failure_all_old(client, tables):
    h, r = tables
    old = {**hkey("a"), "v": {"N": "1"}, "m": {"M": {"x": {"S": "y"}}}}
    client.put_item(TableName=h, Item=old)
    old_r = {**rkey("b", 2), "v": {"S": "s"}}
    client.put_item(TableName=r, Item=old_r)
    error = cancelled(client.transact_write_items, TransactItems=[
        {"Delete": {"TableName": r, "Key": rkey("b", 2), "ConditionExpression": "v = :no",
                    "ExpressionAttributeValues": {":no": {"S": "no"}}, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
        {"ConditionCheck": {"TableName": h, "Key": hkey("a"), "ConditionExpression": "v = :x",
                            "ExpressionAttributeValues": {":x": {"N": "2"}}, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
        {"Update": {"TableName": h, "Key": hkey("missing"), "UpdateExpression": "SET v = :x",
                    "ConditionExpression": "attribute_exists(pk)", "ExpressionAttributeValues": {":x": {"N": "2"}},
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
        {"Put": {"TableName": r, "Item": rkey("c", 3)}},
    ])
    assert codes(error) == ["ConditionalCheckFailed", "ConditionalCheckFailed", "ConditionalCheckFailed", "None"]
    assert_condition_failed(error["CancellationReasons"][0], item=old_r)
    assert_condition_failed(error["CancellationReasons"][1], item=old)
    # No item to return when the item does not exist.
    assert_condition_failed(error["CancellationReasons"][2])
    assert error["CancellationReasons"][3] == {"Code": "None"}


def test_return_values_on_condition_check_failure_none(client, tables):
    h, _ = tables
    client.put_item(TableName=h, Item={**hkey("a"), "v": {"N": "1"}})
    error = cancelled(client.transact_write_items, TransactItems=[
        {"Put": {"TableName": h, "Item": hkey("a"), "ConditionExpression": "attribute_not_exists(pk)",
                 "ReturnValuesOnConditionCheckFailure": "NONE"}},
    ])
    assert error["Error"]["Message"] == CANCELLED + "[ConditionalCheckFailed]"
    assert_condition_failed(error["CancellationReasons"][0])


def test_cancelled_exception_is_modeled_in_boto3(client, tables):
    h, _ = tables
    client.put_item(TableName=h, Item=hkey("a"))
    with pytest.raises(client.exceptions.TransactionCanceledException) as caught:
        client.transact_write_items(TransactItems=[
            {"ConditionCheck": {"TableName": h, "Key": hkey("a"), "ConditionExpression": "attribute_not_exists(pk)"}}])
    assert [r["Code"] for r in caught.value.response["CancellationReasons"]] == ["ConditionalCheckFailed"]


# ================================================================= validation

def test_two_actions_on_the_same_item(lax, tables):
    h, r = tables
    lax.put_item(TableName=h, Item=hkey("a"))
    for pair in [
        [{"Put": {"TableName": h, "Item": hkey("a")}}, {"Delete": {"TableName": h, "Key": hkey("a")}}],
        [{"ConditionCheck": {"TableName": h, "Key": hkey("a"), "ConditionExpression": "attribute_exists(pk)"}},
         {"Update": {"TableName": h, "Key": hkey("a"), "UpdateExpression": "SET v = :v",
                     "ExpressionAttributeValues": {":v": {"N": "1"}}}}],
        [{"Put": {"TableName": r, "Item": rkey("a", 1)}}, {"Put": {"TableName": h, "Item": hkey("b")}},
         {"Put": {"TableName": r, "Item": {**rkey("a", 1), "v": {"S": "x"}}}}],
    ]:
        expect_error(lax.transact_write_items, VE, SAME_ITEM, TransactItems=pair)
    assert lax.scan(TableName=h)["Items"] == [hkey("a")] and lax.scan(TableName=r)["Count"] == 0
    # The same key in two tables, or two sort keys of one partition, are different items.
    lax.transact_write_items(TransactItems=[
        {"Put": {"TableName": h, "Item": hkey("z")}}, {"Put": {"TableName": r, "Item": rkey("z", 1)}},
        {"Put": {"TableName": r, "Item": rkey("z", 2)}}])


def test_more_than_one_hundred_actions(lax, tables):
    h, _ = tables
    # The service: "1 validation error detected: Value '[...]' at 'transactItems' failed to satisfy
    # constraint: Member must have length less than or equal to 100"; Local sends only the last part.
    expect_error(lax.transact_write_items, VE, contains="Member must have length less than or equal to 100",
                 TransactItems=[{"Put": {"TableName": h, "Item": hkey(f"k{i}")}} for i in range(101)])
    assert lax.scan(TableName=h)["Count"] == 0


def test_empty_action_list(lax):
    # The service: "1 validation error detected: Value '[]' at 'transactItems' ..."; Local: "Value [] at ...".
    expect_error(lax.transact_write_items, VE,
                 contains="at 'transactItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
                 TransactItems=[])


def test_malformed_actions(lax, tables):
    h, _ = tables
    # An action with no operation, or with two: rejected (Local's texts are its own).
    expect_error(lax.transact_write_items, VE, TransactItems=[{}])
    expect_error(lax.transact_write_items, VE, TransactItems=[
        {"Put": {"TableName": h, "Item": hkey("a")}, "Delete": {"TableName": h, "Key": hkey("b")}}])
    # ConditionCheck needs a ConditionExpression.
    expect_error(lax.transact_write_items, VE,
                 contains="Value null at 'transactItems.1.member.conditionCheck.conditionExpression' failed to satisfy "
                          "constraint: Member must not be null",
                 TransactItems=[{"ConditionCheck": {"TableName": h, "Key": hkey("a")}}])
    assert lax.scan(TableName=h)["Count"] == 0


def test_expression_errors_inside_actions(lax, tables):
    h, _ = tables
    ok = {"Put": {"TableName": h, "Item": hkey("ok")}}
    expect_error(lax.transact_write_items, VE, 'Invalid UpdateExpression: Syntax error; token: "=", near: "SET = :o"',
                 TransactItems=[ok, {"Update": {"TableName": h, "Key": hkey("a"), "UpdateExpression": "SET = :o",
                                                "ExpressionAttributeValues": {":o": {"N": "1"}}}}])
    expect_error(lax.transact_write_items, VE, 'Invalid ConditionExpression: Syntax error; token: "=", near: "=="',
                 TransactItems=[ok, {"ConditionCheck": {"TableName": h, "Key": hkey("a"), "ConditionExpression": "v =="}}])
    expect_error(lax.transact_write_items, VE,
                 "Invalid UpdateExpression: An expression attribute value used in expression is not defined; "
                 "attribute value: :nope",
                 TransactItems=[ok, {"Update": {"TableName": h, "Key": hkey("a"), "UpdateExpression": "SET x = :nope"}}])
    expect_error(lax.transact_write_items, VE,
                 "ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null",
                 TransactItems=[ok, {"Put": {"TableName": h, "Item": hkey("q"),
                                             "ExpressionAttributeValues": {":o": {"N": "1"}}}}])
    expect_error(lax.transact_write_items, VE,
                 "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; "
                 "attribute name: #n",
                 TransactItems=[ok, {"Delete": {"TableName": h, "Key": hkey("a"), "ConditionExpression": "attribute_exists(#n)"}}])
    assert lax.scan(TableName=h)["Count"] == 0


def test_key_not_matching_schema_inside_actions(lax, tables):
    # A lookup key of the wrong shape cancels the transaction with a ValidationError reason
    # for that action (captured from the service in four regions by the dynamodb-conformance
    # suite, tier3/error-messages/transactWriteItems). Local: a top-level "One of the
    # required keys was not given a value" / "The number of conditions on the keys is invalid".
    h, r = tables
    ok = {"Put": {"TableName": h, "Item": hkey("ok")}}
    for wrong in ({"Delete": {"TableName": h, "Key": {"other": {"S": "a"}}}},
                  {"Delete": {"TableName": h, "Key": {"pk": {"N": "5"}}}},
                  {"Update": {"TableName": h, "Key": {"pk": {"L": [{"S": "x"}]}}, "UpdateExpression": "SET v = :v",
                              "ExpressionAttributeValues": {":v": {"S": "x"}}}},
                  {"ConditionCheck": {"TableName": r, "Key": hkey("a"), "ConditionExpression": "attribute_exists(pk)"}}):
        error = cancelled(lax.transact_write_items, TransactItems=[ok, wrong])
        assert error["Error"]["Message"] == CANCELLED + "[None, ValidationError]", error
        assert error["CancellationReasons"] == [{"Code": "None"}, {"Code": "ValidationError", "Message": KEY_MISMATCH}]
    assert lax.scan(TableName=h)["Count"] == 0


def test_put_with_wrongly_typed_key_cancels(lax, tables):
    # The service's reason carries the PutItem message (same source as above).
    h, _ = tables
    error = cancelled(lax.transact_write_items, TransactItems=[
        {"Put": {"TableName": h, "Item": {"pk": {"N": "5"}}}}, {"Put": {"TableName": h, "Item": hkey("ok")}}])
    assert codes(error) == ["ValidationError", "None"]
    assert error["CancellationReasons"][0]["Message"] == \
        "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: N"
    assert lax.scan(TableName=h)["Count"] == 0


def test_empty_key_value_is_refused_for_the_whole_transaction(lax, tables):
    # An empty key value is refused up front, not as a cancellation reason (same source).
    h, _ = tables
    message = ("One or more parameter values are not valid. The AttributeValue for a key attribute "
               "cannot contain an empty string value. Key: pk")
    expect_error(lax.transact_write_items, VE, message, TransactItems=[{"Put": {"TableName": h, "Item": {"pk": {"S": ""}}}}])
    expect_error(lax.transact_write_items, VE, message, TransactItems=[{"Delete": {"TableName": h, "Key": {"pk": {"S": ""}}}}])


def test_update_of_a_key_attribute_cancels(lax, tables):
    # The TransactWriteItems reference lists "One or more parameter values were invalid" among
    # the ValidationError reasons; DynamoDB Local cancels with this reason too.
    h, _ = tables
    error = cancelled(lax.transact_write_items, TransactItems=[
        {"Update": {"TableName": h, "Key": hkey("a"), "UpdateExpression": "SET pk = :v",
                    "ExpressionAttributeValues": {":v": {"S": "x"}}}}])
    assert error["CancellationReasons"] == [{"Code": "ValidationError", "Message":
        "One or more parameter values were invalid: Cannot update attribute pk. This attribute is part of the key"}]


def test_action_constraints_are_reported_with_the_request_ones(lax, tables):
    # Every failing member in one message, each under its full member path.
    h, _ = tables
    expect_error(lax.transact_write_items, VE,
                 "2 validation errors detected: "
                 "Value null at 'transactItems.2.member.update.tableName' failed to satisfy constraint: Member must not be null; "
                 "Value 'BOGUS' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: "
                 "[INDEXES, TOTAL, NONE]",
                 TransactItems=[{"Put": {"TableName": h, "Item": hkey("a")}},
                                {"Update": {"Key": hkey("b"), "UpdateExpression": "SET v = :v",
                                            "ExpressionAttributeValues": {":v": {"S": "x"}}}}],
                 ReturnConsumedCapacity="BOGUS")
    expect_error(lax.transact_get_items, VE,
                 "2 validation errors detected: "
                 "Value '' at 'transactItems.1.member.get.tableName' failed to satisfy constraint: Member must have length greater than or equal to 3; "
                 "Value null at 'transactItems.2.member.get.key' failed to satisfy constraint: Member must not be null",
                 TransactItems=[{"Get": {"TableName": "", "Key": hkey("a")}}, {"Get": {"TableName": h}}])


def test_put_without_key_is_rejected(lax, tables):
    h, _ = tables
    # Rejected before anything is applied; the service's text is not asserted (ORACLE_NOTES.md).
    expect_error(lax.transact_write_items, VE, TransactItems=[
        {"Put": {"TableName": h, "Item": hkey("ok")}}, {"Put": {"TableName": h, "Item": {"other": {"S": "x"}}}}])
    assert lax.scan(TableName=h)["Count"] == 0


def test_missing_table_inside_actions(lax, tables):
    h, _ = tables
    expect_error(lax.transact_write_items, "ResourceNotFoundException", MISSING_TABLE, TransactItems=[
        {"Put": {"TableName": h, "Item": hkey("ok")}}, {"Put": {"TableName": h + "-nope", "Item": hkey("a")}}])
    assert lax.scan(TableName=h)["Count"] == 0


def test_missing_table_is_reported_with_the_resource_not_found_type(lax, tables):
    h, _ = tables
    expect_error(lax.transact_write_items, "ResourceNotFoundException", TransactItems=[
        {"ConditionCheck": {"TableName": h + "-nope", "Key": hkey("a"), "ConditionExpression": "attribute_exists(pk)"}}])
    expect_error(lax.transact_get_items, "ResourceNotFoundException", TransactItems=[
        {"Get": {"TableName": h + "-nope", "Key": hkey("a")}}])


def test_item_too_large_inside_a_transaction(lax, tables):
    h, _ = tables
    expect_error(lax.transact_write_items, VE, "Item size has exceeded the maximum allowed size", TransactItems=[
        {"Put": {"TableName": h, "Item": hkey("ok")}},
        {"Put": {"TableName": h, "Item": {**hkey("big"), "d": {"S": "x" * (400 * 1024)}}}}])
    assert lax.scan(TableName=h)["Count"] == 0


def test_total_size_limit_of_4_mb(lax, tables):
    h, _ = tables
    blob = "x" * (390 * 1024)
    # 10 x 390 KB = 3.8 MiB fits ...
    lax.transact_write_items(TransactItems=[{"Put": {"TableName": h, "Item": {**hkey(f"fit{i}"), "d": {"S": blob}}}}
                                            for i in range(10)])
    # ... 11 x 390 KB = 4.2 MiB does not. The service appends "Payload Size: <bytes>".
    expect_error(lax.transact_write_items, VE, contains="Transaction payload size cannot exceed 4MB",
                 TransactItems=[{"Put": {"TableName": h, "Item": {**hkey(f"big{i}"), "d": {"S": blob}}}}
                                for i in range(11)])
    assert all(get(lax, h, hkey(f"fit{i}")) is not None for i in range(10))
    assert all(get(lax, h, hkey(f"big{i}")) is None for i in range(11))


# ================================================================ idempotency

def counter_update(table, key, amount="1"):
    return [{"Update": {"TableName": table, "Key": key, "UpdateExpression": "ADD n :a",
                        "ExpressionAttributeValues": {":a": {"N": amount}}}}]


def test_client_request_token_makes_the_call_idempotent(client, tables):
    h, _ = tables
    token = str(uuid.uuid4())
    first = client.transact_write_items(TransactItems=counter_update(h, hkey("c")), ClientRequestToken=token,
                                        ReturnConsumedCapacity="TOTAL")
    second = client.transact_write_items(TransactItems=counter_update(h, hkey("c")), ClientRequestToken=token,
                                         ReturnConsumedCapacity="TOTAL")
    client.transact_write_items(TransactItems=counter_update(h, hkey("c")), ClientRequestToken=token)
    # Applied once.
    assert get(client, h, hkey("c")) == {**hkey("c"), "n": {"N": "1"}}
    # The first call reports the writes; a replay reports only the reads it made (documented).
    assert first["ConsumedCapacity"][0]["TableName"] == h and first["ConsumedCapacity"][0]["WriteCapacityUnits"] > 0
    assert second["ConsumedCapacity"][0]["TableName"] == h and "ReadCapacityUnits" in second["ConsumedCapacity"][0]
    assert "WriteCapacityUnits" not in second["ConsumedCapacity"][0]
    # Another token is another transaction.
    client.transact_write_items(TransactItems=counter_update(h, hkey("c")), ClientRequestToken=str(uuid.uuid4()))
    assert get(client, h, hkey("c"))["n"] == {"N": "2"}
    # No token: applied every time.
    client.transact_write_items(TransactItems=counter_update(h, hkey("c")))
    client.transact_write_items(TransactItems=counter_update(h, hkey("c")))
    assert get(client, h, hkey("c"))["n"] == {"N": "4"}


def test_same_token_with_a_different_request(client, tables):
    h, r = tables
    token = str(uuid.uuid4())
    client.transact_write_items(TransactItems=counter_update(h, hkey("c")), ClientRequestToken=token)
    # Different amount, different key, different table: all mismatches. The message is not
    # asserted: Local sends an empty one and no capture from the service was found.
    for other in (counter_update(h, hkey("c"), "2"), counter_update(h, hkey("d")),
                  counter_update(h, hkey("c")) + [{"Put": {"TableName": r, "Item": rkey("x", 1)}}]):
        error = expect_error(client.transact_write_items, "IdempotentParameterMismatchException",
                             TransactItems=other, ClientRequestToken=token)
    assert isinstance(error["Error"]["Message"], str)
    assert get(client, h, hkey("c")) == {**hkey("c"), "n": {"N": "1"}}
    assert get(client, h, hkey("d")) is None and get(client, r, rkey("x", 1)) is None


def test_boto3_fills_in_a_client_request_token(server, client, tables):
    """boto3 generates a fresh token per call (idempotencyToken), so two identical calls
    without one are applied twice."""
    h, _ = tables
    client.transact_write_items(TransactItems=counter_update(h, hkey("c")))
    client.transact_write_items(TransactItems=counter_update(h, hkey("c")))
    assert get(client, h, hkey("c"))["n"] == {"N": "2"}


def test_client_request_token_length(lax, tables):
    h, _ = tables
    expect_error(lax.transact_write_items, VE,
                 contains="at 'clientRequestToken' failed to satisfy constraint: Member must have length less than or equal to 36",
                 TransactItems=counter_update(h, hkey("c")), ClientRequestToken="x" * 37)
    token = str(uuid.uuid4())  # tokens are remembered for 10 minutes server-wide: never reuse a fixed one
    assert len(token) == 36
    lax.transact_write_items(TransactItems=counter_update(h, hkey("c")), ClientRequestToken=token)
    assert get(lax, h, hkey("c"))["n"] == {"N": "1"}


# ============================================================ TransactGetItems

def test_transact_get_across_tables_in_request_order(client, tables):
    h, r = tables
    client.put_item(TableName=h, Item={**hkey("a"), "v": {"N": "1"}, "name": {"S": "n"}, "x": {"S": "x"}})
    client.put_item(TableName=r, Item={**rkey("b", 2), "data": {"S": "d"}})
    client.put_item(TableName=h, Item={**hkey("c"), "v": {"N": "3"}})
    client.put_item(TableName=h, Item={**hkey("d"), "v": {"N": "4"}})
    response = client.transact_get_items(TransactItems=[
        {"Get": {"TableName": h, "Key": hkey("c")}},
        {"Get": {"TableName": h, "Key": hkey("missing")}},
        {"Get": {"TableName": r, "Key": rkey("b", 2)}},
        {"Get": {"TableName": h, "Key": hkey("a"), "ProjectionExpression": "#n, v",
                 "ExpressionAttributeNames": {"#n": "name"}}},
        {"Get": {"TableName": r, "Key": rkey("b", 3)}},
        {"Get": {"TableName": h, "Key": hkey("d"), "ProjectionExpression": "nothing"}},
    ])
    assert response["Responses"] == [
        {"Item": {**hkey("c"), "v": {"N": "3"}}},
        {},
        {"Item": {**rkey("b", 2), "data": {"S": "d"}}},
        {"Item": {"name": {"S": "n"}, "v": {"N": "1"}}},
        {},
        {"Item": {}},
    ]
    assert "ConsumedCapacity" not in response


def test_transact_get_one_hundred_items(client, tables):
    h, r = tables
    client.transact_write_items(TransactItems=[{"Put": {"TableName": h, "Item": {**hkey(f"k{i}"), "i": {"N": str(i)}}}}
                                               for i in range(0, 50, 2)])
    gets = [{"Get": {"TableName": h, "Key": hkey(f"k{i}")}} for i in range(50)]
    gets += [{"Get": {"TableName": r, "Key": rkey("p", i)}} for i in range(50)]
    response = client.transact_get_items(TransactItems=gets)
    assert len(response["Responses"]) == 100
    for i in range(50):
        assert response["Responses"][i] == ({"Item": {**hkey(f"k{i}"), "i": {"N": str(i)}}} if i % 2 == 0 else {})
    assert response["Responses"][50:] == [{}] * 50


def test_transact_get_consumed_capacity(client, tables):
    h, r = tables
    client.put_item(TableName=h, Item=hkey("a"))
    client.put_item(TableName=r, Item=rkey("a", 1))
    response = client.transact_get_items(TransactItems=[
        {"Get": {"TableName": h, "Key": hkey("a")}}, {"Get": {"TableName": r, "Key": rkey("a", 1)}}],
        ReturnConsumedCapacity="TOTAL")
    by_table = {c["TableName"]: c for c in response["ConsumedCapacity"]}
    # Transactional reads cost two read units per 4 KB.
    assert by_table[h]["CapacityUnits"] == 2.0 and by_table[r]["CapacityUnits"] == 2.0


def test_transact_get_limits_and_errors(lax, tables):
    h, r = tables
    expect_error(lax.transact_get_items, VE, contains="Member must have length less than or equal to 100",
                 TransactItems=[{"Get": {"TableName": h, "Key": hkey(f"k{i}")}} for i in range(101)])
    expect_error(lax.transact_get_items, VE, SAME_ITEM, TransactItems=[
        {"Get": {"TableName": h, "Key": hkey("a")}}, {"Get": {"TableName": r, "Key": rkey("a", 1)}},
        {"Get": {"TableName": h, "Key": hkey("a"), "ProjectionExpression": "pk"}}])
    expect_error(lax.transact_get_items, VE,
                 "Invalid ProjectionExpression: An expression attribute name used in the document path is not defined; "
                 "attribute name: #v",
                 TransactItems=[{"Get": {"TableName": h, "Key": hkey("a"), "ProjectionExpression": "#v"}}])


def test_transact_get_empty_list(lax):
    # Local: "Value null at 'transactItems' failed to satisfy constraint: Member must not be null".
    expect_error(lax.transact_get_items, VE,
                 contains="at 'transactItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
                 TransactItems=[])


def test_transact_get_missing_table_and_key_mismatch(lax, tables):
    h, r = tables
    expect_error(lax.transact_get_items, "ResourceNotFoundException", MISSING_TABLE,
                 TransactItems=[{"Get": {"TableName": h + "-nope", "Key": hkey("a")}}])
    # A key of the wrong shape cancels with a ValidationError reason, as the service does for
    # an empty Key (dynamodb-conformance, tier3/error-messages/transactGetItems) and Local does.
    for key, table in (({"other": {"S": "a"}}, h), (hkey("a"), r)):
        error = cancelled(lax.transact_get_items, TransactItems=[{"Get": {"TableName": h, "Key": hkey("a")}},
                                                                {"Get": {"TableName": table, "Key": key}}])
        assert error["CancellationReasons"] == [{"Code": "None"}, {"Code": "ValidationError", "Message": KEY_MISMATCH}]


def test_transact_get_sees_a_committed_transaction_whole(client, tables):
    h, r = tables
    client.transact_write_items(TransactItems=[
        {"Put": {"TableName": h, "Item": {**hkey("a"), "v": {"N": "1"}}}},
        {"Put": {"TableName": r, "Item": {**rkey("a", 1), "v": {"N": "1"}}}}])
    client.transact_write_items(TransactItems=[
        {"Update": {"TableName": h, "Key": hkey("a"), "UpdateExpression": "SET v = :v", "ExpressionAttributeValues": {":v": {"N": "2"}}}},
        {"Update": {"TableName": r, "Key": rkey("a", 1), "UpdateExpression": "SET v = :v", "ExpressionAttributeValues": {":v": {"N": "2"}}}}])
    response = client.transact_get_items(TransactItems=[
        {"Get": {"TableName": h, "Key": hkey("a")}}, {"Get": {"TableName": r, "Key": rkey("a", 1)}}])
    assert [x["Item"]["v"] for x in response["Responses"]] == [{"N": "2"}, {"N": "2"}]


# ============================================================ resource API + CLI

def test_resource_client_transactions(server, tables):
    h, r = tables
    resource = server.resource()
    meta = resource.meta.client  # high-level (deserialized) client
    meta.transact_write_items(TransactItems=[
        {"Put": {"TableName": h, "Item": {"pk": "a", "n": 1, "tags": {"x"}}}},
        {"Put": {"TableName": r, "Item": {"pk": "a", "sk": 1, "m": {"k": "v"}}}}])
    got = meta.transact_get_items(TransactItems=[
        {"Get": {"TableName": h, "Key": {"pk": "a"}}}, {"Get": {"TableName": r, "Key": {"pk": "a", "sk": 1}}}])
    assert [x["Item"] for x in got["Responses"]] == [{"pk": "a", "n": 1, "tags": {"x"}}, {"pk": "a", "sk": 1, "m": {"k": "v"}}]


def test_cli_transact_write_and_get(server, client, tables):
    if not Path(AWS).exists():
        pytest.skip("the AWS CLI is not installed in the venv")
    h, r = tables
    aws(server, "transact-write-items", "--transact-items", json.dumps([
        {"Put": {"TableName": h, "Item": {**hkey("a"), "v": {"N": "1"}}}},
        {"Put": {"TableName": r, "Item": rkey("a", 1)}}]))
    got = json.loads(aws(server, "transact-get-items", "--transact-items", json.dumps([
        {"Get": {"TableName": h, "Key": hkey("a")}}, {"Get": {"TableName": r, "Key": rkey("zz", 1)}}])).stdout)
    assert got["Responses"] == [{"Item": {**hkey("a"), "v": {"N": "1"}}}, {}]
    failed = aws(server, "transact-write-items", "--transact-items", json.dumps([
        {"Put": {"TableName": h, "Item": hkey("b")}},
        {"ConditionCheck": {"TableName": h, "Key": hkey("a"), "ConditionExpression": "attribute_not_exists(pk)"}}]),
        check=False)
    assert failed.returncode != 0
    assert "TransactionCanceledException" in failed.stderr
    assert "[None, ConditionalCheckFailed]" in failed.stderr
    assert get(client, h, hkey("b")) is None
