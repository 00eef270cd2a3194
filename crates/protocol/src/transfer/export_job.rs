//! An export's job: the table at the export time (or its changes over an
//! incremental period) written as gzipped lines of its format (DynamoDB
//! JSON or Ion), with DynamoDB's manifests, under `<prefix>/AWSDynamoDB/<ExportId>/`.

use std::io::Write;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use flate2::write::GzEncoder;
use halyard_engine::model::item_size;
use halyard_engine::{Engine, Error as EngineError};
use md5::{Digest, Md5};
use serde_json::json;

use super::bucket::{Bucket, BucketError};
use super::export_format::ExportFormat;
use super::iso_time;
use super::records::{save_export, ExportRecord, JobStatus};

/// Items per data file.
const ITEMS_PER_FILE: usize = 1000;

/// Starts an export's job on a thread of its own.
pub(crate) fn spawn(engine: Arc<Engine>, record: ExportRecord) {
    let spawned = std::thread::Builder::new()
        .name("halyard-export".into())
        .spawn(move || run(&engine, record));
    if let Err(error) = spawned {
        tracing::error!(%error, "could not start an export");
    }
}

enum Failure {
    Bucket(BucketError),
    Engine(EngineError),
}

impl From<BucketError> for Failure {
    fn from(error: BucketError) -> Self {
        Failure::Bucket(error)
    }
}

impl From<EngineError> for Failure {
    fn from(error: EngineError) -> Self {
        Failure::Engine(error)
    }
}

fn run(engine: &Engine, mut record: ExportRecord) {
    let outcome = write_export(engine, &mut record);
    record.end_time = Some(halyard_now());
    match outcome {
        Ok(()) => record.status = JobStatus::Completed,
        Err(failure) => {
            let (code, message) = match failure {
                Failure::Bucket(error) => error.failure(),
                Failure::Engine(EngineError::Internal(message)) => {
                    tracing::error!(export = %record.arn, %message, "export failed");
                    (
                        "UnknownError",
                        "The export failed because of an internal error".to_string(),
                    )
                }
                Failure::Engine(error) => ("UnknownError", error.to_string()),
            };
            record.status = JobStatus::Failed;
            record.failure_code = Some(code.to_string());
            record.failure_message = Some(message);
        }
    }
    if let Err(error) = save_export(engine, &record) {
        // The next start runs the export again.
        tracing::error!(export = %record.arn, %error, "cannot record the end of an export");
    }
}

fn halyard_now() -> f64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    now.as_millis() as f64 / 1000.0
}

/// `prefix/` (or nothing), as export keys start.
fn key_prefix(prefix: Option<&str>) -> String {
    match prefix {
        Some(prefix) if !prefix.is_empty() => format!("{}/", prefix.trim_end_matches('/')),
        _ => String::new(),
    }
}

fn md5_base64(bytes: &[u8]) -> String {
    BASE64.encode(Md5::digest(bytes))
}

fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// The data files written so far and the one being filled.
struct DataFiles<'a> {
    engine: &'a Engine,
    bucket: &'a Bucket,
    /// Where data files go: `<prefix>AWSDynamoDB/<id>/data/` for a full
    /// export, the shared `<prefix>AWSDynamoDB/data/` for an incremental one.
    dir: String,
    format: ExportFormat,
    lines: Vec<u8>,
    count: usize,
    /// manifest-files.json's lines.
    manifest: Vec<u8>,
}

impl DataFiles<'_> {
    fn add(&mut self, line: Vec<u8>, record: &mut ExportRecord) -> Result<(), Failure> {
        self.lines.extend(line);
        self.lines.push(b'\n');
        self.count += 1;
        if self.count == ITEMS_PER_FILE {
            self.flush(record)?;
        }
        Ok(())
    }

    /// Writes the file being filled (an empty one when there is no other,
    /// as DynamoDB writes one per partition, empty ones included).
    fn flush(&mut self, record: &mut ExportRecord) -> Result<(), Failure> {
        if self.count == 0 && !self.manifest.is_empty() {
            return Ok(());
        }
        let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::default());
        let compressed = encoder
            .write_all(&self.lines)
            .and_then(|_| encoder.finish())
            .map_err(|e| BucketError::Io(e.to_string()))?;
        let name = uuid::Uuid::new_v4().simple().to_string();
        let key = format!("{}{}.{}", self.dir, &name[..26], self.format.extension());
        self.bucket.put(&key, &compressed)?;
        let entry = json!({
            "itemCount": self.count,
            "md5Checksum": md5_base64(&compressed),
            "etag": md5_hex(&compressed),
            "dataFileS3Key": key,
        });
        serde_json::to_writer(&mut self.manifest, &entry).expect("JSON serialises");
        self.manifest.push(b'\n');
        record.item_count += self.count as i64;
        self.lines.clear();
        self.count = 0;
        // Progress, as DescribeExport reports it while the export runs.
        save_export(self.engine, record)?;
        std::thread::sleep(self.engine.transfer_pause());
        Ok(())
    }
}

fn write_export(engine: &Engine, record: &mut ExportRecord) -> Result<(), Failure> {
    let bucket = Bucket::open(engine.bucket_root(), &record.s3_bucket)?;
    let prefix = key_prefix(record.s3_prefix.as_deref());
    let base = format!("{prefix}AWSDynamoDB/{}/", record.id);
    // A resumed export starts again: what its first run wrote goes.
    bucket.delete_prefix(&base)?;
    bucket.put(&format!("{base}_started"), b"")?;
    let table = engine.point_in_time_table(&record.table_name)?;
    if table.definition.id != record.table_id {
        return Err(EngineError::TableNotFound(format!("Table not found: {}", record.table_name)).into());
    }
    // A resumed export starts its counts again.
    record.item_count = 0;
    record.billed_size_bytes = 0;
    let mut files = DataFiles {
        engine,
        bucket: &bucket,
        dir: match record.incremental {
            Some(_) => format!("{prefix}AWSDynamoDB/data/"),
            None => format!("{base}data/"),
        },
        format: ExportFormat::named(&record.export_format),
        lines: Vec::new(),
        count: 0,
        manifest: Vec::new(),
    };
    match record.incremental.clone() {
        None => {
            let mut failure = None;
            let time = record.export_time;
            let read = engine.items_at(&table.definition, time, &mut |item| {
                record.billed_size_bytes += item_size(&item) as i64;
                files.add(files.format.item_line(&item), record).map_err(|error| {
                    let message = match &error {
                        Failure::Bucket(error) => error.failure().1,
                        Failure::Engine(error) => error.to_string(),
                    };
                    failure = Some(error);
                    EngineError::Internal(message)
                })
            });
            read.map_err(|error| failure.take().unwrap_or(Failure::Engine(error)))?;
        }
        Some(incremental) => {
            let changes = engine.changes_between(&table.definition, incremental.from, incremental.to)?;
            let with_old = incremental.view_type == "NEW_AND_OLD_IMAGES";
            for change in changes {
                record.billed_size_bytes += [&change.old, &change.new]
                    .into_iter()
                    .flatten()
                    .map(|item| item_size(item) as i64)
                    .sum::<i64>();
                files.add(files.format.change_line(&change, with_old), record)?;
            }
        }
    }
    files.flush(record)?;
    let manifest_files_key = format!("{base}manifest-files.json");
    bucket.put(&manifest_files_key, &files.manifest)?;
    bucket.put(
        &format!("{base}manifest-files.md5"),
        md5_base64(&files.manifest).as_bytes(),
    )?;
    let summary = summary(record, &manifest_files_key);
    bucket.put(&format!("{base}manifest-summary.json"), &summary)?;
    bucket.put(&format!("{base}manifest-summary.md5"), md5_base64(&summary).as_bytes())?;
    record.manifest = Some(format!("{base}manifest-summary.json"));
    Ok(())
}

/// manifest-summary.json.
fn summary(record: &ExportRecord, manifest_files_key: &str) -> Vec<u8> {
    let mut summary = json!({
        "version": if record.incremental.is_some() { "2023-08-01" } else { "2020-06-30" },
        "exportArn": record.arn,
        "startTime": iso_time(record.start_time),
        "endTime": iso_time(halyard_now()),
        "tableArn": record.table_arn,
        "tableId": record.table_id,
        "s3Bucket": record.s3_bucket,
        "s3Prefix": record.s3_prefix,
        "s3SseAlgorithm": record.s3_sse_algorithm.as_deref().unwrap_or("AES256"),
        "s3SseKmsKeyId": record.s3_sse_kms_key_id,
        "manifestFilesS3Key": manifest_files_key,
        "billedSizeBytes": record.billed_size_bytes,
        "itemCount": record.item_count,
        "outputFormat": record.export_format,
    });
    match &record.incremental {
        None => summary["exportTime"] = json!(iso_time(record.export_time)),
        Some(incremental) => {
            summary["exportFromTime"] = json!(iso_time(incremental.from));
            summary["exportToTime"] = json!(iso_time(incremental.to));
            summary["outputView"] = json!(incremental.view_type);
            summary["exportType"] = json!("INCREMENTAL_EXPORT");
        }
    }
    serde_json::to_vec(&summary).expect("JSON serialises")
}
