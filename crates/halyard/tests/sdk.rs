//! End-to-end: the real `halyard` binary driven by the official Rust SDK,
//! `aws-sdk-dynamodb`.

use std::collections::HashMap;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, ReturnValue, ScalarAttributeType,
};
use aws_sdk_dynamodb::Client;

/// A server process, killed when dropped.
struct Server {
    child: Child,
    endpoint: String,
    _data: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server() -> Server {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let data = tempfile::tempdir().unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_halyard"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data-dir"])
        // A directory inside the temporary one: the generated root key lands
        // beside it, and goes with it.
        .arg(data.path().join("data"))
        .env("HALYARD_ROOT_ACCESS_KEY_ID", "AKIDHALYARDTEST")
        .env("HALYARD_ROOT_SECRET_ACCESS_KEY", "halyard-test-secret")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start halyard");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "halyard did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    Server {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
        _data: data,
    }
}

fn client(server: &Server) -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(&server.endpoint)
        .credentials_provider(Credentials::new(
            "AKIDHALYARDTEST",
            "halyard-test-secret",
            None,
            None,
            "test",
        ))
        .build();
    Client::from_conf(config)
}

async fn create_table(client: &Client, name: &str) {
    client
        .create_table()
        .table_name(name)
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("sk")
                .key_type(KeyType::Range)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("sk")
                .attribute_type(ScalarAttributeType::N)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("create table");
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_string())
}

fn n(value: &str) -> AttributeValue {
    AttributeValue::N(value.to_string())
}

#[tokio::test]
async fn tables_and_items_through_the_rust_sdk() {
    let server = start_server();
    let client = client(&server);
    create_table(&client, "sdk-items").await;

    let described = client.describe_table().table_name("sdk-items").send().await.unwrap();
    let table = described.table().unwrap();
    assert_eq!(table.table_status().unwrap().as_str(), "ACTIVE");
    assert_eq!(table.key_schema().len(), 2);
    let listed = client.list_tables().send().await.unwrap();
    assert_eq!(listed.table_names(), ["sdk-items"]);

    let item: HashMap<String, AttributeValue> = [
        ("pk", s("p")),
        ("sk", n("1.50")),
        ("bin", AttributeValue::B(Blob::new(vec![0u8, 1, 255]))),
        ("flag", AttributeValue::Bool(true)),
        ("nothing", AttributeValue::Null(true)),
        ("list", AttributeValue::L(vec![s("a"), n("2")])),
        ("map", AttributeValue::M([("k".to_string(), s("v"))].into())),
        ("ss", AttributeValue::Ss(vec!["x".into()])),
        ("ns", AttributeValue::Ns(vec!["1e2".into()])),
        ("bs", AttributeValue::Bs(vec![Blob::new(vec![7u8])])),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    client
        .put_item()
        .table_name("sdk-items")
        .set_item(Some(item.clone()))
        .send()
        .await
        .unwrap();

    let got = client
        .get_item()
        .table_name("sdk-items")
        .key("pk", s("p"))
        .key("sk", n("1.5"))
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    let got = got.item().expect("item stored");
    assert_eq!(got["sk"], n("1.5"), "numbers come back canonical");
    assert_eq!(got["ns"], AttributeValue::Ns(vec!["100".into()]));
    assert_eq!(got["bin"], item["bin"]);
    assert_eq!(got["map"], item["map"]);
    assert_eq!(got["list"], item["list"]);
    assert_eq!(got.len(), item.len());

    let projected = client
        .get_item()
        .table_name("sdk-items")
        .key("pk", s("p"))
        .key("sk", n("1.5"))
        .projection_expression("#m.k, flag")
        .expression_attribute_names("#m", "map")
        .send()
        .await
        .unwrap();
    assert_eq!(projected.item().unwrap().len(), 2);

    let deleted = client
        .delete_item()
        .table_name("sdk-items")
        .key("pk", s("p"))
        .key("sk", n("1.5"))
        .return_values(ReturnValue::AllOld)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.attributes().unwrap()["flag"], AttributeValue::Bool(true));
    let after = client
        .get_item()
        .table_name("sdk-items")
        .key("pk", s("p"))
        .key("sk", n("1.5"))
        .send()
        .await
        .unwrap();
    assert!(after.item().is_none());

    client.delete_table().table_name("sdk-items").send().await.unwrap();
    assert!(client.list_tables().send().await.unwrap().table_names().is_empty());
}

#[tokio::test]
async fn errors_reach_the_rust_sdk_typed() {
    let server = start_server();
    let client = client(&server);

    let missing = client
        .get_item()
        .table_name("absent")
        .key("pk", s("x"))
        .send()
        .await
        .unwrap_err();
    let missing = missing.into_service_error();
    assert!(missing.is_resource_not_found_exception(), "{missing:?}");

    create_table(&client, "sdk-errors").await;
    let again = client
        .create_table()
        .table_name("sdk-errors")
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert!(again.is_resource_in_use_exception(), "{again:?}");
    assert_eq!(again.message(), Some("Table already exists: sdk-errors"));

    let mismatch = client
        .put_item()
        .table_name("sdk-errors")
        .item("pk", s("p"))
        .item("sk", s("not a number"))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(mismatch.code(), Some("ValidationException"));
    assert_eq!(
        mismatch.message(),
        Some("One or more parameter values were invalid: Type mismatch for key sk expected: N actual: S")
    );

    let scanned = client.scan().table_name("sdk-errors").send().await.unwrap();
    assert_eq!(scanned.count(), 0);
}
