//! Halyard's security model, without the wire: who signed a request
//! ([`sigv4`]) and whether that principal may do what it asks ([`policy`]).
//!
//! The crate knows nothing of HTTP servers or storage. The server's request
//! pipeline (parse, authenticate, authorise, execute) is expected to:
//! - hand [`sigv4::Verifier::verify`] the request as received (method, raw
//!   path, raw query, headers, body) and a [`credentials::CredentialStore`]
//!   backed by its in-memory view of the identities;
//! - turn an [`error::AuthError`] into DynamoDB's JSON error with
//!   [`error::AuthError::type_name`] and its `Display` text;
//! - build a [`policy::RequestContext`] per action/resource (one per table
//!   for batch and transaction requests) and call [`policy::evaluate`] with
//!   the caller's identity, session and resource policies; a denial becomes
//!   an AccessDeniedException with [`policy::Denial::message`].
//!
//! Not here yet (see the README beside Cargo.toml): the IAM and STS query
//! APIs, root credentials, identity storage, TLS.

pub mod access;
pub mod credentials;
pub mod directory;
pub mod error;
pub mod iam_api;
pub mod policy;
pub mod query;
pub mod sigv4;
pub mod sts_api;
