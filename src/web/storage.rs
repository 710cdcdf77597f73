//! What a tab remembers between page loads: the device id, the generated
//! session and each replay's next seq. The storage itself is JS
//! (`TabStorage` in js/sampling.js, which reads the same keys to decide
//! sampling before the wasm loads): localStorage and sessionStorage as
//! web-sys calls cost the module more than the few lines they take in JS.
//! The formats stay the core's: ids are parsed and sessions read and
//! written by `core::replay_id` and `core::session`.

use wasm_bindgen::prelude::*;

use crate::core::replay_id::DeviceId;
use crate::core::session::Session;

#[wasm_bindgen]
extern "C" {
    /// The page's tab storage, created by the JS entry for each recording.
    /// Its methods never throw.
    #[derive(Clone)]
    pub type TabStorage;

    #[wasm_bindgen(method, js_name = deviceId)]
    fn stored_or_new_device_id(this: &TabStorage) -> String;

    #[wasm_bindgen(method, js_name = session)]
    fn stored_session(this: &TabStorage) -> Option<String>;

    #[wasm_bindgen(method, js_name = saveSession)]
    fn store_session(this: &TabStorage, text: &str);

    #[wasm_bindgen(method, js_name = nextSeq)]
    fn stored_next_seq(this: &TabStorage, replay_id: &str) -> f64;

    #[wasm_bindgen(method, js_name = saveNextSeq)]
    fn store_next_seq(this: &TabStorage, replay_id: &str, next_seq: f64);
}

impl TabStorage {
    /// The stored device id, or a new random one (stored for next time).
    pub fn device_id(&self) -> DeviceId {
        // TabStorage gives a stored id only when valid, else a UUID.
        DeviceId::checked(self.stored_or_new_device_id())
    }

    /// The generated session this tab had, if any.
    pub fn session(&self) -> Option<Session> {
        Session::from_stored(&self.stored_session()?)
    }

    pub fn save_session(&self, session: &Session) {
        if session.is_generated {
            self.store_session(&session.to_stored());
        }
    }

    /// The seq the next chunk of `replay_id` takes (0 for a new replay).
    pub fn next_seq(&self, replay_id: &str) -> u64 {
        self.stored_next_seq(replay_id) as u64
    }

    /// Remembers the next seq of `replay_id`; written when a chunk is sealed,
    /// synchronously, so a reload right after never reuses a seq.
    pub fn save_next_seq(&self, replay_id: &str, next_seq: u64) {
        self.store_next_seq(replay_id, next_seq as f64);
    }
}
