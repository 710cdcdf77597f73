//! The pure core: no web-sys, tested natively with `cargo test`.
//!
//! It knows rrweb's event model, how to assign node ids, how to serialize a
//! DOM it reads through [`dom::DomTree`], and what privacy demands. The web
//! layer (`crate::web`) plugs the live browser DOM into these.

pub mod buffer;
pub mod chunk;
pub mod console;
pub mod dom;
pub mod event;
pub mod id_table;
pub mod incremental;
pub mod input;
pub mod json;
pub mod lifecycle;
pub mod mirror;
pub mod mutation;
pub mod options;
pub mod outbox;
pub mod privacy;
pub mod replay_id;
pub mod sampling;
pub mod session;
pub mod snapshot;

#[cfg(test)]
pub(crate) mod memory_dom;

pub use id_table::{IdKey, IdMap, IdSet};

/// The positions of `keys` in ascending key order, equal keys in their
/// original order (a stable sort). The crate's one sort, by hand: std's
/// sorts are kilobytes of wasm for every element type and comparison they
/// are used with; this bottom-up merge sort is a few hundred bytes.
pub fn stable_order(keys: Vec<u64>) -> Vec<usize> {
    // The positions make every pair distinct, and the merge takes from the
    // left run on ties: equal keys keep their order either way.
    let mut run: Vec<(u64, usize)> = Vec::with_capacity(keys.len());
    for (at, key) in keys.into_iter().enumerate() {
        run.push((key, at));
    }
    let len = run.len();
    let mut merged = run.clone();
    let mut width = 1;
    while width < len {
        let mut start = 0;
        while start < len {
            let mid = len.min(start + width);
            let end = len.min(mid + width);
            let (mut left, mut right) = (start, mid);
            for slot in &mut merged[start..end] {
                let from = if right == end || (left < mid && run[left] <= run[right]) {
                    left += 1;
                    left - 1
                } else {
                    right += 1;
                    right - 1
                };
                *slot = run[from];
            }
            start = end;
        }
        std::mem::swap(&mut run, &mut merged);
        width *= 2;
    }
    run.into_iter().map(|(_, at)| at).collect()
}

/// A key for [`stable_order`] that orders numbers as `f64::total_cmp` does.
pub fn f64_order_key(number: f64) -> u64 {
    let bits = number.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

#[cfg(test)]
mod tests {
    use super::{f64_order_key, stable_order};

    #[test]
    fn stable_order_is_a_stable_sort_by_key() {
        let mut state = 0x9e37_79b9_u32;
        for len in (0..40).chain([100, 257, 1000]) {
            for spread in [1, 3, 1000] {
                let keys: Vec<u64> = (0..len)
                    .map(|_| {
                        state ^= state << 13;
                        state ^= state >> 17;
                        state ^= state << 5;
                        u64::from(state % spread)
                    })
                    .collect();
                let mut expected: Vec<usize> = (0..len).collect();
                expected.sort_by_key(|&at| keys[at]);
                assert_eq!(stable_order(keys.clone()), expected, "{keys:?}");
            }
        }
    }

    #[test]
    fn f64_order_key_orders_as_total_cmp() {
        let numbers = [
            f64::NEG_INFINITY,
            -1e300,
            -2.5,
            -0.0,
            0.0,
            1e-300,
            1.0,
            1_700_000_000_000.0,
            f64::INFINITY,
        ];
        for a in numbers {
            for b in numbers {
                assert_eq!(f64_order_key(a).cmp(&f64_order_key(b)), a.total_cmp(&b));
            }
        }
    }
}
