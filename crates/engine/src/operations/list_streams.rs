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
    /// Streams newest first, as DynamoDB lists them, live or disabled.
    pub fn list_streams(&self, input: &ListStreamsInput) -> Result<ListStreamsOutput> {
        let limit = input.limit.unwrap_or(MAX_STREAMS);
        let state = self.streams.read();
        let mut newest_first: Vec<&crate::streams::StreamMeta> = state
            .streams
            .values()
            .filter(|meta| input.table_name.as_ref().is_none_or(|name| &meta.table_name == name))
            .collect();
        newest_first.sort_by(|a, b| b.created.total_cmp(&a.created).then_with(|| a.arn.cmp(&b.arn)));
        let skip = match &input.exclusive_start_stream_arn {
            Some(start) => newest_first
                .iter()
                .position(|meta| &meta.arn == start)
                .map_or(newest_first.len(), |position| position + 1),
            None => 0,
        };
        let mut matching = newest_first[skip..].iter().map(|meta| StreamSummary {
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
