//! What the DOM reports through no event: CSSOM edits, constructed and
//! adopted stylesheets, shadow roots attached later, and form values set by
//! script. The prototypes' methods are wrapped (original first, then a
//! guarded notification), and put back on `uninstall()`.
//!
//! The wrapping is JS: a prototype patch must run the original with the
//! caller's `this` and arguments untouched, and anything thrown on our side
//! must stay there.

use wasm_bindgen::prelude::*;

#[wasm_bindgen(inline_js = r#"
// Reported by their index here (the recording's `ROOT_EVENTS`).
const ROOT_EVENTS = ['input', 'change', 'scroll', 'reset', 'play', 'pause', 'seeked', 'volumechange', 'ratechange'];

export function installHooks(win, notify, absolutizeCss, first) {
  const call = (kind, node, styleId, payload) => {
    try { notify(kind, node, styleId, payload); } catch (error) { /* rewind's problem, never the page's */ }
  };
  const restores = [];
  // Before a sheet changes, DOM changes not yet delivered to the observer
  // are recorded: a <style> added a moment ago must reach the replay as it
  // was, before the rule that now changes it.
  // (An element's own style is left alone: animations set it all the time
  // and the observer sees it as an attribute.)
  const flushFirst = (original) => function () {
    if (!(this instanceof win.CSSStyleDeclaration) || this.parentRule) call('flush', null, 0, '');
    return original.apply(this, arguments);
  };
  const patch = (proto, name, wrap, flush = true) => {
    const original = proto && proto[name];
    if (typeof original !== 'function') return;
    proto[name] = wrap(flush ? flushFirst(original) : original);
    restores.push(() => { proto[name] = original; });
  };
  const patchSetter = (proto, property, after) => {
    const descriptor = proto && Object.getOwnPropertyDescriptor(proto, property);
    if (!descriptor || !descriptor.set) return;
    Object.defineProperty(proto, property, {
      ...descriptor,
      set(value) {
        descriptor.set.call(this, value);
        after(this);
      },
    });
    restores.push(() => Object.defineProperty(proto, property, descriptor));
  };
  // Constructed sheets have no owner node; rrweb names them by styleId.
  // The replay has one numbering for all its documents, so the hooks of a
  // recording's frames share the page's (and which roots are listened to).
  // `ids` and `sent` hold their sheets strongly: WebKit (Safari) lets the
  // JS wrapper of a constructed sheet that only an adoptedStyleSheets list
  // holds be collected, and the next read of the list makes a new wrapper,
  // which a WeakMap or WeakSet keyed by the old one does not know (its rule
  // edits went unrecorded, tests/e2e/fidelity.test.mjs in WebKit). Both
  // start afresh at each full snapshot, so they hold only the sheets met
  // since the last one.
  const sheets = first ? first.sheets : { ids: new Map(), nextId: 1, sent: new Set(), walk: null, listened: new WeakSet() };
  const styleIdOf = (sheet) => {
    let id = sheets.ids.get(sheet);
    if (!id) { id = sheets.nextId++; sheets.ids.set(sheet, id); }
    return id;
  };
  // Who a rule change is about: the owner node, or a constructed sheet's
  // styleId once the replay has it (`sheets.sent`; before that, its rules
  // go out whole when it is adopted).
  const owner = (sheet) => {
    if (!sheet) return [null, 0];
    if (sheet.ownerNode) return [sheet.ownerNode, 0];
    return sheets.sent.has(sheet) ? [null, styleIdOf(sheet)] : [null, 0];
  };
  const rulePath = (rule) => {
    const path = [];
    for (let current = rule; current; current = current.parentRule) {
      const list = current.parentRule ? current.parentRule.cssRules : current.parentStyleSheet.cssRules;
      path.unshift(Array.prototype.indexOf.call(list, current));
    }
    return path;
  };
  const fragment = (object) => JSON.stringify(object).slice(1, -1);
  // url(...) and @import in CSS resolve against the sheet, which the
  // replay is not served from: the core's rewriter (`absolutizeCss`, the
  // one rewriter rewind has) makes every relative one absolute.
  const absolutize = (css, sheet) => {
    if (typeof css !== 'string' || (!css.includes('url(') && !css.includes('@import'))) return css;
    let base = win.document.baseURI;
    try { base = (sheet && (sheet.href || (sheet.ownerNode && sheet.ownerNode.baseURI))) || base; } catch (error) {}
    const rewritten = absolutizeCss(css, base);
    return typeof rewritten === 'string' ? rewritten : css;
  };
  const rulesOf = (sheet) => {
    try { return Array.from(sheet.cssRules, (rule, index) => ({ rule: absolutize(rule.cssText, sheet), index })); } catch (error) { return []; }
  };

  const sheetProto = win.CSSStyleSheet && win.CSSStyleSheet.prototype;
  patch(sheetProto, 'insertRule', (original) => function (rule, index) {
    const at = original.apply(this, arguments);
    const [node, styleId] = owner(this);
    call('rule', node, styleId, fragment({ adds: [{ rule: absolutize(this.cssRules[at].cssText, this), index: at }] }));
    return at;
  });
  patch(sheetProto, 'deleteRule', (original) => function (index) {
    const result = original.apply(this, arguments);
    const [node, styleId] = owner(this);
    call('rule', node, styleId, fragment({ removes: [{ index }] }));
    return result;
  });
  patch(sheetProto, 'replaceSync', (original) => function (text) {
    const result = original.apply(this, arguments);
    const [node, styleId] = owner(this);
    call('rule', node, styleId, fragment({ replaceSync: absolutize(String(text), this) }));
    return result;
  });
  patch(sheetProto, 'replace', (original) => function (text) {
    const result = original.apply(this, arguments);
    const [node, styleId] = owner(this);
    call('rule', node, styleId, fragment({ replace: absolutize(String(text), this) }));
    return result;
  });
  const groupProto = win.CSSGroupingRule && win.CSSGroupingRule.prototype;
  patch(groupProto, 'insertRule', (original) => function (rule, index) {
    const at = original.apply(this, arguments);
    const [node, styleId] = owner(this.parentStyleSheet);
    const sheet = this.parentStyleSheet;
    call('rule', node, styleId, fragment({ adds: [{ rule: absolutize(this.cssRules[at].cssText, sheet), index: [...rulePath(this), at] }] }));
    return at;
  });
  patch(groupProto, 'deleteRule', (original) => function (index) {
    const path = [...rulePath(this), index];
    const result = original.apply(this, arguments);
    const [node, styleId] = owner(this.parentStyleSheet);
    call('rule', node, styleId, fragment({ removes: [{ index: path }] }));
    return result;
  });
  const declarationProto = win.CSSStyleDeclaration && win.CSSStyleDeclaration.prototype;
  patch(declarationProto, 'setProperty', (original) => function (property, value, priority) {
    const result = original.apply(this, arguments);
    // An element's own style is an attribute: the MutationObserver sees it.
    const rule = this.parentRule;
    if (rule && rule.parentStyleSheet) {
      const [node, styleId] = owner(rule.parentStyleSheet);
      const set = { property, value: absolutize(String(value), rule.parentStyleSheet), priority: priority || '' };
      call('declaration', node, styleId, fragment({ index: rulePath(rule), set }));
    }
    return result;
  });
  patch(declarationProto, 'removeProperty', (original) => function (property) {
    const result = original.apply(this, arguments);
    const rule = this.parentRule;
    if (rule && rule.parentStyleSheet) {
      const [node, styleId] = owner(rule.parentStyleSheet);
      call('declaration', node, styleId, fragment({ index: rulePath(rule), remove: { property } }));
    }
    return result;
  });

  // Events that do not leave the shadow root they happen in (not
  // composed), which the recording's listeners on the document never see:
  // listened for on every open shadow root made while it records and every
  // one it meets (`meet`), as `event`.
  const onRootEvent = (event) => {
    if (!event.composed) call('event', event, ROOT_EVENTS.indexOf(event.type), '');
  };
  let roots = [];
  let pruneAt = 64;
  const listened = sheets.listened;
  const unlisten = (root) => {
    listened.delete(root);
    for (const type of ROOT_EVENTS) root.removeEventListener(type, onRootEvent, true);
  };
  restores.push(() => roots.splice(0).forEach(unlisten));
  const listenTo = (root) => {
    if (!root.host || listened.has(root)) return;
    // Each time the list doubles, the roots whose host left the page are
    // let go: a long session that makes and drops components keeps only
    // those it shows. (A host put back is recorded, and met, again.)
    if (roots.length >= pruneAt) {
      roots = roots.filter((kept) => {
        if (kept.host.isConnected) return true;
        unlisten(kept);
        return false;
      });
      pruneAt = Math.max(64, roots.length * 2);
    }
    listened.add(root);
    roots.push(root);
    for (const type of ROOT_EVENTS) root.addEventListener(type, onRootEvent, { capture: true, passive: true });
  };

  // adoptedStyleSheets: the payload names every sheet by styleId and
  // carries the rules of those the replay does not have. The Replayer
  // makes a new sheet each time it is given rules: a sheet shared by many
  // roots (one per component class, as Lit adopts them) must reach it once,
  // or the roots end up with copies that a later rule change reaches only
  // one of. So a sheet counts as sent only once the recording asks for an
  // event carrying it (`meet`, when it records one), and every full
  // snapshot starts afresh (the Replayer forgets its sheets there). While
  // a snapshot of the document `sheets.walk.document` is written, its
  // roots' events only name their sheets; the sheets are gathered in
  // `sheets.walk.pending` and their rules go out in one event, before
  // those, when it ends (`snapshotSheets`): events of the walk follow the
  // snapshot in another order than they were made, and a root written
  // early may be gone by its end.
  // `meet`: the recording has met `root` (a document or an open shadow
  // root): it is listened to, and the payload of its adoption event is
  // returned, with `also` sheets defined; null when it adopts nothing,
  // unless `always` (the page just set the list, maybe to none).
  const meet = (root, always, also = []) => {
    listenTo(root);
    const list = Array.from(root.adoptedStyleSheets || []);
    if (!list.length && !also.length && !always) return null;
    const document = root.nodeType === 9 ? root : root.ownerDocument;
    const walk = sheets.walk && sheets.walk.document === document ? sheets.walk : null;
    const fresh = [...new Set([...also, ...list])].filter((sheet) => !sheets.sent.has(sheet) && !(walk && walk.pending.has(sheet)));
    for (const sheet of fresh) (walk ? walk.pending : sheets.sent).add(sheet);
    const styles = walk ? [] : fresh.map((sheet) => ({ styleId: styleIdOf(sheet), rules: rulesOf(sheet) }));
    return fragment({ styles, styleIds: list.map(styleIdOf) });
  };
  // The recording asks for the payload if it records the event.
  const onAdopted = (root) => {
    // A closed root is not recorded: its host has no shadowRoot.
    if (!root.host || root.host.shadowRoot === root) call('adopted', root, 0, '');
  };
  patchSetter(win.Document && win.Document.prototype, 'adoptedStyleSheets', onAdopted);
  patchSetter(win.ShadowRoot && win.ShadowRoot.prototype, 'adoptedStyleSheets', onAdopted);

  patch(win.Element && win.Element.prototype, 'attachShadow', (original) => function () {
    const root = original.apply(this, arguments);
    if (this.shadowRoot === root) listenTo(root);
    call('shadow', this, 0, '');
    return root;
  }, false);

  // Values set by script (frameworks do this) fire no input event.
  const onValue = (element) => call('value', element, 0, '');
  for (const [name, properties] of [
    ['HTMLInputElement', ['value', 'checked']],
    ['HTMLTextAreaElement', ['value']],
    ['HTMLSelectElement', ['value', 'selectedIndex']],
  ]) {
    for (const property of properties) patchSetter(win[name] && win[name].prototype, property, onValue);
  }
  patchSetter(win.HTMLOptionElement && win.HTMLOptionElement.prototype, 'selected', (option) => {
    const select = option.closest && option.closest('select');
    if (select) onValue(select);
  });

  return {
    sheets,
    uninstall() {
      while (restores.length) restores.pop()();
    },
    meet,
    // A full snapshot of `document` begins (`ending` false): the replay
    // will have no sheet. It ends (true): the payload of one event for
    // `document` that carries the rules of every sheet its roots named
    // meanwhile and sets its own adopted sheets; null when there is
    // nothing to say.
    snapshotSheets(document, ending) {
      const walk = sheets.walk;
      sheets.walk = ending ? null : { document, pending: new Set() };
      if (!ending) {
        // The replay forgets its sheets here; ids are never reused
        // (`nextId` goes on), so a sheet met again gets a new one.
        sheets.sent = new Set();
        sheets.ids = new Map();
        return null;
      }
      return meet(document, false, walk && walk.document === document ? [...walk.pending] : []);
    },
  };
}
"#)]
extern "C" {
    /// The installed hooks of one window.
    pub type Hooks;

    /// Hooks `window`; `notify(kind, node, styleId, payload)` hears what
    /// they see, `absolutize_css(css, base)` rewrites the URLs of the CSS
    /// they read; `first`, the recording's hooks of another window if any,
    /// shares its styleIds with them.
    #[wasm_bindgen(js_name = installHooks)]
    pub fn install_hooks(
        window: &JsValue,
        notify: &js_sys::Function,
        absolutize_css: &js_sys::Function,
        first: Option<&Hooks>,
    ) -> Hooks;

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
