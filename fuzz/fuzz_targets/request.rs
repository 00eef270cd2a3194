//! The JSON request decoder and validation of every operation, through
//! `halyard_protocol::handle` against a real engine on a temporary
//! directory (Durability::None): parsing and execution are not separable
//! there, so the whole request runs. Two tables exist before each input so
//! that item operations get past ResourceNotFound.
//!
//! Input: the first byte picks the operation (its low 7 bits, modulo the
//! number of operations), of DynamoDB's API or DynamoDB Streams', and
//! whether the body is the rest as it is or, with the high bit set, a short
//! unit repeated to stand for deep nesting (see `halyard_fuzz::repeated`).
//! Names the fuzzer cannot guess are written as placeholders in the body
//! (see [`PLACEHOLDERS`]). Any answer is fine except a panic or a 500: bad
//! input must get a client error, so a 500 fails the target.
#![no_main]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use halyard_engine::{Engine, EngineConfig, ListTablesInput};
use halyard_protocol::{ProtocolError, Service};
use halyard_storage::sqlite::{Durability, SqliteOptions, SqliteStorage};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

/// In the order the first input byte selects them: the original 15 first,
/// so that the committed corpus keeps most of its meaning.
const OPERATIONS: [(Service, &str); 28] = [
    (Service::DynamoDb, "CreateTable"),
    (Service::DynamoDb, "DescribeTable"),
    (Service::DynamoDb, "ListTables"),
    (Service::DynamoDb, "DeleteTable"),
    (Service::DynamoDb, "UpdateTable"),
    (Service::DynamoDb, "PutItem"),
    (Service::DynamoDb, "GetItem"),
    (Service::DynamoDb, "DeleteItem"),
    (Service::DynamoDb, "Scan"),
    (Service::DynamoDb, "Query"),
    (Service::DynamoDb, "UpdateItem"),
    (Service::DynamoDb, "BatchGetItem"),
    (Service::DynamoDb, "BatchWriteItem"),
    (Service::DynamoDb, "TransactGetItems"),
    (Service::DynamoDb, "TransactWriteItems"),
    (Service::DynamoDb, "DescribeLimits"),
    (Service::DynamoDb, "DescribeEndpoints"),
    (Service::DynamoDb, "UpdateTimeToLive"),
    (Service::DynamoDb, "DescribeTimeToLive"),
    (Service::DynamoDb, "TagResource"),
    (Service::DynamoDb, "UntagResource"),
    (Service::DynamoDb, "ListTagsOfResource"),
    (Service::DynamoDb, "DescribeContinuousBackups"),
    (Service::Streams, "ListStreams"),
    (Service::Streams, "DescribeStream"),
    (Service::Streams, "GetShardIterator"),
    (Service::Streams, "GetRecords"),
    // An operation neither API has.
    (Service::Streams, "PutItem"),
];

/// The server accepts bodies up to 16 MB; a few MB reach every limit that
/// matters (400 KB items, 4 KB expressions, 16 MB batches are refused by
/// size first) without slowing the fuzzer down.
const MAX_BODY: usize = 4 << 20;

/// Placeholders for names that change from run to run: the fixture table
/// `items`'s ARN, its stream's ARN, and an iterator at the start of that
/// stream's first shard.
const TABLE_ARN: &str = "${table}";
const STREAM_ARN: &str = "${stream}";
const SHARD_ITERATOR: &str = "${iterator}";
const PLACEHOLDERS: [&str; 3] = [TABLE_ARN, STREAM_ARN, SHARD_ITERATOR];

/// `haystack` with each `needle` replaced by `value()` (asked once), or
/// `None` when there is no `needle`.
fn replace(haystack: &[u8], needle: &[u8], value: impl FnOnce() -> String) -> Option<Vec<u8>> {
    let find = |bytes: &[u8]| bytes.windows(needle.len()).position(|window| window == needle);
    let mut at = find(haystack)?;
    let value = value();
    let mut out = Vec::with_capacity(haystack.len() + value.len());
    let mut rest = haystack;
    loop {
        out.extend_from_slice(&rest[..at]);
        out.extend_from_slice(value.as_bytes());
        rest = &rest[at + needle.len()..];
        match find(rest) {
            Some(next) => at = next,
            None => break,
        }
    }
    out.extend_from_slice(rest);
    Some(out)
}

/// Bodies up to this size have their placeholders replaced (a long
/// iterator in place of each of a few megabytes of placeholders would
/// only slow the fuzzer down).
const SUBSTITUTE_UP_TO: usize = 64 << 10;

/// Inputs between resets of the tables to their initial state, so that
/// scans stay fast and the data directory small.
const RESET_EVERY: u64 = 20_000;

/// More tables than this are dropped after an input.
const MAX_TABLES: usize = 16;

struct Fixture {
    runtime: tokio::runtime::Runtime,
    // Shared, as the server holds it: background jobs hold it too.
    engine: Arc<Engine>,
    inputs: AtomicU64,
    _directory: tempfile::TempDir,
}

/// The tables every input starts with: a composite key with a local and a
/// global index and a stream, and a binary partition key alone.
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
            "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"},
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
        let config = EngineConfig {
            // So that inputs can switch Time to Live on and off.
            ttl_cooldown: Duration::ZERO,
            ..Default::default()
        };
        let engine = Arc::new(Engine::open(Arc::new(storage), config).expect("open engine"));
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

    /// Runs one request, as the server does.
    fn call(&self, service: Service, operation: &str, body: &[u8]) -> Result<Value, ProtocolError> {
        self.runtime
            .block_on(halyard_protocol::handle(&self.engine, &halyard_protocol::AllowAll, service, operation, body))
            .map(|response| response.to_value())
    }

    fn request(&self, service: Service, operation: &str, body: &Value) -> Result<Value, ProtocolError> {
        self.call(service, operation, &serde_json::to_vec(body).expect("JSON"))
    }

    /// What `placeholder` stands for now, or "" if the fixture has none
    /// (the input deleted the table, or disabled its stream).
    fn resolve(&self, placeholder: &str) -> String {
        let described = self.request(Service::DynamoDb, "DescribeTable", &json!({"TableName": "items"}));
        let table = described.ok().map(|d| d["Table"].clone()).unwrap_or_default();
        let text = |value: &Value| value.as_str().unwrap_or_default().to_string();
        match placeholder {
            TABLE_ARN => text(&table["TableArn"]),
            STREAM_ARN => text(&table["LatestStreamArn"]),
            _ => {
                let stream = json!({"StreamArn": table["LatestStreamArn"]});
                let shard = self
                    .request(Service::Streams, "DescribeStream", &stream)
                    .map(|described| described["StreamDescription"]["Shards"][0]["ShardId"].clone())
                    .unwrap_or_default();
                let request = json!({
                    "StreamArn": table["LatestStreamArn"],
                    "ShardId": shard,
                    "ShardIteratorType": "TRIM_HORIZON"
                });
                self.request(Service::Streams, "GetShardIterator", &request)
                    .map(|answer| text(&answer["ShardIterator"]))
                    .unwrap_or_default()
            }
        }
    }

    /// `body` with every placeholder replaced, if it has any.
    fn substitute(&self, body: &[u8]) -> Option<Vec<u8>> {
        if body.len() > SUBSTITUTE_UP_TO {
            return None;
        }
        let mut substituted: Option<Vec<u8>> = None;
        for placeholder in PLACEHOLDERS {
            let current = substituted.as_deref().unwrap_or(body);
            if let Some(replaced) = replace(current, placeholder.as_bytes(), || self.resolve(placeholder)) {
                substituted = Some(replaced);
            }
        }
        substituted
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
            Service::DynamoDb,
            "UpdateTable",
            &json!({"TableName": name, "DeletionProtectionEnabled": false}),
        );
        if let Err(error) = self.request(Service::DynamoDb, "DeleteTable", &json!({ "TableName": name })) {
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
                if let Err(error) = self.request(Service::DynamoDb, "CreateTable", table) {
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
    let (service, operation) = OPERATIONS[usize::from(selector & 0x7F) % OPERATIONS.len()];
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
    let substituted = fixture.substitute(body);
    let result = fixture.call(service, operation, substituted.as_deref().unwrap_or(body));
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
