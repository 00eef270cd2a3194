use crate::streams::{ShardMeta, StreamMeta};
use crate::{Engine, Error, Result};

#[derive(Debug, Clone, Default)]
pub struct DescribeStreamInput {
    pub stream_arn: String,
    pub limit: Option<usize>,
    pub exclusive_start_shard_id: Option<String>,
    /// ShardFilter CHILD_SHARDS: only the children of this shard.
    pub children_of: Option<String>,
}

#[derive(Debug, Clone)]
pub struct DescribeStreamOutput {
    pub stream: StreamMeta,
    pub shards: Vec<ShardMeta>,
    pub last_evaluated_shard_id: Option<String>,
}

/// DescribeStream's default and largest page of shards.
const MAX_SHARDS: usize = 100;

pub(crate) fn stream_not_found(arn: &str) -> Error {
    Error::ResourceNotFound(format!("Requested resource not found: Stream: {arn} not found"))
}

impl Engine {
    pub fn describe_stream(&self, input: &DescribeStreamInput) -> Result<DescribeStreamOutput> {
        let stream = self
            .streams
            .stream(&input.stream_arn)
            .ok_or_else(|| stream_not_found(&input.stream_arn))?;
        let limit = input.limit.unwrap_or(MAX_SHARDS);
        // Shards are kept oldest first: an exclusive start is a position.
        let skip = match &input.exclusive_start_shard_id {
            Some(start) => stream
                .shards
                .iter()
                .position(|shard| &shard.id == start)
                .map_or(0, |position| position + 1),
            None => 0,
        };
        let mut matching = stream.shards[skip..]
            .iter()
            .filter(|shard| {
                input
                    .children_of
                    .as_ref()
                    .is_none_or(|parent| shard.parent.as_ref() == Some(parent))
            })
            .cloned();
        let shards: Vec<ShardMeta> = matching.by_ref().take(limit).collect();
        let last_evaluated_shard_id = if matching.next().is_some() {
            shards.last().map(|shard| shard.id.clone())
        } else {
            None
        };
        Ok(DescribeStreamOutput {
            stream,
            shards,
            last_evaluated_shard_id,
        })
    }
}
