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

use super::bucket::{self, Bucket, BucketAccess, BucketError, Encryption, ObjectWriter};
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

/// Bytes on their way to an object, and their MD5 so far (the manifest's
/// checksums).
struct Checksummed<W> {
    inner: W,
    md5: Md5,
}

impl<W: Write> Write for Checksummed<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(bytes)?;
        self.md5.update(&bytes[..written]);
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The data file being written: gzipped as its lines come, and uploaded
/// as it grows.
struct OpenFile<'a> {
    key: String,
    encoder: GzEncoder<Checksummed<Box<dyn ObjectWriter + 'a>>>,
}

/// The data files written so far and the one being filled.
struct DataFiles<'a> {
    engine: &'a Engine,
    bucket: &'a dyn Bucket,
    /// Where data files go: `<prefix>AWSDynamoDB/<id>/data/` for a full
    /// export, the shared `<prefix>AWSDynamoDB/data/` for an incremental one.
    dir: String,
    format: ExportFormat,
    open: Option<OpenFile<'a>>,
    count: usize,
    /// manifest-files.json's lines.
    manifest: Vec<u8>,
}

impl<'a> DataFiles<'a> {
    fn add(&mut self, mut line: Vec<u8>, record: &mut ExportRecord) -> Result<(), Failure> {
        line.push(b'\n');
        if self.open.is_none() {
            self.open = Some(self.start()?);
        }
        let file = self.open.as_mut().expect("opened above");
        file.encoder.write_all(&line).map_err(BucketError::from_io)?;
        self.count += 1;
        if self.count == ITEMS_PER_FILE {
            self.close(record)?;
        }
        Ok(())
    }

    fn start(&self) -> Result<OpenFile<'a>, BucketError> {
        let name = uuid::Uuid::new_v4().simple().to_string();
        let key = format!("{}{}.{}", self.dir, &name[..26], self.format.extension());
        let object = Checksummed {
            inner: self.bucket.create(&key)?,
            md5: Md5::new(),
        };
        Ok(OpenFile {
            key,
            encoder: GzEncoder::new(object, flate2::Compression::default()),
        })
    }

    /// Finishes the file being filled and lists it in the manifest.
    fn close(&mut self, record: &mut ExportRecord) -> Result<(), Failure> {
        let Some(file) = self.open.take() else {
            return Ok(());
        };
        let object = file.encoder.finish().map_err(BucketError::from_io)?;
        let digest = object.md5.finalize();
        let etag = object.inner.finish()?;
        let entry = json!({
            "itemCount": self.count,
            "md5Checksum": BASE64.encode(digest),
            // A directory gives no ETag; S3's for a one-part object is its MD5.
            "etag": etag.unwrap_or_else(|| digest.iter().map(|b| format!("{b:02x}")).collect()),
            "dataFileS3Key": file.key,
        });
        serde_json::to_writer(&mut self.manifest, &entry).expect("JSON serialises");
        self.manifest.push(b'\n');
        record.item_count += self.count as i64;
        self.count = 0;
        // Progress, as DescribeExport reports it while the export runs.
        save_export(self.engine, record)?;
        std::thread::sleep(self.engine.transfer_pause());
        Ok(())
    }

    /// Finishes the last file (an empty one when there is no other, as
    /// DynamoDB writes one per partition, empty ones included).
    fn finish(&mut self, record: &mut ExportRecord) -> Result<(), Failure> {
        if self.open.is_none() && self.manifest.is_empty() {
            self.open = Some(self.start()?);
        }
        self.close(record)
    }
}

fn write_export(engine: &Engine, record: &mut ExportRecord) -> Result<(), Failure> {
    let access = BucketAccess {
        name: &record.s3_bucket,
        owner: record.s3_bucket_owner.as_deref(),
        encryption: record.s3_sse_algorithm.clone().map(|algorithm| Encryption {
            algorithm,
            kms_key_id: record.s3_sse_kms_key_id.clone(),
        }),
    };
    let bucket = bucket::open(engine, &access)?;
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
        bucket: &*bucket,
        dir: match record.incremental {
            Some(_) => format!("{prefix}AWSDynamoDB/data/"),
            None => format!("{base}data/"),
        },
        format: ExportFormat::named(&record.export_format),
        open: None,
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
    files.finish(record)?;
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
