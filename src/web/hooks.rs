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
  let styleIds = new WeakMap();
  let nextStyleId = 1;
  const styleIdOf = (sheet) => {
    let id = styleIds.get(sheet);
    const fresh = !id;
    if (fresh) { id = nextStyleId++; styleIds.set(sheet, id); }
    return [id, fresh];
  };
  // Constructed sheets the replay has received (through an adoption).
  let sentSheets = new WeakSet();
  // Who a rule change is about: the owner node, or a constructed sheet's
  // styleId once the replay knows it (before that, its rules go out whole
  // when it is adopted).
  const owner = (sheet) => {
    if (!sheet) return [null, 0];
    if (sheet.ownerNode) return [sheet.ownerNode, 0];
    return sentSheets.has(sheet) ? [null, styleIdOf(sheet)[0]] : [null, 0];
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
  // url(...) in CSS resolves against the sheet, which the replay is not
  // served from: make every relative one absolute.
  const absolutize = (css, sheet) => {
    if (typeof css !== 'string' || !css.includes('url(')) return css;
    let base = win.document.baseURI;
    try { base = (sheet && (sheet.href || (sheet.ownerNode && sheet.ownerNode.baseURI))) || base; } catch (error) {}
    return css.replace(/url\(\s*(['"]?)([^'")]*)\1\s*\)/g, (whole, quote, url) => {
      if (!url || /^(data:|#|[a-z][a-z0-9+.-]*:)/i.test(url)) return whole;
      try { return `url(${quote}${new URL(url, base).href}${quote})`; } catch (error) { return whole; }
    });
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

  // adoptedStyleSheets: the payload names every sheet by styleId and
  // carries the rules of those the replay has not seen.
  const adoptedPayload = (root, everyRule) => {
    const sheets = Array.from(root.adoptedStyleSheets || []);
    const styles = [];
    const ids = sheets.map((sheet) => {
      const [id] = styleIdOf(sheet);
      if (everyRule || !sentSheets.has(sheet)) styles.push({ styleId: id, rules: rulesOf(sheet) });
      sentSheets.add(sheet);
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
