//! What every part of a recording reads: the page, its DOM, the node ids,
//! the options and the debug log.

use std::rc::Rc;

use web_sys::Window;

use crate::core::mirror::Mirror;
use crate::core::options::RecorderOptions;

use super::dom::{numbers_of, LiveDom, Numbers, WeakMapIds};
use super::log::DebugLog;
use super::signal::Signals;

/// A recording's context.
pub struct Context {
    pub window: Window,
    pub dom: LiveDom,
    pub mirror: Mirror<WeakMapIds>,
    pub options: RecorderOptions,
    pub log: Rc<DebugLog>,
    /// Where the recording's listeners, observers and timers report.
    pub signals: Signals,
}

impl Context {
    /// The viewport's size in CSS pixels.
    pub fn viewport_size(&self) -> (u32, u32) {
        let [width, height, ..] = numbers_of(&self.window, Numbers::Viewport);
        // (NaN, where a number was not one, is 0 as u32.)
        (width as u32, height as u32)
    }
}
