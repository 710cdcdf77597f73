//! How a recording starts: who (the device, from the options, storage or
//! an early `identify()`), in which session, whether it is sampled, and
//! where its chunks go. The verdicts are `core::lifecycle`'s; this reads
//! and writes the tab's storage around them.

use std::rc::Rc;

use crate::core::chunk::Chunker;
use crate::core::lifecycle::{self, EarlyCall, Opening};
use crate::core::options::{RecorderOptions, RecordingMode};
use crate::core::replay_id::{DeviceId, ReplayId};
use crate::core::sampling::is_session_sampled;
use crate::core::session::Session;

use super::clock;
use super::courier::Courier;
use super::log::{DebugLog, Note};
use super::options::StartOptions;
use super::output::{Output, Wire};
use super::storage::TabStorage;

/// What a recording starts with.
pub struct Start {
    pub options: RecorderOptions,
    pub out: Output,
    pub storage: TabStorage,
    pub log: Rc<DebugLog>,
    pub device_id: DeviceId,
    pub session: Session,
    /// The session is inside the sampling rate of its mode.
    pub is_sampled: bool,
    /// The `identify` payload of an early `identify()`.
    pub identified_user: Option<String>,
    pub opening: Opening,
}

impl Start {
    /// Decides the recording's identity and session (stored for the tab's
    /// next page), and sets up its output.
    pub fn prepare(
        options: StartOptions,
        courier: Courier,
        storage: TabStorage,
        early_calls: Vec<EarlyCall>,
    ) -> Start {
        let StartOptions {
            recorder: options,
            emit,
        } = options;
        let endpoint = options.endpoint.clone();
        let log = Rc::new(DebugLog::new(options.debug));
        let now = clock::now();
        let stored_device = options
            .device_id
            .clone()
            .unwrap_or_else(|| storage.device_id());
        let identity =
            lifecycle::start_identity(stored_device, early_calls, options.user_id_as_device_id);
        let stored_session = if options.session_id.is_none() {
            storage.session()
        } else {
            None
        };
        let session = lifecycle::session_at_start(
            options.session_id.clone(),
            stored_session,
            &options.session_policy,
            now,
        );
        storage.save_session(&session);
        courier.apply_settings(
            options.outbox_limits,
            options.request_timeout_ms,
            options.debug,
        );
        let is_sampled = is_session_sampled(session.id.as_str(), options.session_sample_rate());
        let replay_id = ReplayId {
            device_id: identity.device_id.clone(),
            session_id: session.id.clone(),
        };
        let wire = endpoint.map(|endpoint| {
            let mut chunker = Chunker::new(
                replay_id.clone(),
                storage.next_seq(&replay_id.to_key()),
                options.max_chunk_bytes,
            );
            if let Some(user) = &identity.user_json {
                chunker.set_user(user.clone());
            }
            Wire {
                chunker,
                endpoint,
                api_key: options.api_key.clone(),
                courier,
            }
        });
        let started = if is_sampled {
            Note::Started
        } else {
            Note::StartedUnsampled
        };
        log.note_text(started, &replay_id.to_key());
        // A replay buffer mode has sent already (a reload after its
        // trigger) goes on in normal mode, as the rest of its session does.
        let buffers =
            options.mode == RecordingMode::Buffer && storage.next_seq(&replay_id.to_key()) == 0;
        let mut out = Output::new(wire, emit, storage.clone(), log.clone());
        if buffers {
            out.start_buffering(options.buffer_ms, options.max_buffer_bytes);
        }
        Start {
            options,
            out,
            storage,
            log,
            device_id: identity.device_id,
            session,
            is_sampled,
            identified_user: identity.user_json,
            opening: identity.opening,
        }
    }
}
