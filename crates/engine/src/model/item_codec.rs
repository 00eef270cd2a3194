//! The binary form items are stored in: compact, fast to decode, and
//! independent of the wire JSON.
//!
//! Each value is a tag byte followed by its payload; lengths and counts are
//! LEB128 varints. An item is a count followed by (name, value) pairs.

use super::attribute_value::{AttributeValue, Item, MAX_NESTING_LEVELS};
use super::number::Number;

/// Deepest nesting of maps and lists the decoder accepts. Writes are held
/// to DynamoDB's limit; this is twice that, so that items stored before the
/// limit was enforced (up to what the JSON parser let through) stay
/// readable, while anything deeper is refused as damage instead of being
/// walked by code that recurses.
pub const MAX_STORED_DEPTH: usize = 2 * MAX_NESTING_LEVELS;

/// Elements of a list reserved before they are read: its count is only a
/// claim until they are, and nested lists could each claim most of the
/// input (quadratic memory). Small enough that the lists open at once, at
/// most `MAX_STORED_DEPTH`, reserve at most 32 KB together.
const MAX_PREALLOCATED_ELEMENTS: usize = 16;

const TAG_S: u8 = 1;
const TAG_N: u8 = 2;
const TAG_B: u8 = 3;
const TAG_TRUE: u8 = 4;
const TAG_FALSE: u8 = 5;
const TAG_NULL: u8 = 6;
const TAG_M: u8 = 7;
const TAG_L: u8 = 8;
const TAG_SS: u8 = 9;
const TAG_NS: u8 = 10;
const TAG_BS: u8 = 11;

/// A stored item could not be decoded: the data is damaged.
#[derive(Debug, thiserror::Error)]
#[error("stored item is corrupt: {0}")]
pub struct CorruptItem(&'static str);

pub fn encode_item(item: &Item) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    write_map(item, &mut out);
    out
}

pub fn decode_item(bytes: &[u8]) -> Result<Item, CorruptItem> {
    let mut reader = Reader {
        bytes,
        position: 0,
        depth: 0,
    };
    let item = reader.map()?;
    if reader.position != bytes.len() {
        return Err(CorruptItem("trailing bytes"));
    }
    Ok(item)
}

fn write_varint(mut value: usize, out: &mut Vec<u8>) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn write_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    write_varint(bytes.len(), out);
    out.extend_from_slice(bytes);
}

fn write_map(map: &Item, out: &mut Vec<u8>) {
    write_varint(map.len(), out);
    for (name, value) in map {
        write_bytes(name.as_bytes(), out);
        write_value(value, out);
    }
}

fn write_value(value: &AttributeValue, out: &mut Vec<u8>) {
    match value {
        AttributeValue::S(s) => {
            out.push(TAG_S);
            write_bytes(s.as_bytes(), out);
        }
        AttributeValue::N(n) => {
            out.push(TAG_N);
            write_bytes(n.to_string().as_bytes(), out);
        }
        AttributeValue::B(b) => {
            out.push(TAG_B);
            write_bytes(b, out);
        }
        AttributeValue::Bool(true) => out.push(TAG_TRUE),
        AttributeValue::Bool(false) => out.push(TAG_FALSE),
        AttributeValue::Null => out.push(TAG_NULL),
        AttributeValue::M(map) => {
            out.push(TAG_M);
            write_map(map, out);
        }
        AttributeValue::L(list) => {
            out.push(TAG_L);
            write_varint(list.len(), out);
            for element in list {
                write_value(element, out);
            }
        }
        AttributeValue::Ss(set) => {
            out.push(TAG_SS);
            write_varint(set.len(), out);
            for s in set {
                write_bytes(s.as_bytes(), out);
            }
        }
        AttributeValue::Ns(set) => {
            out.push(TAG_NS);
            write_varint(set.len(), out);
            for n in set {
                write_bytes(n.to_string().as_bytes(), out);
            }
        }
        AttributeValue::Bs(set) => {
            out.push(TAG_BS);
            write_varint(set.len(), out);
            for b in set {
                write_bytes(b, out);
            }
        }
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
    /// Maps and lists open around the current position.
    depth: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, CorruptItem> {
        let byte = *self.bytes.get(self.position).ok_or(CorruptItem("truncated"))?;
        self.position += 1;
        Ok(byte)
    }

    fn varint(&mut self) -> Result<usize, CorruptItem> {
        let mut value = 0usize;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            value |= ((byte & 0x7F) as usize) << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(CorruptItem("varint too long"))
    }

    fn bytes(&mut self) -> Result<&'a [u8], CorruptItem> {
        let length = self.varint()?;
        let end = self
            .position
            .checked_add(length)
            .ok_or(CorruptItem("length overflow"))?;
        let slice = self.bytes.get(self.position..end).ok_or(CorruptItem("truncated"))?;
        self.position = end;
        Ok(slice)
    }

    fn string(&mut self) -> Result<String, CorruptItem> {
        String::from_utf8(self.bytes()?.to_vec()).map_err(|_| CorruptItem("invalid UTF-8"))
    }

    fn number(&mut self) -> Result<Number, CorruptItem> {
        let text = std::str::from_utf8(self.bytes()?).map_err(|_| CorruptItem("invalid number"))?;
        Number::parse(text).map_err(|_| CorruptItem("invalid number"))
    }

    fn count(&mut self) -> Result<usize, CorruptItem> {
        let count = self.varint()?;
        // Every element takes at least one byte: a larger count is damage,
        // and must not drive a huge allocation.
        if count > self.bytes.len() - self.position {
            return Err(CorruptItem("count exceeds data"));
        }
        Ok(count)
    }

    fn map(&mut self) -> Result<Item, CorruptItem> {
        let count = self.count()?;
        let mut map = Item::new();
        for _ in 0..count {
            let name = self.string()?;
            let value = self.value()?;
            map.insert(name, value);
        }
        Ok(map)
    }

    fn enter(&mut self) -> Result<(), CorruptItem> {
        self.depth += 1;
        if self.depth > MAX_STORED_DEPTH {
            return Err(CorruptItem("nested too deeply"));
        }
        Ok(())
    }

    fn value(&mut self) -> Result<AttributeValue, CorruptItem> {
        Ok(match self.byte()? {
            TAG_S => AttributeValue::S(self.string()?),
            TAG_N => AttributeValue::N(self.number()?),
            TAG_B => AttributeValue::B(self.bytes()?.to_vec()),
            TAG_TRUE => AttributeValue::Bool(true),
            TAG_FALSE => AttributeValue::Bool(false),
            TAG_NULL => AttributeValue::Null,
            TAG_M => {
                self.enter()?;
                let map = self.map()?;
                self.depth -= 1;
                AttributeValue::M(map)
            }
            TAG_L => {
                self.enter()?;
                let count = self.count()?;
                let mut list = Vec::with_capacity(count.min(MAX_PREALLOCATED_ELEMENTS));
                for _ in 0..count {
                    list.push(self.value()?);
                }
                self.depth -= 1;
                AttributeValue::L(list)
            }
            TAG_SS => {
                let count = self.count()?;
                AttributeValue::Ss((0..count).map(|_| self.string()).collect::<Result<_, _>>()?)
            }
            TAG_NS => {
                let count = self.count()?;
                AttributeValue::Ns((0..count).map(|_| self.number()).collect::<Result<_, _>>()?)
            }
            TAG_BS => {
                let count = self.count()?;
                AttributeValue::Bs(
                    (0..count)
                        .map(|_| self.bytes().map(<[u8]>::to_vec))
                        .collect::<Result<_, _>>()?,
                )
            }
            _ => return Err(CorruptItem("unknown type tag")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_round_trips() {
        let number = |s: &str| Number::parse(s).unwrap();
        let mut nested = Item::new();
        nested.insert(
            "inner".into(),
            AttributeValue::L(vec![AttributeValue::Null, AttributeValue::Bool(false)]),
        );
        let item: Item = [
            ("s", AttributeValue::S("héllo".into())),
            ("n", AttributeValue::N(number("-12.5e-3"))),
            ("b", AttributeValue::B(vec![0, 255, 7])),
            ("t", AttributeValue::Bool(true)),
            ("m", AttributeValue::M(nested)),
            ("ss", AttributeValue::Ss(vec!["b".into(), "a".into()])),
            ("ns", AttributeValue::Ns(vec![number("1"), number("1e100")])),
            ("bs", AttributeValue::Bs(vec![vec![1], vec![]])),
            ("empty", AttributeValue::M(Item::new())),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        assert_eq!(decode_item(&encode_item(&item)).unwrap(), item);
    }

    #[test]
    fn damage_is_reported_not_panicked() {
        let encoded = encode_item(&[("a".to_string(), AttributeValue::S("x".repeat(300)))].into());
        for cut in 0..encoded.len() {
            assert!(decode_item(&encoded[..cut]).is_err());
        }
        assert!(decode_item(&[0xFF, 0xFF, 0xFF, 0xFF, 0x0F]).is_err());
        assert!(decode_item(&[1, 1, b'a', 99]).is_err());
    }

    /// The bytes of an item `{"a": {"a": ... {"a": NULL}}}` with `depth`
    /// maps, built without recursion.
    fn nested_map_bytes(depth: usize) -> Vec<u8> {
        let mut bytes = vec![1, 1, b'a'];
        for _ in 0..depth {
            bytes.extend_from_slice(&[TAG_M, 1, 1, b'a']);
        }
        bytes.push(TAG_NULL);
        bytes
    }

    #[test]
    fn over_deep_items_are_refused_not_walked() {
        assert!(decode_item(&nested_map_bytes(MAX_STORED_DEPTH)).is_ok());
        let error = decode_item(&nested_map_bytes(MAX_STORED_DEPTH + 1)).unwrap_err();
        assert_eq!(error.to_string(), "stored item is corrupt: nested too deeply");
        // Far deeper than any stack would take if the decoder recursed on.
        assert!(decode_item(&nested_map_bytes(1_000_000)).is_err());
    }

    /// An item whose attribute `d` is `levels` lists, one inside the other.
    fn nested_lists(levels: usize) -> Vec<u8> {
        let mut bytes = vec![1, 1, b'd'];
        for _ in 0..levels {
            bytes.extend_from_slice(&[TAG_L, 1]);
        }
        bytes.push(TAG_NULL);
        bytes
    }

    #[test]
    fn deep_lists_are_refused_and_the_deepest_allowed_round_trips() {
        // Found by the item_codec fuzz target: 60,000 nested lists in 120 KB
        // overflowed the decoder's stack before the depth limit.
        assert!(decode_item(&nested_lists(60_000)).is_err());
        assert!(decode_item(&nested_lists(MAX_STORED_DEPTH + 1)).is_err());
        let deepest = decode_item(&nested_lists(MAX_STORED_DEPTH)).unwrap();
        assert_eq!(encode_item(&deepest), nested_lists(MAX_STORED_DEPTH));
    }
}
