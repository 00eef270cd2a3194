//! What `halyard audit` does on a stopped server's data directory: query
//! the index, and verify the log files against the digest chain.

use std::path::Path;

use halyard_storage::{ReadView, StorageError, Visit};
use serde_json::Value;

use crate::digest::{self, TimeRange, VerifyReport};
use crate::index::{self, Attribute, Category, Position, Search};
use crate::store;

/// A `halyard audit query`.
#[derive(Debug, Default, Clone)]
pub struct Filter {
    /// Unix seconds, inclusive.
    pub start: Option<u64>,
    pub end: Option<u64>,
    pub event_name: Option<String>,
    pub user: Option<String>,
    /// A table's name or ARN.
    pub table: Option<String>,
    /// Only failed and denied calls.
    pub errors_only: bool,
    pub limit: usize,
}

impl Filter {
    fn accepts(&self, record: &Value) -> bool {
        let text = |name: &str| record.get(name).and_then(Value::as_str);
        self.event_name
            .as_deref()
            .is_none_or(|name| text("eventName") == Some(name))
            && self
                .user
                .as_deref()
                .is_none_or(|user| index::username(record.get("userIdentity")).as_deref() == Some(user))
            && self.table.as_deref().is_none_or(|table| {
                index::attributes(record)
                    .iter()
                    .any(|(attribute, value)| *attribute == Attribute::ResourceName && value == table)
            })
            && (!self.errors_only || record.get("errorCode").is_some())
    }

    /// The most selective index entry the filter names.
    fn attribute(&self) -> Option<(Attribute, &str)> {
        if let Some(table) = &self.table {
            return Some((Attribute::ResourceName, table));
        }
        if let Some(user) = &self.user {
            return Some((Attribute::Username, user));
        }
        self.event_name.as_deref().map(|name| (Attribute::EventName, name))
    }
}

/// The records matching `filter`, newest first, management and data events
/// together.
pub fn query(view: &dyn ReadView, filter: &Filter) -> Result<Vec<Value>, StorageError> {
    let mut found: Vec<(Position, Value)> = Vec::new();
    for category in [Category::Management, Category::Data] {
        let search = Search {
            category,
            attribute: filter.attribute(),
            start: filter.start.unwrap_or(0),
            end: filter.end.unwrap_or(u64::MAX >> 1),
            after: None,
        };
        let mut taken = 0;
        index::search(view, &search, &mut |position, record| {
            if filter.accepts(&record) {
                found.push((position, record));
                taken += 1;
            }
            if taken >= filter.limit {
                Visit::Stop
            } else {
                Visit::Continue
            }
        })?;
    }
    found.sort_by_key(|(position, _)| std::cmp::Reverse(*position));
    found.truncate(filter.limit);
    Ok(found.into_iter().map(|(_, record)| record).collect())
}

/// Checks the log files in `dir` against the chain whose head and key the
/// database keeps.
pub fn verify(view: &dyn ReadView, dir: &Path, range: &TimeRange) -> Result<VerifyReport, String> {
    let state = store::read_state(view).map_err(|e| e.to_string())?;
    let pkcs8 = view
        .get(store::KEYSPACE, store::SIGNING_KEY)
        .map_err(|e| e.to_string())?
        .ok_or("this data directory has no audit trail")?;
    let key = digest::SigningKey::from_pkcs8(&pkcs8).ok_or("the audit trail's signing key does not parse")?;
    digest::verify(dir, &key.public_key(), state.chain.as_ref(), range).map_err(|e| e.to_string())
}
