//! One stream record: what changed in one item, as stored in its stream's
//! keyspace and as GetRecords returns it.

use crate::error::{Error, Result};
use crate::model::item_codec::{decode_item, encode_item};
use crate::model::{item_size, Item, StreamViewType};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventName {
    Insert,
    Modify,
    Remove,
}

impl EventName {
    pub fn name(self) -> &'static str {
        match self {
            EventName::Insert => "INSERT",
            EventName::Modify => "MODIFY",
            EventName::Remove => "REMOVE",
        }
    }

    fn code(self) -> u8 {
        match self {
            EventName::Insert => 1,
            EventName::Modify => 2,
            EventName::Remove => 3,
        }
    }

    fn from_code(code: u8) -> Option<EventName> {
        Some(match code {
            1 => EventName::Insert,
            2 => EventName::Modify,
            3 => EventName::Remove,
            _ => return None,
        })
    }
}

/// A stream record.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamRecord {
    pub sequence: u64,
    pub event_id: u128,
    pub event_name: EventName,
    /// Whole seconds since the epoch.
    pub created: u64,
    /// Made by DynamoDB itself (a Time to Live delete), not by a caller.
    pub by_service: bool,
    pub keys: Item,
    pub new_image: Option<Item>,
    pub old_image: Option<Item>,
    pub view_type: StreamViewType,
}

impl StreamRecord {
    /// The record of a change from `old` to `new` (not both absent, and
    /// not equal), holding the images `view_type` asks for.
    pub fn of_change(
        sequence: u64,
        view_type: StreamViewType,
        keys: Item,
        old: Option<&Item>,
        new: Option<&Item>,
        created: u64,
        by_service: bool,
    ) -> StreamRecord {
        let event_name = match (old, new) {
            (None, _) => EventName::Insert,
            (Some(_), Some(_)) => EventName::Modify,
            (Some(_), None) => EventName::Remove,
        };
        StreamRecord {
            sequence,
            event_id: uuid::Uuid::new_v4().as_u128(),
            event_name,
            created,
            by_service,
            keys,
            new_image: new.filter(|_| view_type.includes_new()).cloned(),
            old_image: old.filter(|_| view_type.includes_old()).cloned(),
            view_type,
        }
    }

    /// DynamoDB's SizeBytes: the keys and images the record holds.
    pub fn size_bytes(&self) -> usize {
        item_size(&self.keys)
            + self.new_image.as_ref().map_or(0, item_size)
            + self.old_image.as_ref().map_or(0, item_size)
    }

    /// The event id as DynamoDB prints them (a UUID).
    pub fn event_id_text(&self) -> String {
        uuid::Uuid::from_u128(self.event_id).hyphenated().to_string()
    }
}

const FORMAT: u8 = 1;
const BY_SERVICE: u8 = 1;
const HAS_NEW: u8 = 2;
const HAS_OLD: u8 = 4;

/// `[format][event][flags][view][created u64][event id u128]`, then the
/// keys and each image present as `[length u32][encoded item]`.
pub fn encode(record: &StreamRecord) -> Vec<u8> {
    let mut out = vec![
        FORMAT,
        record.event_name.code(),
        (u8::from(record.by_service) * BY_SERVICE)
            | (u8::from(record.new_image.is_some()) * HAS_NEW)
            | (u8::from(record.old_image.is_some()) * HAS_OLD),
        view_code(record.view_type),
    ];
    out.extend_from_slice(&record.created.to_le_bytes());
    out.extend_from_slice(&record.event_id.to_le_bytes());
    for item in std::iter::once(&record.keys)
        .chain(record.new_image.as_ref())
        .chain(record.old_image.as_ref())
    {
        let encoded = encode_item(item);
        out.extend_from_slice(&(encoded.len() as u32).to_le_bytes());
        out.extend_from_slice(&encoded);
    }
    out
}

/// Bytes of a record's header: what it says of the change, without the
/// item data (the keys and images after it), which a table under a
/// customer managed key seals.
pub const HEADER_LEN: usize = 28;

pub fn decode(sequence: u64, bytes: &[u8]) -> Result<StreamRecord> {
    let split = bytes.len().min(HEADER_LEN);
    decode_parts(sequence, &bytes[..split], &bytes[split..])
}

/// A record from its header and its item data.
pub fn decode_parts(sequence: u64, header: &[u8], items: &[u8]) -> Result<StreamRecord> {
    let corrupt = || Error::Internal(format!("corrupt stream record {sequence}"));
    if header.len() != HEADER_LEN {
        return Err(corrupt());
    }
    if header[0] != FORMAT {
        return Err(corrupt());
    }
    let event_name = EventName::from_code(header[1]).ok_or_else(corrupt)?;
    let flags = header[2];
    let view_type = view_from_code(header[3]).ok_or_else(corrupt)?;
    let created = u64::from_le_bytes(header[4..12].try_into().expect("8 bytes"));
    let event_id = u128::from_le_bytes(header[12..28].try_into().expect("16 bytes"));
    let mut rest = items;
    let mut next_item = || -> Result<Item> {
        let length = rest.get(..4).ok_or_else(corrupt)?;
        let length = u32::from_le_bytes(length.try_into().expect("4 bytes")) as usize;
        let encoded = rest.get(4..4 + length).ok_or_else(corrupt)?;
        rest = &rest[4 + length..];
        Ok(decode_item(encoded)?)
    };
    let keys = next_item()?;
    let new_image = if flags & HAS_NEW != 0 { Some(next_item()?) } else { None };
    let old_image = if flags & HAS_OLD != 0 { Some(next_item()?) } else { None };
    Ok(StreamRecord {
        sequence,
        event_id,
        event_name,
        created,
        by_service: flags & BY_SERVICE != 0,
        keys,
        new_image,
        old_image,
        view_type,
    })
}

/// The creation time of an encoded record, without decoding its items.
pub fn created_of(bytes: &[u8]) -> Option<u64> {
    bytes
        .get(4..12)
        .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes")))
}

fn view_code(view: StreamViewType) -> u8 {
    match view {
        StreamViewType::KeysOnly => 1,
        StreamViewType::NewImage => 2,
        StreamViewType::OldImage => 3,
        StreamViewType::NewAndOldImages => 4,
    }
}

fn view_from_code(code: u8) -> Option<StreamViewType> {
    Some(match code {
        1 => StreamViewType::KeysOnly,
        2 => StreamViewType::NewImage,
        3 => StreamViewType::OldImage,
        4 => StreamViewType::NewAndOldImages,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::AttributeValue;

    fn item(pairs: &[(&str, &str)]) -> Item {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), AttributeValue::S(v.to_string())))
            .collect()
    }

    #[test]
    fn records_round_trip_with_the_images_their_view_holds() {
        let keys = item(&[("pk", "a")]);
        let old = item(&[("pk", "a"), ("v", "1")]);
        let new = item(&[("pk", "a"), ("v", "2")]);
        for (_, view) in StreamViewType::ALL {
            let record = StreamRecord::of_change(7, view, keys.clone(), Some(&old), Some(&new), 1_796_127_600, true);
            assert_eq!(record.event_name, EventName::Modify);
            assert_eq!(record.new_image.is_some(), view.includes_new());
            assert_eq!(record.old_image.is_some(), view.includes_old());
            assert_eq!(decode(7, &encode(&record)).unwrap(), record);
            assert_eq!(created_of(&encode(&record)), Some(1_796_127_600));
        }
    }

    #[test]
    fn size_counts_keys_and_images() {
        // The keys {pk: "a"} (3 bytes) and the new image {pk: "a", v: "b"}
        // (5 bytes); an INSERT has no old image.
        let record = StreamRecord::of_change(
            1,
            StreamViewType::NewAndOldImages,
            item(&[("pk", "a")]),
            None,
            Some(&item(&[("pk", "a"), ("v", "b")])),
            0,
            false,
        );
        assert_eq!(record.size_bytes(), 8);
    }

    #[test]
    fn damaged_records_are_errors() {
        let record = StreamRecord::of_change(1, StreamViewType::KeysOnly, item(&[("pk", "a")]), None, None, 0, false);
        let bytes = encode(&record);
        for cut in 0..bytes.len() {
            assert!(decode(1, &bytes[..cut]).is_err());
        }
    }
}
