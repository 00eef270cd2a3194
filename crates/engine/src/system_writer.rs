//! The engine's writer as the services beside it (IAM, STS) see it: their
//! system commands go through the same ordered write path as table writes.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use halyard_storage::{StorageError, SystemCommand, SystemWriter};

use crate::error::Error;
use crate::writer::Command;
use crate::Engine;

impl SystemWriter for Engine {
    fn submit(
        &self,
        command: Arc<dyn SystemCommand>,
    ) -> Pin<Box<dyn Future<Output = halyard_storage::Result<()>> + Send + '_>> {
        Box::pin(async move {
            self.writer
                .submit(Command::System(command))
                .await
                .map(|_| ())
                .map_err(|error| match error {
                    Error::OutOfSpace => StorageError::OutOfSpace(error.to_string()),
                    Error::WritesStopped => StorageError::WritesStopped(error.to_string()),
                    other => StorageError::Engine(other.to_string()),
                })
        })
    }
}
