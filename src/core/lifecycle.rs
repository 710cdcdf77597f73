//! When a recording's replay begins and ends, and what the page's calls do
//! to it: pure functions of the state and the clock (`now_ms`), which the
//! web layer executes. The calls' arguments arrive checked: `js/options.js`
//! refuses a bad user id, session id, device id or tag before the wasm is
//! called, for a recording and for a session outside `sampleRate` alike.

use super::event::TimestampMs;
use super::json::write_str;
use super::replay_id::{DeviceId, ReplayId, SessionId};
use super::session::{Session, SessionPolicy};

/// Which session a recording starts in: the page's own (`sessionId`
/// option); else the tab's stored one while it has not ended; else a new
/// one.
pub fn session_at_start(
    supplied: Option<SessionId>,
    stored: Option<Session>,
    policy: &SessionPolicy,
    now_ms: TimestampMs,
) -> Session {
    match supplied {
        Some(id) => Session::supplied(id, now_ms),
        None => match stored {
            Some(stored) if stored.end_reason(now_ms, policy).is_none() => stored,
            _ => Session::generate(now_ms),
        },
    }
}

/// What the flush timer does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tick {
    /// The session ended (idle or too long): seal its replay, start anew.
    RotateSession,
    /// Seal what gathered into a chunk.
    SealChunk,
}

/// The flush timer's verdict at `now_ms`.
pub fn on_tick(session: &Session, policy: &SessionPolicy, now_ms: TimestampMs) -> Tick {
    if session.end_reason(now_ms, policy).is_some() {
        Tick::RotateSession
    } else {
        Tick::SealChunk
    }
}

/// Whether user activity at `now_ms` comes after its session ended (timers
/// sleep in background tabs): then a new session starts before it counts.
pub fn activity_starts_new_session(
    session: &Session,
    policy: &SessionPolicy,
    now_ms: TimestampMs,
) -> bool {
    session.end_reason(now_ms, policy).is_some()
}

/// Counts toward the next checkout (a fresh Meta + full snapshot), so
/// every stretch of a recording can be replayed from a snapshot near it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Checkouts {
    events_since: u32,
    last_at_ms: TimestampMs,
}

impl Checkouts {
    /// An incremental event was recorded.
    pub fn note_event(&mut self) {
        self.events_since += 1;
    }

    /// A full snapshot was taken at `at_ms`.
    pub fn reset(&mut self, at_ms: TimestampMs) {
        self.events_since = 0;
        self.last_at_ms = at_ms;
    }

    /// Whether a checkout is due at `now_ms`: something happened since
    /// the last one, and the event count or the time reached its option.
    pub fn is_due(
        &self,
        every_nth: Option<u32>,
        every_ms: Option<f64>,
        now_ms: TimestampMs,
    ) -> bool {
        if self.events_since == 0 {
            return false;
        }
        let by_count = every_nth.is_some_and(|nth| self.events_since >= nth);
        let by_time = every_ms.is_some_and(|ms| now_ms - self.last_at_ms >= ms);
        by_count || by_time
    }
}

/// A call the page made before `start()`, handed to the recording that
/// starts (in call order), so that nothing said early is lost.
#[derive(Debug, Clone, PartialEq)]
pub enum EarlyCall {
    /// `identify(userId, traits)`: names the user, and with
    /// `userIdAsDeviceId` the device, of the recording from its first chunk.
    Identify {
        user_id: String,
        traits_json: Option<String>,
    },
    /// `log(message, data)`: recorded right after the first full snapshot.
    Log {
        message: String,
        data_json: Option<String>,
    },
}

/// How a replay opens: its first snapshot is sent at once rather than
/// after the flush interval (it is what makes the replay playable), and
/// the calls made before `start()` follow it as Custom events.
#[derive(Debug, Clone, PartialEq)]
pub struct Opening {
    /// The next full snapshot starts a replay: flush it when done.
    flush_next_snapshot: bool,
    /// Custom events (tag, payload) to record after the first snapshot.
    customs: Vec<(&'static str, String)>,
}

/// What the recording does once a full snapshot is written.
#[derive(Debug, Clone, PartialEq)]
pub struct AfterSnapshot {
    pub customs: Vec<(&'static str, String)>,
    pub flush: bool,
}

/// Who a recording starts as, after the calls made before `start()`.
#[derive(Debug, Clone, PartialEq)]
pub struct StartIdentity {
    pub device_id: DeviceId,
    /// The `identify` payload of the last valid early `identify()`.
    pub user_json: Option<String>,
    pub opening: Opening,
}

/// Applies the early calls to a recording starting on `device_id`.
pub fn start_identity(
    device_id: DeviceId,
    early_calls: Vec<EarlyCall>,
    user_id_as_device_id: bool,
) -> StartIdentity {
    let mut identity = StartIdentity {
        device_id,
        user_json: None,
        opening: Opening {
            flush_next_snapshot: true,
            customs: Vec::with_capacity(early_calls.len()),
        },
    };
    for call in early_calls {
        match call {
            EarlyCall::Identify {
                user_id,
                traits_json,
            } => {
                if let Some(user_device) = user_device_of(&user_id, user_id_as_device_id) {
                    identity.device_id = user_device;
                }
                let user = identify_payload(&user_id, traits_json);
                identity.user_json = Some(user.clone());
                identity.opening.customs.push(("identify", user));
            }
            EarlyCall::Log { message, data_json } => {
                let payload = log_payload(&message, data_json);
                identity.opening.customs.push(("log", payload));
            }
        }
    }
    identity
}

impl Opening {
    /// A replay opens with the next snapshot (a new session or device).
    pub fn restart(&mut self) {
        self.flush_next_snapshot = true;
    }

    /// A full snapshot was written: the customs waiting for the first one,
    /// and whether to flush it.
    pub fn snapshot_finished(&mut self) -> AfterSnapshot {
        AfterSnapshot {
            customs: std::mem::take(&mut self.customs),
            flush: std::mem::replace(&mut self.flush_next_snapshot, false),
        }
    }
}

/// What an `identify()` call does to a recording on `current` device.
#[derive(Debug, Clone, PartialEq)]
pub struct Identified {
    /// With `userIdAsDeviceId` and another user: the device the recording
    /// continues as (a new replay).
    pub switch_to: Option<DeviceId>,
    /// The `identify` Custom event's payload, also the chunks' user.
    pub user_json: String,
}

/// What an `identify()` call with a checked user id does.
pub fn identify(
    user_id: &str,
    traits_json: Option<String>,
    user_id_as_device_id: bool,
    current: &DeviceId,
) -> Identified {
    let user_device = user_device_of(user_id, user_id_as_device_id);
    Identified {
        switch_to: user_device.filter(|device| device != current),
        user_json: identify_payload(user_id, traits_json),
    }
}

/// With `userIdAsDeviceId`, the device id a checked user id becomes.
fn user_device_of(user_id: &str, user_id_as_device_id: bool) -> Option<DeviceId> {
    user_id_as_device_id.then(|| DeviceId::checked(user_id.to_owned()))
}

/// What `setSessionId(sessionId, deviceId)` asks of a recording now on
/// `current`: the replay it continues as, or `None` when both halves are
/// the current ones (or not given), which changes nothing.
pub fn switched_replay(
    current: &ReplayId,
    session_id: Option<SessionId>,
    device_id: Option<DeviceId>,
) -> Option<ReplayId> {
    let next = ReplayId {
        device_id: device_id.unwrap_or_else(|| current.device_id.clone()),
        session_id: session_id.unwrap_or_else(|| current.session_id.clone()),
    };
    (next != *current).then_some(next)
}

/// `{"userId":…,"traits":…}`: the payload of an `identify` event.
pub fn identify_payload(user_id: &str, traits_json: Option<String>) -> String {
    text_and_json("userId", user_id, "traits", traits_json)
}

/// `{"message":…,"data":…}`: the payload of a `log` event.
pub fn log_payload(message: &str, data_json: Option<String>) -> String {
    text_and_json("message", message, "data", data_json)
}

/// `{"<text_key>":"<text>","<json_key>":<json>}`, the second entry only
/// when given.
fn text_and_json(text_key: &str, text: &str, json_key: &str, json: Option<String>) -> String {
    let mut out = String::from("{");
    write_str(&mut out, text_key);
    out.push(':');
    write_str(&mut out, text);
    if let Some(json) = json {
        out.push(',');
        write_str(&mut out, json_key);
        out.push(':');
        out.push_str(&json);
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    const MINUTE: f64 = 60_000.0;

    fn device(id: &str) -> DeviceId {
        DeviceId::checked(id.to_owned())
    }

    fn parsed(json: &str) -> Value {
        serde_json::from_str(json).expect("valid JSON")
    }

    fn replay(device_id: &str, session_id: &str) -> ReplayId {
        ReplayId {
            device_id: device(device_id),
            session_id: SessionId::checked(session_id.to_owned()),
        }
    }

    #[test]
    fn a_switch_to_the_current_ids_changes_nothing() {
        let current = replay("anon-1", "1700000000000");
        assert_eq!(switched_replay(&current, None, None), None);
        let same_session = Some(SessionId::checked("1700000000000".into()));
        assert_eq!(
            switched_replay(&current, same_session, Some(device("anon-1"))),
            None
        );
    }

    #[test]
    fn a_switch_keeps_the_half_it_is_not_given() {
        let current = replay("anon-1", "1700000000000");
        let new_session = Some(SessionId::checked("1700000999999".into()));
        assert_eq!(
            switched_replay(&current, new_session, None),
            Some(replay("anon-1", "1700000999999"))
        );
        assert_eq!(
            switched_replay(&current, None, Some(device("user-7"))),
            Some(replay("user-7", "1700000000000"))
        );
        let both = switched_replay(&current, Some(SessionId::checked("9".into())), Some(device("user-7")));
        assert_eq!(both, Some(replay("user-7", "9")));
    }

    #[test]
    fn a_stored_session_resumes_until_it_has_ended() {
        let policy = SessionPolicy::default();
        let stored = Session::generate(1_000.0);
        let resumed = session_at_start(None, Some(stored.clone()), &policy, 1_000.0 + MINUTE);
        assert_eq!(resumed, stored);
        let later = 1_000.0 + policy.idle_timeout_ms + 1.0;
        let fresh = session_at_start(None, Some(stored.clone()), &policy, later);
        assert_ne!(fresh.id, stored.id);
        assert_eq!(fresh.started_at_ms, later);
    }

    #[test]
    fn a_supplied_session_wins_over_the_stored_one() {
        let policy = SessionPolicy::default();
        let id = SessionId::checked("checkout-42".into());
        let session =
            session_at_start(Some(id.clone()), Some(Session::generate(5.0)), &policy, 9.0);
        assert_eq!(session.id, id);
        assert!(!session.is_generated);
    }

    #[test]
    fn the_tick_rotates_an_idle_session_and_seals_an_active_one() {
        let policy = SessionPolicy::default();
        let session = Session::generate(0.0);
        assert_eq!(on_tick(&session, &policy, MINUTE), Tick::SealChunk);
        let idle = policy.idle_timeout_ms + 1.0;
        assert_eq!(on_tick(&session, &policy, idle), Tick::RotateSession);
        assert!(activity_starts_new_session(&session, &policy, idle));
        assert!(!activity_starts_new_session(&session, &policy, MINUTE));
    }

    #[test]
    fn a_checkout_is_due_by_count_or_time_but_never_after_silence() {
        let mut checkouts = Checkouts::default();
        checkouts.reset(1_000.0);
        assert!(!checkouts.is_due(Some(1), Some(10.0), 1_000_000.0));
        checkouts.note_event();
        checkouts.note_event();
        assert!(checkouts.is_due(Some(2), None, 1_001.0));
        assert!(!checkouts.is_due(Some(3), None, 1_001.0));
        assert!(checkouts.is_due(None, Some(500.0), 1_500.0));
        assert!(!checkouts.is_due(None, Some(500.0), 1_499.0));
        assert!(!checkouts.is_due(None, None, 1e12));
        checkouts.reset(2_000.0);
        assert!(!checkouts.is_due(Some(1), Some(1.0), 3_000.0));
    }

    #[test]
    fn the_first_snapshot_is_flushed_with_the_early_calls_after_it() {
        let identity = start_identity(
            device("browser-1"),
            vec![
                EarlyCall::Log {
                    message: "booted".into(),
                    data_json: Some("{\"ms\":3}".into()),
                },
                EarlyCall::Identify {
                    user_id: "ada".into(),
                    traits_json: None,
                },
            ],
            false,
        );
        assert_eq!(identity.device_id, device("browser-1"));
        let mut opening = identity.opening;
        let first = opening.snapshot_finished();
        assert!(first.flush);
        assert_eq!(first.customs.len(), 2);
        assert_eq!(first.customs[0].0, "log");
        assert_eq!(
            parsed(&first.customs[0].1),
            json!({"message": "booted", "data": {"ms": 3}})
        );
        assert_eq!(parsed(&first.customs[1].1), json!({"userId": "ada"}));
        let checkout = opening.snapshot_finished();
        assert!(!checkout.flush && checkout.customs.is_empty());
        opening.restart();
        assert!(opening.snapshot_finished().flush);
    }

    #[test]
    fn an_early_identify_names_the_device() {
        // (js/index.js passes on only the early calls whose user id its
        // check accepted, with the option known: tests/e2e/options.test.mjs.)
        let identity = start_identity(
            device("browser-1"),
            vec![
                EarlyCall::Identify {
                    user_id: "ada@example.com".into(),
                    traits_json: Some("{\"plan\":\"pro\"}".into()),
                },
            ],
            true,
        );
        assert_eq!(identity.device_id, device("ada@example.com"));
        assert_eq!(
            parsed(identity.user_json.as_deref().unwrap()),
            json!({"userId": "ada@example.com", "traits": {"plan": "pro"}})
        );
    }

    #[test]
    fn identify_switches_device_only_to_another_valid_one() {
        let current = device("ada");
        let same = identify("ada", None, true, &current);
        assert_eq!(same.switch_to, None);
        let other = identify("bob", None, true, &current);
        assert_eq!(other.switch_to, Some(device("bob")));
        let kept = identify("bob", None, false, &current);
        assert_eq!(kept.switch_to, None);
        assert_eq!(parsed(&kept.user_json), json!({"userId": "bob"}));
    }

    #[test]
    fn payloads_escape_their_text_and_embed_their_json() {
        assert_eq!(
            parsed(&log_payload("say \"hi\"\n", Some("[1,2]".into()))),
            json!({"message": "say \"hi\"\n", "data": [1, 2]})
        );
        assert_eq!(
            parsed(&log_payload("plain", None)),
            json!({"message": "plain"})
        );
    }
}
