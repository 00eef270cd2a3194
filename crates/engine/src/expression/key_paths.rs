//! Key attributes are scalars: DynamoDB refuses an expression that steps
//! into one (`pk.a`, `gsi_key[0]`), whether it is the table's key or any
//! index's.

use super::path::DocumentPath;
use crate::error::Error;
use crate::model::{IndexKind, TableDefinition};

/// Refuses the first key attribute, in DynamoDB's order (the table's key,
/// then the local indexes' keys, then the global ones', each partition key
/// before sort key), that one of `paths` steps into.
pub fn check_scalar_keys<'p>(
    definition: &TableDefinition,
    paths: impl IntoIterator<Item = &'p DocumentPath>,
) -> Result<(), Error> {
    let nested: Vec<&DocumentPath> = paths.into_iter().filter(|path| path.0.len() > 1).collect();
    if nested.is_empty() {
        return Ok(());
    }
    let steps_into = |name: &str| nested.iter().any(|path| path.starts_with_attribute(name));
    let table_key = definition.primary_key.attributes().map(|key| ("Key", key));
    let index_keys = [IndexKind::Local, IndexKind::Global].into_iter().flat_map(|kind| {
        definition
            .indexes
            .iter()
            .filter(move |index| index.kind == kind)
            .flat_map(|index| index.key.attributes().map(|key| ("IndexKey", key)))
    });
    match table_key.chain(index_keys).find(|(_, key)| steps_into(&key.name)) {
        Some((kind, key)) => Err(Error::validation(format!(
            "Key attributes must be scalars; list random access '[]' and map lookup '.' are not allowed: {kind}: {}",
            key.name
        ))),
        None => Ok(()),
    }
}
