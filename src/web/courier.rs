//! The courier: delivers the outbox's chunks, oldest first per replay, one
//! request at a time, retrying with backoff, until the outbox is empty.
//!
//! It is page-wide and outlives recordings: created when rewind loads, it
//! first drains what earlier page loads left in the outbox (each record
//! carries its endpoint and key, so no `start()` is needed), and it keeps
//! delivering after `stop()`.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::spawn_local;

use crate::core::delivery::{judge, Backoff, Verdict};
use crate::core::options::DEFAULT_REQUEST_TIMEOUT_MS;
use crate::core::outbox::{chunks_to_evict, OutboxLimits, StoredChunkInfo};

use super::clock;
use super::listener::EventListener;
use super::log::DebugLog;
use super::outbox::{Outbox, OutboxRecord};
use super::storage::ParkingLot;
use super::transport::{send_chunk, PendingRequest, KEEPALIVE_BODY_LIMIT};

type ChunkKey = (String, u64);

/// The page's courier, held by the JS entry and lent to each recording.
#[wasm_bindgen]
pub struct Courier {
    state: Rc<CourierState>,
    /// Hears other tabs of the site park chunks as they close.
    _parked_elsewhere: Option<EventListener>,
}

#[wasm_bindgen]
impl Courier {
    /// Opens the outbox and starts delivering what it holds.
    #[wasm_bindgen(constructor)]
    pub fn new() -> Courier {
        let state = Rc::new(CourierState::default());
        let opening = state.clone();
        spawn_local(async move {
            let (outbox, fallback_reason) = Outbox::open().await;
            if let Some(reason) = fallback_reason {
                let message = format!("outbox kept in memory: {reason}");
                opening.log.info(format_args!("{message}"));
                *opening.memory_reason.borrow_mut() = Some(message);
            }
            opening.install(outbox).await;
        });
        // A tab that closes parks its last chunk in localStorage; the
        // browser tells the site's other tabs with a `storage` event, so an
        // idle courier here delivers it now rather than on a later load.
        let listening = Rc::downgrade(&state);
        let parked_elsewhere = web_sys::window().map(|window| {
            EventListener::new(window.as_ref(), "storage", false, move |event| {
                let is_parked_chunk = event
                    .dyn_ref::<web_sys::StorageEvent>()
                    .and_then(|event| event.key())
                    .is_some_and(|key| ParkingLot::is_parked_key(&key));
                if let (true, Some(state)) = (is_parked_chunk, listening.upgrade()) {
                    spawn_local(state.import_parked());
                }
            })
        });
        Courier {
            state,
            _parked_elsewhere: parked_elsewhere,
        }
    }

    /// How many chunks wait in the outbox (delivered ones are removed).
    #[wasm_bindgen(js_name = pendingChunks)]
    pub fn pending_chunks(&self) -> usize {
        self.state.inventory.borrow().len()
    }

    /// Whether the outbox survives the page (IndexedDB) or lives in memory.
    #[wasm_bindgen(js_name = isPersistent)]
    pub fn is_persistent(&self) -> bool {
        self.state
            .outbox
            .borrow()
            .as_ref()
            .is_some_and(|outbox| outbox.is_persistent())
    }

    /// Calls `listener(replayId, seq)` each time the endpoint accepts a
    /// chunk (the Segment plugin's "Replay Captured" waits for a replay's
    /// seq 0). One listener; a later call replaces it.
    #[wasm_bindgen(js_name = onDelivered)]
    pub fn on_delivered(&self, listener: js_sys::Function) {
        *self.state.delivered_listener.borrow_mut() = Some(listener);
    }

    /// Resolves once the outbox is empty (or `timeoutMs` passed; then it
    /// resolves with false).
    #[wasm_bindgen(js_name = whenEmpty)]
    pub fn when_empty(&self, timeout_ms: f64) -> js_sys::Promise {
        let state = self.state.clone();
        super::promise_of(async move {
            let deadline = clock::now() + timeout_ms;
            while !(state.is_open() && state.inventory.borrow().is_empty() && !state.running.get())
            {
                if clock::now() >= deadline {
                    return false.into();
                }
                super::guard::pause(20).await;
            }
            true.into()
        })
    }
}

impl Default for Courier {
    fn default() -> Self {
        Courier::new()
    }
}

impl Courier {
    pub(crate) fn state(&self) -> Rc<CourierState> {
        self.state.clone()
    }
}

/// Records stored before the outbox finished opening wait here.
#[derive(Default)]
pub struct CourierState {
    outbox: RefCell<Option<Rc<Outbox>>>,
    waiting_for_outbox: RefCell<Vec<OutboxRecord>>,
    /// What the outbox holds, kept in memory so caps and the pagehide
    /// decision need no storage read. A plain list: tens of entries.
    inventory: RefCell<Vec<(ChunkKey, StoredChunkInfo)>>,
    running: Cell<bool>,
    /// Set when a chunk arrives while the loop runs, so it looks again
    /// before it goes idle.
    has_news: Cell<bool>,
    in_flight: RefCell<Option<ChunkKey>>,
    /// Chunks sent with keepalive on pagehide whose answer is pending; the
    /// loop waits for them rather than send them twice.
    sent_before_unload: RefCell<Vec<ChunkKey>>,
    /// Chunks parked as the page hid or closed: their parked copy stays
    /// until they are delivered, even once the outbox holds them, because
    /// it is what tells the site's other tabs (through the `storage` event)
    /// that a closing tab left chunks to deliver.
    parked_on_hide: RefCell<Vec<ChunkKey>>,
    limits: Cell<OutboxLimits>,
    request_timeout_ms: Cell<f64>,
    log: DebugLog,
    rejection_reported: Cell<bool>,
    dropped_chunks: Cell<usize>,
    parking: ParkingLot,
    /// Why the outbox lives in memory, repeated when `debug` is turned on
    /// after the courier opened it.
    memory_reason: RefCell<Option<String>>,
    /// Told of every accepted chunk (`Courier::on_delivered`).
    delivered_listener: RefCell<Option<js_sys::Function>>,
}

impl CourierState {
    fn is_open(&self) -> bool {
        self.outbox.borrow().is_some()
    }

    /// Settings from the latest `start()`.
    pub fn configure(&self, limits: OutboxLimits, request_timeout_ms: f64, debug: bool) {
        self.limits.set(limits);
        self.request_timeout_ms.set(request_timeout_ms);
        self.log.set_enabled(debug);
        if let Some(reason) = self.memory_reason.borrow().as_deref() {
            self.log.info(format_args!("{reason}"));
        }
    }

    /// Moves chunks other tabs parked into the outbox and delivers them.
    async fn import_parked(self: Rc<Self>) {
        let Some(outbox) = self.outbox.borrow().clone() else {
            // Still opening: install() imports parked chunks itself.
            return;
        };
        for record in self.parking.parked() {
            self.clone().put(&outbox, record).await;
        }
        self.wake();
    }

    async fn install(self: Rc<Self>, outbox: Outbox) {
        let outbox = Rc::new(outbox);
        match outbox.inventory().await {
            Ok(entries) => {
                if !entries.is_empty() {
                    self.log.info(format_args!(
                        "{} chunks from earlier pages wait in the outbox",
                        entries.len()
                    ));
                }
                self.inventory.borrow_mut().extend(entries);
            }
            Err(error) => self
                .log
                .warn(format_args!("outbox could not be read: {}", error)),
        }
        // Chunks a closing tab parked move into the outbox first.
        let parked = self.parking.parked();
        if !parked.is_empty() {
            self.log.info(format_args!(
                "{} chunks parked by a closed tab move to the outbox",
                parked.len()
            ));
        }
        for record in parked {
            self.clone().put(&outbox, record).await;
        }
        // Records stored while the outbox opened go in before it is
        // published, so the loop never sees a later seq before an earlier.
        loop {
            let waiting = std::mem::take(&mut *self.waiting_for_outbox.borrow_mut());
            if waiting.is_empty() {
                break;
            }
            for record in waiting {
                self.clone().put(&outbox, record).await;
            }
        }
        *self.outbox.borrow_mut() = Some(outbox.clone());
        self.enforce_limits(&outbox).await;
        self.wake();
    }

    /// Stores a sealed chunk and makes sure the loop delivers it. Resolves
    /// once the chunk is in the outbox.
    pub async fn store(self: Rc<Self>, record: OutboxRecord) {
        let outbox = self.outbox.borrow().clone();
        match outbox {
            Some(outbox) => {
                self.clone().put(&outbox, record).await;
                self.enforce_limits(&outbox).await;
                self.wake();
            }
            None => self.waiting_for_outbox.borrow_mut().push(record),
        }
    }

    async fn put(self: Rc<Self>, outbox: &Outbox, record: OutboxRecord) {
        let key = (record.replay_id.clone(), record.seq);
        let info = StoredChunkInfo {
            bytes: record.body.len(),
            created_at_ms: record.created_at_ms,
        };
        match outbox.put(record.clone()).await {
            Ok(()) => {
                if outbox.is_persistent() && !self.parked_on_hide.borrow().contains(&key) {
                    self.parking.unpark(&key.0, key.1);
                }
                self.note_stored(key, info);
            }
            Err(error) => {
                // IndexedDB refused or aborted the write (quota, a closing
                // database): keep the chunk in memory rather than lose it,
                // and parked, so that it outlives this page too.
                self.log.warn(format_args!(
                    "outbox refused a chunk ({}); it is kept in memory",
                    error
                ));
                self.parking.park(&record);
                let fallback = Outbox::in_memory();
                let _ = fallback.put(record).await;
                *self.outbox.borrow_mut() = Some(Rc::new(fallback));
                self.note_stored(key, info);
            }
        }
    }

    fn note_stored(&self, key: ChunkKey, info: StoredChunkInfo) {
        let mut inventory = self.inventory.borrow_mut();
        inventory.retain(|(stored, _)| *stored != key);
        inventory.push((key, info));
    }

    fn note_removed(&self, key: &ChunkKey) {
        self.inventory
            .borrow_mut()
            .retain(|(stored, _)| stored != key);
    }

    /// Drops the oldest chunks past the size or age cap, and says so.
    async fn enforce_limits(&self, outbox: &Outbox) {
        let mut keys: Vec<ChunkKey> = Vec::new();
        let mut infos: Vec<StoredChunkInfo> = Vec::new();
        for (key, info) in self.inventory.borrow().iter() {
            keys.push(key.clone());
            infos.push(info.clone());
        }
        let evicted = chunks_to_evict(&infos, clock::now(), &self.limits.get());
        if evicted.is_empty() {
            return;
        }
        for index in &evicted {
            let (replay_id, seq) = &keys[*index];
            if outbox.delete(replay_id, *seq).await.is_ok() {
                self.note_removed(&keys[*index]);
            }
        }
        self.dropped_chunks
            .set(self.dropped_chunks.get() + evicted.len());
        self.log.warn(format_args!(
            "outbox over its caps: dropped {} oldest chunks ({} in all since this page loaded)",
            evicted.len(),
            self.dropped_chunks.get()
        ));
    }

    /// Starts the delivery loop unless it runs.
    pub fn wake(self: &Rc<Self>) {
        if self.running.get() {
            self.has_news.set(true);
            return;
        }
        if !self.is_open() {
            return;
        }
        self.running.set(true);
        spawn_local(self.clone().deliver_all());
    }

    async fn deliver_all(self: Rc<Self>) {
        let backoff = Backoff::default();
        let mut failures: u32 = 0;
        loop {
            let Some(outbox) = self.outbox.borrow().clone() else {
                break;
            };
            let record = match outbox.first().await {
                Ok(Some(record)) => record,
                Ok(None) if self.has_news.replace(false) => continue,
                Ok(None) => break,
                Err(error) => {
                    self.log
                        .warn(format_args!("outbox could not be read: {}", error));
                    break;
                }
            };
            let key = (record.replay_id.clone(), record.seq);
            if self.sent_before_unload.borrow().contains(&key) {
                super::guard::pause(50).await;
                continue;
            }
            *self.in_flight.borrow_mut() = Some(key.clone());
            // keepalive lets a small request finish even if the page closes
            // while it is in flight.
            let keepalive = record.body.len() <= KEEPALIVE_BODY_LIMIT;
            let attempt = send_chunk(&record, self.timeout_ms(), keepalive).await;
            *self.in_flight.borrow_mut() = None;
            match judge(
                &attempt,
                failures + 1,
                &backoff,
                js_sys::Math::random(),
                clock::now(),
            ) {
                Verdict::Delivered => {
                    failures = 0;
                    self.remove(&outbox, &key).await;
                    self.log.info(format_args!("delivered {}#{}", key.0, key.1));
                    self.tell_delivered(&key);
                }
                Verdict::Rejected { status } => {
                    failures = 0;
                    self.remove(&outbox, &key).await;
                    self.report_rejection(status, &record.endpoint);
                }
                Verdict::Retry { delay_ms } => {
                    failures += 1;
                    self.log.info(format_args!(
                        "{}#{} not delivered ({}); retry in {} ms",
                        key.0,
                        key.1,
                        attempt.describe(),
                        delay_ms as u64
                    ));
                    super::guard::pause(delay_ms as u32).await;
                }
            }
        }
        self.running.set(false);
    }

    async fn remove(&self, outbox: &Outbox, key: &ChunkKey) {
        self.parking.unpark(&key.0, key.1);
        self.parked_on_hide
            .borrow_mut()
            .retain(|parked| parked != key);
        if let Err(error) = outbox.delete(&key.0, key.1).await {
            self.log.warn(format_args!(
                "delivered chunk could not be removed: {}",
                error
            ));
        }
        self.note_removed(key);
    }

    fn tell_delivered(&self, (replay_id, seq): &ChunkKey) {
        let listener = self.delivered_listener.borrow().clone();
        if let Some(listener) = listener {
            // The listener is rewind's own JS; what it throws is its to
            // report, and never stops delivery.
            let _ = listener.call2(&JsValue::NULL, &replay_id.into(), &(*seq as f64).into());
        }
    }

    /// A refused chunk means a misconfigured endpoint or key: say it once,
    /// even without `debug`, since the data is gone.
    fn report_rejection(&self, status: u16, endpoint: &str) {
        if !self.rejection_reported.replace(true) {
            web_sys::console::warn_1(
                &format!(
                    "[rewind] {endpoint} refused a chunk with HTTP {status}; it is dropped, not retried \
                     (check the endpoint and apiKey). Further refusals are not reported."
                )
                .into(),
            );
        }
    }

    fn timeout_ms(&self) -> f64 {
        match self.request_timeout_ms.get() {
            timeout if timeout > 0.0 => timeout,
            _ => DEFAULT_REQUEST_TIMEOUT_MS,
        }
    }

    /// On pagehide: parks `record` in localStorage, then sends it at once with keepalive if that keeps
    /// the replay in order (nothing older of it waits, other than a
    /// keepalive request already in flight) and the body fits keepalive's
    /// limit. Otherwise the outbox delivers it on a later page load.
    pub fn send_before_unload(self: &Rc<Self>, record: OutboxRecord) -> bool {
        // Synchronous, so it survives the page even if the outbox write
        // started next does not finish.
        if self.parking.park(&record) {
            self.parked_on_hide
                .borrow_mut()
                .push((record.replay_id.clone(), record.seq));
        }
        // An outbox in memory dies with the page: what it still holds is
        // parked too, for the site's next page load or another tab.
        if let Some(outbox) = self.outbox.borrow().as_ref() {
            outbox.for_each_in_memory(|waiting| {
                self.parking.park(waiting);
            });
        }
        if record.body.len() > KEEPALIVE_BODY_LIMIT {
            return false;
        }
        let in_flight = self.in_flight.borrow().clone();
        let older_waiting = self.inventory.borrow().iter().any(|((replay_id, seq), _)| {
            *replay_id == record.replay_id
                && *seq < record.seq
                && in_flight.as_ref() != Some(&(replay_id.clone(), *seq))
        });
        if older_waiting {
            return false;
        }
        let Ok(request) = PendingRequest::start(&record, self.timeout_ms(), true) else {
            return false;
        };
        let key = (record.replay_id.clone(), record.seq);
        self.sent_before_unload.borrow_mut().push(key.clone());
        // The request is on its way; what follows runs only if the page
        // lives on (a bfcache'd page, a hidden tab).
        let state = self.clone();
        spawn_local(async move {
            let attempt = request.outcome().await;
            let delivered =
                judge(&attempt, 1, &Backoff::default(), 0.0, clock::now()) == Verdict::Delivered;
            let outbox = state.outbox.borrow().clone();
            if let (true, Some(outbox)) = (delivered, outbox) {
                state.remove(&outbox, &key).await;
                state.tell_delivered(&key);
            }
            // Not delivered: the loop sends it like any other chunk.
            state
                .sent_before_unload
                .borrow_mut()
                .retain(|sent| *sent != key);
        });
        true
    }
}
