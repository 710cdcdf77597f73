//! The core's sampling draw for the ids of tests/golden/sampling.json,
//! which js/sampling.js (tests/e2e/sampling.test.mjs) is checked against
//! too: a session outside sampleRate is decided in JS before the wasm
//! loads, and must get the answer the core gives.
#![cfg(not(target_arch = "wasm32"))]

use rewind::core::sampling::is_session_sampled;
use serde_json::Value;

#[test]
fn the_core_draws_exactly_the_shared_vectors() {
    let text = include_str!("golden/sampling.json");
    let file: Value = serde_json::from_str(text).unwrap();
    let vectors = file["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 50);
    for vector in vectors {
        let id = vector["id"].as_str().unwrap();
        let draw53: u64 = vector["draw53"].as_str().unwrap().parse().unwrap();
        assert!(draw53 < 1 << 53, "{id}: draw53 {draw53} is not below 2^53");
        // A session is sampled when its draw is below the rate: so the
        // draw itself as the rate samples it out, and the next value up
        // samples it in. That pins the core's draw to the file's exactly.
        let draw = draw53 as f64 / (1u64 << 53) as f64;
        let next_up = (draw53 + 1) as f64 / (1u64 << 53) as f64;
        if draw > 0.0 {
            assert!(
                !is_session_sampled(id, draw),
                "{id}: the core draws below {draw53}"
            );
        }
        assert!(
            is_session_sampled(id, next_up),
            "{id}: the core draws above {draw53}"
        );
    }
}
