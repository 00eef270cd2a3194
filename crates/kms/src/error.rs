//! What can go wrong with keys.

/// A key operation's failure. Messages never contain key material.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    /// The ciphertext was not sealed by this key with this context, or it
    /// was altered: AES-GCM's tag did not verify.
    #[error("the ciphertext could not be opened: wrong key, wrong context, or altered data")]
    Unsealable,
    /// A ciphertext shorter than its nonce and tag.
    #[error("the ciphertext is truncated")]
    Truncated,
    /// A key of the wrong length.
    #[error("a key must be {expected} bytes, not {actual}")]
    KeyLength { expected: usize, actual: usize },
    /// The system's random source failed.
    #[error("the random number generator failed")]
    Random,
}
