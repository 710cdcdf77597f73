//! What the DOM reports through no event: CSSOM edits, constructed and
//! adopted stylesheets, shadow roots attached later, and form values set by
//! script. The prototypes' methods are wrapped (original first, then a
//! guarded notification), and put back on `uninstall()`.
//!
//! The wrapping is JS: a prototype patch must run the original with the
//! caller's `this` and arguments untouched, and anything thrown on our side
//! must stay there.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/web/page.js")]
extern "C" {
    /// The installed hooks of one window.
    pub type Hooks;

    /// Hooks `document`'s window (none when it has none);
    /// `notify([kind, node, styleId, payload])` hears what
    /// they see (CSS with its URLs made absolute), guarded: what it throws
    /// poisons rewind, never the page's call. `first`, the
    /// recording's hooks of another window if any, shares its styleIds
    /// with them.
    #[wasm_bindgen(js_name = installHooks)]
    pub fn install_hooks(
        document: &web_sys::Document,
        notify: &js_sys::Function,
        first: Option<&Hooks>,
    ) -> Option<Hooks>;

    /// Puts the prototypes back. The guard also runs it if rewind is
    /// poisoned.
    #[wasm_bindgen(method)]
    pub fn uninstall(this: &Hooks);

    /// The recording has met `root` (a document or an open shadow root):
    /// listens there for what stays inside, and returns the payload of its
    /// AdoptedStyleSheet event, if it adopts any or `always`; the caller
    /// records it.
    #[wasm_bindgen(method)]
    pub fn meet(this: &Hooks, root: &JsValue, always: bool) -> Option<String>;

    /// A full snapshot of `document` begins (`ending` false) or ends
    /// (true); at the end, the payload of the event for `document` that
    /// gives the replay the sheets the snapshot's roots adopt, which the
    /// caller records.
    #[wasm_bindgen(method, js_name = snapshotSheets)]
    pub fn snapshot_sheets(this: &Hooks, document: &JsValue, ending: bool) -> Option<String>;
}
