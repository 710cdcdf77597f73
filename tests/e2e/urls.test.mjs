// The web layer's URL rewriting (src/web/page.js: absoluteUrl,
// absoluteSrcset, absoluteCss), case by case: in Node, whose URL is the
// WHATWG parser browsers have, and the same cases in Chromium, where the
// recorder runs. Where it is applied (snapshots, both kinds of Mutation
// event, CSSOM edits, a document's <base>) is tested in tests/web.rs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

import { absoluteCss, absoluteSrcset, absoluteUrl } from '../../src/web/page.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../support/browser.mjs';
import { startStaticServer } from '../support/static-server.mjs';

const PAGE = 'https://shop.example/a/b/page.html?x=1#top';
const SHEET = 'https://s.example/css/site.css';

// [reference, base, expected]
const URL_CASES = [
  ['img.png', PAGE, 'https://shop.example/a/b/img.png'],
  ['./img.png', PAGE, 'https://shop.example/a/b/img.png'],
  ['../img.png', PAGE, 'https://shop.example/a/img.png'],
  ['../../../img.png', PAGE, 'https://shop.example/img.png'],
  ['/static/app.css', PAGE, 'https://shop.example/static/app.css'],
  ['//cdn.example/x.js', PAGE, 'https://cdn.example/x.js'],
  ['?page=2', PAGE, 'https://shop.example/a/b/page.html?page=2'],
  ['c/./d/../e?q#f', PAGE, 'https://shop.example/a/b/c/e?q#f'],
  ['..', PAGE, 'https://shop.example/a/'],
  ['x.png', 'https://shop.example', 'https://shop.example/x.png'],
  // Trimmed, as the browser does before fetching.
  ['  img.png\n', PAGE, 'https://shop.example/a/b/img.png'],
  // What the browser would fetch, where RFC 3986 alone says otherwise: a
  // backslash is a slash in an http URL, a space is escaped.
  ['..\\up.png', PAGE, 'https://shop.example/a/up.png'],
  ['my photo.png', PAGE, 'https://shop.example/a/b/my%20photo.png'],
  // Left as written: nothing to resolve, or nothing it can resolve against.
  ['', PAGE, ''],
  ['#anchor', PAGE, '#anchor'],
  ['https://other.example/', PAGE, 'https://other.example/'],
  ['data:image/png;base64,AAAA', PAGE, 'data:image/png;base64,AAAA'],
  ['mailto:ada@example.com', PAGE, 'mailto:ada@example.com'],
  ['img.png', '', 'img.png'],
  ['img.png', 'about:blank', 'img.png'],
  ['http://[x/', PAGE, 'http://[x/'],
];

// [css, base, expected]; `SHEET` when base is left out.
const CSS_CASES = [
  [
    '.a { background: url(img/bg.png) } .b { background: url("/x.svg") } @font-face { src: url(\'../f.woff2\') } .c { background: url(data:image/gif;base64,R0) }',
    '.a { background: url(https://s.example/css/img/bg.png) } .b { background: url("https://s.example/x.svg") } @font-face { src: url(\'https://s.example/f.woff2\') } .c { background: url(data:image/gif;base64,R0) }',
  ],
  ['p { color: red }', 'p { color: red }'],
  // Whitespace inside the parentheses is allowed, and dropped.
  ['a { b: url(  "img/x.png"  ) }', 'a { b: url("https://s.example/css/img/x.png") }'],
  ['a { b: url(\n img/x.png\t) }', 'a { b: url(https://s.example/css/img/x.png) }'],
  ["a { b: url( ' x.png ' ) }", "a { b: url('https://s.example/css/x.png') }"],
  // Empty, data, absolute, other schemes and fragments: as written.
  ...['url()', 'url( )', 'url("")', "url('  ')", '@import "";'].map((css) => [css, css]),
  ...[
    'url(data:image/gif;base64,R0lGOD==)',
    'url( "data:image/svg+xml;utf8,<svg xmlns=\'http://www.w3.org/2000/svg\'/>" )',
    'url(DATA:image/png;base64,AA)',
    "@import 'data:text/css,p%7Bcolor:red%7D';",
    'url(https://cdn.example/a.png)',
    "url( 'HTTP://cdn.example/a.png' )",
    'url(blob:https://s.example/0f9c)',
    'url(about:blank)',
    '@import "https://fonts.example/css?family=A";',
    'filter: url(#blur)',
    "mask: url( '#m' )",
    'fill: url("#g")',
  ].map((css) => [css, css]),
  ['url(//cdn.example/a.png)', 'url(https://cdn.example/a.png)'],
  // Tokens that do not parse are copied, and what follows still rewritten.
  ['a { b: url(x.png', 'a { b: url(x.png'],
  ['a { b: url(', 'a { b: url('],
  ['a { b: url("x.png) }', 'a { b: url("x.png) }'],
  ["a { b: url('x.png\n) } c { d: url(y.png) }", "a { b: url('x.png\n) } c { d: url(https://s.example/css/y.png) }"],
  ['a { b: url("x.png" junk) } c { d: url(y.png) }', 'a { b: url("x.png" junk) } c { d: url(https://s.example/css/y.png) }'],
  ...['url(a b.png)', 'url(a"b.png)', "url(a'b.png)", 'url(a(b.png)'].map((css) => [css, css]),
  // Escapes are their characters: the URL gets what the browser fetched.
  ['url("a).png")', 'url("https://s.example/css/a).png")'],
  ['url("a\\"b.png") url(c.png)', 'url("https://s.example/css/a%22b.png") url(https://s.example/css/c.png)'],
  ['url(a\\).png)', 'url("https://s.example/css/a).png")'],
  ['url("\\66 oo.png")', 'url("https://s.example/css/foo.png")'],
  // @import, in both quotes and in url(), in any case.
  [
    '@import "base.css";\n@import \'theme/dark.css\' screen;',
    '@import "https://s.example/css/base.css";\n@import \'https://s.example/css/theme/dark.css\' screen;',
  ],
  ['@import"../x.css";', '@import"https://s.example/x.css";'],
  ['@IMPORT "x.css";', '@IMPORT "https://s.example/css/x.css";'],
  [
    '@import url("print.css") print;\n@import url(/all.css);',
    '@import url("https://s.example/css/print.css") print;\n@import url(https://s.example/all.css);',
  ],
  ['@import "x.css', '@import "x.css'],
  // An unquoted url( with no `)` after it, and those after it: as written.
  ['a { b: url("y.png") } c { d: url(x.png } e { f: url(z.png', 'a { b: url("https://s.example/css/y.png") } c { d: url(x.png } e { f: url(z.png'],
  ['@import;', '@import;'],
  ['url(x.png) URL(y.png)', 'url(https://s.example/css/x.png) URL(https://s.example/css/y.png)'],
  // A URL that would end its token gets quotes that hold it.
  [
    "url(x.png) url('y.png') @import 'z.css';",
    "url(\"https://s.example/it's%20(new)/x.png\") url(\"https://s.example/it's%20(new)/y.png\") @import \"https://s.example/it's%20(new)/z.css\";",
    "https://s.example/it's (new)/site.css",
  ],
  ["url(x.png) @import 'y.css';", "url(x.png) @import 'y.css';", ''],
];

const SRCSET_CASES = [
  ['a.png 1x, /b.png 2x', 'https://s.example/p/', 'https://s.example/p/a.png 1x, https://s.example/b.png 2x'],
  [' a.png ,, b.png\t480w ', 'https://s.example/p/', 'https://s.example/p/a.png, https://s.example/p/b.png 480w'],
];

// The hand-joined fast path of absoluteUrl must give what the parser
// gives: random references over an alphabet of the characters that
// matter (dots, slashes, percent escapes of dots, query and fragment
// marks, a quote, a space, a backslash, a colon), against bases as the
// browser writes them (baseURI and sheet.href are always serialized).
const FUZZ_BASES = [
  'https://shop.example/a/b/page.html?x=1#top',
  'https://shop.example/',
  'http://127.0.0.1:8080/app/',
  'https://shop.example/a/b/',
  'https://xn--caf-dma.example/%C3%A9t%C3%A9/index',
];
function fuzzReferences(count) {
  const pieces = ['a', 'img', '.', '..', '/', '//', '%2e', '%2E', '%41', '?', '#', 'q=1', "'", ' ', '\\', ':', '@', '~', '-', '_', 'é', '&', '+'];
  let seed = 0x2f6b1d;
  const next = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed >>> 8;
  };
  const references = [];
  for (let i = 0; i < count; i++) {
    let reference = '';
    for (let length = 1 + (next() % 7); length > 0; length--) reference += pieces[next() % pieces.length];
    references.push(reference);
  }
  return references;
}
const FUZZ = FUZZ_BASES.flatMap((base) => fuzzReferences(4000).map((reference) => [reference, base]));

/** For each [reference, base]: what absoluteUrl gave and what the parser gives (null: left as written). */
function fuzzResults({ absoluteUrl }, cases) {
  return cases.map(([reference, base]) => {
    const trimmed = reference.trim();
    if (trimmed === '' || trimmed[0] === '#' || /^[a-z][a-z\d+.-]*:/i.test(trimmed)) return null;
    let parsed;
    try {
      parsed = new URL(trimmed, base).href;
    } catch (error) {
      parsed = trimmed;
    }
    return [absoluteUrl(reference, base), parsed];
  });
}

function checkFuzz(results) {
  let compared = 0;
  results.forEach((result, index) => {
    if (result === null) return;
    compared++;
    assert.equal(result[0], result[1], `${JSON.stringify(FUZZ[index][0])} against ${FUZZ[index][1]}`);
  });
  assert.ok(compared > FUZZ.length / 2, `${compared} of ${FUZZ.length} compared`);
}

/** Every case's result from `helpers` (the module's exports). */
function runAll({ absoluteUrl, absoluteSrcset, absoluteCss }, urlCases, cssCases, srcsetCases, sheet) {
  return {
    urls: urlCases.map(([reference, base]) => absoluteUrl(reference, base)),
    css: cssCases.map(([css, , base = sheet]) => absoluteCss(css, base)),
    srcsets: srcsetCases.map(([srcset, base]) => absoluteSrcset(srcset, base)),
  };
}

function check(results) {
  URL_CASES.forEach(([reference, base, expected], index) =>
    assert.equal(results.urls[index], expected, `${JSON.stringify(reference)} against ${base}`));
  CSS_CASES.forEach(([css, expected], index) => assert.equal(results.css[index], expected, JSON.stringify(css)));
  SRCSET_CASES.forEach(([srcset, , expected], index) => assert.equal(results.srcsets[index], expected, srcset));
}

test('URLs in attributes, srcsets and CSS are made absolute as WHATWG URL resolves them, and the fast path agrees with the parser (Node)', () => {
  check(runAll({ absoluteUrl, absoluteSrcset, absoluteCss }, URL_CASES, CSS_CASES, SRCSET_CASES, SHEET));
  checkFuzz(fuzzResults({ absoluteUrl }, FUZZ));
});

let server;
let browser;
before(async () => {
  server = await startStaticServer();
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
});
after(async () => {
  await browser?.close();
  await server?.close();
});

// The limit is a hang guard, not a measure: scanning each url( to the end
// took 37 s here, the linear scan 0.04 s.
test('malformed CSS with many unclosed url( is copied as written, in time linear in its length', { timeout: 20_000 }, () => {
  // 40,000 of them in 560 KB.
  const css = 'a{b:url(x.png '.repeat(40_000);
  assert.equal(absoluteCss(css, SHEET), css);
});

test('the same cases and the same fuzzed references in Chromium', async () => {
  const page = await browser.newPage();
  await page.goto(`${server.origin}/tests/fixtures/replay.html`);
  const [results, fuzzed] = await page.evaluate(
    async ({ sources, cases }) => {
      const helpers = await import(cases.module);
      // eslint-disable-next-line no-new-func
      const [run, fuzz] = sources.map((source) => new Function(`return (${source})`)());
      return [run(helpers, cases.urls, cases.css, cases.srcsets, cases.sheet), fuzz(helpers, cases.fuzz)];
    },
    {
      sources: [runAll.toString(), fuzzResults.toString()],
      cases: { module: '/src/web/page.js', urls: URL_CASES, css: CSS_CASES, srcsets: SRCSET_CASES, sheet: SHEET, fuzz: FUZZ },
    },
  );
  check(results);
  checkFuzz(fuzzed);
  await page.close();
});
