//! What a tab remembers between page loads: the device id (localStorage,
//! shared by the site's tabs), the generated session and each replay's next
//! seq (sessionStorage, so a reload in the same tab continues the replay).
//! Storage can be missing or throw (sandboxed frames, blocked cookies); then
//! the values live only as long as the page. (Chunks parked on pagehide
//! are the courier's, js/courier.js.)

use web_sys::{Storage, Window};

use crate::core::replay_id::DeviceId;
use crate::core::session::Session;

const DEVICE_KEY: &str = "rewind:device";
const SESSION_KEY: &str = "rewind:session";
const SEQ_KEY_PREFIX: &str = "rewind:seq:";

#[derive(Clone)]
pub struct TabStorage {
    local: Option<Storage>,
    session: Option<Storage>,
}

impl TabStorage {
    pub fn new(window: &Window) -> Self {
        TabStorage {
            local: window.local_storage().ok().flatten(),
            session: window.session_storage().ok().flatten(),
        }
    }

    /// The stored device id, or a new random one (stored for next time).
    pub fn device_id(&self) -> DeviceId {
        let stored = self
            .local
            .as_ref()
            .and_then(|storage| storage.get_item(DEVICE_KEY).ok().flatten())
            .and_then(|text| DeviceId::parse(&text).ok());
        if let Some(device_id) = stored {
            return device_id;
        }
        let device_id = DeviceId::parse(&random_id())
            .unwrap_or_else(|_| unreachable!("random ids use only hex digits and '-'"));
        if let Some(storage) = &self.local {
            // A full or blocked storage only costs the id's persistence.
            let _ = storage.set_item(DEVICE_KEY, device_id.as_str());
        }
        device_id
    }

    /// The generated session this tab had, if any.
    pub fn session(&self) -> Option<Session> {
        let text = self.session.as_ref()?.get_item(SESSION_KEY).ok()??;
        Session::from_stored(&text)
    }

    pub fn save_session(&self, session: &Session) {
        if let (Some(storage), true) = (&self.session, session.is_generated) {
            let _ = storage.set_item(SESSION_KEY, &session.to_stored());
        }
    }

    /// The seq the next chunk of `replay_id` takes (0 for a new replay).
    pub fn next_seq(&self, replay_id: &str) -> u64 {
        self.session
            .as_ref()
            .and_then(|storage| {
                storage
                    .get_item(&format!("{SEQ_KEY_PREFIX}{replay_id}"))
                    .ok()
                    .flatten()
            })
            .and_then(|text| text.parse().ok())
            .unwrap_or(0)
    }

    /// Remembers the next seq of `replay_id`; written when a chunk is sealed,
    /// synchronously, so a reload right after never reuses a seq.
    pub fn save_next_seq(&self, replay_id: &str, next_seq: u64) {
        if let Some(storage) = &self.session {
            let _ = storage.set_item(
                &format!("{SEQ_KEY_PREFIX}{replay_id}"),
                &next_seq.to_string(),
            );
        }
    }
}

/// A random version-4 UUID from the browser's CSPRNG (`getRandomValues`
/// works on insecure origins too, unlike `randomUUID`), or from Math.random
/// if even that fails.
fn random_id() -> String {
    let mut bytes = [0u8; 16];
    let from_crypto = web_sys::window()
        .and_then(|window| window.crypto().ok())
        .is_some_and(|crypto| crypto.get_random_values_with_u8_array(&mut bytes).is_ok());
    if !from_crypto {
        for byte in &mut bytes {
            *byte = (js_sys::Math::random() * 256.0) as u8;
        }
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    // 8-4-4-4-12 hex digits.
    let mut id = String::with_capacity(36);
    for (index, &byte) in bytes.iter().enumerate() {
        if matches!(index, 4 | 6 | 8 | 10) {
            id.push('-');
        }
        crate::core::json::push_hex_byte(&mut id, byte);
    }
    id
}
