//! The replay event model: rrweb's event schema (2.x, types 0-6).
//!
//! rrweb's `Replayer` and rrweb-player must play what rewind records with no
//! adapter, so the JSON written here is exactly rrweb's: numeric `type` tags,
//! camelCase field names, optional fields left out rather than `null`. See
//! `shared/rrweb-format.md` for the schema.
//!
//! Serialized DOM nodes arrive already written as JSON ([`NodeJson`]) by the
//! snapshot serializer, which streams them as it walks the DOM; events wrap
//! them without copying the tree into another representation.

use super::json::{write_number, write_str};

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
    /// rrweb's `Custom` (type 5): `{ tag, payload }`, shown in the replay's
    /// timeline (`log()` uses tag "log", `identify()` tag "identify").
    Custom(Custom),
    /// rrweb's `IncrementalSnapshot` (type 3): its `data` as JSON, which
    /// starts with the `source`.
    Incremental(String),
    /// rrweb's `Plugin` (type 6): `{ plugin, payload }` as JSON.
    Plugin(String),
}

impl EventData {
    /// rrweb's numeric `EventType` for this payload.
    pub fn event_type(&self) -> u8 {
        match self {
            EventData::FullSnapshot(_) => 2,
            EventData::Incremental(_) => 3,
            EventData::Meta(_) => 4,
            EventData::Custom(_) => 5,
            EventData::Plugin(_) => 6,
        }
    }
}

/// `Meta` data: where the page was and how large its viewport.
#[derive(Debug, Clone, PartialEq)]
pub struct Meta {
    pub href: String,
    pub width: u32,
    pub height: u32,
}

/// `FullSnapshot` data: the serialized document and the page scroll offset.
#[derive(Debug, Clone, PartialEq)]
pub struct FullSnapshot {
    pub node: NodeJson,
    pub initial_offset: ScrollOffset,
}

impl FullSnapshot {
    /// A FullSnapshot event's JSON before its node, for writing the event
    /// in parts as a sliced snapshot produces its node.
    pub const JSON_HEAD: &'static str = "{\"type\":2,\"data\":{\"node\":";

    /// A FullSnapshot event's JSON after its node.
    pub fn json_tail(initial_offset: ScrollOffset, timestamp: TimestampMs) -> String {
        let mut out = String::from(",\"initialOffset\":{\"top\":");
        write_number(&mut out, initial_offset.top);
        out.push_str(",\"left\":");
        write_number(&mut out, initial_offset.left);
        out.push_str("}},\"timestamp\":");
        write_number(&mut out, timestamp);
        out.push('}');
        out
    }
}

/// A serialized node with its subtree, as rrweb JSON
/// (`{"id":1,"type":0,"childNodes":[...]}`), written by the snapshot serializer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NodeJson(pub String);

/// `Custom` data: a tag and a JSON payload written by the caller.
#[derive(Debug, Clone, PartialEq)]
pub struct Custom {
    pub tag: String,
    /// The payload as JSON text.
    pub payload_json: String,
}

/// The page scroll position when the snapshot was taken.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ScrollOffset {
    pub top: f64,
    pub left: f64,
}

impl Event {
    /// The event as rrweb JSON.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }

    /// Appends the event as rrweb JSON to `out`.
    pub fn write_json(&self, out: &mut String) {
        out.push_str("{\"type\":");
        write_number(out, f64::from(self.data.event_type()));
        out.push_str(",\"data\":");
        match &self.data {
            EventData::Meta(meta) => {
                out.push_str("{\"href\":");
                write_str(out, &meta.href);
                out.push_str(",\"width\":");
                write_number(out, f64::from(meta.width));
                out.push_str(",\"height\":");
                write_number(out, f64::from(meta.height));
                out.push('}');
            }
            EventData::FullSnapshot(snapshot) => {
                out.reserve(snapshot.node.0.len() + 64);
                out.push_str("{\"node\":");
                out.push_str(&snapshot.node.0);
                out.push_str(",\"initialOffset\":{\"top\":");
                write_number(out, snapshot.initial_offset.top);
                out.push_str(",\"left\":");
                write_number(out, snapshot.initial_offset.left);
                out.push_str("}}");
            }
            EventData::Incremental(data) | EventData::Plugin(data) => out.push_str(data),
            EventData::Custom(custom) => {
                out.push_str("{\"tag\":");
                write_str(out, &custom.tag);
                out.push_str(",\"payload\":");
                out.push_str(&custom.payload_json);
                out.push('}');
            }
        }
        out.push_str(",\"timestamp\":");
        write_number(out, self.timestamp);
        out.push('}');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn parsed(event: &Event) -> Value {
        serde_json::from_str(&event.to_json()).expect("events are valid JSON")
    }

    #[test]
    fn meta_event_has_rrweb_envelope() {
        let event = Event {
            timestamp: 1_700_000_000_123.0,
            data: EventData::Meta(Meta {
                href: "https://shop.example/cart?q=\"x\"".into(),
                width: 1280,
                height: 720,
            }),
        };
        assert_eq!(
            parsed(&event),
            json!({
                "type": 4,
                "data": {"href": "https://shop.example/cart?q=\"x\"", "width": 1280, "height": 720},
                "timestamp": 1_700_000_000_123u64
            })
        );
    }

    #[test]
    fn custom_event_carries_tag_and_payload() {
        let event = Event {
            timestamp: 9.0,
            data: EventData::Custom(Custom {
                tag: "log".into(),
                payload_json: r#"{"message":"cart opened","data":{"items":3}}"#.into(),
            }),
        };
        assert_eq!(
            parsed(&event),
            json!({"type": 5, "data": {"tag": "log", "payload": {"message": "cart opened", "data": {"items": 3}}}, "timestamp": 9})
        );
    }

    #[test]
    fn full_snapshot_head_node_and_tail_are_the_whole_event() {
        let offset = ScrollOffset {
            top: 12.0,
            left: 3.5,
        };
        let node = r#"{"id":1,"type":0,"childNodes":[]}"#;
        let whole = Event {
            timestamp: 7.0,
            data: EventData::FullSnapshot(FullSnapshot {
                node: NodeJson(node.into()),
                initial_offset: offset,
            }),
        };
        let parts = format!(
            "{}{node}{}",
            FullSnapshot::JSON_HEAD,
            FullSnapshot::json_tail(offset, 7.0)
        );
        assert_eq!(parts, whole.to_json());
    }

    #[test]
    fn full_snapshot_embeds_the_node_json_and_offset() {
        let event = Event {
            timestamp: 5.0,
            data: EventData::FullSnapshot(FullSnapshot {
                node: NodeJson(r#"{"id":1,"type":0,"childNodes":[]}"#.into()),
                initial_offset: ScrollOffset {
                    top: 120.5,
                    left: 0.0,
                },
            }),
        };
        assert_eq!(
            parsed(&event),
            json!({
                "type": 2,
                "data": {
                    "node": {"id": 1, "type": 0, "childNodes": []},
                    "initialOffset": {"top": 120.5, "left": 0}
                },
                "timestamp": 5
            })
        );
    }
}
