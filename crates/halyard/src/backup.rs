//! `halyard backup DIR` and `halyard restore DIR`: whole-server copies
//! with an integrity check, for operators (no DynamoDB API needed).

use std::path::PathBuf;
use std::process::ExitCode;

use halyard_engine::check::check_storage;
use halyard_storage::backup_dir::{restore_backup, write_backup, Manifest};
use halyard_storage::sqlite::SqliteOptions;

#[derive(clap::Args)]
pub(crate) struct BackupArgs {
    /// The directory to write the backup into: new, or empty. With
    /// --endpoint it is a path on the server's host.
    dir: PathBuf,
    #[command(flatten)]
    source: BackupSource,
    /// With --data-dir: the keys that open an encrypted store.
    #[command(flatten)]
    encryption: crate::encryption::EncryptionArgs,
}

#[derive(clap::Args)]
#[group(required = true, multiple = false)]
struct BackupSource {
    /// Data directory of a stopped server.
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// A running server, as http://HOST:PORT: it copies one snapshot of its
    /// store while it goes on serving (signed with the root credentials, as
    /// `halyard check --endpoint` is).
    #[arg(long)]
    endpoint: Option<String>,
}

#[derive(clap::Args)]
pub(crate) struct RestoreArgs {
    /// A directory written by `halyard backup`.
    dir: PathBuf,
    /// The data directory to create: new, or holding no database.
    #[arg(long)]
    data_dir: PathBuf,
    /// The keys that open the restored store (the source server's).
    #[command(flatten)]
    encryption: crate::encryption::EncryptionArgs,
}

fn existing() -> SqliteOptions {
    SqliteOptions {
        create_if_new: false,
        ..Default::default()
    }
}

fn describe(manifest: &Manifest) -> String {
    let bytes: u64 = manifest.files.iter().map(|file| file.bytes).sum();
    format!("{} file(s), {bytes} bytes", manifest.files.len())
}

pub(crate) fn run_backup(args: BackupArgs) -> ExitCode {
    let outcome = match (&args.source.data_dir, &args.source.endpoint) {
        (Some(data_dir), _) => crate::encryption::open_store(&args.encryption, data_dir, existing(), false)
            .map_err(|error| error.to_string())
            .and_then(|(storage, _)| write_backup(&storage, &args.dir).map_err(|error| error.to_string()))
            .map(|manifest| describe(&manifest)),
        (None, Some(endpoint)) => std::path::absolute(&args.dir)
            .map_err(|error| error.to_string())
            .and_then(|dir| {
                let body = serde_json::json!({ "directory": dir }).to_string();
                crate::check::admin_request(endpoint, "POST", "/halyard/backup", body.as_bytes())
            }),
        (None, None) => unreachable!("clap requires one of --data-dir and --endpoint"),
    };
    match outcome {
        Ok(summary) => {
            println!("backup written to {}: {summary}", args.dir.display());
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("halyard backup: {message}");
            ExitCode::FAILURE
        }
    }
}

pub(crate) fn run_restore(args: RestoreArgs) -> ExitCode {
    if let Err(error) = restore_backup(&args.dir, &args.data_dir) {
        eprintln!("halyard restore: {error}");
        return ExitCode::FAILURE;
    }
    // Reopened as a server would, and checked as `halyard check` does.
    let report = crate::encryption::open_store(&args.encryption, &args.data_dir, existing(), false)
        .map(|(storage, _)| storage)
        .map_err(|error| error.to_string())
        .and_then(|storage| check_storage(&storage).map_err(|error| error.to_string()));
    match report {
        Ok(report) if report.is_clean() => {
            print!("{report}");
            println!("restored {} into {}", args.dir.display(), args.data_dir.display());
            ExitCode::SUCCESS
        }
        Ok(report) => {
            print!("{report}");
            eprintln!("halyard restore: the restored data directory has problems (above)");
            ExitCode::FAILURE
        }
        Err(message) => {
            eprintln!("halyard restore: the restored data directory does not open: {message}");
            ExitCode::FAILURE
        }
    }
}
