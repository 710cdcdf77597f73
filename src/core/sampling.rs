//! Sampling: whether a session is recorded at all, decided from its id so
//! that every tab and every reload of a session decides the same way.

/// Whether `session_id` falls inside `sample_rate` (0 = none, 1 = all).
pub fn is_session_sampled(session_id: &str, sample_rate: f64) -> bool {
    if sample_rate >= 1.0 {
        return true;
    }
    if sample_rate <= 0.0 || sample_rate.is_nan() {
        return false;
    }
    unit_hash(session_id) < sample_rate
}

/// FNV-1a of the id, finished with a 64-bit mixer (FNV's low bits are weak
/// for short, similar ids such as consecutive timestamps), mapped to [0, 1).
fn unit_hash(id: &str) -> f64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in id.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    hash ^= hash >> 33;
    (hash >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_or_nothing_rates() {
        assert!(is_session_sampled("anything", 1.0));
        assert!(!is_session_sampled("anything", 0.0));
    }

    #[test]
    fn the_same_session_always_decides_the_same() {
        for id in ["1700000000000", "checkout-7", "x"] {
            let first = is_session_sampled(id, 0.5);
            assert!((0..10).all(|_| is_session_sampled(id, 0.5) == first));
        }
    }

    #[test]
    fn the_share_sampled_matches_the_rate_for_consecutive_timestamps() {
        let sessions = 20_000u64;
        let start = 1_700_000_000_000u64;
        for rate in [0.1, 0.25, 0.5] {
            let sampled = (start..start + sessions)
                .filter(|ms| is_session_sampled(&ms.to_string(), rate))
                .count() as f64;
            let share = sampled / sessions as f64;
            assert!(
                (share - rate).abs() < 0.015,
                "rate {rate}: sampled share {share}"
            );
        }
    }

    #[test]
    fn a_higher_rate_keeps_every_session_a_lower_one_kept() {
        for n in 0..2_000 {
            let id = format!("s{n}");
            if is_session_sampled(&id, 0.2) {
                assert!(is_session_sampled(&id, 0.6));
            }
        }
    }
}
