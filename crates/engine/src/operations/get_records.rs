use halyard_storage::Visit;

use super::get_shard_iterator::{now_millis, trimmed};
use crate::item_seal::SealForm;
use crate::streams::iterator::ShardIterator;
use crate::streams::record::{self, StreamRecord};
use crate::streams::{decode_sequence_key, scan_shard, stream_seal};
use crate::{Engine, Error, Result};

#[derive(Debug, Clone)]
pub struct GetRecordsOutput {
    pub records: Vec<StreamRecord>,
    /// `None` once a closed shard has been read to its end.
    pub next_shard_iterator: Option<String>,
}

/// GetRecords' default and largest number of records.
pub const MAX_RECORDS: usize = 1000;
/// Most record bytes (SizeBytes) in one answer.
const MAX_RECORD_BYTES: usize = 1024 * 1024;

impl Engine {
    /// Reads from the iterator's position: a range read of the stream's
    /// keyspace, so it costs what it returns.
    pub async fn get_records(&self, shard_iterator: &str, limit: Option<usize>) -> Result<GetRecordsOutput> {
        let iterator = ShardIterator::decode(shard_iterator)?;
        let now = now_millis();
        iterator.check_fresh(now)?;
        let stream = self.streams.stream(&iterator.stream_arn).ok_or_else(|| {
            Error::ResourceNotFound(format!(
                "Requested resource not found: Stream: {} not found",
                iterator.stream_arn
            ))
        })?;
        if iterator.position <= stream.trimmed_through {
            return Err(trimmed());
        }
        // A shard that is gone had only trimmed records.
        let shard = stream.shard(&iterator.shard_id).ok_or_else(trimmed)?.clone();
        let limit = limit.unwrap_or(MAX_RECORDS);
        let seal = stream_seal(&self.catalog, &stream)?;
        let (records, full) = self
            .read(|view| {
                let mut records = Vec::new();
                let mut bytes = 0;
                let mut full = false;
                let mut failure = None;
                scan_shard(view, &stream.keyspace, &shard, iterator.position, &mut |key, value| {
                    let decoded = decode_sequence_key(key)
                        .ok_or_else(|| Error::Internal("corrupt stream record key".into()))
                        .and_then(|sequence| {
                            let split = value.len().min(record::HEADER_LEN);
                            let (header, items) = value.split_at(split);
                            record::decode_parts(sequence, header, &seal.open(SealForm::StreamRecord, key, items)?)
                        });
                    match decoded {
                        Ok(record) => {
                            bytes += record.size_bytes();
                            records.push(record);
                            if records.len() >= limit || bytes >= MAX_RECORD_BYTES {
                                full = true;
                                return Visit::Stop;
                            }
                            Visit::Continue
                        }
                        Err(error) => {
                            failure = Some(error);
                            Visit::Stop
                        }
                    }
                })?;
                match failure {
                    Some(error) => Err(error),
                    None => Ok((records, full)),
                }
            })
            .await?;
        let position = records.last().map_or(iterator.position, |last| last.sequence + 1);
        let finished = shard.end.is_some_and(|end| !full || position > end);
        let next_shard_iterator = (!finished).then(|| {
            ShardIterator {
                position,
                issued: now,
                ..iterator
            }
            .encode()
        });
        Ok(GetRecordsOutput {
            records,
            next_shard_iterator,
        })
    }
}
