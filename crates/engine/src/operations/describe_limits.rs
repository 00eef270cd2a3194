use crate::Engine;

/// DynamoDB's default throughput quotas, which DescribeLimits reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub account_max_read_capacity_units: i64,
    pub account_max_write_capacity_units: i64,
    pub table_max_read_capacity_units: i64,
    pub table_max_write_capacity_units: i64,
}

impl Engine {
    pub fn describe_limits(&self) -> Limits {
        Limits {
            account_max_read_capacity_units: 80_000,
            account_max_write_capacity_units: 80_000,
            table_max_read_capacity_units: 40_000,
            table_max_write_capacity_units: 40_000,
        }
    }
}
