//! The fast paths for batches in which only texts or only attributes
//! changed: the web layer's packing of them parsed, and their Mutation
//! event written straight from it, without reading the DOM again. And the
//! layout of any batch, which the web layer reads in one crossing.

use super::separate;
use crate::core::event::NodeId;
use crate::core::json::{parse_as, push_u32, split_once_at, write_str};
use crate::core::mirror::{IdStore, Mirror, NodeFlags};
use crate::core::privacy::PrivacyRules;
use crate::core::snapshot::{is_event_handler_attribute, text_in_context};

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
        let (id, after) = split_once_at(rest.get(1..)?, b':')?;
        rest = after;
        let data = take_counted(&mut rest)?;
        changes.push(TextChange {
            is_comment,
            id: parse_as(id)?,
            data,
        });
    }
    Some(changes)
}

/// The Mutation event of a batch in which only texts changed, written
/// straight from the changes (no node is read again): what
/// [`MutationBuffer::emit`](super::MutationBuffer::emit) would write for
/// it. `None` when a text belongs to a `<style>`, which needs the buffer's
/// restyle, or nothing changed.
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
        out.push_str("{\"id\":");
        push_u32(&mut out, change.id);
        out.push_str(",\"value\":");
        write_str(&mut out, &value);
        out.push('}');
    }
    out.push_str("],\"attributes\":[],\"removes\":[],\"adds\":[]}");
    Some(out)
}

/// One element of a batch in which only attributes changed: its id, its
/// tag name as the DOM reports it, and each changed attribute with its
/// value now (URLs absolute, see `DomTree`; `None`: removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeChange<'a> {
    pub id: NodeId,
    pub tag_name: &'a str,
    pub attributes: Vec<(&'a str, Option<&'a str>)>,
}

/// Reads one `<length in UTF-16 units>:<text>` field off the front of
/// `rest`.
fn take_counted<'a>(rest: &mut &'a str) -> Option<&'a str> {
    let (units, after) = split_once_at(rest, b':')?;
    let units: usize = parse_as(units)?;
    // Walked by UTF-8 lead bytes rather than decoded characters (less
    // wasm): a lead byte gives its character's length in bytes, and the
    // four-byte ones, outside the BMP, are two UTF-16 units.
    let (mut counted, mut end) = (0, 0);
    while counted < units {
        let lead = *after.as_bytes().get(end)?;
        counted += if lead >= 0xF0 { 2 } else { 1 };
        end += match lead {
            0..=0x7F => 1,
            0xC0..=0xDF => 2,
            0xE0..=0xEF => 3,
            _ => 4,
        };
    }
    if counted != units {
        return None;
    }
    let (counted, after) = after.split_at_checked(end)?;
    *rest = after;
    Some(counted)
}

/// One observer record of a batch the web layer packed (`packRecords` in
/// `src/web/page.js`): the record's nodes, and an attribute's name, follow
/// the layout in one list, in record order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordShape {
    /// A child list changed: its target (a shadow root's host when
    /// `in_shadow`), then `added` nodes, then `removed` nodes.
    ChildList {
        in_shadow: bool,
        added: usize,
        removed: usize,
    },
    /// A text's or comment's data changed: its target.
    CharacterData,
    /// An attribute changed: its target, then its qualified name.
    Attribute(AttributeKind),
}

/// What else an attribute record asks of the recording.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttributeKind {
    Plain,
    /// `loop` or `muted` of a video or audio element: its media state.
    Media,
    /// `value`: the field's value, which frameworks sync with it.
    Value,
}

/// Splits the layout of a packed batch: per record `c` (a child list) or
/// `s` (a shadow root's) followed by `added:removed:`, `d` (data), or `a`,
/// `m`, `v` (an attribute: plain, media, value). `None` when malformed.
pub fn parse_record_layout(layout: &str) -> Option<Vec<RecordShape>> {
    let mut shapes = Vec::new();
    let mut rest = layout;
    while let Some(&kind) = rest.as_bytes().first() {
        rest = rest.get(1..)?;
        shapes.push(match kind {
            b'c' | b's' => RecordShape::ChildList {
                in_shadow: kind == b's',
                added: take_number(&mut rest)?,
                removed: take_number(&mut rest)?,
            },
            b'd' => RecordShape::CharacterData,
            b'a' => RecordShape::Attribute(AttributeKind::Plain),
            b'm' => RecordShape::Attribute(AttributeKind::Media),
            b'v' => RecordShape::Attribute(AttributeKind::Value),
            _ => return None,
        });
    }
    Some(shapes)
}

/// Reads one `<number>:` field off the front of `rest`.
fn take_number(rest: &mut &str) -> Option<usize> {
    let (number, after) = split_once_at(rest, b':')?;
    *rest = after;
    parse_as(number)
}

/// Splits the web layer's packing of an attribute-only batch: per element
/// `n`, its id, its counted tag name, the count of changed
/// attributes, and per attribute its counted name followed by `x`
/// (removed) or `v` and the counted value. Lengths count UTF-16 units, as
/// JS does. `None` when malformed.
pub fn parse_attribute_batch(packed: &str) -> Option<Vec<AttributeChange<'_>>> {
    let mut rest = packed;
    let mut changes = Vec::new();
    while let Some(after) = crate::core::json::after_byte(rest, b'n') {
        rest = after;
        let id = NodeId::try_from(take_number(&mut rest)?).ok()?;
        let tag_name = take_counted(&mut rest)?;
        let count = take_number(&mut rest)?;
        let mut attributes = Vec::with_capacity(count.min(64));
        for _ in 0..count {
            let name = take_counted(&mut rest)?;
            let value = if let Some(after) = crate::core::json::after_byte(rest, b'x') {
                rest = after;
                None
            } else {
                rest = crate::core::json::after_byte(rest, b'v')?;
                Some(take_counted(&mut rest)?)
            };
            attributes.push((name, value));
        }
        changes.push(AttributeChange {
            id,
            tag_name,
            attributes,
        });
    }
    rest.is_empty().then_some(changes)
}

/// The Mutation event of a batch in which only attributes changed, written
/// straight from the changes: what
/// [`MutationBuffer::emit`](super::MutationBuffer::emit) would write for
/// it. The web layer leaves to the buffer the attributes with more to
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
                Some(value) => write_str(&mut entries, value),
            }
        }
        if entries.is_empty() {
            continue;
        }
        separate(&mut out, &mut first);
        out.push_str("{\"id\":");
        push_u32(&mut out, change.id);
        out.push_str(",\"attributes\":{");
        out.push_str(&entries);
        out.push_str("}}");
    }
    if first {
        return None;
    }
    out.push_str("],\"removes\":[],\"adds\":[]}");
    Some(out)
}

#[cfg(test)]
mod layout_tests {
    use super::*;

    #[test]
    fn a_batch_layout_names_each_record_and_its_counts() {
        let child_list = |in_shadow, added, removed| RecordShape::ChildList {
            in_shadow,
            added,
            removed,
        };
        assert_eq!(
            parse_record_layout("c2:0:dams1:12:v").unwrap(),
            vec![
                child_list(false, 2, 0),
                RecordShape::CharacterData,
                RecordShape::Attribute(AttributeKind::Plain),
                RecordShape::Attribute(AttributeKind::Media),
                child_list(true, 1, 12),
                RecordShape::Attribute(AttributeKind::Value),
            ]
        );
        assert_eq!(parse_record_layout("").unwrap(), vec![]);
    }

    #[test]
    fn a_malformed_layout_is_refused() {
        for bad in [
            "x",
            "c2:",
            "c:1:",
            "c2:1",
            "s-1:0:",
            "c99999999999999999999:0:",
            "dd?",
        ] {
            assert_eq!(parse_record_layout(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_counted_field_is_cut_at_its_utf16_length() {
        fn take(packed: &str) -> Option<(&str, &str)> {
            let mut rest = packed;
            let field = take_counted(&mut rest)?;
            Some((field, rest))
        }
        // One-, two-, three- and four-byte characters; the last is two units.
        assert_eq!(take("3:abcdef"), Some(("abc", "def")));
        assert_eq!(take("0:abc"), Some(("", "abc")));
        assert_eq!(take("3:aé€𝄞x"), Some(("aé€", "𝄞x")));
        assert_eq!(take("5:aé€𝄞x"), Some(("aé€𝄞", "x")));
        assert_eq!(take("5:aé€𝄞"), Some(("aé€𝄞", "")));
        // A count that ends inside a surrogate pair, or past the text.
        assert_eq!(take("4:aé€𝄞"), None);
        assert_eq!(take("2:a𝄞x"), None);
        assert_eq!(take("6:aé€𝄞"), None);
        assert_eq!(take("1:"), None);
        assert_eq!(take("x:abc"), None);
        assert_eq!(take("3abc"), None);
    }
}
