//! Attribute values and items, with DynamoDB's size rules.

use std::collections::BTreeMap;

use super::number::Number;

/// One DynamoDB attribute value. Sets keep the order they were given in and
/// never hold duplicates (validation rejects them).
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue {
    S(String),
    N(Number),
    B(Vec<u8>),
    Bool(bool),
    Null,
    M(Item),
    L(Vec<AttributeValue>),
    Ss(Vec<String>),
    Ns(Vec<Number>),
    Bs(Vec<Vec<u8>>),
}

/// An item: attribute name to value.
pub type Item = BTreeMap<String, AttributeValue>;

/// DynamoDB's largest item: 400 KB, counting names and values.
pub const MAX_ITEM_SIZE: usize = 400 * 1024;

impl AttributeValue {
    /// The type descriptor DynamoDB uses for this value ("S", "NS", ...).
    pub fn type_name(&self) -> &'static str {
        match self {
            AttributeValue::S(_) => "S",
            AttributeValue::N(_) => "N",
            AttributeValue::B(_) => "B",
            AttributeValue::Bool(_) => "BOOL",
            AttributeValue::Null => "NULL",
            AttributeValue::M(_) => "M",
            AttributeValue::L(_) => "L",
            AttributeValue::Ss(_) => "SS",
            AttributeValue::Ns(_) => "NS",
            AttributeValue::Bs(_) => "BS",
        }
    }

    /// Size in bytes by DynamoDB's rules (used for the 400 KB limit and for
    /// TableSizeBytes).
    pub fn size(&self) -> usize {
        match self {
            AttributeValue::S(s) => s.len(),
            AttributeValue::N(n) => n.size(),
            AttributeValue::B(b) => b.len(),
            AttributeValue::Bool(_) | AttributeValue::Null => 1,
            // A document costs 3 bytes, plus one byte per element.
            AttributeValue::M(map) => 3 + map.iter().map(|(k, v)| k.len() + v.size() + 1).sum::<usize>(),
            AttributeValue::L(list) => 3 + list.iter().map(|v| v.size() + 1).sum::<usize>(),
            AttributeValue::Ss(set) => set.iter().map(String::len).sum(),
            AttributeValue::Ns(set) => set.iter().map(Number::size).sum(),
            AttributeValue::Bs(set) => set.iter().map(Vec::len).sum(),
        }
    }
}

/// Size of a whole item by DynamoDB's rules: names plus values.
pub fn item_size(item: &Item) -> usize {
    item.iter().map(|(name, value)| name.len() + value.size()).sum()
}
