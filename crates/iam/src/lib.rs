//! Halyard's security model: who signed a request ([`sigv4`]), who that
//! is ([`directory`]: users, groups, roles, policies, access keys and STS
//! sessions, stored in a system keyspace and changed through the engine's
//! one writer), whether they may do what they ask ([`policy`], [`access`]),
//! and the IAM and STS query APIs that manage it all ([`query`],
//! [`iam_api`], [`sts_api`]).
//!
//! The crate knows nothing of HTTP servers. The server's request pipeline
//! (parse, authenticate, authorise, execute) hands [`sigv4::Verifier`] the
//! request as received with the [`directory::Directory`] as its
//! [`credentials::CredentialStore`], builds an [`access::Caller`] from the
//! directory's grants, and asks it for each action and resource.

pub mod access;
pub mod credentials;
pub mod directory;
pub mod error;
pub mod iam_api;
pub mod policy;
pub mod query;
pub mod sigv4;
pub mod sts_api;
