//! Key encoding: `cargo bench -p halyard-storage --bench keycodec`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use halyard_storage::keycodec::{encode_key, KeyValue, NumberParts};

fn key_encoding(c: &mut Criterion) {
    let mut group = c.benchmark_group("keycodec");
    group.bench_function("encode_key S", |b| {
        b.iter(|| encode_key(black_box(KeyValue::S("user000000004217")), None))
    });
    group.bench_function("encode_key S+N", |b| {
        let sort = NumberParts {
            negative: false,
            digits: b"1732550400123",
            exponent: 13,
        };
        b.iter(|| {
            encode_key(
                black_box(KeyValue::S("customer#42")),
                Some(black_box(KeyValue::N(sort))),
            )
        })
    });
    group.bench_function("encode_key N (negative fraction)", |b| {
        let n = NumberParts {
            negative: true,
            digits: b"314159265358979",
            exponent: 1,
        };
        b.iter(|| encode_key(black_box(KeyValue::N(n)), None))
    });
    group.bench_function("encode_key S with NUL bytes", |b| {
        b.iter(|| encode_key(black_box(KeyValue::S("a\0b\0c\0d\0e\0f\0g\0h")), None))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2));
    targets = key_encoding
}
criterion_main!(benches);
