//! Halyard's database engine: tables, items and the single ordered write path.
//!
//! Reads run on storage snapshots from a pool; every mutation is a
//! [`writer::Command`] applied in order by one writer thread that commits
//! batches of commands at once (group commit) and acknowledges each command
//! only after its batch is durable.

pub mod check;
pub mod error;
pub mod expression;
pub mod model;
pub mod operations;
pub mod partiql;

mod audit_scope;
mod backfill;
mod backups;
mod capacity;
mod catalog;
mod client_tokens;
mod cluster;
mod gauges;
mod indexes;
pub mod item_seal;
mod keys;
mod resource_policies;
pub mod streams;
mod table_arn;
mod table_keys;
mod table_settings;
mod time_to_live;
mod transfer;

mod store_backup;
mod system_writer;
mod writer;

use std::sync::Arc;
use std::time::{Duration, Instant};

use halyard_metrics::Metrics;

use halyard_storage::Storage;

pub use audit_scope::with_audit;
pub use backups::pitr::PitrSettings;
pub use backups::restore::RestoreOverrides;
pub use error::{Error, Result};
pub use halyard_storage::health::{HealthReport, WriteState};
pub use operations::*;
pub use table_arn::{is_arn, MAX_TABLE_ARN_LENGTH};
pub use table_keys::{KeyFuture, SseRequest, TableEncryption, TableKeys};
pub use transfer::{ItemChange, PointInTimeTable};

use catalog::Catalog;
use model::IndexStatus;
pub use streams::log::StreamSettings;
use streams::Streams;
use time_to_live::expirer::Expirer;
pub use time_to_live::expirer::ExpirerSettings;
use writer::Writer;

/// Settings that shape what the engine reports (ARNs).
#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub region: String,
    pub account_id: String,
    /// Largest item collection (a partition key's items and local index
    /// entries) in bytes: 10 GB in DynamoDB.
    pub item_collection_size_limit: i64,
    /// Whether provisioned throughput and on-demand maximums are enforced.
    pub throttling: bool,
    /// Stream retention and shard roll-over.
    pub streams: StreamSettings,
    /// How the TTL expirer paces its deletes.
    pub expirer: ExpirerSettings,
    /// After a Time to Live change, how long another is refused (DynamoDB:
    /// one hour).
    pub ttl_cooldown: Duration,
    /// After a resource policy change, how long another change of the same
    /// policy is refused (DynamoDB: 15 seconds).
    pub policy_cooldown: Duration,
    /// Where the engine records (write path, capacity, read waits).
    pub metrics: Arc<Metrics>,
    /// Point-in-time recovery's snapshots and retention.
    pub pitr: PitrSettings,
    /// Where exports write and imports read: each S3 bucket name is a
    /// directory below it.
    pub bucket_root: std::path::PathBuf,
    /// An S3-compatible endpoint that holds the buckets instead (none:
    /// directories below `bucket_root`).
    pub s3: Option<S3Settings>,
    /// A pause after each export data file and each import object (none;
    /// set only by tests that stop a server mid-job).
    pub transfer_pause: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            region: "us-east-1".into(),
            account_id: "000000000000".into(),
            item_collection_size_limit: 10 * 1024 * 1024 * 1024,
            throttling: true,
            streams: StreamSettings::default(),
            expirer: ExpirerSettings {
                interval: Duration::from_secs(10),
                batch_size: 100,
            },
            ttl_cooldown: Duration::from_secs(3600),
            policy_cooldown: Duration::from_secs(15),
            metrics: Arc::new(Metrics::default()),
            pitr: PitrSettings::default(),
            bucket_root: std::path::PathBuf::from("halyard-data/buckets"),
            s3: None,
            transfer_pause: Duration::ZERO,
        }
    }
}

/// An S3-compatible endpoint and the credentials its requests are signed
/// with (SigV4).
#[derive(Clone)]
pub struct S3Settings {
    /// `http(s)://host:port`.
    pub endpoint: String,
    pub region: String,
    /// Bucket in the path (`endpoint/bucket/key`) rather than in the host
    /// name (`bucket.endpoint/key`).
    pub path_style: bool,
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for S3Settings {
    // The secret stays out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("path_style", &self.path_style)
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// The database: one per storage.
pub struct Engine {
    storage: Arc<dyn Storage>,
    catalog: Arc<Catalog>,
    streams: Arc<Streams>,
    writer: Arc<Writer>,
    expirer: Expirer,
    throttle: capacity::Throttle,
    config: EngineConfig,
    inaccessible: table_keys::Inaccessible,
}

impl Engine {
    /// Loads the catalog from `storage` and starts the writer thread.
    pub fn open(storage: Arc<dyn Storage>, config: EngineConfig) -> Result<Engine> {
        let streams = Arc::new(Streams::load(&*storage)?);
        let catalog = Arc::new(Catalog::load(&storage, &streams)?);
        backups::prepare(&*storage)?;
        transfer::prepare(&*storage)?;
        let writer = Arc::new(Writer::start(
            storage.clone(),
            catalog.clone(),
            streams.clone(),
            &config,
        ));
        let expirer = Expirer::start(storage.clone(), catalog.clone(), writer.clone(), config.expirer);
        let engine = Engine {
            storage,
            catalog,
            streams,
            writer,
            expirer,
            throttle: capacity::Throttle::new(config.throttling, config.metrics.clone()),
            config,
            inaccessible: Default::default(),
        };
        engine.start_stream_trimmer();
        backups::pitr::start(
            engine.storage.clone(),
            engine.catalog.clone(),
            engine.writer.clone(),
            engine.config.pitr,
        );
        // Index backfills interrupted by a restart start over (copying is
        // idempotent).
        for table in engine.catalog.tables() {
            for index in table
                .definition
                .indexes
                .iter()
                .filter(|i| i.status == IndexStatus::Creating)
            {
                engine.start_backfill(&table.definition, &index.name);
            }
            // A restore interrupted by a restart runs its steps again.
            if table.definition.restoring() {
                backups::restore::spawn(engine.writer.clone(), &table.definition);
            }
            if table.definition.time_to_live.as_ref().is_some_and(|ttl| !ttl.indexed) {
                engine.start_expiry_backfill(&table.definition);
            }
        }
        Ok(engine)
    }

    /// Runs a read on a storage snapshot. Reads are short (a point read is
    /// microseconds, a page at most 1 MB), so they run on the calling task:
    /// a hop to a blocking thread would cost more than the read.
    async fn read<T>(&self, read: impl FnOnce(&dyn halyard_storage::ReadView) -> Result<T>) -> Result<T> {
        let metrics = &self.config.metrics;
        let started = metrics.enabled().then(Instant::now);
        let snapshot = self.storage.snapshot()?;
        if let Some(started) = started {
            metrics.snapshot_wait.observe_duration(started.elapsed());
        }
        read(&*snapshot)
    }

    /// The region named in ARNs and stream records.
    pub fn region(&self) -> &str {
        &self.config.region
    }

    /// The account named in ARNs.
    pub fn account_id(&self) -> &str {
        &self.config.account_id
    }

    /// The directory that S3 bucket names map into (exports and imports).
    pub fn bucket_root(&self) -> &std::path::Path {
        &self.config.bucket_root
    }

    /// The S3-compatible endpoint that holds the buckets, if one is set.
    pub fn s3_settings(&self) -> Option<&S3Settings> {
        self.config.s3.as_ref()
    }

    /// How long export and import jobs pause between files.
    pub fn transfer_pause(&self) -> Duration {
        self.config.transfer_pause
    }

    /// The length of a day of point-in-time recovery's clock, in seconds
    /// (86400; less in tests): incremental exports' period limits follow it.
    pub fn pitr_day_seconds(&self) -> f64 {
        self.config.pitr.day_seconds
    }

    /// The series the engine records into (shared with the server).
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.config.metrics
    }

    /// Whether the storage accepts writes, and why not.
    pub fn storage_health(&self) -> HealthReport {
        self.storage.health().report()
    }

    /// Stops accepting writes and waits for the writer to finish what it has.
    pub fn shutdown(&self) {
        self.expirer.stop();
        self.writer.shutdown();
    }
}

fn now_seconds() -> f64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    // DynamoDB reports times with millisecond precision.
    (now.as_millis() as f64) / 1000.0
}
