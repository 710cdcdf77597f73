//! The web layer in a real browser: `wasm-pack test --headless --chrome`
//! (and `--firefox`). Each test builds its DOM, records it and checks the
//! events the recorder emitted.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Object, Reflect};
use rewind::{Courier, Recorder, TabStorage};
use serde_json::Value;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Document, Element, HtmlInputElement, HtmlStyleElement};

wasm_bindgen_test_configure!(run_in_browser);

/// Collects what a recorder emits, as JSON text.
struct Sink {
    events: Rc<RefCell<Vec<String>>>,
    callback: Closure<dyn FnMut(JsValue)>,
}

impl Sink {
    fn new() -> Self {
        let events = Rc::new(RefCell::new(Vec::new()));
        let target = events.clone();
        let callback = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            let text = js_sys::JSON::stringify(&event)
                .unwrap()
                .as_string()
                .unwrap();
            target.borrow_mut().push(text);
        });
        Sink { events, callback }
    }

    /// Options that emit into this sink, then the `extra` entries.
    fn options(&self, extra: &[(&str, JsValue)]) -> JsValue {
        let emit: &JsValue = self.callback.as_ref();
        let mut entries = vec![("emit", emit.clone())];
        entries.extend_from_slice(extra);
        options_of(&entries)
    }

    /// The events parsed (serde_json parses at most 128 levels deep).
    fn events(&self) -> Vec<Value> {
        self.events
            .borrow()
            .iter()
            .map(|text| serde_json::from_str(text).unwrap())
            .collect()
    }

    fn raw_events(&self) -> Vec<String> {
        self.events.borrow().clone()
    }

    /// The document node of the first full snapshot (`events()[1]`).
    fn snapshot(&self) -> Value {
        self.events()[1]["data"]["node"].clone()
    }
}

/// A stand-in for the page's courier (js/courier.js, tested end to end in
/// tests/e2e/wire.test.mjs): it takes sealed chunks and delivers nothing.
fn courier() -> Courier {
    eval("({ configure() {}, compressesOffThread() { return false; }, store() { return Promise.resolve(); }, sendBeforeUnload() { return false; } })")
        .unchecked_into()
}

#[wasm_bindgen(module = "/js/options.js")]
extern "C" {
    /// What the JS entry hands `Recorder::new`: the options checked and
    /// normalized, or the error that names what was wrong.
    #[wasm_bindgen(js_name = checkOptions, catch)]
    fn check_options(options: &JsValue) -> Result<Object, JsValue>;
    /// The checked options as the wasm takes them: values in the table's order.
    #[wasm_bindgen(js_name = optionValues)]
    fn option_values(checked: &Object) -> js_sys::Array;
}

/// A recorder with `options`, started as the JS entry starts one.
fn new_recorder(options: &JsValue) -> Result<Recorder, JsValue> {
    let checked = option_values(&check_options(options)?);
    Recorder::new(checked, courier(), tab_storage(), js_sys::Array::new()).map_err(JsValue::from)
}

/// `flush()`, as the JS entry runs it (`RUN.flush` in js/sampling.js).
fn flush(recorder: &Recorder) -> js_sys::Promise {
    recorder.run(0).unwrap()
}

/// `stop()`, as the JS entry runs it (`RUN.stop`).
fn stop(recorder: &Recorder) -> js_sys::Promise {
    recorder.run(1).unwrap()
}

/// `takeFullSnapshot()`, as the JS entry runs it (`RUN.takeFullSnapshot`).
fn take_full_snapshot(recorder: &Recorder) -> js_sys::Promise {
    recorder.run(2).unwrap()
}

#[wasm_bindgen(module = "/js/sampling.js")]
extern "C" {
    /// The JS entry's own tab storage class, over this page's real
    /// localStorage and sessionStorage.
    #[wasm_bindgen(js_name = TabStorage)]
    type PageTabStorage;

    #[wasm_bindgen(constructor, js_class = "TabStorage")]
    fn new() -> PageTabStorage;
}

/// The tab storage the JS entry hands each recording (js/sampling.js).
fn tab_storage() -> TabStorage {
    PageTabStorage::new().unchecked_into()
}

/// An options object for `Recorder::new` with these entries, in order.
fn options_of(entries: &[(&str, JsValue)]) -> JsValue {
    let options = Object::new();
    for (key, value) in entries {
        Reflect::set(&options, &(*key).into(), value).unwrap();
    }
    options.into()
}

fn document() -> Document {
    web_sys::window().unwrap().document().unwrap()
}

/// The test page's element `#id`, as the type it is.
fn by_id<T: JsCast>(id: &str) -> T {
    document()
        .get_element_by_id(id)
        .unwrap_or_else(|| panic!("no #{id} on the page"))
        .unchecked_into()
}

/// A recorder whose first full snapshot is complete. Snapshots are written
/// in slices, and on a busy machine the first one (8 ms, in `start()`'s own
/// task) may not finish even a small page; `flush()` finishes it, as it
/// does for a page that flushes early.
fn started(options: JsValue) -> Recorder {
    let recorder = new_recorder(&options).unwrap();
    let _ = flush(&recorder);
    recorder
}

/// A recorder started (see `started`) with `emit` and the `extra` options,
/// and the sink it emits into.
struct Recording {
    sink: Sink,
    recorder: Recorder,
}

impl Recording {
    fn start(extra: &[(&str, JsValue)]) -> Self {
        let sink = Sink::new();
        let recorder = started(sink.options(extra));
        Recording { sink, recorder }
    }

    /// Stops the recorder; the sink holds everything it emitted.
    fn stop(self) -> Sink {
        let _stopping = stop(&self.recorder);
        self.sink
    }

    /// Lets the observers' callbacks and timers run for `ms` (see
    /// `settle`), then stops.
    async fn stop_after(self, ms: u32) -> Sink {
        settle(ms).await;
        self.stop()
    }
}

/// Records the page as it is now: started with `extra`, stopped at once.
fn record(extra: &[(&str, JsValue)]) -> Sink {
    Recording::start(extra).stop()
}

/// A fresh container in the test page's body, removed by the caller.
fn container(html: &str) -> Element {
    let element = document().create_element("section").unwrap();
    element.set_inner_html(html);
    document().body().unwrap().append_child(&element).unwrap();
    element
}

/// Depth-first search for the first serialized node matching `predicate`.
fn find<'a>(node: &'a Value, predicate: &dyn Fn(&Value) -> bool) -> Option<&'a Value> {
    if predicate(node) {
        return Some(node);
    }
    node["childNodes"]
        .as_array()?
        .iter()
        .find_map(|child| find(child, predicate))
}

fn element_with_id<'a>(snapshot: &'a Value, id: &str) -> &'a Value {
    find(snapshot, &|n| n["attributes"]["id"] == id)
        .unwrap_or_else(|| panic!("no #{id} in snapshot"))
}

/// The message of the error the JS entry's check rejected `options` with.
fn rejection_message(options: JsValue) -> String {
    let error = match new_recorder(&options) {
        Ok(_) => panic!("these options must be rejected"),
        Err(error) => error,
    };
    Reflect::get(&error, &"message".into())
        .unwrap()
        .as_string()
        .unwrap()
}

fn collect_ids(node: &Value, ids: &mut Vec<u64>) {
    ids.push(node["id"].as_u64().unwrap());
    for child in node["childNodes"].as_array().into_iter().flatten() {
        collect_ids(child, ids);
    }
}

#[wasm_bindgen_test]
fn start_emits_meta_then_full_snapshot_of_the_live_document() {
    let section = container(r#"<p id="greeting">Hello <b>replay</b></p><!-- note -->"#);
    let events = record(&[]).events();
    section.remove();

    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["type"], 4);
    assert_eq!(
        events[0]["data"]["href"],
        web_sys::window().unwrap().location().href().unwrap()
    );
    assert!(events[0]["data"]["width"].as_u64().unwrap() > 0);
    assert_eq!(events[1]["type"], 2);
    assert_eq!(events[0]["timestamp"], events[1]["timestamp"]);

    let root = &events[1]["data"]["node"];
    assert_eq!(root["type"], 0);
    let greeting = element_with_id(root, "greeting");
    assert_eq!(greeting["tagName"], "p");
    assert_eq!(greeting["childNodes"][0]["textContent"], "Hello ");
    assert_eq!(greeting["childNodes"][1]["tagName"], "b");
    assert!(find(root, &|n| n["type"] == 5 && n["textContent"] == " note ").is_some());

    let mut ids = Vec::new();
    collect_ids(root, &mut ids);
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), ids.len(), "ids are unique");
    assert_eq!(ids[0], 1);
}

#[wasm_bindgen_test]
fn attributes_are_recorded_as_set_including_ones_the_packed_read_cannot_carry() {
    let section = container(
        r#"<p id="plain" class="a b" data-x="1"></p><p id="separator"></p>
           <svg id="drawing" viewBox="0 0 10 10"></svg><p id="capitals"></p>"#,
    );
    // U+0001 separates the packed read's fields; for an element whose
    // texts hold it (and here U+0002 as well), the next control character
    // up separates them instead.
    by_id::<Element>("separator")
        .set_attribute("title", "one\u{1}two")
        .unwrap();
    by_id::<Element>("separator")
        .set_attribute("data-two", "\u{2}")
        .unwrap();
    // A capitalised name on an HTML element, which getAttribute (it
    // lowercases) cannot find again.
    by_id::<Element>("capitals")
        .set_attribute_ns(None, "dataFoo", "kept")
        .unwrap();
    let root = record(&[]).snapshot();
    section.remove();

    let attributes = |id: &str| element_with_id(&root, id)["attributes"].clone();
    assert_eq!(
        attributes("plain"),
        serde_json::json!({ "id": "plain", "class": "a b", "data-x": "1" })
    );
    assert_eq!(attributes("separator")["title"], "one\u{1}two");
    assert_eq!(attributes("separator")["data-two"], "\u{2}");
    assert_eq!(attributes("drawing")["viewBox"], "0 0 10 10");
    assert_eq!(attributes("capitals")["dataFoo"], "kept");
}

#[wasm_bindgen_test]
fn the_document_and_its_doctype_are_recorded_as_they_are() {
    // A doctype whose ids hold U+0001 and U+0002, the packed read's first
    // separators: it takes the next control character up.
    eval(
        r#"window.__pageDoctype = document.doctype;
           const made = document.implementation.createDocumentType('html', '-//rewind\u0001test//EN', 'urn:\u0002sys');
           if (document.doctype) document.doctype.replaceWith(made); else document.insertBefore(made, document.firstChild);"#,
    );
    let root = record(&[]).snapshot();
    eval(
        r#"if (window.__pageDoctype) document.doctype.replaceWith(window.__pageDoctype); else document.doctype.remove();"#,
    );

    assert_eq!(root["type"], 0);
    assert_eq!(root["compatMode"], document().compat_mode());
    let doctype = &root["childNodes"][0];
    assert_eq!(doctype["type"], 1);
    assert_eq!(doctype["name"], "html");
    assert_eq!(doctype["publicId"], "-//rewind\u{1}test//EN");
    assert_eq!(doctype["systemId"], "urn:\u{2}sys");
}

#[wasm_bindgen_test]
fn defined_custom_elements_are_marked_whatever_letters_their_names_hold() {
    // 'x-Élan' is a valid custom element name whose tag name keeps its
    // non-ASCII capital: only ASCII letters may be lowered to find it.
    eval(
        r#"for (const name of ['x-defined', 'x-Élan']) {
             if (!customElements.get(name)) customElements.define(name, class extends HTMLElement {});
           }"#,
    );
    let section = container(
        r#"<x-defined id="defined"></x-defined><x-undefined id="undefined"></x-undefined>"#,
    );
    eval("const accented = document.createElement('x-Élan'); accented.id = 'accented'; document.getElementById('defined').after(accented);");
    let root = record(&[]).snapshot();
    section.remove();

    assert_eq!(element_with_id(&root, "defined")["isCustom"], true);
    assert_eq!(element_with_id(&root, "accented")["isCustom"], true);
    assert_eq!(element_with_id(&root, "accented")["tagName"], "x-Élan");
    assert!(element_with_id(&root, "undefined")
        .get("isCustom")
        .is_none());
}

#[wasm_bindgen_test]
fn typed_values_are_masked_and_passwords_even_when_inputs_are_not() {
    let section = container(
        r#"<input id="name" value="markup"><input id="secret" type="password">
           <input id="agree" type="checkbox"><textarea id="notes">default</textarea>"#,
    );
    by_id::<HtmlInputElement>("name").set_value("Ada Lovelace");
    by_id::<HtmlInputElement>("secret").set_value("hunter2");
    by_id::<HtmlInputElement>("agree").set_checked(true);

    let masked = record(&[]);
    let unmasked = record(&[("maskAllInputs", false.into())]);
    section.remove();

    let masked_text = serde_json::to_string(&masked.events()).unwrap();
    for secret in ["Ada Lovelace", "hunter2", "markup", "default"] {
        assert!(
            !masked_text.contains(secret),
            "{secret} leaked with default masking"
        );
    }
    let snapshot = &masked.snapshot();
    assert_eq!(
        element_with_id(snapshot, "name")["attributes"]["value"],
        "************"
    );
    assert_eq!(
        element_with_id(snapshot, "agree")["attributes"]["checked"],
        true
    );

    let unmasked_text = serde_json::to_string(&unmasked.events()).unwrap();
    assert!(unmasked_text.contains("Ada Lovelace"));
    assert!(
        !unmasked_text.contains("hunter2"),
        "password leaked with maskAllInputs: false"
    );
}

#[wasm_bindgen_test]
fn style_rules_added_through_cssom_are_captured() {
    let section = container(r#"<style id="dynamic"></style>"#);
    let sheet: web_sys::CssStyleSheet = by_id::<HtmlStyleElement>("dynamic")
        .sheet()
        .unwrap()
        .unchecked_into();
    sheet
        .insert_rule(".added-by-script { color: rgb(1, 2, 3); }")
        .unwrap();

    let snapshot = record(&[]).snapshot();
    section.remove();

    let css = element_with_id(&snapshot, "dynamic")["attributes"]["_cssText"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(css.contains(".added-by-script"), "{css}");
}

#[wasm_bindgen_test]
fn script_text_never_leaves_the_page() {
    let script = document().create_element("script").unwrap();
    script.set_attribute("type", "text/plain").unwrap();
    script.set_text_content(Some("const token = 'tok_live_42';"));
    document().body().unwrap().append_child(&script).unwrap();
    let events = record(&[]).events();
    script.remove();
    assert!(!serde_json::to_string(&events)
        .unwrap()
        .contains("tok_live_42"));
}

#[wasm_bindgen_test]
fn svg_elements_are_flagged() {
    let section = container(r#"<svg id="chart" viewBox="0 0 4 4"><linearGradient id="g"/></svg>"#);
    let snapshot = record(&[]).snapshot();
    section.remove();
    let svg = element_with_id(&snapshot, "chart");
    assert_eq!(svg["isSVG"], true);
    assert_eq!(svg["attributes"]["viewBox"], "0 0 4 4");
    assert_eq!(svg["childNodes"][0]["tagName"], "lineargradient");
}

#[wasm_bindgen_test]
fn misspelt_option_is_rejected_with_a_suggestion() {
    let message = rejection_message(options_of(&[("maskAllInput", false.into())]));
    assert!(message.contains("'maskAllInput'"), "{message}");
    assert!(
        message.contains("did you mean 'maskAllInputs'"),
        "{message}"
    );
}

#[wasm_bindgen_test]
fn options_without_a_destination_are_rejected() {
    let message = rejection_message(options_of(&[("maskAllInputs", true.into())]));
    assert!(message.contains("pass 'endpoint'"), "{message}");
}

#[wasm_bindgen_test]
fn non_object_options_are_rejected() {
    let message = rejection_message(JsValue::from_str("fast"));
    assert_eq!(
        message,
        "rewind options must be an object or undefined, got string"
    );
}

#[wasm_bindgen_test]
fn checkout_emits_again_and_stop_ends_emission() {
    let sink = Sink::new();
    let recorder = started(sink.options(&[]));
    let _snapshot = take_full_snapshot(&recorder);
    // Finished now, whatever the machine's load (see `started`).
    let _ = flush(&recorder);
    assert_eq!(sink.events().len(), 4);
    let _stopping = stop(&recorder);
    let _snapshot = take_full_snapshot(&recorder);
    // Finished now, whatever the machine's load (see `started`).
    let _ = flush(&recorder);
    assert_eq!(sink.events().len(), 4, "nothing is emitted after stop");
}

#[wasm_bindgen_test]
fn a_throwing_emit_callback_does_not_stop_the_recorder() {
    let calls = Rc::new(RefCell::new(0));
    let counter = calls.clone();
    let throwing =
        Closure::<dyn FnMut(JsValue) -> Result<(), JsValue>>::new(move |_event: JsValue| {
            *counter.borrow_mut() += 1;
            Err(JsValue::from_str("page bug"))
        });
    let emit: &JsValue = throwing.as_ref();
    let options = options_of(&[("emit", emit.clone())]);
    let recorder = new_recorder(&options).expect("the callback's error is not rewind's");
    let _snapshot = take_full_snapshot(&recorder);
    // Finished now, whatever the machine's load (see `started`).
    let _ = flush(&recorder);
    assert_eq!(*calls.borrow(), 4);
    // Stopped, so that its hooks (which outlive its callbacks otherwise)
    // leave the prototypes to the tests after this one.
    let recorder = recorder;
    let _stopping = stop(&recorder);
}

#[wasm_bindgen_test]
fn tree_nested_past_the_depth_cap_is_recorded_up_to_the_cap() {
    // Script-built nesting far deeper than the HTML parser allows.
    let outer = document().create_element("div").unwrap();
    let mut parent = outer.clone();
    for _ in 0..1_500 {
        let child = document().create_element("div").unwrap();
        parent.append_child(&child).unwrap();
        parent = child;
    }
    parent.set_text_content(Some("bottom"));
    document().body().unwrap().append_child(&outer).unwrap();
    let events = record(&[]).raw_events();
    outer.remove();

    assert_eq!(events.len(), 2, "the snapshot is emitted despite the depth");
    let text = &events[1];
    assert!(!text.contains("bottom"), "nodes below the cap are left out");
    assert!(text.matches(r#""tagName":"div""#).count() >= 990);
}

#[wasm_bindgen_test]
fn undefined_option_values_count_as_not_given() {
    // The check accepts them (`started` unwraps its result).
    let sink = record(&[
        ("endpoint", JsValue::UNDEFINED),
        ("sampleRate", JsValue::UNDEFINED),
    ]);
    assert_eq!(sink.events().len(), 2);
}

// ---- Incremental capture: one test per observer or hook. ----

/// Lets the observers' callbacks and rewind's throttling timers run.
async fn settle(ms: u32) {
    gloo_timers::future::TimeoutFuture::new(ms).await;
}

fn incremental(events: &[Value], source: u64) -> Vec<Value> {
    events
        .iter()
        .filter(|e| e["type"] == 3 && e["data"]["source"] == source)
        .map(|e| e["data"].clone())
        .collect()
}

/// The Plugin events (type 6) among `events`.
fn plugin_events(events: &[Value]) -> Vec<Value> {
    events.iter().filter(|e| e["type"] == 6).cloned().collect()
}

fn eval(code: &str) -> JsValue {
    js_sys::eval(code).unwrap_or_else(|error| panic!("test script failed: {error:?}"))
}

#[wasm_bindgen_test]
async fn dom_changes_arrive_as_one_mutation_with_ids_the_snapshot_knows() {
    let section = container(
        r#"<ul id="list"><li id="first">one</li><li id="gone">two</li></ul><p id="para">text</p>"#,
    );
    let recording = Recording::start(&[]);
    let snapshot = recording.sink.snapshot();
    let list_id = element_with_id(&snapshot, "list")["id"].clone();
    let first_id = element_with_id(&snapshot, "first")["id"].clone();
    let gone_id = element_with_id(&snapshot, "gone")["id"].clone();
    let para = element_with_id(&snapshot, "para");
    let para_text_id = para["childNodes"][0]["id"].clone();

    let document = document();
    let item = document.create_element("li").unwrap();
    item.set_text_content(Some("three"));
    document
        .get_element_by_id("list")
        .unwrap()
        .insert_before(
            &item,
            document
                .get_element_by_id("first")
                .as_ref()
                .map(|e| e.as_ref()),
        )
        .unwrap();
    document.get_element_by_id("gone").unwrap().remove();
    document
        .get_element_by_id("para")
        .unwrap()
        .first_child()
        .unwrap()
        .set_node_value(Some("edited"));
    document
        .get_element_by_id("para")
        .unwrap()
        .set_attribute("title", "now")
        .unwrap();
    let ghost = document.create_element("div").unwrap();
    section.append_child(&ghost).unwrap();
    ghost.remove();
    let sink = recording.stop_after(0).await;
    section.remove();

    let mutations = incremental(&sink.events(), 0);
    assert_eq!(
        mutations.len(),
        1,
        "one observer callback, one event: {mutations:?}"
    );
    let mutation = &mutations[0];
    assert_eq!(
        mutation["removes"],
        serde_json::json!([{"parentId": list_id, "id": gone_id}])
    );
    assert_eq!(
        mutation["texts"],
        serde_json::json!([{"id": para_text_id, "value": "edited"}])
    );
    assert_eq!(
        mutation["attributes"][0]["attributes"],
        serde_json::json!({"title": "now"})
    );
    let adds = mutation["adds"].as_array().unwrap();
    assert_eq!(
        adds.len(),
        2,
        "the new item and its text; the div added and removed is not there"
    );
    assert_eq!(adds[0]["parentId"], list_id);
    assert_eq!(adds[0]["nextId"], first_id);
    assert_eq!(adds[0]["node"]["tagName"], "li");
    assert_eq!(adds[1]["node"]["textContent"], "three");
}

#[wasm_bindgen_test]
async fn values_typed_or_set_by_script_are_recorded_masked() {
    let section = container(r#"<input id="name" type="text"><input id="agree" type="checkbox">"#);
    let recording = Recording::start(&[]);
    // As a framework does it: the property, no event.
    by_id::<HtmlInputElement>("name").set_value("Ada");
    // As a user does it: the value changes, then `input` fires.
    by_id::<HtmlInputElement>("agree").click();
    let sink = recording.stop_after(0).await;
    section.remove();

    let inputs = incremental(&sink.events(), 5);
    assert_eq!(inputs.len(), 2, "{inputs:?}");
    assert_eq!(inputs[0]["text"], "***");
    assert_eq!(inputs[0]["userTriggered"], false);
    assert_eq!(inputs[1]["isChecked"], true);
    assert_eq!(inputs[1]["userTriggered"], true);
    assert!(!sink.raw_events().iter().any(|e| e.contains("Ada")));
}

/// Typing in a field fires `selectionchange` at the field on every
/// keystroke; reading the selection then lays the page out in Chromium.
/// Such events are read only while the last selection recorded selects
/// text: focus moving into a field from selected text (which Chromium tells
/// the field alone) still clears the replay's selection, and carets after
/// a caret are not read. Events at the document are always read.
#[wasm_bindgen_test]
async fn selection_changes_at_fields_are_read_only_while_text_is_selected() {
    let section = container(r#"<p id="sel-text">some words</p><input id="sel-field">"#);
    // Stands in for Chromium not telling the document: while set, the
    // engine's own `selectionchange` at the document never reaches rewind.
    eval(
        "window.__hideDocumentSelection = false; window.addEventListener('selectionchange', \
         (event) => { if (window.__hideDocumentSelection && event.target === document) \
         event.stopImmediatePropagation(); }, true);",
    );
    let recording = Recording::start(&[]);
    let text_id = element_with_id(&recording.sink.snapshot(), "sel-text")["childNodes"][0]["id"]
        .as_u64()
        .unwrap();
    let select = |start: u32, end: u32| {
        eval(&format!(
            "(() => {{ const text = document.getElementById('sel-text').firstChild; \
             document.getSelection().setBaseAndExtent(text, {start}, text, {end}); }})()"
        ));
    };
    let fire_at = |target: &str| {
        eval(&format!(
            "{target}.dispatchEvent(new Event('selectionchange', {{ bubbles: true }}))"
        ));
    };
    // Text selected, announced at the document.
    select(0, 4);
    settle(50).await;
    // A caret, announced at the field only: read, since text was selected.
    eval("window.__hideDocumentSelection = true");
    select(2, 2);
    settle(50).await;
    fire_at("document.getElementById('sel-field')");
    // Another caret, announced at the field only: not read.
    select(3, 3);
    settle(50).await;
    fire_at("document.getElementById('sel-field')");
    // A caret elsewhere, announced at the document: read.
    eval("window.__hideDocumentSelection = false");
    select(1, 1);
    let sink = recording.stop_after(50).await;
    section.remove();

    let ranges: Vec<Value> = incremental(&sink.events(), 14)
        .into_iter()
        .map(|data| data["ranges"].clone())
        .collect();
    let caret_or_text = |start: u32, end: u32| serde_json::json!([{"start": text_id, "startOffset": start, "end": text_id, "endOffset": end}]);
    assert_eq!(
        ranges,
        vec![
            caret_or_text(0, 4),
            caret_or_text(2, 2),
            caret_or_text(1, 1)
        ],
        "the text, the caret that cleared it, and the caret the document announced"
    );
}

/// The serialized element `#id` of an add in `mutation`.
fn added_with_id<'a>(mutation: &'a Value, id: &str) -> &'a Value {
    mutation["adds"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|add| &add["node"])
        .find(|node| node["attributes"]["id"] == id)
        .unwrap_or_else(|| panic!("#{id} not added in {mutation}"))
}

/// The attributes `mutation` changed on node `id`.
fn changed_attributes<'a>(mutation: &'a Value, id: &Value) -> &'a Value {
    mutation["attributes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|change| change["id"] == *id)
        .map(|change| &change["attributes"])
        .unwrap_or_else(|| panic!("no attribute change of {id} in {mutation}"))
}

/// Relative URLs reach the replay absolute, resolved as the page's own
/// fetches were: against the document's `<base>`, by the browser's URL
/// parser (a backslash is a slash in an http URL), in the snapshot, in
/// both kinds of Mutation event and in CSSOM edits; fragments and data
/// URLs stay as written.
#[wasm_bindgen_test]
async fn relative_urls_are_recorded_absolute_against_the_documents_base() {
    let base = document().create_element("base").unwrap();
    base.set_attribute("href", "https://cdn.example/assets/")
        .unwrap();
    let head = document().query_selector("head").unwrap().unwrap();
    head.append_child(&base).unwrap();
    let section = container(concat!(
        r#"<a id="u-link" href=" next/page.html?q=1#s ">next</a>"#,
        r#"<img id="u-img" src="img/a.png" srcset="a.png 1x, /b.png  2x">"#,
        r#"<img id="u-back" src="..\up.png">"#,
        r#"<div id="u-bg" style="background: url(bg.png)"></div>"#,
        r##"<a id="u-frag" href="#top">top</a>"##,
        r#"<img id="u-data" src="data:image/gif;base64,R0lGOD">"#,
        "<a id=\"u-odd\" href=\"odd.html\" title=\"a\u{1}b\">odd</a>",
        r#"<style id="u-style">.x { background: url("pic.png"); }</style>"#,
    ));
    let recording = Recording::start(&[]);
    let snapshot = recording.sink.snapshot();
    let style_id = element_with_id(&snapshot, "u-style")["id"].clone();
    let image_id = element_with_id(&snapshot, "u-img")["id"].clone();
    let link_id = element_with_id(&snapshot, "u-link")["id"].clone();

    // One batch of attribute changes only (the batch read), then one that
    // also adds a node (the buffer), then a rule through CSSOM.
    by_id::<Element>("u-link")
        .set_attribute("href", "/other")
        .unwrap();
    settle(0).await;
    let added = document().create_element("video").unwrap();
    added.set_id("u-added");
    added.set_attribute("poster", "poster.jpg").unwrap();
    section.append_child(&added).unwrap();
    by_id::<Element>("u-img")
        .set_attribute("src", "../changed.png")
        .unwrap();
    let sheet: web_sys::CssStyleSheet = by_id::<HtmlStyleElement>("u-style")
        .sheet()
        .unwrap()
        .unchecked_into();
    sheet
        .insert_rule_with_index(".y { background: url('y.png'); }", 1)
        .unwrap();
    let sink = recording.stop_after(0).await;
    section.remove();
    base.remove();

    let attributes = |id: &str| element_with_id(&snapshot, id)["attributes"].clone();
    assert_eq!(
        attributes("u-link")["href"],
        "https://cdn.example/assets/next/page.html?q=1#s"
    );
    assert_eq!(
        attributes("u-img")["src"],
        "https://cdn.example/assets/img/a.png"
    );
    assert_eq!(
        attributes("u-img")["srcset"],
        "https://cdn.example/assets/a.png 1x, https://cdn.example/b.png 2x"
    );
    assert_eq!(attributes("u-back")["src"], "https://cdn.example/up.png");
    assert_eq!(
        attributes("u-bg")["style"],
        "background: url(https://cdn.example/assets/bg.png)"
    );
    assert_eq!(attributes("u-frag")["href"], "#top");
    assert_eq!(
        attributes("u-data")["src"],
        "data:image/gif;base64,R0lGOD"
    );
    assert_eq!(
        attributes("u-odd")["href"],
        "https://cdn.example/assets/odd.html",
        "read attribute by attribute (U+0001 in its title)"
    );
    let css = attributes("u-style")["_cssText"].as_str().unwrap().to_owned();
    assert!(
        css.contains("url(\"https://cdn.example/assets/pic.png\")"),
        "{css}"
    );

    let mutations = incremental(&sink.events(), 0);
    assert_eq!(mutations.len(), 2, "{mutations:?}");
    assert_eq!(
        changed_attributes(&mutations[0], &link_id)["href"],
        "https://cdn.example/other"
    );
    assert_eq!(
        added_with_id(&mutations[1], "u-added")["attributes"]["poster"],
        "https://cdn.example/assets/poster.jpg"
    );
    assert_eq!(
        changed_attributes(&mutations[1], &image_id)["src"],
        "https://cdn.example/changed.png"
    );
    let rules = incremental(&sink.events(), 8);
    assert_eq!(rules[0]["id"], style_id);
    let rule = rules[0]["adds"][0]["rule"].as_str().unwrap();
    assert!(
        rule.contains("url(\"https://cdn.example/assets/y.png\")"),
        "{rule}"
    );
}

#[wasm_bindgen_test]
async fn cssom_edits_and_adopted_sheets_are_recorded() {
    let section = container(r#"<style id="sheet">.a { color: red; }</style>"#);
    let recording = Recording::start(&[]);
    let style_id = element_with_id(&recording.sink.snapshot(), "sheet")["id"].clone();
    let sheet: web_sys::CssStyleSheet = by_id::<HtmlStyleElement>("sheet")
        .sheet()
        .unwrap()
        .unchecked_into();
    sheet
        .insert_rule_with_index(".b { margin: 0px; }", 1)
        .unwrap();
    eval(
        "window.__adopted = new CSSStyleSheet(); __adopted.replaceSync('.c { padding: 1px; }');\
         document.adoptedStyleSheets = [__adopted];",
    );
    let sink = recording.stop_after(0).await;
    eval("document.adoptedStyleSheets = [];");
    section.remove();

    let rules = incremental(&sink.events(), 8);
    assert_eq!(rules[0]["id"], style_id);
    assert_eq!(
        rules[0]["adds"],
        serde_json::json!([{"rule": ".b { margin: 0px; }", "index": 1}])
    );
    assert!(
        rules.iter().all(|rule| rule.get("replaceSync").is_none()),
        "a sheet not yet adopted goes out whole on adoption"
    );
    let adopted = incremental(&sink.events(), 15);
    assert_eq!(adopted.len(), 1);
    assert_eq!(adopted[0]["id"], 1, "the document");
    assert_eq!(
        adopted[0]["styles"][0]["rules"][0]["rule"],
        ".c { padding: 1px; }"
    );
}

#[wasm_bindgen_test]
async fn uncaught_errors_become_console_error_plugin_events() {
    let recording = Recording::start(&[]);
    eval("window.dispatchEvent(new ErrorEvent('error', { message: 'Uncaught Error: cart exploded', error: new Error('cart exploded') }))");
    let plugins = plugin_events(&recording.stop().events());
    assert_eq!(plugins.len(), 1);
    let data = &plugins[0]["data"];
    assert_eq!(data["plugin"], "rrweb/console@1");
    assert_eq!(data["payload"]["level"], "error");
    assert_eq!(
        data["payload"]["payload"][0],
        "\"Uncaught Error: cart exploded\""
    );
    assert!(data["payload"]["trace"].as_array().is_some());
}

#[wasm_bindgen_test]
async fn unhandled_rejections_become_console_errors_with_name_message_and_stack() {
    let recording = Recording::start(&[]);
    // As the browser fires them: an Error with its stack, then a plain value.
    eval(
        "window.dispatchEvent(new PromiseRejectionEvent('unhandledrejection', { promise: Promise.resolve(), reason: new TypeError('cart is null') }));\
         window.dispatchEvent(new PromiseRejectionEvent('unhandledrejection', { promise: Promise.resolve(), reason: 42 }))",
    );
    let plugins = plugin_events(&recording.stop().events());
    assert_eq!(plugins.len(), 2, "{plugins:?}");
    let first = &plugins[0]["data"]["payload"];
    assert_eq!(first["level"], "error");
    assert_eq!(
        first["payload"][0],
        "\"Uncaught (in promise) TypeError: cart is null\""
    );
    assert!(
        first["trace"]
            .as_array()
            .is_some_and(|trace| !trace.is_empty()),
        "the Error's stack: {first}"
    );
    let second = &plugins[1]["data"]["payload"];
    assert_eq!(second["payload"][0], "\"Uncaught (in promise) 42\"");
}

#[wasm_bindgen_test]
async fn a_form_reset_records_each_field_back_at_its_default() {
    let section = container(
        r#"<form id="order"><input id="qty" value="1"><input id="gift" type="checkbox">
           <select id="size"><option>S</option><option>M</option></select></form>"#,
    );
    let recording = Recording::start(&[("maskAllInputs", false.into())]);
    by_id::<HtmlInputElement>("qty").set_value("12");
    by_id::<HtmlInputElement>("gift").click();
    eval("document.getElementById('size').value = 'M'");
    settle(20).await;
    eval("document.getElementById('order').reset()");
    let sink = recording.stop_after(50).await;
    section.remove();

    let inputs = incremental(&sink.events(), 5);
    let last = |element: &str| {
        let id = element_with_id(&sink.snapshot(), element)["id"].clone();
        inputs
            .iter()
            .rfind(|input| input["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no input event for #{element}: {inputs:?}"))
    };
    assert_eq!(last("qty")["text"], "1", "{inputs:?}");
    assert_eq!(last("gift")["isChecked"], false, "{inputs:?}");
    assert_eq!(last("size")["text"], "S", "{inputs:?}");
}

#[wasm_bindgen_test]
async fn checking_a_radio_records_the_radios_of_its_group_it_unchecked() {
    let section = container(
        r#"<input id="card" type="radio" name="pay" value="card" checked>
           <input id="cash" type="radio" name="pay" value="cash">"#,
    );
    let recording = Recording::start(&[]);
    by_id::<HtmlInputElement>("cash").click();
    let sink = recording.stop_after(0).await;
    section.remove();

    assert_checked_states(&sink, &[("cash", true), ("card", false)]);
}

/// That the Input events recorded are, in order, the elements with these
/// ids in these checked states.
fn assert_checked_states(sink: &Sink, expected: &[(&str, bool)]) {
    let snapshot = sink.snapshot();
    let recorded: Vec<(Value, Value)> = incremental(&sink.events(), 5)
        .iter()
        .map(|input| (input["id"].clone(), input["isChecked"].clone()))
        .collect();
    let expected: Vec<(Value, Value)> = expected
        .iter()
        .map(|(id, checked)| {
            (
                element_with_id(&snapshot, id)["id"].clone(),
                Value::Bool(*checked),
            )
        })
        .collect();
    assert_eq!(recorded, expected);
}

#[wasm_bindgen_test]
async fn a_radio_group_inside_a_shadow_root_is_read_there_not_in_the_document() {
    // Same name in the document and in a shadow root: two groups. Checking
    // the shadow root's second radio unchecks only its first.
    let section = container(
        r#"<input id="outside" type="radio" name="size" value="s" checked><div id="picker"></div>"#,
    );
    eval(
        r#"document.getElementById('picker').attachShadow({ mode: 'open' }).innerHTML =
             '<input id="small" type="radio" name="size" value="s" checked><input id="large" type="radio" name="size" value="l">';"#,
    );
    let recording = Recording::start(&[]);
    eval("document.getElementById('picker').shadowRoot.getElementById('large').click()");
    let sink = recording.stop_after(0).await;
    section.remove();

    assert_checked_states(&sink, &[("large", true), ("small", false)]);
}

#[wasm_bindgen_test]
async fn numbers_read_together_land_where_rrweb_puts_them() {
    // Viewport, a blocked element's box, a media element's state (in the
    // snapshot and in a media event), a click's and a touch's position:
    // each read in one `readNumbers` crossing.
    let section = container(
        r#"<div class="rr-block" id="secret" style="width: 120px; height: 30px">card</div>
           <audio id="clip" loop muted></audio>
           <button id="buy" style="position: fixed; left: 40px; top: 60px">Buy</button>"#,
    );
    eval("document.getElementById('clip').playbackRate = 1.5; document.getElementById('clip').volume = 0.25");
    let recording = Recording::start(&[]);
    eval(
        "document.getElementById('clip').playbackRate = 2;\
         const buy = document.getElementById('buy');\
         buy.dispatchEvent(new MouseEvent('click', { bubbles: true, clientX: 45.75, clientY: 70 }));\
         if (typeof Touch === 'function') {\
           const touch = new Touch({ identifier: 1, target: buy, clientX: 41, clientY: 61.5 });\
           buy.dispatchEvent(new TouchEvent('touchstart', { bubbles: true, changedTouches: [touch], touches: [touch] }));\
         }",
    );
    // Desktop Firefox has no Touch constructor (touch events are off there).
    let has_touch = eval("typeof Touch === 'function'").as_bool() == Some(true);
    let sink = recording.stop_after(50).await;
    section.remove();

    let events = sink.events();
    let window = web_sys::window().unwrap();
    assert_eq!(
        events[0]["data"]["width"].as_f64(),
        window.inner_width().unwrap().as_f64()
    );
    assert_eq!(
        events[0]["data"]["height"].as_f64(),
        window.inner_height().unwrap().as_f64()
    );
    let snapshot = sink.snapshot();
    // (A placeholder keeps its class only: found by its size.)
    let secret = &find(&snapshot, &|node| {
        node["attributes"]["rr_width"].is_string()
    })
    .expect("the blocked element's placeholder")["attributes"];
    assert_eq!(secret["rr_width"], "120px");
    assert_eq!(secret["rr_height"], "30px");
    let clip = &element_with_id(&snapshot, "clip")["attributes"];
    assert_eq!(clip["rr_mediaState"], "paused");
    assert_eq!(clip["rr_mediaPlaybackRate"], 1.5);
    assert_eq!(clip["rr_mediaVolume"], 0.25);
    assert_eq!(clip["rr_mediaMuted"], true);
    assert_eq!(clip["rr_mediaLoop"], true);

    // (The changes made before start() fire their events after it.)
    let media = incremental(&events, 7);
    let last = media.last().expect("media events");
    assert_eq!(last["type"], 4, "ratechange: {media:?}");
    assert_eq!(last["playbackRate"], 2);
    assert_eq!(last["muted"], true);
    assert_eq!(last["loop"], true);
    assert_eq!(last["volume"], 0.25);

    let interactions = incremental(&events, 2);
    let at = |kind: u64| {
        let found = interactions
            .iter()
            .find(|event| event["type"] == kind)
            .unwrap_or_else(|| panic!("no interaction of type {kind}: {interactions:?}"));
        (found["x"].clone(), found["y"].clone())
    };
    // Whole pixels, as rrweb records them.
    assert_eq!(at(2), (Value::from(45), Value::from(70)), "click");
    if has_touch {
        assert_eq!(at(7), (Value::from(41), Value::from(61)), "touch start");
    }
}

#[wasm_bindgen_test]
async fn scrolled_elements_report_their_latest_position() {
    let section = container(
        r#"<div id="box" style="height: 50px; overflow: auto"><div style="height: 500px">tall</div></div>"#,
    );
    let recording = Recording::start(&[]);
    let box_id = element_with_id(&recording.sink.snapshot(), "box")["id"].clone();
    let scroller = document().get_element_by_id("box").unwrap();
    scroller.set_scroll_top(40);
    settle(50).await;
    scroller.set_scroll_top(120);
    let sink = recording.stop_after(300).await;
    section.remove();
    let scrolls = incremental(&sink.events(), 3);
    assert!(!scrolls.is_empty());
    let last = scrolls.last().unwrap();
    assert_eq!(last["id"], box_id);
    assert_eq!(last["y"], 120);
}

#[wasm_bindgen_test]
async fn pointer_moves_are_written_before_any_event_that_follows_them() {
    let section = container(r#"<div id="pad" style="height: 40px">pad</div><p id="note">x</p>"#);
    let recording = Recording::start(&[]);
    eval(
        "document.getElementById('pad').dispatchEvent(new MouseEvent('mousemove', \
         { bubbles: true, clientX: 5, clientY: 6 }))",
    );
    // A DOM change in a later task, well inside the moves' batch time.
    settle(20).await;
    document().get_element_by_id("note").unwrap().remove();
    let sink = recording.stop_after(20).await;
    section.remove();

    let events = sink.events();
    let source_of = |event: &Value| {
        (event["type"] == 3)
            .then(|| event["data"]["source"].as_u64())
            .flatten()
    };
    let moves_at = events.iter().position(|e| source_of(e) == Some(1));
    let removal_at = events.iter().position(|e| {
        source_of(e) == Some(0) && !e["data"]["removes"].as_array().unwrap().is_empty()
    });
    let (Some(moves_at), Some(removal_at)) = (moves_at, removal_at) else {
        panic!("expected a batch of moves and a removal: {events:?}");
    };
    assert!(
        moves_at < removal_at,
        "the move sampled before the removal is written before it: {events:?}"
    );
    // rrweb's Replayer resumes a seek that stopped on a batch of moves from
    // the batch's first position: no event written before a batch may be
    // later than that position, or it is applied twice.
    let mut latest = f64::MIN;
    for event in &events {
        let timestamp = event["timestamp"].as_f64().unwrap();
        assert!(timestamp >= latest, "events in time order: {events:?}");
        if source_of(event) == Some(1) {
            let first = timestamp
                + event["data"]["positions"][0]["timeOffset"]
                    .as_f64()
                    .unwrap();
            assert!(
                first >= latest,
                "moves from {first} after an event at {latest}: {events:?}"
            );
        }
        latest = latest.max(timestamp);
    }
}

#[wasm_bindgen_test]
async fn checkout_every_nth_event_takes_a_fresh_snapshot() {
    let section = container("<p id=\"count\">0</p>");
    let recording = Recording::start(&[("checkoutEveryNth", 2.into())]);
    let counter = document().get_element_by_id("count").unwrap();
    for value in ["1", "2", "3"] {
        counter.set_text_content(Some(value));
        settle(0).await;
    }
    let sink = recording.stop();
    section.remove();
    let types: Vec<u64> = sink
        .events()
        .iter()
        .map(|e| e["type"].as_u64().unwrap())
        .collect();
    assert_eq!(
        types,
        vec![4, 2, 3, 3, 4, 2, 3],
        "a checkout after every second incremental event"
    );
}

#[wasm_bindgen_test]
async fn stop_puts_the_prototypes_back_and_records_nothing_more() {
    let original = eval("CSSStyleSheet.prototype.insertRule");
    let original_setter =
        eval("Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set");
    let recording = Recording::start(&[]);
    assert_ne!(
        eval("CSSStyleSheet.prototype.insertRule"),
        original,
        "hooked while recording"
    );
    let sink = recording.stop();
    assert_eq!(eval("CSSStyleSheet.prototype.insertRule"), original);
    assert_eq!(
        eval("Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set"),
        original_setter
    );
    let before = sink.events().len();
    let section = container("<p>after stop</p>");
    settle(150).await;
    section.remove();
    assert_eq!(
        sink.events().len(),
        before,
        "no observer or listener is left"
    );
}

#[wasm_bindgen_test]
async fn a_recorder_freed_without_stop_detaches_everything_it_attached() {
    let original = eval("CSSStyleSheet.prototype.insertRule");
    let original_setter =
        eval("Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set");
    let Recording { sink, recorder } = Recording::start(&[]);
    let section = container("<p>while recording</p>");
    settle(50).await;
    let before = sink.events().len();
    // What the JS entry's `free()` does: the handle goes, no stop() first.
    drop(recorder);
    assert_eq!(
        eval("CSSStyleSheet.prototype.insertRule"),
        original,
        "the CSSOM hooks are uninstalled"
    );
    assert_eq!(
        eval("Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set"),
        original_setter,
        "the value setters are put back"
    );
    section.remove();
    let after = container("<p>after free</p>");
    eval("document.body.dispatchEvent(new MouseEvent('click', { bubbles: true }))");
    settle(150).await;
    after.remove();
    assert_eq!(
        sink.events().len(),
        before,
        "no observer, listener or timer is left to record"
    );
}

#[wasm_bindgen_test]
async fn fields_and_scrollers_inside_open_shadow_roots_are_recorded_under_their_own_ids() {
    let section = container(r#"<div id="outer-host"></div>"#);
    eval(
        r#"
        const outer = document.getElementById('outer-host').attachShadow({ mode: 'open' });
        outer.innerHTML = '<input id="inner-field"><div id="inner-host"></div>';
        const inner = outer.getElementById('inner-host').attachShadow({ mode: 'open' });
        inner.innerHTML = '<textarea id="deep-notes"></textarea>' +
          '<div id="deep-scroller" style="height: 40px; overflow: auto"><div style="height: 400px">tall</div></div>';
        "#,
    );
    let recording = Recording::start(&[("maskAllInputs", false.into())]);
    let snapshot = recording.sink.snapshot();
    let field_id = element_with_id(&snapshot, "inner-field")["id"].clone();
    let notes_id = element_with_id(&snapshot, "deep-notes")["id"].clone();
    let scroller_id = element_with_id(&snapshot, "deep-scroller")["id"].clone();
    eval(
        r#"
        const outer = document.getElementById('outer-host').shadowRoot;
        const field = outer.getElementById('inner-field');
        // As typing does it: the value changes (not through the setter),
        // then a composed input event, which reaches the document
        // retargeted to the outer host.
        field.setRangeText('typed');
        field.dispatchEvent(new InputEvent('input', { bubbles: true, composed: true }));
        const inner = outer.getElementById('inner-host').shadowRoot;
        const notes = inner.getElementById('deep-notes');
        notes.setRangeText('noted');
        // Not composed: it never leaves the nested root.
        notes.dispatchEvent(new Event('change', { bubbles: true }));
        // Scroll events neither bubble nor leave a shadow root.
        inner.getElementById('deep-scroller').scrollTop = 120;
        "#,
    );
    let sink = recording.stop_after(300).await;
    section.remove();

    let inputs = incremental(&sink.events(), 5);
    let text_of = |id: &Value| {
        inputs
            .iter()
            .find(|input| input["id"] == *id)
            .map(|input| input["text"].clone())
    };
    assert_eq!(text_of(&field_id), Some("typed".into()), "{inputs:?}");
    assert_eq!(text_of(&notes_id), Some("noted".into()), "{inputs:?}");
    assert_eq!(inputs.len(), 2, "one event per field: {inputs:?}");
    let scrolls = incremental(&sink.events(), 3);
    let last = scrolls
        .last()
        .expect("the scroll inside the root is recorded");
    assert_eq!(last["id"], scroller_id);
    assert_eq!(last["y"], 120);
}

#[wasm_bindgen_test]
async fn a_sheet_shared_by_shadow_roots_is_sent_once_and_only_into_roots_the_replay_has() {
    let section =
        container(r#"<div id="card-a"></div><div id="card-b"></div><div id="late-card"></div>"#);
    eval(
        r#"
        window.__shared = new CSSStyleSheet();
        __shared.replaceSync('.title { color: blue; }');
        for (const id of ['card-a', 'card-b']) {
          const root = document.getElementById(id).attachShadow({ mode: 'open' });
          root.adoptedStyleSheets = [__shared];
          root.innerHTML = '<p class="title">card</p>';
        }
        "#,
    );
    let recording = Recording::start(&[]);
    let snapshot = recording.sink.snapshot();
    let document_id = snapshot["id"].clone();
    let late_id = element_with_id(&snapshot, "late-card")["id"].clone();
    // As Lit does when an element recorded already is upgraded: a root and
    // its sheets now, the content a microtask later.
    eval(
        r#"
        window.__late = new CSSStyleSheet();
        __late.replaceSync('.late { margin: 0px; }');
        window.__lateRoot = document.getElementById('late-card').attachShadow({ mode: 'open' });
        __lateRoot.adoptedStyleSheets = [__shared, __late];
        "#,
    );
    settle(0).await;
    let before_content = incremental(&recording.sink.events(), 15).len();
    eval("__lateRoot.innerHTML = '<p class=\"late\">late</p>';");
    let sink = recording.stop_after(0).await;
    section.remove();

    let adopted = incremental(&sink.events(), 15);
    assert_eq!(adopted.len(), 4, "{adopted:?}");
    // The snapshot's: one event for the document carries the rules, once;
    // the roots' events (after it) only name the sheet.
    assert_eq!(adopted[0]["id"], document_id);
    let styles = adopted[0]["styles"].as_array().unwrap();
    assert_eq!(styles.len(), 1, "{adopted:?}");
    assert_eq!(styles[0]["rules"][0]["rule"], ".title { color: blue; }");
    let shared_id = styles[0]["styleId"].clone();
    for card in &adopted[1..3] {
        assert_eq!(card["styles"], serde_json::json!([]));
        assert_eq!(card["styleIds"], serde_json::json!([shared_id]));
    }
    // The late root's adoption waits for its content: until then the
    // replay has no root to adopt into (and would drop the sheets).
    assert_eq!(before_content, 3, "{adopted:?}");
    let late = &adopted[3];
    assert_eq!(late["id"], late_id);
    let late_styles = late["styles"].as_array().unwrap();
    assert_eq!(late_styles.len(), 1, "only the sheet the replay lacks");
    assert_eq!(late_styles[0]["rules"][0]["rule"], ".late { margin: 0px; }");
    assert_eq!(
        late["styleIds"],
        serde_json::json!([shared_id, late_styles[0]["styleId"]])
    );
}

// ---- Console capture (`captureConsole`). ----

/// `captureConsole` naming `levels`.
fn console_levels(levels: &[&str]) -> (&'static str, JsValue) {
    let list: js_sys::Array = levels.iter().map(|level| JsValue::from(*level)).collect();
    ("captureConsole", list.into())
}

/// The console plugin events' payloads (`{ level, trace, payload }`).
fn console_events(events: &[Value]) -> Vec<Value> {
    events
        .iter()
        .filter(|e| e["type"] == 6 && e["data"]["plugin"] == "rrweb/console@1")
        .map(|e| e["data"]["payload"].clone())
        .collect()
}

/// Each recorded argument parsed, as rrweb's console replay parses it.
fn arguments_of(payload: &Value) -> Vec<Value> {
    payload["payload"]
        .as_array()
        .unwrap()
        .iter()
        .map(|text| serde_json::from_str(text.as_str().unwrap()).unwrap())
        .collect()
}

#[wasm_bindgen_test]
async fn console_calls_are_recorded_with_their_arguments_and_the_callers_trace() {
    let recording = Recording::start(&[console_levels(&[
        "log", "info", "warn", "error", "debug", "assert", "trace",
    ])]);
    eval(
        r#"
        function checkoutStep() {
          console.warn('low stock', { sku: 'A1', left: 2 }, [1, 'two']);
        }
        checkoutStep();
        console.log('plain');
        console.assert(1 + 1 === 2, 'holds: not logged');
        console.assert(false, 'broken', 7);
        console.info(); console.debug(null); console.error(0);
        "#,
    );
    let events = console_events(&recording.stop().events());
    let levels: Vec<&str> = events
        .iter()
        .map(|e| e["level"].as_str().unwrap())
        .collect();
    assert_eq!(levels, ["warn", "log", "assert", "info", "debug", "error"]);
    assert_eq!(
        events[0]["payload"],
        serde_json::json!([
            "\"low stock\"",
            "{\"sku\":\"A1\",\"left\":2}",
            "[1,\"two\"]"
        ]),
        "each argument as its JSON text, as rrweb's console plugin stores them"
    );
    let trace: Vec<&str> = events[0]["trace"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line.as_str().unwrap())
        .collect();
    assert!(
        trace[0].contains("checkoutStep"),
        "the trace starts at the caller, not in rewind's wrapper: {trace:?}"
    );
    // A failed assert keeps its condition, so the replay's console.assert
    // fails too.
    assert_eq!(
        arguments_of(&events[2]),
        [Value::Bool(false), "broken".into(), 7.into()]
    );
    assert_eq!(events[3]["payload"], serde_json::json!([]));
    assert_eq!(arguments_of(&events[4]), [Value::Null]);
}

#[wasm_bindgen_test]
async fn console_arguments_are_read_safely_and_dom_nodes_never_by_their_text() {
    let section = container(
        r#"<p id="secret-p" class="note  big">card ends 4242</p><input id="pin" class="pin" value="9911">"#,
    );
    let recording = Recording::start(&[console_levels(&["log"])]);
    eval(
        r#"
        const cyclic = { name: 'loop', list: [] };
        cyclic.self = cyclic;
        cyclic.list.push(cyclic);
        const trap = { ok: 1 };
        Object.defineProperty(trap, 'bad', { enumerable: true, get() { throw new Error('getter broke'); } });
        const error = new TypeError('cart is empty');
        const deep = { a: { b: { c: { d: { e: { f: 1 } } } } } };
        console.log(cyclic, document.getElementById('secret-p'), document.getElementById('pin'),
          document.getElementById('secret-p').firstChild, error, trap);
        console.log(function namedFn() {}, Symbol('tag'), 12n, undefined, NaN, -Infinity, deep,
          new Map([['k', 1]]), new Set(['s']), Array.from({ length: 60 }, (_, i) => i));
        "#,
    );
    let sink = recording.stop();
    section.remove();
    let events = console_events(&sink.events());
    for event in &events {
        let text = event.to_string();
        assert!(
            !text.contains("4242") && !text.contains("9911"),
            "no node's text or value is recorded: {text}"
        );
    }
    assert_eq!(events.len(), 2, "{events:?}");
    let first = arguments_of(&events[0]);
    assert_eq!(
        first[0],
        serde_json::json!({ "name": "loop", "list": ["[Circular]"], "self": "[Circular]" })
    );
    assert_eq!(first[1], "<p#secret-p.note.big>");
    assert_eq!(first[2], "<input#pin.pin>");
    assert_eq!(first[3], "#text");
    let error = first[4].as_str().unwrap();
    assert!(
        error.starts_with("TypeError: cart is empty"),
        "name: message, then the stack: {error}"
    );
    assert!(error.lines().count() > 1, "with its stack: {error}");
    assert_eq!(
        first[5],
        serde_json::json!({ "ok": 1, "bad": "[getter threw]" })
    );
    let second = arguments_of(&events[1]);
    assert_eq!(second[0], "[Function: namedFn]");
    assert_eq!(second[1], "Symbol(tag)");
    assert_eq!(second[2], "12n");
    assert_eq!(second[3], "undefined");
    assert_eq!(second[4], "NaN");
    assert_eq!(second[5], "-Infinity");
    assert_eq!(
        second[6],
        serde_json::json!({ "a": { "b": { "c": { "d": "[Object]" } } } }),
        "nested past the depth cap"
    );
    assert_eq!(second[7], serde_json::json!([["k", 1]]));
    assert_eq!(second[8], serde_json::json!(["s"]));
    let long = second[9].as_array().unwrap();
    assert_eq!(long.len(), 51, "50 items, then how many more");
    assert_eq!(long[50], "… 10 more");
}

#[wasm_bindgen_test]
async fn a_flood_of_console_calls_is_capped_and_the_dropped_ones_counted() {
    let recording = Recording::start(&[console_levels(&["log"])]);
    eval("for (let i = 0; i < 100; i++) console.log('tick', i);");
    let events = console_events(&recording.stop().events());
    // 20 a second (core::console::MAX_EVENTS_PER_SECOND), then the count,
    // written when the recording stopped.
    assert_eq!(events.len(), 21, "{events:?}");
    assert_eq!(arguments_of(&events[19]), ["tick".into(), Value::from(19)]);
    assert_eq!(events[20]["level"], "warn");
    assert_eq!(
        arguments_of(&events[20]),
        ["[rewind] 80 console calls not recorded (over 20 a second)"]
    );
}

#[wasm_bindgen_test]
async fn console_calls_are_not_counted_toward_checkout_every_nth() {
    let section = container("<p id=\"tally\">0</p>");
    let recording = Recording::start(&[("checkoutEveryNth", 2.into()), console_levels(&["warn"])]);
    let tally = document().get_element_by_id("tally").unwrap();
    for value in ["1", "2", "3"] {
        eval("console.warn('between two changes')");
        tally.set_text_content(Some(value));
        settle(0).await;
    }
    let sink = recording.stop();
    section.remove();
    let types: Vec<u64> = sink
        .events()
        .iter()
        .map(|e| e["type"].as_u64().unwrap())
        .collect();
    // As rrweb's checkoutEveryNth: only incremental events count, so the
    // console's Plugin events never bring a checkout forward; and a call
    // made after the first snapshot is recorded when made, not kept for
    // the next snapshot as the calls made before the first one are.
    assert_eq!(
        types,
        vec![4, 2, 6, 3, 6, 3, 4, 2, 6, 3],
        "a checkout after every second incremental event, console calls between"
    );
}

#[wasm_bindgen_test]
async fn the_console_behaves_as_before_and_stop_puts_the_page_s_methods_back() {
    // The page's own wrapper, installed before rewind: it sees the same
    // `this` and arguments, and its return value reaches the caller.
    eval(
        r#"
        window.__nativeLog = console.log;
        window.__seen = [];
        window.__pageLog = function (...args) {
          __seen.push({ self: this, args });
          __nativeLog.apply(console, args);
          return 'page-result';
        };
        console.log = __pageLog;
        "#,
    );
    let recording = Recording::start(&[console_levels(&["log"])]);
    assert_ne!(eval("console.log === __pageLog"), JsValue::TRUE, "wrapped");
    let same = eval(
        r#"
        const self = { me: 1 };
        const arg = { a: 1 };
        const result = console.log.call(self, arg, 'x');
        const seen = __seen[__seen.length - 1];
        result === 'page-result' && seen.self === self && seen.args[0] === arg && seen.args[1] === 'x' && seen.args.length === 2
        "#,
    );
    assert_eq!(same, JsValue::TRUE, "same this, arguments and return value");
    assert_eq!(eval("console.log.name"), JsValue::from("log"));
    let sink = recording.stop();
    assert_eq!(
        eval("console.log === __pageLog"),
        JsValue::TRUE,
        "stop() puts the page's method back"
    );
    assert_eq!(
        eval("console.log('after stop')"),
        JsValue::from("page-result")
    );

    // The page wraps the console again after rewind did: stop() leaves the
    // page's wrapper in place, and rewind's under it only calls through.
    let recording = Recording::start(&[console_levels(&["log"])]);
    eval(
        r#"
        window.__rewindLog = console.log;
        window.__laterLog = function (...args) { return __rewindLog.apply(this, args); };
        console.log = __laterLog;
        console.log('while recording');
        "#,
    );
    let later = recording.stop();
    assert_eq!(eval("console.log === __laterLog"), JsValue::TRUE);
    let before = console_events(&later.events()).len();
    assert_eq!(
        eval("console.log('after, through both')"),
        JsValue::from("page-result")
    );
    assert_eq!(console_events(&later.events()).len(), before);
    assert_eq!(before, 1, "the call while recording");
    assert!(console_events(&sink.events()).len() == 1);
    eval("console.log = __nativeLog;");
}

#[wasm_bindgen_test]
async fn a_recorder_freed_without_stop_puts_the_console_back() {
    let original = eval("console.warn");
    let Recording { sink, recorder } = Recording::start(&[]);
    assert_ne!(
        eval("console.warn"),
        original,
        "warn is captured by default"
    );
    drop(recorder);
    assert_eq!(eval("console.warn"), original);
    assert!(console_events(&sink.events()).is_empty());
}

#[wasm_bindgen_test]
async fn capture_console_off_leaves_the_console_alone() {
    let original = eval("console.error");
    let recording = Recording::start(&[console_levels(&[])]);
    assert_eq!(eval("console.error"), original);
    eval("console.error('not recorded')");
    assert!(console_events(&recording.stop().events()).is_empty());
}

#[wasm_bindgen_test]
async fn rewind_s_own_debug_logging_is_never_recorded() {
    // debug: true makes the recorder say what it does with each chunk
    // (`[rewind] …` through DebugLog, as the courier does in JS).
    let recording = Recording::start(&[
        ("debug", true.into()),
        ("endpoint", "/rewind-console-test-ingest".into()),
        console_levels(&["log", "info", "warn", "error", "debug"]),
    ]);
    let _flushed = flush(&recording.recorder);
    settle(500).await;
    eval("console.warn('[rewind] spelled like rewind: also never recorded'); console.warn('the page speaks');");
    let events = console_events(&recording.stop().events());
    let recorded: Vec<String> = events.iter().map(|e| e["payload"].to_string()).collect();
    assert_eq!(recorded, ["[\"\\\"the page speaks\\\"\"]"], "{events:?}");
}

// ---- The page naming the replay (setSessionId, the Segment plugin). ----

/// A session id of the form `s<n>` that `sampleRate` `rate` keeps (or not).
fn session_sampled(rate: f64, kept: bool) -> String {
    (1..1000)
        .map(|n| format!("s{n}"))
        .find(|id| rewind::core::sampling::is_session_sampled(id, rate) == kept)
        .expect("a session id either way within 1000 tries")
}

/// `setSessionId(sessionId, deviceId)`, as the JS entry tells the
/// recorder (`TELL.switchReplay` in js/sampling.js): whether the replay
/// changed.
fn switch_replay(recorder: &Recorder, session: Option<String>, device: Option<String>) -> bool {
    recorder.tell(3, session, device)
}

/// The replay id `getReplayId()` reports: the current replay's, while its
/// session is recorded (`status()[0]`).
fn capturing_replay(recorder: &Recorder) -> Option<String> {
    (recorder.status().first() == Some(&1.0))
        .then(|| recorder.current_replay())
        .flatten()
}

#[wasm_bindgen_test]
async fn a_session_named_by_the_page_is_a_new_replay_sampled_afresh() {
    let outside = session_sampled(0.5, false);
    let inside = session_sampled(0.5, true);
    let sink = Sink::new();
    let recorder = started(sink.options(&[
        ("sessionId", outside.as_str().into()),
        ("deviceId", "device-1".into()),
        ("sampleRate", 0.5.into()),
    ]));
    assert!(sink.events().is_empty(), "outside sampleRate: nothing");
    assert_eq!(capturing_replay(&recorder), None);
    assert_eq!(
        recorder.current_replay(),
        Some(format!("device-1/{outside}"))
    );

    // Into a session sampleRate keeps: what was never attached is now,
    // and the new replay opens with a Meta event and a full snapshot.
    let switched = switch_replay(&recorder, Some(inside.clone()), Some("device-2".into()));
    assert!(switched);
    let _ = flush(&recorder);
    let types: Vec<Value> = sink.events().iter().map(|e| e["type"].clone()).collect();
    assert_eq!(types, [4, 2]);
    assert_eq!(
        capturing_replay(&recorder),
        Some(format!("device-2/{inside}"))
    );
    let section = container(r#"<p id="named-session">after the switch</p>"#);
    settle(50).await;
    section.remove();
    settle(50).await;
    assert!(
        !incremental(&sink.events(), 0).is_empty(),
        "the page's changes are recorded in the new replay"
    );

    // The same ids change nothing. (A bad id never reaches the wasm:
    // js/options.js's checkReplayIds refuses it, tests/e2e/options.test.mjs.)
    let same = switch_replay(&recorder, Some(inside.clone()), Some("device-2".into()));
    assert!(!same);

    // Back outside sampleRate: the replay ends, nothing more is recorded.
    assert!(switch_replay(&recorder, Some(outside.clone()), None));
    assert_eq!(capturing_replay(&recorder), None);
    let before = sink.events().len();
    let section = container("<p>not recorded</p>");
    settle(50).await;
    section.remove();
    let _stopping = stop(&recorder);
    assert_eq!(sink.events().len(), before, "nothing after the switch out");
}

#[wasm_bindgen_test]
fn a_new_device_id_is_a_random_version_4_uuid_and_is_kept() {
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    let _ = storage.remove_item("rewind:device");
    let sink = Sink::new();
    let recorder = started(sink.options(&[]));
    let replay = recorder.current_replay().unwrap();
    let device = replay.split('/').next().unwrap();
    assert_eq!(device.len(), 36, "{device}");
    for (index, digit) in device.chars().enumerate() {
        match index {
            8 | 13 | 18 | 23 => assert_eq!(digit, '-', "{device}"),
            14 => assert_eq!(digit, '4', "{device}"),
            19 => assert!(matches!(digit, '8' | '9' | 'a' | 'b'), "{device}"),
            _ => assert!(matches!(digit, '0'..='9' | 'a'..='f'), "{device}"),
        }
    }
    assert_eq!(
        storage.get_item("rewind:device").unwrap().as_deref(),
        Some(device)
    );
    let _stopping = stop(&recorder);
}

#[wasm_bindgen_test]
async fn a_page_turning_hidden_seals_and_sends_with_keepalive_and_a_visible_one_does_not() {
    // A courier that counts the chunks it is handed, and those handed to
    // it to send with keepalive before the page may go.
    let courier: Courier = eval(
        "({ stored: 0, beforeUnload: 0, configure() {}, compressesOffThread() { return false; }, \
         appendPart() {}, store() { this.stored += 1; return Promise.resolve(); }, \
         sendBeforeUnload() { this.beforeUnload += 1; return false; } })",
    )
    .unchecked_into();
    let count = |what: &str| {
        Reflect::get(&courier, &what.into())
            .unwrap()
            .as_f64()
            .unwrap()
    };
    let options = options_of(&[
        ("endpoint", "https://rewind.invalid/".into()),
        ("flushIntervalMs", 600_000.into()),
    ]);
    let checked = option_values(&check_options(&options).unwrap());
    let recorder = Recorder::new(
        checked,
        courier.clone(),
        tab_storage(),
        js_sys::Array::new(),
    )
    .unwrap();
    let _ = flush(&recorder);
    let stored = count("stored");
    assert!(stored >= 1.0, "the first snapshot's chunk is stored");

    // The test page never really hides: its visibilityState is overridden.
    eval(
        "window.__rewindVisibility = 'visible'; \
         Object.defineProperty(document, 'visibilityState', \
           { configurable: true, get: () => window.__rewindVisibility });",
    );
    let section = container("<p>changed</p>");
    settle(50).await;
    let turn = |state: &str| {
        eval(&format!(
            "window.__rewindVisibility = '{state}'; \
             document.dispatchEvent(new Event('visibilitychange'));"
        ));
    };
    turn("visible");
    let (after_visible, sent_visible) = (count("stored"), count("beforeUnload"));
    turn("hidden");
    let (after_hidden, sent_hidden) = (count("stored"), count("beforeUnload"));
    eval("delete document.visibilityState; delete window.__rewindVisibility;");
    section.remove();
    let _stopping = stop(&recorder);

    assert_eq!(
        (after_visible, sent_visible),
        (stored, 0.0),
        "visible: nothing sealed"
    );
    assert_eq!(
        (after_hidden, sent_hidden),
        (stored + 1.0, 1.0),
        "hidden: the change is sealed, stored and sent with keepalive"
    );
}
