use crate::Engine;

/// One entry of DescribeEndpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub address: String,
    pub cache_period_in_minutes: i64,
}

impl Engine {
    /// DynamoDB's answer: the regional endpoint, cached for a day. SDKs use
    /// it only for endpoint discovery, which an explicit endpoint URL turns
    /// off.
    pub fn describe_endpoints(&self) -> Vec<Endpoint> {
        vec![Endpoint {
            address: format!("dynamodb.{}.amazonaws.com", self.config.region),
            cache_period_in_minutes: 1440,
        }]
    }
}
