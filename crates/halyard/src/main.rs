//! The `halyard` binary: wires storage, engine and server together.

mod audit_cli;
mod backup;
mod check;
mod encryption;
mod metrics_args;
mod rekey;
mod root_credentials;
mod s3_args;
mod tls;

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use halyard_engine::{Engine, EngineConfig, ExpirerSettings, PitrSettings, StreamSettings};
use halyard_iam::directory::{Directory, RootCredentials};
use halyard_server::listener::ConnectionLimits;
use halyard_server::security::{AuthMode, Security};
use halyard_server::{BodyLimits, CorsOrigins};
use halyard_storage::postgres::{NodeOptions, PostgresOptions, PostgresStorage};
use halyard_storage::sqlite::{Durability, SqliteOptions};

/// Every request allocates and frees many small blocks (JSON values,
/// attribute maps, buffers) across threads; mimalloc serves them with less
/// CPU than glibc's malloc, which the profile showed at several percent.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "halyard", version, about = "A self-hosted, DynamoDB-compatible database")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the DynamoDB API (the default).
    Serve(Box<ServeArgs>),
    /// Verify a data directory: SQLite's integrity check and Halyard's own
    /// invariants (index entries, counters, item collection sizes). Exits
    /// 0 when clean, 1 when problems were found, 2 when it could not check.
    Check(check::CheckCommand),
    /// The audit trail of a stopped server's data directory: `verify` its
    /// log files against their signed digest chain, or `query` its records.
    Audit(audit_cli::AuditArgs),
    /// Offline, on a stopped server's data directory: change the database
    /// key (re-encrypting the database; a plaintext one is encrypted), or
    /// with --rotate-service-key rotate the service key, or re-wrap the
    /// keyring under a new root key. Crash-safe at any point.
    Rekey(rekey::RekeyArgs),
    /// Copy the whole server (online with --endpoint, or a stopped server's
    /// data directory) into a new directory, checked for integrity.
    Backup(backup::BackupArgs),
    /// Make a new data directory from a `halyard backup` directory, then
    /// reopen and check it.
    Restore(backup::RestoreArgs),
}

#[derive(clap::Args, Clone)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "HALYARD_LISTEN", default_value = "127.0.0.1:8000")]
    listen: SocketAddr,
    /// Directory holding the data (created if missing). With PostgreSQL
    /// storage, it holds only the node's own files (root credentials, TLS).
    #[arg(long, env = "HALYARD_DATA_DIR", default_value = "./halyard-data")]
    data_dir: PathBuf,
    /// Where tables live: `sqlite` (a database file in the data directory)
    /// or a PostgreSQL connection URL, `postgres://USER[:PASSWORD]@HOST[:PORT][,HOST...]/DATABASE`
    /// (libpq's parameters apply, e.g. `?target_session_attrs=read-write`).
    #[arg(long, env = "HALYARD_STORAGE", default_value = "sqlite", hide_env_values = true)]
    storage: StorageArg,
    /// With PostgreSQL storage, every node serves the database; each
    /// background task (TTL expiry, stream trimming, point-in-time
    /// snapshots) runs on one node at a time, the holder of its lease,
    /// renewed every second: another node takes it over this many seconds
    /// after the holder died.
    #[arg(long, env = "HALYARD_NODE_LEASE", default_value = "10", value_parser = seconds)]
    node_lease: Duration,
    /// Keep data in a temporary directory that is deleted on exit.
    #[arg(long, env = "HALYARD_IN_MEMORY", conflicts_with = "data_dir")]
    in_memory: bool,
    /// full: every acknowledged write survives power loss (fsync before
    /// acknowledging). relaxed: survives a crash of Halyard, but the last
    /// few milliseconds of writes may be lost on power loss.
    #[arg(long, env = "HALYARD_DURABILITY", value_enum, default_value = "full")]
    durability: DurabilityArg,
    /// Region named in table ARNs.
    #[arg(long, env = "HALYARD_REGION", default_value = "us-east-1")]
    region: String,
    /// Largest item collection (a partition key's items and local index
    /// entries), in bytes. DynamoDB's limit, 10 GB, is the default.
    #[arg(long, env = "HALYARD_ITEM_COLLECTION_SIZE_LIMIT", default_value_t = 10 * 1024 * 1024 * 1024)]
    item_collection_size_limit: i64,
    /// Origins whose web pages may call the server (CORS): `*` (any, as
    /// DynamoDB allows), a comma-separated list such as
    /// `https://app.example.com,http://localhost:3000`, or `none`.
    #[arg(long, env = "HALYARD_CORS_ORIGINS", default_value = "*")]
    cors_origins: CorsOrigins,
    /// `on`: provisioned throughput and on-demand maximums are enforced, as
    /// in DynamoDB. `off`: nothing is throttled (for tests).
    #[arg(long, env = "HALYARD_THROTTLING", value_enum, default_value = "on")]
    throttling: Switch,
    /// `on`: the web console is served at `/console/` (sign in with an
    /// access key). `off`: it is not served.
    #[arg(long, env = "HALYARD_CONSOLE", value_enum, default_value = "on")]
    console: Switch,
    /// Seconds a stream record is kept (DynamoDB: 24 hours).
    #[arg(long, env = "HALYARD_STREAM_RETENTION", default_value = "86400", value_parser = seconds)]
    stream_retention: Duration,
    /// Seconds after which a table with point-in-time recovery gets a new
    /// snapshot (a restore replays at most this much of its change log).
    #[arg(long, env = "HALYARD_PITR_SNAPSHOT_INTERVAL", default_value = "3600", value_parser = seconds)]
    pitr_snapshot_interval: Duration,
    /// Seconds in a day of a point-in-time recovery period (86400; shorter
    /// only to test retention).
    #[arg(long, env = "HALYARD_PITR_DAY", default_value = "86400", value_parser = seconds, hide = true)]
    pitr_day: Duration,
    /// Directory that exports write to and imports read from: the S3
    /// bucket named in a request is the subdirectory of that name (created
    /// by the operator; a missing one fails the job with S3NoSuchBucket).
    /// Default: `<data-dir>/buckets`.
    #[arg(long, env = "HALYARD_BUCKET_ROOT")]
    bucket_root: Option<PathBuf>,
    /// Seconds export and import jobs pause after each file (for tests
    /// that stop a server while a job runs).
    #[arg(long, env = "HALYARD_TRANSFER_PAUSE", value_parser = seconds, hide = true)]
    transfer_pause: Option<Duration>,
    /// Seconds after which a stream's open shard is closed and a child
    /// shard opened (DynamoDB's roll over about every 4 hours).
    #[arg(long, env = "HALYARD_STREAM_SHARD_INTERVAL", default_value = "14400", value_parser = seconds)]
    stream_shard_interval: Duration,
    /// Seconds after a resource policy change during which another change
    /// of that policy is refused (DynamoDB: 15).
    #[arg(long, env = "HALYARD_POLICY_COOLDOWN", default_value = "15", value_parser = seconds)]
    policy_cooldown: Duration,
    #[command(flatten)]
    time_to_live: TimeToLiveArgs,
    #[command(flatten)]
    connections: ConnectionArgs,
    #[command(flatten)]
    tls: tls::TlsArgs,
    #[command(flatten)]
    auth: AuthArgs,
    #[command(flatten)]
    audit: audit_cli::TrailArgs,
    #[command(flatten)]
    metrics: metrics_args::MetricsArgs,
    #[command(flatten)]
    encryption: encryption::EncryptionArgs,
    #[command(flatten)]
    s3: s3_args::S3Args,
    /// MiB of database pages each connection keeps decoded in memory (a
    /// writer, a checkpointer and up to 8 readers). An encrypted page read
    /// from the file is decrypted and authenticated; a cached one is not.
    #[arg(long, env = "HALYARD_PAGE_CACHE_MIB", default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=65536))]
    page_cache_mib: u64,
}

#[derive(clap::Args, Clone)]
struct AuthArgs {
    /// `sigv4`: every request must be signed (AWS Signature Version 4) with
    /// a key Halyard knows and is authorised by IAM policies. `off`: any
    /// credentials are accepted and act as the account's root, as with
    /// DynamoDB Local — for local development only.
    #[arg(long, env = "HALYARD_AUTH", value_enum, default_value = "sigv4")]
    auth: AuthArg,
    /// The root access key id (with HALYARD_ROOT_SECRET_ACCESS_KEY). When
    /// neither is set, a key pair is generated at first start into
    /// `<data-dir>/credentials`.
    #[arg(long, env = "HALYARD_ROOT_ACCESS_KEY_ID", hide_env_values = true)]
    root_access_key_id: Option<String>,
    /// Only from the environment: a secret does not belong on a command line.
    #[arg(skip = std::env::var("HALYARD_ROOT_SECRET_ACCESS_KEY").ok())]
    root_secret_access_key: Option<String>,
    /// The account id in ARNs.
    #[arg(long, env = "HALYARD_ACCOUNT_ID", default_value = "000000000000")]
    account_id: String,
    /// For tests: the shortest STS session (DurationSeconds) issued, below
    /// STS's 900 s, so that a test can watch credentials expire.
    #[arg(long, hide = true, default_value_t = 900, value_parser = clap::value_parser!(i64).range(1..=900))]
    sts_min_duration_seconds: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum AuthArg {
    Sigv4,
    Off,
}

#[derive(clap::Args, Clone)]
struct TimeToLiveArgs {
    /// Seconds between the Time to Live expirer's looks for expired items.
    #[arg(long, env = "HALYARD_TTL_INTERVAL", default_value = "10", value_parser = seconds)]
    ttl_interval: Duration,
    /// Most expired items deleted by one write command (a larger batch
    /// deletes faster; a smaller one delays foreground writes less).
    #[arg(long, env = "HALYARD_TTL_BATCH_SIZE", default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=10_000))]
    ttl_batch_size: u32,
    /// Seconds after a Time to Live change during which another is refused
    /// (DynamoDB: one hour).
    #[arg(long, env = "HALYARD_TTL_COOLDOWN", default_value = "3600", value_parser = seconds)]
    ttl_cooldown: Duration,
}

#[derive(clap::Args, Clone)]
struct ConnectionArgs {
    /// Most client connections open at once (fewer if the file descriptor
    /// limit is lower). When full, idle connections are closed first.
    #[arg(long, env = "HALYARD_MAX_CONNECTIONS", default_value_t = 1024)]
    max_connections: usize,
    /// Seconds a client may take to send a request's headers (and, over
    /// TLS, to complete its handshake).
    #[arg(long, env = "HALYARD_HEADER_TIMEOUT", default_value = "10", value_parser = seconds)]
    header_timeout: Duration,
    /// Seconds a client may take to send a request's body (and to read the
    /// response).
    #[arg(long, env = "HALYARD_BODY_TIMEOUT", default_value = "60", value_parser = seconds)]
    body_timeout: Duration,
    /// Seconds an idle keep-alive connection is kept open.
    #[arg(long, env = "HALYARD_IDLE_TIMEOUT", default_value = "60", value_parser = seconds)]
    idle_timeout: Duration,
    /// MiB of request bodies held at once, across all connections; further
    /// requests wait for their share.
    #[arg(long, env = "HALYARD_BODY_MEMORY_MIB", default_value_t = 256)]
    body_memory_mib: usize,
}

impl ConnectionArgs {
    fn limits(&self) -> ConnectionLimits {
        ConnectionLimits {
            max_connections: self.max_connections,
            header_timeout: self.header_timeout,
            idle_timeout: self.idle_timeout,
            body: BodyLimits::new(self.body_timeout, self.body_memory_mib.saturating_mul(1024 * 1024)),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Switch {
    On,
    Off,
}

fn seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text.parse().map_err(|e| format!("{e}"))?;
    match Duration::try_from_secs_f64(seconds) {
        Ok(duration) if !duration.is_zero() => Ok(duration),
        _ => Err("must be a positive number of seconds".to_string()),
    }
}

/// The `--storage` choice.
#[derive(Clone)]
enum StorageArg {
    Sqlite,
    Postgres(String),
}

impl std::str::FromStr for StorageArg {
    type Err = String;
    fn from_str(value: &str) -> Result<Self, String> {
        if value == "sqlite" {
            Ok(StorageArg::Sqlite)
        } else if value.starts_with("postgres://") || value.starts_with("postgresql://") {
            Ok(StorageArg::Postgres(value.to_string()))
        } else {
            Err("must be `sqlite` or a postgres:// URL".to_string())
        }
    }
}

#[derive(ValueEnum, Clone, Copy)]
enum DurabilityArg {
    Full,
    Relaxed,
}

fn main() -> ExitCode {
    // Nothing Halyard writes is for other users. Its own files get 0700 and
    // 0600 explicitly (halyard_storage::private_files, also for library
    // users); the umask covers whatever a library creates with a default
    // mode of its own, and any file added later without the explicit mode.
    // SAFETY: umask only swaps the process's mask; it has no failure mode
    // and touches no memory.
    unsafe {
        libc::umask(0o077);
    }
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("HALYARD_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        // Colours only for a person watching: not in files or pipes.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let cli = Cli::parse();
    let args = match cli.command {
        Some(Command::Serve(args)) => *args,
        Some(Command::Check(args)) => return check::run(args),
        Some(Command::Audit(args)) => return audit_cli::run(args),
        Some(Command::Rekey(args)) => return rekey::run(args),
        Some(Command::Backup(args)) => return backup::run_backup(args),
        Some(Command::Restore(args)) => return backup::run_restore(args),
        None => cli.serve,
    };
    match serve(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("halyard: {message}");
            ExitCode::FAILURE
        }
    }
}

fn serve(args: ServeArgs) -> Result<(), String> {
    // Kept alive until the server stops; deleted on drop.
    let temporary = if args.in_memory {
        Some(
            tempfile::Builder::new()
                .prefix("halyard-")
                .tempdir()
                .map_err(|e| e.to_string())?,
        )
    } else {
        None
    };
    let (data_dir, durability) = match &temporary {
        Some(dir) => (dir.path().to_path_buf(), Durability::None),
        None => (
            args.data_dir.clone(),
            match args.durability {
                DurabilityArg::Full => Durability::Full,
                DurabilityArg::Relaxed => Durability::Relaxed,
            },
        ),
    };
    let (storage, encryption): (Arc<dyn halyard_storage::Storage>, _) = match &args.storage {
        StorageArg::Sqlite => {
            let (storage, encryption) = encryption::open_store(
                &args.encryption,
                &data_dir,
                SqliteOptions {
                    durability,
                    page_cache_bytes: args.page_cache_mib * 1024 * 1024,
                    ..Default::default()
                },
                temporary.is_some(),
            )
            .map_err(|e| e.to_string())?;
            encryption::announce(&encryption);
            (Arc::new(storage), encryption)
        }
        StorageArg::Postgres(_) if temporary.is_some() => {
            return Err("--in-memory keeps tables in SQLite: it cannot be combined with PostgreSQL storage".into())
        }
        StorageArg::Postgres(_) if args.encryption.is_on() => return Err(encryption::POSTGRES_REFUSAL.into()),
        StorageArg::Postgres(url) => {
            halyard_storage::private_files::create_dir_all(&data_dir).map_err(|e| e.to_string())?;
            let options = PostgresOptions {
                node: Some(NodeOptions {
                    dir: data_dir.clone(),
                    lease: args.node_lease,
                }),
                ..Default::default()
            };
            let storage = PostgresStorage::open(url, options).map_err(|e| e.to_string())?;
            tracing::warn!("{}", encryption::POSTGRES_AT_REST);
            (Arc::new(storage), encryption::Encryption::Off)
        }
    };
    // After the storage has accepted the directory as Halyard's own.
    let (root, root_source) = root_credentials::load(
        &data_dir,
        args.auth.root_access_key_id.clone(),
        args.auth.root_secret_access_key.clone(),
    )?;
    let tls = args.tls.load(&data_dir)?;
    let metrics_access = match args.metrics.enabled() {
        true => Some(args.metrics.access(&data_dir)?),
        false => None,
    };
    let scheme = if tls.is_some() { "https" } else { "http" };

    let engine = Arc::new(
        Engine::open(
            storage.clone(),
            EngineConfig {
                region: args.region.clone(),
                item_collection_size_limit: args.item_collection_size_limit,
                throttling: args.throttling == Switch::On,
                streams: StreamSettings {
                    retention: args.stream_retention.as_secs_f64(),
                    shard_interval: args.stream_shard_interval.as_secs_f64(),
                },
                expirer: ExpirerSettings {
                    interval: args.time_to_live.ttl_interval,
                    batch_size: args.time_to_live.ttl_batch_size as usize,
                },
                ttl_cooldown: args.time_to_live.ttl_cooldown,
                account_id: args.auth.account_id.clone(),
                policy_cooldown: args.policy_cooldown,
                metrics: Arc::new(halyard_metrics::Metrics::new(args.metrics.enabled())),
                pitr: PitrSettings {
                    snapshot_interval: args.pitr_snapshot_interval,
                    tick: args
                        .pitr_snapshot_interval
                        .clamp(Duration::from_secs(1), Duration::from_secs(10)),
                    day_seconds: args.pitr_day.as_secs_f64(),
                },
                bucket_root: args.bucket_root.clone().unwrap_or_else(|| data_dir.join("buckets")),
                s3: args.s3.settings()?,
                transfer_pause: args.transfer_pause.unwrap_or_default(),
            },
        )
        .map_err(|e| e.to_string())?,
    );
    // Exports and imports a restart interrupted start again.
    halyard_protocol::transfer::resume(&engine);

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        // Expression parsing recurses (to a bounded depth that fits in 1 MiB
        // in tests); leave a wide margin.
        .thread_stack_size(8 * 1024 * 1024)
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let directory = Directory::open(&*storage, engine.clone(), &args.auth.account_id, root.clone())
            .await
            .map_err(|e| format!("cannot load identities: {e}"))?;
        directory.set_min_session_duration(args.auth.sts_min_duration_seconds);
        // Expired STS sessions leave the directory a bounded number at a time.
        let sweeper = directory.clone();
        tokio::spawn(async move {
            let mut every_minute = tokio::time::interval(Duration::from_secs(60));
            loop {
                every_minute.tick().await;
                if let Err(error) = sweeper.sweep_expired_sessions(1000).await {
                    tracing::warn!("cannot remove expired STS sessions: {error}");
                }
            }
        });
        let keys = halyard_kms::key_store::KeyStore::open(
            &*storage,
            engine.clone(),
            &args.region,
            &args.auth.account_id,
            encryption::key_service_root(&encryption, &args.encryption, &data_dir, temporary.is_some())?,
        )
        .await
        .map_err(|e| format!("cannot load KMS keys: {e}"))?;
        let table_keys = Arc::new(halyard_kms::table_keys::DynamoDbKeys::new(&keys));
        engine.set_table_keys(table_keys.clone());
        let unsealable = keys.unsealable_keys();
        if unsealable > 0 {
            tracing::warn!("{unsealable} KMS keys were sealed by another root key and cannot be used");
        }
        // Keys past their deletion date are deleted, and keys due for
        // automatic rotation rotated, within a minute.
        let maintainer = keys.clone();
        tokio::spawn(async move {
            let mut every_minute = tokio::time::interval(Duration::from_secs(60));
            loop {
                every_minute.tick().await;
                if let Err(error) = maintainer.maintain().await {
                    tracing::warn!("cannot delete or rotate due KMS keys: {error}");
                }
            }
        });
        let auth_mode = match args.auth.auth {
            AuthArg::Sigv4 => AuthMode::SigV4,
            AuthArg::Off => AuthMode::Off,
        };
        announce_credentials(auth_mode, &root, &root_source, &data_dir, temporary.is_some());
        let audit = halyard_audit::Audit::open(
            storage.clone(),
            engine.clone(),
            halyard_audit::AuditConfig {
                sealing: encryption.file_keys(),
                ..args.audit.config(&data_dir, &args.auth.account_id, &args.region)
            },
        )
        .await
        .map_err(|e| format!("cannot open the audit trail: {e}"))?;
        audit.start();
        // DynamoDB's own uses of tables' KMS keys are KMS events of the trail.
        let trail = Arc::downgrade(&audit);
        table_keys.record_uses_with(Box::new(move |operation, key_arn, table| {
            if let Some(audit) = trail.upgrade() {
                audit.record(&halyard_audit::service_event::dynamodb_key_use(
                    audit.config(),
                    operation,
                    key_arn,
                    table,
                ));
            }
        }));
        // Weak: the metrics must not keep the trail (and its store) open.
        let backlog = Arc::downgrade(&audit);
        engine
            .metrics()
            .set_audit_backlog(Box::new(move || backlog.upgrade().map_or(0, |audit| audit.backlog())));
        let security = Security::new(auth_mode, directory);
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
        let mode = match (&temporary, durability) {
            _ if matches!(args.storage, StorageArg::Postgres(_)) => "PostgreSQL".to_string(),
            (Some(_), _) => "in-memory (temporary directory)".to_string(),
            (None, Durability::Full) => format!("{} (durability: full)", data_dir.display()),
            (None, _) => format!(
                "{} (durability: relaxed — the last few ms of writes may be lost on power loss)",
                data_dir.display()
            ),
        };
        let address = listener.local_addr().map_err(|e| e.to_string())?;
        tracing::info!("Halyard listening on {scheme}://{address} with data in {mode}");
        if args.console == Switch::On {
            tracing::info!("web console at {scheme}://{address}/console/");
        }
        let scrape = metrics_access.map(|access| {
            Arc::new(halyard_server::metrics::Scrape {
                engine: engine.clone(),
                access,
            })
        });
        let metrics_listener = match (&scrape, args.metrics.metrics_listen) {
            (Some(scrape), Some(address)) => {
                let listener = tokio::net::TcpListener::bind(address)
                    .await
                    .map_err(|e| format!("cannot listen on {address} for metrics: {e}"))?;
                tracing::info!(
                    "metrics on {scheme}://{}/metrics",
                    listener.local_addr().map_err(|e| e.to_string())?
                );
                Some((listener, halyard_server::metrics::metrics_router(scrape.clone())))
            }
            _ => None,
        };
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let stopping = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        };
        tokio::spawn(async move {
            shutdown_signal().await;
            let _ = stop.send(true);
        });
        let main = halyard_server::listener::serve(
            listener,
            halyard_server::router(
                engine.clone(),
                security,
                keys,
                args.cors_origins.clone(),
                audit.clone(),
                scrape,
                (args.console == Switch::On).then(Default::default),
            ),
            args.connections.limits(),
            tls.clone(),
            stopping(stopped.clone()),
        );
        let metrics = async {
            if let Some((listener, router)) = metrics_listener {
                halyard_server::listener::serve(listener, router, args.connections.limits(), tls, stopping(stopped))
                    .await;
            }
        };
        tokio::join!(main, metrics);
        // The last reads' and failures' records, before the writer stops.
        if let Err(error) = audit.flush().await {
            tracing::error!("cannot commit the last audit records: {error}");
        }
        Ok::<(), String>(())
    })?;
    // Every acknowledged write is already committed; this drains the queue.
    engine.shutdown();
    tracing::info!("Halyard stopped");
    Ok(())
}

/// One line on how clients authenticate. A generated secret is shown once,
/// on stdout (not in the log): it is also in the credentials file.
fn announce_credentials(
    mode: AuthMode,
    root: &RootCredentials,
    source: &root_credentials::Source,
    data_dir: &std::path::Path,
    in_memory: bool,
) {
    if mode == AuthMode::Off {
        tracing::warn!(
            "authentication is OFF (--auth off): anyone who can reach this port can read and change everything"
        );
        return;
    }
    let file = data_dir.join(root_credentials::FILE_NAME);
    match source {
        root_credentials::Source::Environment => tracing::info!(
            access_key_id = %root.access_key_id,
            "SigV4 authentication on; root credentials from HALYARD_ROOT_ACCESS_KEY_ID/HALYARD_ROOT_SECRET_ACCESS_KEY"
        ),
        root_credentials::Source::File => tracing::info!(
            access_key_id = %root.access_key_id,
            "SigV4 authentication on; root credentials in {} (AWS_SHARED_CREDENTIALS_FILE={0})",
            file.display()
        ),
        root_credentials::Source::Generated => {
            // The secret is shown to a person at a terminal, once; never
            // to a file or pipe, where it would become a secret in a log.
            if std::io::stdout().is_terminal() {
                println!(
                    "Halyard generated root credentials{}:\n  aws_access_key_id = {}\n  aws_secret_access_key = {}\n\
                     They are saved in {} (mode 0600): AWS_SHARED_CREDENTIALS_FILE={3} aws dynamodb list-tables --endpoint-url http://...",
                    if in_memory { " for this in-memory run" } else { "" },
                    root.access_key_id,
                    root.secret_access_key.expose(),
                    file.display()
                );
            }
            tracing::info!(
                access_key_id = %root.access_key_id,
                "SigV4 authentication on; root credentials generated into {} (AWS_SHARED_CREDENTIALS_FILE={0})",
                file.display()
            );
        }
    }
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    let mut terminate =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("install SIGTERM handler");
    tokio::select! {
        _ = interrupt => {}
        _ = terminate.recv() => {}
    }
    tracing::info!("shutting down");
}
