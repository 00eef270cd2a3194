//! An import's job: every object under the source prefix, decompressed,
//! parsed as DynamoDB JSON lines, Ion values or CSV records, and written into the new
//! table through the engine's one write path, a chunk at a time. Bad
//! lines are counted and reported (the first of them in the record); the
//! table is made ACTIVE at the end, and the import is FAILED
//! (ItemValidationError) if any item was refused, as DynamoDB does.

use std::io::Read;
use std::sync::Arc;

use halyard_engine::model::{AttributeValue, Item, Number, ScalarType};
use halyard_engine::Engine;
use serde_json::Value;

use super::bucket::{Bucket, BucketError};
use super::records::{save_import, ImportRecord, JobStatus};
use super::{csv, ion};
use crate::attribute_value::item_from_json;

/// Items written per writer command.
const CHUNK: usize = 256;
/// Errors kept in the record as its report.
const REPORTED_ERRORS: usize = 20;
/// The largest object read (decompressed); larger ones fail the import.
const MAX_OBJECT_BYTES: u64 = 256 * 1024 * 1024;

pub(crate) fn spawn(engine: Arc<Engine>, record: ImportRecord) {
    let spawned = std::thread::Builder::new()
        .name("halyard-import".into())
        .spawn(move || run(&engine, record));
    if let Err(error) = spawned {
        tracing::error!(%error, "could not start an import");
    }
}

fn now() -> f64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    now.as_millis() as f64 / 1000.0
}

fn run(engine: &Engine, mut record: ImportRecord) {
    let outcome = import(engine, &mut record);
    record.end_time = Some(now());
    match outcome {
        Ok(()) if record.error_count == 0 => record.status = JobStatus::Completed,
        Ok(()) => {
            record.status = JobStatus::Failed;
            record.failure_code = Some("ItemValidationError".into());
            record.failure_message = Some(format!(
                "Some of the items failed validation checks and were not imported: {} errors; the first: {}",
                record.error_count,
                record.errors.first().map(String::as_str).unwrap_or_default()
            ));
        }
        Err((code, message)) => {
            record.status = JobStatus::Failed;
            record.failure_code = Some(code.to_string());
            record.failure_message = Some(message);
        }
    }
    // A table the import could not read into is removed; one it filled
    // (even with refused items) is kept, ACTIVE.
    let table_result = match (record.status, record.failure_code.as_deref()) {
        (JobStatus::Failed, Some(code)) if code != "ItemValidationError" => {
            engine.drop_import_table(&record.table_name, &record.table_id)
        }
        _ => engine.finish_import(&record.table_name, &record.table_id),
    };
    if let Err(error) = table_result {
        tracing::error!(import = %record.arn, %error, "cannot finish an import's table");
    }
    if let Err(error) = save_import(engine, &record) {
        tracing::error!(import = %record.arn, %error, "cannot record the end of an import");
    }
}

type Failure = (&'static str, String);

fn bucket_failure(error: BucketError) -> Failure {
    error.failure()
}

fn import(engine: &Engine, record: &mut ImportRecord) -> Result<(), Failure> {
    let bucket = Bucket::open(engine.bucket_root(), &record.source.bucket).map_err(bucket_failure)?;
    let prefix = record.source.key_prefix.clone().unwrap_or_default();
    let key_types = key_types(&record.table_creation_parameters);
    let mut pending: Vec<(String, Item)> = Vec::new();
    for key in bucket.list(&prefix).map_err(bucket_failure)? {
        let text = read_object(&bucket, &key, &record.compression)?;
        *record.processed_size_bytes.get_or_insert(0) += text.len() as i64;
        let items = match record.input_format.as_str() {
            "CSV" => csv_items(&text, record, &key_types),
            "ION" => ion::items(&text),
            _ => json_items(&text),
        };
        for (line, item) in items {
            record.processed_item_count += 1;
            match item {
                Ok(item) => pending.push((format!("{key} line {line}"), item)),
                Err(message) => report(record, &format!("{key} line {line}: {message}")),
            }
            if pending.len() == CHUNK {
                write(engine, record, &mut pending)?;
            }
        }
        write(engine, record, &mut pending)?;
        std::thread::sleep(engine.transfer_pause());
    }
    write(engine, record, &mut pending)
}

/// Writes the pending items and records the progress.
fn write(engine: &Engine, record: &mut ImportRecord, pending: &mut Vec<(String, Item)>) -> Result<(), Failure> {
    let (places, items): (Vec<String>, Vec<Item>) = std::mem::take(pending).into_iter().unzip();
    let arn = record.arn.clone();
    let internal = move |error: halyard_engine::Error| {
        tracing::error!(import = %arn, %error, "import write failed");
        (
            "UnknownError",
            "The import failed because of an internal error".to_string(),
        )
    };
    let results = match items.is_empty() {
        true => Vec::new(),
        false => engine
            .import_items(&record.table_name, &record.table_id, items)
            .map_err(&internal)?,
    };
    for (place, result) in places.iter().zip(results) {
        match result {
            Ok(()) => record.imported_item_count += 1,
            Err(error) if error.is_server_fault() => return Err(internal(error)),
            Err(error) => report(record, &format!("{place}: {error}")),
        }
    }
    save_import(engine, record).map_err(internal)
}

fn report(record: &mut ImportRecord, error: &str) {
    record.error_count += 1;
    tracing::info!(import = %record.arn, error, "import item refused");
    if record.errors.len() < REPORTED_ERRORS {
        record.errors.push(error.to_string());
    }
}

/// An object's text, decompressed.
fn read_object(bucket: &Bucket, key: &str, compression: &str) -> Result<String, Failure> {
    let bytes = bucket.get(key).map_err(bucket_failure)?;
    let unreadable = |what: String| ("InvalidInput", format!("Cannot read object {key}: {what}"));
    let mut text = Vec::new();
    let reader: Box<dyn Read> = match compression {
        "GZIP" => Box::new(flate2::read::MultiGzDecoder::new(&bytes[..])),
        _ => Box::new(&bytes[..]),
    };
    reader
        .take(MAX_OBJECT_BYTES + 1)
        .read_to_end(&mut text)
        .map_err(|e| unreadable(e.to_string()))?;
    if text.len() as u64 > MAX_OBJECT_BYTES {
        return Err(unreadable(format!("larger than {MAX_OBJECT_BYTES} bytes")));
    }
    String::from_utf8(text).map_err(|_| unreadable("not UTF-8 text".into()))
}

/// DynamoDB JSON lines: `{"Item": {...}}` each (blank lines skipped),
/// with their line numbers.
fn json_items(text: &str) -> Vec<(usize, Result<Item, String>)> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(index, line)| (index + 1, json_item(line)))
        .collect()
}

fn json_item(line: &str) -> Result<Item, String> {
    let value: Value = serde_json::from_str(line).map_err(|e| format!("not valid JSON: {e}"))?;
    let item = value
        .get("Item")
        .and_then(Value::as_object)
        .ok_or("the line has no Item object")?;
    item_from_json(item).map_err(|e| e.to_string())
}

/// The key attributes' types, from TableCreationParameters.
fn key_types(parameters: &Value) -> Vec<(String, ScalarType)> {
    let definitions = parameters["AttributeDefinitions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    definitions
        .iter()
        .filter_map(|definition| {
            let name = definition["AttributeName"].as_str()?.to_string();
            let kind = match definition["AttributeType"].as_str()? {
                "N" => ScalarType::N,
                "B" => ScalarType::B,
                _ => ScalarType::S,
            };
            Some((name, kind))
        })
        .collect()
}

/// CSV records as items: the header (HeaderList, or the first record)
/// names the attributes; key attributes take their defined type, every
/// other value is a string, and empty values are left out.
fn csv_items(
    text: &str,
    record: &ImportRecord,
    key_types: &[(String, ScalarType)],
) -> Vec<(usize, Result<Item, String>)> {
    let options = record.csv.as_ref();
    let delimiter = options
        .and_then(|o| o.delimiter.as_deref())
        .and_then(|d| d.chars().next())
        .unwrap_or(',');
    let records = match csv::records(text, delimiter) {
        Ok(records) => records,
        Err(line) => return vec![(line, Err("a quoted field is not closed".to_string()))],
    };
    let mut rows = records.into_iter().enumerate();
    let header = match options.and_then(|o| o.header_list.clone()) {
        Some(header) => header,
        None => match rows.next() {
            Some((_, header)) => header,
            None => return Vec::new(),
        },
    };
    rows.map(|(index, fields)| (index + 1, csv_item(&header, fields, key_types)))
        .collect()
}

fn csv_item(header: &[String], fields: Vec<String>, key_types: &[(String, ScalarType)]) -> Result<Item, String> {
    if fields.len() > header.len() {
        return Err(format!("{} values for {} header columns", fields.len(), header.len()));
    }
    let mut item = Item::new();
    for (name, field) in header.iter().zip(fields) {
        if field.is_empty() {
            continue;
        }
        let value = match key_types.iter().find(|(key, _)| key == name).map(|(_, kind)| *kind) {
            Some(ScalarType::N) => AttributeValue::N(Number::parse(&field).map_err(|e| format!("{name}: {e}"))?),
            Some(ScalarType::B) => {
                use base64::Engine as _;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(field.as_bytes())
                    .map_err(|_| format!("{name}: not base64"))?;
                AttributeValue::B(bytes)
            }
            _ => AttributeValue::S(field),
        };
        item.insert(name.clone(), value);
    }
    Ok(item)
}
