//! The mover: indexes committed management records, folds the spill files
//! into the queue when a log file is due, writes the queue into log files
//! with their digests in commit order, deletes what it moved, and trims the
//! index past the retention period. One task; every change of its state
//! goes through the writer, so a crash at any point leaves either the old
//! state (and the step is redone: a log file is re-written under the same
//! name) or the new one.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use halyard_storage::{StorageError, Visit};
use serde_json::Value;

use crate::digest::{self, ClosedFile};
use crate::index::{self, Position};
use crate::record::{iso8601, now_ms};
use crate::spill::{self, Summary};
use crate::store::{self, FlushCommand, TrailState, Writes, INDEX_KEYSPACE, KEYSPACE};
use crate::{entry, Audit};

/// Most queued entries indexed by one command.
const INDEX_CHUNK: usize = 1000;
/// Most expired records removed by one command.
const TRIM_CHUNK: usize = 1000;

/// Indexed records waiting for the current log file to close.
type Pending = Summary;

pub(crate) async fn run(audit: Arc<Audit>) {
    let mut state = None;
    let mut pending = Pending::default();
    let interval = audit.config.flush_interval.min(Duration::from_secs(1));
    loop {
        tokio::time::sleep(interval).await;
        // One node at a time moves the queue into its log files (several
        // nodes over one store); a node that took the lease over starts
        // from the state as stored.
        if !audit.storage.hold_lease("audit-mover").unwrap_or(false) {
            state = None;
            continue;
        }
        if let Err(error) = step(&audit, &mut state, &mut pending).await {
            tracing::warn!("audit trail mover: {error} (retrying)");
            // Re-read the state: the failed command may or may not have committed.
            state = None;
        }
    }
}

async fn step(audit: &Arc<Audit>, state: &mut Option<TrailState>, pending: &mut Pending) -> Result<(), String> {
    let current = match state.take() {
        Some(current) => current,
        None => {
            let current = {
                let snapshot = audit.storage.snapshot().map_err(|e| e.to_string())?;
                let current = store::read_state(&*snapshot).map_err(|e| e.to_string())?;
                *pending = Pending::default();
                scan_pending(&*snapshot, current.moved_through + 1, current.indexed_through, pending)
                    .map_err(|e| e.to_string())?;
                current
            };
            // A fold that failed may have committed: its files are queued.
            let spilled_through = current.spilled_through;
            audit
                .spill
                .lock()
                .await
                .files
                .retain(|file| file.number > spilled_through);
            current
        }
    };
    let mut current = index_all(audit, current, pending).await?;
    let mut waiting = *pending;
    waiting.merge(&audit.spill.lock().await.summary());
    let age_limit = audit.config.file_max_age.as_secs();
    let now = u64::try_from(now_ms() / 1000).unwrap_or(0);
    let due = waiting.bytes >= audit.config.file_max_bytes
        || waiting
            .oldest
            .is_some_and(|oldest| now.saturating_sub(oldest) >= age_limit);
    if waiting.records > 0 && due {
        current = fold_spill(audit, current).await?;
        current = index_all(audit, current, pending).await?;
        current = close_file(audit, current, pending).await?;
    }
    trim(audit, now).await?;
    *state = Some(current);
    Ok(())
}

/// Indexes every queued entry not yet indexed.
async fn index_all(audit: &Arc<Audit>, mut state: TrailState, pending: &mut Pending) -> Result<TrailState, String> {
    loop {
        let (next, full) = index_chunk(audit, &state, pending).await?;
        state = next;
        if !full {
            return Ok(state);
        }
    }
}

/// Queues the records of every spill file as one entry, with the state
/// saying they are queued, then removes the files.
async fn fold_spill(audit: &Arc<Audit>, state: TrailState) -> Result<TrailState, String> {
    let mut spill = audit.spill.lock().await;
    let Some(last) = spill.files.last().map(|file| file.number) else {
        return Ok(state);
    };
    let numbers: Vec<u64> = spill.files.iter().map(|file| file.number).collect();
    let (dir, sealing) = (audit.config.dir.clone(), audit.config.sealing.clone());
    let encoded = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<u8>> {
        let mut lines = Vec::new();
        for number in numbers {
            lines.extend_from_slice(&spill::read(&dir, sealing.as_ref(), number)?);
        }
        Ok(entry::encode(&lines))
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| format!("cannot read audit spill files: {e}"))?;
    let mut next = state;
    next.spilled_through = last;
    let command = FlushCommand {
        entry: encoded,
        // Counted in the backlog when they were spilled.
        count: 0,
        state: Some(next.clone()),
        counters: audit.counters.clone(),
    };
    audit
        .writer
        .submit(Arc::new(command))
        .await
        .map_err(|e| e.to_string())?;
    let folded = std::mem::take(&mut spill.files);
    let dir = audit.config.dir.clone();
    // Queued now: a file left by a failure here is removed at the next start.
    tokio::task::spawn_blocking(move || {
        for file in folded {
            if let Err(error) = spill::remove(&dir, file.number) {
                tracing::warn!("cannot remove a folded audit spill file: {error}");
            }
        }
    })
    .await
    .map_err(|e| e.to_string())?;
    Ok(next)
}

/// Counts the records in `from..=through` into `pending`.
fn scan_pending(
    view: &dyn halyard_storage::ReadView,
    from: u64,
    through: u64,
    pending: &mut Pending,
) -> halyard_storage::Result<()> {
    store::scan_queue(view, from, &mut |sequence, entry| {
        if sequence > through {
            return Visit::Stop;
        }
        for line in lines(entry) {
            pending.add(line);
        }
        Visit::Continue
    })
}

fn lines(entry: &[u8]) -> impl Iterator<Item = &[u8]> {
    entry.split(|b| *b == b'\n').filter(|line| !line.is_empty())
}

/// Indexes the next chunk of queued entries; says whether there may be more.
async fn index_chunk(
    audit: &Arc<Audit>,
    state: &TrailState,
    pending: &mut Pending,
) -> Result<(TrailState, bool), String> {
    let mut writes = Writes::default();
    let mut last = state.indexed_through;
    let mut entries = 0;
    {
        let snapshot = audit.storage.snapshot().map_err(|e| e.to_string())?;
        store::scan_queue(&*snapshot, state.indexed_through + 1, &mut |sequence, entry| {
            for (line_number, line) in lines(entry).enumerate() {
                pending.add(line);
                if index::is_data_line(line) {
                    continue;
                }
                let Ok(record) = serde_json::from_slice::<Value>(line) else {
                    continue;
                };
                let position = Position {
                    time: index::event_time(&record),
                    sequence,
                    line: line_number as u32,
                };
                index::add(&mut writes, position, &record, line);
            }
            last = sequence;
            entries += 1;
            if entries >= INDEX_CHUNK {
                Visit::Stop
            } else {
                Visit::Continue
            }
        })
        .map_err(|e| e.to_string())?;
    }
    if entries == 0 {
        return Ok((state.clone(), false));
    }
    let mut next = state.clone();
    next.indexed_through = last;
    writes.put_state(&next);
    audit.writer.submit(Arc::new(writes)).await.map_err(|e| e.to_string())?;
    Ok((next, entries >= INDEX_CHUNK))
}

/// Writes the indexed records waiting into a log file with its digest,
/// then records the move and deletes them from the queue.
async fn close_file(audit: &Arc<Audit>, state: TrailState, pending: &mut Pending) -> Result<TrailState, String> {
    let max_bytes = audit.config.file_max_bytes;
    let mut content = Vec::with_capacity(pending.bytes.min(max_bytes) + 64);
    content.extend_from_slice(b"{\"Records\":[");
    let (mut first, mut last) = (None, state.moved_through);
    let (mut oldest, mut newest) = (u64::MAX, 0);
    let mut records = 0u64;
    let mut keys = Vec::new();
    {
        let snapshot = audit.storage.snapshot().map_err(|e| e.to_string())?;
        store::scan_queue(&*snapshot, state.moved_through + 1, &mut |sequence, entry| {
            if sequence > state.indexed_through || (records > 0 && content.len() >= max_bytes) {
                return Visit::Stop;
            }
            for line in lines(entry) {
                if records > 0 {
                    content.push(b',');
                }
                content.extend_from_slice(line);
                records += 1;
                let time = index::line_time(line);
                oldest = oldest.min(time);
                newest = newest.max(time);
            }
            first.get_or_insert(sequence);
            last = sequence;
            keys.push(store::queue_key(sequence).to_vec());
            Visit::Continue
        })
        .map_err(|e| e.to_string())?;
    }
    let Some(first) = first else {
        return Ok(state);
    };
    content.extend_from_slice(b"]}");
    let dir = audit.config.dir.clone();
    let account = audit.config.account_id.clone();
    let region = audit.config.region.clone();
    let previous = state.chain.clone();
    let oldest_time = iso8601(oldest as i64 * 1000);
    let newest_time = iso8601(newest as i64 * 1000);
    let audit_for_write = audit.clone();
    let head = tokio::task::spawn_blocking(move || {
        let file = ClosedFile {
            account: &account,
            region: &region,
            content: &content,
            first_sequence: first,
            last_sequence: last,
            oldest_event_time: &oldest_time,
            newest_event_time: &newest_time,
        };
        digest::write_chained(
            &dir,
            audit_for_write.config.sealing.as_ref(),
            &audit_for_write.key,
            &file,
            previous.as_ref(),
            &iso8601(now_ms()),
        )
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| format!("cannot write audit log file: {e}"))?;
    let mut next = state.clone();
    next.moved_through = last;
    next.chain = Some(head);
    let mut writes = Writes::default();
    for key in keys {
        writes.delete(KEYSPACE, key);
    }
    writes.put_state(&next);
    audit.writer.submit(Arc::new(writes)).await.map_err(|e| e.to_string())?;
    audit.counters.backlog.fetch_sub(
        records.min(audit.counters.backlog.load(Ordering::Relaxed)),
        Ordering::Relaxed,
    );
    // What is still waiting: the records indexed after this file's last.
    *pending = Pending::default();
    let snapshot = audit.storage.snapshot().map_err(|e| e.to_string())?;
    scan_pending(&*snapshot, last + 1, next.indexed_through, pending).map_err(|e| e.to_string())?;
    Ok(next)
}

/// Removes index entries of records older than the retention period.
async fn trim(audit: &Arc<Audit>, now: u64) -> Result<(), String> {
    let before = now.saturating_sub(audit.config.retention.as_secs());
    let expired = {
        let snapshot = audit.storage.snapshot().map_err(|e: StorageError| e.to_string())?;
        index::oldest(&*snapshot, before, TRIM_CHUNK).map_err(|e| e.to_string())?
    };
    if expired.is_empty() {
        return Ok(());
    }
    let mut writes = Writes::default();
    for (position, record) in &expired {
        index::remove(&mut writes, *position, record);
    }
    debug_assert!(writes.deletes.iter().all(|(keyspace, _)| *keyspace == INDEX_KEYSPACE));
    audit.writer.submit(Arc::new(writes)).await.map_err(|e| e.to_string())
}
