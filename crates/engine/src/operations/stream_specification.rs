//! StreamSpecification, as CreateTable and UpdateTable take it.

use crate::model::{StreamViewType, TableDefinition, TableStream};
use crate::{Error, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamSpecification {
    pub enabled: bool,
    pub view_type: Option<StreamViewType>,
}

impl StreamSpecification {
    /// DynamoDB's checks of the specification on its own.
    fn check(self) -> Result<Option<StreamViewType>> {
        match (self.enabled, self.view_type) {
            (true, None) => Err(Error::validation(
                "Invalid StreamViewType: Stream ViewType must not be null or empty when enabling streams.",
            )),
            (false, Some(_)) => Err(Error::validation(
                "Invalid StreamViewType: Stream StreamEnabled was false but a StreamViewType was present.",
            )),
            (true, Some(view_type)) => Ok(Some(view_type)),
            (false, None) => Ok(None),
        }
    }
}

/// The stream a new table starts with.
pub(crate) fn initial_stream(
    spec: Option<StreamSpecification>,
    table_arn: &str,
    now: f64,
) -> Result<Option<TableStream>> {
    let Some(view_type) = spec.map(StreamSpecification::check).transpose()?.flatten() else {
        return Ok(None);
    };
    Ok(Some(new_stream(table_arn, view_type, now, None)))
}

/// Applies an UpdateTable StreamSpecification to `definition`.
pub(crate) fn update_stream(definition: &mut TableDefinition, spec: StreamSpecification, now: f64) -> Result<()> {
    let view_type = spec.check()?;
    let current = definition.enabled_stream();
    match (view_type, current) {
        (Some(_), Some(_)) => Err(Error::validation("Table already has an enabled stream")),
        (None, None) => Err(Error::validation("Table has no stream to disable")),
        (Some(view_type), None) => {
            let previous = definition.stream.as_ref().map(|stream| stream.label.as_str());
            definition.stream = Some(new_stream(&definition.arn, view_type, now, previous));
            Ok(())
        }
        (None, Some(_)) => {
            if let Some(stream) = definition.stream.as_mut() {
                stream.enabled = false;
            }
            Ok(())
        }
    }
}

/// A stream labelled with the time it was enabled (a millisecond later
/// than the previous one's label if that is the same).
fn new_stream(table_arn: &str, view_type: StreamViewType, now: f64, previous: Option<&str>) -> TableStream {
    let mut label = crate::streams::label_at(now);
    let mut at = now;
    while Some(label.as_str()) <= previous {
        at += 0.001;
        label = crate::streams::label_at(at);
    }
    TableStream {
        arn: format!("{table_arn}/stream/{label}"),
        label,
        view_type,
        enabled: true,
    }
}
