//! The emit: reading the current state of what changed and writing the
//! Mutation event (texts, attributes, removes deepest first, adds in an
//! order the Replayer resolves in one pass).

use crate::core::{IdMap, IdSet};

use super::{separate, MutationBuffer, MutationEmit, Remove};
use crate::core::dom::{DomTree, NodeView};
use crate::core::event::NodeId;
use crate::core::json::{push_u32, write_str};
use crate::core::mirror::{IdStore, Mirror, NodeFlags};
use crate::core::privacy::{mask_value, PrivacyRules};
use crate::core::snapshot::{
    is_event_handler_attribute, serialize_flat, text_in_context, FlatNode, Placement,
};

impl<D: DomTree> MutationBuffer<D> {
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
            memo: IdMap::default(),
        };

        // Top-level adds: connected nodes no ancestor of which is added too
        // (that ancestor's serialization holds them), under a parent the
        // replay knows and that is not a blocked placeholder.
        let mut top: Vec<(D::Node, NodeId, bool)> = Vec::new();
        let mut pending: IdSet<D::Key> = IdSet::default();
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
            out.push_str("{\"id\":");
            push_u32(&mut out, id);
            out.push_str(",\"value\":");
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
                            value
                        };
                        write_str(&mut entries, &value);
                    }
                }
            }
            if tag_name == "dialog" && has_open_key(&entries) {
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
            out.push_str("{\"id\":");
            push_u32(&mut out, id);
            out.push_str(",\"attributes\":{");
            out.push_str(&entries);
            out.push_str("}}");
        }

        let mut adds_out = String::new();
        first = true;
        // The Replayer forgets a removed node's light subtree only: what is
        // inside shadow roots below it stays mapped to the old nodes, and a
        // later add of those ids would build into them. Removing those
        // shadow contents first (while their hosts are still known) keeps
        // the replay's map in step. Only pages with shadow roots pay the walk.
        // (A loop, not `flat_map`: its adapter is a kilobyte of wasm.)
        let mut shadow_removes: Vec<Remove> = Vec::new();
        if mirror.has_shadow_hosts() {
            for node in &removed_nodes {
                shadow_removes.extend(shadow_contents(dom, mirror, &removed_ids, node));
            }
        }
        // Ordered by where the replay has the nodes now, before the adds
        // below move any of them.
        let removes = deepest_first(mirror, shadow_removes, removes);
        // The replay forgets what is removed, and so does the mirror (what
        // was below goes at a sweep): its placements follow the live tree.
        // A node added again below is placed again as it is written.
        for remove in &removes {
            mirror.forget(remove.id);
        }
        let mut emitted: IdSet<D::Key> = IdSet::default();
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
            out.push_str("{\"parentId\":");
            push_u32(&mut out, remove.parent_id);
            out.push_str(",\"id\":");
            push_u32(&mut out, remove.id);
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
    // (Loops, not iterator chains: less wasm.)
    let mut all: Vec<Option<Remove>> = Vec::new();
    let mut keys: Vec<u64> = Vec::new();
    for remove in shadow_removes.into_iter().chain(removes) {
        // Deepest first: the greater the depth, the smaller the key.
        keys.push(u64::MAX - mirror.replay_depth(remove.id) as u64);
        all.push(Some(remove));
    }
    let mut ordered = Vec::with_capacity(all.len());
    for at in crate::core::stable_order(keys) {
        if let Some(remove) = all.get_mut(at).and_then(Option::take) {
            ordered.push(remove);
        }
    }
    ordered
}

/// Removes for the recorded children of every shadow root at or below
/// `node`, innermost first, so each goes while its host is still known.
fn shadow_contents<D: DomTree, S: IdStore<Node = D::Node>>(
    dom: &D,
    mirror: &Mirror<S>,
    removed_ids: &IdSet<NodeId>,
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
        for child in dom.child_nodes(&current) {
            if !moved_here(&child) {
                stack.push(child);
            }
        }
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
    // Each node's children in order, as linked lists of indices (a list per
    // node would be a Vec of Vecs, whose cloning costs wasm).
    const NONE: usize = usize::MAX;
    let mut first_child = vec![NONE; nodes.len()];
    let mut last_child = vec![NONE; nodes.len()];
    let mut next_sibling = vec![NONE; nodes.len()];
    for (index, node) in nodes.iter().enumerate().skip(1) {
        if let Some(parent) = node.parent {
            match last_child[parent] {
                NONE => first_child[parent] = index,
                last => next_sibling[last] = index,
            }
            last_child[parent] = index;
        }
    }
    // (node index, its parent's id, its next sibling's id)
    let mut stack: Vec<(usize, NodeId, Option<NodeId>)> = vec![(0, parent_id, next_id)];
    while let Some((index, parent, next)) = stack.pop() {
        separate(out, first);
        out.push_str("{\"parentId\":");
        push_u32(out, parent);
        out.push_str(",\"nextId\":");
        match next {
            Some(next) => push_u32(out, next),
            None => out.push_str("null"),
        }
        out.push_str(",\"node\":");
        out.push_str(&nodes[index].json);
        out.push('}');
        let mut child = first_child[index];
        while child != NONE {
            // Light children and shadow-root children are separate lists.
            let in_shadow = nodes[child].in_shadow;
            let mut sibling = next_sibling[child];
            while sibling != NONE && nodes[sibling].in_shadow != in_shadow {
                sibling = next_sibling[sibling];
            }
            let sibling_id = (sibling != NONE).then(|| nodes[sibling].id);
            stack.push((child, nodes[index].id, sibling_id));
            child = next_sibling[child];
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

/// Answers [`Ancestry`] questions with one parent walk per node per emit.
struct AncestryWalker<'a, D: DomTree> {
    dom: &'a D,
    added_keys: &'a IdSet<D::Key>,
    memo: IdMap<D::Key, Ancestry>,
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

/// Whether attribute entries (`"name":value,...`) include `"open":`, by
/// bytes: `str::contains` would add str's two-way search to the wasm.
fn has_open_key(entries: &str) -> bool {
    entries
        .as_bytes()
        .windows(7)
        .any(|window| window == b"\"open\":")
}
