//! Halyard's keys.
//!
//! The hierarchy is AWS's: a [`RootKey`] held outside the data directory
//! wraps key-service keys, and those wrap the data keys that encrypt data
//! ([`envelope`]). No key is ever written unwrapped, printed or logged:
//! key types redact themselves in `Debug` and wipe their bytes on drop.
//!
//! The key service ([`key_store`], [`kms_api`]) answers AWS KMS's JSON API:
//! its keys' material is sealed by the root key in a system keyspace, and
//! its ciphertext blobs ([`ciphertext`]) name the key version that sealed
//! them.

pub mod ciphertext;
pub mod envelope;
pub mod error;
pub mod item_cipher;
pub mod key_store;
pub mod keyring;
pub mod kms_api;
pub mod root_key;
pub mod root_key_source;
pub mod sealed_file;
pub mod table_keys;

pub use envelope::{open, seal, SecretKey};
pub use error::KeyError;
pub use root_key::RootKey;
