//! The mutation buffer: MutationObserver records in, one rrweb Mutation
//! event (source 0) out.
//!
//! Like rrweb's, it only collects *which* nodes changed while records
//! arrive (sets of added nodes, removes, texts and attributes) and reads
//! their state and assigns ids when it emits: a node added and removed in
//! the same batch is never serialized, a node changed twice is read once,
//! and what is recorded is the DOM as it is now, not as each record saw it.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use super::dom::{DomTree, NodeView};
use super::event::NodeId;
use super::json::write_str;
use super::mirror::{IdStore, Mirror, NodeFlags};
use super::privacy::{mask_value, PrivacyRules};
use super::snapshot::{
    absolute_attribute, is_event_handler_attribute, serialize_flat, text_in_context, FlatNode,
    Placement, VisitedIds,
};

/// One changed text or comment of a batch in which only texts changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextChange<'a> {
    pub is_comment: bool,
    pub id: NodeId,
    pub data: &'a str,
}

/// Splits the web layer's packing of a text-only batch: per node `t`
/// (text) or `c` (comment), its id, `:`, the data's length in UTF-16 units
/// (as JS counts), `:`, the data. `None` when malformed.
pub fn parse_text_batch(packed: &str) -> Option<Vec<TextChange<'_>>> {
    let mut changes = Vec::new();
    let mut rest = packed;
    while let Some(&kind) = rest.as_bytes().first() {
        let is_comment = match kind {
            b't' => false,
            b'c' => true,
            _ => return None,
        };
        let (id, after) = rest[1..].split_once(':')?;
        rest = after;
        let data = take_counted(&mut rest)?;
        changes.push(TextChange {
            is_comment,
            id: id.parse().ok()?,
            data,
        });
    }
    Some(changes)
}

/// The Mutation event of a batch in which only texts changed, written
/// straight from the changes (no node is read again): what
/// [`MutationBuffer::emit`] would write for it. `None` when a text belongs
/// to a `<style>`, which needs the buffer's restyle, or nothing changed.
pub fn text_batch_json<S: IdStore>(
    changes: &[TextChange<'_>],
    mirror: &Mirror<S>,
    privacy: &PrivacyRules,
) -> Option<String> {
    if changes.is_empty()
        || changes
            .iter()
            .any(|change| mirror.flags(change.id).contains(NodeFlags::STYLE))
    {
        return None;
    }
    let mut out = String::from("{\"source\":0,\"texts\":[");
    for (index, change) in changes.iter().enumerate() {
        if index > 0 {
            out.push(',');
        }
        let value = if change.is_comment {
            change.data.to_owned()
        } else {
            text_in_context(change.data.to_owned(), mirror.flags(change.id), privacy).0
        };
        let _ = write!(out, "{{\"id\":{},\"value\":", change.id);
        write_str(&mut out, &value);
        out.push('}');
    }
    out.push_str("],\"attributes\":[],\"removes\":[],\"adds\":[]}");
    Some(out)
}

/// One element of a batch in which only attributes changed: its id, its
/// tag name as the DOM reports it, the base URL of its document, and each
/// changed attribute with its value now (`None`: removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeChange<'a> {
    pub id: NodeId,
    pub tag_name: &'a str,
    pub base_url: &'a str,
    pub attributes: Vec<(&'a str, Option<&'a str>)>,
}

/// Reads one `<length in UTF-16 units>:<text>` field off the front of
/// `rest`.
fn take_counted<'a>(rest: &mut &'a str) -> Option<&'a str> {
    let (units, after) = rest.split_once(':')?;
    let units: usize = units.parse().ok()?;
    let (mut counted, mut end) = (0, 0);
    for character in after.chars() {
        if counted >= units {
            break;
        }
        counted += character.len_utf16();
        end += character.len_utf8();
    }
    if counted != units {
        return None;
    }
    *rest = &after[end..];
    Some(&after[..end])
}

/// Reads one `<number>:` field off the front of `rest`.
fn take_number(rest: &mut &str) -> Option<usize> {
    let (number, after) = rest.split_once(':')?;
    *rest = after;
    number.parse().ok()
}

/// Splits the web layer's packing of an attribute-only batch: the count of
/// base URLs and each as a counted field; then per element `n`, its id,
/// the index of its base URL, its counted tag name, the count of changed
/// attributes, and per attribute its counted name followed by `x`
/// (removed) or `v` and the counted value. Lengths count UTF-16 units, as
/// JS does. `None` when malformed.
pub fn parse_attribute_batch(packed: &str) -> Option<Vec<AttributeChange<'_>>> {
    let mut rest = packed;
    let base_count = take_number(&mut rest)?;
    let mut bases = Vec::with_capacity(base_count.min(16));
    for _ in 0..base_count {
        bases.push(take_counted(&mut rest)?);
    }
    let mut changes = Vec::new();
    while let Some(after) = rest.strip_prefix('n') {
        rest = after;
        let id = NodeId::try_from(take_number(&mut rest)?).ok()?;
        let base_url = *bases.get(take_number(&mut rest)?)?;
        let tag_name = take_counted(&mut rest)?;
        let count = take_number(&mut rest)?;
        let mut attributes = Vec::with_capacity(count.min(64));
        for _ in 0..count {
            let name = take_counted(&mut rest)?;
            let value = if let Some(after) = rest.strip_prefix('x') {
                rest = after;
                None
            } else {
                rest = rest.strip_prefix('v')?;
                Some(take_counted(&mut rest)?)
            };
            attributes.push((name, value));
        }
        changes.push(AttributeChange {
            id,
            tag_name,
            base_url,
            attributes,
        });
    }
    rest.is_empty().then_some(changes)
}

/// The Mutation event of a batch in which only attributes changed, written
/// straight from the changes: what [`MutationBuffer::emit`] would write
/// for it. The web layer leaves to the buffer the attributes with more to
/// them (`value`, `open`, media's `loop` and `muted`, namespaced ones).
/// `None` when nothing recordable changed.
pub fn attribute_batch_json<S: IdStore>(
    changes: &[AttributeChange<'_>],
    mirror: &Mirror<S>,
) -> Option<String> {
    let mut out = String::from("{\"source\":0,\"texts\":[],\"attributes\":[");
    let mut first = true;
    for change in changes {
        if mirror.flags(change.id).contains(NodeFlags::BLOCKED) {
            continue;
        }
        let tag_name = change.tag_name.to_ascii_lowercase();
        let mut entries = String::new();
        for &(name, value) in &change.attributes {
            if is_event_handler_attribute(name) || (tag_name == "iframe" && name == "src") {
                continue;
            }
            if !entries.is_empty() {
                entries.push(',');
            }
            write_str(&mut entries, name);
            entries.push(':');
            match value {
                None => entries.push_str("null"),
                Some(value) => write_str(
                    &mut entries,
                    &absolute_attribute(&tag_name, name, value.to_owned(), change.base_url),
                ),
            }
        }
        if entries.is_empty() {
            continue;
        }
        separate(&mut out, &mut first);
        let _ = write!(out, "{{\"id\":{},\"attributes\":{{{entries}}}}}", change.id);
    }
    if first {
        return None;
    }
    out.push_str("],\"removes\":[],\"adds\":[]}");
    Some(out)
}

/// One MutationObserver record, as the web layer hands it over.
#[derive(Debug, Clone, PartialEq)]
pub enum MutationRecord<N> {
    /// Children of `target` changed; `in_shadow` when `target` stands for
    /// the host of the shadow root the record was about.
    ChildList {
        target: N,
        in_shadow: bool,
        added: Vec<N>,
        removed: Vec<N>,
    },
    CharacterData {
        target: N,
    },
    Attribute {
        target: N,
        name: String,
    },
}

/// What one emit produced.
#[derive(Debug, Clone, PartialEq)]
pub struct MutationEmit<N> {
    /// The Mutation event's `data` as JSON (`{"source":0,...}`).
    pub data_json: String,
    /// Nodes serialized by this emit.
    pub node_count: u32,
    /// Added `<iframe>` elements and shadow hosts, to attach and observe.
    pub iframes: Vec<N>,
    pub shadow_hosts: Vec<N>,
    /// Added stylesheet links whose sheet has not loaded yet.
    pub pending_links: Vec<N>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Remove {
    parent_id: NodeId,
    id: NodeId,
    in_shadow: bool,
}

/// Changes gathered since the last emit.
pub struct MutationBuffer<D: DomTree> {
    /// Added nodes in record order; `added_keys` says which still count.
    added: Vec<D::Node>,
    added_keys: HashSet<D::Key>,
    removes: Vec<Remove>,
    /// The node of each entry of `removes`.
    removed_nodes: Vec<D::Node>,
    removed_ids: HashSet<NodeId>,
    texts: Vec<D::Node>,
    text_keys: HashSet<D::Key>,
    attributes: Vec<(D::Node, Vec<String>)>,
    attribute_slots: HashMap<D::Key, usize>,
    /// `<style>` elements whose text changed: re-recorded whole, since the
    /// replay builds a style from its recorded `_cssText`.
    restyled: Vec<D::Node>,
    restyled_keys: HashSet<D::Key>,
    /// Set while the records of a sliced snapshot's time are taken in: the
    /// ids that snapshot wrote (see [`MutationBuffer::begin_after_walk`]).
    after_walk: Option<VisitedIds>,
}

impl<D: DomTree> Default for MutationBuffer<D> {
    fn default() -> Self {
        MutationBuffer {
            added: Vec::new(),
            added_keys: HashSet::new(),
            removes: Vec::new(),
            removed_nodes: Vec::new(),
            removed_ids: HashSet::new(),
            texts: Vec::new(),
            text_keys: HashSet::new(),
            attributes: Vec::new(),
            attribute_slots: HashMap::new(),
            restyled: Vec::new(),
            restyled_keys: HashSet::new(),
            after_walk: None,
        }
    }
}

/// Where a node stands, found by walking up its ancestors once per emit.
#[derive(Debug, Clone, Copy)]
struct Ancestry {
    /// In a recorded document (shadow roots and frames included).
    connected: bool,
    /// The node or one of its ancestors is added in this batch, so its
    /// serialization already holds the node's current state.
    in_added_subtree: bool,
}

impl<D: DomTree> MutationBuffer<D> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether an emit would have nothing to do. A buffer taking in a
    /// walk's records is never empty: its emit also ends that mode.
    pub fn is_empty(&self) -> bool {
        self.after_walk.is_none()
            && self.added_keys.is_empty()
            && self.removes.is_empty()
            && self.texts.is_empty()
            && self.attributes.is_empty()
            && self.restyled.is_empty()
    }

    /// The records about to be taken in were made while a sliced snapshot
    /// was written, and `visited` holds the ids it wrote. The snapshot has
    /// each node where the walk found it, so until the next emit: a remove
    /// counts only for a node the walk wrote under that very parent, and an
    /// add of a node the walk wrote and no remove moved since is dropped
    /// (the walk found it where it is now).
    pub fn begin_after_walk(&mut self, visited: VisitedIds) {
        self.after_walk = Some(visited);
    }

    /// Takes in one record. Cheap: it reads no node state.
    pub fn process<S: IdStore<Node = D::Node>>(
        &mut self,
        dom: &D,
        mirror: &Mirror<S>,
        record: MutationRecord<D::Node>,
    ) {
        match record {
            MutationRecord::CharacterData { target } => {
                let is_style_text = mirror
                    .id_of(&target)
                    .is_some_and(|id| mirror.flags(id).contains(NodeFlags::STYLE));
                if is_style_text {
                    if let Some(parent) = dom.parent(&target) {
                        self.restyle(dom, parent.node);
                    }
                    return;
                }
                if self.text_keys.insert(dom.key(&target)) {
                    self.texts.push(target);
                }
            }
            MutationRecord::Attribute { target, name } => {
                let key = dom.key(&target);
                match self.attribute_slots.get(&key) {
                    Some(&slot) => {
                        let names = &mut self.attributes[slot].1;
                        if !names.contains(&name) {
                            names.push(name);
                        }
                    }
                    None => {
                        self.attribute_slots.insert(key, self.attributes.len());
                        self.attributes.push((target, vec![name]));
                    }
                }
            }
            MutationRecord::ChildList {
                target,
                in_shadow,
                added,
                removed,
            } => {
                let target_id = mirror.id_of(&target);
                if !in_shadow
                    && target_id.is_some_and(|id| mirror.flags(id).contains(NodeFlags::STYLE))
                {
                    self.restyle(dom, target.clone());
                }
                for node in removed {
                    let was_added = self.added_keys.remove(&dom.key(&node));
                    let id = mirror.id_of(&node);
                    if let Some(visited) = &self.after_walk {
                        // Whether added before or not, what counts is
                        // whether the snapshot has it under this parent.
                        let in_snapshot_here = id.is_some_and(|id| {
                            visited.contains(id)
                                && visited.in_shadow(id) == in_shadow
                                && mirror.replay_parent(id) == target_id
                        });
                        if !in_snapshot_here {
                            continue;
                        }
                    } else if was_added {
                        // Added earlier in this batch: it never reached the
                        // replay, so there is nothing to remove there.
                        continue;
                    }
                    let (Some(parent_id), Some(id)) = (target_id, id) else {
                        continue;
                    };
                    if self.removed_ids.insert(id) {
                        self.removed_nodes.push(node.clone());
                        self.removes.push(Remove {
                            parent_id,
                            id,
                            in_shadow,
                        });
                    }
                }
                for node in added {
                    if self.added_keys.insert(dom.key(&node)) {
                        self.added.push(node);
                    }
                }
            }
        }
    }

    fn restyle(&mut self, dom: &D, style: D::Node) {
        if self.restyled_keys.insert(dom.key(&style)) {
            self.restyled.push(style);
        }
    }

    /// Reads the current state of everything that changed and writes the
    /// Mutation event; `None` when nothing recordable changed. Empties the
    /// buffer.
    pub fn emit<S: IdStore<Node = D::Node>>(
        &mut self,
        dom: &D,
        mirror: &mut Mirror<S>,
        privacy: &PrivacyRules,
    ) -> Option<MutationEmit<D::Node>> {
        let buffer = std::mem::take(self);
        let MutationBuffer {
            mut added,
            mut added_keys,
            mut removes,
            removed_nodes,
            removed_ids,
            texts,
            attributes,
            restyled,
            after_walk,
            ..
        } = buffer;

        if let Some(visited) = &after_walk {
            added.retain(|node| {
                let in_snapshot = mirror
                    .id_of(node)
                    .is_some_and(|id| visited.contains(id) && !removed_ids.contains(&id));
                if in_snapshot {
                    added_keys.remove(&dom.key(node));
                }
                !in_snapshot
            });
        }

        // A restyled <style> is removed and added again whole.
        for style in restyled {
            let (Some(id), Some(parent)) = (mirror.id_of(&style), dom.parent(&style)) else {
                continue;
            };
            let Some(parent_id) = mirror.id_of(&parent.node) else {
                continue;
            };
            if !removes.iter().any(|remove| remove.id == id) {
                removes.push(Remove {
                    parent_id,
                    id,
                    in_shadow: parent.in_shadow,
                });
            }
            if added_keys.insert(dom.key(&style)) {
                added.push(style);
            }
        }

        let mut walker = AncestryWalker {
            dom,
            added_keys: &added_keys,
            memo: HashMap::new(),
        };

        // Top-level adds: connected nodes no ancestor of which is added too
        // (that ancestor's serialization holds them), under a parent the
        // replay knows and that is not a blocked placeholder.
        let mut top: Vec<(D::Node, NodeId, bool)> = Vec::new();
        let mut pending: HashSet<D::Key> = HashSet::new();
        for node in added {
            let key = dom.key(&node);
            if !added_keys.contains(&key) || pending.contains(&key) {
                continue;
            }
            let Some(parent) = dom.parent(&node) else {
                continue;
            };
            let parent_ancestry = walker.ancestry(&parent.node);
            if !parent_ancestry.connected || parent_ancestry.in_added_subtree {
                continue;
            }
            let Some(parent_id) = mirror.id_of(&parent.node) else {
                continue;
            };
            if mirror.flags(parent_id).contains(NodeFlags::BLOCKED) {
                continue;
            }
            pending.insert(key);
            top.push((node, parent_id, parent.in_shadow));
        }

        let mut out = String::from("{\"source\":0,\"texts\":[");
        let mut first = true;
        for node in texts {
            let Some(id) = mirror.id_of(&node) else {
                continue;
            };
            let ancestry = walker.ancestry(&node);
            if !ancestry.connected || ancestry.in_added_subtree {
                continue;
            }
            let value = match dom.read(&node) {
                NodeView::Text(text) => text_in_context(text, mirror.flags(id), privacy).0,
                NodeView::Comment(text) => text,
                _ => continue,
            };
            separate(&mut out, &mut first);
            let _ = write!(out, "{{\"id\":{id},\"value\":");
            write_str(&mut out, &value);
            out.push('}');
        }

        out.push_str("],\"attributes\":[");
        first = true;
        for (node, names) in attributes {
            let Some(id) = mirror.id_of(&node) else {
                continue;
            };
            let flags = mirror.flags(id);
            if flags.contains(NodeFlags::BLOCKED) {
                continue;
            }
            let ancestry = walker.ancestry(&node);
            if !ancestry.connected || ancestry.in_added_subtree {
                continue;
            }
            let tag_name = match dom.read_tag_name(&node) {
                Some(tag) => tag,
                None => continue,
            };
            let mut entries = String::new();
            for name in names {
                if is_event_handler_attribute(&name) || (tag_name == "iframe" && name == "src") {
                    continue;
                }
                if !entries.is_empty() {
                    entries.push(',');
                }
                write_str(&mut entries, &name);
                entries.push(':');
                match dom.attribute(&node, &name) {
                    None => entries.push_str("null"),
                    Some(value) => {
                        let is_field = matches!(tag_name.as_str(), "input" | "textarea" | "select");
                        let value = if is_field
                            && name == "value"
                            && flags.contains(NodeFlags::FIELD_MASKED)
                        {
                            mask_value(&value)
                        } else {
                            absolute_attribute(&tag_name, &name, value, &dom.base_url(&node))
                        };
                        write_str(&mut entries, &value);
                    }
                }
            }
            if tag_name == "dialog" && entries.contains("\"open\":") {
                // The replay opens a dialog modal only when told so, and
                // closes one properly (leaving the top layer) only when told
                // before the `open` attribute goes: so this comes first.
                let modal =
                    dom.attribute(&node, "open").is_some() && dom.matches(&node, "dialog:modal");
                let mode = if modal {
                    "\"rr_open_mode\":\"modal\","
                } else {
                    "\"rr_open_mode\":\"non-modal\","
                };
                entries.insert_str(0, mode);
            }
            if entries.is_empty() {
                continue;
            }
            separate(&mut out, &mut first);
            let _ = write!(out, "{{\"id\":{id},\"attributes\":{{{entries}}}}}");
        }

        let mut adds_out = String::new();
        first = true;
        // The Replayer forgets a removed node's light subtree only: what is
        // inside shadow roots below it stays mapped to the old nodes, and a
        // later add of those ids would build into them. Removing those
        // shadow contents first (while their hosts are still known) keeps
        // the replay's map in step. Only pages with shadow roots pay the walk.
        let shadow_removes: Vec<Remove> = if mirror.has_shadow_hosts() {
            removed_nodes
                .iter()
                .flat_map(|node| shadow_contents(dom, mirror, &removed_ids, node))
                .collect()
        } else {
            Vec::new()
        };
        // Ordered by where the replay has the nodes now, before the adds
        // below move any of them.
        let removes = deepest_first(mirror, shadow_removes, removes);
        // The replay forgets what is removed, and so does the mirror (what
        // was below goes at a sweep): its placements follow the live tree.
        // A node added again below is placed again as it is written.
        for remove in &removes {
            mirror.forget(remove.id);
        }
        let mut emitted: HashSet<D::Key> = HashSet::new();
        let mut node_count = 0;
        let mut iframes = Vec::new();
        let mut shadow_hosts = Vec::new();
        let mut pending_links = Vec::new();
        for (node, parent_id, in_shadow) in &top {
            if emitted.contains(&dom.key(node)) {
                continue;
            }
            // The replay inserts before `nextId`, which it must already
            // know: a run of added siblings is written last one first.
            let mut chain = vec![node.clone()];
            let mut next_id: Option<NodeId> = None;
            let mut sibling = dom.next_sibling(node);
            while let Some(current) = sibling {
                let key = dom.key(&current);
                if pending.contains(&key) && !emitted.contains(&key) {
                    sibling = dom.next_sibling(&current);
                    chain.push(current);
                    continue;
                }
                if let Some(id) = mirror.id_of(&current) {
                    next_id = Some(id);
                    break;
                }
                sibling = dom.next_sibling(&current);
            }
            let placement = Placement {
                context: mirror.flags(*parent_id),
                in_shadow: *in_shadow,
                parent_id: Some(*parent_id),
            };
            if *in_shadow {
                // A shadow root attached after the host was recorded.
                mirror.set_flags(*parent_id, placement.context.with(NodeFlags::SHADOW_HOST));
            }
            for member in chain.into_iter().rev() {
                emitted.insert(dom.key(&member));
                let Some(tree) = serialize_flat(dom, mirror, privacy, &member, placement) else {
                    continue;
                };
                let Some(root) = tree.nodes.first() else {
                    continue;
                };
                let root_id = root.id;
                write_flat_adds(&mut adds_out, &mut first, &tree.nodes, *parent_id, next_id);
                next_id = Some(root_id);
                node_count += tree.nodes.len() as u32;
                iframes.extend(tree.iframes);
                shadow_hosts.extend(tree.shadow_hosts);
                pending_links.extend(tree.pending_links);
            }
        }
        // Shadow contents of a re-added subtree go first: the Replayer
        // forgets a removed node's light subtree only, and would rebuild the
        // re-added shadow contents into the nodes it still maps.
        out.push_str("],\"removes\":[");
        first = true;
        for remove in &removes {
            separate(&mut out, &mut first);
            let _ = write!(
                out,
                "{{\"parentId\":{},\"id\":{}",
                remove.parent_id, remove.id
            );
            if remove.in_shadow {
                out.push_str(",\"isShadow\":true");
            }
            out.push('}');
        }
        out.push_str("],\"adds\":[");
        out.push_str(&adds_out);
        out.push_str("]}");

        mirror.sweep_if_grown();
        let nothing = "{\"source\":0,\"texts\":[],\"attributes\":[],\"removes\":[],\"adds\":[]}";
        if out == nothing {
            return None;
        }
        added_keys.clear();
        Some(MutationEmit {
            data_json: out,
            node_count,
            iframes,
            shadow_hosts,
            pending_links,
        })
    }
}

/// The removes, the most deeply placed node first (by where the replay
/// has each node before this batch). The Replayer forgets a removed node's
/// light subtree, so a later remove under it would be skipped, and not its
/// shadow contents, whose later removal would name a parent it no longer
/// knows; deepest first, every remove still finds its parent. Each remove is
/// its node's first in the batch, so it holds in the replay as it was
/// before the batch, whatever the order. Ties keep the batch's order.
fn deepest_first<S: IdStore>(
    mirror: &Mirror<S>,
    shadow_removes: Vec<Remove>,
    removes: Vec<Remove>,
) -> Vec<Remove> {
    let mut all: Vec<(usize, Remove)> = shadow_removes
        .into_iter()
        .chain(removes)
        .map(|remove| (mirror.replay_depth(remove.id), remove))
        .collect();
    all.sort_by_key(|(depth, _)| std::cmp::Reverse(*depth));
    all.into_iter().map(|(_, remove)| remove).collect()
}

/// Removes for the recorded children of every shadow root at or below
/// `node`, innermost first, so each goes while its host is still known.
fn shadow_contents<D: DomTree, S: IdStore<Node = D::Node>>(
    dom: &D,
    mirror: &Mirror<S>,
    removed_ids: &HashSet<NodeId>,
    node: &D::Node,
) -> Vec<Remove> {
    // A node removed elsewhere in this batch was somewhere else in the
    // replay: its own remove covers it and what is below it.
    let moved_here = |child: &D::Node| {
        mirror
            .id_of(child)
            .is_some_and(|id| removed_ids.contains(&id))
    };
    let mut removes = Vec::new();
    let mut stack = vec![node.clone()];
    while let Some(current) = stack.pop() {
        let host_id = mirror
            .id_of(&current)
            .filter(|&id| mirror.flags(id).contains(NodeFlags::SHADOW_HOST));
        if let Some(host_id) = host_id {
            for child in dom.shadow_children(&current) {
                if moved_here(&child) {
                    continue;
                }
                if let Some(id) = mirror.id_of(&child) {
                    removes.push(Remove {
                        parent_id: host_id,
                        id,
                        in_shadow: true,
                    });
                }
                stack.push(child);
            }
        }
        stack.extend(
            dom.child_nodes(&current)
                .into_iter()
                .filter(|child| !moved_here(child)),
        );
    }
    removes.reverse();
    removes
}

/// Writes a flat subtree as adds the Replayer resolves in one pass: each
/// node after its parent and after its next sibling (a node, then its
/// children last one first, each followed by its own subtree).
fn write_flat_adds(
    out: &mut String,
    first: &mut bool,
    nodes: &[FlatNode],
    parent_id: NodeId,
    next_id: Option<NodeId>,
) {
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (index, node) in nodes.iter().enumerate().skip(1) {
        if let Some(parent) = node.parent {
            children[parent].push(index);
        }
    }
    // (node index, its parent's id, its next sibling's id)
    let mut stack: Vec<(usize, NodeId, Option<NodeId>)> = vec![(0, parent_id, next_id)];
    while let Some((index, parent, next)) = stack.pop() {
        separate(out, first);
        let _ = write!(out, "{{\"parentId\":{parent},\"nextId\":");
        match next {
            Some(next) => {
                let _ = write!(out, "{next}");
            }
            None => out.push_str("null"),
        }
        out.push_str(",\"node\":");
        out.push_str(&nodes[index].json);
        out.push('}');
        let own = &children[index];
        for (position, &child) in own.iter().enumerate() {
            // Light children and shadow-root children are separate lists.
            let in_shadow = nodes[child].in_shadow;
            let sibling = own[position + 1..]
                .iter()
                .find(|&&next| nodes[next].in_shadow == in_shadow)
                .map(|&next| nodes[next].id);
            stack.push((child, nodes[index].id, sibling));
        }
    }
}

fn separate(out: &mut String, first: &mut bool) {
    if !std::mem::replace(first, false) {
        out.push(',');
    }
}

/// Answers [`Ancestry`] questions with one parent walk per node per emit.
struct AncestryWalker<'a, D: DomTree> {
    dom: &'a D,
    added_keys: &'a HashSet<D::Key>,
    memo: HashMap<D::Key, Ancestry>,
}

impl<D: DomTree> AncestryWalker<'_, D> {
    fn ancestry(&mut self, node: &D::Node) -> Ancestry {
        // Walk up until a node already known or the top, then fill in the
        // path from the top down.
        let mut path: Vec<(D::Key, D::Node)> = Vec::new();
        let mut current = node.clone();
        let mut above = loop {
            let key = self.dom.key(&current);
            if let Some(known) = self.memo.get(&key) {
                break Some(*known);
            }
            let parent = self.dom.parent(&current);
            path.push((key, current));
            match parent {
                Some(parent) => current = parent.node,
                None => break None,
            }
        };
        let mut result = above.unwrap_or(Ancestry {
            connected: false,
            in_added_subtree: false,
        });
        while let Some((key, top)) = path.pop() {
            let ancestry = match above {
                Some(parent) => Ancestry {
                    connected: parent.connected,
                    in_added_subtree: parent.in_added_subtree || self.added_keys.contains(&key),
                },
                // The top of the walk: connected if it is a document.
                None => Ancestry {
                    connected: self.dom.is_document(&top),
                    in_added_subtree: self.added_keys.contains(&key),
                },
            };
            self.memo.insert(key, ancestry);
            above = Some(ancestry);
            result = ancestry;
        }
        result
    }
}

#[cfg(test)]
mod tests;
