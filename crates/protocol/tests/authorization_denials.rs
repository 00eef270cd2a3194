//! A denied check ends the request with AccessDeniedException before the
//! engine sees it (so nothing of it is written, and it comes before
//! ResourceNotFound and conditional failures), while the request's own
//! validation errors still come first.

mod common;

use common::{Fixture, Recorder, TABLE_ARN};
use halyard_protocol::{Service, WireError};
use serde_json::{json, Value};

fn order(pk: &str) -> Value {
    json!({"pk": {"S": pk}, "sk": {"N": "1"}})
}

/// The wire error of a denial of `action` on `resource`.
fn access_denied(action: &str, resource: &str) -> WireError {
    WireError {
        status: 400,
        body: json!({
            "__type": "com.amazon.coral.service#AccessDeniedException",
            "message": format!(
                "User: arn:aws:iam::000000000000:user/alice is not authorized to perform: {action} on resource: {resource} because no identity-based policy allows the {action} action"
            ),
        }),
    }
}

fn error_type(error: &WireError) -> &str {
    error.body["__type"].as_str().unwrap()
}

#[tokio::test]
async fn a_denied_put_is_access_denied_and_writes_nothing() {
    let fixture = Fixture::new().await;
    let orders = format!("{TABLE_ARN}Orders");
    let recorder = Recorder::denying("dynamodb:PutItem", &orders);
    let error = fixture
        .call(
            &recorder,
            Service::DynamoDb,
            "PutItem",
            json!({"TableName": "Orders", "Item": order("u1")}),
        )
        .await
        .unwrap_err();
    assert_eq!(error, access_denied("dynamodb:PutItem", &orders));
    assert_eq!(fixture.item("Orders", order("u1")).await, None);
}

#[tokio::test]
async fn a_denial_comes_before_resource_not_found_and_before_a_failed_condition() {
    let fixture = Fixture::new().await;
    let missing = format!("{TABLE_ARN}Missing");
    let key = json!({"pk": {"S": "u1"}});
    let denied = Recorder::denying("dynamodb:GetItem", &missing);
    let error = fixture
        .call(
            &denied,
            Service::DynamoDb,
            "GetItem",
            json!({"TableName": "Missing", "Key": key}),
        )
        .await
        .unwrap_err();
    assert_eq!(error, access_denied("dynamodb:GetItem", &missing));
    // Allowed, the same request finds no table; with no key schema to
    // read, it gives no partition key.
    let allowed = Recorder::allowing();
    let error = fixture
        .call(
            &allowed,
            Service::DynamoDb,
            "GetItem",
            json!({"TableName": "Missing", "Key": key}),
        )
        .await
        .unwrap_err();
    assert_eq!(
        error_type(&error),
        "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
    );
    assert_eq!(allowed.checks()[0].leading_keys, None);

    let orders = format!("{TABLE_ARN}Orders");
    let item = json!({"pk": {"S": "u1"}, "sk": {"N": "1"}, "v": {"S": "first"}});
    fixture
        .ok("PutItem", json!({"TableName": "Orders", "Item": item}))
        .await;
    let overwrite = json!({
        "TableName": "Orders",
        "Item": {"pk": {"S": "u1"}, "sk": {"N": "1"}, "v": {"S": "second"}},
        "ConditionExpression": "attribute_not_exists(pk)",
    });
    let denied = Recorder::denying("dynamodb:PutItem", &orders);
    let error = fixture
        .call(&denied, Service::DynamoDb, "PutItem", overwrite)
        .await
        .unwrap_err();
    assert_eq!(error, access_denied("dynamodb:PutItem", &orders));
    assert_eq!(fixture.item("Orders", order("u1")).await, Some(item));
}

#[tokio::test]
async fn a_denied_action_of_a_transaction_writes_none_of_its_items() {
    let fixture = Fixture::new().await;
    let numbers = format!("{TABLE_ARN}Numbers");
    let recorder = Recorder::denying("dynamodb:UpdateItem", &numbers);
    let error = fixture
        .call(
            &recorder,
            Service::DynamoDb,
            "TransactWriteItems",
            json!({
                "TransactItems": [
                    {"Put": {"TableName": "Orders", "Item": order("u1")}},
                    {"Put": {"TableName": "Blobs", "Item": {"id": {"B": "AQID"}}}},
                    {"Update": {
                        "TableName": "Numbers",
                        "Key": {"n": {"N": "1"}},
                        "UpdateExpression": "SET v = :v",
                        "ExpressionAttributeValues": {":v": {"S": "x"}},
                    }},
                ],
            }),
        )
        .await
        .unwrap_err();
    assert_eq!(error, access_denied("dynamodb:UpdateItem", &numbers));
    let asked: Vec<&str> = recorder.checks().iter().map(|check| check.action).collect();
    assert_eq!(asked, ["dynamodb:PutItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]);
    assert_eq!(fixture.item("Orders", order("u1")).await, None);
    assert_eq!(fixture.item("Blobs", json!({"id": {"B": "AQID"}})).await, None);
    assert_eq!(fixture.item("Numbers", json!({"n": {"N": "1"}})).await, None);
}

#[tokio::test]
async fn a_denied_table_of_a_batch_write_writes_nothing_of_the_batch() {
    let fixture = Fixture::new().await;
    // Blobs comes first in RequestItems, and is allowed.
    let orders = format!("{TABLE_ARN}Orders");
    let recorder = Recorder::denying("dynamodb:BatchWriteItem", &orders);
    let error = fixture
        .call(
            &recorder,
            Service::DynamoDb,
            "BatchWriteItem",
            json!({
                "RequestItems": {
                    "Blobs": [{"PutRequest": {"Item": {"id": {"B": "AQID"}}}}],
                    "Orders": [{"PutRequest": {"Item": order("u1")}}],
                },
            }),
        )
        .await
        .unwrap_err();
    assert_eq!(error, access_denied("dynamodb:BatchWriteItem", &orders));
    assert_eq!(recorder.checks().len(), 2);
    assert_eq!(fixture.item("Blobs", json!({"id": {"B": "AQID"}})).await, None);
    assert_eq!(fixture.item("Orders", order("u1")).await, None);
}

#[tokio::test]
async fn reads_are_denied_per_table_index_and_stream() {
    let fixture = Fixture::new().await;
    let numbers = format!("{TABLE_ARN}Numbers");
    let error = fixture
        .call(
            &Recorder::denying("dynamodb:BatchGetItem", &numbers),
            Service::DynamoDb,
            "BatchGetItem",
            json!({"RequestItems": {
                "Numbers": {"Keys": [{"n": {"N": "1"}}]},
                "Orders": {"Keys": [order("u1")]},
            }}),
        )
        .await
        .unwrap_err();
    assert_eq!(error, access_denied("dynamodb:BatchGetItem", &numbers));

    // A grant on the table does not cover its index, nor the reverse.
    let index = format!("{TABLE_ARN}Orders/index/byStatus");
    let denied = Recorder::denying("dynamodb:Query", &index);
    let query = |index: Option<&str>| {
        let mut body = json!({
            "TableName": "Orders",
            "KeyConditionExpression": "#k = :v",
            "ExpressionAttributeNames": {"#k": if index.is_some() { "status" } else { "pk" }},
            "ExpressionAttributeValues": {":v": {"S": "open"}},
        });
        if let Some(index) = index {
            body["IndexName"] = json!(index);
        }
        body
    };
    let error = fixture
        .call(&denied, Service::DynamoDb, "Query", query(Some("byStatus")))
        .await
        .unwrap_err();
    assert_eq!(error, access_denied("dynamodb:Query", &index));
    fixture
        .call(&denied, Service::DynamoDb, "Query", query(None))
        .await
        .unwrap();

    let stream = fixture.stream_arn().await;
    let error = fixture
        .call(
            &Recorder::denying("dynamodb:DescribeStream", &stream),
            Service::Streams,
            "DescribeStream",
            json!({"StreamArn": stream}),
        )
        .await
        .unwrap_err();
    assert_eq!(error, access_denied("dynamodb:DescribeStream", &stream));

    let error = fixture
        .call(
            &Recorder::denying("dynamodb:ListTables", "*"),
            Service::DynamoDb,
            "ListTables",
            json!({}),
        )
        .await
        .unwrap_err();
    assert_eq!(error, access_denied("dynamodb:ListTables", "*"));
}

#[tokio::test]
async fn validation_errors_come_before_a_denial() {
    let fixture = Fixture::new().await;
    let orders = format!("{TABLE_ARN}Orders");
    let cases = [
        (
            Service::DynamoDb,
            "GetItem",
            json!({"TableName": "Orders"}),
            "dynamodb:GetItem",
            "1 validation error detected: Value null at 'key' failed to satisfy constraint: Member must not be null",
        ),
        (
            Service::DynamoDb,
            "PutItem",
            json!({"TableName": "Orders", "Item": order("u1"), "ReturnValues": "EVERYTHING"}),
            "dynamodb:PutItem",
            "1 validation error detected: Value 'EVERYTHING' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [NONE, ALL_OLD, UPDATED_OLD, ALL_NEW, UPDATED_NEW]",
        ),
        (
            Service::DynamoDb,
            "UpdateItem",
            json!({"TableName": "Orders", "Key": order("u1"), "UpdateExpression": "SET"}),
            "dynamodb:UpdateItem",
            "Invalid UpdateExpression: Syntax error; token: \"<EOF>\", near: \"SET\"",
        ),
        (
            Service::DynamoDb,
            "TransactWriteItems",
            json!({"TransactItems": [
                {"Put": {"TableName": "Orders", "Item": order("u1")}},
                {"Delete": {"TableName": "Orders"}},
            ]}),
            "dynamodb:PutItem",
            "1 validation error detected: Value null at 'transactItems.2.member.delete.key' failed to satisfy constraint: Member must not be null",
        ),
        (
            Service::Streams,
            "GetRecords",
            json!({"ShardIterator": "not-an-iterator"}),
            "dynamodb:GetRecords",
            "Invalid ShardIterator",
        ),
    ];
    for (service, operation, body, action, message) in cases {
        let resource = if service == Service::Streams { "*" } else { &orders };
        let recorder = Recorder::denying(action, resource);
        let error = fixture.call(&recorder, service, operation, body).await.unwrap_err();
        assert_eq!(
            error_type(&error),
            "com.amazon.coral.validate#ValidationException",
            "{operation}"
        );
        assert_eq!(error.body["message"], message, "{operation}");
        assert!(recorder.checks().is_empty(), "{operation} asked before validating");
    }
    assert_eq!(fixture.item("Orders", order("u1")).await, None);
}
