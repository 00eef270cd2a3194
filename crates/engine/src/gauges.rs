//! What a metrics scrape reads from the engine: table and index counters
//! (those DescribeTable reports), the Time to Live backlog from each
//! expiry index, and how far each stream's oldest record goes back.

use halyard_metrics::{EngineGauges, IndexGauges, TableGauges};
use halyard_storage::{Direction, KeyRange, ReadView, Visit};

use crate::streams::record::created_of;
use crate::time_to_live::count_due;
use crate::Engine;

/// The TTL backlog is counted up to this many items per table.
const TTL_BACKLOG_CAP: u64 = 100_000;

impl Engine {
    /// Whether a table of that name exists now.
    pub fn has_table(&self, name: &str) -> bool {
        self.catalog.get(name).is_some()
    }

    /// The metrics page: the recorded series, and gauges read now. Series
    /// of tables deleted since the last scrape are dropped first.
    pub fn render_metrics(&self) -> String {
        let metrics = self.metrics();
        metrics.retain_tables(|name| self.has_table(name));
        metrics.render(&self.gauges())
    }

    fn gauges(&self) -> EngineGauges {
        let snapshot = match self.storage.snapshot() {
            Ok(snapshot) => Some(snapshot),
            Err(error) => {
                tracing::warn!(%error, "metrics: cannot read a snapshot; TTL and stream gauges left out");
                None
            }
        };
        let now = crate::now_seconds();
        let streams = self.streams.read();
        let mut tables: Vec<TableGauges> = self
            .catalog
            .tables()
            .into_iter()
            .map(|table| {
                let stats = table.stats();
                let index_stats = table.index_stats();
                let ttl_backlog = match (&table.definition.time_to_live, &snapshot) {
                    (Some(ttl), Some(view)) => count_due(&**view, ttl, now as u64, TTL_BACKLOG_CAP).ok(),
                    _ => None,
                };
                let stream_oldest_record_age_seconds = snapshot.as_ref().and_then(|view| {
                    streams
                        .streams
                        .values()
                        .filter(|meta| meta.table_id == table.definition.id)
                        .filter_map(|meta| oldest_created(&**view, &meta.keyspace))
                        .min()
                        .map(|created| (now - created as f64).max(0.0))
                });
                TableGauges {
                    name: table.definition.name.clone(),
                    items: stats.item_count.max(0) as u64,
                    size_bytes: stats.size_bytes.max(0) as u64,
                    indexes: index_stats
                        .into_iter()
                        .map(|(name, stats)| IndexGauges {
                            name,
                            items: stats.item_count.max(0) as u64,
                            size_bytes: stats.size_bytes.max(0) as u64,
                        })
                        .collect(),
                    ttl_backlog,
                    stream_oldest_record_age_seconds,
                }
            })
            .collect();
        tables.sort_by(|a, b| a.name.cmp(&b.name));
        EngineGauges { tables }
    }
}

/// When the first record of a stream's log was created (seconds).
fn oldest_created(view: &dyn ReadView, keyspace: &str) -> Option<u64> {
    let mut created = None;
    view.scan(keyspace, KeyRange::ALL, Direction::Forward, &mut |_, value| {
        created = created_of(value);
        Visit::Stop
    })
    .ok()?;
    created
}
