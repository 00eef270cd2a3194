use super::update_time_to_live::ttl_table_not_found;
use crate::{Engine, Result};

/// DescribeTimeToLive's TimeToLiveStatus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeToLiveStatus {
    /// Enabled; the items already in the table are still being indexed.
    Enabling,
    Enabled,
    Disabled,
}

impl TimeToLiveStatus {
    pub fn name(self) -> &'static str {
        match self {
            TimeToLiveStatus::Enabling => "ENABLING",
            TimeToLiveStatus::Enabled => "ENABLED",
            TimeToLiveStatus::Disabled => "DISABLED",
        }
    }
}

/// A table's Time to Live: its status, and the attribute while enabled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeToLiveDescription {
    pub status: TimeToLiveStatus,
    pub attribute_name: Option<String>,
}

impl Engine {
    pub fn describe_time_to_live(&self, table_name: &str) -> Result<TimeToLiveDescription> {
        let table = self.catalog.get(table_name).ok_or_else(ttl_table_not_found)?;
        Ok(match &table.definition.time_to_live {
            // Disabling is immediate: the expiry index is dropped with the setting.
            None => TimeToLiveDescription {
                status: TimeToLiveStatus::Disabled,
                attribute_name: None,
            },
            Some(ttl) => TimeToLiveDescription {
                status: if ttl.indexed {
                    TimeToLiveStatus::Enabled
                } else {
                    TimeToLiveStatus::Enabling
                },
                attribute_name: Some(ttl.attribute_name.clone()),
            },
        })
    }
}
