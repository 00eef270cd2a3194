use crate::{Engine, Result};

#[derive(Debug, Clone, Default)]
pub struct ListStreamsInput {
    pub table_name: Option<String>,
    pub limit: Option<usize>,
    pub exclusive_start_stream_arn: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StreamSummary {
    pub arn: String,
    pub table_name: String,
    pub label: String,
}

#[derive(Debug, Clone)]
pub struct ListStreamsOutput {
    pub streams: Vec<StreamSummary>,
    pub last_evaluated_stream_arn: Option<String>,
}

/// ListStreams' default and largest page.
const MAX_STREAMS: usize = 100;

impl Engine {
    /// Streams in ARN order (a table's streams in the order they were
    /// enabled, since labels are timestamps), live or disabled.
    pub fn list_streams(&self, input: &ListStreamsInput) -> Result<ListStreamsOutput> {
        let limit = input.limit.unwrap_or(MAX_STREAMS);
        let state = self.streams.read();
        let mut matching = state
            .streams
            .values()
            .filter(|meta| input.table_name.as_ref().is_none_or(|name| &meta.table_name == name))
            .filter(|meta| {
                input
                    .exclusive_start_stream_arn
                    .as_ref()
                    .is_none_or(|start| meta.arn.as_str() > start.as_str())
            })
            .map(|meta| StreamSummary {
                arn: meta.arn.clone(),
                table_name: meta.table_name.clone(),
                label: meta.label.clone(),
            });
        let streams: Vec<StreamSummary> = matching.by_ref().take(limit).collect();
        let last_evaluated_stream_arn = if matching.next().is_some() {
            streams.last().map(|summary| summary.arn.clone())
        } else {
            None
        };
        Ok(ListStreamsOutput {
            streams,
            last_evaluated_stream_arn,
        })
    }
}
