"""Differences between Halyard and DynamoDB Local that are not failures:
places where DynamoDB Local answers otherwise than real DynamoDB and Halyard
follows DynamoDB. tests/e2e/ORACLE_NOTES.md, section "Differential tester", gives the sources.

An entry is (operation or None for any, pattern for Local's answer, pattern
for Halyard's answer, reason). It matches a difference when both patterns
are found (re.search) in the answers as the report prints them:
"<status> <error type>: <message>", or "200 OK". Halyard's pattern may
instead be a function of both answers."""

import re

# Halyard's answer is a member-constraint message: what DynamoDB's request
# validation sends before it looks at anything else.
CONSTRAINT = r"^400 ValidationException: \d+ validation errors? detected: Value "
# Halyard's answer is a serialization error, for a member of the wrong JSON type.
SERIALIZATION = r"^400 SerializationException: "

KNOWN = [
    # DynamoDB Local has its own wording for most member constraints.
    (None, r"Invalid table/index name\.  Table/index names must be between 3 and 255", rf"{CONSTRAINT}|{SERIALIZATION}",
     "Local checks table names with its own message; DynamoDB reports the member constraint (tableName, indexName, ...)"),
    (None, r"The table does not have the specified index: ", CONSTRAINT,
     "Local skips the indexName constraint and looks the index up"),
    (None, r"Limit must be greater than or equal to 1|Limit in ListTables must be <= 100", CONSTRAINT,
     "Local's own wording for the limit constraint"),
    (None, r"Return values set to invalid value|Select must be ALL_ATTRIBUTES", CONSTRAINT,
     "Local's own wording for an enum constraint"),
    (None, r"^400 ValidationException: Value .* at '", lambda halyard, local: _same_but_prefix(halyard, local),
     "Local leaves out the '1 validation error detected:' prefix (and the quotes around the value) of a constraint message"),
    (None, r"^400 ValidationException: (1 validation error detected: )?Value .* at '", lambda halyard, local: _one_of_several(halyard, local),
     "Local stops at the first constraint violation it finds; DynamoDB reports them all in one message"),
    ("TransactGetItems", r"^400 ValidationException: Value null at 'transactItems' failed to satisfy constraint: Member must not be null$",
     rf"{CONSTRAINT}.*at 'transactItems",
     "Local reports an empty TransactItems, or a missing Get, as a null transactItems"),
    (None, r"^400 ValidationException: Member must have length less than or equal to 100$", CONSTRAINT,
     "Local leaves out the value and member of the transactItems length constraint"),
    (None, r"^400 ValidationException: 1 validation error detected: Value '-?\d+' at 'segment' failed to satisfy constraint: Member must have value less than or equal to -?\d+$",
     r"at 'segment'|at 'totalSegments'|The Segment parameter is zero-based",
     "Local checks Segment against TotalSegments - 1 as a member constraint (even below 0); DynamoDB checks Segment's own range [0, 999999] and TotalSegments [1, 1000000], then their relation"),
    (None, r"If segment is specified, total segment must also be specified|If total segments is specified, a particular segment must also be specified",
     r"The (Segment|TotalSegments) parameter is required but was not present",
     "Local's own wording (ORACLE_NOTES section 1)"),
    # Messages of Local's own for errors DynamoDB words otherwise.
    (None, r"^500 InternalFailure", r"^400 ",
     "Local fails with an internal error (an unknown enum value, a member of the wrong JSON type, invalid base64)"),
    (None, r"^(?!400 SerializationException)", SERIALIZATION,
     "Local accepts a member of the wrong JSON type (a number for a string, an object for a list) and goes on; DynamoDB refuses it while deserializing"),
    (None, r"^200 OK$", CONSTRAINT,
     "Local skips some member constraints (enum values, lengths of tags and key names, ClientRequestToken's minimum)"),
    (None, r"Cannot do operations on a non-existent table", r"^400 ResourceNotFoundException: Requested resource not found",
     "Local's own wording for a missing table (ORACLE_NOTES section 1)"),
    (None, r"^400 ResourceNotFoundException: Requested resource not found$", r"^400 ResourceNotFoundException: Requested resource not found: (Table|Index): ",
     "DynamoDB names the missing table or index in DescribeTable and UpdateTable"),
    (None, r"Cannot have null key for GetItem, DeleteItem, or UpdateItem|Item to put in PutItem cannot be null|BatchGetItem must have some requests set|BatchWriteItem cannot have a null or no requests set|The list of keys in RequestItems for BatchGetItem is required|The batch write request list for a table cannot be null or empty|Too many items requested for the BatchWriteItem call|Provided list of item keys contains duplicates",
     CONSTRAINT, "Local's own wording for a required or length-limited member"),
    (None, r"^400 ValidationException: Cannot have null key for GetItem, DeleteItem, or UpdateItem$|^400 ValidationException: The supplied Item contains a null AttributeValue$",
     r"^400 (ValidationException|SerializationException): ",
     "Local reports its null-key check before the constraints and type errors DynamoDB reports first"),
    (None, r"One of the required keys was not given a value|The number of conditions on the keys is invalid|One or more parameter values were invalid: Type mismatch for key$|Exclusive Start Key must have same size as table's key schema|Type mismatch for attribute to update",
     r"The provided key element does not match the schema|Type mismatch for key \w+ expected: \w+ actual: \w+|Missing the key \w+ in the item",
     "Local's own wording for a key that does not match the schema"),
    (None, r"Query condition missed key schema element$", r"Query condition missed key schema element: \w+",
     "DynamoDB names the missing key attribute (ORACLE_NOTES section 1)"),
    # CreateTable and UpdateTable checks Local words its own way or skips.
    ("CreateTable", r"Range Key not specified in Attribute Definitions|Hash Key not specified in Attribute Definitions|Global Secondary Index (hash|range) key not specified in Attribute Definitions|If Projection type INCLUDE is specified, some non-key attributes|No Hash Key specified in schema|No defined key schema|One or more keys is not specified as being hash or range|Attribute name must be specified|Invalid Attribute value\. Must contain exactly one|Names of key attributes and attributes projected into an index must be between|Global Secondary Index's read and write throughput must be at least 1",
     rf"{CONSTRAINT}|{SERIALIZATION}|Some index key attributes are not defined in AttributeDefinitions|^200 OK$",
     "Local checks the key schema and attribute definitions before (or instead of) the member constraints DynamoDB reports first"),
    ("CreateTable", r"^200 OK$", r"Some AttributeDefinitions are not used|Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST",
     "Local accepts unused attribute definitions and throughput with PAY_PER_REQUEST; DynamoDB refuses both"),
    ("CreateTable", r"Two keys can not have the same name|Local Secondary indices must have the same hash key|No attributes should be specified to be projected unless projection type is INCLUDE|No provisioned throughput specified for the global secondary index",
     r"^400 ValidationException: ", "Local's own wording for a key schema or index error"),
    ("UpdateTable", r"^200 OK$", r"Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST|Halyard does not support \w+ yet",
     "Local accepts throughput with PAY_PER_REQUEST (DynamoDB refuses it); Halyard refuses parameters of features it does not have"),
    ("UpdateTable", r"Nothing to update|Update global secondary index action is null|The requested throughput value equals the current value",
     r"At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates or SSESpecification or ReplicaUpdates is required|The provisioned throughput for the table will not change",
     "Local's own wording for an UpdateTable that changes nothing"),
    # Transactions.
    (None, r"ConditionalCheckFailed\", \"The conditional request failed\.\"", r"ConditionalCheckFailed\", \"The conditional request failed\"",
     "DynamoDB's reason message has no final period"),
    ("TransactWriteItems", r"\"ValidationError\", \"One or more parameter values were invalid: Type mismatch for key\"", r"\"ValidationError\", \"One or more parameter values were invalid: Type mismatch for key \w+ expected: \w+ actual: \w+\"",
     "DynamoDB names the key attribute and both types in the reason"),
    ("TransactWriteItems", r"^400 ValidationException: An operand in the update expression has an incorrect data type$", r"\"ValidationError\", \"An operand in the update expression has an incorrect data type\"",
     "the TransactWriteItems reference lists this as a ValidationError cancellation reason; Local refuses the whole request"),
    ("TransactWriteItems", r"Invalid Request: TransactWriteRequest should contain Delete or Put or Update request", r"TransactItems can only contain one of Check, Put, Update or Delete",
     "Local's own wording for an action with no operation"),
    ("TransactGetItems", r"Get Condition for key not in key list|^400 ValidationException: Requested resource not found$|^400 ResourceNotFoundException: Cannot do operations on a non-existent table$", rf"{CONSTRAINT}|{SERIALIZATION}",
     "Local checks a Get's table and key before (or instead of) the member constraints DynamoDB reports first"),
    ("TransactGetItems", r"^400 TransactionCanceledException: One or more parameter values were invalid: Type mismatch for key$", SERIALIZATION,
     "Local accepts a key of the wrong JSON type, then cancels"),
    # Local coerces a JSON number to a string, then checks it.
    (None, r"Value '17' at|token: \"17\"|Return values set to invalid value", r"^400 SerializationException: NUMBER_VALUE cannot be converted to String$",
     "Local accepts a number for a string member; DynamoDB refuses it while deserializing"),
    (None, r"^400 ValidationException: 1 validation error detected: Value '\w+' at 'returnValuesOnConditionCheckFailure'", r"^400 ValidationException: \d+ validation errors detected: .*at 'returnValuesOnConditionCheckFailure'",
     "Local checks ReturnValuesOnConditionCheckFailure as a member constraint but the other enums its own way later, so it reports one error where DynamoDB reports all"),
    (None, r"^400 ValidationException: 1 validation error detected: ", r"^400 ValidationException: [2-9] validation errors detected: ",
     "Local checks only some members as constraints (Segment, TotalSegments, ReturnValuesOnConditionCheckFailure), the others its own way later, so it reports one error where DynamoDB reports all"),
    # DynamoDB Streams.
    (None, r"Invalid StreamArn$|Invalid ShardIteratorType\.$|No ShardId specified\.$|streamArn cannot be empty or null\.$|Invalid ShardIterator$|^400 ResourceNotFoundException: Stream does not exist$|^400 ResourceNotFoundException: Shard does not exist$|^400 ResourceNotFoundException: Requested resource not found: Stream: |SequenceNumber should not be passed for this iterator type",
     rf"{CONSTRAINT}|{SERIALIZATION}", "Local checks the Streams API's members its own way, one at a time, where DynamoDB reports the member constraints first"),
    (None, r"^400 ResourceNotFoundException: Shard does not exist$", r"^400 ResourceNotFoundException: Requested resource not found: Shard does not exist$",
     "DynamoDB Streams' message has the 'Requested resource not found: ' prefix (quoted by Kinesis Client Library adapters handling it)"),
    (None, r"^400 ValidationException: Invalid ShardIteratorType\.$", r"Timestamp must be passed for the AT_TIMESTAMP iterator type",
     "Local does not know the AT_TIMESTAMP iterator type"),
    # Found by the tester, not settled by a source: Halyard keeps its answer
    # (ORACLE_NOTES, section "Differential tester", lists them as open).
    (None, r"Cannot have two attributes with the same name", r".",
     "Local's own wording (and place) for a name repeated in AttributesToGet or NonKeyAttributes"),
    (None, r"AttributesToGet cannot be empty", r"Can not use both expression and non-expression parameters|at '(requestItems\.\w+\.member\.)?attributesToGet' failed to satisfy constraint",
     "Local's own wording for an empty AttributesToGet, which it checks before the mixed parameters"),
    (None, r"Can not use both expression and non-expression parameters in the same request", r"Can not use both expression and non-expression parameters in the same request",
     "open: DynamoDB lists the parameters in a Java hash set's order, which Halyard does not reproduce"),
    (None, r"Input collection \[.*\] contains duplicates$", r"Input collection \[.*\] contains duplicates\.$",
     "open: the final period"),
    (None, r"Cannot create preexisting table", r"Table already exists: ",
     "Local's own wording for an existing table"),
    (None, r"Two global secondary indices have the same name|No provisioned throughput specified for the table|Table read and write throughput must be at least 1, and cannot be null|Indexes must have a projection specified|Projection type must be INCLUDE, ALL, or KEYS_ONLY|^400 ValidationException: Member must satisfy enum value set: ",
     r"^400 ValidationException: ", "Local's own wording for a CreateTable parameter error"),
    ("UpdateTable", r"^200 OK$", r"The provisioned throughput for the table will not change",
     "Local accepts an UpdateTable that changes nothing"),
    # Item and expression errors.
    (None, r"A value provided cannot be converted into a number", r"The parameter cannot be converted to a numeric value",
     "Local's own wording for an invalid number"),
    (None, r"Supplied AttributeValue is empty, must contain exactly one of the supported datatypes", r"^400 SerializationException: Unknown AttributeValue data type",
     "DynamoDB refuses an unknown AttributeValue type while deserializing"),
    (None, r"ReturnValues set to invalid value|Return values set to invalid value", r"ReturnValues can only be ALL_OLD or NONE",
     "Local's own wording for a ReturnValues a PutItem or DeleteItem cannot take"),
    (None, r"Consistent read cannot be true when (querying|scanning) a GSI", r"Consistent reads are not supported on global secondary indexes",
     "Local's own wording"),
    (None, r"Can not use both expression and non-expression parameters", r"failed to satisfy constraint",
     "DynamoDB reports member constraints before the expression/legacy parameter check"),
    ("DescribeContinuousBackups", r"^400 UnknownOperationException: ", r".",
     "Local 1.25.1 does not have DescribeContinuousBackups; DynamoDB does (API reference)"),
]


def _same_but_prefix(halyard, local):
    """Whether Halyard's answer is Local's with the one-error prefix, the
    value quoted."""
    return halyard.startswith("400 ValidationException: 1 validation error detected: ") and _violations(halyard) == _violations(local)


def _violations(answer):
    """The violations of a constraint message, each without quotes around
    its value."""
    message = re.sub(r"^400 ValidationException: (\d+ validation errors? detected: )?", "", answer)
    return [re.sub(r"^Value '(.*)' at '", r"Value \1 at '", part, flags=re.S) for part in message.split("; ")]


def _one_of_several(halyard, local):
    """Whether Halyard reports several violations, Local's among them."""
    reported = _violations(halyard)
    return re.match(CONSTRAINT, halyard) is not None and len(reported) > 1 and _violations(local)[0] in reported


def explain(operation, halyard, local):
    """The reason a difference is known, or None."""
    for known_operation, local_pattern, halyard_pattern, reason in KNOWN:
        if known_operation not in (None, operation) or not re.search(local_pattern, local, re.S):
            continue
        if halyard_pattern(halyard, local) if callable(halyard_pattern) else re.search(halyard_pattern, halyard, re.S):
            return reason
    return None
