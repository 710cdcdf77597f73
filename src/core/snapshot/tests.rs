use super::*;
use crate::core::dom::{FormState, NodeView};
use crate::core::memory_dom::{MemoryDom, MemoryIds, MemoryNode};
use serde_json::{json, Value};

fn snapshot(dom: &MemoryDom, root: MemoryNode, privacy: &PrivacyRules) -> Value {
    let mut mirror = Mirror::new(MemoryIds::default());
    let tree = serialize_tree(dom, &mut mirror, privacy, &root, Placement::default())
        .expect("document serializes");
    assert_eq!(tree.truncated_elements, 0);
    assert_eq!(tree.node_count, mirror.assigned_count());
    serde_json::from_str(&tree.node.0).expect("the serializer writes valid JSON")
}

/// The whole tree from `root` with default privacy, as a full snapshot.
fn serialize_with_defaults(
    dom: &MemoryDom,
    mirror: &mut Mirror<MemoryIds>,
    root: MemoryNode,
) -> Option<SerializedTree<MemoryNode>> {
    serialize_tree(
        dom,
        mirror,
        &PrivacyRules::default(),
        &root,
        Placement::default(),
    )
}

/// Every id in the serialized tree, in document order.
fn ids_in_order(node: &Value, out: &mut Vec<u64>) {
    out.push(node["id"].as_u64().expect("every node has an id"));
    if let Some(children) = node["childNodes"].as_array() {
        for child in children {
            ids_in_order(child, out);
        }
    }
}

/// A small page with one of each thing the snapshot must handle.
fn fixture_page() -> (MemoryDom, MemoryNode) {
    let (mut dom, document) = MemoryDom::with_document();
    dom.append(
        document,
        NodeView::DocumentType {
            name: "html".into(),
            public_id: String::new(),
            system_id: String::new(),
        },
    );
    let html = dom.element(document, "html", &[("lang", "en")]);
    let head = dom.element(html, "head", &[]);
    let style = dom.element(head, "style", &[]);
    dom.text(style, "body { color: red }");
    dom.set_stylesheet(style, "body { color: red; }");
    let link = dom.element(head, "link", &[("rel", "stylesheet"), ("href", "/app.css")]);
    dom.set_stylesheet(link, ".card { margin: 0px; }");
    let script = dom.element(head, "script", &[("type", "module")]);
    dom.text(script, "window.apiKey = 'sk_live_123'");
    let body = dom.element(html, "body", &[("class", "app")]);
    dom.append(body, NodeView::Comment(" header ".into()));
    let title = dom.element(body, "h1", &[]);
    dom.text(title, "Checkout");
    let email = dom.element(
        body,
        "input",
        &[("type", "email"), ("value", "old@example.com")],
    );
    dom.set_form(
        email,
        FormState {
            value: "ada@example.com".into(),
            ..Default::default()
        },
    );
    let password = dom.element(body, "input", &[("type", "password")]);
    dom.set_form(
        password,
        FormState {
            value: "hunter2".into(),
            ..Default::default()
        },
    );
    let terms = dom.element(body, "input", &[("type", "checkbox")]);
    dom.set_form(
        terms,
        FormState {
            checked: true,
            ..Default::default()
        },
    );
    let notes = dom.element(body, "textarea", &[]);
    dom.text(notes, "default note");
    dom.set_form(
        notes,
        FormState {
            value: "typed note".into(),
            ..Default::default()
        },
    );
    let svg = dom.svg_element(body, "svg", &[("viewBox", "0 0 10 10")]);
    dom.svg_element(svg, "linearGradient", &[("id", "g")]);
    let custom = dom.element(body, "user-card", &[]);
    dom.element_mut(custom).is_defined_custom_element = true;
    (dom, document)
}

#[test]
fn fixture_page_matches_golden_snapshot() {
    let (dom, document) = fixture_page();
    let actual = snapshot(&dom, document, &PrivacyRules::default());
    let golden_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/golden/full_snapshot.json"
    );
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(
            golden_path,
            serde_json::to_string_pretty(&actual).unwrap() + "\n",
        )
        .unwrap();
    }
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(golden_path).unwrap()).unwrap();
    assert_eq!(
        actual, expected,
        "run with UPDATE_GOLDEN=1 to accept a deliberate change"
    );
}

#[test]
fn ids_are_assigned_parents_first_from_one_without_gaps() {
    let (dom, document) = fixture_page();
    let mut ids = Vec::new();
    ids_in_order(
        &snapshot(&dom, document, &PrivacyRules::default()),
        &mut ids,
    );
    let expected: Vec<u64> = (1..=ids.len() as u64).collect();
    assert_eq!(ids, expected);
}

#[test]
fn mirror_knows_every_serialized_node() {
    let (dom, document) = fixture_page();
    let mut mirror = Mirror::new(MemoryIds::default());
    serialize_with_defaults(&dom, &mut mirror, document).unwrap();
    assert_eq!(mirror.id_of(&document), Some(1));
    assert_eq!(mirror.assigned_count() as usize, 21);
}

#[test]
fn script_contents_are_never_recorded() {
    let (dom, document) = fixture_page();
    let text = snapshot(&dom, document, &PrivacyRules::default()).to_string();
    assert!(!text.contains("sk_live_123"), "{text}");
}

#[test]
fn typed_values_are_masked_by_default() {
    let (dom, document) = fixture_page();
    let text = snapshot(&dom, document, &PrivacyRules::default()).to_string();
    for secret in [
        "hunter2",
        "ada@example.com",
        "old@example.com",
        "typed note",
        "default note",
    ] {
        assert!(!text.contains(secret), "{secret} leaked into {text}");
    }
}

#[test]
fn opting_out_of_input_masking_still_masks_passwords() {
    let (dom, document) = fixture_page();
    let privacy = PrivacyRules {
        mask_all_inputs: false,
        ..Default::default()
    };
    let text = snapshot(&dom, document, &privacy).to_string();
    assert!(text.contains("ada@example.com"));
    assert!(text.contains("typed note"));
    assert!(!text.contains("hunter2"));
    assert!(text.contains(r#""value":"*******""#));
}

#[test]
fn cleared_field_drops_its_markup_default() {
    let (mut dom, document) = MemoryDom::with_document();
    let input = dom.element(document, "input", &[("value", "prefilled-secret")]);
    dom.set_form(input, FormState::default());
    let value = snapshot(
        &dom,
        document,
        &PrivacyRules {
            mask_all_inputs: false,
            ..Default::default()
        },
    );
    assert_eq!(value["childNodes"][0]["attributes"], json!({}));
}

#[test]
fn unchecked_checkbox_loses_its_checked_attribute() {
    let (mut dom, document) = MemoryDom::with_document();
    let input = dom.element(document, "input", &[("type", "checkbox"), ("checked", "")]);
    dom.set_form(
        input,
        FormState {
            checked: false,
            ..Default::default()
        },
    );
    let value = snapshot(&dom, document, &PrivacyRules::default());
    assert_eq!(
        value["childNodes"][0]["attributes"],
        json!({"type": "checkbox"})
    );
}

#[test]
fn masked_select_hides_which_option_is_selected() {
    let (mut dom, document) = MemoryDom::with_document();
    let select = dom.element(document, "select", &[]);
    dom.set_form(
        select,
        FormState {
            value: "b".into(),
            ..Default::default()
        },
    );
    let group = dom.element(select, "optgroup", &[]);
    let a = dom.element(group, "option", &[("value", "a"), ("selected", "")]);
    let b = dom.element(group, "option", &[("value", "b")]);
    dom.set_form(a, FormState::default());
    dom.set_form(
        b,
        FormState {
            selected: true,
            ..Default::default()
        },
    );

    let masked = snapshot(&dom, document, &PrivacyRules::default());
    let options = &masked["childNodes"][0]["childNodes"][0]["childNodes"];
    assert_eq!(options[0]["attributes"], json!({"value": "a"}));
    assert_eq!(options[1]["attributes"], json!({"value": "b"}));
    assert_eq!(masked["childNodes"][0]["attributes"]["value"], json!("*"));

    let open = snapshot(
        &dom,
        document,
        &PrivacyRules {
            mask_all_inputs: false,
            ..Default::default()
        },
    );
    let options = &open["childNodes"][0]["childNodes"][0]["childNodes"];
    assert_eq!(options[1]["attributes"]["selected"], json!(true));
    assert_eq!(options[0]["attributes"].get("selected"), None);
}

#[test]
fn style_without_readable_sheet_keeps_its_text() {
    let (mut dom, document) = MemoryDom::with_document();
    let style = dom.element(document, "style", &[]);
    dom.text(style, "p { margin: 0 }");
    let value = snapshot(&dom, document, &PrivacyRules::default());
    let style = &value["childNodes"][0];
    assert_eq!(style["attributes"], json!({}));
    assert_eq!(
        style["childNodes"][0]["textContent"],
        json!("p { margin: 0 }")
    );
    assert_eq!(style["childNodes"][0]["isStyle"], json!(true));
}

#[test]
fn cross_origin_link_is_kept_as_a_link() {
    let (mut dom, document) = MemoryDom::with_document();
    dom.element(
        document,
        "link",
        &[("rel", "stylesheet"), ("href", "https://cdn.example/x.css")],
    );
    let value = snapshot(&dom, document, &PrivacyRules::default());
    assert_eq!(
        value["childNodes"][0]["attributes"],
        json!({"rel": "stylesheet", "href": "https://cdn.example/x.css"})
    );
}

#[test]
fn unsupported_nodes_are_skipped_without_an_id() {
    let (mut dom, document) = MemoryDom::with_document();
    dom.append(document, NodeView::Unsupported);
    let body = dom.element(document, "body", &[]);
    dom.append(body, NodeView::CData);
    let value = snapshot(&dom, document, &PrivacyRules::default());
    assert_eq!(value["childNodes"].as_array().unwrap().len(), 1);
    assert_eq!(value["childNodes"][0]["id"], json!(2));
    assert_eq!(
        value["childNodes"][0]["childNodes"][0],
        json!({"type": 4, "textContent": "", "id": 3})
    );
}

#[test]
fn tree_deeper_than_the_cap_is_cut_at_the_cap() {
    let (mut dom, document) = MemoryDom::with_document();
    let mut parent = document;
    for _ in 0..MAX_TREE_DEPTH + 500 {
        parent = dom.element(parent, "div", &[]);
    }
    dom.text(parent, "bottom");
    let mut mirror = Mirror::new(MemoryIds::default());
    let tree = serialize_with_defaults(&dom, &mut mirror, document).unwrap();
    assert_eq!(tree.truncated_elements, 1);
    // The document plus MAX_TREE_DEPTH levels of divs; the rest is left out.
    assert_eq!(tree.node_count as usize, MAX_TREE_DEPTH + 1);
    let json = &tree.node.0;
    assert_eq!(json.matches(r#""tagName":"div""#).count(), MAX_TREE_DEPTH);
    assert!(!json.contains("bottom"));
    // Balanced: every object and list that was opened is closed.
    assert_eq!(json.matches('{').count(), json.matches('}').count());
    assert_eq!(json.matches('[').count(), json.matches(']').count());
    // Each id written last, as rrweb writes it: the outermost div, then the document.
    assert!(
        json.ends_with(r#"],"id":2}],"id":1}"#),
        "{}",
        &json[json.len() - 40..]
    );
}

#[test]
fn skipped_node_between_siblings_leaves_valid_json() {
    let (mut dom, document) = MemoryDom::with_document();
    let body = dom.element(document, "body", &[]);
    dom.text(body, "a");
    dom.append(body, NodeView::Unsupported);
    dom.text(body, "b");
    dom.append(body, NodeView::Unsupported);
    let value = snapshot(&dom, document, &PrivacyRules::default());
    let texts: Vec<&Value> = value["childNodes"][0]["childNodes"]
        .as_array()
        .unwrap()
        .iter()
        .collect();
    assert_eq!(texts.len(), 2);
    assert_eq!(texts[1]["textContent"], json!("b"));
}

#[test]
fn inline_event_handlers_are_not_recorded() {
    let (mut dom, document) = MemoryDom::with_document();
    dom.element(
        document,
        "form",
        &[
            ("onsubmit", "track('sk_live_1')"),
            ("ONCLICK", "x()"),
            ("action", "/pay"),
            ("on", "kept"),
        ],
    );
    let value = snapshot(&dom, document, &PrivacyRules::default());
    assert_eq!(
        value["childNodes"][0]["attributes"],
        json!({"action": "/pay", "on": "kept"})
    );
}

#[test]
fn each_node_ends_with_its_id_then_is_shadow_as_rrweb_orders_them() {
    // The order is a wire decision (node.rs, close_node): fields that repeat
    // from node to node run together for deflate.
    let (mut dom, document) = MemoryDom::with_document();
    let host = dom.element(document, "div", &[("class", "host")]);
    dom.text(host, "light");
    dom.attach_shadow(host);
    let inner = dom.create(MemoryDom::element_view("b", &[]));
    dom.insert(host, true, inner, None);
    let mut mirror = Mirror::new(MemoryIds::default());
    let tree = serialize_with_defaults(&dom, &mut mirror, document).unwrap();
    assert_eq!(
        tree.node.0,
        concat!(
            r#"{"type":0,"compatMode":"CSS1Compat","childNodes":["#,
            r#"{"type":2,"tagName":"div","attributes":{"class":"host"},"isShadowHost":true,"childNodes":["#,
            r#"{"type":3,"textContent":"light","id":3},"#,
            r#"{"type":2,"tagName":"b","attributes":{},"childNodes":[],"id":4,"isShadow":true}"#,
            r#"],"id":2}"#,
            r#"],"id":1}"#,
        )
    );
}

#[test]
fn visited_ids_hold_exactly_what_was_inserted_across_words() {
    let inserted: [(NodeId, bool); 9] = [
        (1, false),
        (31, true),
        (32, false),
        (33, true),
        (63, false),
        (64, true),
        (65, false),
        (1000, true),
        (4_000_000, false),
    ];
    let mut visited = VisitedIds::default();
    for (id, in_shadow) in inserted {
        visited.insert(id, in_shadow);
    }
    for id in (0..1100).chain(3_999_990..4_000_010) {
        let expected = inserted.iter().find(|(known, _)| *known == id);
        assert_eq!(visited.contains(id), expected.is_some(), "contains({id})");
        assert_eq!(
            visited.in_shadow(id),
            expected.is_some_and(|(_, in_shadow)| *in_shadow),
            "in_shadow({id})"
        );
    }
}
