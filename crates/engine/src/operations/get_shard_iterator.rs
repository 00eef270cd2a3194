use halyard_storage::Visit;

use crate::streams::iterator::ShardIterator;
use crate::streams::{decode_sequence_key, parse_sequence, record, scan_shard, ShardMeta, StreamMeta};
use crate::{Engine, Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShardIteratorType {
    TrimHorizon,
    Latest,
    AtSequenceNumber,
    AfterSequenceNumber,
    /// The first record made at or after `timestamp`.
    AtTimestamp,
}

#[derive(Debug, Clone)]
pub struct GetShardIteratorInput {
    pub stream_arn: String,
    pub shard_id: String,
    pub iterator_type: ShardIteratorType,
    pub sequence_number: Option<String>,
    /// Seconds since the epoch, for AT_TIMESTAMP.
    pub timestamp: Option<f64>,
}

fn invalid(message: &str) -> Error {
    Error::validation(format!("One or more parameter values were invalid: {message}"))
}

pub(crate) fn trimmed() -> Error {
    Error::TrimmedDataAccess(
        "The operation attempted to access data that has been trimmed (aged out) from the stream".into(),
    )
}

pub(crate) fn now_millis() -> u64 {
    (crate::now_seconds() * 1000.0) as u64
}

impl Engine {
    pub async fn get_shard_iterator(&self, input: &GetShardIteratorInput) -> Result<String> {
        let (stream, committed_sequence) = {
            let state = self.streams.read();
            let stream =
                state.streams.get(&input.stream_arn).cloned().ok_or_else(|| {
                    Error::ResourceNotFound("Requested resource not found: Stream does not exist".into())
                })?;
            (stream, state.committed_sequence)
        };
        let shard = stream
            .shard(&input.shard_id)
            .ok_or_else(|| Error::ResourceNotFound("Requested resource not found: Shard does not exist".into()))?;
        let by_sequence = matches!(
            input.iterator_type,
            ShardIteratorType::AtSequenceNumber | ShardIteratorType::AfterSequenceNumber
        );
        if !by_sequence && input.sequence_number.is_some() {
            return Err(invalid("SequenceNumber should not be passed for this iterator type"));
        }
        let at_timestamp = input.iterator_type == ShardIteratorType::AtTimestamp;
        if at_timestamp != input.timestamp.is_some() {
            return Err(invalid(if at_timestamp {
                "Timestamp must be passed for the AT_TIMESTAMP iterator type"
            } else {
                "Timestamp should not be passed for this iterator type"
            }));
        }
        let oldest = shard.start.max(stream.trimmed_through + 1);
        let newest = shard.end.unwrap_or(stream.last_sequence);
        let position = match input.iterator_type {
            ShardIteratorType::TrimHorizon => oldest,
            ShardIteratorType::Latest => match shard.end {
                Some(end) => end + 1,
                None => (committed_sequence + 1).max(shard.start),
            },
            ShardIteratorType::AtTimestamp => {
                let timestamp = input.timestamp.unwrap_or_default();
                self.first_record_since(&stream, shard, oldest, timestamp).await?
            }
            ShardIteratorType::AtSequenceNumber | ShardIteratorType::AfterSequenceNumber => {
                let text = input
                    .sequence_number
                    .as_deref()
                    .filter(|text| !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
                    .ok_or_else(|| invalid("Invalid SequenceNumber"))?;
                // Digits beyond what Halyard gives out name no record of the shard.
                let sequence = parse_sequence(text).unwrap_or(u64::MAX);
                if sequence < shard.start || sequence > newest {
                    return Err(Error::validation("Invalid SequenceNumber for the shard"));
                }
                if sequence <= stream.trimmed_through {
                    return Err(trimmed());
                }
                sequence + u64::from(input.iterator_type == ShardIteratorType::AfterSequenceNumber)
            }
        };
        Ok(ShardIterator {
            stream_arn: stream.arn.clone(),
            shard_id: shard.id.clone(),
            position,
            issued: now_millis(),
        }
        .encode())
    }

    /// The sequence number of the shard's first record made at or after
    /// `timestamp` (records are in time order); past the shard's last
    /// record if there is none.
    async fn first_record_since(
        &self,
        stream: &StreamMeta,
        shard: &ShardMeta,
        oldest: u64,
        timestamp: f64,
    ) -> Result<u64> {
        let found = self
            .read(|view| {
                let mut found = None;
                scan_shard(view, &stream.keyspace, shard, oldest, &mut |key, value| {
                    if record::created_of(value).is_some_and(|created| created as f64 >= timestamp.floor()) {
                        found = decode_sequence_key(key);
                        return Visit::Stop;
                    }
                    Visit::Continue
                })?;
                Ok(found)
            })
            .await?;
        Ok(found.unwrap_or_else(|| shard.end.unwrap_or(stream.last_sequence).max(oldest - 1) + 1))
    }
}
