use super::create_table::expect_table;
use crate::model::TableDefinition;
use crate::table_settings::TableChange;
use crate::writer::Command;
use crate::{now_seconds, Engine, Error, Result};

/// UpdateTimeToLive's TimeToLiveSpecification as sent: both members are
/// required, but DynamoDB checks them only once it has found the table.
#[derive(Debug, Clone, Default)]
pub struct TimeToLiveRequest {
    pub enabled: Option<bool>,
    pub attribute_name: Option<String>,
}

/// What UpdateTimeToLive applied, and answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeToLiveSpecification {
    pub enabled: bool,
    pub attribute_name: String,
}

/// DynamoDB's answer for a missing table in the TTL operations.
pub(crate) fn ttl_table_not_found() -> Error {
    Error::ResourceNotFound("Cannot do operations on a non-existent table".into())
}

impl Engine {
    /// Enables or disables Time to Live. Enabling it on a table with items
    /// adds them to the expiry index in the background (ENABLING until done).
    pub async fn update_time_to_live(
        &self,
        table_name: &str,
        request: Option<TimeToLiveRequest>,
    ) -> Result<TimeToLiveSpecification> {
        let table = self.catalog.get(table_name).ok_or_else(ttl_table_not_found)?;
        let request = request.ok_or_else(|| Error::validation("TimeToLiveSpecification cannot be null"))?;
        let (Some(enabled), Some(attribute_name)) = (request.enabled, request.attribute_name) else {
            return Err(Error::validation(
                "AttributeName cannot be null when time to live is being enabled",
            ));
        };
        let specification = TimeToLiveSpecification {
            enabled,
            attribute_name,
        };
        if specification.attribute_name.is_empty() || specification.attribute_name.chars().count() > 255 {
            return Err(Error::validation(
                "Names of key attributes and attributes projected into an index must be between 1 and 255 characters, inclusive",
            ));
        }
        let command = Command::AlterTable {
            table: table.definition.name.clone(),
            table_id: table.definition.id.clone(),
            change: TableChange::TimeToLive {
                enabled: specification.enabled,
                attribute_name: specification.attribute_name.clone(),
                now: now_seconds(),
                cooldown: self.config.ttl_cooldown.as_secs_f64(),
            },
        };
        let table = expect_table(self.writer.submit(command).await?)?;
        if table.definition.time_to_live.as_ref().is_some_and(|ttl| !ttl.indexed) {
            self.start_expiry_backfill(&table.definition);
        }
        Ok(specification)
    }

    /// Adds a table's existing items to its expiry index, through the writer.
    pub(crate) fn start_expiry_backfill(&self, definition: &TableDefinition) {
        let (table, table_id) = (definition.name.clone(), definition.id.clone());
        let Some(enabled_at) = definition.time_to_live_changed else {
            return;
        };
        let what = format!("expiry index of table {table}");
        crate::backfill::spawn(self.writer.clone(), what, move |after| Command::BackfillExpiry {
            table: table.clone(),
            table_id: table_id.clone(),
            enabled_at,
            after,
        });
    }
}
