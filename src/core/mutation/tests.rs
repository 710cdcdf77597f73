use std::collections::{HashMap, HashSet};

use serde_json::{json, Value};

use super::*;
use crate::core::dom::{FormState, NodeView};
use crate::core::memory_dom::{MemoryDom, MemoryIds, MemoryNode};
use crate::core::privacy::PrivacyRules;
use crate::core::snapshot::{serialize_tree, Placement, SnapshotWalk};

/// A recording of a MemoryDom: its mirror, its buffer, and the snapshot.
struct Recorder {
    mirror: Mirror<MemoryIds>,
    buffer: MutationBuffer<MemoryDom>,
    privacy: PrivacyRules,
}

impl Recorder {
    fn start(dom: &MemoryDom, document: MemoryNode, privacy: PrivacyRules) -> (Recorder, Value) {
        let mut mirror = Mirror::new(MemoryIds::default());
        let tree =
            serialize_tree(dom, &mut mirror, &privacy, &document, Placement::default()).unwrap();
        let snapshot = serde_json::from_str(&tree.node.0).unwrap();
        (
            Recorder {
                mirror,
                buffer: MutationBuffer::new(),
                privacy,
            },
            snapshot,
        )
    }

    /// Delivers the DOM's pending records as one observer callback would,
    /// and emits.
    fn observe(&mut self, dom: &mut MemoryDom) -> Option<Value> {
        for record in dom.take_records() {
            self.buffer.process(dom, &self.mirror, record);
        }
        let emit = self.buffer.emit(dom, &mut self.mirror, &self.privacy)?;
        Some(serde_json::from_str(&emit.data_json).expect("mutation JSON is valid"))
    }
}

fn page() -> (MemoryDom, MemoryNode, MemoryNode) {
    let (mut dom, document) = MemoryDom::with_document();
    let html = dom.element(document, "html", &[]);
    let body = dom.element(html, "body", &[]);
    (dom, document, body)
}

#[test]
fn added_subtree_is_one_add_per_node_parents_first_with_fresh_ids() {
    let (mut dom, document, body) = page();
    let footer = dom.element(body, "footer", &[]);
    let (mut recorder, _) = Recorder::start(&dom, document, PrivacyRules::default());
    let list = dom.create(MemoryDom::element_view("ul", &[("class", "items")]));
    let item = dom.create(MemoryDom::element_view("li", &[]));
    let text = dom.create(NodeView::Text("Tea".into()));
    dom.insert_before(item, text, None);
    dom.insert_before(list, item, None);
    dom.insert_before(body, list, Some(footer));
    let mutation = recorder.observe(&mut dom).expect("something changed");
    assert_eq!(
        mutation,
        json!({
            "source": 0, "texts": [], "attributes": [], "removes": [],
            // The Replayer builds each add without its children.
            "adds": [
                {"parentId": 3, "nextId": 4,
                 "node": {"id": 5, "type": 2, "tagName": "ul", "attributes": {"class": "items"}, "childNodes": []}},
                {"parentId": 5, "nextId": null,
                 "node": {"id": 6, "type": 2, "tagName": "li", "attributes": {}, "childNodes": []}},
                {"parentId": 6, "nextId": null, "node": {"id": 7, "type": 3, "textContent": "Tea"}}
            ]
        })
    );
}

#[test]
fn node_added_and_removed_in_one_batch_is_never_recorded() {
    let (mut dom, document, body) = page();
    let (mut recorder, _) = Recorder::start(&dom, document, PrivacyRules::default());
    let toast = dom.create(MemoryDom::element_view("div", &[]));
    dom.insert_before(body, toast, None);
    dom.set_attribute(toast, "class", Some("shown"));
    dom.detach(toast);
    assert_eq!(recorder.observe(&mut dom), None);
    assert_eq!(recorder.mirror.assigned_count(), 3, "no id was spent on it");
}

#[test]
fn a_move_is_a_remove_and_an_add_that_keeps_the_ids() {
    let (mut dom, document, body) = page();
    let left = dom.element(body, "section", &[]);
    let right = dom.element(body, "section", &[]);
    let card = dom.element(left, "article", &[]);
    dom.text(card, "Card");
    let (mut recorder, _) = Recorder::start(&dom, document, PrivacyRules::default());
    let card_id = recorder.mirror.id_of(&card).unwrap();
    dom.insert_before(right, card, None);
    let mutation = recorder.observe(&mut dom).unwrap();
    assert_eq!(
        mutation["removes"],
        json!([{"parentId": recorder.mirror.id_of(&left).unwrap(), "id": card_id}])
    );
    assert_eq!(
        mutation["adds"][0]["parentId"],
        json!(recorder.mirror.id_of(&right).unwrap())
    );
    assert_eq!(mutation["adds"][0]["node"]["id"], json!(card_id));
    assert_eq!(
        mutation["adds"][1]["node"]["id"],
        json!(card_id + 1),
        "its text keeps its id too"
    );
}

#[test]
fn text_and_attribute_changes_carry_the_current_value_or_null() {
    let (mut dom, document, body) = page();
    let heading = dom.element(body, "h1", &[("title", "old"), ("data-x", "1")]);
    let text = dom.text(heading, "Hello");
    let (mut recorder, _) = Recorder::start(&dom, document, PrivacyRules::default());
    dom.set_text(text, "Hi");
    dom.set_text(text, "Hi there");
    dom.set_attribute(heading, "title", Some("new"));
    dom.set_attribute(heading, "data-x", None);
    dom.set_attribute(heading, "onclick", Some("steal()"));
    let mutation = recorder.observe(&mut dom).unwrap();
    assert_eq!(mutation["texts"], json!([{"id": 5, "value": "Hi there"}]));
    assert_eq!(
        mutation["attributes"],
        json!([{"id": 4, "attributes": {"title": "new", "data-x": null}}])
    );
}

#[test]
fn changes_inside_a_new_subtree_are_not_repeated() {
    let (mut dom, document, body) = page();
    let (mut recorder, _) = Recorder::start(&dom, document, PrivacyRules::default());
    let panel = dom.create(MemoryDom::element_view("div", &[]));
    dom.insert_before(body, panel, None);
    let label = dom.create(NodeView::Text("one".into()));
    dom.insert_before(panel, label, None);
    dom.set_text(label, "two");
    dom.set_attribute(panel, "class", Some("open"));
    let mutation = recorder.observe(&mut dom).unwrap();
    assert_eq!(mutation["texts"], json!([]));
    assert_eq!(mutation["attributes"], json!([]));
    assert_eq!(mutation["adds"].as_array().unwrap().len(), 2);
    assert_eq!(
        mutation["adds"][0]["node"]["attributes"],
        json!({"class": "open"})
    );
    assert_eq!(mutation["adds"][1]["node"]["textContent"], json!("two"));
}

#[test]
fn masked_field_value_attribute_and_masked_text_stay_masked() {
    let (mut dom, document, body) = page();
    let field = dom.element(body, "input", &[("type", "text")]);
    dom.set_form(field, FormState::default());
    let secret = dom.element(body, "p", &[("class", "rw-mask")]);
    let text = dom.text(secret, "Ada");
    let blocked = dom.element(body, "div", &[("class", "rr-block")]);
    dom.element(blocked, "span", &[]);
    let (mut recorder, snapshot) = Recorder::start(&dom, document, PrivacyRules::default());
    let blocked_json = &snapshot["childNodes"][0]["childNodes"][0]["childNodes"][2];
    assert_eq!(
        blocked_json["attributes"],
        json!({"class": "rr-block", "rr_width": "120px", "rr_height": "40.5px"})
    );
    assert_eq!(blocked_json["childNodes"], json!([]));
    dom.set_attribute(field, "value", Some("4242 4242"));
    dom.set_text(text, "Grace Hopper");
    let inside = dom.create(MemoryDom::element_view("b", &[]));
    dom.insert_before(blocked, inside, None);
    let added = dom.create(MemoryDom::element_view("span", &[]));
    dom.insert_before(secret, added, None);
    let added_text = dom.create(NodeView::Text("Lovelace".into()));
    dom.insert_before(added, added_text, None);
    let mutation = recorder.observe(&mut dom).unwrap();
    let text = mutation.to_string();
    assert!(
        !text.contains("4242") && !text.contains("Grace") && !text.contains("Lovelace"),
        "{text}"
    );
    assert_eq!(mutation["texts"][0]["value"], json!("***** ******"));
    let parents: Vec<u64> = mutation["adds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|add| add["parentId"].as_u64().unwrap())
        .collect();
    let blocked_id = u64::from(recorder.mirror.id_of(&blocked).unwrap());
    assert!(
        !parents.contains(&blocked_id),
        "nothing is added inside the blocked element"
    );
    assert_eq!(mutation["adds"].as_array().unwrap().len(), 2);
    assert_eq!(
        mutation["adds"][1]["node"]["textContent"],
        json!("********")
    );
}

#[test]
fn a_run_of_added_siblings_is_written_last_first() {
    let (mut dom, document, body) = page();
    let end = dom.element(body, "hr", &[]);
    let (mut recorder, _) = Recorder::start(&dom, document, PrivacyRules::default());
    let nodes: Vec<_> = (0..3)
        .map(|_| dom.create(MemoryDom::element_view("p", &[])))
        .collect();
    for node in &nodes {
        dom.insert_before(body, *node, Some(end));
    }
    let mutation = recorder.observe(&mut dom).unwrap();
    let adds = mutation["adds"].as_array().unwrap();
    let pairs: Vec<(u64, Option<u64>)> = adds
        .iter()
        .map(|add| (add["node"]["id"].as_u64().unwrap(), add["nextId"].as_u64()))
        .collect();
    let end_id = u64::from(recorder.mirror.id_of(&end).unwrap());
    // Each add's nextId is known by the time the replay applies it.
    assert_eq!(pairs[0].1, Some(end_id));
    assert_eq!(pairs[1].1, Some(pairs[0].0));
    assert_eq!(pairs[2].1, Some(pairs[1].0));
}

// ---- Property test: random trees, random edits, replayed by a model of
// rrweb's Replayer, must end in the live tree, with unique ids. ----

/// A small deterministic generator (xorshift64*), so failures replay.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// One node of the replayed tree.
#[derive(Debug, Clone)]
struct ModelNode {
    kind: String,
    attributes: HashMap<String, Value>,
    text: Option<String>,
    children: Vec<u64>,
    shadow: Vec<u64>,
}

/// What rrweb's Replayer keeps: nodes by id. It fails where the Replayer
/// would warn ("Node with id not found", a child it cannot remove) or
/// where ids collide.
#[derive(Default)]
struct Model {
    nodes: HashMap<u64, ModelNode>,
    root: u64,
}

impl Model {
    /// An added node alone: the Replayer builds adds with `skipChild`.
    fn build_one(&mut self, json: &Value) -> u64 {
        let mut alone = json.clone();
        assert_eq!(
            alone["childNodes"].as_array().map_or(0, Vec::len),
            0,
            "adds carry no children: {json}"
        );
        alone["childNodes"] = json!([]);
        self.build(&alone)
    }

    fn build(&mut self, json: &Value) -> u64 {
        let id = json["id"].as_u64().unwrap();
        assert!(!self.nodes.contains_key(&id), "id {id} is used twice");
        let kind = match json["type"].as_u64().unwrap() {
            0 => "#document".to_owned(),
            2 => json["tagName"].as_str().unwrap().to_owned(),
            3 => "#text".to_owned(),
            5 => "#comment".to_owned(),
            other => format!("#{other}"),
        };
        self.nodes.insert(
            id,
            ModelNode {
                kind,
                attributes: json["attributes"]
                    .as_object()
                    .map(|map| map.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                    .unwrap_or_default(),
                text: json["textContent"].as_str().map(str::to_owned),
                children: Vec::new(),
                shadow: Vec::new(),
            },
        );
        for child in json["childNodes"].as_array().into_iter().flatten() {
            let child_id = self.build(child);
            let node = self.nodes.get_mut(&id).unwrap();
            if child["isShadow"] == true {
                node.shadow.push(child_id);
            } else {
                node.children.push(child_id);
            }
        }
        id
    }

    /// Like rrweb's `Mirror.removeNodeFromMap`: the light subtree only;
    /// what is inside shadow roots stays mapped.
    fn forget(&mut self, id: u64) {
        if let Some(node) = self.nodes.remove(&id) {
            for child in node.children {
                self.forget(child);
            }
        }
    }

    fn apply(&mut self, mutation: &Value) {
        for remove in mutation["removes"].as_array().unwrap() {
            let id = remove["id"].as_u64().unwrap();
            if !self.nodes.contains_key(&id) {
                continue; // an ancestor went first: the Replayer skips it too
            }
            let parent_id = remove["parentId"].as_u64().unwrap();
            let parent = self
                .nodes
                .get_mut(&parent_id)
                .unwrap_or_else(|| panic!("remove: parent {parent_id} not found"));
            let list = if remove["isShadow"] == true {
                &mut parent.shadow
            } else {
                &mut parent.children
            };
            let position = list
                .iter()
                .position(|&c| c == id)
                .expect("removed node is a child of its parent");
            list.remove(position);
            self.forget(id);
        }
        let mut queue: Vec<&Value> = mutation["adds"].as_array().unwrap().iter().collect();
        while !queue.is_empty() {
            let before = queue.len();
            queue.retain(|add| {
                let parent_id = add["parentId"].as_u64().unwrap();
                let next_id = add["nextId"].as_u64();
                if !self.nodes.contains_key(&parent_id)
                    || next_id.is_some_and(|next| !self.nodes.contains_key(&next))
                {
                    return true; // retried after the others, as the Replayer does
                }
                let id = self.build_one(&add["node"]);
                let parent = self.nodes.get_mut(&parent_id).unwrap();
                let list = if add["node"]["isShadow"] == true {
                    &mut parent.shadow
                } else {
                    &mut parent.children
                };
                let position = match next_id {
                    Some(next) => list
                        .iter()
                        .position(|&c| c == next)
                        .expect("nextId is a sibling in the same list"),
                    None => list.len(),
                };
                list.insert(position, id);
                false
            });
            assert!(
                queue.len() < before,
                "adds that can never be placed: {queue:?}"
            );
        }
        for text in mutation["texts"].as_array().unwrap() {
            let id = text["id"].as_u64().unwrap();
            let node = self
                .nodes
                .get_mut(&id)
                .unwrap_or_else(|| panic!("text: node {id} not found"));
            node.text = Some(text["value"].as_str().unwrap().to_owned());
        }
        for change in mutation["attributes"].as_array().unwrap() {
            let id = change["id"].as_u64().unwrap();
            let node = self
                .nodes
                .get_mut(&id)
                .unwrap_or_else(|| panic!("attributes: node {id} not found"));
            for (name, value) in change["attributes"].as_object().unwrap() {
                if value.is_null() {
                    node.attributes.remove(name);
                } else {
                    node.attributes.insert(name.clone(), value.clone());
                }
            }
        }
    }

    /// The tree without ids, for comparison.
    fn render(&self, id: u64) -> Value {
        let node = &self.nodes[&id];
        let mut attributes: Vec<_> = node
            .attributes
            .iter()
            .map(|(k, v)| (k.clone(), v.to_string()))
            .collect();
        attributes.sort();
        json!({
            "kind": node.kind,
            "attributes": attributes,
            "text": node.text,
            "children": node.children.iter().map(|&child| self.render(child)).collect::<Vec<_>>(),
            "shadow": node.shadow.iter().map(|&child| self.render(child)).collect::<Vec<_>>(),
        })
    }

    fn ids_reachable(&self, id: u64, seen: &mut HashSet<u64>) {
        assert!(seen.insert(id), "id {id} appears twice in the tree");
        for &child in self.nodes[&id]
            .children
            .iter()
            .chain(&self.nodes[&id].shadow)
        {
            self.ids_reachable(child, seen);
        }
    }
}

/// The live tree without ids: a fresh snapshot, read by the same model.
fn render_live(dom: &MemoryDom, document: MemoryNode) -> Value {
    let (_, snapshot) = Recorder::start(dom, document, PrivacyRules::default());
    let mut model = Model::default();
    model.root = model.build(&snapshot);
    model.render(model.root)
}

const TAGS: [&str; 5] = ["div", "span", "p", "ul", "li"];

fn random_node(dom: &mut MemoryDom, rng: &mut Rng) -> MemoryNode {
    match rng.below(4) {
        0 => dom.create(NodeView::Text(format!("t{}", rng.below(100)))),
        1 => dom.create(NodeView::Comment(format!("c{}", rng.below(100)))),
        _ => dom.create(MemoryDom::element_view(
            TAGS[rng.below(TAGS.len())],
            &[("data-n", &rng.below(100).to_string())],
        )),
    }
}

/// Every node ever made, attached or not, that can take children.
fn containers(dom: &MemoryDom, all: &[MemoryNode]) -> Vec<MemoryNode> {
    all.iter()
        .copied()
        .filter(|&node| matches!(dom.read(&node), NodeView::Element(_)))
        .collect()
}

/// One random edit, as page scripts make them.
fn random_edit(dom: &mut MemoryDom, rng: &mut Rng, all: &mut Vec<MemoryNode>, body: MemoryNode) {
    let pick = |rng: &mut Rng, all: &[MemoryNode]| all[rng.below(all.len())];
    match rng.below(9) {
        // Insert a new node (sometimes a small subtree) somewhere.
        0 | 1 => {
            let node = random_node(dom, rng);
            all.push(node);
            if matches!(dom.read(&node), NodeView::Element(_)) && rng.below(2) == 0 {
                let child = random_node(dom, rng);
                all.push(child);
                dom.insert_before(node, child, None);
            }
            let parents = containers(dom, all);
            let parent = pick(rng, &parents);
            if dom.is_inclusive_ancestor(node, parent) {
                return;
            }
            let in_shadow = dom.has_shadow_root(parent) && rng.below(2) == 0;
            let children = dom.siblings(parent, in_shadow).to_vec();
            let before = if children.is_empty() || rng.below(3) == 0 {
                None
            } else {
                Some(pick(rng, &children))
            };
            dom.insert(parent, in_shadow, node, before);
        }
        // Move an existing node (attached or detached) somewhere else.
        2 | 3 => {
            let node = pick(rng, all);
            let parents = containers(dom, all);
            let parent = pick(rng, &parents);
            if node == body
                || dom.is_inclusive_ancestor(node, parent)
                || dom.is_inclusive_ancestor(node, body)
            {
                return;
            }
            let in_shadow = dom.has_shadow_root(parent) && rng.below(2) == 0;
            let children = dom.siblings(parent, in_shadow).to_vec();
            let before = if children.is_empty() || rng.below(2) == 0 {
                None
            } else {
                Some(pick(rng, &children))
            };
            if before == Some(node) {
                return;
            }
            dom.insert(parent, in_shadow, node, before);
        }
        // Remove a node.
        4 => {
            let node = pick(rng, all);
            if !dom.is_inclusive_ancestor(node, body) {
                dom.detach(node);
            }
        }
        // Change text.
        5 => {
            let node = pick(rng, all);
            if matches!(dom.read(&node), NodeView::Text(_) | NodeView::Comment(_)) {
                dom.set_text(node, &format!("x{}", rng.below(1000)));
            }
        }
        // Give an element a shadow root (the page's attachShadow).
        7 => {
            let node = pick(rng, all);
            if node != body
                && matches!(dom.read(&node), NodeView::Element(_))
                && !dom.has_shadow_root(node)
            {
                dom.attach_shadow(node);
            }
        }
        // Set or remove an attribute.
        _ => {
            let node = pick(rng, all);
            if matches!(dom.read(&node), NodeView::Element(_)) {
                let name = ["class", "title", "data-n"][rng.below(3)];
                let value = rng.below(3).to_string();
                dom.set_attribute(
                    node,
                    name,
                    if rng.below(3) == 0 {
                        None
                    } else {
                        Some(value.as_str())
                    },
                );
            }
        }
    }
}

#[test]
fn replaying_the_emitted_mutations_reproduces_the_live_tree() {
    for seed in 1..=1000u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let (mut dom, document, body) = page();
        let mut all = vec![body];
        for _ in 0..(5 + rng.below(20)) {
            random_edit(&mut dom, &mut rng, &mut all, body);
        }
        dom.take_records();
        let (mut recorder, snapshot) = Recorder::start(&dom, document, PrivacyRules::default());
        let mut model = Model::default();
        model.root = model.build(&snapshot);
        let batches = 1 + rng.below(8);
        let mut page = RandomPage {
            dom,
            document,
            body,
            all,
            rng,
        };
        page.replay_batches(&mut recorder, &mut model, seed, batches, 25);
    }
}

/// A page edited at random, as the property tests drive it.
struct RandomPage {
    dom: MemoryDom,
    document: MemoryNode,
    body: MemoryNode,
    all: Vec<MemoryNode>,
    rng: Rng,
}

impl RandomPage {
    /// `batches` batches of up to `max_edits` random edits, each observed,
    /// applied to the model and checked against the live tree.
    fn replay_batches(
        &mut self,
        recorder: &mut Recorder,
        model: &mut Model,
        seed: u64,
        batches: usize,
        max_edits: usize,
    ) {
        for batch in 0..batches {
            for _ in 0..(1 + self.rng.below(max_edits)) {
                random_edit(&mut self.dom, &mut self.rng, &mut self.all, self.body);
            }
            if let Some(mutation) = recorder.observe(&mut self.dom) {
                model.apply(&mutation);
            }
            assert_eq!(
                model.render(model.root),
                render_live(&self.dom, self.document),
                "seed {seed}, after batch {batch}"
            );
            model.ids_reachable(model.root, &mut HashSet::new());
        }
    }
}

#[test]
fn a_shadow_host_moved_or_reinserted_replays_without_stale_shadow_nodes() {
    let (mut dom, document, body) = page();
    let left = dom.element(body, "section", &[]);
    let right = dom.element(body, "section", &[]);
    let host = dom.element(left, "div", &[("id", "host")]);
    dom.attach_shadow(host);
    let list = dom.create(MemoryDom::element_view("ul", &[]));
    dom.insert(host, true, list, None);
    let item = dom.create(MemoryDom::element_view("li", &[]));
    dom.insert_before(list, item, None);
    dom.take_records();
    let (mut recorder, snapshot) = Recorder::start(&dom, document, PrivacyRules::default());
    let mut model = Model::default();
    model.root = model.build(&snapshot);

    // Moved in one batch, then removed and put back in two more.
    dom.insert_before(right, host, None);
    let moved = recorder.observe(&mut dom).unwrap();
    assert_eq!(
        moved["removes"][0]["isShadow"], true,
        "the shadow contents go first: {moved}"
    );
    model.apply(&moved);
    dom.detach(host);
    model.apply(&recorder.observe(&mut dom).unwrap());
    dom.insert_before(left, host, None);
    model.apply(&recorder.observe(&mut dom).unwrap());
    assert_eq!(model.render(model.root), render_live(&dom, document));
    model.ids_reachable(model.root, &mut HashSet::new());
}

/// A snapshot written in slices while the page edits its DOM between them
/// (moves, removes, inserts, text and attribute changes, shadow roots),
/// followed by the Mutation event of the walk's records, replays to the
/// live tree; so do later batches.
#[test]
fn a_snapshot_written_in_slices_while_the_page_changes_replays_to_the_live_tree() {
    let mut slices_seen = 0;
    for seed in 1..=1000u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let (mut dom, document, body) = page();
        let mut all = vec![body];
        for _ in 0..(10 + rng.below(40)) {
            random_edit(&mut dom, &mut rng, &mut all, body);
        }
        dom.take_records();
        let privacy = PrivacyRules::default();
        let mut mirror = Mirror::new(MemoryIds::default());
        let mut walk =
            SnapshotWalk::begin(&dom, &mut mirror, &privacy, &document, Placement::default())
                .unwrap();
        let mut records = Vec::new();
        loop {
            let mut left = 1 + rng.below(4);
            let finished = walk.advance(&dom, &mut mirror, &privacy, &mut || {
                if left == 0 {
                    return true;
                }
                left -= 1;
                false
            });
            if finished {
                break;
            }
            slices_seen += 1;
            // The page's turn between two slices.
            for _ in 0..rng.below(4) {
                random_edit(&mut dom, &mut rng, &mut all, body);
            }
            let taken = dom.take_records();
            if taken
                .iter()
                .any(|record| matches!(record, MutationRecord::ChildList { .. }))
            {
                walk.mark_disturbed();
            }
            records.extend(taken);
        }
        let snapshot: Value = serde_json::from_str(&walk.take_json()).unwrap();
        let mut model = Model::default();
        model.root = model.build(&snapshot);

        let mut recorder = Recorder {
            mirror,
            buffer: MutationBuffer::new(),
            privacy,
        };
        recorder.buffer.begin_after_walk(walk.take_visited());
        for record in records {
            recorder.buffer.process(&dom, &recorder.mirror, record);
        }
        if let Some(emit) = recorder
            .buffer
            .emit(&dom, &mut recorder.mirror, &recorder.privacy)
        {
            if std::env::var("DEBUG_SEED").ok() == Some(seed.to_string()) {
                eprintln!("snapshot {snapshot}\nmutation {}", emit.data_json);
            }
            model.apply(&serde_json::from_str(&emit.data_json).unwrap());
        }
        assert_eq!(
            model.render(model.root),
            render_live(&dom, document),
            "seed {seed}, after the snapshot's own records"
        );
        model.ids_reachable(model.root, &mut HashSet::new());
        let batches = 1 + rng.below(4);
        let mut page = RandomPage {
            dom,
            document,
            body,
            all,
            rng,
        };
        page.replay_batches(&mut recorder, &mut model, seed, batches, 15);
    }
    assert!(slices_seen > 2_000, "the walks were sliced: {slices_seen}");
}

/// A walk during which nothing changed still ends the after-walk mode at
/// the next emit: later removes of nodes the walk never saw count again.
#[test]
fn after_a_quiet_walk_the_buffer_records_removes_normally() {
    let (mut dom, document, body) = page();
    let list = dom.element(body, "ul", &[]);
    dom.take_records();
    let privacy = PrivacyRules::default();
    let mut mirror = Mirror::new(MemoryIds::default());
    let mut walk =
        SnapshotWalk::begin(&dom, &mut mirror, &privacy, &document, Placement::default()).unwrap();
    assert!(walk.advance(&dom, &mut mirror, &privacy, &mut || false));
    let mut recorder = Recorder {
        mirror,
        buffer: MutationBuffer::new(),
        privacy,
    };
    recorder.buffer.begin_after_walk(walk.take_visited());
    assert!(
        !recorder.buffer.is_empty(),
        "the mode must be ended by an emit"
    );
    assert!(recorder.observe(&mut dom).is_none());
    // A node added after the walk, then removed in a later batch.
    let item = dom.create(MemoryDom::element_view("li", &[]));
    dom.insert_before(list, item, None);
    let added = recorder.observe(&mut dom).unwrap();
    assert_eq!(added["adds"].as_array().unwrap().len(), 1);
    dom.detach(item);
    let removed = recorder.observe(&mut dom).unwrap();
    assert_eq!(removed["removes"].as_array().unwrap().len(), 1, "{removed}");
}

#[test]
fn a_text_batch_packing_splits_by_utf16_lengths() {
    let packed = "t12:3:a\u{1}bc5:0:t7:2:\u{1F600}t8:4:\u{e9}:t:";
    let changes = parse_text_batch(packed).unwrap();
    assert_eq!(
        changes,
        vec![
            TextChange {
                is_comment: false,
                id: 12,
                data: "a\u{1}b"
            },
            TextChange {
                is_comment: true,
                id: 5,
                data: ""
            },
            TextChange {
                is_comment: false,
                id: 7,
                data: "\u{1F600}"
            },
            TextChange {
                is_comment: false,
                id: 8,
                data: "\u{e9}:t:"
            },
        ]
    );
    assert_eq!(parse_text_batch("").unwrap(), vec![]);
    for malformed in ["x1:1:a", "t1:5:ab", "t1:1", "tq:1:a"] {
        assert_eq!(parse_text_batch(malformed), None, "{malformed}");
    }
}

/// The text-only shortcut writes exactly what the buffer writes for the
/// same batch, masking included.
#[test]
fn a_text_only_batch_is_written_as_the_buffer_writes_it() {
    let (mut dom, document, body) = page();
    let plain = dom.element(body, "p", &[]);
    let plain_text = dom.text(plain, "old");
    let secret = dom.element(body, "p", &[("class", "rr-mask")]);
    let secret_text = dom.text(secret, "old secret");
    let note = dom.create(NodeView::Comment("c".into()));
    dom.insert_before(body, note, None);
    dom.take_records();
    let (mut recorder, _) = Recorder::start(&dom, document, PrivacyRules::default());
    dom.set_text(plain_text, "new \"quoted\"");
    dom.set_text(secret_text, "new secret");
    dom.set_text(note, "comment");
    let packed: String = [plain_text, secret_text, note]
        .iter()
        .map(|&node| {
            let id = recorder.mirror.id_of(&node).unwrap();
            let (kind, data) = match dom.read(&node) {
                NodeView::Text(text) => ('t', text),
                NodeView::Comment(text) => ('c', text),
                other => panic!("{other:?}"),
            };
            format!("{kind}{id}:{}:{data}", data.encode_utf16().count())
        })
        .collect();
    let shortcut = text_batch_json(
        &parse_text_batch(&packed).unwrap(),
        &recorder.mirror,
        &recorder.privacy,
    )
    .unwrap();
    let buffered = recorder.observe(&mut dom).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&shortcut).unwrap(), buffered);
    assert!(!shortcut.contains("secret"), "{shortcut}");
}

#[test]
fn an_attribute_batch_packing_splits_by_utf16_lengths() {
    let packed = "n4:3:DIV2:5:titlev2:\u{1F600}5:classxn9:1:A1:4:hrefv3:y:z";
    let changes = parse_attribute_batch(packed).unwrap();
    assert_eq!(
        changes,
        vec![
            AttributeChange {
                id: 4,
                tag_name: "DIV",
                attributes: vec![("title", Some("\u{1F600}")), ("class", None)],
            },
            AttributeChange {
                id: 9,
                tag_name: "A",
                attributes: vec![("href", Some("y:z"))],
            },
        ]
    );
    assert_eq!(parse_attribute_batch(""), Some(vec![]), "no element");
    for malformed in [
        "n4:3:DIV",
        "n4:3:DIV:0:",
        "n4:3:DIV1:5:titlev9:x",
        "n4:3:DIV1:5:titlez",
        "junk",
    ] {
        assert_eq!(parse_attribute_batch(malformed), None, "{malformed:?}");
    }
}

/// The attribute-only shortcut writes exactly what the buffer writes for
/// the same batch: handlers and an iframe's src left out, removed
/// attributes null, blocked elements skipped.
#[test]
fn an_attribute_only_batch_is_written_as_the_buffer_writes_it() {
    let (mut dom, document, body) = page();
    let link = dom.element(body, "a", &[("href", "/old")]);
    let panel = dom.element(body, "div", &[("class", "card"), ("title", "t")]);
    let frame = dom.element(body, "iframe", &[]);
    let blocked = dom.element(body, "div", &[("class", "rr-block")]);
    dom.take_records();
    let (mut recorder, _) = Recorder::start(&dom, document, PrivacyRules::default());
    dom.set_attribute(link, "href", Some("next/page?q=\"1\""));
    dom.set_attribute(panel, "class", Some("card hot"));
    dom.set_attribute(panel, "title", None);
    dom.set_attribute(panel, "onclick", Some("steal()"));
    dom.set_attribute(frame, "src", Some("/frame.html"));
    dom.set_attribute(frame, "title", Some("chat"));
    dom.set_attribute(blocked, "data-x", Some("1"));
    let mut packed = String::new();
    let counted = |text: &str| format!("{}:{text}", text.encode_utf16().count());
    for (node, names) in [
        (link, vec!["href"]),
        (panel, vec!["class", "title", "onclick"]),
        (frame, vec!["src", "title"]),
        (blocked, vec!["data-x"]),
    ] {
        let id = recorder.mirror.id_of(&node).unwrap();
        let tag = dom.read_tag_name(&node).unwrap().to_ascii_uppercase();
        packed += &format!("n{id}:{}{}:", counted(&tag), names.len());
        for name in names {
            packed += &counted(name);
            match dom.attribute(&node, name) {
                Some(value) => packed += &format!("v{}", counted(&value)),
                None => packed.push('x'),
            }
        }
    }
    let shortcut =
        attribute_batch_json(&parse_attribute_batch(&packed).unwrap(), &recorder.mirror).unwrap();
    let buffered = recorder.observe(&mut dom).unwrap();
    assert_eq!(serde_json::from_str::<Value>(&shortcut).unwrap(), buffered);
    assert!(
        shortcut.contains(r#""href":"next/page?q=\"1\"""#),
        "the href as the DOM gave it, escaped: {shortcut}"
    );
}
