//! What decoding a stored item may cost in heap, measured with a counting
//! allocator (this test binary's own). Damaged bytes must not cost more
//! than the fuzz target's bound (fuzz/fuzz_targets/item_codec.rs): a fixed
//! base plus a fixed multiple of their length.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use halyard_engine::model::item_codec::decode_item;

struct CountingAllocator;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
/// The counters are process-wide: measurements take turns.
static MEASURING: Mutex<()> = Mutex::new(());

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        unsafe { System.dealloc(pointer, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// The fuzz target's bound, repeated here so that CI (which fuzzes only
/// briefly) holds the decoder to it on the shapes known to cost most.
const HEAP_BYTES_BASE: usize = 64 * 1024;
const HEAP_BYTES_PER_INPUT_BYTE: usize = 192;

/// Peak heap bytes while decoding `bytes`, and whether it decoded.
fn peak_while_decoding(bytes: &[u8]) -> (usize, bool) {
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let decoded = decode_item(bytes);
    let peak = PEAK.load(Ordering::Relaxed) - before;
    (peak, decoded.is_ok())
}

/// Asserts that decoding `bytes` peaks at no more than `bound` heap bytes;
/// says whether they decoded.
fn assert_within(what: &str, bytes: &[u8], bound: usize) -> bool {
    let (peak, decoded) = peak_while_decoding(bytes);
    assert!(
        peak <= bound,
        "{what}: decoding {} bytes peaked at {peak} heap bytes (bound {bound})",
        bytes.len()
    );
    decoded
}

fn fuzz_bound(bytes: &[u8]) -> usize {
    HEAP_BYTES_BASE + HEAP_BYTES_PER_INPUT_BYTE * bytes.len()
}

/// Runs one test at a time: the counters are process-wide, so another
/// test building its input would count as this one's decoding.
fn alone() -> std::sync::MutexGuard<'static, ()> {
    MEASURING.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

const TAG_NULL: u8 = 6;
const TAG_M: u8 = 7;
const TAG_L: u8 = 8;

#[test]
fn nested_list_claims_do_not_each_reserve_room() {
    // Found by the item_codec fuzz target (the input is in its corpus as
    // item_codec-allocation-amplification): a name of 54 bytes, then lists
    // nested 64 deep, each claiming 54 elements. Every level reserved room
    // for its claim before reading any of it: 110 KB from 257 bytes. What
    // all levels may reserve together now fits in the fixed base.
    let _alone = alone();
    let mut bytes = vec![0x02];
    for _ in 0..128 {
        bytes.extend_from_slice(&[0x36, TAG_L]);
    }
    assert!(!assert_within("claiming lists", &bytes, HEAP_BYTES_BASE));
}

#[test]
fn a_long_list_of_single_entry_maps_stays_within_bound() {
    // Each map holds one entry, so each costs a whole B-tree leaf for four
    // encoded bytes (168 heap bytes a byte, list slots included): the
    // costliest shape per byte a valid item can take.
    let _alone = alone();
    let count = 100_000usize;
    let mut bytes = vec![1, 1, b'l', TAG_L];
    let mut varint = count;
    while varint >= 0x80 {
        bytes.push((varint as u8) | 0x80);
        varint >>= 7;
    }
    bytes.push(varint as u8);
    for _ in 0..count {
        bytes.extend_from_slice(&[TAG_M, 1, 0, TAG_NULL]);
    }
    assert!(assert_within("single-entry maps", &bytes, fuzz_bound(&bytes)));
}

#[test]
fn chains_of_maps_cost_no_more_than_the_base() {
    // One leaf a level, and the depth limit bounds the levels.
    let _alone = alone();
    let mut bytes = vec![1, 0];
    for _ in 0..64 {
        bytes.extend_from_slice(&[TAG_M, 1, 0]);
    }
    bytes.push(TAG_NULL);
    assert!(assert_within("nested maps", &bytes, HEAP_BYTES_BASE));
}
