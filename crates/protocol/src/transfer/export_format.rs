//! An export's ExportFormat: how its data lines are written and what its
//! data files are named, as DynamoDB does (`data/*.json.gz` of DynamoDB
//! JSON lines, `data/*.ion.gz` of Amazon Ion text lines).

use halyard_engine::model::Item;
use halyard_engine::ItemChange;
use serde_json::json;

use super::ion;
use crate::attribute_value::item_to_json;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExportFormat {
    DynamoDbJson,
    Ion,
}

impl ExportFormat {
    /// The format an export's record names (DYNAMODB_JSON or ION).
    pub fn named(name: &str) -> ExportFormat {
        match name {
            "ION" => ExportFormat::Ion,
            _ => ExportFormat::DynamoDbJson,
        }
    }

    /// A data file's name ends with this.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::DynamoDbJson => "json.gz",
            ExportFormat::Ion => "ion.gz",
        }
    }

    /// A full export's line for one item (without its line break).
    pub fn item_line(self, item: &Item) -> Vec<u8> {
        match self {
            ExportFormat::DynamoDbJson => {
                serde_json::to_vec(&json!({ "Item": item_to_json(item) })).expect("JSON serialises")
            }
            ExportFormat::Ion => ion::item_line(item),
        }
    }

    /// An incremental export's line: the item's keys, its new image (absent
    /// when deleted) and, in NEW_AND_OLD_IMAGES, its old one (absent when new).
    pub fn change_line(self, change: &ItemChange, with_old: bool) -> Vec<u8> {
        match self {
            ExportFormat::DynamoDbJson => {
                let mut line = json!({
                    "Metadata": { "WriteTimestampMicros": { "N": change.written_micros.to_string() } },
                    "Keys": item_to_json(&change.key),
                });
                if let Some(new) = &change.new {
                    line["NewImage"] = item_to_json(new);
                }
                if let (true, Some(old)) = (with_old, &change.old) {
                    line["OldImage"] = item_to_json(old);
                }
                serde_json::to_vec(&line).expect("JSON serialises")
            }
            ExportFormat::Ion => ion::change_line(change, with_old),
        }
    }
}
