//! Work done a chunk at a time through the writer (index and expiry index
//! backfills, restores), so that it is ordered with the writes that happen
//! meanwhile.

use std::sync::Arc;

use crate::writer::{Command, Outcome, Writer};
use crate::Error;

/// Submits `chunk(after)` until a chunk answers that nothing is left, on a
/// thread of its own. `what` names the work in the log.
pub(crate) fn spawn(writer: Arc<Writer>, what: String, chunk: impl Fn(Option<Vec<u8>>) -> Command + Send + 'static) {
    let name = what.clone();
    let spawned = std::thread::Builder::new()
        .name("halyard-backfill".into())
        .spawn(move || {
            run(&writer, &what, chunk);
        });
    if let Err(error) = spawned {
        tracing::error!(%error, what = %name, "could not start a backfill");
    }
}

/// Submits `chunk(after)` until a chunk answers that nothing is left;
/// returns whether the work finished (rather than stopped).
pub(crate) fn run(writer: &Writer, what: &str, chunk: impl Fn(Option<Vec<u8>>) -> Command) -> bool {
    let mut after = None;
    loop {
        match writer.submit_blocking(chunk(after.clone())) {
            Ok(Outcome::Backfill { next: Some(next) }) => after = Some(next),
            Ok(_) => return true,
            // Transient: the chunk is tried again until space returns.
            Err(Error::OutOfSpace) => std::thread::sleep(std::time::Duration::from_secs(1)),
            // Work resumed at start-up, on a table sealing its items, waits
            // for the key service.
            Err(Error::Internal(reason)) if reason == crate::item_seal::KEYS_STARTING => {
                std::thread::sleep(std::time::Duration::from_millis(100))
            }
            Err(error) => {
                // The table or index went away, or the server is stopping.
                tracing::info!(%what, %error, "backfill stopped");
                return false;
            }
        }
    }
}
