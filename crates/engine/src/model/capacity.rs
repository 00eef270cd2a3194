//! Throughput settings beyond provisioned capacity: on-demand maximums,
//! warm throughput and the table class.

use serde::{Deserialize, Serialize};

/// What DynamoDB stores for "no maximum" in OnDemandThroughput.
pub const NO_MAXIMUM: i64 = -1;

/// The most request units per second an on-demand table or index may use
/// (`NO_MAXIMUM` for no limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnDemandThroughput {
    pub max_read_request_units: i64,
    pub max_write_request_units: i64,
}

impl Default for OnDemandThroughput {
    fn default() -> Self {
        OnDemandThroughput {
            max_read_request_units: NO_MAXIMUM,
            max_write_request_units: NO_MAXIMUM,
        }
    }
}

impl OnDemandThroughput {
    /// The maximum for reads or writes, if one is set.
    pub fn maximum(&self, write: bool) -> Option<i64> {
        let units = if write {
            self.max_write_request_units
        } else {
            self.max_read_request_units
        };
        (units != NO_MAXIMUM).then_some(units)
    }
}

/// DynamoDB's warm throughput of a new table or index: what it can serve
/// at once without scaling.
pub const DEFAULT_WARM_READ_UNITS: i64 = 12_000;
pub const DEFAULT_WARM_WRITE_UNITS: i64 = 4_000;

/// Read and write units per second a table or index can serve at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarmThroughput {
    pub read_units_per_second: i64,
    pub write_units_per_second: i64,
}

impl Default for WarmThroughput {
    fn default() -> Self {
        WarmThroughput {
            read_units_per_second: DEFAULT_WARM_READ_UNITS,
            write_units_per_second: DEFAULT_WARM_WRITE_UNITS,
        }
    }
}

impl WarmThroughput {
    /// What DescribeTable reports: provisioned capacity above the warm
    /// throughput raises it, as in DynamoDB.
    pub fn reported(&self, provisioned: Option<(i64, i64)>) -> WarmThroughput {
        let (read, write) = provisioned.unwrap_or((0, 0));
        WarmThroughput {
            read_units_per_second: self.read_units_per_second.max(read),
            write_units_per_second: self.write_units_per_second.max(write),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TableClass {
    Standard,
    StandardInfrequentAccess,
}

impl TableClass {
    pub fn name(self) -> &'static str {
        match self {
            TableClass::Standard => "STANDARD",
            TableClass::StandardInfrequentAccess => "STANDARD_INFREQUENT_ACCESS",
        }
    }
}

/// A table's class once a request named one (DynamoDB reports
/// TableClassSummary only then).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TableClassSummary {
    pub table_class: TableClass,
    /// When UpdateTable last changed it.
    pub last_update: Option<f64>,
}
