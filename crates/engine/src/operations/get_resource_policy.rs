use std::sync::Arc;

use crate::model::ResourcePolicy;
use crate::resource_policies::policy_not_found;
use crate::{Engine, Result};

impl Engine {
    /// The policy attached to a table or its stream.
    pub fn get_resource_policy(&self, arn: &str) -> Result<Arc<ResourcePolicy>> {
        let (table, target) = self.policy_target(arn)?;
        let policy = table.policy(&target);
        policy.cloned().ok_or_else(|| policy_not_found(arn))
    }
}
