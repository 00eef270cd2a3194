//! `Limit` and `Marker` for KMS's list operations: a marker names the
//! first item of the next page, items being listed in a stable order.

use serde_json::{Map, Value};

use super::request::Request;
use super::KmsError;

/// At most `Limit` (1–1000, default 100) of `items` (sorted by `id`) from
/// the request's `Marker`, and the fields `Truncated` and `NextMarker`.
pub fn page<T>(
    request: &Request,
    items: impl Iterator<Item = T>,
    id: impl Fn(&T) -> String,
) -> Result<(Vec<T>, Map<String, Value>), KmsError> {
    let limit = request.integer("Limit", 1, 1000)?.unwrap_or(100) as usize;
    let marker = request.bounded_string("Marker", 1, 1024)?.map(str::to_string);
    let mut items = items.skip_while(|item| marker.as_ref().is_some_and(|m| id(item) < *m));
    let page: Vec<T> = items.by_ref().take(limit).collect();
    let mut fields = Map::new();
    match items.next() {
        Some(next) => {
            fields.insert("Truncated".into(), true.into());
            fields.insert("NextMarker".into(), id(&next).into());
        }
        None => {
            fields.insert("Truncated".into(), false.into());
        }
    }
    Ok((page, fields))
}
