// The worker's side of js/warm.js: in a worker, the script-tag bundle runs
// a recording against the stand-in DOM below instead of taking over the
// page's global (js/bundle.js), then compresses and sends chunks for the
// page. Only the script-tag bundle has it.
import { initSync, Recorder } from '../pkg/rewind.js';
import { gzipWith } from './compressor.js';
import { send } from './courier.js';
import { checkOptions, optionValues } from './options.js';
import { RUN, TabStorage } from './sampling.js';
import { unpackModuleFile } from './unpack.js';

// A courier that keeps nothing: the warm-up's chunks go nowhere.
const NOWHERE = {
  configure() {},
  compressesOffThread: () => false,
  appendPart() {},
  store: () => Promise.resolve(),
  sendBeforeUnload: () => false,
};

/**
 * Waits for the page's module, records the stand-in page once with it
 * (start, full snapshot, five rounds of changes, flush, which gzips the
 * chunks, and stop) and says it is done. It then serves as the page's
 * compression worker, with the same messages as js/compressor.js's
 * workerMain: `{ id, json }` is answered with the gzip, `{ id, send }`
 * with the attempt. If the warm-up failed it closes instead: a trap
 * leaves the instance unsound. Given `{ module, serve: true }` (the
 * compressor's own worker, in the script-tag bundle) it only serves.
 */
export function serveWarmUp() {
  let exports = null;
  self.onmessage = async ({ data }) => {
    if (data.unpack) {
      // js/warm.js's unpackInWorker: the packed module, fetched, unpacked
      // and compiled here, off the page's main thread.
      try {
        // Running: the page waits for the download without a clock.
        self.postMessage({ fetching: true });
        const response = await fetch(data.unpack);
        if (!response.ok) throw new Error(`HTTP ${response.status} for ${response.url}`);
        // A copy: the decoder's output is a view of its own memory.
        const bytes = (await unpackModuleFile(new Uint8Array(await response.arrayBuffer()))).slice();
        // compile() copies the bytes as it is called, so they can go to
        // the page now, which compiles them itself should this compile not
        // settle in time (js/index.js, compileWasm).
        const compiling = WebAssembly.compile(bytes);
        self.postMessage({ unpacked: bytes }, [bytes.buffer]);
        self.postMessage({ module: await compiling });
      } catch (error) {
        self.postMessage({ failed: String(error?.message ?? error) });
        self.close();
      }
      return;
    }
    if (data.module && data.serve) {
      // The compressor's own worker (js/compressor.js starts it where no
      // warm-up's worker was adopted): it only serves, answering as
      // workerMain does once the module is instantiated.
      try {
        exports = initSync({ module: data.module });
        self.postMessage({ ready: true });
      } catch (error) {
        self.postMessage({ failed: String(error?.message ?? error) });
        self.close();
      }
      return;
    }
    if (data.module) {
      let failed = null;
      try {
        const win = standInWindow(300);
        globalThis.window = win;
        globalThis.document = win.document;
        globalThis.MutationObserver = win.MutationObserver;
        exports = initSync({ module: data.module });
        const recorder = new Recorder(optionValues(checkOptions({ endpoint: 'https://rewind.invalid/' })), NOWHERE, new TabStorage(), []);
        await recorder.run(RUN.snapshotTaken);
        changeStandIn(win, 5);
        await recorder.run(RUN.flush);
        await recorder.run(RUN.stop);
        recorder.free();
      } catch (error) {
        failed = String(error?.message ?? error);
      }
      self.postMessage({ done: true, failed });
      if (failed) self.close();
      return;
    }
    // (workerMain answers jobs the same way; it runs from its source text,
    // so it cannot share this code.)
    if (data.send) {
      send(data.send, data.timeoutMs, false).then((attempt) => self.postMessage({ id: data.id, attempt }));
      return;
    }
    try {
      const body = gzipWith(exports, data.json);
      self.postMessage({ id: data.id, body }, [body.buffer]);
    } catch (error) {
      self.postMessage({ id: data.id, failed: String(error?.message ?? error) });
    }
  };
}

/**
 * Hands the stand-in window's observer the changes a page makes most:
 * each row's price text, an attribute of each row, and 20 rows moved to
 * the end; `rounds` times.
 */
export function changeStandIn(win, rounds) {
  const observer = win.observers[0];
  if (!observer) return;
  const rows = win.root.childNodes;
  const record = (type, target, extra) => ({ type, target, addedNodes: [], removedNodes: [], attributeName: null, attributeNamespace: null, oldValue: null, ...extra });
  for (let round = 0; round < rounds; round++) {
    observer.callback(rows.map((row) => {
      const text = row.lastChild.firstChild;
      text.data = String(round + 0.5);
      return record('characterData', text);
    }));
    observer.callback(rows.map((row) => {
      row.setAttribute('data-state', `s${round}`);
      return record('attributes', row, { attributeName: 'data-state' });
    }));
    const moves = [];
    for (const row of rows.slice(0, 20)) {
      win.root.removeChild(row);
      moves.push(record('childList', win.root, { removedNodes: [row] }));
      win.root.appendChild(row);
      moves.push(record('childList', win.root, { addedNodes: [row] }));
    }
    observer.callback(moves);
  }
}

// ---- The stand-in DOM: what the recorder reads of a page, no more ----

const HTML = 'http://www.w3.org/1999/xhtml';
const BASE = 'https://rewind.invalid/';

class StandInNode {
  constructor(nodeType) {
    this.nodeType = nodeType;
    this.parentNode = null;
    this.firstChild = null;
    this.lastChild = null;
    this.nextSibling = null;
    this.previousSibling = null;
    this.shadowRoot = null;
    this.baseURI = BASE;
  }

  get childNodes() {
    const children = [];
    for (let child = this.firstChild; child; child = child.nextSibling) children.push(child);
    return children;
  }

  getRootNode() {
    let node = this;
    while (node.parentNode) node = node.parentNode;
    return node;
  }

  get isConnected() {
    return this.getRootNode().nodeType === 9;
  }

  appendChild(child) {
    if (child.parentNode) child.parentNode.removeChild(child);
    child.parentNode = this;
    child.previousSibling = this.lastChild;
    child.nextSibling = null;
    if (this.lastChild) this.lastChild.nextSibling = child;
    else this.firstChild = child;
    this.lastChild = child;
    return child;
  }

  removeChild(child) {
    if (child.previousSibling) child.previousSibling.nextSibling = child.nextSibling;
    else this.firstChild = child.nextSibling;
    if (child.nextSibling) child.nextSibling.previousSibling = child.previousSibling;
    else this.lastChild = child.previousSibling;
    child.parentNode = child.nextSibling = child.previousSibling = null;
    return child;
  }

  addEventListener() {}

  removeEventListener() {}

  querySelectorAll() {
    return [];
  }

}

class StandInElement extends StandInNode {
  constructor(tag) {
    super(1);
    this.tagName = tag.toUpperCase();
    this.nodeName = this.tagName;
    this.namespaceURI = HTML;
    this.attributeMap = new Map();
  }

  getAttributeNames() {
    return [...this.attributeMap.keys()];
  }

  getAttribute(name) {
    return this.attributeMap.get(name) ?? null;
  }

  setAttribute(name, value) {
    this.attributeMap.set(name, String(value));
  }
}

class StandInText extends StandInNode {
  constructor(data) {
    super(3);
    this.data = data;
    this.nodeName = '#text';
  }

  get nodeValue() {
    return this.data;
  }
}

/** A window whose body holds `rows` rows of a div, a span and a b, each with a text. */
export function standInWindow(rows) {
  const document = new StandInNode(9);
  Object.assign(document, {
    nodeName: '#document',
    compatMode: 'CSS1Compat',
    readyState: 'complete',
    visibilityState: 'visible',
    styleSheets: [],
    adoptedStyleSheets: [],
    location: { href: BASE },
    getSelection: () => null,
  });
  const doctype = document.appendChild(new StandInNode(10));
  Object.assign(doctype, { name: 'html', publicId: '', systemId: '', nodeName: 'html' });
  const element = (parent, tag, text) => {
    const made = parent.appendChild(new StandInElement(tag));
    if (text !== undefined) made.appendChild(new StandInText(text));
    return made;
  };
  const html = element(document, 'html');
  element(element(html, 'head'), 'title', 'rewind');
  const root = element(element(html, 'body'), 'div');
  root.setAttribute('id', 'root');
  for (let i = 0; i < rows; i++) {
    const row = element(root, 'div');
    row.setAttribute('class', i % 2 ? 'row odd' : 'row');
    element(row, 'span', `item ${i}`);
    element(row, 'b', `${i}.00`);
  }
  document.documentElement = html;
  document.doctype = doctype;
  document.head = html.firstChild;
  document.body = html.lastChild;
  const observers = [];
  class MutationObserver {
    constructor(callback) {
      this.callback = (records) => callback(records, this);
      observers.push(this);
    }

    observe() {}

    disconnect() {}

    takeRecords() {
      return [];
    }
  }
  const win = {
    document,
    location: document.location,
    MutationObserver,
    observers,
    root,
    innerWidth: 1280,
    innerHeight: 800,
    scrollX: 0,
    scrollY: 0,
    customElements: { get: () => undefined },
    getSelection: () => null,
    addEventListener() {},
    removeEventListener() {},
  };
  win.window = win;
  document.defaultView = win;
  return win;
}
