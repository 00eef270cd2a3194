//! IAM policies: documents ([`document`]), the request they are evaluated
//! against ([`context`]), and the evaluator ([`evaluate`]), structured as
//! AWS documents its policy evaluation logic.

pub mod conditions;
pub mod context;
pub mod document;
pub mod evaluate;
pub mod variables;
pub mod wildcard;

pub use context::RequestContext;
pub use document::{Effect, MalformedPolicyDocument, PolicyDocument, PolicyKind, Statement};
pub use evaluate::{evaluate, evaluate_trust, Decision, Denial, DenialReason, PolicySet, PolicySource, StatementRef};
