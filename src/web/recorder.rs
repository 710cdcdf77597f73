//! One recording in the page: takes full snapshots of the live document and
//! hands the events to the sink.

use wasm_bindgen::JsValue;
use web_sys::Window;

use crate::core::event::{Event, EventData, FullSnapshot, Meta, ScrollOffset};
use crate::core::mirror::Mirror;
use crate::core::options::RecorderOptions;
use crate::core::snapshot::{serialize_tree, MAX_TREE_DEPTH};

use super::dom::{LiveDom, WeakMapIds};
use super::log::DebugLog;

/// The state of one recording, from `start()` to `stop()`.
pub struct Recording {
    window: Window,
    dom: LiveDom,
    mirror: Mirror<WeakMapIds>,
    options: RecorderOptions,
    emit: Option<js_sys::Function>,
    log: DebugLog,
    is_stopped: bool,
}

impl Recording {
    pub fn new(window: Window, options: RecorderOptions, emit: Option<js_sys::Function>) -> Self {
        let log = DebugLog::new(options.debug);
        Recording {
            dom: LiveDom::new(window.clone()),
            window,
            mirror: Mirror::new(WeakMapIds::new()),
            options,
            emit,
            log,
            is_stopped: false,
        }
    }

    /// Emits a Meta event and a full snapshot of the document.
    pub fn take_full_snapshot(&mut self) -> Result<(), JsValue> {
        if self.is_stopped {
            return Ok(());
        }
        let document = self
            .window
            .document()
            .ok_or_else(|| JsValue::from_str("the window has no document"))?;
        let timestamp = js_sys::Date::now();
        let meta = Meta {
            href: self.window.location().href()?,
            width: self.window.inner_width()?.as_f64().unwrap_or(0.0) as u32,
            height: self.window.inner_height()?.as_f64().unwrap_or(0.0) as u32,
        };
        let Some(tree) =
            serialize_tree(&self.dom, &mut self.mirror, &self.options.privacy, document.as_ref())
        else {
            return Err(JsValue::from_str("the document could not be serialized"));
        };
        if tree.truncated_elements > 0 {
            self.log.warn(&format!(
                "{} elements nest deeper than {MAX_TREE_DEPTH} levels; their children were not recorded",
                tree.truncated_elements
            ));
        }
        let initial_offset = ScrollOffset {
            top: self.window.scroll_y()?,
            left: self.window.scroll_x()?,
        };
        self.emit(Event {
            timestamp,
            data: EventData::Meta(meta),
        });
        self.emit(Event {
            timestamp,
            data: EventData::FullSnapshot(FullSnapshot {
                node: tree.node,
                initial_offset,
            }),
        });
        self.log.info(&format!("full snapshot taken: {} nodes", tree.node_count));
        Ok(())
    }

    /// Ends the recording: nothing more is emitted.
    pub fn stop(&mut self) {
        self.is_stopped = true;
        self.emit = None;
    }

    fn emit(&mut self, event: Event) {
        let Some(emit) = &self.emit else { return };
        // One string crossing and a native JSON.parse is far cheaper than
        // building the event object field by field from wasm.
        let json = event.to_json();
        let result = js_sys::JSON::parse(&json).and_then(|value| emit.call1(&JsValue::NULL, &value));
        if let Err(error) = result {
            // The page's own callback threw: keep recording, say so once.
            self.log.warn_once_js("the emit callback threw", &error);
        }
    }
}
