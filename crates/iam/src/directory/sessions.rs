//! STS sessions over their lifetime: the shortest one issued, and the
//! removal of expired ones.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::records::session_key;
use super::{now, Directory, IamError, RecordWrite};

/// STS's floor for DurationSeconds.
pub const MIN_SESSION_DURATION: i64 = 900;

/// How long an expired session's record is kept, so that requests signed
/// with it fail with ExpiredTokenException, as AWS's do, rather than with
/// an unknown key, before it is swept away.
pub const EXPIRED_SESSION_RETENTION: i64 = 3600;

impl Directory {
    /// Lowers (or raises) the shortest DurationSeconds STS accepts, 900
    /// unless the server says otherwise (its hidden test option
    /// `--sts-min-duration-seconds`, so that tests can watch credentials
    /// expire).
    pub fn set_min_session_duration(&self, seconds: i64) {
        self.min_session_duration.store(seconds.max(1), Ordering::Relaxed);
    }

    pub fn min_session_duration(&self) -> i64 {
        self.min_session_duration.load(Ordering::Relaxed)
    }

    /// Removes up to `limit` sessions that expired more than
    /// [`EXPIRED_SESSION_RETENTION`] seconds ago, in one change through the
    /// writer; returns how many. Meant to be called periodically: a run
    /// with nothing to remove writes nothing but an empty transaction, and
    /// is skipped entirely when the view holds no such session.
    pub async fn sweep_expired_sessions(self: &Arc<Self>, limit: usize) -> Result<usize, IamError> {
        let before = now() - EXPIRED_SESSION_RETENTION;
        let expired = move |records: &super::Records| -> Vec<RecordWrite> {
            records
                .sessions()
                .filter(|session| session.expires_at < before)
                .take(limit)
                .map(|session| RecordWrite::Delete(session_key(&session.access_key_id)))
                .collect()
        };
        if self.read(|records| expired(records).is_empty()) {
            return Ok(0);
        }
        let removed = self.change(move |records| Ok(expired(records))).await?;
        Ok(removed.len())
    }
}
