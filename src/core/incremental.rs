//! rrweb's IncrementalSnapshot data for what the page and the user do
//! besides mutating the DOM's tree: pointer moves, clicks, scrolls, viewport
//! size, field values, media playback, selections, CSSOM edits, adopted
//! sheets, loaded stylesheets and same-origin frames. (The console
//! plugin's events are written in JS, where the calls and errors are read:
//! `consoleCall` and `describeUncaught` in `src/web/page.js`.)
//!
//! The web layer reads the page and hands the facts over as an
//! [`Incremental`]; the JSON is written here, by hand like the rest of the
//! core (see `json.rs`), so every event kind is tested natively against
//! rrweb's schema (`shared/rrweb-format.md`). Key order follows what the
//! recorder has always written, so recordings before and after read alike.

use super::dom::MediaState;
use super::event::{NodeId, TimestampMs};
use super::json::{parse_as, push_bool, push_u32, split_at_each, write_number, write_str};

/// rrweb's IncrementalSource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Source {
    Mutation = 0,
    MouseMove = 1,
    MouseInteraction = 2,
    Scroll = 3,
    ViewportResize = 4,
    Input = 5,
    TouchMove = 6,
    MediaInteraction = 7,
    StyleSheetRule = 8,
    CanvasMutation = 9,
    Font = 10,
    /// Deprecated in rrweb; never written by rewind.
    Log = 11,
    Drag = 12,
    StyleDeclaration = 13,
    Selection = 14,
    AdoptedStyleSheet = 15,
    CustomElement = 16,
}

/// rrweb's MouseInteraction types (8, `TouchMove_Departed`, is never
/// recorded: rrweb's own recorder does not emit it either).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Interaction {
    MouseUp = 0,
    MouseDown = 1,
    Click = 2,
    ContextMenu = 3,
    DblClick = 4,
    Focus = 5,
    Blur = 6,
    TouchStart = 7,
    TouchEnd = 9,
    TouchCancel = 10,
}

impl Interaction {
    /// Every interaction rewind records, in type order.
    pub const ALL: [Interaction; 10] = [
        Interaction::MouseUp,
        Interaction::MouseDown,
        Interaction::Click,
        Interaction::ContextMenu,
        Interaction::DblClick,
        Interaction::Focus,
        Interaction::Blur,
        Interaction::TouchStart,
        Interaction::TouchEnd,
        Interaction::TouchCancel,
    ];

    /// Whether the interaction happens at a point: everything but focus and
    /// blur, which have no position and no pointer.
    pub fn has_position(self) -> bool {
        !matches!(self, Interaction::Focus | Interaction::Blur)
    }

    /// The DOM event that reports this interaction.
    pub fn event_type(self) -> &'static str {
        match self {
            Interaction::MouseUp => "mouseup",
            Interaction::MouseDown => "mousedown",
            Interaction::Click => "click",
            Interaction::ContextMenu => "contextmenu",
            Interaction::DblClick => "dblclick",
            Interaction::Focus => "focus",
            Interaction::Blur => "blur",
            Interaction::TouchStart => "touchstart",
            Interaction::TouchEnd => "touchend",
            Interaction::TouchCancel => "touchcancel",
        }
    }
}

/// rrweb's MediaInteraction types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum MediaInteraction {
    Play = 0,
    Pause = 1,
    Seeked = 2,
    VolumeChange = 3,
    RateChange = 4,
}

impl MediaInteraction {
    /// Every media interaction, in type order (so `ALL[t]` has type `t`).
    pub const ALL: [MediaInteraction; 5] = [
        MediaInteraction::Play,
        MediaInteraction::Pause,
        MediaInteraction::Seeked,
        MediaInteraction::VolumeChange,
        MediaInteraction::RateChange,
    ];

    /// The media element event that reports this interaction.
    pub fn event_type(self) -> &'static str {
        match self {
            MediaInteraction::Play => "play",
            MediaInteraction::Pause => "pause",
            MediaInteraction::Seeked => "seeked",
            MediaInteraction::VolumeChange => "volumechange",
            MediaInteraction::RateChange => "ratechange",
        }
    }

    /// The interaction of rrweb type `kind`; `None` past `RateChange`.
    pub fn from_type(kind: u8) -> Option<MediaInteraction> {
        Self::ALL.get(usize::from(kind)).copied()
    }
}

/// One sampled pointer position: client coordinates, the node under the
/// pointer, and when it was there.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PointerPosition {
    pub x: f64,
    pub y: f64,
    pub id: NodeId,
    pub at: TimestampMs,
}

/// One range of the page's selection, as node ids and offsets.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SelectionRange {
    pub start: NodeId,
    pub start_offset: u32,
    pub end: NodeId,
    pub end_offset: u32,
}

impl SelectionRange {
    /// Whether `ranges` show no selected text: none, or carets only.
    ///
    /// A text field's caret or selection moving fires `selectionchange` at
    /// the field (HTML's selection API of text controls) and leaves the
    /// document's selection a caret before the field, which replays as
    /// nothing. Only one such event can change what a replay shows: focus
    /// moving into a field from text selected in the page, which Chromium
    /// announces at the field alone (Firefox at the document too). So
    /// events at fields are read only while the last selection recorded
    /// selects text, as rrweb skips a caret that follows a caret.
    pub fn all_collapsed(ranges: &[SelectionRange]) -> bool {
        let mut collapsed = true;
        for range in ranges {
            collapsed &= range.start == range.end && range.start_offset == range.end_offset;
        }
        collapsed
    }

    /// The ranges as the web layer packs them in one crossing
    /// (`selectionRanges` in `src/web/page.js`): `startId,startOffset,
    /// endId,endOffset` per range, `;` between. A range that does not
    /// parse is left out.
    pub fn parse_all(packed: &str) -> Vec<SelectionRange> {
        let mut ranges = Vec::new();
        for range in split_at_each(packed, b';') {
            let mut numbers = split_at_each(range, b',').map(parse_as::<u32>);
            if let (
                Some(Some(start)),
                Some(Some(start_offset)),
                Some(Some(end)),
                Some(Some(end_offset)),
                None,
            ) = (
                numbers.next(),
                numbers.next(),
                numbers.next(),
                numbers.next(),
                numbers.next(),
            ) {
                ranges.push(SelectionRange {
                    start,
                    start_offset,
                    end,
                    end_offset,
                });
            }
        }
        ranges
    }
}

/// A media element's whole playback state, sent with every media event:
/// the Replayer sets muted and loop from the last one it saw.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MediaSnapshot {
    pub current_time: f64,
    pub volume: f64,
    pub muted: bool,
    pub looped: bool,
    pub playback_rate: f64,
}

impl From<&MediaState> for MediaSnapshot {
    fn from(state: &MediaState) -> Self {
        MediaSnapshot {
            current_time: state.current_time,
            volume: state.volume,
            muted: state.muted,
            looped: state.looped,
            playback_rate: state.playback_rate,
        }
    }
}

/// Who a stylesheet change is about: an owner node, or a constructed sheet's styleId.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SheetTarget {
    Node(NodeId),
    StyleId(u32),
}

/// The data of one IncrementalSnapshot event, borrowed from the caller.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Incremental<'a> {
    /// source 1 (mouse) or 6 (touch); each position's timeOffset = (at - now).min(0)
    PointerMoves {
        touch: bool,
        positions: &'a [PointerPosition],
        now: TimestampMs,
    },
    /// source 2; x,y only when position is Some; pointerType (0 mouse, 2 touch) only when kind.has_position()
    ///
    /// A position given for focus or blur is not written: rrweb has none
    /// for them (the recorder never read one).
    Interaction {
        kind: Interaction,
        id: NodeId,
        position: Option<(f64, f64)>,
        touch: bool,
    },
    /// source 3; the document's id for the page scroll.
    Scroll { id: NodeId, x: f64, y: f64 },
    /// source 4.
    ViewportResize { width: u32, height: u32 },
    /// source 5; `text` as recorded (already masked where the rules say).
    Input {
        id: NodeId,
        text: &'a str,
        is_checked: bool,
        user_triggered: bool,
    },
    /// source 7, with the element's whole state.
    Media {
        kind: MediaInteraction,
        id: NodeId,
        state: MediaSnapshot,
    },
    /// source 14.
    Selection { ranges: &'a [SelectionRange] },
    /// source 8: `members` are JSON object members made by the page hooks, e.g. `"adds":[{"rule":"…","index":0}]`
    StyleSheetRule {
        target: SheetTarget,
        members: &'a str,
    },
    /// source 13, members like `"index":[0],"set":{…}`
    StyleDeclaration {
        target: SheetTarget,
        members: &'a str,
    },
    /// source 15, members `"styles":[…],"styleIds":[…]`
    AdoptedStyleSheet { id: NodeId, members: &'a str },
    /// source 0: a loaded stylesheet link's rules as its `_cssText` attribute (css already absolutized by the caller)
    StyleLoaded { id: NodeId, css_text: &'a str },
    /// source 0 with isAttachIframe: a same-origin frame's document, `node_json` being the serialized node
    AttachIframe {
        frame_id: NodeId,
        node_json: &'a str,
    },
}

impl Incremental<'_> {
    /// rrweb's IncrementalSource of this data.
    pub fn source(&self) -> Source {
        match self {
            Incremental::PointerMoves { touch: false, .. } => Source::MouseMove,
            Incremental::PointerMoves { touch: true, .. } => Source::TouchMove,
            Incremental::Interaction { .. } => Source::MouseInteraction,
            Incremental::Scroll { .. } => Source::Scroll,
            Incremental::ViewportResize { .. } => Source::ViewportResize,
            Incremental::Input { .. } => Source::Input,
            Incremental::Media { .. } => Source::MediaInteraction,
            Incremental::Selection { .. } => Source::Selection,
            Incremental::StyleSheetRule { .. } => Source::StyleSheetRule,
            Incremental::StyleDeclaration { .. } => Source::StyleDeclaration,
            Incremental::AdoptedStyleSheet { .. } => Source::AdoptedStyleSheet,
            Incremental::StyleLoaded { .. } | Incremental::AttachIframe { .. } => Source::Mutation,
        }
    }

    /// The event's `data` as rrweb JSON (`{"source":…,…}`), for
    /// [`super::event::EventData::Incremental`].
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }

    /// Appends the event's `data` as rrweb JSON to `out`.
    pub fn write_json(&self, out: &mut String) {
        out.push_str("{\"source\":");
        push_u32(out, self.source() as u32);
        match *self {
            Incremental::PointerMoves { positions, now, .. } => {
                out.push_str(",\"positions\":[");
                for (index, position) in positions.iter().enumerate() {
                    if index > 0 {
                        out.push(',');
                    }
                    out.push_str("{\"x\":");
                    write_number(out, position.x);
                    out.push_str(",\"y\":");
                    write_number(out, position.y);
                    out.push_str(",\"id\":");
                    push_u32(out, position.id);
                    out.push_str(",\"timeOffset\":");
                    // rrweb places each position at timestamp + timeOffset;
                    // a clock that stepped back must not put one after it.
                    write_number(out, (position.at - now).min(0.0));
                    out.push('}');
                }
                out.push(']');
            }
            Incremental::Interaction {
                kind,
                id,
                position,
                touch,
            } => {
                out.push_str(",\"type\":");
                push_u32(out, kind as u32);
                out.push_str(",\"id\":");
                push_u32(out, id);
                if kind.has_position() {
                    if let Some((x, y)) = position {
                        out.push_str(",\"x\":");
                        write_number(out, x);
                        out.push_str(",\"y\":");
                        write_number(out, y);
                    }
                    out.push_str(if touch {
                        ",\"pointerType\":2"
                    } else {
                        ",\"pointerType\":0"
                    });
                }
            }
            Incremental::Scroll { id, x, y } => {
                out.push_str(",\"id\":");
                push_u32(out, id);
                out.push_str(",\"x\":");
                write_number(out, x);
                out.push_str(",\"y\":");
                write_number(out, y);
            }
            Incremental::ViewportResize { width, height } => {
                out.push_str(",\"width\":");
                push_u32(out, width);
                out.push_str(",\"height\":");
                push_u32(out, height);
            }
            Incremental::Input {
                id,
                text,
                is_checked,
                user_triggered,
            } => {
                out.push_str(",\"text\":");
                write_str(out, text);
                out.push_str(",\"isChecked\":");
                push_bool(out, is_checked);
                out.push_str(",\"userTriggered\":");
                push_bool(out, user_triggered);
                out.push_str(",\"id\":");
                push_u32(out, id);
            }
            Incremental::Media { kind, id, state } => {
                out.push_str(",\"type\":");
                push_u32(out, kind as u32);
                out.push_str(",\"id\":");
                push_u32(out, id);
                out.push_str(",\"currentTime\":");
                write_number(out, state.current_time);
                out.push_str(",\"volume\":");
                write_number(out, state.volume);
                out.push_str(",\"muted\":");
                push_bool(out, state.muted);
                out.push_str(",\"loop\":");
                push_bool(out, state.looped);
                out.push_str(",\"playbackRate\":");
                write_number(out, state.playback_rate);
            }
            Incremental::Selection { ranges } => {
                out.push_str(",\"ranges\":[");
                for (index, range) in ranges.iter().enumerate() {
                    if index > 0 {
                        out.push(',');
                    }
                    for (key, number) in [
                        ("{\"start\":", range.start),
                        (",\"startOffset\":", range.start_offset),
                        (",\"end\":", range.end),
                        (",\"endOffset\":", range.end_offset),
                    ] {
                        out.push_str(key);
                        push_u32(out, number);
                    }
                    out.push('}');
                }
                out.push(']');
            }
            Incremental::StyleSheetRule { target, members }
            | Incremental::StyleDeclaration { target, members } => {
                let (key, number) = match target {
                    SheetTarget::Node(id) => (",\"id\":", id),
                    SheetTarget::StyleId(style_id) => (",\"styleId\":", style_id),
                };
                out.push_str(key);
                push_u32(out, number);
                push_members(out, members);
            }
            Incremental::AdoptedStyleSheet { id, members } => {
                out.push_str(",\"id\":");
                push_u32(out, id);
                push_members(out, members);
            }
            Incremental::StyleLoaded { id, css_text } => {
                // An attribute mutation: the Replayer turns a link with
                // `_cssText` into a <style> holding the rules.
                out.push_str(",\"texts\":[],\"attributes\":[{\"id\":");
                push_u32(out, id);
                out.push_str(",\"attributes\":{\"_cssText\":");
                write_str(out, css_text);
                out.push_str("}}],\"removes\":[],\"adds\":[]");
            }
            Incremental::AttachIframe {
                frame_id,
                node_json,
            } => {
                out.reserve(node_json.len() + 128);
                out.push_str(",\"adds\":[{\"parentId\":");
                push_u32(out, frame_id);
                out.push_str(",\"nextId\":null,\"node\":");
                out.push_str(node_json);
                out.push_str(
                    "}],\"removes\":[],\"texts\":[],\"attributes\":[],\"isAttachIframe\":true",
                );
            }
        }
        out.push('}');
    }
}

/// Appends the hooks' object members after the ones written here; none
/// (an empty string) adds nothing, so the object stays valid JSON.
fn push_members(out: &mut String, members: &str) {
    if !members.is_empty() {
        out.push(',');
        out.push_str(members);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    #[test]
    fn packed_selection_ranges_parse_in_order_and_bad_ones_are_left_out() {
        let range = |start, start_offset, end, end_offset| SelectionRange {
            start,
            start_offset,
            end,
            end_offset,
        };
        assert_eq!(SelectionRange::parse_all(""), vec![]);
        assert_eq!(
            SelectionRange::parse_all("4,0,9,12"),
            vec![range(4, 0, 9, 12)]
        );
        assert_eq!(
            SelectionRange::parse_all("4,0,9,12;7,3,7,5"),
            vec![range(4, 0, 9, 12), range(7, 3, 7, 5)]
        );
        assert_eq!(
            SelectionRange::parse_all("4,0,9;1,2,3,4,5;x,0,1,1;7,3,7,5"),
            vec![range(7, 3, 7, 5)]
        );
    }

    #[test]
    fn only_ranges_that_select_text_are_not_all_collapsed() {
        let range = |start, start_offset, end, end_offset| SelectionRange {
            start,
            start_offset,
            end,
            end_offset,
        };
        assert!(SelectionRange::all_collapsed(&[]));
        assert!(SelectionRange::all_collapsed(&[range(3, 2, 3, 2)]));
        assert!(SelectionRange::all_collapsed(&[
            range(3, 2, 3, 2),
            range(8, 0, 8, 0)
        ]));
        // Text selected: offsets apart, or ends in different nodes.
        assert!(!SelectionRange::all_collapsed(&[range(3, 2, 3, 5)]));
        assert!(!SelectionRange::all_collapsed(&[range(3, 2, 4, 2)]));
        assert!(!SelectionRange::all_collapsed(&[
            range(3, 2, 3, 2),
            range(5, 0, 6, 1)
        ]));
    }

    fn parsed(data: Incremental<'_>) -> Value {
        let text = data.to_json();
        serde_json::from_str(&text).unwrap_or_else(|error| panic!("{error}: {text}"))
    }

    /// The keys of a JSON object in the order they were written.
    fn key_order(json: &str) -> Vec<String> {
        let mut keys = Vec::new();
        let mut depth = 0;
        let mut chars = json.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            match c {
                '{' | '[' => depth += 1,
                '}' | ']' => depth -= 1,
                '"' => {
                    let start = at + 1;
                    let mut end = start;
                    while let Some((i, c)) = chars.next() {
                        if c == '\\' {
                            chars.next();
                        } else if c == '"' {
                            end = i;
                            break;
                        }
                    }
                    if depth == 1 && chars.peek().is_some_and(|(_, c)| *c == ':') {
                        keys.push(json.get(start..end).unwrap_or_default().to_owned());
                    }
                }
                _ => {}
            }
        }
        keys
    }

    #[test]
    fn sources_are_numbered_as_rrweb_numbers_them() {
        let sources = [
            (Source::Mutation, 0),
            (Source::MouseMove, 1),
            (Source::MouseInteraction, 2),
            (Source::Scroll, 3),
            (Source::ViewportResize, 4),
            (Source::Input, 5),
            (Source::TouchMove, 6),
            (Source::MediaInteraction, 7),
            (Source::StyleSheetRule, 8),
            (Source::CanvasMutation, 9),
            (Source::Font, 10),
            (Source::Log, 11),
            (Source::Drag, 12),
            (Source::StyleDeclaration, 13),
            (Source::Selection, 14),
            (Source::AdoptedStyleSheet, 15),
            (Source::CustomElement, 16),
        ];
        for (source, number) in sources {
            assert_eq!(source as u8, number, "{source:?}");
        }
    }

    #[test]
    fn interaction_and_media_types_are_numbered_as_rrweb_numbers_them() {
        let interactions: Vec<u8> = Interaction::ALL.iter().map(|kind| *kind as u8).collect();
        assert_eq!(interactions, [0, 1, 2, 3, 4, 5, 6, 7, 9, 10]);
        for (index, kind) in MediaInteraction::ALL.iter().enumerate() {
            assert_eq!(usize::from(*kind as u8), index);
            assert_eq!(MediaInteraction::from_type(index as u8), Some(*kind));
        }
        assert_eq!(MediaInteraction::from_type(5), None);
        let media_events: Vec<&str> = MediaInteraction::ALL
            .iter()
            .map(|kind| kind.event_type())
            .collect();
        assert_eq!(
            media_events,
            ["play", "pause", "seeked", "volumechange", "ratechange"]
        );
        assert_eq!(Interaction::DblClick.event_type(), "dblclick");
        assert_eq!(Interaction::TouchCancel.event_type(), "touchcancel");
    }

    #[test]
    fn mouse_moves_are_source_1_with_offsets_before_the_event() {
        let positions = [
            PointerPosition {
                x: 10.0,
                y: 20.5,
                id: 7,
                at: 1_000.0,
            },
            PointerPosition {
                x: 11.0,
                y: 21.0,
                id: 8,
                at: 1_450.0,
            },
        ];
        let data = Incremental::PointerMoves {
            touch: false,
            positions: &positions,
            now: 1_500.0,
        };
        assert_eq!(data.source(), Source::MouseMove);
        assert_eq!(
            parsed(data),
            json!({"source": 1, "positions": [
                {"x": 10, "y": 20.5, "id": 7, "timeOffset": -500},
                {"x": 11, "y": 21, "id": 8, "timeOffset": -50}
            ]})
        );
        assert_eq!(
            key_order(&data.to_json()),
            ["source", "positions"],
            "positions follow the source"
        );
    }

    #[test]
    fn touch_moves_are_source_6() {
        let positions = [PointerPosition {
            x: 1.0,
            y: 2.0,
            id: 3,
            at: 90.0,
        }];
        let data = Incremental::PointerMoves {
            touch: true,
            positions: &positions,
            now: 100.0,
        };
        assert_eq!(data.source(), Source::TouchMove);
        assert_eq!(
            parsed(data),
            json!({"source": 6, "positions": [{"x": 1, "y": 2, "id": 3, "timeOffset": -10}]})
        );
    }

    #[test]
    fn time_offset_is_never_positive_even_when_the_clock_stepped_back() {
        let positions = [
            PointerPosition {
                x: 0.0,
                y: 0.0,
                id: 1,
                at: 2_000.0,
            },
            PointerPosition {
                x: 0.0,
                y: 0.0,
                id: 1,
                at: 1_000.0,
            },
        ];
        let value = parsed(Incremental::PointerMoves {
            touch: false,
            positions: &positions,
            now: 1_000.0,
        });
        let offsets: Vec<f64> = value["positions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|position| position["timeOffset"].as_f64().unwrap())
            .collect();
        assert_eq!(offsets, [0.0, 0.0]);
        assert!(!Incremental::PointerMoves {
            touch: false,
            positions: &positions,
            now: 1_000.0
        }
        .to_json()
        .contains("-0"));
    }

    #[test]
    fn no_positions_write_an_empty_list() {
        let data = Incremental::PointerMoves {
            touch: false,
            positions: &[],
            now: 5.0,
        };
        assert_eq!(data.to_json(), r#"{"source":1,"positions":[]}"#);
    }

    #[test]
    fn click_has_position_and_mouse_pointer_type() {
        let data = Incremental::Interaction {
            kind: Interaction::Click,
            id: 12,
            position: Some((100.0, 50.25)),
            touch: false,
        };
        assert_eq!(
            parsed(data),
            json!({"source": 2, "type": 2, "id": 12, "x": 100, "y": 50.25, "pointerType": 0})
        );
        assert_eq!(
            key_order(&data.to_json()),
            ["source", "type", "id", "x", "y", "pointerType"]
        );
    }

    #[test]
    fn touch_start_has_touch_pointer_type_2() {
        let data = Incremental::Interaction {
            kind: Interaction::TouchStart,
            id: 4,
            position: Some((3.0, 4.0)),
            touch: true,
        };
        assert_eq!(
            parsed(data),
            json!({"source": 2, "type": 7, "id": 4, "x": 3, "y": 4, "pointerType": 2})
        );
    }

    #[test]
    fn interaction_without_a_position_still_names_its_pointer() {
        let data = Incremental::Interaction {
            kind: Interaction::TouchEnd,
            id: 4,
            position: None,
            touch: true,
        };
        assert_eq!(
            parsed(data),
            json!({"source": 2, "type": 9, "id": 4, "pointerType": 2})
        );
    }

    #[test]
    fn focus_and_blur_have_no_position_or_pointer_type() {
        for (kind, number) in [(Interaction::Focus, 5), (Interaction::Blur, 6)] {
            assert!(!kind.has_position());
            let data = Incremental::Interaction {
                kind,
                id: 9,
                position: Some((1.0, 2.0)),
                touch: true,
            };
            assert_eq!(parsed(data), json!({"source": 2, "type": number, "id": 9}));
        }
        assert!(Interaction::ALL
            .iter()
            .filter(|kind| !matches!(kind, Interaction::Focus | Interaction::Blur))
            .all(|kind| kind.has_position()));
    }

    #[test]
    fn scroll_is_source_3_with_id_and_offsets() {
        let data = Incremental::Scroll {
            id: 1,
            x: 0.0,
            y: 1_234.5,
        };
        assert_eq!(
            parsed(data),
            json!({"source": 3, "id": 1, "x": 0, "y": 1234.5})
        );
        assert_eq!(key_order(&data.to_json()), ["source", "id", "x", "y"]);
    }

    #[test]
    fn viewport_resize_is_source_4_with_width_and_height() {
        let data = Incremental::ViewportResize {
            width: 1280,
            height: 720,
        };
        assert_eq!(data.to_json(), r#"{"source":4,"width":1280,"height":720}"#);
        assert_eq!(
            parsed(data),
            json!({"source": 4, "width": 1280, "height": 720})
        );
    }

    #[test]
    fn input_is_source_5_with_text_checked_and_trigger() {
        let data = Incremental::Input {
            id: 33,
            text: "say \"hi\"\nto ünï€ 😀 \\ \u{1}",
            is_checked: false,
            user_triggered: true,
        };
        assert_eq!(
            parsed(data),
            json!({
                "source": 5,
                "text": "say \"hi\"\nto ünï€ 😀 \\ \u{1}",
                "isChecked": false,
                "userTriggered": true,
                "id": 33
            })
        );
        // The order the recorder has always written.
        assert_eq!(
            key_order(&data.to_json()),
            ["source", "text", "isChecked", "userTriggered", "id"]
        );
    }

    #[test]
    fn media_is_source_7_with_the_whole_state() {
        let data = Incremental::Media {
            kind: MediaInteraction::Seeked,
            id: 21,
            state: MediaSnapshot {
                current_time: 12.5,
                volume: 0.8,
                muted: true,
                looped: false,
                playback_rate: 1.5,
            },
        };
        assert_eq!(
            parsed(data),
            json!({
                "source": 7, "type": 2, "id": 21, "currentTime": 12.5, "volume": 0.8,
                "muted": true, "loop": false, "playbackRate": 1.5
            })
        );
        assert_eq!(
            key_order(&data.to_json()),
            [
                "source",
                "type",
                "id",
                "currentTime",
                "volume",
                "muted",
                "loop",
                "playbackRate"
            ]
        );
    }

    #[test]
    fn media_snapshot_copies_a_serialized_media_state() {
        let state = MediaState {
            paused: true,
            current_time: 3.0,
            volume: 0.5,
            muted: false,
            looped: true,
            playback_rate: 2.0,
        };
        assert_eq!(
            MediaSnapshot::from(&state),
            MediaSnapshot {
                current_time: 3.0,
                volume: 0.5,
                muted: false,
                looped: true,
                playback_rate: 2.0
            }
        );
    }

    #[test]
    fn selection_is_source_14_with_its_ranges() {
        let ranges = [
            SelectionRange {
                start: 5,
                start_offset: 0,
                end: 6,
                end_offset: 12,
            },
            SelectionRange {
                start: 8,
                start_offset: 3,
                end: 8,
                end_offset: 4,
            },
        ];
        assert_eq!(
            parsed(Incremental::Selection { ranges: &ranges }),
            json!({"source": 14, "ranges": [
                {"start": 5, "startOffset": 0, "end": 6, "endOffset": 12},
                {"start": 8, "startOffset": 3, "end": 8, "endOffset": 4}
            ]})
        );
        assert_eq!(
            Incremental::Selection { ranges: &[] }.to_json(),
            r#"{"source":14,"ranges":[]}"#
        );
    }

    #[test]
    fn stylesheet_rule_is_source_8_for_a_node_or_a_style_id() {
        let members = r#""adds":[{"rule":"a { color: \"red\" }","index":0}]"#;
        assert_eq!(
            parsed(Incremental::StyleSheetRule {
                target: SheetTarget::Node(14),
                members
            }),
            json!({"source": 8, "id": 14, "adds": [{"rule": "a { color: \"red\" }", "index": 0}]})
        );
        assert_eq!(
            parsed(Incremental::StyleSheetRule {
                target: SheetTarget::StyleId(3),
                members: r#""removes":[{"index":2}]"#
            }),
            json!({"source": 8, "styleId": 3, "removes": [{"index": 2}]})
        );
    }

    #[test]
    fn style_declaration_is_source_13() {
        let data = Incremental::StyleDeclaration {
            target: SheetTarget::StyleId(2),
            members: r#""index":[0,1],"set":{"property":"color","value":"red","priority":""}"#,
        };
        assert_eq!(data.source(), Source::StyleDeclaration);
        assert_eq!(
            parsed(data),
            json!({"source": 13, "styleId": 2, "index": [0, 1],
                   "set": {"property": "color", "value": "red", "priority": ""}})
        );
        assert_eq!(
            parsed(Incremental::StyleDeclaration {
                target: SheetTarget::Node(5),
                members: r#""index":[0],"remove":{"property":"color"}"#,
            }),
            json!({"source": 13, "id": 5, "index": [0], "remove": {"property": "color"}})
        );
    }

    #[test]
    fn empty_members_leave_valid_json() {
        assert_eq!(
            Incremental::StyleSheetRule {
                target: SheetTarget::Node(1),
                members: ""
            }
            .to_json(),
            r#"{"source":8,"id":1}"#
        );
        assert_eq!(
            Incremental::AdoptedStyleSheet { id: 1, members: "" }.to_json(),
            r#"{"source":15,"id":1}"#
        );
    }

    #[test]
    fn adopted_stylesheet_is_source_15_with_styles_and_ids() {
        let data = Incremental::AdoptedStyleSheet {
            id: 1,
            members: r#""styles":[{"styleId":1,"rules":[{"rule":"p { margin: 0 }","index":0}]}],"styleIds":[1]"#,
        };
        assert_eq!(
            parsed(data),
            json!({"source": 15, "id": 1,
                   "styles": [{"styleId": 1, "rules": [{"rule": "p { margin: 0 }", "index": 0}]}],
                   "styleIds": [1]})
        );
    }

    #[test]
    fn loaded_stylesheet_is_a_css_text_attribute_mutation() {
        let data = Incremental::StyleLoaded {
            id: 40,
            css_text: "body { background: url(\"https://s.example/bg.png\") }\n",
        };
        assert_eq!(data.source(), Source::Mutation);
        assert_eq!(
            parsed(data),
            json!({
                "source": 0,
                "texts": [],
                "attributes": [{"id": 40, "attributes": {
                    "_cssText": "body { background: url(\"https://s.example/bg.png\") }\n"
                }}],
                "removes": [],
                "adds": []
            })
        );
        assert_eq!(
            key_order(&data.to_json()),
            ["source", "texts", "attributes", "removes", "adds"]
        );
    }

    #[test]
    fn attached_frame_is_a_mutation_adding_its_document() {
        let data = Incremental::AttachIframe {
            frame_id: 9,
            node_json: r#"{"type":0,"childNodes":[],"id":10}"#,
        };
        assert_eq!(data.source(), Source::Mutation);
        assert_eq!(
            parsed(data),
            json!({
                "source": 0,
                "adds": [{"parentId": 9, "nextId": null, "node": {"type": 0, "childNodes": [], "id": 10}}],
                "removes": [],
                "texts": [],
                "attributes": [],
                "isAttachIframe": true
            })
        );
        assert_eq!(
            key_order(&data.to_json()),
            [
                "source",
                "adds",
                "removes",
                "texts",
                "attributes",
                "isAttachIframe"
            ]
        );
    }

    #[test]
    fn every_kind_writes_its_own_source_first() {
        let positions = [PointerPosition {
            x: 0.0,
            y: 0.0,
            id: 1,
            at: 0.0,
        }];
        let kinds = [
            Incremental::PointerMoves {
                touch: false,
                positions: &positions,
                now: 0.0,
            },
            Incremental::Interaction {
                kind: Interaction::Click,
                id: 1,
                position: None,
                touch: false,
            },
            Incremental::Scroll {
                id: 1,
                x: 0.0,
                y: 0.0,
            },
            Incremental::ViewportResize {
                width: 1,
                height: 1,
            },
            Incremental::Input {
                id: 1,
                text: "",
                is_checked: false,
                user_triggered: false,
            },
            Incremental::Media {
                kind: MediaInteraction::Play,
                id: 1,
                state: MediaSnapshot {
                    current_time: 0.0,
                    volume: 1.0,
                    muted: false,
                    looped: false,
                    playback_rate: 1.0,
                },
            },
            Incremental::Selection { ranges: &[] },
            Incremental::StyleSheetRule {
                target: SheetTarget::Node(1),
                members: r#""removes":[{"index":0}]"#,
            },
            Incremental::StyleDeclaration {
                target: SheetTarget::Node(1),
                members: r#""index":[0]"#,
            },
            Incremental::AdoptedStyleSheet {
                id: 1,
                members: r#""styleIds":[]"#,
            },
            Incremental::StyleLoaded {
                id: 1,
                css_text: "",
            },
            Incremental::AttachIframe {
                frame_id: 1,
                node_json: "{}",
            },
        ];
        for data in kinds {
            let text = data.to_json();
            assert!(
                text.starts_with(&format!("{{\"source\":{},", data.source() as u8)),
                "{text}"
            );
            let mut appended = String::from("prefix");
            data.write_json(&mut appended);
            assert_eq!(appended, format!("prefix{text}"));
        }
    }
}
