//! What each operation asks the authorizer for: its IAM action(s), the
//! resource ARN and the DynamoDB condition keys, checked exactly for real
//! requests that then run against a real engine.

mod common;

use common::{check, strings, text, Fixture, TABLE_ARN};
use halyard_protocol::{AccessCheck, Service};
use serde_json::json;

fn order_key(pk: &str, sk: u32) -> serde_json::Value {
    json!({"pk": {"S": pk}, "sk": {"N": sk.to_string()}})
}

#[tokio::test]
async fn table_and_account_operations_ask_for_their_action_on_the_table_or_on_everything() {
    let fixture = Fixture::new().await;
    let orders_arn = format!("{TABLE_ARN}Orders");
    let account = |action| AccessCheck::new(action, "*", None);
    let cases = [
        (
            "CreateTable",
            json!({
                "TableName": "Extra",
                "AttributeDefinitions": [{"AttributeName": "k", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}],
                "BillingMode": "PAY_PER_REQUEST",
            }),
            check("dynamodb:CreateTable", "Extra"),
        ),
        (
            "DescribeTable",
            json!({"TableName": orders_arn}),
            check("dynamodb:DescribeTable", "Orders"),
        ),
        (
            "UpdateTable",
            json!({"TableName": "Numbers", "DeletionProtectionEnabled": true}),
            check("dynamodb:UpdateTable", "Numbers"),
        ),
        (
            "DescribeTimeToLive",
            json!({"TableName": "Orders"}),
            check("dynamodb:DescribeTimeToLive", "Orders"),
        ),
        (
            "UpdateTimeToLive",
            json!({"TableName": "Orders", "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "ttl"}}),
            check("dynamodb:UpdateTimeToLive", "Orders"),
        ),
        (
            "DescribeContinuousBackups",
            json!({"TableName": "Orders"}),
            check("dynamodb:DescribeContinuousBackups", "Orders"),
        ),
        (
            "TagResource",
            json!({"ResourceArn": orders_arn, "Tags": [{"Key": "team", "Value": "red"}]}),
            check("dynamodb:TagResource", "Orders"),
        ),
        (
            "ListTagsOfResource",
            json!({"ResourceArn": orders_arn}),
            check("dynamodb:ListTagsOfResource", "Orders"),
        ),
        (
            "UntagResource",
            json!({"ResourceArn": orders_arn, "TagKeys": ["team"]}),
            check("dynamodb:UntagResource", "Orders"),
        ),
        ("ListTables", json!({"Limit": 2}), account("dynamodb:ListTables")),
        ("DescribeLimits", json!({}), account("dynamodb:DescribeLimits")),
        ("DescribeEndpoints", json!({}), account("dynamodb:DescribeEndpoints")),
        (
            "DeleteTable",
            json!({"TableName": "Extra"}),
            check("dynamodb:DeleteTable", "Extra"),
        ),
    ];
    for (operation, body, expected) in cases {
        assert_eq!(fixture.checks(operation, body).await, vec![expected], "{operation}");
    }
}

#[tokio::test]
async fn get_item_gives_its_partition_key_the_key_and_projected_attributes_and_the_implied_select() {
    let fixture = Fixture::new().await;
    let checks = fixture
        .checks(
            "GetItem",
            json!({
                "TableName": "Orders",
                "Key": order_key("u1", 1),
                "ProjectionExpression": "#t, info.a[0]",
                "ExpressionAttributeNames": {"#t": "amount"},
                "ReturnConsumedCapacity": "TOTAL",
            }),
        )
        .await;
    let expected = AccessCheck {
        leading_keys: strings(&["u1"]),
        attributes: strings(&["amount", "info", "pk", "sk"]),
        select: text("SPECIFIC_ATTRIBUTES"),
        return_consumed_capacity: text("TOTAL"),
        ..check("dynamodb:GetItem", "Orders")
    };
    assert_eq!(checks, vec![expected]);

    // Named by ARN, without a projection: every attribute is read.
    let checks = fixture
        .checks(
            "GetItem",
            json!({"TableName": format!("{TABLE_ARN}Orders"), "Key": order_key("u1", 1)}),
        )
        .await;
    let expected = AccessCheck {
        leading_keys: strings(&["u1"]),
        attributes: strings(&["pk", "sk"]),
        select: text("ALL_ATTRIBUTES"),
        return_consumed_capacity: text("NONE"),
        ..check("dynamodb:GetItem", "Orders")
    };
    assert_eq!(checks, vec![expected]);
}

#[tokio::test]
async fn leading_keys_give_numbers_as_their_text_and_binaries_in_base64() {
    let fixture = Fixture::new().await;
    let checks = fixture
        .checks("GetItem", json!({"TableName": "Numbers", "Key": {"n": {"N": "1.50"}}}))
        .await;
    assert_eq!(checks[0].leading_keys, strings(&["1.5"]));
    let checks = fixture
        .checks("GetItem", json!({"TableName": "Blobs", "Key": {"id": {"B": "AQID"}}}))
        .await;
    assert_eq!(checks[0].leading_keys, strings(&["AQID"]));
}

#[tokio::test]
async fn single_item_writes_give_the_attributes_they_write_and_test_and_their_return_values() {
    let fixture = Fixture::new().await;
    let checks = fixture
        .checks(
            "PutItem",
            json!({
                "TableName": "Orders",
                "Item": {"pk": {"S": "u1"}, "sk": {"N": "1"}, "status": {"S": "open"}, "amount": {"N": "5"}},
                "ConditionExpression": "attribute_not_exists(pk) OR flag = :yes",
                "ExpressionAttributeValues": {":yes": {"BOOL": true}},
                "ReturnValues": "ALL_OLD",
            }),
        )
        .await;
    let expected = AccessCheck {
        leading_keys: strings(&["u1"]),
        attributes: strings(&["amount", "flag", "pk", "sk", "status"]),
        return_values: text("ALL_OLD"),
        return_consumed_capacity: text("NONE"),
        ..check("dynamodb:PutItem", "Orders")
    };
    assert_eq!(checks, vec![expected]);

    let checks = fixture
        .checks(
            "UpdateItem",
            json!({
                "TableName": "Orders",
                "Key": order_key("u1", 1),
                "UpdateExpression": "SET amount = amount + :one, note = if_not_exists(earlier, :s) REMOVE gone",
                "ConditionExpression": "attribute_exists(#s)",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": {":one": {"N": "1"}, ":s": {"S": "x"}},
                "ReturnConsumedCapacity": "INDEXES",
            }),
        )
        .await;
    let expected = AccessCheck {
        leading_keys: strings(&["u1"]),
        attributes: strings(&["amount", "earlier", "gone", "note", "pk", "sk", "status"]),
        return_values: text("NONE"),
        return_consumed_capacity: text("INDEXES"),
        ..check("dynamodb:UpdateItem", "Orders")
    };
    assert_eq!(checks, vec![expected]);

    // The legacy AttributeUpdates and Expected name attributes too.
    let checks = fixture
        .checks(
            "UpdateItem",
            json!({
                "TableName": "Orders",
                "Key": order_key("u1", 1),
                "AttributeUpdates": {"label": {"Action": "PUT", "Value": {"S": "x"}}},
                "Expected": {"amount": {"Value": {"N": "6"}}},
                "ReturnValues": "UPDATED_NEW",
            }),
        )
        .await;
    assert_eq!(checks[0].attributes, strings(&["amount", "label", "pk", "sk"]));
    assert_eq!(checks[0].return_values, text("UPDATED_NEW"));

    let checks = fixture
        .checks(
            "DeleteItem",
            json!({"TableName": "Orders", "Key": order_key("u1", 1), "Expected": {"label": {"Value": {"S": "x"}}}}),
        )
        .await;
    let expected = AccessCheck {
        leading_keys: strings(&["u1"]),
        attributes: strings(&["label", "pk", "sk"]),
        return_values: text("NONE"),
        return_consumed_capacity: text("NONE"),
        ..check("dynamodb:DeleteItem", "Orders")
    };
    assert_eq!(checks, vec![expected]);
}

#[tokio::test]
async fn query_gives_the_partition_key_it_reads_and_an_index_query_the_index_arn() {
    let fixture = Fixture::new().await;
    let checks = fixture
        .checks(
            "Query",
            json!({
                "TableName": "Orders",
                "KeyConditionExpression": "pk = :p AND sk > :zero",
                "FilterExpression": "amount > :zero",
                "ProjectionExpression": "amount",
                "ExpressionAttributeValues": {":p": {"S": "u1"}, ":zero": {"N": "0"}},
            }),
        )
        .await;
    let expected = AccessCheck {
        leading_keys: strings(&["u1"]),
        attributes: strings(&["amount", "pk", "sk"]),
        select: text("SPECIFIC_ATTRIBUTES"),
        return_consumed_capacity: text("NONE"),
        ..check("dynamodb:Query", "Orders")
    };
    assert_eq!(checks, vec![expected]);

    let checks = fixture
        .checks(
            "Query",
            json!({
                "TableName": "Orders",
                "IndexName": "byStatus",
                "KeyConditionExpression": "#s = :open",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": {":open": {"S": "open"}},
            }),
        )
        .await;
    let expected = AccessCheck {
        leading_keys: strings(&["open"]),
        attributes: strings(&["status"]),
        select: text("ALL_PROJECTED_ATTRIBUTES"),
        return_consumed_capacity: text("NONE"),
        ..check("dynamodb:Query", "Orders/index/byStatus")
    };
    assert_eq!(checks, vec![expected]);

    let checks = fixture
        .checks(
            "Query",
            json!({
                "TableName": "Orders",
                "KeyConditions": {"pk": {"AttributeValueList": [{"S": "u2"}], "ComparisonOperator": "EQ"}},
                "Select": "COUNT",
            }),
        )
        .await;
    assert_eq!(checks[0].leading_keys, strings(&["u2"]));
    assert_eq!(checks[0].attributes, strings(&["pk"]));
    assert_eq!(checks[0].select, text("COUNT"));
}

#[tokio::test]
async fn scan_gives_no_partition_key_and_an_index_scan_the_index_arn() {
    let fixture = Fixture::new().await;
    let checks = fixture.checks("Scan", json!({"TableName": "Orders"})).await;
    let expected = AccessCheck {
        select: text("ALL_ATTRIBUTES"),
        return_consumed_capacity: text("NONE"),
        ..check("dynamodb:Scan", "Orders")
    };
    assert_eq!(checks, vec![expected]);

    let checks = fixture
        .checks(
            "Scan",
            json!({
                "TableName": "Orders",
                "IndexName": "byStatus",
                "ScanFilter": {"status": {"AttributeValueList": [{"S": "open"}], "ComparisonOperator": "EQ"}},
                "Select": "COUNT",
                "ReturnConsumedCapacity": "TOTAL",
            }),
        )
        .await;
    let expected = AccessCheck {
        attributes: strings(&["status"]),
        select: text("COUNT"),
        return_consumed_capacity: text("TOTAL"),
        ..check("dynamodb:Scan", "Orders/index/byStatus")
    };
    assert_eq!(checks, vec![expected]);
}

#[tokio::test]
async fn batches_ask_once_per_table_with_all_its_partition_keys() {
    let fixture = Fixture::new().await;
    let checks = fixture
        .checks(
            "BatchGetItem",
            json!({
                "RequestItems": {
                    "Orders": {"Keys": [order_key("u1", 1), order_key("u2", 2)], "ProjectionExpression": "amount"},
                    "Numbers": {"Keys": [{"n": {"N": "7"}}, {"n": {"N": "8"}}]},
                },
                "ReturnConsumedCapacity": "TOTAL",
            }),
        )
        .await;
    let numbers = AccessCheck {
        leading_keys: strings(&["7", "8"]),
        attributes: strings(&["n"]),
        select: text("ALL_ATTRIBUTES"),
        return_consumed_capacity: text("TOTAL"),
        ..check("dynamodb:BatchGetItem", "Numbers")
    };
    let orders = AccessCheck {
        leading_keys: strings(&["u1", "u2"]),
        attributes: strings(&["amount", "pk", "sk"]),
        select: text("SPECIFIC_ATTRIBUTES"),
        return_consumed_capacity: text("TOTAL"),
        ..check("dynamodb:BatchGetItem", "Orders")
    };
    assert_eq!(checks, vec![numbers, orders]);

    let checks = fixture
        .checks(
            "BatchWriteItem",
            json!({
                "RequestItems": {
                    "Orders": [
                        {"PutRequest": {"Item": {"pk": {"S": "u3"}, "sk": {"N": "3"}, "amount": {"N": "1"}}}},
                        {"DeleteRequest": {"Key": order_key("u4", 4)}},
                    ],
                    "Blobs": [{"PutRequest": {"Item": {"id": {"B": "AQID"}, "x": {"S": "y"}}}}],
                },
            }),
        )
        .await;
    let blobs = AccessCheck {
        leading_keys: strings(&["AQID"]),
        attributes: strings(&["id", "x"]),
        return_consumed_capacity: text("NONE"),
        ..check("dynamodb:BatchWriteItem", "Blobs")
    };
    let orders = AccessCheck {
        leading_keys: strings(&["u3", "u4"]),
        attributes: strings(&["amount", "pk", "sk"]),
        return_consumed_capacity: text("NONE"),
        ..check("dynamodb:BatchWriteItem", "Orders")
    };
    assert_eq!(checks, vec![blobs, orders]);
}

#[tokio::test]
async fn transactions_ask_for_the_single_item_action_of_each_item() {
    let fixture = Fixture::new().await;
    let checks = fixture
        .checks(
            "TransactGetItems",
            json!({
                "TransactItems": [
                    {"Get": {"TableName": "Orders", "Key": order_key("u1", 1), "ProjectionExpression": "amount"}},
                    {"Get": {"TableName": "Blobs", "Key": {"id": {"B": "AQID"}}}},
                ],
            }),
        )
        .await;
    let orders = AccessCheck {
        leading_keys: strings(&["u1"]),
        attributes: strings(&["amount", "pk", "sk"]),
        select: text("SPECIFIC_ATTRIBUTES"),
        return_consumed_capacity: text("NONE"),
        enclosing_operation: Some("TransactGetItems"),
        ..check("dynamodb:GetItem", "Orders")
    };
    let blobs = AccessCheck {
        leading_keys: strings(&["AQID"]),
        attributes: strings(&["id"]),
        select: text("ALL_ATTRIBUTES"),
        return_consumed_capacity: text("NONE"),
        enclosing_operation: Some("TransactGetItems"),
        ..check("dynamodb:GetItem", "Blobs")
    };
    assert_eq!(checks, vec![orders, blobs]);

    fixture
        .ok(
            "PutItem",
            json!({"TableName": "Blobs", "Item": {"id": {"B": "AQID"}, "x": {"S": "y"}}}),
        )
        .await;
    let checks = fixture
        .checks(
            "TransactWriteItems",
            json!({
                "TransactItems": [
                    {"Put": {"TableName": "Orders", "Item": {"pk": {"S": "u5"}, "sk": {"N": "5"}, "status": {"S": "new"}}}},
                    {"Update": {
                        "TableName": "Orders",
                        "Key": order_key("u1", 1),
                        "UpdateExpression": "SET amount = :v",
                        "ExpressionAttributeValues": {":v": {"N": "9"}},
                    }},
                    {"Delete": {"TableName": "Numbers", "Key": {"n": {"N": "7"}}}},
                    {"ConditionCheck": {"TableName": "Blobs", "Key": {"id": {"B": "AQID"}}, "ConditionExpression": "attribute_exists(x)"}},
                ],
                "ReturnConsumedCapacity": "TOTAL",
            }),
        )
        .await;
    let action = |action, table, leading: &[&str], attributes: &[&str]| AccessCheck {
        leading_keys: strings(leading),
        attributes: strings(attributes),
        return_consumed_capacity: text("TOTAL"),
        enclosing_operation: Some("TransactWriteItems"),
        ..check(action, table)
    };
    let expected = vec![
        action("dynamodb:PutItem", "Orders", &["u5"], &["pk", "sk", "status"]),
        action("dynamodb:UpdateItem", "Orders", &["u1"], &["amount", "pk", "sk"]),
        action("dynamodb:DeleteItem", "Numbers", &["7"], &["n"]),
        action("dynamodb:ConditionCheckItem", "Blobs", &["AQID"], &["id", "x"]),
    ];
    assert_eq!(checks, expected);
}

#[tokio::test]
async fn streams_operations_ask_for_the_stream_they_read() {
    let fixture = Fixture::new().await;
    fixture
        .ok(
            "PutItem",
            json!({"TableName": "Orders", "Item": {"pk": {"S": "u1"}, "sk": {"N": "1"}}}),
        )
        .await;
    let stream = fixture.stream_arn().await;
    let on_stream = |action| AccessCheck::new(action, stream.clone(), Some("Orders".to_string()));

    let checks = fixture
        .checks_of(Service::Streams, "ListStreams", json!({"TableName": "Orders"}))
        .await;
    assert_eq!(checks, vec![AccessCheck::new("dynamodb:ListStreams", "*", None)]);

    let describe = json!({"StreamArn": stream});
    let checks = fixture
        .checks_of(Service::Streams, "DescribeStream", describe.clone())
        .await;
    assert_eq!(checks, vec![on_stream("dynamodb:DescribeStream")]);

    let description = fixture
        .call(
            &halyard_protocol::AllowAll,
            Service::Streams,
            "DescribeStream",
            describe,
        )
        .await
        .unwrap();
    let shard = description["StreamDescription"]["Shards"][0]["ShardId"].clone();
    let recorder = common::Recorder::allowing();
    let iterator = fixture
        .call(
            &recorder,
            Service::Streams,
            "GetShardIterator",
            json!({"StreamArn": stream, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}),
        )
        .await
        .unwrap();
    assert_eq!(recorder.checks(), vec![on_stream("dynamodb:GetShardIterator")]);

    let checks = fixture
        .checks_of(
            Service::Streams,
            "GetRecords",
            json!({"ShardIterator": iterator["ShardIterator"]}),
        )
        .await;
    assert_eq!(checks, vec![on_stream("dynamodb:GetRecords")]);
}

#[tokio::test]
async fn partiql_statements_ask_for_the_partiql_action_of_their_kind() {
    let fixture = Fixture::new().await;
    let statement = |text: &str| json!({"Statement": text});
    let cases = [
        (
            "INSERT INTO Orders VALUE {'pk': 'p1', 'sk': 1}",
            check("dynamodb:PartiQLInsert", "Orders"),
        ),
        (
            "SELECT * FROM Orders WHERE pk = 'p1'",
            check("dynamodb:PartiQLSelect", "Orders"),
        ),
        (
            "SELECT pk FROM \"Orders\".\"byStatus\" WHERE status = 'new'",
            check("dynamodb:PartiQLSelect", "Orders/index/byStatus"),
        ),
        (
            "UPDATE Orders SET a = 1 WHERE pk = 'p1' AND sk = 1",
            check("dynamodb:PartiQLUpdate", "Orders"),
        ),
        (
            "DELETE FROM Orders WHERE pk = 'p1' AND sk = 1",
            check("dynamodb:PartiQLDelete", "Orders"),
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(
            fixture.checks("ExecuteStatement", statement(text)).await,
            vec![expected],
            "{text}"
        );
    }

    // A batch and a transaction: one check per statement, in order.
    let checks = fixture
        .checks(
            "BatchExecuteStatement",
            json!({"Statements": [
                statement("INSERT INTO Numbers VALUE {'n': 1}"),
                statement("DELETE FROM Blobs WHERE id = ?"),
            ]}),
        )
        .await;
    assert_eq!(
        checks,
        vec![
            check("dynamodb:PartiQLInsert", "Numbers"),
            check("dynamodb:PartiQLDelete", "Blobs")
        ]
    );
    let checks = fixture
        .checks(
            "ExecuteTransaction",
            json!({"TransactStatements": [
                statement("EXISTS(SELECT * FROM Numbers WHERE n = 1 AND x IS MISSING)"),
                statement("DELETE FROM Orders WHERE pk = 'p9' AND sk = 1"),
            ]}),
        )
        .await;
    assert_eq!(
        checks,
        vec![
            check("dynamodb:PartiQLSelect", "Numbers"),
            check("dynamodb:PartiQLDelete", "Orders")
        ]
    );
}

#[tokio::test]
async fn a_denied_partiql_statement_writes_nothing_and_a_batch_answers_it_on_its_own() {
    let fixture = Fixture::new().await;
    let denying = common::Recorder::denying("dynamodb:PartiQLInsert", format!("{TABLE_ARN}Numbers"));
    let error = fixture
        .call(
            &denying,
            Service::DynamoDb,
            "ExecuteStatement",
            json!({"Statement": "INSERT INTO Numbers VALUE {'n': 1}"}),
        )
        .await
        .unwrap_err();
    assert_eq!(error.body["__type"], "com.amazon.coral.service#AccessDeniedException");
    assert_eq!(fixture.item("Numbers", json!({"n": {"N": "1"}})).await, None);

    let response = fixture
        .call(
            &denying,
            Service::DynamoDb,
            "BatchExecuteStatement",
            json!({"Statements": [
                {"Statement": "INSERT INTO Numbers VALUE {'n': 2}"},
                {"Statement": "INSERT INTO Orders VALUE {'pk': 'p', 'sk': 2}"},
            ]}),
        )
        .await
        .unwrap();
    assert_eq!(response["Responses"][0]["Error"]["Code"], "AccessDenied");
    assert_eq!(response["Responses"][1], json!({"TableName": "Orders"}));
    assert_eq!(fixture.item("Numbers", json!({"n": {"N": "2"}})).await, None);
}

#[tokio::test]
async fn backup_operations_ask_for_their_action_on_the_table_or_the_backup() {
    let fixture = Fixture::new().await;
    let checks = fixture
        .checks("CreateBackup", json!({"TableName": "Orders", "BackupName": "nightly"}))
        .await;
    assert_eq!(checks, vec![check("dynamodb:CreateBackup", "Orders")]);
    let created = fixture
        .ok("CreateBackup", json!({"TableName": "Orders", "BackupName": "second"}))
        .await;
    let backup = created["BackupDetails"]["BackupArn"].as_str().unwrap().to_string();
    let id = backup.rsplit('/').next().unwrap();
    let on_backup = |action| check(action, &format!("Orders/backup/{id}"));
    assert_eq!(backup, format!("{TABLE_ARN}Orders/backup/{id}"));

    let checks = fixture.checks("DescribeBackup", json!({"BackupArn": backup})).await;
    assert_eq!(checks, vec![on_backup("dynamodb:DescribeBackup")]);
    let checks = fixture.checks("ListBackups", json!({"TableName": "Orders"})).await;
    assert_eq!(checks, vec![AccessCheck::new("dynamodb:ListBackups", "*", None)]);

    // The backup must be complete before it is restored.
    while fixture.ok("DescribeBackup", json!({"BackupArn": backup})).await["BackupDescription"]["BackupDetails"]
        ["BackupStatus"]
        != "AVAILABLE"
    {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let checks = fixture
        .checks(
            "RestoreTableFromBackup",
            json!({"BackupArn": backup, "TargetTableName": "Restored"}),
        )
        .await;
    assert_eq!(
        checks,
        vec![
            on_backup("dynamodb:RestoreTableFromBackup"),
            check("dynamodb:RestoreTableFromBackup", "Restored"),
        ]
    );
    let checks = fixture
        .checks(
            "UpdateContinuousBackups",
            json!({"TableName": "Orders", "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true}}),
        )
        .await;
    assert_eq!(checks, vec![check("dynamodb:UpdateContinuousBackups", "Orders")]);
    // Wait for the first point-in-time snapshot, then restore from it.
    while fixture
        .ok("DescribeContinuousBackups", json!({"TableName": "Orders"}))
        .await["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]
        .get("LatestRestorableDateTime")
        .is_none()
    {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let checks = fixture
        .checks(
            "RestoreTableToPointInTime",
            json!({"SourceTableName": "Orders", "TargetTableName": "AsOfNow", "UseLatestRestorableTime": true}),
        )
        .await;
    assert_eq!(
        checks,
        vec![
            check("dynamodb:RestoreTableToPointInTime", "Orders"),
            check("dynamodb:RestoreTableToPointInTime", "AsOfNow"),
        ]
    );
    let checks = fixture.checks("DeleteBackup", json!({"BackupArn": backup})).await;
    assert_eq!(checks, vec![on_backup("dynamodb:DeleteBackup")]);
}
