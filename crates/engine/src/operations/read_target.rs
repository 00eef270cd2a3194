//! Where a Query or Scan reads: the table, or one of its indexes.

use std::sync::Arc;

use crate::catalog::Table;
use crate::expression::condition::Condition;
use crate::expression::key_paths;
use crate::expression::projection::Projection;
use crate::keys::KeyLayout;
use crate::model::{IndexKey, IndexKind, IndexStatus, ProjectionType};
use crate::{Error, Result};

/// Which attributes a Query or Scan returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Select {
    /// Not given: all attributes of a table, all projected ones of an index.
    #[default]
    Default,
    AllAttributes,
    AllProjectedAttributes,
    SpecificAttributes,
    Count,
}

pub(crate) struct ReadTarget {
    pub keyspace: String,
    pub layout: KeyLayout,
    pub fetch_from_table: Option<String>,
}

/// Finds where a read goes and checks the request against it, in
/// DynamoDB's order. `check_read_key` runs the caller's checks against the
/// key of what is read (a Query's key condition and filter), after the
/// index and consistency checks and before the projection ones.
pub(crate) fn resolve<T>(
    table: &Arc<Table>,
    index_name: Option<&str>,
    consistent_read: bool,
    select: Select,
    projection: Option<&Projection>,
    filter: Option<&Condition>,
    check_read_key: impl FnOnce(&IndexKey) -> Result<T>,
) -> Result<(ReadTarget, T)> {
    let definition = &table.definition;
    let check_scalar_keys = || {
        let filter_paths = filter.map_or_else(Vec::new, Condition::paths);
        key_paths::check_scalar_keys(
            definition,
            filter_paths
                .into_iter()
                .chain(projection.map_or(&[][..], Projection::paths)),
        )
    };
    let Some(index_name) = index_name else {
        check_scalar_keys()?;
        let key: IndexKey = definition.primary_key.clone().into();
        let checked = check_read_key(&key)?;
        let target = ReadTarget {
            keyspace: definition.keyspace.clone(),
            layout: KeyLayout {
                index_key: None,
                table_key: definition.primary_key.clone(),
            },
            fetch_from_table: None,
        };
        return Ok((target, checked));
    };
    let index = definition
        .index(index_name)
        .ok_or_else(|| Error::validation(format!("The table does not have the specified index: {index_name}")))?;
    check_scalar_keys()?;
    if index.status == IndexStatus::Creating {
        return Err(Error::validation(format!(
            "Cannot read from backfilling global secondary index: {index_name}"
        )));
    }
    let wants_unprojected = select == Select::AllAttributes
        || projection.is_some_and(|p| {
            p.top_level_names()
                .any(|name| !index.projects(&definition.primary_key, name))
        });
    if index.kind == IndexKind::Global && consistent_read {
        return Err(Error::validation(
            "Consistent reads are not supported on global secondary indexes",
        ));
    }
    let checked = check_read_key(&index.key)?;
    let fetch_from_table = match index.kind {
        IndexKind::Global => {
            if select == Select::AllAttributes && index.projection_type != ProjectionType::All {
                return Err(Error::validation(format!(
                    "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index {index_name} because its projection type is not ALL"
                )));
            }
            let missing = |names: Vec<&str>| -> Vec<String> {
                let mut missing: Vec<String> = names
                    .into_iter()
                    .filter(|name| !index.projects(&definition.primary_key, name))
                    .map(str::to_string)
                    .collect();
                missing.dedup();
                missing
            };
            let unprojected = missing(projection.map_or_else(Vec::new, |p| p.top_level_names().collect()));
            if !unprojected.is_empty() {
                return Err(Error::validation(format!(
                    "One or more parameter values were invalid: Global secondary index {index_name} does not project [{}]",
                    unprojected.join(", ")
                )));
            }
            let unfiltered = missing(filter.map_or_else(Vec::new, |f| f.top_level_attributes()));
            if !unfiltered.is_empty() {
                return Err(Error::validation(format!(
                    "One or more parameter values were invalid: Secondary index {index_name} does not project one or more filter attributes: [{}]",
                    unfiltered.join(", ")
                )));
            }
            None
        }
        // A local index fetches what it lacks from the table, as DynamoDB does.
        IndexKind::Local => {
            (wants_unprojected && index.projection_type != ProjectionType::All).then(|| definition.keyspace.clone())
        }
    };
    let target = ReadTarget {
        keyspace: index.keyspace.clone(),
        layout: KeyLayout {
            index_key: Some(index.key.clone()),
            table_key: definition.primary_key.clone(),
        },
        fetch_from_table,
    };
    Ok((target, checked))
}
