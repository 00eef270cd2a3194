use crate::backups;
use crate::model::{BackupKind, BackupRecord};
use crate::{Engine, Error, Result};

impl Engine {
    /// DescribeBackup (and the lookup of the other backup operations): the
    /// user backup `arn` names.
    pub fn describe_backup(&self, arn: &str) -> Result<BackupRecord> {
        let not_found = || Error::BackupNotFound(format!("Backup not found: {arn}"));
        let id = backups::id_in_arn(arn).ok_or_else(not_found)?;
        let snapshot = self.storage.snapshot()?;
        match backups::read(&*snapshot, id)? {
            Some(record) if record.kind == BackupKind::User && record.arn == arn => Ok(record),
            _ => Err(not_found()),
        }
    }
}
