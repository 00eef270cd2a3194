//! An import's job: every object under the source prefix, decompressed,
//! parsed as DynamoDB JSON lines, Ion values or CSV records, and written into the new
//! table through the engine's one write path, a chunk at a time. Bad
//! lines are counted and reported (the first of them in the record); the
//! table is made ACTIVE at the end, and the import is FAILED
//! (ItemValidationError) if any item was refused, as DynamoDB does.

use std::io::{BufRead, BufReader, Read};
use std::sync::Arc;

use halyard_engine::model::{AttributeValue, Item, Number, ScalarType};
use halyard_engine::Engine;
use serde_json::Value;

use super::bucket::{self, BucketAccess, BucketError};
use super::records::{save_import, ImportRecord, JobStatus};
use super::{csv, ion};
use crate::attribute_value::item_from_json;

/// Items written per writer command.
const CHUNK: usize = 256;
/// Errors kept in the record as its report.
const REPORTED_ERRORS: usize = 20;
/// The longest line (DynamoDB JSON) or record (CSV) read; an item is at
/// most 400 KB, so a longer one is refused without holding it.
const MAX_LINE_BYTES: u64 = 4 * 1024 * 1024;

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
    let access = BucketAccess {
        name: &record.source.bucket,
        owner: record.source.owner.as_deref(),
        encryption: None,
    };
    let bucket = bucket::open(engine, &access).map_err(bucket_failure)?;
    let prefix = record.source.key_prefix.clone().unwrap_or_default();
    let key_types = key_types(&record.table_creation_parameters);
    let mut pending: Vec<(String, Item)> = Vec::new();
    // Keys ending in `/` are the empty "folders" S3 consoles make.
    for key in bucket
        .list(&prefix)
        .map_err(bucket_failure)?
        .into_iter()
        .filter(|k| !k.ends_with('/'))
    {
        let unreadable = |what: String| ("InvalidInput", format!("Cannot read object {key}: {what}"));
        let object = bucket.open(&key).map_err(bucket_failure)?;
        let stream = decompressed(object, &record.compression).map_err(|e| unreadable(e.to_string()))?;
        let mut reader = BufReader::new(Counted {
            inner: stream,
            bytes: 0,
        });
        let mut items = ObjectItems::new(record);
        loop {
            let next = items.next(&mut reader, &key_types).map_err(|error| {
                match error.get_ref().is_some_and(|inner| inner.is::<BucketError>()) {
                    true => bucket_failure(BucketError::from_io(error)),
                    false => unreadable(error.to_string()),
                }
            })?;
            let Some((line, item)) = next else {
                break;
            };
            record.processed_item_count += 1;
            match item {
                Ok(item) => pending.push((format!("{key} line {line}"), item)),
                Err(message) => report(record, &format!("{key} line {line}: {message}")),
            }
            if pending.len() == CHUNK {
                write(engine, record, &mut pending)?;
            }
        }
        *record.processed_size_bytes.get_or_insert(0) += reader.get_ref().bytes as i64;
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

/// An object's bytes, decompressed as they are read.
fn decompressed<'a>(object: Box<dyn Read + 'a>, compression: &str) -> std::io::Result<Box<dyn Read + 'a>> {
    Ok(match compression {
        "GZIP" => Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(object))),
        // Every frame, as zstd's own tool decompresses a file.
        "ZSTD" => Box::new(zstd::stream::read::Decoder::new(object)?),
        _ => object,
    })
}

/// A reader that counts the bytes read through it (ProcessedSizeBytes).
struct Counted<R> {
    inner: R,
    bytes: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buffer)?;
        self.bytes += read as u64;
        Ok(read)
    }
}

/// The items of one object, read a line (DynamoDB JSON) or a record (CSV)
/// at a time, each with its line (record) number.
enum ObjectItems {
    Json {
        line: usize,
    },
    Csv {
        delimiter: char,
        /// HeaderList, or the object's first record once read.
        header: Option<Vec<String>>,
        record: usize,
    },
    /// Ion values may span lines, so an Ion object is read whole (up to
    /// MAX_ION_OBJECT_BYTES) and its items handed out one by one.
    Ion {
        items: Option<std::vec::IntoIter<NumberedItem>>,
    },
}

/// The largest Ion object an import reads.
const MAX_ION_OBJECT_BYTES: u64 = 256 * 1024 * 1024;

type NumberedItem = (usize, Result<Item, String>);

impl ObjectItems {
    fn new(record: &ImportRecord) -> ObjectItems {
        let options = record.csv.as_ref();
        match record.input_format.as_str() {
            "CSV" => ObjectItems::Csv {
                delimiter: options
                    .and_then(|o| o.delimiter.as_deref())
                    .and_then(|d| d.chars().next())
                    .unwrap_or(','),
                header: options.and_then(|o| o.header_list.clone()),
                record: 0,
            },
            "ION" => ObjectItems::Ion { items: None },
            _ => ObjectItems::Json { line: 0 },
        }
    }

    /// The next item, or `None` at the object's end.
    fn next(
        &mut self,
        reader: &mut impl BufRead,
        key_types: &[(String, ScalarType)],
    ) -> std::io::Result<Option<NumberedItem>> {
        match self {
            ObjectItems::Json { line } => loop {
                let mut bytes = Vec::new();
                if Read::take(&mut *reader, MAX_LINE_BYTES + 1).read_until(b'\n', &mut bytes)? == 0 {
                    return Ok(None);
                }
                *line += 1;
                if bytes.len() as u64 > MAX_LINE_BYTES {
                    return Err(std::io::Error::other(format!(
                        "line {line} is longer than {MAX_LINE_BYTES} bytes"
                    )));
                }
                let Ok(text) = std::str::from_utf8(&bytes) else {
                    return Ok(Some((*line, Err("not UTF-8 text".to_string()))));
                };
                if !text.trim().is_empty() {
                    return Ok(Some((*line, json_item(text))));
                }
            },
            ObjectItems::Csv {
                delimiter,
                header,
                record,
            } => loop {
                let Some(fields) = csv::next_record(reader, *delimiter, MAX_LINE_BYTES)? else {
                    return Ok(None);
                };
                *record += 1;
                let fields = match fields {
                    Ok(fields) => fields,
                    Err(message) => return Ok(Some((*record, Err(message)))),
                };
                match header {
                    Some(header) => return Ok(Some((*record, csv_item(header, fields, key_types)))),
                    None => *header = Some(fields),
                }
            },
            ObjectItems::Ion { items } => {
                if items.is_none() {
                    let mut text = String::new();
                    Read::take(&mut *reader, MAX_ION_OBJECT_BYTES + 1).read_to_string(&mut text)?;
                    if text.len() as u64 > MAX_ION_OBJECT_BYTES {
                        return Err(std::io::Error::other(format!(
                            "an Ion object is longer than {MAX_ION_OBJECT_BYTES} bytes"
                        )));
                    }
                    *items = Some(ion::items(&text).into_iter());
                }
                Ok(items.as_mut().and_then(Iterator::next))
            }
        }
    }
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

/// A CSV record as an item: the header (HeaderList, or the first record)
/// names the attributes; key attributes take their defined type, every
/// other value is a string, and empty values are left out.
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
