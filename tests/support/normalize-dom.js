// Runs in the browser. Reduces a document to a plain tree that is equal for
// a page and its rrweb replay when the replay is faithful. What it leaves out
// or rewrites is only what rrweb's rebuild changes by design:
// - <script> becomes <noscript> (never executed, contents never recorded);
// - a same-origin <link rel=stylesheet> becomes a <style> with the same rules,
//   and a <style>'s text is rebuilt from the parsed sheet, so sheets are
//   compared by their rules, and the `.\:hover` twins rrweb adds to :hover
//   selectors are dropped;
// - nodes rrweb adds that have no recorded id (its own <style> before <head>)
//   and the `rrweb-paused` class on <html> are skipped on the replica;
// - inline on* handler attributes are script, which rewind never records;
// - rrweb sets autocomplete="off" on every form control it rebuilds (so the
//   replay browser does not autofill), so autocomplete is not compared there;
// - form fields are compared by their live state (what the user sees), with
//   masking applied to the original's values as the recorder must.
(() => {
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const FORM_CONTROLS = ['form', 'input', 'select', 'textarea'];
  const HOVER_TWIN = /\\:(hover|focus|active|focus-within|focus-visible)\b/;

  function normalizeRules(rules) {
    const out = [];
    for (const rule of rules) {
      // Duck-typed: a replica's rules come from the iframe's realm, where
      // this window's CSSStyleRule does not match instanceof.
      if (typeof rule.selectorText === 'string') {
        const selectors = rule.selectorText
          .split(',')
          .map((s) => s.trim())
          .filter((s) => !HOVER_TWIN.test(s));
        out.push(`${selectors.join(', ')} { ${rule.style.cssText} }`);
      } else if (rule.cssRules) {
        const head = rule.cssText.slice(0, rule.cssText.indexOf('{')).trim();
        out.push({ [head]: normalizeRules(rule.cssRules) });
      } else {
        out.push(rule.cssText);
      }
    }
    return out;
  }

  function sheetOf(element) {
    try {
      return element.sheet ? normalizeRules(element.sheet.cssRules) : null;
    } catch (error) {
      return `unreadable: ${error.name}`;
    }
  }

  function maskedValue(value) {
    return '*'.repeat([...value].length);
  }

  function isSecretField(element) {
    const type = (element.getAttribute('type') || '').toLowerCase();
    const autocomplete = (element.getAttribute('autocomplete') || '').toLowerCase().split(/\s+/);
    return (
      type === 'password' ||
      autocomplete.some((t) => t.startsWith('cc-') || ['one-time-code', 'current-password', 'new-password'].includes(t))
    );
  }

  /**
   * @param {Document} doc
   * @param {{ replica?: boolean, hasId?: (node: Node) => boolean, maskAllInputs?: boolean }} options
   *   replica: the document is rrweb's rebuild; hasId tells whether rrweb's mirror knows a node.
   *   maskAllInputs: on the original, the masking the recording used (default true).
   */
  function normalizeDocument(doc, { replica = false, hasId = () => true, maskAllInputs = true } = {}) {
    const isMasked = (element) => maskAllInputs || isSecretField(element);

    function fieldState(element, tag) {
      const type = (element.getAttribute('type') || '').toLowerCase();
      if (tag === 'input' && (type === 'checkbox' || type === 'radio')) return { checked: element.checked };
      if (tag === 'input' && ['submit', 'button', 'reset', 'image'].includes(type)) return {};
      if (tag === 'select') {
        if (!replica && isMasked(element)) return { selectedIndex: element.options.length ? 0 : -1 };
        return { selectedIndex: element.selectedIndex };
      }
      if (!replica && isMasked(element)) return { value: maskedValue(element.value) };
      return { value: element.value };
    }

    function normalizeNode(node, parentTag) {
      switch (node.nodeType) {
        case Node.DOCUMENT_TYPE_NODE:
          return { doctype: node.name };
        case Node.COMMENT_NODE:
          return { comment: node.data };
        case Node.CDATA_SECTION_NODE:
          return { cdata: true };
        case Node.TEXT_NODE:
          // A style's text is compared through its sheet, a textarea's
          // through its value.
          if (parentTag === 'style' || parentTag === 'textarea') return null;
          return { text: node.data };
        case Node.ELEMENT_NODE:
          return normalizeElement(node);
        default:
          return null;
      }
    }

    function normalizeElement(element) {
      if (replica && !hasId(element)) return null;
      let tag = element.localName;
      if (tag === 'script' || tag === 'noscript') return { tag: 'script' };
      const rel = (element.getAttribute('rel') || '').toLowerCase().split(/\s+/);
      const isSheet = element.namespaceURI !== SVG_NS && (tag === 'style' || (tag === 'link' && rel.includes('stylesheet')));
      if (isSheet) {
        const rules = sheetOf(element);
        // A link whose sheet cannot be read stays a link on both sides.
        if (tag === 'style' || Array.isArray(rules)) return { sheet: rules, id: element.id || undefined };
      }
      const attributes = {};
      for (const { name, value } of element.attributes) {
        const key = name;
        if (/^on./i.test(key)) continue;
        if (key === 'autocomplete' && FORM_CONTROLS.includes(tag)) continue;
        if (['value', 'checked', 'selected'].includes(key) && ['input', 'textarea', 'select', 'option'].includes(tag)) continue;
        attributes[key] = value;
      }
      if (replica && tag === 'html' && attributes.class !== undefined) {
        const classes = attributes.class.split(/\s+/).filter((c) => c && c !== 'rrweb-paused');
        if (classes.length) attributes.class = classes.join(' ');
        else delete attributes.class;
      }
      const result = { tag, attributes: Object.fromEntries(Object.entries(attributes).sort()) };
      if (element.namespaceURI === SVG_NS) result.svg = true;
      if (['input', 'textarea', 'select'].includes(tag)) Object.assign(result, fieldState(element, tag));
      const children = [];
      for (const child of element.childNodes) {
        const normalized = normalizeNode(child, tag);
        if (normalized) children.push(normalized);
      }
      result.children = children;
      return result;
    }

    const out = [];
    for (const child of doc.childNodes) {
      const normalized = normalizeNode(child, null);
      if (normalized) out.push(normalized);
    }
    return out;
  }

  window.normalizeDocument = normalizeDocument;
})();
