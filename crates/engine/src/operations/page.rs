//! Reading one page of items for Query and Scan: a key range walked in
//! order, up to Limit items and 1 MB, filtered and projected.

use std::cmp::Ordering;
use std::ops::Bound;

use halyard_storage::keycodec;
use halyard_storage::{Direction, KeyRange, ReadView, Visit};

use super::{read_units, ConsumedCapacity};
use crate::capacity::read_demand;
use crate::expression::condition::Condition;
use crate::expression::key_condition::OwnedRange;
use crate::expression::projection::Projection;
use crate::item_seal::{ItemSeal, SealForm};
use crate::keys::{storage_key, KeyLayout};
use crate::model::TableDefinition;
use crate::model::{item_size, AttributeValue, Item};
use crate::{Engine, Error, Result};

/// DynamoDB reads at most 1 MB of items per Query or Scan page.
pub(crate) const MAX_PAGE_BYTES: usize = 1024 * 1024;

/// One page of a Query or Scan.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ItemPage {
    pub items: Vec<Item>,
    /// Items that passed the filter.
    pub count: usize,
    /// Items read, before the filter.
    pub scanned_count: usize,
    /// Where the next page starts, when there may be more.
    pub last_evaluated_key: Option<Item>,
    pub consumed_capacity: Option<ConsumedCapacity>,
}

/// What to read, and how to shape the result.
pub(crate) struct PageRequest {
    pub table_name: String,
    pub keyspace: String,
    pub layout: KeyLayout,
    /// Local index reads that need attributes the index does not hold get
    /// them from the table: its keyspace.
    pub fetch_from_table: Option<String>,
    /// How the table's values are stored.
    pub seal: ItemSeal,
    /// The index read, if not the table.
    pub index_name: Option<String>,
    pub range: OwnedRange,
    pub direction: Direction,
    pub limit: Option<usize>,
    pub exclusive_start_key: Option<Item>,
    /// Query: the start key must lie within the key condition's range.
    pub start_key_must_match: bool,
    pub filter: Option<Condition>,
    pub projection: Option<Projection>,
    pub count_only: bool,
    pub consistent_read: bool,
    /// Parallel scan: (segment, total segments).
    pub segment: Option<(u32, u32)>,
}

/// Checks an ExclusiveStartKey and returns its storage key.
pub(crate) fn start_key(layout: &KeyLayout, key: &Item) -> Result<Vec<u8>> {
    layout.validate(key).map_err(|error| match error {
        Error::Validation(message) => Error::validation(format!("The provided starting key is invalid: {message}")),
        other => other,
    })?;
    layout.storage_key(key)
}

/// Whether a key lies on the inner side of a range bound.
trait BoundContains {
    fn contains_above(&self, key: &[u8]) -> bool;
    fn contains_below(&self, key: &[u8]) -> bool;
}

impl BoundContains for Bound<Vec<u8>> {
    fn contains_above(&self, key: &[u8]) -> bool {
        match self {
            Bound::Included(start) => key >= start.as_slice(),
            Bound::Excluded(start) => key > start.as_slice(),
            Bound::Unbounded => true,
        }
    }

    fn contains_below(&self, key: &[u8]) -> bool {
        match self {
            Bound::Included(end) => key <= end.as_slice(),
            Bound::Excluded(end) => key < end.as_slice(),
            Bound::Unbounded => true,
        }
    }
}

/// The tighter of two lower (or upper) bounds.
fn tighter(a: Bound<Vec<u8>>, b: Bound<Vec<u8>>, lower: bool) -> Bound<Vec<u8>> {
    let key = |bound: &Bound<Vec<u8>>| match bound {
        Bound::Included(k) | Bound::Excluded(k) => Some(k.clone()),
        Bound::Unbounded => None,
    };
    match (key(&a), key(&b)) {
        (None, _) => b,
        (_, None) => a,
        (Some(x), Some(y)) => {
            let order = x.cmp(&y);
            let a_wins = match order {
                Ordering::Equal => matches!(a, Bound::Excluded(_)),
                Ordering::Greater => lower,
                Ordering::Less => !lower,
            };
            if a_wins {
                a
            } else {
                b
            }
        }
    }
}

/// Which parallel-scan segment an item belongs to: a stable hash of its
/// partition key, so segments are disjoint and together complete.
fn segment_of(layout: &KeyLayout, item: &Item, total: u32) -> u32 {
    let mut encoded = Vec::new();
    for attribute in layout.partition() {
        if let Some(value) = item.get(&attribute.name) {
            let key_value = match value {
                AttributeValue::S(s) => keycodec::KeyValue::S(s),
                AttributeValue::N(n) => keycodec::KeyValue::N(n.parts()),
                AttributeValue::B(b) => keycodec::KeyValue::B(b),
                _ => keycodec::KeyValue::B(&[]),
            };
            keycodec::encode(key_value, &mut encoded);
        }
    }
    // FNV-1a: stable across runs and versions, unlike std's hasher.
    let hash = encoded.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    });
    (hash % total as u64) as u32
}

/// The table's whole item for a local index entry.
fn fetch_full_item(
    view: &dyn ReadView,
    seal: &ItemSeal,
    table_keyspace: &str,
    layout: &KeyLayout,
    entry: Item,
) -> Result<Item> {
    let key = storage_key(&layout.table_key, &entry)?;
    match view.get(table_keyspace, &key)? {
        Some(bytes) => seal.decode(SealForm::Item, &key, &bytes),
        // The entry and the item are written together: this is damage.
        None => Err(Error::Internal("local index entry without its item".into())),
    }
}

pub(crate) fn read_page(view: &dyn ReadView, request: PageRequest) -> Result<ItemPage> {
    let (mut start, mut end) = request.range.clone();
    if let Some(key) = &request.exclusive_start_key {
        let key = start_key(&request.layout, key)?;
        if request.start_key_must_match && !(start.contains_above(&key) && end.contains_below(&key)) {
            return Err(Error::validation(
                "The provided starting key does not match the range key predicate",
            ));
        }
        match request.direction {
            Direction::Forward => start = tighter(start, Bound::Excluded(key), true),
            Direction::Backward => end = tighter(end, Bound::Excluded(key), false),
        }
    }
    let range = KeyRange {
        start: start.as_ref().map(Vec::as_slice),
        end: end.as_ref().map(Vec::as_slice),
    };
    let limit = request.limit.unwrap_or(usize::MAX);
    let mut page = ItemPage::default();
    let mut bytes_read = 0usize;
    let mut failure = None;
    let form = match &request.index_name {
        Some(index) => SealForm::IndexEntry(index),
        None => SealForm::Item,
    };
    view.scan(&request.keyspace, range, request.direction, &mut |key, value| {
        let read = request
            .seal
            .decode(form, key, value)
            .and_then(|entry| match &request.fetch_from_table {
                Some(table_keyspace) => fetch_full_item(view, &request.seal, table_keyspace, &request.layout, entry),
                None => Ok(entry),
            });
        let item = match read {
            Ok(item) => item,
            Err(error) => {
                failure = Some(error);
                return Visit::Stop;
            }
        };
        bytes_read += item_size(&item);
        if let Some((segment, total)) = request.segment {
            if segment_of(&request.layout, &item, total) != segment {
                return Visit::Continue;
            }
        }
        page.scanned_count += 1;
        if request.filter.as_ref().is_none_or(|filter| filter.evaluate(&item)) {
            page.count += 1;
            if !request.count_only {
                page.items.push(match &request.projection {
                    Some(projection) => projection.apply(&item),
                    None => item.clone(),
                });
            }
        }
        if page.scanned_count >= limit || bytes_read >= MAX_PAGE_BYTES {
            // The page is full: say where the next one starts (DynamoDB
            // does so even when no item follows).
            page.last_evaluated_key = Some(request.layout.key_of(&item));
            return Visit::Stop;
        }
        Visit::Continue
    })?;
    if let Some(error) = failure {
        return Err(error);
    }
    page.consumed_capacity = Some(ConsumedCapacity::read(
        &request.table_name,
        read_units(bytes_read, request.consistent_read),
    ));
    Ok(page)
}

impl Engine {
    /// Reads one page, charged to the read capacity of the table or of the
    /// global index it reads.
    pub(crate) async fn read_charged_page(
        &self,
        definition: &TableDefinition,
        index_name: Option<&str>,
        request: PageRequest,
    ) -> Result<ItemPage> {
        let estimate = read_units(0, request.consistent_read);
        let admission = self
            .throttle
            .admit(definition, &[read_demand(definition, index_name, estimate)])?;
        let mut page = self.read(move |view| read_page(view, request)).await?;
        let units = page.consumed_capacity.as_ref().map_or(0.0, |c| c.read_units);
        let consumed = read_demand(definition, index_name, units);
        // A global index's read is its own, not the table's (as DynamoDB
        // reports it with ReturnConsumedCapacity INDEXES).
        if let (Some(index), Some(reported)) = (&consumed.index, page.consumed_capacity.as_mut()) {
            reported.read_units = 0.0;
            reported.global_indexes.push((index.clone(), units));
        }
        self.throttle.settle(&definition.name, admission, &[consumed]);
        Ok(page)
    }
}
