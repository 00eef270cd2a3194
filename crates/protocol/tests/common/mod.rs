//! Set-up shared by the authorisation tests: a real engine on temporary
//! SQLite storage, driven through `halyard_protocol::handle`, and an
//! authorizer standing in for the policy evaluator that records every
//! check it is asked and refuses one chosen action on one resource.

// Each test crate compiles this module for itself and uses only part of it.
#![allow(dead_code)]

use std::sync::Mutex;

use halyard_engine::{Engine, EngineConfig};
use halyard_protocol::{AccessCheck, AccessDenied, AllowAll, Authorizer, Service, WireError};
use halyard_storage::sqlite::{SqliteOptions, SqliteStorage};
use serde_json::{json, Value};

/// The ARN of this server's tables (default region and account).
pub const TABLE_ARN: &str = "arn:aws:dynamodb:us-east-1:000000000000:table/";

/// Records the checks asked; refuses `denied` (action, resource) if set.
pub struct Recorder {
    seen: Mutex<Vec<AccessCheck>>,
    denied: Option<(&'static str, String)>,
}

impl Recorder {
    pub fn allowing() -> Recorder {
        Recorder {
            seen: Mutex::new(Vec::new()),
            denied: None,
        }
    }

    pub fn denying(action: &'static str, resource: impl Into<String>) -> Recorder {
        Recorder {
            seen: Mutex::new(Vec::new()),
            denied: Some((action, resource.into())),
        }
    }

    pub fn checks(&self) -> Vec<AccessCheck> {
        self.seen.lock().unwrap().clone()
    }
}

impl Authorizer for Recorder {
    fn authorize(&self, check: &AccessCheck) -> Result<(), AccessDenied> {
        self.seen.lock().unwrap().push(check.clone());
        match &self.denied {
            Some((action, resource)) if *action == check.action && *resource == check.resource => Err(AccessDenied {
                message: format!(
                    "User: arn:aws:iam::000000000000:user/alice is not authorized to perform: {action} on resource: {resource} because no identity-based policy allows the {action} action"
                ),
            }),
            _ => Ok(()),
        }
    }
}

/// A check on `resource` (`T`, `T/index/I`, `T/stream/L`) of table `T`,
/// without condition keys.
pub fn check(action: &'static str, resource: &str) -> AccessCheck {
    let table = resource.split('/').next().unwrap().to_string();
    AccessCheck::new(action, format!("{TABLE_ARN}{resource}"), Some(table))
}

/// Strings, for the expected condition key values.
pub fn strings(values: &[&str]) -> Option<Vec<String>> {
    Some(values.iter().map(|value| value.to_string()).collect())
}

pub fn text(value: &str) -> Option<String> {
    Some(value.to_string())
}

pub struct Fixture {
    pub engine: std::sync::Arc<Engine>,
    _dir: tempfile::TempDir,
}

impl Fixture {
    /// An engine with three tables: `Orders` (pk S, sk N; global index
    /// `byStatus` on status S; a stream), `Blobs` (id B) and `Numbers`
    /// (n N).
    pub async fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let storage = SqliteStorage::open(dir.path(), SqliteOptions::default()).unwrap();
        let engine = std::sync::Arc::new(Engine::open(std::sync::Arc::new(storage), EngineConfig::default()).unwrap());
        let fixture = Fixture { engine, _dir: dir };
        fixture
            .ok(
                "CreateTable",
                json!({
                    "TableName": "Orders",
                    "AttributeDefinitions": [
                        {"AttributeName": "pk", "AttributeType": "S"},
                        {"AttributeName": "sk", "AttributeType": "N"},
                        {"AttributeName": "status", "AttributeType": "S"},
                    ],
                    "KeySchema": [
                        {"AttributeName": "pk", "KeyType": "HASH"},
                        {"AttributeName": "sk", "KeyType": "RANGE"},
                    ],
                    "GlobalSecondaryIndexes": [{
                        "IndexName": "byStatus",
                        "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}],
                        "Projection": {"ProjectionType": "KEYS_ONLY"},
                    }],
                    "BillingMode": "PAY_PER_REQUEST",
                    "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"},
                }),
            )
            .await;
        for (table, key, key_type) in [("Blobs", "id", "B"), ("Numbers", "n", "N")] {
            fixture
                .ok(
                    "CreateTable",
                    json!({
                        "TableName": table,
                        "AttributeDefinitions": [{"AttributeName": key, "AttributeType": key_type}],
                        "KeySchema": [{"AttributeName": key, "KeyType": "HASH"}],
                        "BillingMode": "PAY_PER_REQUEST",
                    }),
                )
                .await;
        }
        fixture
    }

    pub async fn call(
        &self,
        authorizer: &dyn Authorizer,
        service: Service,
        operation: &str,
        body: Value,
    ) -> Result<Value, WireError> {
        let body = serde_json::to_vec(&body).unwrap();
        halyard_protocol::handle(&self.engine, authorizer, service, operation, &body)
            .await
            .map(|response| response.to_value())
            .map_err(|error| error.to_wire())
    }

    /// A DynamoDB request that must succeed, with everything allowed.
    pub async fn ok(&self, operation: &str, body: Value) -> Value {
        self.call(&AllowAll, Service::DynamoDb, operation, body)
            .await
            .unwrap_or_else(|error| panic!("{operation} failed: {error:?}"))
    }

    /// The checks a request that must succeed asks for.
    pub async fn checks_of(&self, service: Service, operation: &str, body: Value) -> Vec<AccessCheck> {
        let recorder = Recorder::allowing();
        self.call(&recorder, service, operation, body)
            .await
            .unwrap_or_else(|error| panic!("{operation} failed: {error:?}"));
        recorder.checks()
    }

    /// The checks a DynamoDB request that must succeed asks for.
    pub async fn checks(&self, operation: &str, body: Value) -> Vec<AccessCheck> {
        self.checks_of(Service::DynamoDb, operation, body).await
    }

    /// Orders' stream ARN.
    pub async fn stream_arn(&self) -> String {
        let description = self.ok("DescribeTable", json!({"TableName": "Orders"})).await;
        description["Table"]["LatestStreamArn"].as_str().unwrap().to_string()
    }

    /// The item with `key` in `table`, if any.
    pub async fn item(&self, table: &str, key: Value) -> Option<Value> {
        let answer = self.ok("GetItem", json!({"TableName": table, "Key": key})).await;
        answer.get("Item").cloned()
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        self.engine.shutdown();
    }
}
