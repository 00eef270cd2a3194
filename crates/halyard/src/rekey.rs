//! `halyard rekey`: offline, on a stopped server's data directory, changes
//! the database key (re-encrypting the database into a copy that replaces
//! it; a plaintext database is encrypted this way), rotates the service
//! key (the database key is re-wrapped, nothing else is rewritten), or
//! re-wraps the keyring under a new root key.

use std::path::PathBuf;
use std::process::ExitCode;

use halyard_kms::keyring::Keyring;
use halyard_kms::root_key_source::{self, RootKeyConfig};
use halyard_storage::sqlite::{self, SqliteOptions, KEYRING_FILE};
use halyard_storage::sqlite_cipher::{self, StoredFormat};

use crate::encryption::{self, database_key, EncryptionArgs};

#[derive(clap::Args)]
pub(crate) struct RekeyArgs {
    /// Data directory of a stopped server (this holds its lock).
    #[arg(long)]
    data_dir: PathBuf,
    /// Rotate the service key only: the database key is re-wrapped under a
    /// new service key, and the database is not rewritten. Older service
    /// keys stay in the keyring to open files sealed under them.
    #[arg(long)]
    rotate_service_key: bool,
    /// Re-wrap the keyring under the root key in this file (64 hex digits or
    /// base64); start with it afterwards.
    #[arg(long, conflicts_with = "rotate_service_key")]
    new_root_key_file: Option<PathBuf>,
    #[command(flatten)]
    encryption: EncryptionArgs,
}

pub(crate) fn run(args: RekeyArgs) -> ExitCode {
    match rekey(&args) {
        Ok(done) => {
            println!("halyard rekey: {done}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("halyard rekey: {message}");
            ExitCode::FAILURE
        }
    }
}

fn rekey(args: &RekeyArgs) -> Result<String, String> {
    if !args.encryption.is_on() {
        return Err("--encryption off: there is no key to change".into());
    }
    let dir = &args.data_dir;
    let options = SqliteOptions {
        create_if_new: false,
        ..Default::default()
    };
    if sqlite::stored_format(dir).map_err(|e| e.to_string())? == StoredFormat::Plaintext {
        if args.rotate_service_key || args.new_root_key_file.is_some() {
            return Err(format!(
                "{} is not encrypted yet: run `halyard rekey --data-dir {0}` first",
                dir.display()
            ));
        }
        return encrypt_plaintext(args);
    }
    // Opening settles an interrupted change and proves the keys; the lock
    // is held while the keyring changes.
    let (storage, opened) = encryption::open_store(&args.encryption, dir, options, false).map_err(|e| e.to_string())?;
    let encryption::Encryption::On { mut keyring, .. } = opened else {
        unreachable!("encryption is on");
    };
    if args.rotate_service_key {
        let id = keyring.rotate_service_key().map_err(|e| e.to_string())?;
        drop(storage);
        return Ok(format!(
            "service key {id} is now current in {}; the database key was re-wrapped under it",
            keyring.path().display()
        ));
    }
    if let Some(file) = &args.new_root_key_file {
        let config = RootKeyConfig {
            file: Some(file.clone()),
            ..Default::default()
        };
        let (root, source) = root_key_source::configured(&config)
            .map_err(|e| e.to_string())?
            .expect("a file is configured");
        keyring.change_root_key(root).map_err(|e| e.to_string())?;
        drop(storage);
        return Ok(format!(
            "the keyring {} is now wrapped by the root key from {source}; start with it",
            keyring.path().display()
        ));
    }
    drop(storage);
    let old = database_key(keyring.database_key());
    let new = database_key(&keyring.begin_database_key_change().map_err(|e| e.to_string())?);
    // On failure the keyring keeps both keys: the next open finds which
    // one the database is under.
    sqlite_cipher::reencrypt(dir, Some(&old), &new).map_err(|e| e.to_string())?;
    keyring.end_database_key_change(true).map_err(|e| e.to_string())?;
    Ok(format!(
        "the database in {} is re-encrypted under a new database key",
        dir.display()
    ))
}

/// Encrypts a plaintext database: a keyring is made (a root key generated
/// beside the directory if none is given) and the database re-encrypted
/// under its key. Interrupted, it is run again with the same keyring.
fn encrypt_plaintext(args: &RekeyArgs) -> Result<String, String> {
    let dir = &args.data_dir;
    let path = dir.join(KEYRING_FILE);
    let exists = Keyring::exists(&path).map_err(|e| e.to_string())?;
    let (root, source) = encryption::root_key(&args.encryption, dir, !exists, false).map_err(|e| e.to_string())?;
    let keyring = if exists {
        Keyring::open(&path, root)
    } else {
        Keyring::create(&path, root)
    }
    .map_err(|e| e.to_string())?;
    sqlite_cipher::reencrypt(dir, None, &database_key(keyring.database_key())).map_err(|e| e.to_string())?;
    encryption::announce(&encryption::Encryption::On { keyring, source });
    Ok(format!("the database in {} is now encrypted", dir.display()))
}
