use super::create_table::expect_table;
use crate::resource_policies::{PolicyAction, PolicyChange};
use crate::table_settings::TableChange;
use crate::writer::Command;
use crate::{now_seconds, Engine, Result};

#[derive(Debug, Clone, Default)]
pub struct PutResourcePolicyInput {
    pub resource_arn: String,
    /// The document, validated and made canonical by the protocol layer.
    pub document: String,
    pub expected_revision_id: Option<String>,
}

impl Engine {
    /// Attaches a policy to a table or its stream and returns the policy's
    /// revision id (unchanged when the document is the one there already).
    pub async fn put_resource_policy(&self, input: PutResourcePolicyInput) -> Result<String> {
        let (table, target) = self.policy_target(&input.resource_arn)?;
        let command = Command::AlterTable {
            table: table.definition.name.clone(),
            table_id: table.definition.id.clone(),
            change: TableChange::Policy(PolicyChange {
                arn: input.resource_arn.clone(),
                target: target.clone(),
                action: PolicyAction::Put(input.document),
                expected_revision_id: input.expected_revision_id,
                now: now_seconds(),
                cooldown: self.config.policy_cooldown,
            }),
        };
        let table = expect_table(self.writer.submit(command).await?)?;
        let policy = table.policy(&target);
        // The writer has just stored it.
        Ok(policy.map(|policy| policy.revision_id.clone()).unwrap_or_default())
    }
}
