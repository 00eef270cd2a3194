//! The audit trail's flags (`serve`) and `halyard audit verify|query`,
//! which read a stopped server's data directory.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use halyard_audit::digest::TimeRange;
use halyard_audit::query::Filter;
use halyard_audit::AuditConfig;
use halyard_kms::sealed_file::FileKeys;
use halyard_storage::sqlite::{SqliteOptions, SqliteStorage};
use halyard_storage::Storage;

#[derive(clap::Args, Clone)]
pub(crate) struct TrailArgs {
    /// Directory of the audit log and digest files (default: `audit` in the
    /// data directory).
    #[arg(long, env = "HALYARD_AUDIT_DIR")]
    audit_dir: Option<PathBuf>,
    /// `on`: item reads and writes (data events) are recorded, as the
    /// trail's event selectors choose per table. `off`: none are, whatever
    /// the selectors say. Management events are always recorded.
    #[arg(long, env = "HALYARD_AUDIT_DATA_EVENTS", value_enum, default_value = "on")]
    audit_data_events: crate::Switch,
    /// Seconds a buffered record (a read, a failed or denied call) may wait
    /// before it is made durable (at most 1).
    #[arg(long, env = "HALYARD_AUDIT_FLUSH_INTERVAL", default_value = "1", value_parser = flush_interval)]
    audit_flush_interval: Duration,
    /// A log file is closed when its records reach this many MiB...
    #[arg(long, env = "HALYARD_AUDIT_FILE_SIZE_MIB", default_value_t = 16, value_parser = clap::value_parser!(u64).range(1..=1024))]
    audit_file_size_mib: u64,
    /// ...or its oldest record this many seconds (CloudTrail delivers
    /// about every 5 minutes).
    #[arg(long, env = "HALYARD_AUDIT_FILE_INTERVAL", default_value = "300", value_parser = crate::seconds)]
    audit_file_interval: Duration,
    /// Days records stay in the index LookupEvents and `halyard audit query`
    /// read (CloudTrail: 90). Log files are kept.
    #[arg(long, env = "HALYARD_AUDIT_RETENTION_DAYS", default_value_t = 90, value_parser = clap::value_parser!(u64).range(1..=36500))]
    audit_retention_days: u64,
}

fn flush_interval(text: &str) -> Result<Duration, String> {
    let interval = crate::seconds(text)?;
    if interval > Duration::from_secs(1) {
        return Err("must be at most 1 second".into());
    }
    Ok(interval)
}

impl TrailArgs {
    pub(crate) fn config(&self, data_dir: &Path, account_id: &str, region: &str) -> AuditConfig {
        AuditConfig {
            dir: audit_dir(self.audit_dir.as_deref(), data_dir),
            account_id: account_id.to_string(),
            region: region.to_string(),
            data_events: self.audit_data_events == crate::Switch::On,
            flush_interval: self.audit_flush_interval,
            file_max_bytes: (self.audit_file_size_mib * 1024 * 1024) as usize,
            file_max_age: self.audit_file_interval,
            retention: Duration::from_secs(self.audit_retention_days * 86_400),
            sealing: None,
        }
    }
}

fn audit_dir(configured: Option<&Path>, data_dir: &Path) -> PathBuf {
    configured.map_or_else(|| data_dir.join("audit"), Path::to_path_buf)
}

#[derive(clap::Args)]
pub(crate) struct AuditArgs {
    #[command(subcommand)]
    command: AuditCommand,
}

#[derive(clap::Subcommand)]
enum AuditCommand {
    /// Checks every log file against the signed digest chain and reports
    /// each modified, deleted or inserted file. Exits 0 when the chain is
    /// intact, 1 when anything is wrong, 2 when it could not check.
    Verify {
        #[command(flatten)]
        location: Location,
        /// Only log files with records at or after this time
        /// (`2026-12-01T00:00:00Z`).
        #[arg(long)]
        from: Option<String>,
        /// Only log files with records at or before this time.
        #[arg(long)]
        to: Option<String>,
    },
    /// Prints matching records (CloudTrail JSON, one per line), newest first.
    Query {
        #[command(flatten)]
        location: Location,
        /// Records at or after this time (`2026-12-01T00:00:00Z`).
        #[arg(long)]
        start: Option<String>,
        /// Records at or before this time.
        #[arg(long)]
        end: Option<String>,
        #[arg(long)]
        event_name: Option<String>,
        /// `root`, an IAM user's name or a role session's name.
        #[arg(long)]
        user: Option<String>,
        /// A table's name or ARN.
        #[arg(long)]
        table: Option<String>,
        /// Only failed and denied calls.
        #[arg(long)]
        errors: bool,
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
}

#[derive(clap::Args)]
struct Location {
    /// Data directory of a stopped server.
    #[arg(long)]
    data_dir: PathBuf,
    /// The audit directory, if the server ran with `--audit-dir`.
    #[arg(long)]
    audit_dir: Option<PathBuf>,
    /// The keys that open an encrypted store.
    #[command(flatten)]
    encryption: crate::encryption::EncryptionArgs,
}

const EXIT_PROBLEMS: u8 = 1;
const EXIT_NOT_CHECKED: u8 = 2;

pub(crate) fn run(args: AuditArgs) -> ExitCode {
    match args.command {
        AuditCommand::Verify { location, from, to } => {
            let (storage, sealing) = match open(&location) {
                Ok(opened) => opened,
                Err(message) => return fail(&message),
            };
            let snapshot = match storage.snapshot() {
                Ok(snapshot) => snapshot,
                Err(error) => return fail(&error.to_string()),
            };
            let dir = audit_dir(location.audit_dir.as_deref(), &location.data_dir);
            match halyard_audit::query::verify(&*snapshot, &dir, sealing.as_ref(), &TimeRange { from, to }) {
                Ok(report) => {
                    for problem in &report.problems {
                        println!("{problem}");
                    }
                    println!(
                        "{} digest files and {} log files checked: {}",
                        report.digests_checked,
                        report.log_files_checked,
                        if report.problems.is_empty() {
                            "the chain is intact".to_string()
                        } else {
                            format!("{} problems", report.problems.len())
                        }
                    );
                    if report.problems.is_empty() {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::from(EXIT_PROBLEMS)
                    }
                }
                Err(message) => fail(&message),
            }
        }
        AuditCommand::Query {
            location,
            start,
            end,
            event_name,
            user,
            table,
            errors,
            limit,
        } => {
            let time = |text: Option<String>| -> Result<Option<u64>, String> {
                text.map(|t| {
                    halyard_audit::index::parse_time(&t).ok_or(format!("invalid time {t:?}: use 2026-12-01T00:00:00Z"))
                })
                .transpose()
            };
            let filter = match (time(start), time(end)) {
                (Ok(start), Ok(end)) => Filter {
                    start,
                    end,
                    event_name,
                    user,
                    table,
                    errors_only: errors,
                    limit,
                },
                (Err(message), _) | (_, Err(message)) => return fail(&message),
            };
            let (storage, sealing) = match open(&location) {
                Ok(opened) => opened,
                Err(message) => return fail(&message),
            };
            let dir = audit_dir(location.audit_dir.as_deref(), &location.data_dir);
            let records = storage
                .snapshot()
                .map_err(|e| e.to_string())
                .and_then(|snapshot| halyard_audit::query::query(&*snapshot, &dir, sealing.as_ref(), &filter));
            match records {
                Ok(records) => {
                    for record in records {
                        println!("{record}");
                    }
                    ExitCode::SUCCESS
                }
                Err(message) => fail(&message),
            }
        }
    }
}

/// The store, and the keys that open its sealed audit files (encryption on).
fn open(location: &Location) -> Result<(SqliteStorage, Option<FileKeys>), String> {
    let options = SqliteOptions {
        create_if_new: false,
        ..Default::default()
    };
    crate::encryption::open_store(&location.encryption, &location.data_dir, options, false)
        .map(|(storage, encryption)| (storage, encryption.file_keys()))
        .map_err(|e| e.to_string())
}

fn fail(message: &str) -> ExitCode {
    eprintln!("halyard audit: {message}");
    ExitCode::from(EXIT_NOT_CHECKED)
}
