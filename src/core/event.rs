//! The replay event model: serde types of rrweb's event schema (2.x, types 0-6).
//!
//! rrweb's `Replayer` and rrweb-player must play what rewind records with no
//! adapter, so the JSON these types write is exactly rrweb's: numeric `type`
//! tags, camelCase field names, optional fields left out rather than `null`.
//! See `shared/rrweb-format.md` for the schema this follows.

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

/// A node's id in a recording: a counter from 1, unique for the recording and
/// stable between a snapshot and later mutations.
pub type NodeId = u32;

/// Epoch milliseconds from the page clock (`Date.now()`), as rrweb uses.
pub type TimestampMs = f64;

/// One replay event: rrweb's `{ type, data, timestamp }` envelope.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub timestamp: TimestampMs,
    pub data: EventData,
}

/// The payload of an event; its variant decides the envelope's `type`.
#[derive(Debug, Clone, PartialEq)]
pub enum EventData {
    /// rrweb's `Meta` (type 4): page address and viewport, before every full snapshot.
    Meta(Meta),
    /// rrweb's `FullSnapshot` (type 2).
    FullSnapshot(FullSnapshot),
}

impl EventData {
    /// rrweb's numeric `EventType` for this payload.
    pub fn event_type(&self) -> u8 {
        match self {
            EventData::FullSnapshot(_) => 2,
            EventData::Meta(_) => 4,
        }
    }
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("type", &self.data.event_type())?;
        match &self.data {
            EventData::Meta(meta) => map.serialize_entry("data", meta)?,
            EventData::FullSnapshot(snapshot) => map.serialize_entry("data", snapshot)?,
        }
        map.serialize_entry("timestamp", &JsNumber(self.timestamp))?;
        map.end()
    }
}

/// A number written as JavaScript would print it: whole numbers without the
/// `.0` serde_json adds to every f64, which would cost two bytes per
/// timestamp and scroll offset on the wire.
struct JsNumber(f64);

/// The largest integer a JavaScript number holds exactly (2^53 - 1).
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

impl Serialize for JsNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let value = self.0;
        if value.fract() == 0.0 && value.abs() <= MAX_SAFE_INTEGER {
            serializer.serialize_i64(value as i64)
        } else {
            serializer.serialize_f64(value)
        }
    }
}

fn serialize_js_number<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    JsNumber(*value).serialize(serializer)
}

/// `Meta` data: where the page was and how large its viewport.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Meta {
    pub href: String,
    pub width: u32,
    pub height: u32,
}

/// `FullSnapshot` data: the serialized document and the page scroll offset.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FullSnapshot {
    pub node: SerializedNode,
    pub initial_offset: ScrollOffset,
}

/// The page scroll position when the snapshot was taken.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct ScrollOffset {
    #[serde(serialize_with = "serialize_js_number")]
    pub top: f64,
    #[serde(serialize_with = "serialize_js_number")]
    pub left: f64,
}

/// One serialized DOM node with its id.
#[derive(Debug, Clone, PartialEq)]
pub struct SerializedNode {
    pub id: NodeId,
    pub kind: SerializedKind,
}

/// The node types of rrweb-snapshot's `NodeType`.
#[derive(Debug, Clone, PartialEq)]
pub enum SerializedKind {
    Document {
        child_nodes: Vec<SerializedNode>,
        compat_mode: Option<String>,
    },
    DocumentType {
        name: String,
        public_id: String,
        system_id: String,
    },
    Element(SerializedElement),
    Text {
        text_content: String,
        /// The text of a `<style>` element, which the Replayer treats as CSS.
        is_style: bool,
    },
    CData,
    Comment {
        text_content: String,
    },
}

impl SerializedKind {
    /// rrweb-snapshot's numeric `NodeType`.
    pub fn node_type(&self) -> u8 {
        match self {
            SerializedKind::Document { .. } => 0,
            SerializedKind::DocumentType { .. } => 1,
            SerializedKind::Element(_) => 2,
            SerializedKind::Text { .. } => 3,
            SerializedKind::CData => 4,
            SerializedKind::Comment { .. } => 5,
        }
    }
}

/// An element: lower-case tag name, attributes in DOM order, children.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SerializedElement {
    pub tag_name: String,
    pub attributes: Attributes,
    pub child_nodes: Vec<SerializedNode>,
    pub is_svg: bool,
    pub is_custom: bool,
}

/// Attributes in the order the DOM lists them (a JSON object on the wire).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Attributes(pub Vec<(String, AttributeValue)>);

impl Attributes {
    /// The value of attribute `name`, if present.
    pub fn get(&self, name: &str) -> Option<&AttributeValue> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Sets `name` to `value`, replacing an earlier value in place.
    pub fn set(&mut self, name: &str, value: AttributeValue) {
        match self.0.iter_mut().find(|(n, _)| n == name) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name.to_owned(), value)),
        }
    }

    /// Removes `name` if present.
    pub fn remove(&mut self, name: &str) {
        self.0.retain(|(n, _)| n != name);
    }
}

/// An attribute value: rrweb allows strings, numbers and booleans
/// (`checked: true`, `rr_scrollTop: 120`).
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeValue {
    Text(String),
    Number(f64),
    Bool(bool),
}

impl From<&str> for AttributeValue {
    fn from(value: &str) -> Self {
        AttributeValue::Text(value.to_owned())
    }
}

impl From<String> for AttributeValue {
    fn from(value: String) -> Self {
        AttributeValue::Text(value)
    }
}

impl Serialize for AttributeValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            AttributeValue::Text(text) => serializer.serialize_str(text),
            AttributeValue::Number(number) => JsNumber(*number).serialize(serializer),
            AttributeValue::Bool(flag) => serializer.serialize_bool(*flag),
        }
    }
}

impl Serialize for Attributes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in &self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

impl Serialize for SerializedNode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("type", &self.kind.node_type())?;
        match &self.kind {
            SerializedKind::Document {
                child_nodes,
                compat_mode,
            } => {
                map.serialize_entry("childNodes", child_nodes)?;
                if let Some(mode) = compat_mode {
                    map.serialize_entry("compatMode", mode)?;
                }
            }
            SerializedKind::DocumentType {
                name,
                public_id,
                system_id,
            } => {
                map.serialize_entry("name", name)?;
                map.serialize_entry("publicId", public_id)?;
                map.serialize_entry("systemId", system_id)?;
            }
            SerializedKind::Element(element) => {
                map.serialize_entry("tagName", &element.tag_name)?;
                map.serialize_entry("attributes", &element.attributes)?;
                map.serialize_entry("childNodes", &element.child_nodes)?;
                if element.is_svg {
                    map.serialize_entry("isSVG", &true)?;
                }
                if element.is_custom {
                    map.serialize_entry("isCustom", &true)?;
                }
            }
            SerializedKind::Text {
                text_content,
                is_style,
            } => {
                map.serialize_entry("textContent", text_content)?;
                if *is_style {
                    map.serialize_entry("isStyle", &true)?;
                }
            }
            SerializedKind::CData => map.serialize_entry("textContent", "")?,
            SerializedKind::Comment { text_content } => {
                map.serialize_entry("textContent", text_content)?;
            }
        }
        map.serialize_entry("id", &self.id)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn meta_event_has_rrweb_envelope() {
        let event = Event {
            timestamp: 1_700_000_000_123.0,
            data: EventData::Meta(Meta {
                href: "https://shop.example/cart".into(),
                width: 1280,
                height: 720,
            }),
        };
        assert_eq!(
            serde_json::to_value(&event).unwrap(),
            json!({
                "type": 4,
                "data": {"href": "https://shop.example/cart", "width": 1280, "height": 720},
                "timestamp": 1_700_000_000_123u64
            })
        );
    }

    #[test]
    fn element_leaves_out_false_flags_and_keeps_attribute_order() {
        let node = SerializedNode {
            id: 7,
            kind: SerializedKind::Element(SerializedElement {
                tag_name: "input".into(),
                attributes: Attributes(vec![
                    ("type".into(), "checkbox".into()),
                    ("checked".into(), AttributeValue::Bool(true)),
                    ("rr_scrollTop".into(), AttributeValue::Number(12.0)),
                ]),
                ..Default::default()
            }),
        };
        let text = serde_json::to_string(&node).unwrap();
        assert_eq!(
            text,
            r#"{"type":2,"tagName":"input","attributes":{"type":"checkbox","checked":true,"rr_scrollTop":12},"childNodes":[],"id":7}"#
        );
    }

    #[test]
    fn whole_numbers_are_written_without_fraction_and_fractions_kept() {
        assert_eq!(serde_json::to_string(&JsNumber(12.0)).unwrap(), "12");
        assert_eq!(serde_json::to_string(&JsNumber(-3.0)).unwrap(), "-3");
        assert_eq!(serde_json::to_string(&JsNumber(0.5)).unwrap(), "0.5");
        assert_eq!(serde_json::to_string(&JsNumber(1e300)).unwrap(), "1e+300");
    }

    #[test]
    fn svg_and_custom_flags_are_written_when_set() {
        let node = SerializedNode {
            id: 3,
            kind: SerializedKind::Element(SerializedElement {
                tag_name: "svg".into(),
                is_svg: true,
                is_custom: true,
                ..Default::default()
            }),
        };
        let value = serde_json::to_value(&node).unwrap();
        assert_eq!(value["isSVG"], json!(true));
        assert_eq!(value["isCustom"], json!(true));
    }

    #[test]
    fn attributes_set_replaces_in_place_and_remove_drops() {
        let mut attributes = Attributes(vec![
            ("a".into(), "1".into()),
            ("b".into(), "2".into()),
        ]);
        attributes.set("a", "3".into());
        attributes.set("c", "4".into());
        attributes.remove("b");
        assert_eq!(
            attributes.0,
            vec![("a".into(), "3".into()), ("c".into(), "4".into())]
        );
        assert_eq!(attributes.get("c"), Some(&AttributeValue::from("4")));
    }
}
