//! The records of exports and imports, as stored (JSON, through the
//! engine's writer) and as DescribeExport / DescribeImport answer them.

use halyard_engine::{Engine, Error as EngineError};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// Key prefixes of the two kinds of record.
pub(crate) const EXPORT: &str = "export/";
pub(crate) const IMPORT: &str = "import/";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum JobStatus {
    InProgress,
    Completed,
    Failed,
}

impl JobStatus {
    fn wire(self) -> &'static str {
        match self {
            JobStatus::InProgress => "IN_PROGRESS",
            JobStatus::Completed => "COMPLETED",
            JobStatus::Failed => "FAILED",
        }
    }
}

/// An incremental export's period and view.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Incremental {
    pub from: f64,
    pub to: f64,
    /// NEW_IMAGE or NEW_AND_OLD_IMAGES.
    pub view_type: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ExportRecord {
    pub id: String,
    pub arn: String,
    pub status: JobStatus,
    pub start_time: f64,
    pub end_time: Option<f64>,
    pub table_name: String,
    pub table_arn: String,
    pub table_id: String,
    /// The point in time exported (a full export's; an incremental one's end).
    pub export_time: f64,
    pub client_token: String,
    pub s3_bucket: String,
    pub s3_bucket_owner: Option<String>,
    pub s3_prefix: Option<String>,
    pub s3_sse_algorithm: Option<String>,
    pub s3_sse_kms_key_id: Option<String>,
    /// DYNAMODB_JSON or ION.
    pub export_format: String,
    /// As the request gave it (DynamoDB omits it when it was not given).
    pub export_type: Option<String>,
    pub incremental: Option<Incremental>,
    pub item_count: i64,
    pub billed_size_bytes: i64,
    pub manifest: Option<String>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
}

/// Where an import reads from, as the request gave it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct BucketSource {
    pub bucket: String,
    pub owner: Option<String>,
    pub key_prefix: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CsvOptions {
    pub delimiter: Option<String>,
    pub header_list: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ImportRecord {
    pub id: String,
    pub arn: String,
    pub status: JobStatus,
    pub start_time: f64,
    pub end_time: Option<f64>,
    pub table_name: String,
    pub table_arn: String,
    pub table_id: String,
    pub client_token: String,
    pub source: BucketSource,
    /// DYNAMODB_JSON, ION or CSV.
    pub input_format: String,
    pub csv: Option<CsvOptions>,
    /// NONE, GZIP or ZSTD.
    pub compression: String,
    /// TableCreationParameters as the request gave them (echoed back).
    pub table_creation_parameters: Value,
    /// Uncompressed bytes read; `None` until something is read.
    pub processed_size_bytes: Option<i64>,
    pub processed_item_count: i64,
    pub imported_item_count: i64,
    pub error_count: i64,
    /// The first errors (object, line and reason), as the error report.
    pub errors: Vec<String>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
}

impl ImportRecord {
    /// The record of an import started again from its beginning.
    pub fn restarted(self) -> ImportRecord {
        ImportRecord {
            processed_size_bytes: None,
            processed_item_count: 0,
            imported_item_count: 0,
            error_count: 0,
            errors: Vec::new(),
            ..self
        }
    }
}

fn encode<T: Serialize>(record: &T) -> Vec<u8> {
    serde_json::to_vec(record).expect("job records serialise")
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, EngineError> {
    serde_json::from_slice(bytes).map_err(|e| EngineError::Internal(format!("corrupt transfer record: {e}")))
}

pub(crate) fn save_export(engine: &Engine, record: &ExportRecord) -> Result<(), EngineError> {
    engine.save_transfer_record(&format!("{EXPORT}{}", record.id), encode(record))
}

pub(crate) fn save_import(engine: &Engine, record: &ImportRecord) -> Result<(), EngineError> {
    engine.save_transfer_record(&format!("{IMPORT}{}", record.id), encode(record))
}

pub(crate) async fn save_export_async(engine: &Engine, record: &ExportRecord) -> Result<(), EngineError> {
    engine
        .save_transfer_record_async(&format!("{EXPORT}{}", record.id), encode(record))
        .await
}

pub(crate) async fn save_import_async(engine: &Engine, record: &ImportRecord) -> Result<(), EngineError> {
    engine
        .save_transfer_record_async(&format!("{IMPORT}{}", record.id), encode(record))
        .await
}

pub(crate) fn read<T: DeserializeOwned>(engine: &Engine, kind: &str, id: &str) -> Result<Option<T>, EngineError> {
    engine
        .transfer_record(&format!("{kind}{id}"))?
        .map(|bytes| decode(&bytes))
        .transpose()
}

/// Every record of a kind, oldest first.
pub(crate) fn all<T: DeserializeOwned>(engine: &Engine, kind: &str) -> Result<Vec<T>, EngineError> {
    engine
        .transfer_records(kind)?
        .iter()
        .map(|bytes| decode(bytes))
        .collect()
}

fn insert_some(map: &mut Map<String, Value>, name: &str, value: Option<impl Into<Value>>) {
    if let Some(value) = value {
        map.insert(name.into(), value.into());
    }
}

/// ExportDescription.
pub(crate) fn export_description(record: &ExportRecord) -> Value {
    let mut map = Map::new();
    map.insert("ExportArn".into(), json!(record.arn));
    map.insert("ExportStatus".into(), json!(record.status.wire()));
    map.insert("StartTime".into(), json!(record.start_time));
    insert_some(&mut map, "EndTime", record.end_time);
    insert_some(&mut map, "ExportManifest", record.manifest.clone());
    map.insert("TableArn".into(), json!(record.table_arn));
    map.insert("TableId".into(), json!(record.table_id));
    if record.incremental.is_none() {
        map.insert("ExportTime".into(), json!(record.export_time));
    }
    map.insert("ClientToken".into(), json!(record.client_token));
    map.insert("S3Bucket".into(), json!(record.s3_bucket));
    insert_some(&mut map, "S3BucketOwner", record.s3_bucket_owner.clone());
    insert_some(&mut map, "S3Prefix", record.s3_prefix.clone());
    insert_some(&mut map, "S3SseAlgorithm", record.s3_sse_algorithm.clone());
    insert_some(&mut map, "S3SseKmsKeyId", record.s3_sse_kms_key_id.clone());
    insert_some(&mut map, "FailureCode", record.failure_code.clone());
    insert_some(&mut map, "FailureMessage", record.failure_message.clone());
    map.insert("ExportFormat".into(), json!(record.export_format));
    map.insert("BilledSizeBytes".into(), json!(record.billed_size_bytes));
    map.insert("ItemCount".into(), json!(record.item_count));
    insert_some(&mut map, "ExportType", record.export_type.clone());
    if let Some(incremental) = &record.incremental {
        map.insert(
            "IncrementalExportSpecification".into(),
            json!({
                "ExportFromTime": incremental.from,
                "ExportToTime": incremental.to,
                "ExportViewType": incremental.view_type,
            }),
        );
    }
    Value::Object(map)
}

/// ExportSummary.
pub(crate) fn export_summary(record: &ExportRecord) -> Value {
    json!({
        "ExportArn": record.arn,
        "ExportStatus": record.status.wire(),
        "ExportType": record.export_type.as_deref().unwrap_or("FULL_EXPORT"),
    })
}

fn bucket_source(source: &BucketSource) -> Value {
    let mut map = Map::new();
    insert_some(&mut map, "S3BucketOwner", source.owner.clone());
    map.insert("S3Bucket".into(), json!(source.bucket));
    insert_some(&mut map, "S3KeyPrefix", source.key_prefix.clone());
    Value::Object(map)
}

/// ImportTableDescription.
pub(crate) fn import_description(record: &ImportRecord) -> Value {
    let mut map = Map::new();
    map.insert("ImportArn".into(), json!(record.arn));
    map.insert("ImportStatus".into(), json!(record.status.wire()));
    map.insert("TableArn".into(), json!(record.table_arn));
    map.insert("TableId".into(), json!(record.table_id));
    map.insert("ClientToken".into(), json!(record.client_token));
    map.insert("S3BucketSource".into(), bucket_source(&record.source));
    map.insert("ErrorCount".into(), json!(record.error_count));
    map.insert("InputFormat".into(), json!(record.input_format));
    if let Some(csv) = &record.csv {
        let mut options = Map::new();
        insert_some(&mut options, "Delimiter", csv.delimiter.clone());
        insert_some(&mut options, "HeaderList", csv.header_list.clone());
        map.insert("InputFormatOptions".into(), json!({ "Csv": options }));
    }
    map.insert("InputCompressionType".into(), json!(record.compression));
    map.insert(
        "TableCreationParameters".into(),
        record.table_creation_parameters.clone(),
    );
    map.insert("StartTime".into(), json!(record.start_time));
    insert_some(&mut map, "EndTime", record.end_time);
    insert_some(&mut map, "ProcessedSizeBytes", record.processed_size_bytes);
    map.insert("ProcessedItemCount".into(), json!(record.processed_item_count));
    map.insert("ImportedItemCount".into(), json!(record.imported_item_count));
    insert_some(&mut map, "FailureCode", record.failure_code.clone());
    insert_some(&mut map, "FailureMessage", record.failure_message.clone());
    Value::Object(map)
}

/// ImportSummary.
pub(crate) fn import_summary(record: &ImportRecord) -> Value {
    let mut map = Map::new();
    map.insert("ImportArn".into(), json!(record.arn));
    map.insert("ImportStatus".into(), json!(record.status.wire()));
    map.insert("TableArn".into(), json!(record.table_arn));
    map.insert("S3BucketSource".into(), bucket_source(&record.source));
    map.insert("InputFormat".into(), json!(record.input_format));
    map.insert("StartTime".into(), json!(record.start_time));
    insert_some(&mut map, "EndTime", record.end_time);
    Value::Object(map)
}
