//! Encrypt, Decrypt, ReEncrypt, GenerateDataKey,
//! GenerateDataKeyWithoutPlaintext and GenerateRandom; and the data-key
//! functions other services (DynamoDB) use on a caller's behalf.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use serde_json::{json, Value};
use zeroize::Zeroizing;

use super::error::constraint;
use super::{resolve, usable, Access, Call, KmsError};
use crate::ciphertext::{self, BlobHeader};
use crate::envelope::SecretKey;
use crate::key_store::{Aliases, KeyRecord, KeyStore};

const ALGORITHM: &str = "SYMMETRIC_DEFAULT";
const ALGORITHMS: &str = "[SYMMETRIC_DEFAULT, RSAES_OAEP_SHA_1, RSAES_OAEP_SHA_256, SM2PKE]";
const MAX_PLAINTEXT: usize = 4096;
const MAX_CIPHERTEXT: usize = 6144;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Checks an `EncryptionAlgorithm`-like member: symmetric keys take only
/// SYMMETRIC_DEFAULT.
fn algorithm(call: &Call<'_>, member: &str, wire: &str) -> Result<(), KmsError> {
    match call.request.string(member)? {
        None | Some(ALGORITHM) => Ok(()),
        Some(other) if ALGORITHMS.contains(&format!(" {other},")) || ALGORITHMS.contains(&format!(" {other}]")) => {
            Err(KmsError::InvalidKeyUsage(format!(
                "The requested encryption algorithm {other} is not supported by a SYMMETRIC_DEFAULT key."
            )))
        }
        Some(other) => Err(constraint(
            other,
            wire,
            &format!("Member must satisfy enum value set: {ALGORITHMS}"),
        )),
    }
}

/// `DryRun`: KMS checks everything, then answers this error.
fn dry_run(call: &Call<'_>) -> Result<(), KmsError> {
    match call.request.bool("DryRun")? {
        Some(true) => Err(KmsError::DryRunOperation),
        _ => Ok(()),
    }
}

/// Seals `plaintext` with `key`'s current material.
fn seal(
    store: &KeyStore,
    key: &KeyRecord,
    context: &BTreeMap<String, String>,
    plaintext: &[u8],
) -> Result<Vec<u8>, KmsError> {
    let version = key
        .current()
        .ok_or_else(|| KmsError::Internal(format!("key {} has no material", key.id)))?;
    let material = store.material(key, version)?;
    let header = BlobHeader {
        key_id: key.id.clone(),
        version: version.number,
    };
    ciphertext::seal(&header, &material, context, plaintext).map_err(|e| KmsError::Internal(e.to_string()))
}

/// The key that sealed `blob`, once `access` may do `action` with it; a
/// `named` key (the request's KeyId) must be that key.
fn blob_key(
    store: &KeyStore,
    access: Access<'_>,
    action: &str,
    blob: &[u8],
    named: Option<&str>,
    context: &BTreeMap<String, String>,
) -> Result<(KeyRecord, BlobHeader), KmsError> {
    let header = ciphertext::header(blob).ok_or(KmsError::InvalidCiphertext)?;
    let key = store.read(|keys| {
        if let Some(named) = named {
            let named = keys.resolve(named, Aliases::Accepted)?;
            if named.id != header.key_id {
                return Err(KmsError::IncorrectKey(
                    "The key ID in the request does not identify a CMK that can perform this operation.".into(),
                ));
            }
        }
        keys.key(&header.key_id)
            .cloned()
            .ok_or_else(|| KmsError::NotFound(format!("Key '{}' does not exist", keys.key_arn(&header.key_id))))
    })?;
    access.key_action(action, &key, Some(context))?;
    usable(&key)?;
    Ok((key, header))
}

/// Opens `blob` with the version of `key` its header names.
fn open(
    store: &KeyStore,
    key: &KeyRecord,
    header: &BlobHeader,
    blob: &[u8],
    context: &BTreeMap<String, String>,
) -> Result<Zeroizing<Vec<u8>>, KmsError> {
    let version = key.version(header.version).ok_or(KmsError::InvalidCiphertext)?;
    let material = store.material(key, version)?;
    ciphertext::open(blob, &material, context).map_err(|_| KmsError::InvalidCiphertext)
}

pub async fn encrypt(call: Call<'_>) -> Result<Value, KmsError> {
    let plaintext = Zeroizing::new(call.request.required_blob("Plaintext", MAX_PLAINTEXT)?);
    let context = call.request.encryption_context("EncryptionContext")?;
    algorithm(&call, "EncryptionAlgorithm", "encryptionAlgorithm")?;
    let identifier = call.request.key_id("KeyId")?;
    let key = resolve(call.store, identifier, Aliases::Accepted).await?;
    call.access.key_action("kms:Encrypt", &key, Some(&context))?;
    usable(&key)?;
    dry_run(&call)?;
    let blob = seal(call.store, &key, &context, &plaintext)?;
    Ok(json!({ "CiphertextBlob": b64(&blob), "KeyId": key.arn, "EncryptionAlgorithm": ALGORITHM }))
}

pub async fn decrypt(call: Call<'_>) -> Result<Value, KmsError> {
    let blob = call.request.required_blob("CiphertextBlob", MAX_CIPHERTEXT)?;
    let context = call.request.encryption_context("EncryptionContext")?;
    algorithm(&call, "EncryptionAlgorithm", "encryptionAlgorithm")?;
    let named = call.request.bounded_string("KeyId", 1, 2048)?;
    if call.request.has("Recipient") {
        return Err(KmsError::UnsupportedOperation(
            "Nitro Enclaves recipients are not supported by Halyard".into(),
        ));
    }
    let (key, header) = blob_key(call.store, call.access, "kms:Decrypt", &blob, named, &context)?;
    dry_run(&call)?;
    let plaintext = open(call.store, &key, &header, &blob, &context)?;
    let material_id = key.version(header.version).map(|v| v.material_id(&key.id));
    Ok(json!({
        "KeyId": key.arn,
        "Plaintext": b64(&plaintext),
        "EncryptionAlgorithm": ALGORITHM,
        "KeyMaterialId": material_id,
    }))
}

pub async fn re_encrypt(call: Call<'_>) -> Result<Value, KmsError> {
    let blob = call.request.required_blob("CiphertextBlob", MAX_CIPHERTEXT)?;
    let source_context = call.request.encryption_context("SourceEncryptionContext")?;
    let destination_context = call.request.encryption_context("DestinationEncryptionContext")?;
    algorithm(&call, "SourceEncryptionAlgorithm", "sourceEncryptionAlgorithm")?;
    algorithm(
        &call,
        "DestinationEncryptionAlgorithm",
        "destinationEncryptionAlgorithm",
    )?;
    let destination_id = call.request.key_id("DestinationKeyId")?;
    let source_id = call.request.bounded_string("SourceKeyId", 1, 2048)?;
    let (source, header) = blob_key(
        call.store,
        call.access,
        "kms:ReEncryptFrom",
        &blob,
        source_id,
        &source_context,
    )?;
    let destination = resolve(call.store, destination_id, Aliases::Accepted).await?;
    call.access
        .key_action("kms:ReEncryptTo", &destination, Some(&destination_context))?;
    usable(&destination)?;
    dry_run(&call)?;
    let plaintext = open(call.store, &source, &header, &blob, &source_context)?;
    let sealed = seal(call.store, &destination, &destination_context, &plaintext)?;
    Ok(json!({
        "CiphertextBlob": b64(&sealed),
        "SourceKeyId": source.arn,
        "KeyId": destination.arn,
        "SourceEncryptionAlgorithm": ALGORITHM,
        "DestinationEncryptionAlgorithm": ALGORITHM,
    }))
}

/// The data key size a GenerateDataKey request asks for.
fn data_key_length(call: &Call<'_>) -> Result<usize, KmsError> {
    let spec = call.request.string("KeySpec")?;
    let bytes = call.request.integer("NumberOfBytes", 1, 1024)?;
    match (spec, bytes) {
        (Some(_), Some(_)) | (None, None) => Err(KmsError::Validation(
            "Please specify either number of bytes or key spec.".into(),
        )),
        (Some("AES_256"), None) => Ok(32),
        (Some("AES_128"), None) => Ok(16),
        (Some(other), None) => Err(constraint(
            other,
            "keySpec",
            "Member must satisfy enum value set: [AES_256, AES_128]",
        )),
        (None, Some(bytes)) => Ok(bytes as usize),
    }
}

fn random(len: usize) -> Result<Zeroizing<Vec<u8>>, KmsError> {
    let mut bytes = Zeroizing::new(vec![0u8; len]);
    aws_lc_rs::rand::fill(&mut bytes[..]).map_err(|_| KmsError::Internal("the random source failed".into()))?;
    Ok(bytes)
}

pub async fn generate_data_key_operation(call: Call<'_>, with_plaintext: bool) -> Result<Value, KmsError> {
    let context = call.request.encryption_context("EncryptionContext")?;
    let length = data_key_length(&call)?;
    let identifier = call.request.key_id("KeyId")?;
    let action = if with_plaintext {
        "kms:GenerateDataKey"
    } else {
        "kms:GenerateDataKeyWithoutPlaintext"
    };
    let key = resolve(call.store, identifier, Aliases::Accepted).await?;
    call.access.key_action(action, &key, Some(&context))?;
    usable(&key)?;
    dry_run(&call)?;
    let plaintext = random(length)?;
    let blob = seal(call.store, &key, &context, &plaintext)?;
    let mut answer = json!({
        "CiphertextBlob": b64(&blob),
        "KeyId": key.arn,
        "KeyMaterialId": key.current().map(|v| v.material_id(&key.id)),
    });
    if with_plaintext {
        answer["Plaintext"] = b64(&plaintext).into();
    }
    Ok(answer)
}

pub fn generate_random(call: Call<'_>) -> Result<Value, KmsError> {
    let length = call
        .request
        .integer("NumberOfBytes", 1, 1024)?
        .ok_or_else(|| constraint("null", "numberOfBytes", "Member must not be null"))?;
    if call.request.bounded_string("CustomKeyStoreId", 1, 64)?.is_some() {
        return Err(KmsError::UnsupportedOperation(
            "Custom key stores are not supported by Halyard".into(),
        ));
    }
    call.access.account_action("kms:GenerateRandom")?;
    Ok(json!({ "Plaintext": b64(&random(length as usize)?) }))
}

/// A new AES-256 data key under the key `identifier` names, for a service
/// acting for `access`'s caller: the key and its ciphertext blob.
pub async fn generate_data_key(
    store: &Arc<KeyStore>,
    access: Access<'_>,
    identifier: &str,
    context: &BTreeMap<String, String>,
) -> Result<(SecretKey, Vec<u8>, KeyRecord), KmsError> {
    let key = resolve(store, identifier, Aliases::Accepted).await?;
    access.key_action("kms:GenerateDataKey", &key, Some(context))?;
    usable(&key)?;
    let data_key = SecretKey::generate().map_err(|e| KmsError::Internal(e.to_string()))?;
    let blob = seal(store, &key, context, data_key.expose())?;
    Ok((data_key, blob, key))
}

/// The data key sealed in `blob` (from [`generate_data_key`]).
pub fn decrypt_data_key(
    store: &KeyStore,
    access: Access<'_>,
    blob: &[u8],
    context: &BTreeMap<String, String>,
) -> Result<SecretKey, KmsError> {
    let (key, header) = blob_key(store, access, "kms:Decrypt", blob, None, context)?;
    let plaintext = open(store, &key, &header, blob, context)?;
    SecretKey::from_bytes(&plaintext).map_err(|_| KmsError::InvalidCiphertext)
}
