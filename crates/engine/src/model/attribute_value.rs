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

/// DynamoDB's limit on document nesting: an item is level 1 and each map
/// or list adds a level, so an attribute value holds at most 31 levels of
/// maps and lists.
pub const MAX_NESTING_LEVELS: usize = 32;

/// Maps and lists an attribute value may nest: [`MAX_NESTING_LEVELS`] less
/// the item's own level.
pub const MAX_CONTAINER_DEPTH: usize = MAX_NESTING_LEVELS - 1;

/// DynamoDB's answer to an item nested deeper than [`MAX_NESTING_LEVELS`].
pub const ITEM_TOO_DEEP: &str =
    "Nesting Levels have exceeded supported limits: Attributes in the item have nested levels beyond supported limit";

/// Whether some attribute of `item` nests more than [`MAX_CONTAINER_DEPTH`]
/// maps and lists. The walk never descends past the limit, so it is bounded
/// however deep the item is.
pub fn item_too_deep(item: &Item) -> bool {
    item.values().any(|value| nests_deeper_than(value, MAX_CONTAINER_DEPTH))
}

fn nests_deeper_than(value: &AttributeValue, allowed: usize) -> bool {
    let deeper = |child: &AttributeValue| nests_deeper_than(child, allowed - 1);
    match value {
        AttributeValue::M(map) => allowed == 0 || map.values().any(deeper),
        AttributeValue::L(list) => allowed == 0 || list.iter().any(deeper),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(containers: usize, innermost: AttributeValue) -> AttributeValue {
        (0..containers).fold(innermost, |inner, level| {
            if level % 2 == 0 {
                AttributeValue::M(Item::from([("a".to_string(), inner)]))
            } else {
                AttributeValue::L(vec![inner])
            }
        })
    }

    fn item_of(value: AttributeValue) -> Item {
        Item::from([("v".to_string(), value)])
    }

    #[test]
    fn nesting_limit_counts_maps_and_lists() {
        assert!(!item_too_deep(&item_of(nested(31, AttributeValue::S("x".into())))));
        assert!(item_too_deep(&item_of(nested(32, AttributeValue::S("x".into())))));
        // An empty map or list is a level of its own.
        assert!(!item_too_deep(&item_of(nested(30, AttributeValue::M(Item::new())))));
        assert!(item_too_deep(&item_of(nested(31, AttributeValue::L(Vec::new())))));
        // Sets are scalars here.
        assert!(!item_too_deep(&item_of(nested(
            31,
            AttributeValue::Ss(vec!["a".into()])
        ))));
    }
}
