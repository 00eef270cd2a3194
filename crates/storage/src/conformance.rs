//! What every storage adapter must do: test bodies run over each adapter
//! (from its own tests module, on a fresh store).

use std::ops::Bound;

use crate::{Direction, KeyRange, ReadView, Storage, Visit};

fn collect(view: &dyn ReadView, range: KeyRange<'_>, direction: Direction) -> Vec<Vec<u8>> {
    let mut keys = Vec::new();
    view.scan("items", range, direction, &mut |k, _| {
        keys.push(k.to_vec());
        Visit::Continue
    })
    .unwrap();
    keys
}

fn create_items(store: &dyn Storage) {
    let mut tx = store.begin_write().unwrap();
    tx.create_keyspace("items").unwrap();
    tx.commit().unwrap();
}

pub(crate) fn writes_are_atomic_and_scans_are_ordered(store: &dyn Storage) {
    let mut tx = store.begin_write().unwrap();
    tx.create_keyspace("items").unwrap();
    for key in [&b"b"[..], b"a", b"c", b"ab"] {
        tx.put("items", key, b"v").unwrap();
    }
    assert!(
        !matches!(store.get("items", b"a"), Ok(Some(_))),
        "not visible before commit"
    );
    tx.commit().unwrap();

    let view = store.snapshot().unwrap();
    let forward = collect(&*view, KeyRange::ALL, Direction::Forward);
    assert_eq!(
        forward,
        vec![b"a".to_vec(), b"ab".to_vec(), b"b".to_vec(), b"c".to_vec()]
    );
    let range = KeyRange {
        start: Bound::Excluded(b"a"),
        end: Bound::Included(b"b"),
    };
    assert_eq!(
        collect(&*view, range, Direction::Backward),
        vec![b"b".to_vec(), b"ab".to_vec()]
    );
    let upper = crate::keycodec::prefix_end(b"a").unwrap();
    let prefix = KeyRange {
        start: Bound::Included(b"a"),
        end: Bound::Excluded(&upper),
    };
    assert_eq!(
        collect(&*view, prefix, Direction::Forward),
        vec![b"a".to_vec(), b"ab".to_vec()]
    );
    assert_eq!(view.get("items", b"c").unwrap(), Some(b"v".to_vec()));
    assert_eq!(view.get("items", b"d").unwrap(), None);
    assert_eq!(store.get("items", b"ab").unwrap(), Some(b"v".to_vec()));
}

pub(crate) fn keys_are_ordered_as_bytes(store: &dyn Storage) {
    create_items(store);
    let keys: Vec<Vec<u8>> = vec![
        vec![],
        vec![0x00],
        vec![0x00, 0x00],
        vec![0x01],
        vec![0x7f],
        vec![0x80],
        vec![0xff],
    ];
    let mut tx = store.begin_write().unwrap();
    for key in keys.iter().rev() {
        tx.put("items", key, key).unwrap();
    }
    tx.put("items", b"empty value", b"").unwrap();
    tx.commit().unwrap();
    let view = store.snapshot().unwrap();
    let mut expected = keys.clone();
    expected.insert(4, b"empty value".to_vec());
    assert_eq!(collect(&*view, KeyRange::ALL, Direction::Forward), expected);
    assert_eq!(view.get("items", b"empty value").unwrap(), Some(Vec::new()));
    assert_eq!(view.get("items", &[]).unwrap(), Some(Vec::new()));
}

pub(crate) fn dropped_transaction_rolls_back(store: &dyn Storage) {
    create_items(store);
    let mut tx = store.begin_write().unwrap();
    tx.put("items", b"k", b"v").unwrap();
    drop(tx);
    assert_eq!(store.snapshot().unwrap().get("items", b"k").unwrap(), None);
    // The next transaction starts clean.
    let mut tx = store.begin_write().unwrap();
    tx.put("items", b"other", b"v").unwrap();
    tx.commit().unwrap();
    assert_eq!(store.get("items", b"k").unwrap(), None);
    assert_eq!(store.get("items", b"other").unwrap(), Some(b"v".to_vec()));
}

pub(crate) fn a_transaction_reads_its_own_writes_and_overwrites(store: &dyn Storage) {
    create_items(store);
    let mut tx = store.begin_write().unwrap();
    tx.put("items", b"k", b"first").unwrap();
    tx.put("items", b"k", b"second").unwrap();
    tx.put("items", b"gone", b"v").unwrap();
    assert_eq!(tx.get("items", b"k").unwrap(), Some(b"second".to_vec()));
    tx.delete("items", b"gone").unwrap();
    tx.delete("items", b"never there").unwrap();
    assert_eq!(tx.get("items", b"gone").unwrap(), None);
    let mut seen = Vec::new();
    tx.scan("items", KeyRange::ALL, Direction::Forward, &mut |k, v| {
        seen.push((k.to_vec(), v.to_vec()));
        Visit::Continue
    })
    .unwrap();
    assert_eq!(seen, vec![(b"k".to_vec(), b"second".to_vec())]);
    tx.commit().unwrap();
    assert_eq!(store.get("items", b"k").unwrap(), Some(b"second".to_vec()));
}

pub(crate) fn a_snapshot_does_not_see_later_commits(store: &dyn Storage) {
    create_items(store);
    let mut tx = store.begin_write().unwrap();
    tx.put("items", b"a", b"old").unwrap();
    tx.commit().unwrap();
    let view = store.snapshot().unwrap();
    assert_eq!(view.get("items", b"a").unwrap(), Some(b"old".to_vec()));
    let mut tx = store.begin_write().unwrap();
    tx.put("items", b"a", b"new").unwrap();
    tx.put("items", b"b", b"new").unwrap();
    tx.commit().unwrap();
    assert_eq!(view.get("items", b"a").unwrap(), Some(b"old".to_vec()));
    assert_eq!(collect(&*view, KeyRange::ALL, Direction::Forward), vec![b"a".to_vec()]);
    drop(view);
    let view = store.snapshot().unwrap();
    assert_eq!(view.get("items", b"a").unwrap(), Some(b"new".to_vec()));
    assert_eq!(store.get("items", b"b").unwrap(), Some(b"new".to_vec()));
}

pub(crate) fn long_scans_visit_every_key_once_in_order(store: &dyn Storage) {
    create_items(store);
    let count = 1500u32;
    let mut tx = store.begin_write().unwrap();
    for i in 0..count {
        tx.put("items", &i.to_be_bytes(), &i.to_le_bytes()).unwrap();
    }
    tx.commit().unwrap();
    let view = store.snapshot().unwrap();
    let all: Vec<Vec<u8>> = (0..count).map(|i| i.to_be_bytes().to_vec()).collect();
    assert_eq!(collect(&*view, KeyRange::ALL, Direction::Forward), all);
    let mut backward = all.clone();
    backward.reverse();
    assert_eq!(collect(&*view, KeyRange::ALL, Direction::Backward), backward);
    let (low, high) = (100u32.to_be_bytes(), 1200u32.to_be_bytes());
    let range = KeyRange {
        start: Bound::Included(&low),
        end: Bound::Excluded(&high),
    };
    assert_eq!(collect(&*view, range, Direction::Forward), all[100..1200].to_vec());
    let mut expected = all[100..1200].to_vec();
    expected.reverse();
    assert_eq!(collect(&*view, range, Direction::Backward), expected);
    // Values come with their keys; a scan stops when told to.
    let mut visited = 0;
    view.scan("items", KeyRange::ALL, Direction::Forward, &mut |k, v| {
        assert_eq!(k.len(), 4);
        let i = u32::from_be_bytes(k.try_into().unwrap());
        assert_eq!(v, i.to_le_bytes());
        visited += 1;
        if visited == 700 {
            Visit::Stop
        } else {
            Visit::Continue
        }
    })
    .unwrap();
    assert_eq!(visited, 700);
}

pub(crate) fn dropping_a_keyspace_removes_only_its_keys(store: &dyn Storage) {
    let mut tx = store.begin_write().unwrap();
    for keyspace in ["items", "items2", "other"] {
        tx.create_keyspace(keyspace).unwrap();
        tx.put(keyspace, b"k", keyspace.as_bytes()).unwrap();
    }
    tx.create_keyspace("items").unwrap();
    tx.commit().unwrap();
    let mut tx = store.begin_write().unwrap();
    tx.drop_keyspace("items").unwrap();
    tx.drop_keyspace("never created").unwrap_err();
    drop(tx);
    assert_eq!(
        store.get("items", b"k").unwrap(),
        Some(b"items".to_vec()),
        "rolled back"
    );
    let mut tx = store.begin_write().unwrap();
    tx.drop_keyspace("items").unwrap();
    tx.drop_keyspace("never_created").unwrap();
    tx.commit().unwrap();
    let mut tx = store.begin_write().unwrap();
    tx.create_keyspace("items").unwrap();
    tx.commit().unwrap();
    assert_eq!(store.get("items", b"k").unwrap(), None);
    assert_eq!(store.get("items2", b"k").unwrap(), Some(b"items2".to_vec()));
    assert_eq!(store.get("other", b"k").unwrap(), Some(b"other".to_vec()));
    assert!(store.get("bad name!", b"k").is_err());
}

pub(crate) fn a_sound_store_passes_the_integrity_check(store: &dyn Storage) {
    create_items(store);
    let mut tx = store.begin_write().unwrap();
    for i in 0..600u32 {
        tx.put("items", &i.to_be_bytes(), b"value").unwrap();
    }
    tx.commit().unwrap();
    assert_eq!(
        store.snapshot().unwrap().check_integrity().unwrap(),
        Vec::<String>::new()
    );
}

/// `open` opens the same store again (the one before is dropped first).
pub(crate) fn data_survives_reopen(open: &dyn Fn() -> Box<dyn Storage>) {
    {
        let store = open();
        let mut tx = store.begin_write().unwrap();
        tx.create_keyspace("items").unwrap();
        tx.put("items", b"k", b"v").unwrap();
        tx.commit().unwrap();
    }
    let store = open();
    assert_eq!(
        store.snapshot().unwrap().get("items", b"k").unwrap(),
        Some(b"v".to_vec())
    );
}

/// Runs each named body over a fresh store from `$fresh`: an `Option` of
/// a guard that derefs to the adapter's store (`None`: the adapter's
/// server is not there, and the fixture said so).
macro_rules! conformance_tests {
    ($fresh:expr; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let Some(store) = $fresh else { return };
                crate::conformance::$name(&*store);
            }
        )*
    };
}
pub(crate) use conformance_tests;

/// The bodies that take one fresh store.
macro_rules! all_conformance_tests {
    ($fresh:expr) => {
        crate::conformance::conformance_tests!($fresh;
            writes_are_atomic_and_scans_are_ordered,
            keys_are_ordered_as_bytes,
            dropped_transaction_rolls_back,
            a_transaction_reads_its_own_writes_and_overwrites,
            a_snapshot_does_not_see_later_commits,
            long_scans_visit_every_key_once_in_order,
            dropping_a_keyspace_removes_only_its_keys,
            a_sound_store_passes_the_integrity_check,
        );
    };
}
pub(crate) use all_conformance_tests;
