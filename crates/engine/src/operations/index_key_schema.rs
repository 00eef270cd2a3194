//! An index's KeySchema: DynamoDB's rules for it, and the key it describes.
//!
//! Local indexes have a table's shape: one HASH and one RANGE attribute.
//! Global indexes may have multi-attribute keys: one to four HASH
//! attributes, then up to four RANGE attributes, each a distinct attribute
//! with its own type. Shapes a single-attribute key could have ([HASH],
//! [HASH, RANGE] and their mistakes) keep the table's rules and messages.

use std::collections::HashSet;

use super::create_table::{key_attribute, key_from_schema};
use crate::model::{AttributeDefinition, IndexKey, IndexKind, KeySchemaElement, KeyType};
use crate::{Error, Result};

/// The most HASH, and the most RANGE, attributes of a global index key.
pub const MAX_KEY_ATTRIBUTES_PER_ROLE: usize = 4;

fn invalid(message: String) -> Error {
    Error::validation(format!("One or more parameter values were invalid: {message}"))
}

/// Checks an index's key schema against the attribute definitions and
/// returns the key it describes.
pub(crate) fn index_key_from_schema(
    index_name: &str,
    kind: IndexKind,
    key_schema: &[KeySchemaElement],
    definitions: &[AttributeDefinition],
) -> Result<IndexKey> {
    let hash_count = key_schema.iter().filter(|e| e.key_type == KeyType::Hash).count();
    let single_attribute_shape = key_schema.len() <= 2 && hash_count < 2;
    if kind == IndexKind::Local || single_attribute_shape {
        if key_schema.len() > 2 {
            return Err(invalid(format!(
                "Local secondary indexes have single-attribute keys: the KeySchema of index {index_name} must have at most two elements, one HASH and one RANGE"
            )));
        }
        return Ok(key_from_schema(key_schema, definitions)?.into());
    }
    let range_count = key_schema.len() - hash_count;
    // The service's texts (captured; tests/e2e/ORACLE_NOTES.md): they name
    // neither the index nor the attribute.
    if hash_count == 0 {
        return Err(Error::validation(
            "Invalid KeySchema: The first KeySchemaElement is not a HASH key type",
        ));
    }
    for (role, count) in [("HASH", hash_count), ("RANGE", range_count)] {
        if count > MAX_KEY_ATTRIBUTES_PER_ROLE {
            return Err(invalid(format!(
                "The KeySchema exceeds the maximum allowed number of {role} key attributes"
            )));
        }
    }
    if key_schema[..hash_count].iter().any(|e| e.key_type != KeyType::Hash) {
        return Err(invalid(
            "All HASH key attributes must precede RANGE key attributes in the KeySchema".to_string(),
        ));
    }
    let mut names = HashSet::with_capacity(key_schema.len());
    if key_schema.iter().any(|e| !names.insert(e.attribute_name.as_str())) {
        return Err(Error::validation(
            "The KeySchema contains multiple key attributes with the same name",
        ));
    }
    let attributes = key_schema
        .iter()
        .map(|element| key_attribute(element, key_schema, definitions))
        .collect::<Result<Vec<_>>>()?;
    let mut partition = attributes;
    let sort = partition.split_off(hash_count);
    Ok(IndexKey { partition, sort })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ScalarType;

    fn schema(elements: &[(&str, KeyType)]) -> Vec<KeySchemaElement> {
        elements
            .iter()
            .map(|(name, key_type)| KeySchemaElement {
                attribute_name: name.to_string(),
                key_type: *key_type,
            })
            .collect()
    }

    fn definitions(names: &[&str]) -> Vec<AttributeDefinition> {
        names
            .iter()
            .map(|name| AttributeDefinition {
                attribute_name: name.to_string(),
                attribute_type: ScalarType::S,
            })
            .collect()
    }

    fn global(elements: &[(&str, KeyType)]) -> Result<IndexKey> {
        let names: Vec<&str> = elements.iter().map(|(name, _)| *name).collect();
        index_key_from_schema("g", IndexKind::Global, &schema(elements), &definitions(&names))
    }

    fn message(result: Result<IndexKey>) -> String {
        match result {
            Err(Error::Validation(message)) => message,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    use KeyType::{Hash as H, Range as R};

    #[test]
    fn four_hash_and_four_range_attributes_make_one_key_in_schema_order() {
        let key = global(&[
            ("a", H),
            ("b", H),
            ("c", H),
            ("d", H),
            ("e", R),
            ("f", R),
            ("g", R),
            ("h", R),
        ])
        .unwrap();
        let names = |attributes: &[crate::model::KeyAttribute]| -> Vec<String> {
            attributes.iter().map(|a| a.name.clone()).collect()
        };
        assert_eq!(names(&key.partition), ["a", "b", "c", "d"]);
        assert_eq!(names(&key.sort), ["e", "f", "g", "h"]);
        assert_eq!(global(&[("a", H), ("b", H)]).unwrap().sort, vec![]);
    }

    #[test]
    fn shape_errors_name_the_rule() {
        let five: Vec<(String, KeyType)> = (0..5).map(|i| (format!("a{i}"), H)).collect();
        let five: Vec<(&str, KeyType)> = five.iter().map(|(n, t)| (n.as_str(), *t)).collect();
        assert!(message(global(&five)).contains("maximum allowed number of HASH key attributes"));
        let mut range = vec![("h", H)];
        let names: Vec<String> = (0..5).map(|i| format!("r{i}")).collect();
        range.extend(names.iter().map(|n| (n.as_str(), R)));
        assert!(message(global(&range)).contains("maximum allowed number of RANGE key attributes"));
        assert!(message(global(&[("a", H), ("b", R), ("c", H)])).contains("All HASH key attributes must precede RANGE"));
        assert!(message(global(&[("a", R), ("b", R), ("c", R)]))
            .starts_with("Invalid KeySchema: The first KeySchemaElement is not a HASH"));
        assert!(message(global(&[("a", H), ("b", H), ("a", R)])).contains("multiple key attributes with the same name"));
        assert!(message(global(&[("a", H), ("a", H)])).contains("multiple key attributes with the same name"));
    }

    #[test]
    fn single_attribute_shapes_keep_the_table_rules() {
        assert!(message(global(&[("a", R), ("b", H)])).starts_with("Invalid key order. Hash Key"));
        assert!(message(global(&[("a", H), ("a", R)])).starts_with("Both the Hash Key and the Range Key"));
    }

    #[test]
    fn local_indexes_stay_single_attribute() {
        let elements = schema(&[("p", H), ("a", R), ("b", R)]);
        let result = index_key_from_schema("l", IndexKind::Local, &elements, &definitions(&["p", "a", "b"]));
        assert!(message(result).contains("at most two elements"));
    }

    #[test]
    fn undefined_attributes_are_named() {
        let result = index_key_from_schema(
            "g",
            IndexKind::Global,
            &schema(&[("a", H), ("b", H)]),
            &definitions(&["a"]),
        );
        assert!(message(result).contains("Some index key attributes are not defined in AttributeDefinitions"));
    }
}
