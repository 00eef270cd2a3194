//! The `halyard` binary: wires storage, engine and server together.

mod check;
mod root_credentials;
mod tls;

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use halyard_engine::{Engine, EngineConfig, ExpirerSettings, StreamSettings};
use halyard_iam::directory::{Directory, RootCredentials};
use halyard_server::listener::ConnectionLimits;
use halyard_server::security::{AuthMode, Security};
use halyard_server::{BodyLimits, CorsOrigins};
use halyard_storage::postgres::{PostgresOptions, PostgresStorage};
use halyard_storage::sqlite::{Durability, SqliteOptions, SqliteStorage};

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
    Check(check::CheckArgs),
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
    /// Seconds a stream record is kept (DynamoDB: 24 hours).
    #[arg(long, env = "HALYARD_STREAM_RETENTION", default_value = "86400", value_parser = seconds)]
    stream_retention: Duration,
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
enum Switch {
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
    let storage: Arc<dyn halyard_storage::Storage> = match &args.storage {
        StorageArg::Sqlite => Arc::new(
            SqliteStorage::open(
                &data_dir,
                SqliteOptions {
                    durability,
                    ..Default::default()
                },
            )
            .map_err(|e| e.to_string())?,
        ),
        StorageArg::Postgres(_) if temporary.is_some() => {
            return Err("--in-memory keeps tables in SQLite: it cannot be combined with PostgreSQL storage".into())
        }
        StorageArg::Postgres(url) => {
            halyard_storage::private_files::create_dir_all(&data_dir).map_err(|e| e.to_string())?;
            Arc::new(PostgresStorage::open(url, PostgresOptions::default()).map_err(|e| e.to_string())?)
        }
    };
    // After the storage has accepted the directory as Halyard's own.
    let (root, root_source) = root_credentials::load(
        &data_dir,
        args.auth.root_access_key_id.clone(),
        args.auth.root_secret_access_key.clone(),
    )?;
    let tls = args.tls.load(&data_dir)?;
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
            },
        )
        .map_err(|e| e.to_string())?,
    );

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
        let auth_mode = match args.auth.auth {
            AuthArg::Sigv4 => AuthMode::SigV4,
            AuthArg::Off => AuthMode::Off,
        };
        announce_credentials(auth_mode, &root, &root_source, &data_dir, temporary.is_some());
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
        tracing::info!(
            "Halyard listening on {scheme}://{} with data in {mode}",
            listener.local_addr().map_err(|e| e.to_string())?
        );
        halyard_server::listener::serve(
            listener,
            halyard_server::router(engine.clone(), security, args.cors_origins.clone()),
            args.connections.limits(),
            tls,
            shutdown_signal(),
        )
        .await;
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
