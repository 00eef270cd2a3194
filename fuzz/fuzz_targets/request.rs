//! The JSON request decoder and validation of every operation, through
//! `halyard_protocol::handle` against a real engine on a temporary
//! directory (Durability::None): parsing and execution are not separable
//! there, so the whole request runs. Two tables exist before each input so
//! that item operations get past ResourceNotFound.
//!
//! Input: the first byte picks the operation (its low 7 bits, modulo the
//! number of operations) and whether the body is the rest as it is or, with
//! the high bit set, a short unit repeated to stand for deep nesting (see
//! `halyard_fuzz::repeated`). Any answer is fine except a panic or a 500:
//! bad input must get a client error, so a 500 fails the target.
#![no_main]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use halyard_engine::{Engine, EngineConfig, ListTablesInput};
use halyard_storage::sqlite::{Durability, SqliteOptions, SqliteStorage};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

/// In the order the first input byte selects them.
const OPERATIONS: [&str; 15] = [
    "CreateTable",
    "DescribeTable",
    "ListTables",
    "DeleteTable",
    "UpdateTable",
    "PutItem",
    "GetItem",
    "DeleteItem",
    "Scan",
    "Query",
    "UpdateItem",
    "BatchGetItem",
    "BatchWriteItem",
    "TransactGetItems",
    "TransactWriteItems",
];

/// The server accepts bodies up to 16 MB; a few MB reach every limit that
/// matters (400 KB items, 4 KB expressions, 16 MB batches are refused by
/// size first) without slowing the fuzzer down.
const MAX_BODY: usize = 4 << 20;

/// Inputs between resets of the tables to their initial state, so that
/// scans stay fast and the data directory small.
const RESET_EVERY: u64 = 20_000;

/// More tables than this are dropped after an input.
const MAX_TABLES: usize = 16;

struct Fixture {
    runtime: tokio::runtime::Runtime,
    engine: Engine,
    inputs: AtomicU64,
    _directory: tempfile::TempDir,
}

/// The tables every input starts with: a composite key with a local and a
/// global index, and a binary partition key alone.
fn fixture_tables() -> [Value; 2] {
    [
        json!({
            "TableName": "items",
            "KeySchema": [
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"}
            ],
            "AttributeDefinitions": [
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "N"},
                {"AttributeName": "g", "AttributeType": "S"},
                {"AttributeName": "l", "AttributeType": "B"}
            ],
            "LocalSecondaryIndexes": [{
                "IndexName": "by_l",
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "l", "KeyType": "RANGE"}
                ],
                "Projection": {"ProjectionType": "ALL"}
            }],
            "GlobalSecondaryIndexes": [{
                "IndexName": "by_g",
                "KeySchema": [
                    {"AttributeName": "g", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"}
                ],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["a"]}
            }],
            "BillingMode": "PAY_PER_REQUEST"
        }),
        json!({
            "TableName": "blobs",
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "B"}],
            "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
        }),
    ]
}

impl Fixture {
    fn new() -> Fixture {
        let directory = tempfile::Builder::new()
            .prefix("halyard-fuzz-")
            .tempdir()
            .expect("temporary directory");
        let storage = SqliteStorage::open(
            directory.path(),
            SqliteOptions {
                durability: Durability::None,
                ..Default::default()
            },
        )
        .expect("open storage");
        let engine = Engine::open(Arc::new(storage), EngineConfig::default()).expect("open engine");
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let fixture = Fixture {
            runtime,
            engine,
            inputs: AtomicU64::new(0),
            _directory: directory,
        };
        fixture.restore_tables(false);
        fixture
    }

    fn request(&self, operation: &str, body: &Value) -> Result<Value, halyard_protocol::ProtocolError> {
        let body = serde_json::to_vec(body).expect("JSON");
        self.runtime.block_on(halyard_protocol::handle(
            &self.engine,
            &halyard_protocol::AllowAll,
            halyard_protocol::Service::DynamoDb,
            operation,
            &body,
        ))
    }

    fn table_names(&self) -> Vec<String> {
        self.engine
            .list_tables(ListTablesInput {
                limit: Some(100),
                ..Default::default()
            })
            .table_names
    }

    fn delete_table(&self, name: &str) {
        // The fuzzer may have protected it.
        let _ = self.request(
            "UpdateTable",
            &json!({"TableName": name, "DeletionProtectionEnabled": false}),
        );
        if let Err(error) = self.request("DeleteTable", &json!({ "TableName": name })) {
            panic!("could not delete table {name}: {error}");
        }
    }

    /// Puts the fixture tables back if an input deleted them, drops tables
    /// past the limit, and on `reset` starts every table afresh.
    fn restore_tables(&self, reset: bool) {
        let fixtures = fixture_tables();
        let fixture_names: Vec<&str> = fixtures.iter().map(|t| t["TableName"].as_str().unwrap()).collect();
        let names = self.table_names();
        for name in &names {
            let is_fixture = fixture_names.contains(&name.as_str());
            if reset || (!is_fixture && names.len() > MAX_TABLES) {
                self.delete_table(name);
            }
        }
        let names = self.table_names();
        for table in &fixtures {
            if !names.iter().any(|name| name == table["TableName"].as_str().unwrap()) {
                if let Err(error) = self.request("CreateTable", table) {
                    panic!("could not create fixture table: {error}");
                }
            }
        }
    }
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(Fixture::new)
}

fuzz_target!(init: halyard_fuzz::report_stack_overflows(), |data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let operation = OPERATIONS[usize::from(selector & 0x7F) % OPERATIONS.len()];
    let repeated;
    let body = if selector & 0x80 != 0 {
        match halyard_fuzz::repeated(rest, MAX_BODY) {
            Some(bytes) => {
                repeated = bytes;
                &repeated[..]
            }
            None => return,
        }
    } else {
        rest
    };
    let fixture = fixture();
    let result = fixture
        .runtime
        .block_on(halyard_protocol::handle(&fixture.engine, &halyard_protocol::AllowAll, halyard_protocol::Service::DynamoDb, operation, body));
    if let Err(error) = result {
        let wire = error.to_wire();
        assert!(
            wire.status < 500,
            "{operation} answered {} {}: {error:?}",
            wire.status,
            wire.body
        );
    }
    let inputs = fixture.inputs.fetch_add(1, Ordering::Relaxed) + 1;
    fixture.restore_tables(inputs % RESET_EVERY == 0);
});
