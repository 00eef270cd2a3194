//! The cipher a table under a customer managed key seals its items with
//! (see `halyard_engine::item_seal`): AES-256-GCM under the table's data
//! key, with a random 96-bit nonce and the value's scope (table, stored
//! form, storage key) as AAD, laid out as `version || nonce || ciphertext
//! || tag`. The key schedule is built once, when the data key is
//! unwrapped; the key bytes are wiped when the cipher is dropped.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use halyard_engine::item_seal::{ItemCipher, SealScope, Unsealable};
use halyard_engine::Error;

use crate::envelope::SecretKey;

/// The layout's version: the first byte of every sealed value.
const VERSION: u8 = 1;
const TAG_LEN: usize = 16;

pub struct TableItemCipher {
    key: LessSafeKey,
}

impl TableItemCipher {
    pub fn new(data_key: &SecretKey) -> TableItemCipher {
        let key = UnboundKey::new(&AES_256_GCM, &data_key.expose()[..]).expect("AES-256 takes a 32-byte key");
        TableItemCipher {
            key: LessSafeKey::new(key),
        }
    }
}

impl ItemCipher for TableItemCipher {
    fn seal(&self, scope: &SealScope, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        let mut nonce = [0u8; NONCE_LEN];
        aws_lc_rs::rand::fill(&mut nonce).map_err(|_| Error::Internal("no randomness for a nonce".into()))?;
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + plaintext.len() + TAG_LEN);
        sealed.push(VERSION);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(plaintext);
        let tag = self
            .key
            .seal_in_place_separate_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(scope.aad()),
                &mut sealed[1 + NONCE_LEN..],
            )
            .map_err(|_| Error::Internal("AES-GCM sealing failed".into()))?;
        sealed.extend_from_slice(tag.as_ref());
        Ok(sealed)
    }

    fn open(&self, scope: &SealScope, sealed: &[u8]) -> Result<Vec<u8>, Unsealable> {
        if sealed.len() < 1 + NONCE_LEN + TAG_LEN || sealed[0] != VERSION {
            return Err(Unsealable);
        }
        let nonce = Nonce::try_assume_unique_for_key(&sealed[1..1 + NONCE_LEN]).map_err(|_| Unsealable)?;
        let mut buffer = sealed[1 + NONCE_LEN..].to_vec();
        let length = self
            .key
            .open_in_place(nonce, Aad::from(scope.aad()), &mut buffer)
            .map_err(|_| Unsealable)?
            .len();
        buffer.truncate(length);
        Ok(buffer)
    }
}

#[cfg(test)]
mod tests {
    use halyard_engine::item_seal::SealForm;

    use super::*;

    fn cipher() -> TableItemCipher {
        TableItemCipher::new(&SecretKey::generate().unwrap())
    }

    const ITEM: SealScope<'static> = SealScope {
        table_id: "0f0e0d0c-table",
        form: SealForm::Item,
        key: b"\x01card",
    };

    #[test]
    fn round_trip_hides_the_value() {
        let cipher = cipher();
        let sealed = cipher.seal(&ITEM, b"4111111111111111").unwrap();
        assert!(!sealed.windows(16).any(|w| w == b"4111111111111111"));
        assert_eq!(sealed.len(), 16 + 1 + NONCE_LEN + TAG_LEN);
        assert_eq!(cipher.open(&ITEM, &sealed).unwrap(), b"4111111111111111");
        // A fresh nonce each time: the same value seals differently.
        assert_ne!(cipher.seal(&ITEM, b"4111111111111111").unwrap(), sealed);
    }

    #[test]
    fn a_tampered_value_does_not_open() {
        let cipher = cipher();
        let sealed = cipher.seal(&ITEM, b"123-45-6789").unwrap();
        for position in 0..sealed.len() {
            let mut tampered = sealed.clone();
            tampered[position] ^= 0x01;
            assert!(cipher.open(&ITEM, &tampered).is_err(), "byte {position} flipped");
        }
        assert!(cipher.open(&ITEM, &sealed[..sealed.len() - 1]).is_err());
        assert!(cipher.open(&ITEM, &sealed[..5]).is_err());
    }

    #[test]
    fn a_value_moved_to_another_scope_does_not_open() {
        let cipher = cipher();
        let sealed = cipher.seal(&ITEM, b"secret").unwrap();
        let elsewhere = [
            SealScope {
                table_id: "another-table",
                ..ITEM
            },
            SealScope {
                key: b"\x01other",
                ..ITEM
            },
            SealScope {
                form: SealForm::IndexEntry("byCard"),
                ..ITEM
            },
            SealScope {
                form: SealForm::ChangeRecord,
                ..ITEM
            },
            SealScope {
                form: SealForm::StreamRecord,
                ..ITEM
            },
        ];
        for scope in elsewhere {
            assert!(cipher.open(&scope, &sealed).is_err(), "{scope:?}");
        }
        // Nor under another table's data key.
        assert!(self::cipher().open(&ITEM, &sealed).is_err());
    }

    #[test]
    fn scopes_do_not_share_an_aad() {
        // Length prefixes: moving bytes between the table id and the key
        // makes another AAD.
        let a = SealScope {
            table_id: "ab",
            form: SealForm::Item,
            key: b"c",
        };
        let b = SealScope {
            table_id: "a",
            form: SealForm::Item,
            key: b"bc",
        };
        assert_ne!(a.aad(), b.aad());
        let index_a = SealScope {
            form: SealForm::IndexEntry("i"),
            key: b"x",
            ..a
        };
        let index_b = SealScope {
            form: SealForm::IndexEntry("ix"),
            key: b"",
            ..a
        };
        assert_ne!(index_a.aad(), index_b.aad());
    }
}
