//! The lookup index (`sys_audit_index`): each record under its time, and
//! an entry per lookup attribute, so that LookupEvents and `halyard audit`
//! read only the records they return.
//!
//! `e` + event time + sequence + line → the record;
//! `i` + attribute + value + 0 + event time + sequence + line → nothing.
//! Only management events are indexed, with every LookupEvents attribute
//! and their category's entry (the time index). Data events, which
//! LookupEvents does not return (as in CloudTrail) and which are most of
//! the records, are found through the digests' time ranges instead
//! ([`crate::query`]), so that recording them costs one write, not ten.

use std::ops::Bound;

use halyard_storage::{Direction, KeyRange, ReadView, Visit};
use serde_json::Value;

use crate::store::{Writes, INDEX_KEYSPACE};

const EVENT: u8 = b'e';
const ATTRIBUTE: u8 = b'i';

/// LookupEvents' lookup attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attribute {
    EventId = 1,
    EventName = 2,
    ReadOnly = 3,
    Username = 4,
    ResourceType = 5,
    ResourceName = 6,
    EventSource = 7,
    AccessKeyId = 8,
    /// Not a LookupEvents attribute: every record has its category's.
    EventCategory = 9,
}

/// Management or data events: their index entries are kept apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Management,
    Data,
}

impl Category {
    fn name(self) -> &'static str {
        match self {
            Category::Management => "Management",
            Category::Data => "Data",
        }
    }

    fn code(self, attribute: Attribute) -> u8 {
        match self {
            Category::Management => attribute as u8,
            Category::Data => attribute as u8 + 16,
        }
    }
}

impl Attribute {
    pub fn parse(name: &str) -> Option<Attribute> {
        Some(match name {
            "EventId" => Attribute::EventId,
            "EventName" => Attribute::EventName,
            "ReadOnly" => Attribute::ReadOnly,
            "Username" => Attribute::Username,
            "ResourceType" => Attribute::ResourceType,
            "ResourceName" => Attribute::ResourceName,
            "EventSource" => Attribute::EventSource,
            "AccessKeyId" => Attribute::AccessKeyId,
            _ => return None,
        })
    }
}

/// Where a record sits in time order: its event time (Unix seconds), its
/// queue entry and its line in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    pub time: u64,
    pub sequence: u64,
    pub line: u32,
}

const POSITION_LEN: usize = 20;

impl Position {
    fn encode(&self, into: &mut Vec<u8>) {
        into.extend_from_slice(&self.time.to_be_bytes());
        into.extend_from_slice(&self.sequence.to_be_bytes());
        into.extend_from_slice(&self.line.to_be_bytes());
    }

    fn decode(bytes: &[u8]) -> Option<Position> {
        let bytes: &[u8; POSITION_LEN] = bytes.try_into().ok()?;
        Some(Position {
            time: u64::from_be_bytes(bytes[0..8].try_into().ok()?),
            sequence: u64::from_be_bytes(bytes[8..16].try_into().ok()?),
            line: u32::from_be_bytes(bytes[16..20].try_into().ok()?),
        })
    }

    pub fn to_token(self) -> String {
        let mut bytes = Vec::with_capacity(POSITION_LEN);
        self.encode(&mut bytes);
        hex::encode(bytes)
    }

    pub fn from_token(token: &str) -> Option<Position> {
        Position::decode(&hex::decode(token).ok()?)
    }
}

fn event_key(position: Position) -> Vec<u8> {
    let mut key = vec![EVENT];
    position.encode(&mut key);
    key
}

fn attribute_prefix(category: Category, attribute: Attribute, value: &str) -> Vec<u8> {
    let mut key = vec![ATTRIBUTE, category.code(attribute)];
    key.extend_from_slice(value.as_bytes());
    key.push(0);
    key
}

pub fn category(record: &Value) -> Category {
    match record.get("managementEvent").and_then(Value::as_bool) {
        Some(false) => Category::Data,
        _ => Category::Management,
    }
}

/// The attribute values a record is found by.
pub fn attributes(record: &Value) -> Vec<(Attribute, String)> {
    let text = |name: &str| record.get(name).and_then(Value::as_str);
    let identity = record.get("userIdentity");
    let category = category(record);
    let management = category == Category::Management;
    let mut found = vec![(Attribute::EventCategory, category.name().to_string())];
    if let Some(name) = text("eventName") {
        found.push((Attribute::EventName, name.to_string()));
    }
    if let Some(user) = username(identity) {
        found.push((Attribute::Username, user));
    }
    for resource in record.get("resources").and_then(Value::as_array).into_iter().flatten() {
        if let Some(arn) = resource.get("ARN").and_then(Value::as_str) {
            found.push((Attribute::ResourceName, arn.to_string()));
            if let Some(table) = crate::parameters::table_of_arn(arn) {
                found.push((Attribute::ResourceName, table.to_string()));
            }
        }
        if management {
            if let Some(kind) = resource.get("type").and_then(Value::as_str) {
                found.push((Attribute::ResourceType, kind.to_string()));
            }
        }
    }
    if management {
        if let Some(id) = text("eventID") {
            found.push((Attribute::EventId, id.to_string()));
        }
        if let Some(read_only) = record.get("readOnly").and_then(Value::as_bool) {
            found.push((Attribute::ReadOnly, read_only.to_string()));
        }
        if let Some(source) = text("eventSource") {
            found.push((Attribute::EventSource, source.to_string()));
        }
        if let Some(key) = identity.and_then(|i| i.get("accessKeyId")).and_then(Value::as_str) {
            found.push((Attribute::AccessKeyId, key.to_string()));
        }
    }
    found.sort_by(|a, b| (a.0 as u8, &a.1).cmp(&(b.0 as u8, &b.1)));
    found.dedup();
    found
}

/// LookupEvents' `Username` of a record's `userIdentity`.
pub fn username(identity: Option<&Value>) -> Option<String> {
    let identity = identity?;
    let text = |name: &str| identity.get(name).and_then(Value::as_str);
    match text("type")? {
        "Root" => Some("root".to_string()),
        "IAMUser" => text("userName").map(str::to_string),
        "AssumedRole" => text("arn").and_then(|arn| arn.rsplit('/').next()).map(str::to_string),
        _ => None,
    }
}

/// The event time of a record as stored (compact JSON), in Unix seconds,
/// without parsing the record.
pub fn line_time(line: &[u8]) -> u64 {
    const FIELD: &[u8] = b"\"eventTime\":\"";
    line.windows(FIELD.len())
        .position(|window| window == FIELD)
        .and_then(|at| line.get(at + FIELD.len()..at + FIELD.len() + 20))
        .and_then(|time| std::str::from_utf8(time).ok())
        .and_then(parse_time)
        .unwrap_or(0)
}

/// Whether a stored record is a data event, without parsing it.
pub fn is_data_line(line: &[u8]) -> bool {
    const FIELD: &[u8] = b"\"managementEvent\":false";
    line.windows(FIELD.len()).any(|window| window == FIELD)
}

/// The event time of a record, in Unix seconds.
pub fn event_time(record: &Value) -> u64 {
    record
        .get("eventTime")
        .and_then(Value::as_str)
        .and_then(parse_time)
        .unwrap_or(0)
}

/// `2026-12-01T18:40:16Z` → Unix seconds.
pub fn parse_time(text: &str) -> Option<u64> {
    let basic: String = text.chars().filter(|c| *c != '-' && *c != ':').collect();
    halyard_iam::sigv4::Timestamp::parse_basic(&basic).and_then(|t| u64::try_from(t.0).ok())
}

/// Adds a record's index entries to `writes`.
pub(crate) fn add(writes: &mut Writes, position: Position, record: &Value, line: &[u8]) {
    writes.put(INDEX_KEYSPACE, event_key(position), line.to_vec());
    let category = category(record);
    for (attribute, value) in attributes(record) {
        let mut key = attribute_prefix(category, attribute, &value);
        position.encode(&mut key);
        writes.put(INDEX_KEYSPACE, key, Vec::new());
    }
}

/// Adds the removal of a record's index entries to `writes`.
pub(crate) fn remove(writes: &mut Writes, position: Position, record: &Value) {
    writes.delete(INDEX_KEYSPACE, event_key(position));
    let category = category(record);
    for (attribute, value) in attributes(record) {
        let mut key = attribute_prefix(category, attribute, &value);
        position.encode(&mut key);
        writes.delete(INDEX_KEYSPACE, key);
    }
}

/// The oldest indexed records, up to `limit`, with event times before
/// `before`.
pub fn oldest(view: &dyn ReadView, before: u64, limit: usize) -> halyard_storage::Result<Vec<(Position, Value)>> {
    let mut found = Vec::new();
    let end = event_key(Position {
        time: before,
        sequence: 0,
        line: 0,
    });
    let start = [EVENT];
    view.scan(
        INDEX_KEYSPACE,
        KeyRange {
            start: Bound::Included(&start),
            end: Bound::Excluded(&end),
        },
        Direction::Forward,
        &mut |key, value| {
            if let (Some(position), Ok(record)) = (Position::decode(&key[1..]), serde_json::from_slice(value)) {
                found.push((position, record));
            }
            if found.len() >= limit {
                Visit::Stop
            } else {
                Visit::Continue
            }
        },
    )?;
    Ok(found)
}

/// A search of the index, newest first.
pub struct Search<'a> {
    pub category: Category,
    pub attribute: Option<(Attribute, &'a str)>,
    /// Unix seconds, inclusive.
    pub start: u64,
    pub end: u64,
    /// Continue after this position (a NextToken).
    pub after: Option<Position>,
}

/// Records matching `search`, newest first: `accept` sees each candidate
/// and returns whether to keep going (`Visit::Stop` ends the search).
pub fn search(
    view: &dyn ReadView,
    search: &Search<'_>,
    accept: &mut dyn FnMut(Position, Value) -> Visit,
) -> halyard_storage::Result<()> {
    let (attribute, value) = search
        .attribute
        .unwrap_or((Attribute::EventCategory, search.category.name()));
    let prefix = attribute_prefix(search.category, attribute, value);
    let mut start = prefix.clone();
    Position {
        time: search.start,
        sequence: 0,
        line: 0,
    }
    .encode(&mut start);
    let mut end = prefix.clone();
    let upper = Position {
        time: search.end,
        sequence: u64::MAX,
        line: u32::MAX,
    };
    let upper = match search.after {
        Some(after) => after.min(upper),
        None => upper,
    };
    upper.encode(&mut end);
    let mut failure = None;
    view.scan(
        INDEX_KEYSPACE,
        KeyRange {
            start: Bound::Included(&start),
            end: Bound::Excluded(&end),
        },
        Direction::Backward,
        &mut |key, _| {
            let Some(position) = key.get(prefix.len()..).and_then(Position::decode) else {
                return Visit::Continue;
            };
            let record = match view.get(INDEX_KEYSPACE, &event_key(position)) {
                Ok(Some(bytes)) => serde_json::from_slice(&bytes).ok(),
                Ok(None) => None,
                Err(error) => {
                    failure = Some(error);
                    return Visit::Stop;
                }
            };
            match record {
                Some(record) => accept(position, record),
                None => Visit::Continue,
            }
        },
    )?;
    match failure {
        Some(error) => Err(error),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn management_records_get_every_attribute() {
        let record = json!({
            "eventID": "e-1", "eventName": "CreateTable", "readOnly": false,
            "eventSource": "dynamodb.amazonaws.com", "managementEvent": true,
            "userIdentity": {"type": "IAMUser", "userName": "alice", "accessKeyId": "AKIA1"},
            "resources": [{"type": "AWS::DynamoDB::Table", "ARN": "arn:aws:dynamodb:us-east-1:1:table/T"}],
        });
        let names: Vec<Attribute> = attributes(&record).into_iter().map(|(a, _)| a).collect();
        for attribute in [
            Attribute::EventId,
            Attribute::EventName,
            Attribute::ReadOnly,
            Attribute::Username,
            Attribute::ResourceType,
            Attribute::ResourceName,
            Attribute::EventSource,
            Attribute::AccessKeyId,
        ] {
            assert!(names.contains(&attribute), "{attribute:?}");
        }
        assert!(attributes(&record).contains(&(Attribute::ResourceName, "T".into())));
    }

    #[test]
    fn data_records_get_a_few() {
        let record = json!({
            "eventID": "e-2", "eventName": "PutItem", "managementEvent": false,
            "userIdentity": {"type": "Root", "accessKeyId": "AKIA1"},
        });
        assert_eq!(
            attributes(&record),
            [
                (Attribute::EventName, "PutItem".to_string()),
                (Attribute::Username, "root".to_string()),
                (Attribute::EventCategory, "Data".to_string()),
            ]
        );
    }

    #[test]
    fn positions_order_and_round_trip() {
        let a = Position {
            time: 5,
            sequence: 9,
            line: 1,
        };
        let b = Position {
            time: 6,
            sequence: 1,
            line: 0,
        };
        let (mut ka, mut kb) = (Vec::new(), Vec::new());
        a.encode(&mut ka);
        b.encode(&mut kb);
        assert!(ka < kb);
        assert_eq!(Position::from_token(&a.to_token()), Some(a));
        assert_eq!(Position::from_token("zz"), None);
        assert_eq!(parse_time("2026-12-01T18:40:16Z"), Some(1_796_150_416));
        let line = br#"{"eventName":"PutItem","eventTime":"2026-12-01T18:40:16Z","managementEvent":false}"#;
        assert_eq!(line_time(line), 1_796_150_416);
        assert!(is_data_line(line));
        assert!(!is_data_line(br#"{"managementEvent":true}"#));
    }
}
