//! The web layer in a real browser: `wasm-pack test --headless --chrome`
//! (and `--firefox`). Each test builds its DOM, records it and checks the
//! events the recorder emitted.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Object, Reflect};
use rewind::{Courier, Recorder};
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
            let text = js_sys::JSON::stringify(&event).unwrap().as_string().unwrap();
            target.borrow_mut().push(text);
        });
        Sink { events, callback }
    }

    fn options(&self, extra: &[(&str, JsValue)]) -> JsValue {
        let options = Object::new();
        Reflect::set(&options, &"emit".into(), self.callback.as_ref()).unwrap();
        for (key, value) in extra {
            Reflect::set(&options, &(*key).into(), value).unwrap();
        }
        options.into()
    }

    /// The events parsed (serde_json parses at most 128 levels deep).
    fn events(&self) -> Vec<Value> {
        self.events.borrow().iter().map(|text| serde_json::from_str(text).unwrap()).collect()
    }

    fn raw_events(&self) -> Vec<String> {
        self.events.borrow().clone()
    }
}

fn document() -> Document {
    web_sys::window().unwrap().document().unwrap()
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
    node["childNodes"].as_array()?.iter().find_map(|child| find(child, predicate))
}

fn element_with_id<'a>(snapshot: &'a Value, id: &str) -> &'a Value {
    find(snapshot, &|n| n["attributes"]["id"] == id).unwrap_or_else(|| panic!("no #{id} in snapshot"))
}

/// The message of the error `Recorder::new` rejected `options` with.
fn rejection_message(options: JsValue) -> String {
    let error = match Recorder::new(options, &Courier::new()) {
        Ok(_) => panic!("these options must be rejected"),
        Err(error) => JsValue::from(error),
    };
    Reflect::get(&error, &"message".into()).unwrap().as_string().unwrap()
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
    let sink = Sink::new();
    let mut recorder = Recorder::new(sink.options(&[]), &Courier::new()).unwrap();
    let _stopping = recorder.stop();
    section.remove();

    let events = sink.events();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["type"], 4);
    assert_eq!(events[0]["data"]["href"], web_sys::window().unwrap().location().href().unwrap());
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
fn typed_values_are_masked_and_passwords_even_when_inputs_are_not() {
    let section = container(
        r#"<input id="name" value="markup"><input id="secret" type="password">
           <input id="agree" type="checkbox"><textarea id="notes">default</textarea>"#,
    );
    let by_id = |id: &str| document().get_element_by_id(id).unwrap();
    by_id("name").unchecked_into::<HtmlInputElement>().set_value("Ada Lovelace");
    by_id("secret").unchecked_into::<HtmlInputElement>().set_value("hunter2");
    by_id("agree").unchecked_into::<HtmlInputElement>().set_checked(true);

    let masked = Sink::new();
    let _stopping = Recorder::new(masked.options(&[]), &Courier::new()).unwrap().stop();
    let unmasked = Sink::new();
    let _stopping = Recorder::new(unmasked.options(&[("maskAllInputs", false.into())]), &Courier::new()).unwrap().stop();
    section.remove();

    let masked_text = serde_json::to_string(&masked.events()).unwrap();
    for secret in ["Ada Lovelace", "hunter2", "markup", "default"] {
        assert!(!masked_text.contains(secret), "{secret} leaked with default masking");
    }
    let snapshot = &masked.events()[1]["data"]["node"];
    assert_eq!(element_with_id(snapshot, "name")["attributes"]["value"], "************");
    assert_eq!(element_with_id(snapshot, "agree")["attributes"]["checked"], true);

    let unmasked_text = serde_json::to_string(&unmasked.events()).unwrap();
    assert!(unmasked_text.contains("Ada Lovelace"));
    assert!(!unmasked_text.contains("hunter2"), "password leaked with maskAllInputs: false");
}

#[wasm_bindgen_test]
fn style_rules_added_through_cssom_are_captured() {
    let section = container(r#"<style id="dynamic"></style>"#);
    let style: HtmlStyleElement = document().get_element_by_id("dynamic").unwrap().unchecked_into();
    let sheet: web_sys::CssStyleSheet = style.sheet().unwrap().unchecked_into();
    sheet.insert_rule(".added-by-script { color: rgb(1, 2, 3); }").unwrap();

    let sink = Sink::new();
    let _stopping = Recorder::new(sink.options(&[]), &Courier::new()).unwrap().stop();
    section.remove();

    let snapshot = &sink.events()[1]["data"]["node"];
    let css = element_with_id(snapshot, "dynamic")["attributes"]["_cssText"].as_str().unwrap().to_owned();
    assert!(css.contains(".added-by-script"), "{css}");
}

#[wasm_bindgen_test]
fn script_text_never_leaves_the_page() {
    let script = document().create_element("script").unwrap();
    script.set_attribute("type", "text/plain").unwrap();
    script.set_text_content(Some("const token = 'tok_live_42';"));
    document().body().unwrap().append_child(&script).unwrap();
    let sink = Sink::new();
    let _stopping = Recorder::new(sink.options(&[]), &Courier::new()).unwrap().stop();
    script.remove();
    assert!(!serde_json::to_string(&sink.events()).unwrap().contains("tok_live_42"));
}

#[wasm_bindgen_test]
fn svg_elements_are_flagged() {
    let section = container(r#"<svg id="chart" viewBox="0 0 4 4"><linearGradient id="g"/></svg>"#);
    let sink = Sink::new();
    let _stopping = Recorder::new(sink.options(&[]), &Courier::new()).unwrap().stop();
    section.remove();
    let snapshot = &sink.events()[1]["data"]["node"];
    let svg = element_with_id(snapshot, "chart");
    assert_eq!(svg["isSVG"], true);
    assert_eq!(svg["attributes"]["viewBox"], "0 0 4 4");
    assert_eq!(svg["childNodes"][0]["tagName"], "lineargradient");
}

#[wasm_bindgen_test]
fn misspelt_option_is_rejected_with_a_suggestion() {
    let options = Object::new();
    Reflect::set(&options, &"maskAllInput".into(), &false.into()).unwrap();
    let message = rejection_message(options.into());
    assert!(message.contains("'maskAllInput'"), "{message}");
    assert!(message.contains("did you mean 'maskAllInputs'"), "{message}");
}

#[wasm_bindgen_test]
fn options_without_a_destination_are_rejected() {
    let options = Object::new();
    Reflect::set(&options, &"maskAllInputs".into(), &true.into()).unwrap();
    let message = rejection_message(options.into());
    assert!(message.contains("pass 'endpoint'"), "{message}");
}

#[wasm_bindgen_test]
fn non_object_options_are_rejected() {
    let message = rejection_message(JsValue::from_str("fast"));
    assert_eq!(message, "rewind options must be an object or undefined, got string");
}

#[wasm_bindgen_test]
fn checkout_emits_again_and_stop_ends_emission() {
    let sink = Sink::new();
    let mut recorder = Recorder::new(sink.options(&[]), &Courier::new()).unwrap();
    recorder.take_full_snapshot().unwrap();
    assert_eq!(sink.events().len(), 4);
    let _stopping = recorder.stop();
    recorder.take_full_snapshot().unwrap();
    assert_eq!(sink.events().len(), 4, "nothing is emitted after stop");
}

#[wasm_bindgen_test]
fn a_throwing_emit_callback_does_not_stop_the_recorder() {
    let calls = Rc::new(RefCell::new(0));
    let counter = calls.clone();
    let throwing = Closure::<dyn FnMut(JsValue) -> Result<(), JsValue>>::new(move |_event: JsValue| {
        *counter.borrow_mut() += 1;
        Err(JsValue::from_str("page bug"))
    });
    let options = Object::new();
    Reflect::set(&options, &"emit".into(), throwing.as_ref()).unwrap();
    let recorder = Recorder::new(options.into(), &Courier::new()).expect("the callback's error is not rewind's");
    recorder.take_full_snapshot().unwrap();
    assert_eq!(*calls.borrow(), 4);
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
    let sink = Sink::new();
    let _stopping = Recorder::new(sink.options(&[]), &Courier::new()).unwrap().stop();
    outer.remove();

    let events = sink.raw_events();
    assert_eq!(events.len(), 2, "the snapshot is emitted despite the depth");
    let text = &events[1];
    assert!(!text.contains("bottom"), "nodes below the cap are left out");
    assert!(text.matches(r#""tagName":"div""#).count() >= 990);
}

#[wasm_bindgen_test]
fn undefined_option_values_count_as_not_given() {
    let sink = Sink::new();
    let options = sink.options(&[("endpoint", JsValue::UNDEFINED), ("sampleRate", JsValue::UNDEFINED)]);
    let _stopping = Recorder::new(options, &Courier::new()).expect("undefined values are ignored").stop();
    assert_eq!(sink.events().len(), 2);
}
