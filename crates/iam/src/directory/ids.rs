//! Identifiers and secrets shaped like AWS's, from the operating system's
//! CSPRNG: unique ids (`AIDA...`, 21 characters), access key ids (`AKIA...`,
//! `ASIA...`, 20), secret access keys (40) and session tokens.

const ID_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn random_text(alphabet: &[u8], length: usize) -> String {
    let mut bytes = vec![0u8; length];
    rand::fill(&mut bytes[..]);
    // The alphabets have 32 and 64 letters: masking keeps the draw uniform.
    let mask = alphabet.len() - 1;
    bytes.iter().map(|b| alphabet[usize::from(*b) & mask] as char).collect()
}

/// A unique id: `AIDA` (user), `AGPA` (group), `AROA` (role), `ANPA` (policy).
pub fn unique_id(prefix: &str) -> String {
    format!("{prefix}{}", random_text(ID_ALPHABET, 17))
}

/// An access key id: `AKIA` (long-term) or `ASIA` (temporary).
pub fn access_key_id(prefix: &str) -> String {
    format!("{prefix}{}", random_text(ID_ALPHABET, 16))
}

pub fn secret_access_key() -> String {
    random_text(SECRET_ALPHABET, 40)
}

/// A session token: opaque, long enough that guessing is hopeless.
pub fn session_token() -> String {
    random_text(SECRET_ALPHABET, 256)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        let id = unique_id("AIDA");
        assert_eq!(id.len(), 21);
        assert!(id.starts_with("AIDA") && id.bytes().all(|b| ID_ALPHABET.contains(&b)));
        assert_eq!(access_key_id("AKIA").len(), 20);
        let secret = secret_access_key();
        assert_eq!(secret.len(), 40);
        assert!(secret.bytes().all(|b| SECRET_ALPHABET.contains(&b)));
        assert_ne!(secret, secret_access_key());
    }
}
