//! Encryption at rest, as the binary sets it up: the root key (from
//! `--root-key-file`, `HALYARD_ROOT_KEY`, `--root-key-command`, or a file
//! generated beside the data directory), the keyring it unlocks, and the
//! storage opened with the database key from it.

use std::path::{Path, PathBuf};

use halyard_kms::keyring::Keyring;
use halyard_kms::root_key_source::{self, RootKeyConfig, RootKeySource};
use halyard_kms::{RootKey, SecretKey};
use halyard_storage::sqlite::{self, SqliteOptions, SqliteStorage, KEYRING_FILE};
use halyard_storage::sqlite_cipher::{DatabaseKey, StoredFormat};
use halyard_storage::{private_files, StorageError};
use zeroize::Zeroizing;

#[derive(clap::Args, Clone)]
pub(crate) struct EncryptionArgs {
    /// `on`: the database and its write-ahead log are encrypted (SQLCipher,
    /// AES-256 with an HMAC per page) under a database key kept wrapped in
    /// `<data-dir>/keyring`. `off`: plaintext on disk.
    #[arg(long, env = "HALYARD_ENCRYPTION", value_enum, default_value = "on")]
    encryption: EncryptionArg,
    /// A file holding the root key that unlocks the keyring: 32 bytes as 64
    /// hex digits or base64. The environment variable HALYARD_ROOT_KEY may
    /// hold the key itself instead. With none of these, the key is generated
    /// at the first start into `<data-dir>.root-key`, beside the data
    /// directory: move it somewhere safe.
    #[arg(long, env = "HALYARD_ROOT_KEY_FILE")]
    root_key_file: Option<PathBuf>,
    /// A command (run with `sh -c`) whose standard output is the root key,
    /// such as a secret manager's or an HSM tool's.
    #[arg(long, env = "HALYARD_ROOT_KEY_COMMAND")]
    root_key_command: Option<String>,
    /// Only from the environment: a key does not belong on a command line.
    #[arg(skip = std::env::var(root_key_source::ENVIRONMENT_VARIABLE).ok().map(Zeroizing::new))]
    root_key: Option<Zeroizing<String>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum EncryptionArg {
    On,
    Off,
}

impl EncryptionArgs {
    pub(crate) fn is_on(&self) -> bool {
        self.encryption == EncryptionArg::On
    }

    fn root_key_config(&self) -> RootKeyConfig {
        RootKeyConfig {
            file: self.root_key_file.clone(),
            environment: self.root_key.clone(),
            command: self.root_key_command.clone(),
        }
    }
}

/// With PostgreSQL storage Halyard does not encrypt what it stores (the
/// keys must stay ordered as bytes for range scans, and the database is
/// shared by every node), so the default `--encryption on` is refused rather
/// than silently meaning nothing.
pub(crate) const POSTGRES_REFUSAL: &str =
    "encryption at rest is on (the default), but Halyard encrypts only its own SQLite database: with PostgreSQL \
     storage, items are stored as PostgreSQL holds them (PostgreSQL has no built-in encryption of its data files). \
     Encrypt the PostgreSQL volume (LUKS, an encrypted cloud disk or a managed service's encryption), use TLS to \
     it (`?sslmode=verify-full`), and start with --encryption off to say so";

/// The start-up line that says where encryption at rest is left.
pub(crate) const POSTGRES_AT_REST: &str =
    "--encryption off with PostgreSQL storage: Halyard does not encrypt items; their protection at rest is \
     PostgreSQL's volume encryption. KMS key material is still sealed by the root key, which every node must share";

/// How a store was opened.
pub(crate) enum Encryption {
    Off,
    On { keyring: Keyring, source: RootKeySource },
}

impl Encryption {
    /// The keys that seal files outside the database (audit logs), when
    /// encryption is on.
    pub(crate) fn file_keys(&self) -> Option<halyard_kms::sealed_file::FileKeys> {
        match self {
            Encryption::On { keyring, .. } => Some(keyring.file_keys()),
            Encryption::Off => None,
        }
    }
}

/// Why a store could not be opened: the storage's refusal, or a key problem.
pub(crate) enum OpenError {
    Storage(StorageError),
    Keys(String),
}

impl std::fmt::Display for OpenError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OpenError::Storage(error) => error.fmt(f),
            OpenError::Keys(message) => f.write_str(message),
        }
    }
}

impl From<StorageError> for OpenError {
    fn from(error: StorageError) -> OpenError {
        OpenError::Storage(error)
    }
}

fn keys(message: impl std::fmt::Display) -> OpenError {
    OpenError::Keys(message.to_string())
}

pub(crate) fn database_key(key: &SecretKey) -> DatabaseKey {
    DatabaseKey::new(*key.expose())
}

fn plaintext_refusal(data_dir: &Path) -> OpenError {
    keys(format!(
        "{} holds a plaintext (unencrypted) database, and encryption is on (the default). \
         Encrypt it with `halyard rekey --data-dir {0}` (offline, with the same root key options; \
         it generates a root key beside the directory if none is given), or start with --encryption off",
        data_dir.display()
    ))
}

/// The root key: configured, or (unless `ephemeral`) the file beside the
/// data directory, generated there if `may_generate`.
pub(crate) fn root_key(
    args: &EncryptionArgs,
    data_dir: &Path,
    may_generate: bool,
    ephemeral: bool,
) -> Result<(RootKey, RootKeySource), OpenError> {
    if let Some(found) = root_key_source::configured(&args.root_key_config()).map_err(keys)? {
        return Ok(found);
    }
    if ephemeral {
        return Ok((
            RootKey::new(SecretKey::generate().map_err(keys)?),
            RootKeySource::Ephemeral,
        ));
    }
    if let Some(found) = root_key_source::existing_default(data_dir).map_err(keys)? {
        return Ok(found);
    }
    if may_generate {
        return root_key_source::generate_default(data_dir).map_err(keys);
    }
    Err(keys(format!(
        "{} is encrypted and no root key was given: give --root-key-file, HALYARD_ROOT_KEY or \
         --root-key-command (with none of them, the key is read from {}, which does not exist)",
        data_dir.display(),
        root_key_source::default_file(data_dir).map_err(keys)?.display()
    )))
}

/// The keyring of `data_dir`, created (with a root key generated if none
/// is given) for a new store when `create`. Refuses a plaintext database
/// and an encrypted one without its keyring.
pub(crate) fn unlock(
    args: &EncryptionArgs,
    data_dir: &Path,
    create: bool,
    ephemeral: bool,
) -> Result<(Keyring, RootKeySource), OpenError> {
    let keyring_path = data_dir.join(KEYRING_FILE);
    let format = sqlite::stored_format(data_dir).map_err(StorageError::from)?;
    if Keyring::exists(&keyring_path).map_err(keys)? {
        if format == StoredFormat::Plaintext {
            return Err(plaintext_refusal(data_dir));
        }
        let (root, source) = root_key(args, data_dir, false, ephemeral)?;
        let keyring =
            Keyring::open(&keyring_path, root).map_err(|error| keys(format!("{error} (root key from {source})")))?;
        return Ok((keyring, source));
    }
    match format {
        StoredFormat::Plaintext => Err(plaintext_refusal(data_dir)),
        StoredFormat::Encrypted => Err(keys(format!(
            "{} is encrypted, but its keyring {} is missing: restore the keyring from a backup of the data directory",
            data_dir.join("halyard.db").display(),
            keyring_path.display()
        ))),
        StoredFormat::Missing if !create => Err(StorageError::NoDatabase {
            path: data_dir.display().to_string(),
        }
        .into()),
        StoredFormat::Missing => {
            // Nothing is written (no key file, no keyring) for a directory
            // that the storage would refuse.
            if !sqlite::is_new_data_dir(data_dir)? {
                return Err(StorageError::NoDatabase {
                    path: data_dir.display().to_string(),
                }
                .into());
            }
            let (root, source) = root_key(args, data_dir, true, ephemeral)?;
            private_files::create_dir_all(data_dir).map_err(StorageError::from)?;
            Ok((Keyring::create(&keyring_path, root).map_err(keys)?, source))
        }
    }
}

/// Opens the store in `data_dir`, encrypted or not as `args` say. A change
/// of the database key that a crash interrupted is settled here: the
/// database opens with the old key or the new one, and the keyring keeps
/// the one that opened it.
pub(crate) fn open_store(
    args: &EncryptionArgs,
    data_dir: &Path,
    mut options: SqliteOptions,
    ephemeral: bool,
) -> Result<(SqliteStorage, Encryption), OpenError> {
    if !args.is_on() {
        options.key = None;
        return Ok((SqliteStorage::open(data_dir, options)?, Encryption::Off));
    }
    let (mut keyring, source) = unlock(args, data_dir, options.create_if_new, ephemeral)?;
    options.key = Some(database_key(keyring.database_key()));
    let opened = match SqliteStorage::open(data_dir, options.clone()) {
        Err(StorageError::WrongKey { .. }) if keyring.next_database_key().is_some() => {
            let next = keyring.next_database_key().map(database_key);
            options.key = next;
            SqliteStorage::open(data_dir, options).map(|storage| (storage, true))
        }
        opened => opened.map(|storage| (storage, false)),
    };
    let (storage, under_next_key) = opened.map_err(|error| match error {
        StorageError::WrongKey { path } => keys(format!(
            "the database key in the keyring {} does not open {path}: the keyring belongs to another data directory, \
             or the database is damaged. Nothing was changed",
            keyring.path().display()
        )),
        other => OpenError::Storage(other),
    })?;
    if keyring.next_database_key().is_some() {
        tracing::info!(
            "settling a database key change that was interrupted: the database is under the {} key",
            if under_next_key { "new" } else { "old" }
        );
        keyring.end_database_key_change(under_next_key).map_err(keys)?;
    }
    Ok((storage, Encryption::On { keyring, source }))
}

/// The root key that seals the key service's key material: the keyring's
/// when the store is encrypted. With encryption off (plaintext by choice)
/// it is the configured root key, or else `<data-dir>/kms.root-key`
/// (generated if absent), so KMS's ciphertexts still need a key.
pub(crate) fn key_service_root(
    encryption: &Encryption,
    args: &EncryptionArgs,
    data_dir: &Path,
    ephemeral: bool,
) -> Result<RootKey, String> {
    if let Encryption::On { keyring, .. } = encryption {
        return Ok(keyring.root_key().clone());
    }
    let found = match root_key_source::configured(&args.root_key_config()).map_err(|e| e.to_string())? {
        Some(found) => Some(found),
        None if ephemeral => None,
        None => {
            // `default_file` of `<data-dir>/kms` is `<data-dir>/kms.root-key`.
            let place = data_dir.join("kms");
            match root_key_source::existing_default(&place).map_err(|e| e.to_string())? {
                Some(found) => Some(found),
                None => Some(root_key_source::generate_default(&place).map_err(|e| e.to_string())?),
            }
        }
    };
    match found {
        Some((root, _)) => Ok(root),
        None => SecretKey::generate().map(RootKey::new).map_err(|e| e.to_string()),
    }
}

/// One line at start-up on whether the data is encrypted, and a warning
/// when a root key was just generated.
pub(crate) fn announce(encryption: &Encryption) {
    match encryption {
        Encryption::Off => tracing::warn!(
            "encryption at rest is OFF (--encryption off): the database and its write-ahead log are plaintext on disk"
        ),
        Encryption::On { keyring, source } => {
            if let RootKeySource::Generated(path) = source {
                tracing::warn!(
                    "generated a new root key into {} (mode 0600). Move it somewhere safe, away from the data \
                     directory, and start with --root-key-file <its new place>: with the data directory it opens \
                     the data, and without it the data cannot be read",
                    path.display()
                );
            }
            tracing::info!(
                "encryption at rest on: database and write-ahead log encrypted (SQLCipher, AES-256, HMAC-SHA512 per page); \
                 keyring {}; root key from {source}",
                keyring.path().display()
            );
        }
    }
}
