use halyard_engine::{is_arn, Engine, Error as EngineError};
use serde_json::{json, Value};

use super::refuse_unsupported;
use crate::access::{self, Authorizer};
use crate::constraints::ConstraintViolations;
use crate::error::ProtocolError;
use crate::fields::Fields;
use crate::transfer::records::{self, ExportRecord, Incremental, JobStatus};
use crate::transfer::{export_job, new_id};

const EXPORT_FORMATS: &[(&str, &str)] = &[("DYNAMODB_JSON", "DYNAMODB_JSON"), ("ION", "ION")];
const EXPORT_TYPES: &[(&str, bool)] = &[("FULL_EXPORT", false), ("INCREMENTAL_EXPORT", true)];
const SSE_ALGORITHMS: &[(&str, &str)] = &[("AES256", "AES256"), ("KMS", "KMS")];
const VIEW_TYPES: &[(&str, &str)] = &[("NEW_IMAGE", "NEW_IMAGE"), ("NEW_AND_OLD_IMAGES", "NEW_AND_OLD_IMAGES")];

/// An S3 bucket name as DynamoDB's model constrains it.
pub(super) fn check_bucket(bucket: &str, path: &str, violations: &mut ConstraintViolations) {
    violations.length(bucket, path, 0, 255);
    let bytes = bucket.as_bytes();
    let edge = |b: Option<&u8>| b.is_some_and(u8::is_ascii_alphanumeric);
    let valid = bytes.len() >= 2
        && edge(bytes.first())
        && edge(bytes.last())
        && bytes.iter().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(b));
    if !valid {
        violations.add(
            Some(bucket),
            path,
            "satisfy regular expression pattern: ^[a-z0-9A-Z]+[\\.\\-\\w]*[a-z0-9A-Z]+$",
        );
    }
}

/// A bucket owner: an account id of 12 digits.
pub(super) fn check_owner(owner: Option<&str>, path: &str, violations: &mut ConstraintViolations) {
    if let Some(owner) = owner.filter(|o| o.len() != 12 || !o.bytes().all(|b| b.is_ascii_digit())) {
        violations.add(Some(owner), path, "satisfy regular expression pattern: [0-9]{12}");
    }
}

/// A ClientToken: at least one character, none of them `$`.
pub(super) fn check_client_token(token: Option<&str>, violations: &mut ConstraintViolations) {
    if let Some(token) = token.filter(|t| t.is_empty() || t.contains('$')) {
        violations.add(
            Some(token),
            "clientToken",
            "satisfy regular expression pattern: ^[^\\$]+$",
        );
    }
}

pub(super) async fn handle(
    engine: &std::sync::Arc<Engine>,
    authorizer: &dyn Authorizer,
    request: Fields<'_>,
) -> Result<Value, ProtocolError> {
    let mut violations = ConstraintViolations::default();
    let table_arn = request.string("TableArn")?;
    violations.required(table_arn.as_ref(), "tableArn");
    if let Some(arn) = table_arn {
        violations.length(arn, "tableArn", 1, 1024);
    }
    let bucket = request.string("S3Bucket")?;
    violations.required(bucket.as_ref(), "s3Bucket");
    if let Some(bucket) = bucket {
        check_bucket(bucket, "s3Bucket", &mut violations);
    }
    let owner = request.string("S3BucketOwner")?;
    check_owner(owner, "s3BucketOwner", &mut violations);
    let prefix = request.string("S3Prefix")?;
    if let Some(prefix) = prefix {
        violations.length(prefix, "s3Prefix", 1, 1024);
    }
    let token = request.string("ClientToken")?;
    check_client_token(token, &mut violations);
    let format = violations.one_of(request.string("ExportFormat")?, "exportFormat", EXPORT_FORMATS);
    let export_type_given = request.string("ExportType")?;
    let incremental = violations.one_of(export_type_given, "exportType", EXPORT_TYPES);
    let sse = violations.one_of(request.string("S3SseAlgorithm")?, "s3SseAlgorithm", SSE_ALGORITHMS);
    let kms_key = request.string("S3SseKmsKeyId")?;
    if let Some(key) = kms_key {
        violations.length(key, "s3SseKmsKeyId", 1, 2048);
    }
    let export_time = request.timestamp("ExportTime")?;
    let specification = request.object("IncrementalExportSpecification")?;
    let (from, to, view_type) = match specification {
        Some(spec) => (
            spec.timestamp("ExportFromTime")?,
            spec.timestamp("ExportToTime")?,
            violations.one_of(
                spec.string("ExportViewType")?,
                "incrementalExportSpecification.exportViewType",
                VIEW_TYPES,
            ),
        ),
        None => (None, None, None),
    };
    violations.into_result()?;
    refuse_unsupported(request, &["FilterSpecification"])?;
    let invalid = |message: &str| -> ProtocolError { EngineError::validation(message).into() };
    let table_arn = table_arn.expect("required checked");
    if !is_arn(table_arn) {
        return Err(invalid(&format!(
            "Invalid TableArn: Invalid ResourceArn provided as input {table_arn}"
        )));
    }
    let table_name = engine.resolve_table_name(table_arn, "ExportTableToPointInTime")?;
    access::authorize(
        authorizer,
        &[access::table_check(
            engine,
            "dynamodb:ExportTableToPointInTime",
            table_name,
            None,
        )],
    )?;
    let incremental = incremental.unwrap_or(false);
    match (incremental, specification.is_some()) {
        (true, false) => {
            return Err(invalid(
                "IncrementalExportSpecification must be provided for an INCREMENTAL_EXPORT",
            ))
        }
        (false, true) => {
            return Err(invalid(
                "IncrementalExportSpecification may only be provided for an INCREMENTAL_EXPORT",
            ))
        }
        _ => {}
    }
    let table = engine.point_in_time_table(table_name)?;
    let requested = (export_time, to);
    let time_error = |message: String| -> ProtocolError { EngineError::InvalidExportTime(message).into() };
    let (export_time, incremental) = if incremental {
        if export_time.is_some() {
            return Err(invalid("ExportTime cannot be provided for an INCREMENTAL_EXPORT"));
        }
        let from = from.ok_or_else(|| invalid("ExportFromTime must be provided for an INCREMENTAL_EXPORT"))?;
        let to = to.unwrap_or(table.latest);
        // The limits are 15 minutes and 24 hours of the recovery clock's day.
        let day = engine.pitr_day_seconds();
        if to - from < day / 96.0 || to - from > day {
            return Err(time_error(
                "Difference between export period to time and from time should be greater than or equal to 15 minutes and less than or equal to 24 hours".into(),
            ));
        }
        if from < table.earliest || to > table.latest {
            return Err(time_error(format!(
                "Export period must be within the point in time recovery window of table {table_name}"
            )));
        }
        let view_type = view_type.unwrap_or("NEW_AND_OLD_IMAGES").to_string();
        (to, Some(Incremental { from, to, view_type }))
    } else {
        let time = export_time.unwrap_or(table.latest);
        if !(table.earliest..=table.latest).contains(&time) {
            return Err(time_error(format!(
                "ExportTime must be within the point in time recovery window of table {table_name}"
            )));
        }
        (time, None)
    };
    let now = halyard_now();
    let id = new_id(now);
    let record = ExportRecord {
        arn: format!("{}/export/{id}", table.definition.arn),
        id,
        status: JobStatus::InProgress,
        start_time: now,
        end_time: None,
        table_name: table_name.to_string(),
        table_arn: table.definition.arn.clone(),
        table_id: table.definition.id.clone(),
        export_time,
        client_token: token.map_or_else(|| uuid::Uuid::new_v4().to_string(), str::to_string),
        s3_bucket: bucket.expect("required checked").to_string(),
        s3_bucket_owner: owner.map(str::to_string),
        s3_prefix: prefix.map(str::to_string),
        s3_sse_algorithm: sse.map(str::to_string),
        s3_sse_kms_key_id: kms_key.map(str::to_string),
        export_format: format.unwrap_or("DYNAMODB_JSON").to_string(),
        export_type: export_type_given.map(str::to_string),
        incremental,
        item_count: 0,
        billed_size_bytes: 0,
        manifest: None,
        failure_code: None,
        failure_message: None,
    };
    if let Some(token) = token {
        // A repeated request is answered with the export it started.
        let exports = records::all::<ExportRecord>(engine, records::EXPORT)?;
        if let Some(earlier) = job_of_token(exports, token, now) {
            if same_request(&earlier, &record, requested) {
                return Ok(json!({ "ExportDescription": records::export_description(&earlier) }));
            }
            return Err(
                EngineError::ExportConflict("Duplicate request detected with conflicting parameters".into()).into(),
            );
        }
    }
    records::save_export_async(engine, &record).await?;
    export_job::spawn(engine.clone(), record.clone());
    Ok(json!({ "ExportDescription": records::export_description(&record) }))
}

/// How long after its export ends a ClientToken still names it (DynamoDB's
/// idempotency window: 8 hours).
const CLIENT_TOKEN_SECONDS: f64 = 8.0 * 3600.0;

/// The export a repeated request's ClientToken names: one started with the
/// token that runs still or ended within the idempotency window.
fn job_of_token(exports: Vec<ExportRecord>, token: &str, now: f64) -> Option<ExportRecord> {
    exports.into_iter().rev().find(|export| {
        export.client_token == token
            && (export.status == JobStatus::InProgress
                || export.end_time.is_some_and(|end| now - end < CLIENT_TOKEN_SECONDS))
    })
}

/// Whether `earlier` was started by the same request as `record`; the
/// times are compared where the request gave them (`requested`: ExportTime
/// and ExportToTime), as a default is the latest time, which moves.
fn same_request(earlier: &ExportRecord, record: &ExportRecord, requested: (Option<f64>, Option<f64>)) -> bool {
    let (export_time, to) = requested;
    export_time.is_none_or(|time| earlier.incremental.is_none() && earlier.export_time == time)
        && to.is_none_or(|to| earlier.incremental.as_ref().is_some_and(|i| i.to == to))
        && earlier.table_arn == record.table_arn
        && earlier.s3_bucket == record.s3_bucket
        && earlier.s3_bucket_owner == record.s3_bucket_owner
        && earlier.s3_prefix == record.s3_prefix
        && earlier.s3_sse_algorithm == record.s3_sse_algorithm
        && earlier.s3_sse_kms_key_id == record.s3_sse_kms_key_id
        && earlier.export_format == record.export_format
        && earlier.export_type.as_deref().unwrap_or("FULL_EXPORT")
            == record.export_type.as_deref().unwrap_or("FULL_EXPORT")
        && earlier.incremental.as_ref().map(|i| (i.from, &i.view_type))
            == record.incremental.as_ref().map(|i| (i.from, &i.view_type))
}

pub(crate) fn halyard_now() -> f64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    now.as_millis() as f64 / 1000.0
}
