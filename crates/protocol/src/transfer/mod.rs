//! Exports to and imports from S3 buckets (ExportTableToPointInTime,
//! ImportTable): the jobs' records, kept in the store through the engine's
//! writer, and the jobs themselves, each on a thread of its own. A bucket
//! is a directory below the server's bucket root or a bucket on its S3
//! endpoint (`bucket.rs`); the files
//! are laid out as DynamoDB lays out its exports, so tools written for
//! those read Halyard's and Halyard imports theirs.
//!
//! A job interrupted by a restart runs again from the start when the
//! server starts ([`resume`]): an export rewrites its files from the same
//! point in time, an import writes its items again into the same table
//! (puts of the same items leave the same table).

pub(crate) mod bucket;
mod csv;
mod export_format;
pub(crate) mod export_job;
pub(crate) mod import_job;
mod ion;
pub(crate) mod records;

use std::sync::Arc;

use halyard_engine::{Engine, Error as EngineError};
use serde::de::DeserializeOwned;

use crate::access::{self, Authorizer};
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;
use records::{ExportRecord, ImportRecord, JobStatus};

/// Starts again the exports and imports a restart interrupted.
pub fn resume(engine: &Arc<Engine>) {
    match records::all::<ExportRecord>(engine, records::EXPORT) {
        Ok(exports) => {
            for record in exports.into_iter().filter(|r| r.status == JobStatus::InProgress) {
                tracing::warn!(export = %record.arn, "resuming an export interrupted by a restart");
                export_job::spawn(engine.clone(), record);
            }
        }
        Err(error) => tracing::error!(%error, "cannot read the export records"),
    }
    match records::all::<ImportRecord>(engine, records::IMPORT) {
        Ok(imports) => {
            for record in imports.into_iter().filter(|r| r.status == JobStatus::InProgress) {
                tracing::warn!(import = %record.arn, "resuming an import interrupted by a restart");
                import_job::spawn(engine.clone(), record.restarted());
            }
        }
        Err(error) => tracing::error!(%error, "cannot read the import records"),
    }
}

/// A job id as DynamoDB shapes them: the start time in milliseconds (14
/// digits), a dash and 8 hex digits; ids sort in order of creation.
pub(crate) fn new_id(now: f64) -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{:014}-{}", (now * 1000.0) as u64, &random[..8])
}

fn valid_id(id: &str) -> bool {
    id.len() == 23
        && id.as_bytes()[14] == b'-'
        && id[..14].bytes().all(|b| b.is_ascii_digit())
        && id[15..].bytes().all(|b| b.is_ascii_hexdigit())
}

/// The job id in `<table ARN>/<kind>/<id>`, and the table ARN before it.
pub(crate) fn parse_job_arn<'a>(arn: &'a str, kind: &str) -> Option<(&'a str, &'a str)> {
    let (table_arn, id) = arn.rsplit_once(&format!("/{kind}/"))?;
    let name = table_arn.split_once(":table/")?.1;
    let valid_name =
        (3..=255).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b));
    (table_arn.starts_with("arn:") && valid_name && valid_id(id)).then_some((table_arn, id))
}

/// An export's or an import's record, as ListExports and ListImports page
/// them and DescribeExport and DescribeImport find them.
pub(crate) trait Job: DeserializeOwned {
    /// The ARN's kind (`<table ARN>/<KIND>/<id>`) and the records' key prefix.
    const KIND: &'static str;
    const RECORDS: &'static str;
    /// The Describe request's ARN member, and its action.
    const ARN_MEMBER: &'static str;
    const DESCRIBE_ACTION: &'static str;
    fn not_found(message: String) -> EngineError;
    fn id(&self) -> &str;
    fn arn(&self) -> &str;
    fn table_arn(&self) -> &str;
}

impl Job for ExportRecord {
    const KIND: &'static str = "export";
    const RECORDS: &'static str = records::EXPORT;
    const ARN_MEMBER: &'static str = "ExportArn";
    const DESCRIBE_ACTION: &'static str = "dynamodb:DescribeExport";
    fn not_found(message: String) -> EngineError {
        EngineError::ExportNotFound(message)
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn arn(&self) -> &str {
        &self.arn
    }
    fn table_arn(&self) -> &str {
        &self.table_arn
    }
}

impl Job for ImportRecord {
    const KIND: &'static str = "import";
    const RECORDS: &'static str = records::IMPORT;
    const ARN_MEMBER: &'static str = "ImportArn";
    const DESCRIBE_ACTION: &'static str = "dynamodb:DescribeImport";
    fn not_found(message: String) -> EngineError {
        EngineError::ImportNotFound(message)
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn arn(&self) -> &str {
        &self.arn
    }
    fn table_arn(&self) -> &str {
        &self.table_arn
    }
}

/// DescribeExport and DescribeImport: the job the request's ARN names.
pub(crate) fn described<R: Job>(
    engine: &Engine,
    authorizer: &dyn Authorizer,
    request: Fields<'_>,
) -> Result<R, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let member = R::ARN_MEMBER;
    // The model's member names start lower-case in validation messages.
    let path = format!("{}{}", member[..1].to_lowercase(), &member[1..]);
    let arn = request.string(member)?;
    violations.required(arn.as_ref(), &path);
    if let Some(arn) = arn {
        violations.length(arn, &path, 37, 1024);
    }
    violations.into_result()?;
    let arn = arn.expect("required checked");
    let label = &member[..member.len() - 3];
    let (_, id) =
        parse_job_arn(arn, R::KIND).ok_or_else(|| EngineError::validation(format!("Invalid {} ARN: {arn}", label)))?;
    access::authorize(authorizer, &[access::arn_check(R::DESCRIBE_ACTION, arn)])?;
    let record = records::read::<R>(engine, R::RECORDS, id)?
        .filter(|record| record.arn() == arn)
        .ok_or_else(|| R::not_found(format!("{label} not found: {arn}")))?;
    Ok(record)
}

/// The job a list's NextToken names (the list goes on after it);
/// `operation` names the list in a bad token's error.
pub(crate) fn listed_after(token: Option<&str>, operation: &str) -> Result<Option<String>, EngineError> {
    token
        .map(|token| {
            token_id(token)
                .ok_or_else(|| EngineError::validation(format!("Invalid NextToken provided for {operation}")))
        })
        .transpose()
}

/// One page of a job list, newest first: the jobs of `table_arn` (or all)
/// older than `after`, at most `limit`, and the next page's token when
/// more follow.
pub(crate) fn list_page<R: Job>(
    mut jobs: Vec<R>,
    table_arn: Option<&str>,
    after: Option<String>,
    limit: usize,
) -> (Vec<R>, Option<String>) {
    jobs.reverse();
    let mut listed = jobs
        .into_iter()
        .filter(|job| table_arn.is_none_or(|arn| job.table_arn() == arn))
        .filter(|job| after.as_deref().is_none_or(|after| job.id() < after));
    let page: Vec<R> = listed.by_ref().take(limit).collect();
    let next = match (page.last(), listed.next()) {
        (Some(last), Some(_)) => Some(next_token(last.id())),
        _ => None,
    };
    (page, next)
}

/// A list's paging token: the last id listed, in hex, padded to the
/// 112-character minimum of DynamoDB's tokens.
fn next_token(id: &str) -> String {
    let mut token: String = id.bytes().map(|b| format!("{b:02x}")).collect();
    while token.len() < 112 {
        token.push('0');
    }
    token
}

/// The id a paging token names, if it is one of ours.
fn token_id(token: &str) -> Option<String> {
    let bytes: Vec<u8> = (0..token.len() / 2)
        .map(|i| {
            token
                .get(2 * i..2 * i + 2)
                .and_then(|pair| u8::from_str_radix(pair, 16).ok())
        })
        .collect::<Option<_>>()?;
    let id: String = String::from_utf8(bytes).ok()?.trim_end_matches('\0').to_string();
    valid_id(&id).then_some(id)
}

/// Seconds since the epoch as DynamoDB's manifests write times.
pub(crate) fn iso_time(seconds: f64) -> String {
    let millis = (seconds * 1000.0).round() as i64;
    let (secs, ms) = (millis.div_euclid(1000), millis.rem_euclid(1000));
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_tokens_and_times() {
        let id = new_id(1_700_000_000.123);
        assert!(valid_id(&id), "{id}");
        assert_eq!(token_id(&next_token(&id)).as_deref(), Some(id.as_str()));
        assert_eq!(token_id(&"0123456789abcdef".repeat(16)), None);
        let arn = format!("arn:aws:dynamodb:us-east-1:000000000000:table/abc/export/{id}");
        assert_eq!(
            parse_job_arn(&arn, "export"),
            Some(("arn:aws:dynamodb:us-east-1:000000000000:table/abc", id.as_str()))
        );
        assert_eq!(
            parse_job_arn("arn:aws:dynamodb:us-east-1:000000000000:table/abc", "export"),
            None
        );
        assert_eq!(iso_time(1_604_474_914.028), "2020-11-04T07:28:34.028Z");
    }
}
