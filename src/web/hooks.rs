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
export function installHooks(win, notify) {
  const call = (kind, node, styleId, payload) => {
    try { notify(kind, node, styleId, payload); } catch (error) { /* rewind's problem, never the page's */ }
  };
  const restores = [];
  const patch = (proto, name, wrap) => {
    const original = proto && proto[name];
    if (typeof original !== 'function') return;
    proto[name] = wrap(original);
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
  let styleIds = new WeakMap();
  let nextStyleId = 1;
  const styleIdOf = (sheet) => {
    let id = styleIds.get(sheet);
    const fresh = !id;
    if (fresh) { id = nextStyleId++; styleIds.set(sheet, id); }
    return [id, fresh];
  };
  const owner = (sheet) => (sheet && sheet.ownerNode ? [sheet.ownerNode, 0] : [null, sheet ? styleIdOf(sheet)[0] : 0]);
  const rulePath = (rule) => {
    const path = [];
    for (let current = rule; current; current = current.parentRule) {
      const list = current.parentRule ? current.parentRule.cssRules : current.parentStyleSheet.cssRules;
      path.unshift(Array.prototype.indexOf.call(list, current));
    }
    return path;
  };
  const fragment = (object) => JSON.stringify(object).slice(1, -1);
  const rulesOf = (sheet) => {
    try { return Array.from(sheet.cssRules, (rule, index) => ({ rule: rule.cssText, index })); } catch (error) { return []; }
  };

  const sheetProto = win.CSSStyleSheet && win.CSSStyleSheet.prototype;
  patch(sheetProto, 'insertRule', (original) => function (rule, index) {
    const at = original.apply(this, arguments);
    const [node, styleId] = owner(this);
    call('rule', node, styleId, fragment({ adds: [{ rule: this.cssRules[at].cssText, index: at }] }));
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
    call('rule', node, styleId, fragment({ replaceSync: text }));
    return result;
  });
  patch(sheetProto, 'replace', (original) => function (text) {
    const result = original.apply(this, arguments);
    const [node, styleId] = owner(this);
    call('rule', node, styleId, fragment({ replace: text }));
    return result;
  });
  const groupProto = win.CSSGroupingRule && win.CSSGroupingRule.prototype;
  patch(groupProto, 'insertRule', (original) => function (rule, index) {
    const at = original.apply(this, arguments);
    const [node, styleId] = owner(this.parentStyleSheet);
    call('rule', node, styleId, fragment({ adds: [{ rule: this.cssRules[at].cssText, index: [...rulePath(this), at] }] }));
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
      call('declaration', node, styleId, fragment({ index: rulePath(rule), set: { property, value, priority: priority || '' } }));
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

  // adoptedStyleSheets: the payload names every sheet by styleId and
  // carries the rules of those the replay has not seen.
  const adoptedPayload = (root, everyRule) => {
    const sheets = Array.from(root.adoptedStyleSheets || []);
    const styles = [];
    const ids = sheets.map((sheet) => {
      const [id, fresh] = styleIdOf(sheet);
      if (fresh || everyRule) styles.push({ styleId: id, rules: rulesOf(sheet) });
      return id;
    });
    return fragment({ styles, styleIds: ids });
  };
  const onAdopted = (root) => {
    const node = root.host || root;
    call('adopted', node, 0, adoptedPayload(root, false));
  };
  patchSetter(win.Document && win.Document.prototype, 'adoptedStyleSheets', onAdopted);
  patchSetter(win.ShadowRoot && win.ShadowRoot.prototype, 'adoptedStyleSheets', onAdopted);

  patch(win.Element && win.Element.prototype, 'attachShadow', (original) => function () {
    const root = original.apply(this, arguments);
    call('shadow', this, 0, '');
    return root;
  });

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
    uninstall() {
      while (restores.length) restores.pop()();
    },
    // Adopted sheets of a document or shadow root as they are now, every
    // rule included (after a full snapshot the replay starts afresh);
    // null when it has none.
    adopted(root) {
      return root.adoptedStyleSheets && root.adoptedStyleSheets.length ? adoptedPayload(root, true) : null;
    },
  };
}
"#)]
extern "C" {
    /// The installed hooks of one window.
    pub type Hooks;

    #[wasm_bindgen(js_name = installHooks)]
    pub fn install_hooks(window: &JsValue, notify: &js_sys::Function) -> Hooks;

    #[wasm_bindgen(method)]
    pub fn uninstall(this: &Hooks);

    /// The AdoptedStyleSheet payload fragment for `root`, if it adopts any.
    #[wasm_bindgen(method)]
    pub fn adopted(this: &Hooks, root: &JsValue) -> Option<String>;
}
