//! `halyard check`: offline on a stopped server's data directory, or online
//! through a running server's `GET /halyard/check`.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::ExitCode;

use halyard_engine::check::{check_storage, CheckReport};
use halyard_iam::sigv4::{sign, Timestamp};
use halyard_storage::sqlite::SqliteOptions;

use crate::encryption::{open_store, EncryptionArgs, OpenError};
use halyard_storage::StorageError;

#[derive(clap::Args)]
#[group(required = true, multiple = false)]
pub(crate) struct CheckArgs {
    /// Data directory of a stopped server (the check holds its lock).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// A running server, as http://HOST:PORT: it checks one snapshot of its
    /// store on a background thread while it goes on serving. The request
    /// is signed with the root credentials from HALYARD_ROOT_ACCESS_KEY_ID
    /// and HALYARD_ROOT_SECRET_ACCESS_KEY, or AWS_ACCESS_KEY_ID and
    /// AWS_SECRET_ACCESS_KEY (a server with `--auth off` needs none).
    #[arg(long)]
    endpoint: Option<String>,
}

#[derive(clap::Args)]
pub(crate) struct CheckCommand {
    #[command(flatten)]
    target: CheckArgs,
    /// For --data-dir: the keys that open an encrypted store.
    #[command(flatten)]
    encryption: EncryptionArgs,
}

/// Problems found: the store is damaged.
const EXIT_PROBLEMS: u8 = 1;
/// The check could not run.
const EXIT_NOT_CHECKED: u8 = 2;

pub(crate) fn run(command: CheckCommand) -> ExitCode {
    let args = &command.target;
    let report = match (&args.data_dir, &args.endpoint) {
        (Some(dir), _) => check_offline(dir, &command.encryption),
        (None, Some(endpoint)) => check_online(endpoint),
        (None, None) => unreachable!("clap requires one of --data-dir and --endpoint"),
    };
    match report {
        Ok(report) => {
            print!("{report}");
            if report.is_clean() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(EXIT_PROBLEMS)
            }
        }
        Err((code, message)) => {
            eprintln!("halyard check: {message}");
            ExitCode::from(code)
        }
    }
}

type Outcome = Result<CheckReport, (u8, String)>;

fn check_offline(dir: &std::path::Path, encryption: &EncryptionArgs) -> Outcome {
    let options = SqliteOptions {
        create_if_new: false,
        ..Default::default()
    };
    let (storage, _) = open_store(encryption, dir, options, false).map_err(|error| match error {
        OpenError::Keys(message) => (EXIT_NOT_CHECKED, message),
        OpenError::Storage(error) => storage_refusal(error),
    })?;
    check_storage(&storage).map_err(|error| (EXIT_NOT_CHECKED, error.to_string()))
}

fn storage_refusal(error: StorageError) -> (u8, String) {
    match error {
        // What a start would refuse is a problem of the store itself.
        StorageError::Damaged { .. } | StorageError::Foreign { .. } | StorageError::Corrupt(_) => {
            (EXIT_PROBLEMS, error.to_string())
        }
        StorageError::Locked { .. } => (
            EXIT_NOT_CHECKED,
            format!("{error}; to check a running server use --endpoint"),
        ),
        _ => (EXIT_NOT_CHECKED, error.to_string()),
    }
}

/// `X-Amz-Date` and `Authorization` lines for a request to one of the
/// server's own routes, signed with the root credentials from the
/// environment, if there are any.
fn signature_headers(authority: &str, method: &str, path: &str, body: &[u8]) -> String {
    let variable = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let credentials = variable("HALYARD_ROOT_ACCESS_KEY_ID")
        .zip(variable("HALYARD_ROOT_SECRET_ACCESS_KEY"))
        .or_else(|| variable("AWS_ACCESS_KEY_ID").zip(variable("AWS_SECRET_ACCESS_KEY")));
    let Some((access_key_id, secret)) = credentials else {
        return String::new();
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let headers = [("host", authority)];
    let request = sign::Unsigned {
        method,
        path,
        headers: &headers,
        body,
    };
    let region = variable("HALYARD_REGION").unwrap_or_else(|| "us-east-1".to_string());
    let (date, authorization) =
        sign::authorization(&request, &access_key_id, &secret, &region, "dynamodb", Timestamp(now));
    format!("X-Amz-Date: {date}\r\nAuthorization: {authorization}\r\n")
}

/// A plain HTTP/1.0 request (no chunked answers to decode) to a route of
/// the server's own: the endpoint is a Halyard server, which speaks plain
/// HTTP. Answers the body of a 200, or why there is none.
pub(crate) fn admin_request(endpoint: &str, method: &str, path: &str, body: &[u8]) -> Result<String, String> {
    let authority = endpoint
        .strip_prefix("http://")
        .ok_or_else(|| format!("--endpoint {endpoint}: expected http://HOST:PORT"))?
        .trim_end_matches('/');
    let mut stream = TcpStream::connect(authority).map_err(|e| format!("cannot connect to {endpoint}: {e}"))?;
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: {authority}\r\nContent-Length: {}\r\n{}\r\n",
        body.len(),
        signature_headers(authority, method, path, body)
    )
    .and_then(|()| stream.write_all(body))
    .map_err(|e| format!("cannot send to {endpoint}: {e}"))?;
    let mut answer = Vec::new();
    stream
        .read_to_end(&mut answer)
        .map_err(|e| format!("no answer from {endpoint}: {e}"))?;
    let answer = String::from_utf8_lossy(&answer);
    let (head, body) = answer
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("malformed answer from {endpoint}"))?;
    let status = head.split_whitespace().nth(1).unwrap_or("");
    if status != "200" {
        return Err(format!("{endpoint} answered {status}: {body}"));
    }
    Ok(body.to_string())
}

fn check_online(endpoint: &str) -> Outcome {
    let not_checked = |message: String| (EXIT_NOT_CHECKED, message);
    let body = admin_request(endpoint, "GET", "/halyard/check", b"").map_err(not_checked)?;
    serde_json::from_str(&body).map_err(|e| not_checked(format!("unreadable report from {endpoint}: {e}")))
}
