//! The background job that ages stream records out, through the writer.

use std::time::Duration;

use super::log::TRIM_LIMIT;
use crate::writer::{Command, Outcome};
use crate::Engine;

impl Engine {
    /// Trims every stream now and then: often enough that nothing outlives
    /// its retention by much, in bounded steps.
    pub(crate) fn start_stream_trimmer(&self) {
        let writer = self.writer.clone();
        // Held weakly, so that a stopping server closes its store without
        // waiting for this thread's pause to end.
        let storage = std::sync::Arc::downgrade(&self.storage);
        let pause = Duration::from_secs_f64((self.config.streams.retention / 24.0).clamp(1.0, 60.0));
        let spawned = std::thread::Builder::new()
            .name("halyard-stream-trim".into())
            .spawn(move || loop {
                // One node at a time trims (several nodes over one store).
                let Some(store) = storage.upgrade() else { break };
                let held = store.hold_lease("stream-trim").unwrap_or(false);
                drop(store);
                if !held {
                    std::thread::sleep(pause);
                    continue;
                }
                match writer.submit_blocking(Command::TrimStreams) {
                    // More is waiting: go on at once.
                    Ok(Outcome::Trimmed(removed)) if removed >= TRIM_LIMIT => continue,
                    Ok(_) | Err(crate::Error::OutOfSpace) => std::thread::sleep(pause),
                    Err(error) => {
                        tracing::info!(%error, "stream trimming stopped");
                        break;
                    }
                }
            });
        if let Err(error) = spawned {
            tracing::error!(%error, "could not start stream trimming");
        }
    }
}
