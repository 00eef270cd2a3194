//! Halyard's web console, served by the binary under `/console/`.
//!
//! This crate holds what the console is made of apart from HTTP: its static
//! assets, built into the binary ([`assets`]); sign-in with an access key
//! and the server-side sessions it opens ([`session`]); and the headers
//! every console answer carries ([`headers`]). The server crate routes
//! `/console/...` here and runs the console's API calls through its own
//! request pipeline, so that they are authorised (and audited) exactly like
//! signed SDK calls.

pub mod assets;
pub mod error;
pub mod headers;
pub mod session;

pub use error::ConsoleError;
pub use session::{Identity, Session, SessionStore};

/// The console of one server: its sessions.
#[derive(Default)]
pub struct Console {
    pub sessions: SessionStore,
}
