//! The audit trail's hook on the write path: a request's draft audit record
//! rides the mutation it describes, so both commit in one transaction.
//!
//! The server runs a request's execution inside [`with_audit`]; every
//! command the request submits to the writer from inside that scope carries
//! the attachment, and the writer applies it right after the first such
//! command that succeeds, in the same storage transaction. Background work
//! (TTL, backfills, trims) runs in tasks of its own, outside any scope.

use std::future::Future;
use std::sync::Arc;

use halyard_storage::SystemCommand;

tokio::task_local! {
    static AUDIT: Arc<dyn SystemCommand>;
}

/// Runs `future` with `attachment` attached to each write it submits.
/// The attachment's `apply` must be idempotent within a request: the writer
/// applies it at most once per committed transaction, and its `committed`
/// tells the caller that the record is durable.
pub async fn with_audit<F: Future>(attachment: Arc<dyn SystemCommand>, future: F) -> F::Output {
    AUDIT.scope(attachment, future).await
}

/// The attachment of the request being served, if any.
pub(crate) fn current() -> Option<Arc<dyn SystemCommand>> {
    AUDIT.try_with(Arc::clone).ok()
}

impl crate::Engine {
    /// The names of a table's key attributes (an audit record names the
    /// key, never its values), from the in-memory catalog.
    pub fn key_attribute_names(&self, table_name: &str) -> Option<Vec<String>> {
        let table = self.catalog.get(table_name)?;
        Some(
            table
                .definition
                .key_schema
                .iter()
                .map(|element| element.attribute_name.clone())
                .collect(),
        )
    }
}
