//! What `halyard audit` does on a stopped server's data directory: query
//! the records (management events from the index; data events from the log
//! files whose digests say they cover the time asked for, and from the
//! queue and the spill files of records not yet in a file), and verify the
//! log files against the digest chain.

use std::path::Path;

use halyard_kms::sealed_file::FileKeys;
use halyard_storage::{ReadView, Visit};
use serde_json::Value;

use crate::digest::{self, TimeRange, VerifyReport};
use crate::index::{self, Attribute, Category, Search};
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
/// together; `dir` is the audit directory, its files sealed with `sealing`
/// when encryption is on.
pub fn query(
    view: &dyn ReadView,
    dir: &Path,
    sealing: Option<&FileKeys>,
    filter: &Filter,
) -> Result<Vec<Value>, String> {
    let start = filter.start.unwrap_or(0);
    let end = filter.end.unwrap_or(u64::MAX >> 1);
    let mut found: Vec<(u64, Value)> = Vec::new();
    let search = Search {
        category: Category::Management,
        attribute: filter.attribute(),
        start,
        end,
        after: None,
    };
    index::search(view, &search, &mut |position, record| {
        if filter.accepts(&record) {
            found.push((position.time, record));
        }
        if found.len() >= filter.limit {
            Visit::Stop
        } else {
            Visit::Continue
        }
    })
    .map_err(|e| e.to_string())?;
    let mut data = |line: &[u8]| {
        if !index::is_data_line(line) || !(start..=end).contains(&index::line_time(line)) {
            return;
        }
        if let Ok(record) = serde_json::from_slice::<Value>(line) {
            if filter.accepts(&record) {
                found.push((index::event_time(&record), record));
            }
        }
    };
    for log in logs_between(dir, sealing, start, end)? {
        let content = crate::files::read_log_file(dir, &log, sealing).map_err(|e| format!("{log}: {e}"))?;
        let file: Value = serde_json::from_slice(&content).map_err(|e| format!("{log}: {e}"))?;
        for record in file.get("Records").and_then(Value::as_array).into_iter().flatten() {
            data(record.to_string().as_bytes());
        }
    }
    let state = store::read_state(view).map_err(|e| e.to_string())?;
    store::scan_queue(view, state.moved_through + 1, &mut |_, entry| {
        for line in entry.split(|b| *b == b'\n').filter(|line| !line.is_empty()) {
            data(line);
        }
        Visit::Continue
    })
    .map_err(|e| e.to_string())?;
    for number in crate::spill::waiting(dir, state.spilled_through).map_err(|e| e.to_string())? {
        let lines = crate::spill::read(dir, sealing, number).map_err(|e| format!("audit spill file {number}: {e}"))?;
        for line in lines.split(|b| *b == b'\n').filter(|line| !line.is_empty()) {
            data(line);
        }
    }
    // Newest first; records of one second keep their commit order, reversed.
    found.reverse();
    found.sort_by_key(|(time, _)| std::cmp::Reverse(*time));
    found.truncate(filter.limit);
    Ok(found.into_iter().map(|(_, record)| record).collect())
}

/// The log files whose digests say they hold records between `start` and
/// `end` (Unix seconds).
fn logs_between(dir: &Path, sealing: Option<&FileKeys>, start: u64, end: u64) -> Result<Vec<String>, String> {
    let mut logs = Vec::new();
    for path in crate::files::list(dir, crate::files::DIGESTS).map_err(|e| e.to_string())? {
        if !path.ends_with(".json.gz") {
            continue;
        }
        let Ok(content) = crate::files::read_log_file(dir, &path, sealing) else {
            continue;
        };
        let Ok(digest) = serde_json::from_slice::<Value>(&content) else {
            continue;
        };
        for log in digest.get("logFiles").and_then(Value::as_array).into_iter().flatten() {
            let time = |name: &str| log.get(name).and_then(Value::as_str).and_then(index::parse_time);
            let (Some(oldest), Some(newest), Some(path)) = (
                time("oldestEventTime"),
                time("newestEventTime"),
                log.get("s3Object").and_then(Value::as_str),
            ) else {
                continue;
            };
            if newest >= start && oldest <= end {
                logs.push(path.to_string());
            }
        }
    }
    Ok(logs)
}

/// Checks the log files in `dir` against the chain whose head and key the
/// database keeps.
pub fn verify(
    view: &dyn ReadView,
    dir: &Path,
    sealing: Option<&FileKeys>,
    range: &TimeRange,
) -> Result<VerifyReport, String> {
    let state = store::read_state(view).map_err(|e| e.to_string())?;
    let pkcs8 = view
        .get(store::KEYSPACE, store::SIGNING_KEY)
        .map_err(|e| e.to_string())?
        .ok_or("this data directory has no audit trail")?;
    let key = digest::SigningKey::from_pkcs8(&pkcs8).ok_or("the audit trail's signing key does not parse")?;
    digest::verify(dir, sealing, &key.public_key(), state.chain.as_ref(), range).map_err(|e| e.to_string())
}
