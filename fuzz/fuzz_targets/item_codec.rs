//! The stored item codec (crates/engine/src/model/item_codec.rs).
//!
//! * Arbitrary bytes (given as they are, or as a short repeated unit that
//!   stands for deep nesting) decode without panicking, without
//!   overflowing the stack, and allocating at most a fixed multiple of
//!   their length; what decodes re-encodes to bytes that decode to the
//!   same item.
//! * Arbitrary items (attribute value trees of bounded depth) round-trip
//!   exactly.
#![no_main]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use arbitrary::{Arbitrary, Unstructured};
use halyard_engine::model::item_codec::{decode_item, encode_item};
use halyard_engine::model::{AttributeValue, Item, Number};
use libfuzzer_sys::fuzz_target;

/// Counts the bytes live on the heap and the peak since the last reset, so
/// that the target can bound what decoding allocates.
struct CountingAllocator;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

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

/// Heap bytes a decode may use per input byte, beyond a fixed base for
/// what the depth limit bounds (room reserved by the lists open at once, a
/// chain of maps). The costliest shape is a list of single-entry maps:
/// four encoded bytes each, and each map a whole B-tree leaf (632 bytes)
/// plus its list slot, 168 bytes a byte in all; damage must never cost
/// more. crates/engine/tests/decode_allocation.rs holds CI to the same.
const HEAP_BYTES_PER_INPUT_BYTE: usize = 192;
const HEAP_BYTES_BASE: usize = 64 * 1024;

/// Stored items are at most 400 KB; decoding must cope with somewhat more.
const MAX_DECODED_INPUT: usize = 1 << 20;

/// Decodes `bytes`, checking the allocation bound.
fn decode_bounded(bytes: &[u8]) -> Option<Item> {
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let decoded = decode_item(bytes);
    let used = PEAK.load(Ordering::Relaxed) - before;
    let limit = HEAP_BYTES_BASE + HEAP_BYTES_PER_INPUT_BYTE * bytes.len();
    assert!(used <= limit, "decoding {} bytes allocated {used} bytes", bytes.len());
    decoded.ok()
}

/// Deepest documents the arbitrary items reach: DynamoDB's own limit.
const MAX_DEPTH: usize = 32;

fn arbitrary_number(u: &mut Unstructured<'_>) -> arbitrary::Result<Number> {
    let negative = bool::arbitrary(u)?;
    let length = u.int_in_range(1..=38)?;
    // A non-zero first digit keeps the magnitude where the exponent says.
    let digits: String = (0..length)
        .map(|i| u.int_in_range(u8::from(i == 0)..=9).map(|d| char::from(b'0' + d)))
        .collect::<arbitrary::Result<_>>()?;
    let exponent = u.int_in_range(-129..=126i32)?;
    let sign = if negative { "-" } else { "" };
    Ok(Number::parse(&format!("{sign}0.{digits}E{exponent}")).expect("in DynamoDB's range"))
}

fn arbitrary_value(u: &mut Unstructured<'_>, depth: usize) -> arbitrary::Result<AttributeValue> {
    let kinds = if depth < MAX_DEPTH { 10 } else { 8 };
    Ok(match u.int_in_range(0..=kinds - 1)? {
        0 => AttributeValue::S(String::arbitrary(u)?),
        1 => AttributeValue::N(arbitrary_number(u)?),
        2 => AttributeValue::B(Vec::arbitrary(u)?),
        3 => AttributeValue::Bool(bool::arbitrary(u)?),
        4 => AttributeValue::Null,
        // Sets: the codec keeps their order; uniqueness is validation's job.
        5 => AttributeValue::Ss(Vec::arbitrary(u)?),
        6 => AttributeValue::Ns(collection(u, arbitrary_number)?),
        7 => AttributeValue::Bs(Vec::arbitrary(u)?),
        8 => AttributeValue::M(arbitrary_item(u, depth + 1)?),
        _ => AttributeValue::L(collection(u, |u| arbitrary_value(u, depth + 1))?),
    })
}

fn arbitrary_item(u: &mut Unstructured<'_>, depth: usize) -> arbitrary::Result<Item> {
    Ok(
        collection(u, |u| Ok((String::arbitrary(u)?, arbitrary_value(u, depth)?)))?
            .into_iter()
            .collect(),
    )
}

/// Elements for as long as the input says to go on.
fn collection<T>(
    u: &mut Unstructured<'_>,
    mut element: impl FnMut(&mut Unstructured<'_>) -> arbitrary::Result<T>,
) -> arbitrary::Result<Vec<T>> {
    let mut elements = Vec::new();
    while !u.is_empty() && bool::arbitrary(u)? {
        elements.push(element(u)?);
    }
    Ok(elements)
}

fuzz_target!(init: halyard_fuzz::report_stack_overflows(), |data: &[u8]| {
    let Some((&mode, data)) = data.split_first() else {
        return;
    };
    match mode % 3 {
        0 => check_decode(data),
        1 => {
            if let Some(bytes) = halyard_fuzz::repeated(data, MAX_DECODED_INPUT) {
                check_decode(&bytes);
            }
        }
        _ => {
            let Ok(item) = arbitrary_item(&mut Unstructured::new(data), 1) else {
                return;
            };
            let encoded = encode_item(&item);
            match decode_bounded(&encoded) {
                Some(decoded) => assert_eq!(decoded, item, "item did not round-trip"),
                None => panic!("an encoded item failed to decode: {item:?}"),
            }
        }
    }
});

/// What decodes re-encodes stably: the re-encoding decodes to the same
/// item and encodes to the same bytes (the first decode may normalise
/// numbers, varints and repeated names).
fn check_decode(bytes: &[u8]) {
    let Some(item) = decode_bounded(bytes) else {
        return;
    };
    let encoded = encode_item(&item);
    let again = decode_bounded(&encoded).expect("re-encoded item decodes");
    assert_eq!(again, item, "decode(encode(decode(x))) differs from decode(x)");
    assert_eq!(encode_item(&again), encoded, "encoding is not stable");
}
