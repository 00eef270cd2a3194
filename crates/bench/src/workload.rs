//! The workloads, and the request bodies they send.

use bytes::Bytes;
use clap::ValueEnum;

use crate::keys::{KeyChooser, Rng};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Workload {
    /// PutItem of a whole item
    Put,
    /// GetItem of one item
    Get,
    /// UpdateItem incrementing a counter: SET c = if_not_exists(c, :z) + :one
    Update,
    /// Query of one partition holding 10 items, Limit 10
    Query,
    /// BatchWriteItem of 25 PutRequests
    BatchWrite,
    /// 50% GetItem, 50% PutItem
    Mixed,
    /// YCSB A: 50% read (GetItem), 50% update (UpdateItem)
    YcsbA,
    /// YCSB B: 95% read, 5% update
    YcsbB,
    /// YCSB C: 100% read
    YcsbC,
    /// YCSB F: 50% read, 50% read-modify-write (GetItem then UpdateItem)
    YcsbF,
}

impl Workload {
    pub fn name(self) -> &'static str {
        match self {
            Workload::Put => "put",
            Workload::Get => "get",
            Workload::Update => "update",
            Workload::Query => "query",
            Workload::BatchWrite => "batch-write",
            Workload::Mixed => "mixed",
            Workload::YcsbA => "ycsb-a",
            Workload::YcsbB => "ycsb-b",
            Workload::YcsbC => "ycsb-c",
            Workload::YcsbF => "ycsb-f",
        }
    }

    /// Whether the table has a sort key (sk, N).
    pub fn needs_range_key(self) -> bool {
        self == Workload::Query
    }

    /// Whether the workload reads items that must exist beforehand.
    pub fn reads(self) -> bool {
        !matches!(self, Workload::Put | Workload::BatchWrite)
    }
}

/// Operation kinds, each with its own latency histogram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Get,
    Put,
    Update,
    Query,
    BatchWrite,
    ReadModifyWrite,
}

impl Op {
    pub const ALL: [Op; 6] = [
        Op::Get,
        Op::Put,
        Op::Update,
        Op::Query,
        Op::BatchWrite,
        Op::ReadModifyWrite,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        match self {
            Op::Get => "GetItem",
            Op::Put => "PutItem",
            Op::Update => "UpdateItem",
            Op::Query => "Query",
            Op::BatchWrite => "BatchWriteItem",
            Op::ReadModifyWrite => "read-modify-write",
        }
    }
}

/// Items per Query partition.
pub const QUERY_ITEMS: u64 = 10;
/// Items per BatchWriteItem.
pub const BATCH_ITEMS: usize = 25;

/// Everything a worker needs to build requests.
pub struct Requests {
    pub table: String,
    pub workload: Workload,
    pub keys: u64,
    pub chooser: KeyChooser,
    /// The `data` attribute's value, sized so that the item is about
    /// `--item-size` bytes; each write stamps its own random prefix on it.
    payload: String,
}

pub fn key_name(i: u64) -> String {
    format!("user{i:012}")
}

pub fn partition_name(i: u64) -> String {
    format!("part{i:012}")
}

impl Requests {
    pub fn new(table: &str, workload: Workload, keys: u64, chooser: KeyChooser, item_size: usize) -> Requests {
        // Item size as DynamoDB counts it: names plus values.
        // pk (2) + key (16) + sk (2) + number (~2) + data (4) + payload.
        let overhead = 2 + 16 + 4 + if workload.needs_range_key() { 4 } else { 0 };
        let payload_len = item_size.saturating_sub(overhead).max(1);
        let payload: String = (0..payload_len).map(|i| (b'a' + (i % 26) as u8) as char).collect();
        Requests {
            table: table.to_string(),
            workload,
            keys: keys.max(1),
            chooser,
            payload,
        }
    }

    /// The number of Query partitions (`--keys` counts items).
    pub fn partitions(&self) -> u64 {
        (self.keys / QUERY_ITEMS).max(1)
    }

    pub fn next_key(&self, rng: &mut Rng) -> u64 {
        match self.workload {
            Workload::Query => self.chooser.next(rng) % self.partitions(),
            _ => self.chooser.next(rng),
        }
    }

    fn key_json(&self, key: u64) -> String {
        format!(r#"{{"pk":{{"S":"{}"}}}}"#, key_name(key))
    }

    /// A `data` value no earlier write is likely to have stored: a server
    /// may skip rewriting an unchanged item (SQLite leaves a page clean when
    /// a row is overwritten with identical bytes), and a benchmark that kept
    /// writing the same value would measure only that shortcut.
    fn data(&self, rng: &mut Rng) -> String {
        let stamp = format!("{:016x}", rng.next_u64());
        let keep = self.payload.len().saturating_sub(stamp.len());
        let mut data = String::with_capacity(self.payload.len().max(stamp.len()));
        data.push_str(&stamp[..stamp.len().min(self.payload.len())]);
        data.push_str(&self.payload[..keep]);
        data
    }

    fn item_json(&self, key: u64, rng: &mut Rng) -> String {
        format!(
            r#"{{"pk":{{"S":"{}"}},"data":{{"S":"{}"}}}}"#,
            key_name(key),
            self.data(rng)
        )
    }

    pub fn put(&self, key: u64, rng: &mut Rng) -> Bytes {
        format!(
            r#"{{"TableName":"{}","Item":{}}}"#,
            self.table,
            self.item_json(key, rng)
        )
        .into()
    }

    /// Item `sk` of Query partition `partition`.
    fn range_item_json(&self, partition: u64, sk: u64, rng: &mut Rng) -> String {
        format!(
            r#"{{"pk":{{"S":"{}"}},"sk":{{"N":"{}"}},"data":{{"S":"{}"}}}}"#,
            partition_name(partition),
            sk,
            self.data(rng)
        )
    }

    /// Item number `i` of the preload: keys 0..n, or for Query `n` items in
    /// partitions of 10.
    pub fn preload_item_json(&self, i: u64, rng: &mut Rng) -> String {
        if self.workload.needs_range_key() {
            self.range_item_json(i / QUERY_ITEMS, i % QUERY_ITEMS, rng)
        } else {
            self.item_json(i, rng)
        }
    }

    /// A BatchWriteItem putting `items` (item JSON objects).
    pub fn batch_put(&self, items: &[String]) -> Bytes {
        let mut body = format!(r#"{{"RequestItems":{{"{}":["#, self.table);
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                body.push(',');
            }
            body.push_str(r#"{"PutRequest":{"Item":"#);
            body.push_str(item);
            body.push_str("}}");
        }
        body.push_str("]}}");
        body.into()
    }

    pub fn get(&self, key: u64) -> Bytes {
        format!(r#"{{"TableName":"{}","Key":{}}}"#, self.table, self.key_json(key)).into()
    }

    /// The counter increment of the `update` workload.
    pub fn increment(&self, key: u64) -> Bytes {
        format!(
            r#"{{"TableName":"{}","Key":{},"UpdateExpression":"SET c = if_not_exists(c, :z) + :one","ExpressionAttributeValues":{{":z":{{"N":"0"}},":one":{{"N":"1"}}}}}}"#,
            self.table,
            self.key_json(key)
        )
        .into()
    }

    /// YCSB's update: overwrite the data field.
    pub fn update_field(&self, key: u64, rng: &mut Rng) -> Bytes {
        format!(
            r##"{{"TableName":"{}","Key":{},"UpdateExpression":"SET #d = :v","ExpressionAttributeNames":{{"#d":"data"}},"ExpressionAttributeValues":{{":v":{{"S":"{}"}}}}}}"##,
            self.table,
            self.key_json(key),
            self.data(rng)
        )
        .into()
    }

    pub fn query(&self, partition: u64) -> Bytes {
        format!(
            r#"{{"TableName":"{}","KeyConditionExpression":"pk = :p","ExpressionAttributeValues":{{":p":{{"S":"{}"}}}},"Limit":{}}}"#,
            self.table,
            partition_name(partition),
            QUERY_ITEMS
        )
        .into()
    }

    /// A BatchWriteItem of 25 puts with distinct keys.
    pub fn batch_write(&self, rng: &mut Rng) -> Bytes {
        let mut keys: Vec<u64> = Vec::with_capacity(BATCH_ITEMS);
        let count = BATCH_ITEMS.min(self.keys as usize);
        let mut attempts = 0;
        while keys.len() < count {
            let key = if attempts < 200 {
                self.next_key(rng)
            } else {
                // A very skewed distribution over a small key space: fill up in order.
                (keys.last().copied().unwrap_or(0) + 1) % self.keys
            };
            attempts += 1;
            if !keys.contains(&key) {
                keys.push(key);
            }
        }
        let items: Vec<String> = keys.iter().map(|key| self.item_json(*key, rng)).collect();
        self.batch_put(&items)
    }
}

/// Finds `needle` in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// The value of the top-level `"Count":N` in a Query response.
pub fn query_count(body: &[u8]) -> Option<u64> {
    let needle = br#""Count":"#;
    let start = body.windows(needle.len()).position(|w| w == needle)? + needle.len();
    let digits: Vec<u8> = body[start..]
        .iter()
        .skip_while(|b| **b == b' ')
        .take_while(|b| b.is_ascii_digit())
        .copied()
        .collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

/// Whether a BatchWriteItem response has unprocessed items.
pub fn has_unprocessed(body: &[u8]) -> bool {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(v) => v
            .get("UnprocessedItems")
            .and_then(|u| u.as_object())
            .is_some_and(|u| u.values().any(|list| list.as_array().is_some_and(|a| !a.is_empty()))),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_write_carries_a_fresh_value_of_the_configured_size() {
        let requests = Requests::new("t", Workload::Put, 100, KeyChooser::uniform(100), 200);
        let mut rng = Rng::new(7);
        let first = requests.data(&mut rng);
        let second = requests.data(&mut rng);
        assert_ne!(first, second);
        assert_eq!(first.len(), requests.payload.len());
        assert_eq!(second.len(), requests.payload.len());
        // Tiny items still get a value.
        let tiny = Requests::new("t", Workload::Put, 100, KeyChooser::uniform(100), 1);
        assert_eq!(tiny.data(&mut rng).len(), 1);
    }
}
