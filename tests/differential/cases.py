"""The state both endpoints start from, one valid request per operation
(the base the model's edits are applied to), and hand-written semantic
cases the model cannot express: wrong keys, wrong attribute types, missing
tables, conflicting parameters, transactions cancelled for a reason."""

PREFIX = "hdiff_"
HASH = PREFIX + "hash"  # pk S
RANGE = PREFIX + "range"  # pk S, sk N; LSI lsi_idx (pk, lsk S); GSI gsi_idx (gk S)
PROVISIONED = PREFIX + "prov"  # pk S, provisioned 5/5
STREAM = PREFIX + "stream"  # pk S, with a stream (NEW_AND_OLD_IMAGES)
MISSING = PREFIX + "missing"  # never created


def _definitions(*pairs):
    return [{"AttributeName": name, "AttributeType": kind} for name, kind in pairs]


def _schema(hash_key, range_key=None):
    schema = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key:
        schema.append({"AttributeName": range_key, "KeyType": "RANGE"})
    return schema


SETUP_TABLES = [
    {"TableName": HASH, "AttributeDefinitions": _definitions(("pk", "S")), "KeySchema": _schema("pk"), "BillingMode": "PAY_PER_REQUEST"},
    {
        "TableName": RANGE,
        "AttributeDefinitions": _definitions(("pk", "S"), ("sk", "N"), ("lsk", "S"), ("gk", "S")),
        "KeySchema": _schema("pk", "sk"),
        "BillingMode": "PAY_PER_REQUEST",
        "LocalSecondaryIndexes": [{"IndexName": "lsi_idx", "KeySchema": _schema("pk", "lsk"), "Projection": {"ProjectionType": "ALL"}}],
        "GlobalSecondaryIndexes": [{"IndexName": "gsi_idx", "KeySchema": _schema("gk"), "Projection": {"ProjectionType": "KEYS_ONLY"}}],
    },
    {
        "TableName": PROVISIONED,
        "AttributeDefinitions": _definitions(("pk", "S")),
        "KeySchema": _schema("pk"),
        "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5},
    },
]

SETUP_TABLES.append({
    "TableName": STREAM,
    "AttributeDefinitions": _definitions(("pk", "S")),
    "KeySchema": _schema("pk"),
    "BillingMode": "PAY_PER_REQUEST",
    "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
})

SETUP_ITEMS = [
    (HASH, {"pk": {"S": "p1"}, "a": {"N": "1"}, "s": {"SS": ["x", "y"]}}),
    (HASH, {"pk": {"S": "p2"}, "a": {"N": "2"}}),
    (RANGE, {"pk": {"S": "p1"}, "sk": {"N": "1"}, "lsk": {"S": "l1"}, "gk": {"S": "g1"}}),
    (RANGE, {"pk": {"S": "p1"}, "sk": {"N": "2"}, "v": {"S": "two"}}),
    (STREAM, {"pk": {"S": "s1"}}),
]

# The DynamoDB Streams operations (target prefix DynamoDBStreams_20120810.).
# Their requests name things each endpoint names its own way; `${NAME}` in a
# request stands for the endpoint's value (see difftest.stream_variables).
STREAMS_OPERATIONS = ("ListStreams", "DescribeStream", "GetShardIterator", "GetRecords")

HASH_KEY = {"pk": {"S": "p1"}}
RANGE_KEY = {"pk": {"S": "p1"}, "sk": {"N": "1"}}

# One valid request per operation. Requests that succeed leave the state as
# they found it (or change it the same way on both endpoints).
BASE = {
    "ListTables": {"Limit": 10},
    "DescribeTable": {"TableName": HASH},
    "CreateTable": {
        "TableName": PREFIX + "created",
        "AttributeDefinitions": _definitions(("pk", "S"), ("sk", "N")),
        "KeySchema": _schema("pk", "sk"),
        "BillingMode": "PROVISIONED",
        "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "by_sk",
                "KeySchema": _schema("sk"),
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]},
                "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
            }
        ],
        "Tags": [{"Key": "team", "Value": "db"}],
    },
    "DeleteTable": {"TableName": MISSING},
    "UpdateTable": {"TableName": PROVISIONED, "DeletionProtectionEnabled": False},
    "PutItem": {
        "TableName": HASH,
        "Item": {"pk": {"S": "p3"}, "n": {"N": "5"}},
        "ConditionExpression": "attribute_not_exists(#n) OR #n = :v",
        "ExpressionAttributeNames": {"#n": "n"},
        "ExpressionAttributeValues": {":v": {"N": "5"}},
        "ReturnValues": "ALL_OLD",
        "ReturnConsumedCapacity": "TOTAL",
        "ReturnItemCollectionMetrics": "SIZE",
    },
    "GetItem": {
        "TableName": RANGE,
        "Key": RANGE_KEY,
        "ProjectionExpression": "#p, sk",
        "ExpressionAttributeNames": {"#p": "pk"},
        "ConsistentRead": True,
        "ReturnConsumedCapacity": "INDEXES",
    },
    "DeleteItem": {
        "TableName": HASH,
        "Key": {"pk": {"S": "gone"}},
        "ConditionExpression": "attribute_not_exists(pk)",
        "ReturnValues": "ALL_OLD",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    },
    "UpdateItem": {
        "TableName": HASH,
        "Key": HASH_KEY,
        "UpdateExpression": "SET #a = :one",
        "ExpressionAttributeNames": {"#a": "a"},
        "ExpressionAttributeValues": {":one": {"N": "1"}},
        "ReturnValues": "UPDATED_NEW",
        "ReturnConsumedCapacity": "TOTAL",
    },
    "Query": {
        "TableName": RANGE,
        "IndexName": "lsi_idx",
        "KeyConditionExpression": "pk = :p AND lsk > :l",
        "FilterExpression": "attribute_exists(gk)",
        "ExpressionAttributeValues": {":p": {"S": "p1"}, ":l": {"S": "a"}},
        "Select": "ALL_ATTRIBUTES",
        "Limit": 5,
        "ScanIndexForward": False,
        "ReturnConsumedCapacity": "TOTAL",
    },
    "Scan": {
        "TableName": RANGE,
        "FilterExpression": "sk > :z",
        "ExpressionAttributeValues": {":z": {"N": "0"}},
        "Limit": 10,
        "Segment": 0,
        "TotalSegments": 2,
        "Select": "COUNT",
        "ReturnConsumedCapacity": "NONE",
    },
    "BatchGetItem": {
        "RequestItems": {
            HASH: {"Keys": [HASH_KEY, {"pk": {"S": "p2"}}], "ConsistentRead": True, "ProjectionExpression": "pk"},
            RANGE: {"Keys": [RANGE_KEY]},
        },
        "ReturnConsumedCapacity": "TOTAL",
    },
    "BatchWriteItem": {
        "RequestItems": {
            HASH: [{"PutRequest": {"Item": {"pk": {"S": "b1"}}}}, {"DeleteRequest": {"Key": {"pk": {"S": "b2"}}}}],
            RANGE: [{"PutRequest": {"Item": {"pk": {"S": "b1"}, "sk": {"N": "9"}}}}],
        },
        "ReturnConsumedCapacity": "TOTAL",
        "ReturnItemCollectionMetrics": "SIZE",
    },
    "TransactGetItems": {
        "TransactItems": [
            {"Get": {"TableName": HASH, "Key": HASH_KEY, "ProjectionExpression": "#a", "ExpressionAttributeNames": {"#a": "a"}}},
            {"Get": {"TableName": RANGE, "Key": RANGE_KEY}},
        ],
        "ReturnConsumedCapacity": "TOTAL",
    },
    "TransactWriteItems": {
        "TransactItems": [
            {"Put": {"TableName": HASH, "Item": {"pk": {"S": "t1"}}, "ReturnValuesOnConditionCheckFailure": "NONE"}},
            {
                "Update": {
                    "TableName": RANGE,
                    "Key": RANGE_KEY,
                    "UpdateExpression": "SET v = :v",
                    "ExpressionAttributeValues": {":v": {"S": "t"}},
                }
            },
            {"Delete": {"TableName": HASH, "Key": {"pk": {"S": "t2"}}}},
            {"ConditionCheck": {"TableName": HASH, "Key": HASH_KEY, "ConditionExpression": "attribute_exists(pk)"}},
        ],
        "ReturnConsumedCapacity": "TOTAL",
        "ReturnItemCollectionMetrics": "SIZE",
    },
}

BASE.update({
    "ListStreams": {"TableName": STREAM, "Limit": 5},
    "DescribeStream": {"StreamArn": "${STREAM_ARN}", "Limit": 10},
    "GetShardIterator": {"StreamArn": "${STREAM_ARN}", "ShardId": "${SHARD_ID}", "ShardIteratorType": "TRIM_HORIZON"},
    "GetRecords": {"ShardIterator": "${SHARD_ITERATOR}", "Limit": 10},
})

# Read-only control-plane operations served since (UpdateTimeToLive and the
# tag operations change state, or name tables by ARNs each endpoint spells
# its own way, and are left to test_ttl.py and test_tags.py).
BASE.update({
    "DescribeTimeToLive": {"TableName": HASH},
    "DescribeContinuousBackups": {"TableName": HASH},
    "DescribeLimits": {},
})

# The created table of a successful CreateTable is deleted again on both
# endpoints, so the next CreateTable starts from the same state.
CLEANUP = {"CreateTable": lambda request: [("DeleteTable", {"TableName": request.get("TableName")})]}


def _with(operation, **members):
    request = dict(BASE[operation])
    request.update(members)
    return {key: value for key, value in request.items() if value is not None}


def _tx(*actions, **members):
    return {"TransactItems": list(actions), **members}


SEMANTIC = {
    "ListTables": [
        {"ExclusiveStartTableName": "ab"},
        {"ExclusiveStartTableName": HASH, "Limit": 0},
    ],
    "DescribeTable": [{"TableName": MISSING}, {}],
    "DeleteTable": [{}, {"TableName": "a"}],
    "CreateTable": [
        _with("CreateTable", TableName=HASH),
        _with("CreateTable", AttributeDefinitions=_definitions(("pk", "S"))),
        _with("CreateTable", KeySchema=_schema("pk", "pk")),
        _with("CreateTable", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "HASH"}]),
        _with("CreateTable", KeySchema=[{"AttributeName": "sk", "KeyType": "RANGE"}, {"AttributeName": "pk", "KeyType": "HASH"}]),
        _with("CreateTable", ProvisionedThroughput=None),
        _with("CreateTable", BillingMode="PAY_PER_REQUEST"),
        _with("CreateTable", AttributeDefinitions=_definitions(("pk", "S"), ("sk", "N"), ("extra", "S"))),
        _with("CreateTable", AttributeDefinitions=_definitions(("pk", "S"), ("sk", "N"), ("pk", "N"))),
        _with(
            "CreateTable",
            LocalSecondaryIndexes=[{"IndexName": "lsi", "KeySchema": _schema("sk", "pk"), "Projection": {"ProjectionType": "ALL"}}],
        ),
        _with(
            "CreateTable",
            GlobalSecondaryIndexes=[
                {"IndexName": "dup", "KeySchema": _schema("sk"), "Projection": {"ProjectionType": "ALL"}, "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}},
                {"IndexName": "dup", "KeySchema": _schema("sk"), "Projection": {"ProjectionType": "ALL"}, "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}},
            ],
        ),
        _with(
            "CreateTable",
            GlobalSecondaryIndexes=[{"IndexName": "gsi", "KeySchema": _schema("sk"), "Projection": {"ProjectionType": "ALL", "NonKeyAttributes": ["x"]}, "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}}],
        ),
        _with("CreateTable", GlobalSecondaryIndexes=[{"IndexName": "gsi", "KeySchema": _schema("sk"), "Projection": {"ProjectionType": "ALL"}}]),
        _with("CreateTable", TableName="bad name", KeySchema=[], AttributeDefinitions=[], BillingMode="X"),
        {},
    ],
    "UpdateTable": [
        {"TableName": MISSING, "DeletionProtectionEnabled": False},
        {"TableName": PROVISIONED},
        {"TableName": PROVISIONED, "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}},
        {"TableName": PROVISIONED, "GlobalSecondaryIndexUpdates": [{"Delete": {"IndexName": "nope"}}]},
        {"TableName": PROVISIONED, "GlobalSecondaryIndexUpdates": [{}]},
        {"TableName": PROVISIONED, "BillingMode": "PAY_PER_REQUEST", "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}},
        {"TableName": HASH, "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}},
    ],
    "PutItem": [
        _with("PutItem", TableName=MISSING),
        _with("PutItem", Item={"n": {"N": "1"}}),
        _with("PutItem", Item={"pk": {"N": "1"}}),
        _with("PutItem", Item={"pk": {"S": ""}}),
        _with("PutItem", Item={"pk": {"S": "p"}, "x": {}}),
        _with("PutItem", Item={"pk": {"S": "p"}, "x": {"S": "a", "N": "1"}}),
        _with("PutItem", Item={"pk": {"S": "p"}, "x": {"N": "abc"}}),
        _with("PutItem", Item={"pk": {"S": "p"}, "x": {"SS": []}}),
        _with("PutItem", Item={"pk": {"S": "p"}, "x": {"SS": ["a", "a"]}}),
        _with("PutItem", Item={"pk": {"S": "p"}, "x": {"NS": ["1", "1.0"]}}),
        _with("PutItem", Item={"pk": {"S": "p"}, "x": {"B": "not base64!"}}),
        _with("PutItem", Item={"pk": {"S": "p"}, "x": {"Z": "1"}}),
        _with("PutItem", Item={"pk": {"S": "p"}, "x": {"N": "1e126"}}),
        _with("PutItem", Item={"pk": {"S": "p"}, "x": {"BOOL": "true"}}),
        _with("PutItem", Item={"pk": {"S": "p"}, "x": {"NULL": False}}),
        _with("PutItem", ReturnValues="ALL_NEW"),
        _with("PutItem", ReturnValues="UPDATED_OLD"),
        _with("PutItem", Expected={"n": {"Exists": False}}),
        _with("PutItem", ConditionExpression=None, ExpressionAttributeValues=None),
        _with("PutItem", ExpressionAttributeValues={":v": {"N": "5"}, ":unused": {"S": "x"}}),
        _with("PutItem", ConditionalOperator="AND"),
        _with("PutItem", Item={"pk": {"S": "p4"}, "big": {"S": "x" * (400 * 1024)}}, ConditionExpression=None, ExpressionAttributeNames=None, ExpressionAttributeValues=None),
    ],
    "GetItem": [
        _with("GetItem", TableName=MISSING),
        _with("GetItem", Key={"pk": {"S": "p1"}}),
        _with("GetItem", Key={"pk": {"S": "p1"}, "sk": {"S": "1"}}),
        _with("GetItem", Key={"pk": {"S": "p1"}, "sk": {"N": "1"}, "x": {"S": "x"}}),
        _with("GetItem", Key={"pk": {"S": ""}, "sk": {"N": "1"}}),
        _with("GetItem", Key={}),
        _with("GetItem", AttributesToGet=["pk"]),
        _with("GetItem", ProjectionExpression=None),
        _with("GetItem", ExpressionAttributeValues={":x": {"S": "x"}}),
        _with("GetItem", AttributesToGet=[]),
        _with("GetItem", AttributesToGet=["a", "a"], ProjectionExpression=None, ExpressionAttributeNames=None),
    ],
    "DeleteItem": [
        _with("DeleteItem", TableName=MISSING),
        _with("DeleteItem", Key={"nope": {"S": "x"}}),
        _with("DeleteItem", ReturnValues="ALL_NEW"),
        _with("DeleteItem", ReturnValues="UPDATED_NEW"),
        _with("DeleteItem", Key=HASH_KEY),
        _with("DeleteItem", Expected={"pk": {"Exists": False}}),
    ],
    "UpdateItem": [
        _with("UpdateItem", TableName=MISSING),
        _with("UpdateItem", UpdateExpression="SET pk = :one", ExpressionAttributeNames=None),
        _with("UpdateItem", Key={"pk": {"N": "1"}}),
        _with("UpdateItem", UpdateExpression=None),
        _with("UpdateItem", AttributeUpdates={"a": {"Action": "PUT", "Value": {"N": "1"}}}),
        _with("UpdateItem", UpdateExpression=None, ExpressionAttributeNames=None, ExpressionAttributeValues=None, AttributeUpdates={"a": {"Action": "DELETE", "Value": {"N": "1"}}}),
        _with("UpdateItem", UpdateExpression=None, ExpressionAttributeNames=None, ExpressionAttributeValues=None, AttributeUpdates={"pk": {"Action": "PUT", "Value": {"S": "x"}}}),
        _with("UpdateItem", UpdateExpression=None, ExpressionAttributeNames=None, ExpressionAttributeValues=None, AttributeUpdates={"a": {"Action": "ADD"}}),
        _with("UpdateItem", ExpressionAttributeValues={":one": {"S": "1"}}, UpdateExpression="ADD s :one", ExpressionAttributeNames=None),
    ],
    "Query": [
        _with("Query", TableName=MISSING),
        _with("Query", IndexName="nope"),
        _with("Query", IndexName=None),
        _with("Query", KeyConditionExpression=None, FilterExpression=None, ExpressionAttributeValues=None),
        _with("Query", Select="ALL_PROJECTED_ATTRIBUTES", IndexName=None, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "p1"}}, FilterExpression=None),
        _with("Query", Select="SPECIFIC_ATTRIBUTES"),
        _with("Query", Select="COUNT", ProjectionExpression="pk"),
        _with("Query", AttributesToGet=["pk"], ProjectionExpression="pk"),
        _with("Query", ExclusiveStartKey={"pk": {"S": "p1"}}),
        _with("Query", ExclusiveStartKey={"pk": {"S": "p1"}, "sk": {"N": "1"}, "lsk": {"N": "1"}}),
        _with("Query", KeyConditions={"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p1"}]}}),
        _with("Query", IndexName="gsi_idx", ConsistentRead=True, KeyConditionExpression="gk = :p", ExpressionAttributeValues={":p": {"S": "g1"}}, FilterExpression=None),
        _with("Query", Limit=0, Select="BOGUS"),
        _with("Query", QueryFilter={"v": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "x"}]}}),
        _with("Query", ConditionalOperator="OR", FilterExpression=None),
    ],
    "Scan": [
        _with("Scan", TableName=MISSING),
        _with("Scan", Segment=None),
        _with("Scan", TotalSegments=None),
        _with("Scan", Segment=2),
        _with("Scan", Segment=-1, TotalSegments=0),
        _with("Scan", IndexName="nope"),
        _with("Scan", Select="ALL_PROJECTED_ATTRIBUTES"),
        _with("Scan", Select="SPECIFIC_ATTRIBUTES"),
        _with("Scan", ScanFilter={"v": {"ComparisonOperator": "BOGUS"}}),
        _with("Scan", ExclusiveStartKey={"zz": {"S": "x"}}),
        _with("Scan", IndexName="gsi_idx", ConsistentRead=True),
        _with("Scan", Limit=0, Segment=5, TotalSegments=1000001, Select="X", ReturnConsumedCapacity="Y"),
    ],
    "BatchGetItem": [
        {"RequestItems": {MISSING: {"Keys": [HASH_KEY]}}},
        {"RequestItems": {HASH: {"Keys": [HASH_KEY, HASH_KEY]}}},
        {"RequestItems": {HASH: {"Keys": [{"pk": {"N": "1"}}]}}},
        {"RequestItems": {HASH: {"Keys": [{"nope": {"S": "1"}}]}}},
        {"RequestItems": {HASH: {"Keys": [{"pk": {"S": f"k{i}"}} for i in range(60)]}, RANGE: {"Keys": [{"pk": {"S": f"k{i}"}, "sk": {"N": "1"}} for i in range(41)]}}},
        {"RequestItems": {HASH: {"Keys": [HASH_KEY], "AttributesToGet": ["a"], "ProjectionExpression": "a"}}},
        {"RequestItems": {HASH: {"Keys": [HASH_KEY], "ExpressionAttributeNames": {"#u": "u"}}}},
        {"RequestItems": {HASH: {}}},
        {},
    ],
    "BatchWriteItem": [
        {"RequestItems": {MISSING: [{"PutRequest": {"Item": HASH_KEY}}]}},
        {"RequestItems": {HASH: [{"PutRequest": {"Item": HASH_KEY}}, {"DeleteRequest": {"Key": HASH_KEY}}]}},
        {"RequestItems": {HASH: [{"PutRequest": {"Item": HASH_KEY}, "DeleteRequest": {"Key": HASH_KEY}}]}},
        {"RequestItems": {HASH: [{}]}},
        {"RequestItems": {HASH: [{"PutRequest": {"Item": {"pk": {"N": "1"}}}}]}},
        {"RequestItems": {HASH: [{"DeleteRequest": {"Key": {"pk": {"S": "1"}, "x": {"S": "y"}}}}]}},
        {"RequestItems": {HASH: [{"PutRequest": {"Item": {"pk": {"S": f"w{i}"}}}} for i in range(20)], RANGE: [{"PutRequest": {"Item": {"pk": {"S": f"w{i}"}, "sk": {"N": "1"}}}} for i in range(6)]}},
        {"RequestItems": {HASH: [{"PutRequest": {}}]}},
        {},
    ],
    "TransactGetItems": [
        _tx({"Get": {"TableName": MISSING, "Key": HASH_KEY}}),
        _tx({"Get": {"TableName": HASH, "Key": {"pk": {"N": "1"}}}}),
        _tx({"Get": {"TableName": HASH, "Key": HASH_KEY}}, {"Get": {"TableName": HASH, "Key": HASH_KEY}}),
        _tx({}),
        _tx({"Get": {"TableName": HASH}}),
        _tx({"Get": {"TableName": HASH, "Key": HASH_KEY, "ExpressionAttributeNames": {"#x": "x"}}}),
        {},
    ],
    "ListStreams": [
        {"TableName": MISSING},
        {"TableName": HASH},
        {"ExclusiveStartStreamArn": "arn:aws:dynamodb:us-east-1:000000000000:table/nope/stream/2026"},
        {"Limit": 0, "TableName": "ab"},
    ],
    "DescribeStream": [
        {"StreamArn": "arn:aws:dynamodb:us-east-1:000000000000:table/hdiff_missing/stream/2026-01-01T00:00:00.000"},
        {"StreamArn": "not an arn at all, but long enough to pass"},
        {"StreamArn": "${STREAM_ARN}", "ExclusiveStartShardId": "shardId-00000000000000000000-00000000"},
        {"StreamArn": "${STREAM_ARN}", "ShardFilter": {"Type": "CHILD_SHARDS"}},
        {},
    ],
    "GetShardIterator": [
        {"StreamArn": "${STREAM_ARN}", "ShardId": "${SHARD_ID}", "ShardIteratorType": "AT_SEQUENCE_NUMBER"},
        {"StreamArn": "${STREAM_ARN}", "ShardId": "${SHARD_ID}", "ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": "1" * 21},
        {"StreamArn": "${STREAM_ARN}", "ShardId": "shardId-00000000000000000000-00000000", "ShardIteratorType": "LATEST"},
        {"StreamArn": "${STREAM_ARN}", "ShardId": "${SHARD_ID}", "ShardIteratorType": "LATEST", "SequenceNumber": "1" * 21},
        {"StreamArn": "${STREAM_ARN}", "ShardId": "${SHARD_ID}", "ShardIteratorType": "AT_TIMESTAMP"},
        {},
    ],
    "GetRecords": [
        {"ShardIterator": "not-a-valid-iterator"},
        {"ShardIterator": "${SHARD_ITERATOR}", "Limit": 1001},
        {"ShardIterator": "${SHARD_ITERATOR}", "Limit": 0},
        {},
    ],
    "TransactWriteItems": [
        _tx({"Put": {"TableName": MISSING, "Item": HASH_KEY}}),
        _tx({"Put": {"TableName": HASH, "Item": HASH_KEY}}, {"Delete": {"TableName": HASH, "Key": HASH_KEY}}),
        _tx({"Put": {"TableName": HASH, "Item": HASH_KEY}, "Delete": {"TableName": HASH, "Key": HASH_KEY}}),
        _tx({}),
        _tx({"Put": {"TableName": HASH, "Item": {"pk": {"N": "1"}}}}),
        _tx({"Delete": {"TableName": HASH, "Key": {"pk": {"S": "1"}, "x": {"S": "y"}}}}),
        _tx({"ConditionCheck": {"TableName": HASH, "Key": HASH_KEY, "ConditionExpression": "attribute_not_exists(pk)"}}),
        _tx(
            {"ConditionCheck": {"TableName": HASH, "Key": HASH_KEY, "ConditionExpression": "attribute_not_exists(pk)", "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}},
            {"Put": {"TableName": HASH, "Item": {"pk": {"S": "t9"}}}},
        ),
        _tx({"ConditionCheck": {"TableName": HASH, "Key": HASH_KEY}}),
        _tx({"Update": {"TableName": HASH, "Key": HASH_KEY, "UpdateExpression": "SET pk = :v", "ExpressionAttributeValues": {":v": {"S": "x"}}}}),
        _tx({"Update": {"TableName": HASH, "Key": {"pk": {"S": "t3"}}, "UpdateExpression": "ADD s :v", "ExpressionAttributeValues": {":v": {"N": "1"}}}}, {"Update": {"TableName": HASH, "Key": HASH_KEY, "UpdateExpression": "ADD s :v", "ExpressionAttributeValues": {":v": {"N": "1"}}}}),
        _tx({"Put": {"TableName": HASH, "Item": {"pk": {"S": "t4"}, "big": {"S": "x" * (400 * 1024)}}}}),
        _tx({"Put": {"TableName": HASH, "Item": {"pk": {"S": "t5"}}, "ExpressionAttributeValues": {":x": {"S": "x"}}}}),
        _tx({"Put": {"TableName": HASH, "Item": HASH_KEY}}, ClientRequestToken="x" * 37),
        {},
    ],
}
