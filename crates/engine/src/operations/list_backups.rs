use halyard_storage::Visit;

use crate::backups;
use crate::model::{BackupKind, BackupRecord};
use crate::{Engine, Result};

/// ListBackups' BackupType filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BackupTypeFilter {
    #[default]
    User,
    System,
    AwsBackup,
    All,
}

#[derive(Debug, Clone, Default)]
pub struct ListBackupsInput {
    pub table_name: Option<String>,
    /// Inclusive, in seconds since the epoch.
    pub created_after: Option<f64>,
    /// Exclusive, in seconds since the epoch.
    pub created_before: Option<f64>,
    pub backup_type: BackupTypeFilter,
    pub limit: Option<usize>,
    /// The ARN of the last backup of the previous page.
    pub exclusive_start_backup_arn: Option<String>,
}

pub struct ListBackupsOutput {
    pub backups: Vec<BackupRecord>,
    /// Set when more backups may follow.
    pub last_evaluated_backup_arn: Option<String>,
}

/// Backups listed per page when no Limit is given.
const PAGE: usize = 100;

impl Engine {
    /// ListBackups: user backups (the only kind Halyard makes) in order of
    /// creation.
    pub fn list_backups(&self, input: &ListBackupsInput) -> Result<ListBackupsOutput> {
        let limit = input.limit.unwrap_or(PAGE);
        let start = input.exclusive_start_backup_arn.as_deref().and_then(backups::id_in_arn);
        let mut page = Vec::new();
        let mut more = false;
        if matches!(input.backup_type, BackupTypeFilter::User | BackupTypeFilter::All) {
            let snapshot = self.storage.snapshot()?;
            backups::scan(&*snapshot, start, &mut |record| {
                let wanted = record.kind == BackupKind::User
                    && input.table_name.as_ref().is_none_or(|name| *name == record.table.name)
                    && input.created_after.is_none_or(|after| record.created >= after)
                    && input.created_before.is_none_or(|before| record.created < before);
                if !wanted {
                    return Visit::Continue;
                }
                if page.len() == limit {
                    more = true;
                    return Visit::Stop;
                }
                page.push(record);
                Visit::Continue
            })?;
        }
        let last_evaluated_backup_arn = more.then(|| page.last().map(|record| record.arn.clone())).flatten();
        Ok(ListBackupsOutput {
            backups: page,
            last_evaluated_backup_arn,
        })
    }
}
