//! The keyring: a small file beside the database that holds its keys, each
//! wrapped (envelope encryption, as AWS builds it):
//!
//! * service keys, wrapped by the root key; the last is current, older
//!   ones stay to open the sealed files written under them;
//! * the database key (SQLCipher's), wrapped by the current service key;
//! * during a change of the database key, the next one too, so that the
//!   database opens whichever of the two it is under when a crash
//!   interrupts the change.
//!
//! Every wrapped key is bound to what it is (its context), so no field can
//! be swapped for another; a check value sealed by the root key tells a
//! wrong root key from a damaged keyring. Nothing unwrapped is written.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::envelope::{self, SecretKey};
use crate::sealed_file::FileKeys;
use crate::{KeyError, RootKey};

const FORMAT: u32 = 1;
const ROOT_KEY_CHECK: &[u8] = b"halyard keyring: root key check";

/// A keyring's failure. Messages name the file and the problem, never a key.
#[derive(Debug, thiserror::Error)]
pub enum KeyringError {
    #[error("cannot read or write the keyring {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("the keyring {path} is damaged or was altered ({reason}); restore it from a backup")]
    Malformed { path: PathBuf, reason: String },
    #[error("the root key does not open the keyring {path}: it is not this data directory's root key")]
    WrongRootKey { path: PathBuf },
    #[error("the keyring {path} was altered or damaged: its wrapped {what} does not open; restore it from a backup")]
    Tampered { path: PathBuf, what: String },
    #[error(transparent)]
    Key(#[from] KeyError),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyringFile {
    format: u32,
    root_key_check: String,
    service_keys: Vec<WrappedServiceKey>,
    database_key: WrappedDatabaseKey,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next_database_key: Option<WrappedDatabaseKey>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WrappedServiceKey {
    id: u32,
    wrapped: String,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WrappedDatabaseKey {
    service_key: u32,
    wrapped: String,
}

/// An unlocked keyring: its keys in memory, saved (wrapped) on each change.
pub struct Keyring {
    path: PathBuf,
    root: RootKey,
    /// In id order; the last is current.
    service_keys: Vec<(u32, SecretKey)>,
    database_key: SecretKey,
    next_database_key: Option<SecretKey>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("path", &self.path)
            .field("service_keys", &self.service_keys.len())
            .finish_non_exhaustive()
    }
}

fn service_key_context(id: u32) -> Vec<u8> {
    format!("halyard keyring: service key {id}").into_bytes()
}

fn database_key_context(service_key: u32) -> Vec<u8> {
    format!("halyard keyring: database key under service key {service_key}").into_bytes()
}

fn encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

impl Keyring {
    /// Whether a keyring file exists at `path`.
    pub fn exists(path: &Path) -> Result<bool, KeyringError> {
        path.try_exists().map_err(|source| KeyringError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Creates a new keyring at `path` with a fresh service key and
    /// database key. If another process created one first, that one is
    /// opened instead: the file, once there, is never replaced by a new one.
    pub fn create(path: &Path, root: RootKey) -> Result<Keyring, KeyringError> {
        let service_key = SecretKey::generate()?;
        let keyring = Keyring {
            path: path.to_path_buf(),
            root,
            service_keys: vec![(1, service_key)],
            database_key: SecretKey::generate()?,
            next_database_key: None,
        };
        let contents = keyring.serialise()?;
        let io = |source| KeyringError::Io {
            path: path.to_path_buf(),
            source,
        };
        let staging = staging_path(path, &format!("create-{}", std::process::id()));
        write_synced(&staging, &contents).map_err(io)?;
        // A hard link is created whole and only if the name is free.
        let linked = std::fs::hard_link(&staging, path);
        let _ = std::fs::remove_file(&staging);
        match linked {
            Ok(()) => {
                sync_parent(path).map_err(io)?;
                Ok(keyring)
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Keyring::open(path, keyring.root),
            Err(e) => Err(io(e)),
        }
    }

    /// Opens the keyring at `path` with the root key.
    pub fn open(path: &Path, root: RootKey) -> Result<Keyring, KeyringError> {
        let malformed = |reason: String| KeyringError::Malformed {
            path: path.to_path_buf(),
            reason,
        };
        let tampered = |what: &str| KeyringError::Tampered {
            path: path.to_path_buf(),
            what: what.to_string(),
        };
        let text = std::fs::read(path).map_err(|source| KeyringError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let file: KeyringFile = serde_json::from_slice(&text).map_err(|e| malformed(e.to_string()))?;
        if file.format != FORMAT {
            return Err(malformed(format!("format {} is not {FORMAT}", file.format)));
        }
        let decode = |field: &str, text: &str| {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|_| malformed(format!("{field} is not base64")))
        };
        let check = decode("root_key_check", &file.root_key_check)?;
        if root.open_check(ROOT_KEY_CHECK, &check).is_err() {
            return Err(KeyringError::WrongRootKey {
                path: path.to_path_buf(),
            });
        }
        let mut service_keys: Vec<(u32, SecretKey)> = Vec::with_capacity(file.service_keys.len());
        for wrapped in &file.service_keys {
            if service_keys.last().is_some_and(|(last, _)| *last >= wrapped.id) {
                return Err(malformed("service key ids are not increasing".into()));
            }
            let bytes = decode("a service key", &wrapped.wrapped)?;
            let key = root
                .unwrap_key(&service_key_context(wrapped.id), &bytes)
                .map_err(|_| tampered(&format!("service key {}", wrapped.id)))?;
            service_keys.push((wrapped.id, key));
        }
        let unwrap_database_key = |wrapped: &WrappedDatabaseKey, what: &str| -> Result<SecretKey, KeyringError> {
            let (_, service_key) = service_keys
                .iter()
                .find(|(id, _)| *id == wrapped.service_key)
                .ok_or_else(|| {
                    malformed(format!(
                        "the {what} names service key {}, which it lacks",
                        wrapped.service_key
                    ))
                })?;
            let bytes = decode(what, &wrapped.wrapped)?;
            let plain = envelope::open(service_key, &database_key_context(wrapped.service_key), &bytes)
                .map_err(|_| tampered(what))?;
            SecretKey::from_bytes(&plain).map_err(|_| tampered(what))
        };
        let database_key = unwrap_database_key(&file.database_key, "database key")?;
        let next_database_key = file
            .next_database_key
            .as_ref()
            .map(|wrapped| unwrap_database_key(wrapped, "next database key"))
            .transpose()?;
        Ok(Keyring {
            path: path.to_path_buf(),
            root,
            service_keys,
            database_key,
            next_database_key,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The root key that unlocked the keyring (for the key service, whose
    /// keys it wraps too).
    pub fn root_key(&self) -> &RootKey {
        &self.root
    }

    /// The key the database is encrypted with.
    pub fn database_key(&self) -> &SecretKey {
        &self.database_key
    }

    /// The key a change of the database key is moving it to, if a change
    /// was begun and not finished.
    pub fn next_database_key(&self) -> Option<&SecretKey> {
        self.next_database_key.as_ref()
    }

    /// The id of the current service key.
    pub fn service_key_id(&self) -> u32 {
        self.current_service_key().0
    }

    fn current_service_key(&self) -> &(u32, SecretKey) {
        self.service_keys.last().expect("a keyring has a service key")
    }

    /// The service keys, for sealing and opening files.
    pub fn file_keys(&self) -> FileKeys {
        FileKeys::new(self.service_keys.clone())
    }

    /// Begins a change of the database key: a new key is generated and
    /// saved beside the current one, and returned.
    pub fn begin_database_key_change(&mut self) -> Result<SecretKey, KeyringError> {
        let next = SecretKey::generate()?;
        self.next_database_key = Some(next.clone());
        self.save()?;
        Ok(next)
    }

    /// Ends a change of the database key: `reached` says whether the
    /// database is now under the next key (which becomes the key) or still
    /// under the old one (the next key is dropped).
    pub fn end_database_key_change(&mut self, reached: bool) -> Result<(), KeyringError> {
        if let Some(next) = self.next_database_key.take() {
            if reached {
                self.database_key = next;
            }
            self.save()?;
        }
        Ok(())
    }

    /// Rotates the service key: a new one becomes current and the database
    /// key (and a next one) are re-wrapped under it, without touching the
    /// database. Older service keys stay to open files sealed under them.
    pub fn rotate_service_key(&mut self) -> Result<u32, KeyringError> {
        let id = self.service_key_id() + 1;
        self.service_keys.push((id, SecretKey::generate()?));
        self.save()?;
        Ok(id)
    }

    /// Re-wraps the service keys under a new root key.
    pub fn change_root_key(&mut self, root: RootKey) -> Result<(), KeyringError> {
        self.root = root;
        self.save()
    }

    fn serialise(&self) -> Result<Vec<u8>, KeyringError> {
        let (current_id, current) = self.current_service_key();
        let wrap_database_key = |key: &SecretKey| -> Result<WrappedDatabaseKey, KeyError> {
            Ok(WrappedDatabaseKey {
                service_key: *current_id,
                wrapped: encode(&envelope::seal(
                    current,
                    &database_key_context(*current_id),
                    key.expose(),
                )?),
            })
        };
        let file = KeyringFile {
            format: FORMAT,
            root_key_check: encode(&self.root.seal_check(ROOT_KEY_CHECK)?),
            service_keys: self
                .service_keys
                .iter()
                .map(|(id, key)| {
                    Ok(WrappedServiceKey {
                        id: *id,
                        wrapped: encode(&self.root.wrap(&service_key_context(*id), key)?),
                    })
                })
                .collect::<Result<_, KeyError>>()?,
            database_key: wrap_database_key(&self.database_key)?,
            next_database_key: self.next_database_key.as_ref().map(wrap_database_key).transpose()?,
        };
        let mut text = serde_json::to_vec_pretty(&file).expect("a keyring serialises");
        text.push(b'\n');
        Ok(text)
    }

    /// Replaces the file whole: written beside it, synced, renamed over it.
    fn save(&self) -> Result<(), KeyringError> {
        let contents = self.serialise()?;
        let io = |source| KeyringError::Io {
            path: self.path.clone(),
            source,
        };
        let staging = staging_path(&self.path, "update");
        write_synced(&staging, &contents).map_err(io)?;
        std::fs::rename(&staging, &self.path).map_err(io)?;
        sync_parent(&self.path).map_err(io)
    }
}

/// `<keyring>.new-<tag>`: a name that a new data directory may hold.
fn staging_path(path: &Path, tag: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(format!(".new-{tag}"));
    PathBuf::from(name)
}

fn write_synced(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

fn sync_parent(path: &Path) -> std::io::Result<()> {
    match path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        Some(dir) => std::fs::File::open(dir)?.sync_all(),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> RootKey {
        RootKey::new(SecretKey::generate().unwrap())
    }

    #[test]
    fn a_created_keyring_opens_with_its_root_key_and_holds_nothing_unwrapped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keyring");
        let root = root();
        let created = Keyring::create(&path, root.clone()).unwrap();
        let opened = Keyring::open(&path, root.clone()).unwrap();
        assert_eq!(opened.database_key().expose(), created.database_key().expose());
        let text = std::fs::read(&path).unwrap();
        for key in [created.database_key(), &created.service_keys[0].1] {
            assert!(!text.windows(8).any(|w| w == &key.expose()[..8]));
            assert!(!String::from_utf8_lossy(&text).contains(&encode(key.expose())[..12]));
        }
        // A second create opens the first instead of replacing it.
        let again = Keyring::create(&path, root).unwrap();
        assert_eq!(again.database_key().expose(), created.database_key().expose());
        assert!(matches!(
            Keyring::open(&path, self::root()),
            Err(KeyringError::WrongRootKey { .. })
        ));
    }

    #[test]
    fn an_altered_wrapped_key_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keyring");
        let root = root();
        Keyring::create(&path, root.clone()).unwrap();
        let original = std::fs::read_to_string(&path).unwrap();
        let mut file: serde_json::Value = serde_json::from_str(&original).unwrap();
        let flip = |text: &str| {
            let mut bytes = base64::engine::general_purpose::STANDARD.decode(text).unwrap();
            bytes[20] ^= 1;
            encode(&bytes)
        };
        let wrapped = file["database_key"]["wrapped"].as_str().unwrap().to_string();
        file["database_key"]["wrapped"] = flip(&wrapped).into();
        std::fs::write(&path, serde_json::to_vec(&file).unwrap()).unwrap();
        let error = Keyring::open(&path, root.clone()).unwrap_err();
        assert!(
            error.to_string().contains("wrapped database key does not open"),
            "{error}"
        );

        let mut file: serde_json::Value = serde_json::from_str(&original).unwrap();
        let wrapped = file["service_keys"][0]["wrapped"].as_str().unwrap().to_string();
        file["service_keys"][0]["wrapped"] = flip(&wrapped).into();
        std::fs::write(&path, serde_json::to_vec(&file).unwrap()).unwrap();
        let error = Keyring::open(&path, root.clone()).unwrap_err();
        assert!(
            error.to_string().contains("wrapped service key 1 does not open"),
            "{error}"
        );

        std::fs::write(&path, b"{ not json").unwrap();
        assert!(matches!(
            Keyring::open(&path, root),
            Err(KeyringError::Malformed { .. })
        ));
    }

    #[test]
    fn rotation_and_a_database_key_change_keep_what_must_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keyring");
        let root = root();
        let mut keyring = Keyring::create(&path, root.clone()).unwrap();
        let database_key = keyring.database_key().clone();
        assert_eq!(keyring.rotate_service_key().unwrap(), 2);
        let rotated = Keyring::open(&path, root.clone()).unwrap();
        assert_eq!(rotated.database_key().expose(), database_key.expose());
        assert_eq!(rotated.service_key_id(), 2);
        assert_eq!(rotated.file_keys().ids(), vec![1, 2]);

        let next = keyring.begin_database_key_change().unwrap();
        let during = Keyring::open(&path, root.clone()).unwrap();
        assert_eq!(during.database_key().expose(), database_key.expose());
        assert_eq!(during.next_database_key().unwrap().expose(), next.expose());
        keyring.end_database_key_change(true).unwrap();
        let after = Keyring::open(&path, root.clone()).unwrap();
        assert_eq!(after.database_key().expose(), next.expose());
        assert!(after.next_database_key().is_none());

        let new_root = self::root();
        keyring.change_root_key(new_root.clone()).unwrap();
        assert!(Keyring::open(&path, root).is_err());
        assert_eq!(
            Keyring::open(&path, new_root).unwrap().database_key().expose(),
            next.expose()
        );
    }
}
