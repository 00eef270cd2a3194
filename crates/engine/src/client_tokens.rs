//! Transaction ClientRequestTokens: a TransactWriteItems repeated with the
//! same token within ten minutes succeeds without being applied again.

use halyard_storage::{ReadView, WriteTransaction};

use crate::catalog::TOKENS_KEYSPACE;
use crate::error::{Error, Result};

/// How long a transaction's ClientRequestToken is remembered, in seconds.
const TOKEN_LIFETIME: f64 = 600.0;

/// A transaction's ClientRequestToken and the fingerprint of its request.
#[derive(Debug, Clone)]
pub(crate) struct ClientToken {
    pub token: String,
    pub fingerprint: u64,
    /// When the request arrived, in seconds since the epoch.
    pub now: f64,
}

fn encode_token(fingerprint: u64, expires: f64) -> Vec<u8> {
    let mut bytes = fingerprint.to_le_bytes().to_vec();
    bytes.extend_from_slice(&expires.to_le_bytes());
    bytes
}

fn decode_token(bytes: &[u8]) -> Result<(u64, f64)> {
    let corrupt = || Error::Internal("corrupt client token record".into());
    let fingerprint = u64::from_le_bytes(bytes.get(..8).ok_or_else(corrupt)?.try_into().map_err(|_| corrupt())?);
    let expires = f64::from_le_bytes(
        bytes
            .get(8..16)
            .ok_or_else(corrupt)?
            .try_into()
            .map_err(|_| corrupt())?,
    );
    Ok((fingerprint, expires))
}

/// Whether a transaction with `token` was applied within the token's
/// lifetime; an error when it was, but with other parameters.
pub(crate) fn already_applied(view: &dyn ReadView, token: &ClientToken) -> Result<bool> {
    let Some(stored) = view.get(TOKENS_KEYSPACE, token.token.as_bytes())? else {
        return Ok(false);
    };
    let (fingerprint, expires) = decode_token(&stored)?;
    if expires <= token.now {
        return Ok(false);
    }
    if fingerprint != token.fingerprint {
        return Err(Error::IdempotentParameterMismatch(
            "Request with same client token was previously used with different parameters".into(),
        ));
    }
    Ok(true)
}

/// Records that the transaction with `token` was applied.
pub(crate) fn remember(tx: &mut dyn WriteTransaction, token: &ClientToken) -> Result<()> {
    tx.put(
        TOKENS_KEYSPACE,
        token.token.as_bytes(),
        &encode_token(token.fingerprint, token.now + TOKEN_LIFETIME),
    )?;
    Ok(())
}
