//! KMS ciphertext blobs: a blob names the key and the version of its
//! material that sealed it, so Decrypt needs no key id and a rotated key
//! still decrypts what its older versions sealed.
//!
//! Layout: `FORMAT (1) || key id (36, ASCII) || version (4, big-endian) ||
//! nonce || ciphertext || tag` (the last three from [`crate::envelope`]).
//! The header and the canonical encryption context are the AES-GCM
//! additional data, so neither can be altered or swapped.

use std::collections::BTreeMap;

use zeroize::Zeroizing;

use crate::envelope::{self, SecretKey, OVERHEAD};
use crate::key_store::is_key_id;

const FORMAT: u8 = 1;
const KEY_ID_LEN: usize = 36;
const HEADER_LEN: usize = 1 + KEY_ID_LEN + 4;

/// The shortest blob: a header and an empty plaintext's nonce and tag.
pub const MIN_LEN: usize = HEADER_LEN + OVERHEAD;

/// A blob's header: which key and version sealed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobHeader {
    pub key_id: String,
    pub version: u32,
}

/// An encryption context in canonical form: sorted by key, each key and
/// value length-prefixed, so the same pairs in any order bind the same.
pub fn canonical_context(context: &BTreeMap<String, String>) -> Vec<u8> {
    let mut out = Vec::new();
    for (key, value) in context {
        for part in [key, value] {
            out.extend_from_slice(&(part.len() as u32).to_be_bytes());
            out.extend_from_slice(part.as_bytes());
        }
    }
    out
}

fn header_bytes(header: &BlobHeader) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN);
    out.push(FORMAT);
    out.extend_from_slice(header.key_id.as_bytes());
    out.extend_from_slice(&header.version.to_be_bytes());
    out
}

fn aad(header: &[u8], context: &BTreeMap<String, String>) -> Vec<u8> {
    let mut aad = header.to_vec();
    aad.extend_from_slice(&canonical_context(context));
    aad
}

/// Seals `plaintext` under version `header.version` of key `header.key_id`
/// (whose material is `material`).
pub fn seal(
    header: &BlobHeader,
    material: &SecretKey,
    context: &BTreeMap<String, String>,
    plaintext: &[u8],
) -> Result<Vec<u8>, crate::KeyError> {
    let mut blob = header_bytes(header);
    let sealed = envelope::seal(material, &aad(&blob, context), plaintext)?;
    blob.extend_from_slice(&sealed);
    Ok(blob)
}

/// The header of `blob`, or `None` if it is not a blob of this service.
pub fn header(blob: &[u8]) -> Option<BlobHeader> {
    if blob.len() < MIN_LEN || blob[0] != FORMAT {
        return None;
    }
    let key_id = std::str::from_utf8(&blob[1..1 + KEY_ID_LEN]).ok()?;
    if !is_key_id(key_id) {
        return None;
    }
    let version = u32::from_be_bytes(blob[1 + KEY_ID_LEN..HEADER_LEN].try_into().ok()?);
    Some(BlobHeader {
        key_id: key_id.to_string(),
        version,
    })
}

/// Opens `blob` (whose header named the key and version of `material`).
pub fn open(
    blob: &[u8],
    material: &SecretKey,
    context: &BTreeMap<String, String>,
) -> Result<Zeroizing<Vec<u8>>, crate::KeyError> {
    if blob.len() < MIN_LEN {
        return Err(crate::KeyError::Truncated);
    }
    let (head, sealed) = blob.split_at(HEADER_LEN);
    envelope::open(material, &aad(head, context), sealed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn a_blob_names_its_key_and_opens_only_with_its_context() {
        let header = BlobHeader {
            key_id: "1234abcd-12ab-34cd-56ef-1234567890ab".into(),
            version: 3,
        };
        let key = SecretKey::generate().unwrap();
        let ctx = context(&[("purpose", "test"), ("a", "b")]);
        let blob = seal(&header, &key, &ctx, b"secret").unwrap();
        assert_eq!(super::header(&blob), Some(header.clone()));
        assert_eq!(&open(&blob, &key, &ctx).unwrap()[..], b"secret");
        assert!(open(&blob, &key, &context(&[("purpose", "test")])).is_err());
        assert!(open(&blob, &key, &BTreeMap::new()).is_err());
        // The header is bound too: naming another version fails.
        let mut moved = blob.clone();
        moved[HEADER_LEN - 1] ^= 1;
        assert!(open(&moved, &key, &ctx).is_err());
    }

    #[test]
    fn contexts_that_differ_only_in_splitting_do_not_collide() {
        assert_ne!(
            canonical_context(&context(&[("ab", "c")])),
            canonical_context(&context(&[("a", "bc")]))
        );
    }

    #[test]
    fn foreign_bytes_have_no_header() {
        assert_eq!(header(b"short"), None);
        assert_eq!(header(&[0u8; MIN_LEN]), None);
    }
}
