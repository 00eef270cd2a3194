//! Point-in-time recovery's snapshots and retention: a background thread
//! snapshots each table with point-in-time recovery when it has no
//! snapshot yet or its latest is older than the snapshot interval, and
//! ages out (through the writer, in bounded steps) the snapshots and
//! change records that no time within the recovery window needs.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use halyard_storage::{ReadView, Storage, Visit, WriteTransaction};

use super::snapshot::{self, SnapshotRequest};
use super::{change_log, remove, scan};
use crate::catalog::Catalog;
use crate::error::Result;
use crate::model::{BackupKind, BackupRecord, BackupStatus, PointInTimeRecovery, RestoreStep, TableDefinition};
use crate::writer::{BackupCommand, Command, Outcome, Writer};

/// How point-in-time recovery paces its snapshots and trimming.
#[derive(Debug, Clone, Copy)]
pub struct PitrSettings {
    /// A table's newest snapshot is replaced once it is this old, so a
    /// restore replays at most this much of the log.
    pub snapshot_interval: Duration,
    /// How often tables are looked at.
    pub tick: Duration,
    /// The length of a day of the recovery period, in seconds (86400; less
    /// in tests of retention).
    pub day_seconds: f64,
}

impl Default for PitrSettings {
    fn default() -> Self {
        PitrSettings {
            snapshot_interval: Duration::from_secs(3600),
            tick: Duration::from_secs(10),
            day_seconds: 86_400.0,
        }
    }
}

/// Change records and snapshots removed per trim command.
pub(crate) const TRIM_LIMIT: usize = 1000;

/// The start of a table's recovery window at `now`.
pub(crate) fn window_start(pitr: &PointInTimeRecovery, now: f64, day_seconds: f64) -> f64 {
    (now - pitr.recovery_period_days as f64 * day_seconds).max(pitr.enabled_at)
}

/// Whether a snapshot belongs to the table's current enabling of
/// point-in-time recovery.
fn current(record: &BackupRecord, definition: &TableDefinition) -> bool {
    record.kind == BackupKind::PointInTime
        && record.table.id == definition.id
        && definition
            .point_in_time_recovery
            .as_ref()
            .is_some_and(|pitr| record.created >= pitr.enabled_at)
}

/// The table's available snapshots, oldest first.
pub(crate) fn snapshots(view: &dyn ReadView, definition: &TableDefinition) -> Result<Vec<BackupRecord>> {
    let mut found = Vec::new();
    scan(view, None, &mut |record| {
        if current(&record, definition) && record.status == BackupStatus::Available {
            found.push(record);
        }
        Visit::Continue
    })?;
    Ok(found)
}

/// The snapshot a restore to `time` starts from: the latest taken at or
/// before it.
pub(crate) fn base_for(snapshots: &[BackupRecord], time: f64) -> Option<&BackupRecord> {
    let until = change_log::stamp_after(time);
    snapshots
        .iter()
        .rev()
        .find(|record| record.created <= time && record.log_position.is_none_or(|position| position < until))
}

/// Ages out what no restore within the windows needs, up to `limit`
/// records; returns how many it removed.
pub(crate) fn trim(
    tx: &mut dyn WriteTransaction,
    catalog: &Catalog,
    now: f64,
    day_seconds: f64,
    limit: usize,
) -> Result<usize> {
    let tables: HashMap<String, TableDefinition> = catalog
        .tables()
        .into_iter()
        .filter(|table| table.definition.point_in_time_recovery.is_some())
        .map(|table| (table.definition.id.clone(), table.definition.clone()))
        .collect();
    // What restores in progress still read: their snapshots, and the
    // change records after their starting points.
    let mut in_use: Vec<String> = Vec::new();
    let mut replaying: HashMap<String, u64> = HashMap::new();
    for table in catalog.tables() {
        let steps = table
            .definition
            .restore
            .iter()
            .filter(|r| r.in_progress)
            .flat_map(|r| &r.steps);
        for step in steps {
            match step {
                RestoreStep::Copy { keyspace } => in_use.push(keyspace.clone()),
                RestoreStep::Replay {
                    source_table_id, after, ..
                } => {
                    let from = after.unwrap_or(0);
                    let entry = replaying.entry(source_table_id.clone()).or_insert(from);
                    *entry = (*entry).min(from);
                }
            }
        }
    }
    // Per table: the snapshot the window's start restores from, whose
    // elders and earlier change records are no longer needed.
    let mut doomed = Vec::new();
    let mut bases: HashMap<String, BackupRecord> = HashMap::new();
    let mut by_table: HashMap<String, Vec<BackupRecord>> = HashMap::new();
    scan(&*tx, None, &mut |record| {
        if record.kind == BackupKind::PointInTime && record.status == BackupStatus::Available {
            match tables.get(&record.table.id) {
                Some(definition) if current(&record, definition) => {
                    by_table.entry(record.table.id.clone()).or_default().push(record)
                }
                _ => doomed.push(record),
            }
        }
        Visit::Continue
    })?;
    for (table_id, snapshots) in by_table {
        let definition = &tables[&table_id];
        let pitr = definition.point_in_time_recovery.as_ref().expect("filtered");
        let start = window_start(pitr, now, day_seconds);
        let base = base_for(&snapshots, start).unwrap_or(&snapshots[0]).clone();
        doomed.extend(snapshots.into_iter().filter(|record| record.created < base.created));
        bases.insert(table_id, base);
    }
    doomed.retain(|record| !in_use.contains(&record.keyspace));
    let mut removed = 0;
    for record in doomed.iter().take(limit) {
        remove(tx, record)?;
        removed += 1;
    }
    let keep = |table_id: &str| -> change_log::KeepAfter {
        let unneeded = tables
            .get(table_id)
            .and_then(|definition| definition.point_in_time_recovery.as_ref())
            .map(|pitr| {
                // Before a first snapshot, the log since enabling is all there is.
                let enabled = change_log::stamp_at(pitr.enabled_at).saturating_sub(1);
                match bases.get(table_id) {
                    Some(base) => base.log_position.unwrap_or(enabled).max(enabled),
                    None => enabled,
                }
            });
        match (unneeded, replaying.get(table_id)) {
            (Some(unneeded), Some(from)) => Some(unneeded.min(*from)),
            (unneeded, from) => unneeded.or(from.copied()),
        }
    };
    removed += change_log::trim(tx, &keep, limit - removed)?;
    Ok(removed)
}

/// Starts the thread that snapshots and trims point-in-time recovery; it
/// stops when the writer does.
pub(crate) fn start(storage: Arc<dyn Storage>, catalog: Arc<Catalog>, writer: Arc<Writer>, settings: PitrSettings) {
    // Held weakly between ticks, so that a stopping server closes its store
    // (and checkpoints its log) without waiting for this thread.
    let storage = Arc::downgrade(&storage);
    let spawned = std::thread::Builder::new()
        .name("halyard-pitr".into())
        .spawn(move || loop {
            let Some(store) = storage.upgrade() else { return };
            // One node at a time snapshots and trims (several nodes over one store).
            if !store.hold_lease("point-in-time").unwrap_or(false) {
                drop(store);
                std::thread::sleep(settings.tick);
                continue;
            }
            if let Err(error) = snapshot_due(&store, &catalog, &writer, &settings) {
                tracing::warn!(%error, "point-in-time snapshot failed; retrying later");
            }
            drop(store);
            loop {
                let trim = Command::Backup(BackupCommand::TrimPointInTime {
                    now: crate::now_seconds(),
                    day_seconds: settings.day_seconds,
                    limit: TRIM_LIMIT,
                });
                match writer.submit_blocking(trim) {
                    // More is waiting: go on at once.
                    Ok(Outcome::Trimmed(removed)) if removed >= TRIM_LIMIT => continue,
                    Ok(_) | Err(crate::Error::OutOfSpace) => break,
                    Err(error) => {
                        tracing::info!(%error, "point-in-time recovery stopped");
                        return;
                    }
                }
            }
            std::thread::sleep(settings.tick);
        });
    if let Err(error) = spawned {
        tracing::error!(%error, "could not start point-in-time recovery");
    }
}

/// Snapshots the tables whose newest snapshot is missing or too old.
fn snapshot_due(storage: &Arc<dyn Storage>, catalog: &Catalog, writer: &Writer, settings: &PitrSettings) -> Result<()> {
    let now = crate::now_seconds();
    for table in catalog.current_tables() {
        let definition = &table.definition;
        if definition.point_in_time_recovery.is_none() {
            continue;
        }
        let newest = {
            let view = storage.snapshot()?;
            snapshots(&*view, definition)?.last().map(|record| record.created)
        };
        if newest.is_some_and(|created| now - created < settings.snapshot_interval.as_secs_f64()) {
            continue;
        }
        take_snapshot(storage, writer, definition);
    }
    Ok(())
}

/// Takes a point-in-time snapshot of the table now.
pub(crate) fn take_snapshot(storage: &Arc<dyn Storage>, writer: &Writer, definition: &TableDefinition) {
    let request = SnapshotRequest {
        table_name: definition.name.clone(),
        table_id: definition.id.clone(),
        backup_name: format!("{}-pitr", definition.name),
        kind: BackupKind::PointInTime,
    };
    snapshot::take(storage, writer, request, |begun| {
        if let Err(error) = begun {
            tracing::warn!(table = %definition.name, %error, "point-in-time snapshot not taken");
        }
    });
}

/// Takes the first snapshot of a table whose point-in-time recovery was
/// just enabled, on a thread of its own.
pub(crate) fn spawn_first_snapshot(storage: Arc<dyn Storage>, writer: Arc<Writer>, definition: TableDefinition) {
    let spawned = std::thread::Builder::new()
        .name("halyard-pitr-snapshot".into())
        .spawn(move || take_snapshot(&storage, &writer, &definition));
    if let Err(error) = spawned {
        tracing::error!(%error, "could not start a point-in-time snapshot");
    }
}
