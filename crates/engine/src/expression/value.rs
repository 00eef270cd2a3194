//! How expressions compare and inspect attribute values.

use std::cmp::Ordering;

use crate::model::{AttributeValue, Number};

/// Order between two values of the same scalar type (S by UTF-8 bytes, N
/// numerically, B by bytes); `None` for any other pair, which makes every
/// ordering comparison false, as in DynamoDB.
pub fn compare(a: &AttributeValue, b: &AttributeValue) -> Option<Ordering> {
    match (a, b) {
        (AttributeValue::S(x), AttributeValue::S(y)) => Some(x.as_bytes().cmp(y.as_bytes())),
        (AttributeValue::N(x), AttributeValue::N(y)) => Some(x.cmp(y)),
        (AttributeValue::B(x), AttributeValue::B(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// DynamoDB equality: deep for documents, order-free for sets.
pub fn equal(a: &AttributeValue, b: &AttributeValue) -> bool {
    fn same_members<T: PartialEq>(x: &[T], y: &[T]) -> bool {
        x.len() == y.len() && x.iter().all(|member| y.contains(member))
    }
    match (a, b) {
        (AttributeValue::Ss(x), AttributeValue::Ss(y)) => same_members(x, y),
        (AttributeValue::Ns(x), AttributeValue::Ns(y)) => same_members(x, y),
        (AttributeValue::Bs(x), AttributeValue::Bs(y)) => same_members(x, y),
        (AttributeValue::L(x), AttributeValue::L(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| equal(p, q)),
        (AttributeValue::M(x), AttributeValue::M(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| equal(v, w)))
        }
        _ => a == b,
    }
}

/// `size()`: length of a string (in UTF-8 bytes) or binary, number of
/// members of a set, list or map. Other types have no size.
pub fn size(value: &AttributeValue) -> Option<Number> {
    let size = match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::B(b) => b.len(),
        AttributeValue::Ss(set) => set.len(),
        AttributeValue::Ns(set) => set.len(),
        AttributeValue::Bs(set) => set.len(),
        AttributeValue::L(list) => list.len(),
        AttributeValue::M(map) => map.len(),
        _ => return None,
    };
    Some(Number::parse(&size.to_string()).expect("an integer is a number"))
}

/// `contains(a, b)`: substring of a string, member of a set, element of a list.
pub fn contains(haystack: &AttributeValue, needle: &AttributeValue) -> bool {
    match (haystack, needle) {
        (AttributeValue::S(s), AttributeValue::S(sub)) => s.contains(sub.as_str()),
        (AttributeValue::B(b), AttributeValue::B(sub)) => {
            sub.is_empty() || b.windows(sub.len()).any(|w| w == sub.as_slice())
        }
        (AttributeValue::Ss(set), AttributeValue::S(member)) => set.contains(member),
        (AttributeValue::Ns(set), AttributeValue::N(member)) => set.contains(member),
        (AttributeValue::Bs(set), AttributeValue::B(member)) => set.contains(member),
        (AttributeValue::L(list), element) => list.iter().any(|e| equal(e, element)),
        _ => false,
    }
}

/// `begins_with(a, b)` on strings and binaries.
pub fn begins_with(value: &AttributeValue, prefix: &AttributeValue) -> bool {
    match (value, prefix) {
        (AttributeValue::S(s), AttributeValue::S(p)) => s.starts_with(p.as_str()),
        (AttributeValue::B(b), AttributeValue::B(p)) => b.starts_with(p),
        _ => false,
    }
}
