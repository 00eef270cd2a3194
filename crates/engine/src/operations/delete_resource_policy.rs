use super::create_table::expect_table;
use crate::resource_policies::{PolicyAction, PolicyChange};
use crate::table_settings::TableChange;
use crate::writer::Command;
use crate::{now_seconds, Engine, Result};

impl Engine {
    /// Removes the policy of a table or its stream and returns the revision
    /// id it had; with no policy there, nothing (unless a revision was
    /// expected).
    pub async fn delete_resource_policy(
        &self,
        arn: &str,
        expected_revision_id: Option<String>,
    ) -> Result<Option<String>> {
        let (table, target) = self.policy_target(arn)?;
        let removed = table.policy(&target).map(|policy| policy.revision_id.clone());
        if removed.is_none() && expected_revision_id.is_none() {
            // DeleteResourcePolicy is idempotent: nothing to write.
            return Ok(None);
        }
        let command = Command::AlterTable {
            table: table.definition.name.clone(),
            table_id: table.definition.id.clone(),
            change: TableChange::Policy(PolicyChange {
                arn: arn.to_string(),
                target,
                action: PolicyAction::Delete,
                expected_revision_id,
                now: now_seconds(),
                cooldown: self.config.policy_cooldown,
            }),
        };
        expect_table(self.writer.submit(command).await?)?;
        Ok(removed)
    }
}
