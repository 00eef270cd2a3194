//! Shard iterators: opaque to clients, shaped like DynamoDB's
//! (`<stream ARN>|001|<base64>`), naming a stream, a shard, the next
//! sequence number to read and when the iterator was issued.

use base64::Engine as _;

use crate::error::{Error, Result};

/// How long an iterator may be used (DynamoDB: 15 minutes).
pub const ITERATOR_LIFETIME_MILLIS: u64 = 15 * 60 * 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardIterator {
    pub stream_arn: String,
    pub shard_id: String,
    /// The first sequence number the next GetRecords may return.
    pub position: u64,
    /// Epoch milliseconds.
    pub issued: u64,
}

const VERSION: &str = "001";

impl ShardIterator {
    pub fn encode(&self) -> String {
        let inner = format!("{}|{:021}|{:020}", self.shard_id, self.position, self.issued);
        let payload = base64::engine::general_purpose::STANDARD.encode(inner);
        format!("{}|{VERSION}|{payload}", self.stream_arn)
    }

    pub fn decode(text: &str) -> Result<ShardIterator> {
        let invalid = || Error::validation("Invalid ShardIterator");
        let mut parts = text.split('|');
        let (Some(stream_arn), Some(VERSION), Some(payload), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        let inner = base64::engine::general_purpose::STANDARD
            .decode(payload)
            .map_err(|_| invalid())?;
        let inner = String::from_utf8(inner).map_err(|_| invalid())?;
        let mut fields = inner.split('|');
        let (Some(shard_id), Some(position), Some(issued), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(invalid());
        };
        Ok(ShardIterator {
            stream_arn: stream_arn.to_string(),
            shard_id: shard_id.to_string(),
            position: super::parse_sequence(position).ok_or_else(invalid)?,
            issued: issued.parse().map_err(|_| invalid())?,
        })
    }

    /// ExpiredIteratorException once the iterator is too old.
    pub fn check_fresh(&self, now_millis: u64) -> Result<()> {
        if now_millis.saturating_sub(self.issued) > ITERATOR_LIFETIME_MILLIS {
            return Err(Error::ExpiredIterator(format!(
                "Iterator expired. The iterator was created at time {} while right now it is {} which is further in the future than the tolerated delay of {ITERATOR_LIFETIME_MILLIS} milliseconds.",
                super::label_at(self.issued as f64 / 1000.0),
                super::label_at(now_millis as f64 / 1000.0),
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iterators_round_trip_and_garbage_is_refused() {
        let iterator = ShardIterator {
            stream_arn: "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026-12-01T12:20:41.298".into(),
            shard_id: "shardId-00000001796127641306-23d0b444".into(),
            position: 42,
            issued: 1_796_127_641_306,
        };
        assert_eq!(ShardIterator::decode(&iterator.encode()).unwrap(), iterator);
        for garbage in ["", "garbage", "a|001|Z2FyYmFnZQ==", "a|002|", "a|001|!!!"] {
            assert_eq!(
                ShardIterator::decode(garbage).unwrap_err().to_string(),
                "Invalid ShardIterator"
            );
        }
    }

    #[test]
    fn iterators_expire_after_fifteen_minutes() {
        let iterator = ShardIterator {
            stream_arn: "arn".into(),
            shard_id: "s".into(),
            position: 1,
            issued: 1_000_000,
        };
        assert!(iterator.check_fresh(1_000_000 + ITERATOR_LIFETIME_MILLIS).is_ok());
        let error = iterator.check_fresh(1_000_001 + ITERATOR_LIFETIME_MILLIS).unwrap_err();
        assert!(matches!(error, Error::ExpiredIterator(_)));
    }
}
