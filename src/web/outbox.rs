//! The outbox: every sealed chunk is stored here before it is sent and
//! removed only after the endpoint accepted it, so neither a flaky network
//! nor a closed tab loses it. IndexedDB when the browser allows it, memory
//! otherwise (private modes, sandboxed frames).

use std::cell::RefCell;

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbObjectStore, IdbRequest, IdbTransactionMode};

use crate::core::outbox::StoredChunkInfo;

use super::error::WebError;

const DATABASE_NAME: &str = "rewind";
const DATABASE_VERSION: u32 = 1;
const STORE_NAME: &str = "outbox";

// IndexedDB reports through events; one small JS helper turns a request into
// a Promise (and the open request's upgrade into our schema) so the Rust side
// can await it without leaking a closure per request.
#[wasm_bindgen(module = "/src/web/page.js")]
extern "C" {
    #[wasm_bindgen(js_name = idbRequestDone)]
    fn idb_request_done(request: &IdbRequest) -> js_sys::Promise;
    #[wasm_bindgen(js_name = idbWriteCommitted)]
    fn idb_write_committed(request: &IdbRequest) -> js_sys::Promise;
    #[wasm_bindgen(js_name = idbOpen)]
    fn idb_open(factory: &JsValue, name: &str, version: u32, store_name: &str) -> js_sys::Promise;
}

/// One stored chunk with what its delivery needs, so that a later page load
/// can send it without `start()`.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRecord {
    pub replay_id: String,
    pub seq: u64,
    pub endpoint: String,
    pub api_key: Option<String>,
    pub body: Vec<u8>,
    pub created_at_ms: f64,
}

impl OutboxRecord {
    fn key(&self) -> (String, u64) {
        (self.replay_id.clone(), self.seq)
    }

    fn has_key(&self, replay_id: &str, seq: u64) -> bool {
        self.replay_id == replay_id && self.seq == seq
    }

    fn to_js(&self) -> Result<JsValue, JsValue> {
        let object = Object::new();
        Reflect::set(&object, &"replayId".into(), &self.replay_id.as_str().into())?;
        Reflect::set(&object, &"seq".into(), &(self.seq as f64).into())?;
        Reflect::set(&object, &"endpoint".into(), &self.endpoint.as_str().into())?;
        if let Some(key) = &self.api_key {
            Reflect::set(&object, &"apiKey".into(), &key.as_str().into())?;
        }
        Reflect::set(
            &object,
            &"body".into(),
            &Uint8Array::from(self.body.as_slice()),
        )?;
        Reflect::set(&object, &"createdAt".into(), &self.created_at_ms.into())?;
        Ok(object.into())
    }

    fn from_js(value: &JsValue) -> Option<OutboxRecord> {
        let text = |name: &str| Reflect::get(value, &name.into()).ok()?.as_string();
        let number = |name: &str| Reflect::get(value, &name.into()).ok()?.as_f64();
        let body = Reflect::get(value, &"body".into())
            .ok()?
            .dyn_into::<Uint8Array>()
            .ok()?;
        Some(OutboxRecord {
            replay_id: text("replayId")?,
            seq: number("seq")? as u64,
            endpoint: text("endpoint")?,
            api_key: text("apiKey"),
            body: body.to_vec(),
            created_at_ms: number("createdAt")?,
        })
    }
}

/// Where chunks wait for delivery.
pub enum Outbox {
    IndexedDb(IdbDatabase),
    /// A plain list: it holds tens of chunks, and a BTreeMap's code would
    /// cost more wasm than the lookups it saves.
    Memory(RefCell<Vec<OutboxRecord>>),
}

impl Outbox {
    /// Opens the IndexedDB outbox, or falls back to memory with the reason.
    pub async fn open() -> (Outbox, Option<WebError>) {
        match open_database().await {
            Ok(database) => (Outbox::IndexedDb(database), None),
            Err(reason) => (Outbox::in_memory(), Some(reason)),
        }
    }

    /// An outbox that lives in memory only.
    pub fn in_memory() -> Outbox {
        Outbox::Memory(RefCell::new(Vec::new()))
    }

    pub fn is_persistent(&self) -> bool {
        matches!(self, Outbox::IndexedDb(_))
    }

    /// Stores `record`, replacing one with the same replay id and seq.
    /// Resolves once the write has committed.
    pub async fn put(&self, record: OutboxRecord) -> Result<(), WebError> {
        match self {
            Outbox::IndexedDb(database) => {
                let store = object_store(database, IdbTransactionMode::Readwrite)?;
                Ok(await_commit(&store.put(&record.to_js()?)?).await?)
            }
            Outbox::Memory(records) => {
                let mut records = records.borrow_mut();
                records.retain(|stored| !stored.has_key(&record.replay_id, record.seq));
                records.push(record);
                Ok(())
            }
        }
    }

    /// Visits the chunks an outbox in memory holds, without copying them
    /// (none for IndexedDB, whose chunks outlive the page anyway).
    pub fn for_each_in_memory(&self, visit: impl FnMut(&OutboxRecord)) {
        if let Outbox::Memory(records) = self {
            records.borrow().iter().for_each(visit);
        }
    }

    /// The first stored chunk in (replay id, seq) order: per replay, the
    /// oldest, which must be delivered before the ones after it.
    pub async fn first(&self) -> Result<Option<OutboxRecord>, WebError> {
        match self {
            Outbox::IndexedDb(database) => {
                let store = object_store(database, IdbTransactionMode::Readonly)?;
                let cursor = await_request(&store.open_cursor()?).await?;
                if cursor.is_null() || cursor.is_undefined() {
                    return Ok(None);
                }
                let value = Reflect::get(&cursor, &"value".into())?;
                Ok(OutboxRecord::from_js(&value))
            }
            Outbox::Memory(records) => Ok(records
                .borrow()
                .iter()
                .min_by_key(|record| record.key())
                .cloned()),
        }
    }

    /// Removes the chunk of `replay_id` numbered `seq`.
    pub async fn delete(&self, replay_id: &str, seq: u64) -> Result<(), WebError> {
        match self {
            Outbox::IndexedDb(database) => {
                let store = object_store(database, IdbTransactionMode::Readwrite)?;
                let key = Array::of2(&replay_id.into(), &(seq as f64).into());
                Ok(await_commit(&store.delete(&key)?).await?)
            }
            Outbox::Memory(records) => {
                records
                    .borrow_mut()
                    .retain(|record| !record.has_key(replay_id, seq));
                Ok(())
            }
        }
    }

    /// Every stored chunk's key, size and age, for the caps.
    pub async fn inventory(&self) -> Result<Vec<((String, u64), StoredChunkInfo)>, WebError> {
        let records: Vec<OutboxRecord> = match self {
            Outbox::IndexedDb(database) => {
                let store = object_store(database, IdbTransactionMode::Readonly)?;
                let all: Array = await_request(&store.get_all()?).await?.unchecked_into();
                // (Loops, not iterator chains: less wasm.)
                let mut records = Vec::new();
                for value in all.iter() {
                    if let Some(record) = OutboxRecord::from_js(&value) {
                        records.push(record);
                    }
                }
                records
            }
            Outbox::Memory(records) => records.borrow().clone(),
        };
        let mut inventory = Vec::with_capacity(records.len());
        for record in records {
            let info = StoredChunkInfo {
                bytes: record.body.len(),
                created_at_ms: record.created_at_ms,
            };
            inventory.push((record.key(), info));
        }
        Ok(inventory)
    }
}

async fn open_database() -> Result<IdbDatabase, WebError> {
    let unavailable = |reason: &str| WebError::Unavailable(reason.to_owned());
    let window = web_sys::window().ok_or_else(|| unavailable("no window"))?;
    // Reading `indexedDB` itself throws in some sandboxed frames.
    let factory = Reflect::get(&window, &"indexedDB".into())
        .map_err(|_| unavailable("indexedDB is not accessible"))?;
    if factory.is_undefined() || factory.is_null() {
        return Err(unavailable("this browser has no indexedDB"));
    }
    let database = JsFuture::from(idb_open(
        &factory,
        DATABASE_NAME,
        DATABASE_VERSION,
        STORE_NAME,
    ))
    .await
    .map_err(|error| {
        WebError::Unavailable(format!(
            "indexedDB could not be opened: {}",
            super::error::describe_js_error(&error)
        ))
    })?;
    Ok(database.unchecked_into())
}

fn object_store(
    database: &IdbDatabase,
    mode: IdbTransactionMode,
) -> Result<IdbObjectStore, JsValue> {
    database
        .transaction_with_str_and_mode(STORE_NAME, mode)?
        .object_store(STORE_NAME)
}

async fn await_request(request: &IdbRequest) -> Result<JsValue, JsValue> {
    JsFuture::from(idb_request_done(request)).await
}

async fn await_commit(request: &IdbRequest) -> Result<(), JsValue> {
    JsFuture::from(idb_write_committed(request)).await.map(drop)
}
