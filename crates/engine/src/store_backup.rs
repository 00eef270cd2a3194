//! `halyard backup` of a running server.

use std::path::Path;

use halyard_storage::backup_dir::{write_backup, Manifest};

use crate::{Engine, Result};

impl Engine {
    /// Writes a copy of the whole store, as one snapshot sees it, and its
    /// manifest into the new directory `dir`, while writes go on.
    pub fn back_up_store(&self, dir: &Path) -> Result<Manifest> {
        Ok(write_backup(&*self.storage, dir)?)
    }
}
