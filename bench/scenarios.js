// Scenarios of `npm run bench`, run in bench/page.html. Each has an
// optional `prepare` (builds the page before any recorder is loaded) and a
// `run` (what the page does while recorded). The recorders, loaded by
// `bench.loadRecorder` after `prepare`: none; rrweb's record() with its
// events gzipped by fflate on the main thread every 5 s and at the end
// (what a page pays for rrweb with compression), from the webpack bundle
// of both that bench/harness.mjs builds; rewind (dist/rewind.js and its
// wasm) with default options sending to an endpoint.
(() => {
  const root = () => document.getElementById('root');
  const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

  function buildTree(count) {
    // Rows of a few elements and texts each, about `count` nodes in all.
    const fragment = document.createDocumentFragment();
    const rows = Math.ceil(count / 6);
    for (let i = 0; i < rows; i++) {
      const row = document.createElement('div');
      row.className = i % 2 ? 'row odd' : 'row';
      const name = document.createElement('span');
      name.textContent = `item ${i}`;
      const price = document.createElement('b');
      price.textContent = (i * 1.37).toFixed(2);
      row.append(name, price);
      fragment.append(row);
    }
    root().append(fragment);
  }

  window.scenarios = {
    'snapshot-1k': { prepare: () => buildTree(1_000), run: async () => {} },
    'snapshot-10k': { prepare: () => buildTree(10_000), run: async () => {} },
    'snapshot-50k': { prepare: () => buildTree(50_000), run: async () => {} },
    'snapshot-100k': { prepare: () => buildTree(100_000), run: async () => {} },
    'storm-adds-10k': {
      run: async () => {
        for (let batch = 0; batch < 10; batch++) {
          for (let i = 0; i < 1_000; i++) {
            const item = document.createElement('p');
            item.textContent = `added ${batch}.${i}`;
            root().append(item);
          }
          await tick();
        }
      },
    },
    'storm-attributes-10k': {
      prepare: () => buildTree(6_000),
      run: async () => {
        const rows = root().children;
        for (let batch = 0; batch < 10; batch++) {
          for (let i = 0; i < 1_000; i++) rows[i].setAttribute('data-state', `s${batch}`);
          await tick();
        }
      },
    },
    'storm-moves-5k': {
      prepare: () => buildTree(6_000),
      run: async () => {
        const rows = root().children;
        for (let batch = 0; batch < 5; batch++) {
          for (let i = 0; i < 1_000; i++) root().insertBefore(rows[rows.length - 1], rows[i]);
          await tick();
        }
      },
    },
    'text-churn': {
      prepare: () => buildTree(3_000),
      run: async () => {
        const prices = root().querySelectorAll('b');
        for (let batch = 0; batch < 20; batch++) {
          for (const price of prices) price.firstChild.data = (Math.random() * 100).toFixed(2);
          await tick();
        }
      },
    },
    // Driven from the bench (real keyboard and mouse input).
    typing: { prepare: () => buildTree(1_000), run: async () => {} },
    'scroll-and-mouse': { prepare: () => buildTree(6_000), run: async () => {} },
    'react-list': {
      prepare: () => {
        const { createElement: h, useState } = React;
        function List() {
          const [rows, setRows] = useState(() => Array.from({ length: 2_000 }, (_, i) => ({ id: i, value: i })));
          window.shuffleRows = () =>
            setRows((current) => [...current].sort(() => Math.random() - 0.5).map((row) => ({ ...row, value: row.value + 1 })));
          return h('ul', null, rows.map((row) => h('li', { key: row.id, className: row.value % 2 ? 'odd' : '' }, `row ${row.id}: ${row.value}`)));
        }
        ReactDOM.createRoot(root()).render(h(List));
        return new Promise((resolve) => setTimeout(resolve, 50));
      },
      run: async () => {
        for (let i = 0; i < 20; i++) {
          window.shuffleRows();
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      },
    },
  };

  // --- The recorders, as a page would load and set them up. ---
  // What a page adds to load each recorder: one script. The rrweb one is
  // record() and fflate's gzipSync, tree-shaken and minified as a page's
  // webpack build ships them (bench/rrweb-bundle/entry.js, built by
  // bench/harness.mjs's bundleRrwebRecorder).
  const RECORDER_SCRIPTS = {
    rrweb: '/target/bench-rrweb-bundle/rrweb-recorder.js',
    rewind: '/dist/rewind.js',
  };
  const loaded = new Map();

  // Transfer size 0 means the browser's HTTP cache answered (same origin,
  // so the size is exposed); undefined when there was no such request.
  function fromHttpCache(pathname) {
    const entry = performance.getEntriesByType('resource').find((e) => new URL(e.name).pathname === pathname);
    return entry ? { fromHttpCache: entry.transferSize === 0, responseEnd: entry.responseEnd } : undefined;
  }

  function addScript(src) {
    return new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = src;
      script.onload = resolve;
      script.onerror = () => reject(new Error(`could not load ${src}`));
      document.head.append(script);
    });
  }

  let rrwebEvents = [];
  let rrwebStop = null;
  let rrwebTimer = null;
  const rrwebWire = { raw: 0, gzip: 0 };
  let firstSnapshotAt = null;

  function shipRrweb() {
    if (!rrwebEvents.length) return;
    const json = JSON.stringify(rrwebEvents);
    rrwebEvents = [];
    rrwebWire.raw += json.length;
    const { gzipSync, strToU8 } = window.rrwebRecorder;
    rrwebWire.gzip += gzipSync(strToU8(json), { level: 6 }).length;
  }

  window.bench = {
    // Runs `work` in a task of its own. Work run straight from the bench's
    // CDP Runtime.evaluate is not a task the page's long-task observer
    // sees, so recorders and scenarios are started through here.
    // `work` runs synchronously inside the timer's callback (not in a
    // microtask after it), so CDP's ScriptDuration counts it too.
    inTask(work) {
      return new Promise((resolve, reject) => setTimeout(() => {
        try {
          Promise.resolve(work()).then(resolve, reject);
        } catch (error) {
          reject(error);
        }
      }, 0));
    },
    // Bytes of rewind's WebAssembly memory (not part of the JS heap).
    wasmMemoryBytes() {
      return window.Rewind?.memoryUsage?.().wasmBytes ?? 0;
    },
    // Loads `recorder` as a page would: adds its script and, for rewind,
    // waits until it has fetched, compiled and instantiated its wasm
    // (getSessionId() loads it, as start() does for a session inside
    // sampleRate). Resolves with the time
    // that took and whether the HTTP cache answered.
    async loadRecorder(recorder) {
      if (loaded.has(recorder)) return loaded.get(recorder);
      const began = performance.now();
      const src = RECORDER_SCRIPTS[recorder];
      if (src) await addScript(src);
      const scriptLoadedAt = performance.now();
      let wasm;
      if (recorder === 'rewind') {
        // One turn first, so the wasm load starts on rewind's own schedule
        // (a timer its script sets), not on this call.
        await new Promise((resolve) => setTimeout(resolve, 0));
        // getSessionId() loads the wasm (fetch, compile, instantiate) as
        // start() does for a session inside sampleRate; nothing else here
        // does since a page loads it only when it needs it.
        await Rewind.getSessionId();
        wasm = fromHttpCache(new URL('rewind_bg.wasm', new URL(src, location.href)).pathname);
      }
      const readyAt = performance.now();
      const result = {
        loadMs: readyAt - began,
        script: src ? fromHttpCache(src)?.fromHttpCache : undefined,
        wasm: wasm?.fromHttpCache,
        // From the wasm's last byte to rewind ready: compile (or code-cache
        // read), instantiate and set-up. Only where the page fetched the
        // plain module itself: the packed one (js/unpack.js) is fetched by
        // rewind's worker, whose requests the page's entries leave out.
        wasmAfterFetchMs: wasm ? readyAt - wasm.responseEnd : undefined,
        // From rewind.js's load to rewind ready: the module's fetch (and
        // unpacking, in the worker), compile, instantiate and set-up.
        afterScriptMs: recorder === 'rewind' ? readyAt - scriptLoadedAt : undefined,
      };
      loaded.set(recorder, result);
      return result;
    },
    startRecorder(recorder, endpoint) {
      // bench/profile.mjs starts without loading first: the load is then
      // part of what it profiles.
      if (!loaded.has(recorder)) return window.bench.loadRecorder(recorder).then(() => window.bench.startRecorder(recorder, endpoint));
      // Loaded: the recorder starts right here, in inTask's timer task, not
      // in a microtask after an await (CDP's ScriptDuration misses those;
      // bench/run.mjs's scriptTime counts them either way).
      firstSnapshotAt = null;
      const began = performance.now();
      if (recorder === 'rrweb') {
        rrwebStop = window.rrwebRecorder.record({
          emit: (event) => {
            if (event.type === 2 && firstSnapshotAt === null) firstSnapshotAt = performance.now() - began;
            rrwebEvents.push(event);
          },
        });
        rrwebTimer = setInterval(shipRrweb, 5000);
      } else if (recorder === 'rewind') {
        return Rewind.start({ endpoint }).then(() => {
          firstSnapshotAt = performance.now() - began;
        });
      } else {
        firstSnapshotAt = 0;
      }
      return Promise.resolve();
    },
    async stopRecorder(recorder) {
      if (recorder === 'rrweb') {
        rrwebStop?.();
        clearInterval(rrwebTimer);
        shipRrweb();
      } else if (recorder === 'rewind') {
        await Rewind.flush();
        await Rewind.stop();
        await Rewind.whenDelivered(30000);
      }
      return { firstSnapshotMs: firstSnapshotAt, rrwebWire };
    },
  };

  // Long tasks (over 50 ms); the bench zeroes this before it loads a recorder.
  window.longestTask = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.longestTask = Math.max(window.longestTask, entry.duration);
  }).observe({ type: 'longtask', buffered: false });
})();
