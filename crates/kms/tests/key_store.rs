//! The key store over a real engine on temporary storage: key material
//! sealed at rest, keys surviving a reopen with the same root key and
//! unusable with another, due deletions and rotations, and KMS's policy
//! evaluation for IAM users.

use std::sync::Arc;

use halyard_engine::{Engine, EngineConfig};
use halyard_iam::access::{Caller, RequestFacts};
use halyard_iam::directory::Grants;
use halyard_iam::policy::{PolicyDocument, PolicyKind};
use halyard_kms::key_store::{KeyStore, Record, Write, KEYSPACE};
use halyard_kms::kms_api::{handle, KmsError};
use halyard_kms::{RootKey, SecretKey};
use halyard_storage::sqlite::{SqliteOptions, SqliteStorage};
use halyard_storage::{Direction, KeyRange, Storage, Visit};
use serde_json::{json, Value};

const ACCOUNT: &str = "000000000000";

fn caller(grants: Grants) -> Caller {
    Caller {
        grants,
        facts: RequestFacts {
            source_ip: None,
            secure_transport: false,
            now: halyard_iam::directory::now(),
        },
    }
}

fn root() -> Caller {
    caller(Grants::root(ACCOUNT))
}

struct Fixture {
    _dir: tempfile::TempDir,
    storage: Arc<SqliteStorage>,
    engine: Arc<Engine>,
    store: Arc<KeyStore>,
}

async fn open_store(storage: &Arc<SqliteStorage>, engine: &Arc<Engine>, root_key: RootKey) -> Arc<KeyStore> {
    KeyStore::open(storage.as_ref(), engine.clone(), "us-east-1", ACCOUNT, root_key)
        .await
        .unwrap()
}

async fn fixture(root_key: RootKey) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let storage = Arc::new(SqliteStorage::open(dir.path(), SqliteOptions::default()).unwrap());
    let engine = Arc::new(Engine::open(storage.clone(), EngineConfig::default()).unwrap());
    let store = open_store(&storage, &engine, root_key).await;
    Fixture {
        _dir: dir,
        storage,
        engine,
        store,
    }
}

async fn call(store: &Arc<KeyStore>, caller: &Caller, operation: &str, body: Value) -> Result<Value, KmsError> {
    handle(store, caller, operation, body.to_string().as_bytes()).await
}

fn stored_bytes(storage: &SqliteStorage) -> Vec<u8> {
    let snapshot = storage.snapshot().unwrap();
    let mut all = Vec::new();
    snapshot
        .scan(KEYSPACE, KeyRange::ALL, Direction::Forward, &mut |key, value| {
            all.extend_from_slice(key);
            all.extend_from_slice(value);
            Visit::Continue
        })
        .unwrap();
    all
}

#[tokio::test]
async fn material_is_sealed_and_needs_the_same_root_key() {
    let root_key = RootKey::new(SecretKey::generate().unwrap());
    let fixture = fixture(root_key.clone()).await;
    let created = call(&fixture.store, &root(), "CreateKey", json!({})).await.unwrap();
    let key_id = created["KeyMetadata"]["KeyId"].as_str().unwrap().to_string();
    let encrypted = call(
        &fixture.store,
        &root(),
        "Encrypt",
        json!({"KeyId": key_id, "Plaintext": "c2VjcmV0"}),
    )
    .await
    .unwrap();
    let blob = encrypted["CiphertextBlob"].clone();

    let key = fixture.store.read(|keys| keys.key(&key_id).cloned()).unwrap();
    let material = fixture.store.material(&key, key.current().unwrap()).unwrap();
    let raw = stored_bytes(&fixture.storage);
    assert!(raw.windows(key_id.len()).any(|w| w == key_id.as_bytes()));
    assert!(!raw.windows(16).any(|w| w == &material.expose()[..16]));

    // The same root key: the key and its ciphertext survive a reopen.
    let reopened = open_store(&fixture.storage, &fixture.engine, root_key).await;
    let decrypted = call(&reopened, &root(), "Decrypt", json!({"CiphertextBlob": blob}))
        .await
        .unwrap();
    assert_eq!(decrypted["Plaintext"], "c2VjcmV0");

    // Another root key cannot unseal the material.
    let other = open_store(
        &fixture.storage,
        &fixture.engine,
        RootKey::new(SecretKey::generate().unwrap()),
    )
    .await;
    let refused = call(&other, &root(), "Decrypt", json!({"CiphertextBlob": blob})).await;
    assert!(matches!(refused, Err(KmsError::Internal(_))), "{refused:?}");
}

#[tokio::test]
async fn due_deletions_and_rotations_happen_on_maintenance() {
    let fixture = fixture(RootKey::new(SecretKey::generate().unwrap())).await;
    let store = &fixture.store;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let created = call(store, &root(), "CreateKey", json!({})).await.unwrap();
        ids.push(created["KeyMetadata"]["KeyId"].as_str().unwrap().to_string());
    }
    let (doomed, rotating) = (ids[0].clone(), ids[1].clone());
    let alias = json!({"AliasName": "alias/doomed", "TargetKeyId": doomed});
    call(store, &root(), "CreateAlias", alias).await.unwrap();
    let schedule = json!({"KeyId": doomed, "PendingWindowInDays": 7});
    call(store, &root(), "ScheduleKeyDeletion", schedule).await.unwrap();
    call(store, &root(), "EnableKeyRotation", json!({"KeyId": rotating}))
        .await
        .unwrap();
    let encrypt = json!({"KeyId": rotating, "Plaintext": "b2xk"});
    let old = call(store, &root(), "Encrypt", encrypt).await.unwrap()["CiphertextBlob"].clone();

    // Move both dates into the past, as if the days had gone by.
    let (doomed_id, rotating_id) = (doomed.clone(), rotating.clone());
    store
        .change(move |keys| {
            let mut due = keys.key(&doomed_id).unwrap().clone();
            due.deletion_date = Some(1.0);
            let mut rotate = keys.key(&rotating_id).unwrap().clone();
            rotate.next_rotation = Some(1.0);
            Ok(vec![
                Write::Put(Record::Key(Box::new(due))),
                Write::Put(Record::Key(Box::new(rotate))),
            ])
        })
        .await
        .unwrap();
    store.maintain().await.unwrap();

    assert!(store.read(|keys| keys.key(&doomed).is_none() && keys.alias("alias/doomed").is_none()));
    let rotated = store.read(|keys| keys.key(&rotating).cloned()).unwrap();
    assert_eq!(rotated.versions.len(), 2);
    assert!(rotated.next_rotation.unwrap() > 1.0);
    let listed = call(store, &root(), "ListKeyRotations", json!({"KeyId": rotating}))
        .await
        .unwrap();
    assert_eq!(listed["Rotations"][0]["RotationType"], "AUTOMATIC");
    let decrypted = call(store, &root(), "Decrypt", json!({"CiphertextBlob": old}))
        .await
        .unwrap();
    assert_eq!(decrypted["Plaintext"], "b2xk");
    let missing = call(store, &root(), "DescribeKey", json!({"KeyId": doomed})).await;
    assert!(matches!(missing, Err(KmsError::NotFound(_))));
}

fn user(policy: Value) -> Caller {
    let mut grants = Grants::root(ACCOUNT);
    grants.root = false;
    grants.principal.arn = format!("arn:aws:iam::{ACCOUNT}:user/alice");
    grants.principal.username = Some("alice".into());
    grants.identity = vec![Arc::new(
        PolicyDocument::parse(&policy.to_string(), PolicyKind::Identity).unwrap(),
    )];
    caller(grants)
}

#[tokio::test]
async fn the_key_policy_must_allow_itself_or_delegate_to_iam() {
    let fixture = fixture(RootKey::new(SecretKey::generate().unwrap())).await;
    let store = &fixture.store;
    let created = call(store, &root(), "CreateKey", json!({})).await.unwrap();
    let key_id = created["KeyMetadata"]["KeyId"].as_str().unwrap().to_string();
    let alice = user(json!({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*"}]}));
    let encrypt = json!({"KeyId": key_id, "Plaintext": "eA=="});
    call(store, &alice, "Encrypt", encrypt.clone()).await.unwrap();
    let data_key = json!({"KeyId": key_id, "KeySpec": "AES_256"});
    let denied = call(store, &alice, "GenerateDataKey", data_key).await;
    assert!(matches!(denied, Err(KmsError::AccessDenied(ref m)) if m.contains("no identity-based policy")));

    let no_delegation = json!({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": format!("arn:aws:iam::{ACCOUNT}:root")},
        "Action": "kms:PutKeyPolicy", "Resource": "*"}]});
    let put = json!({"KeyId": key_id, "Policy": no_delegation.to_string()});
    call(store, &root(), "PutKeyPolicy", put).await.unwrap();
    let denied = call(store, &alice, "Encrypt", encrypt.clone()).await;
    assert!(matches!(denied, Err(KmsError::AccessDenied(ref m)) if m.contains("no resource-based policy")));
    let denied = call(store, &root(), "Encrypt", encrypt).await;
    assert!(matches!(denied, Err(KmsError::AccessDenied(_))));
}
