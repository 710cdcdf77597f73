//! The pure core: no web-sys, tested natively with `cargo test`.
//!
//! It knows rrweb's event model, how to assign node ids, how to serialize a
//! DOM it reads through [`dom::DomTree`], and what privacy demands. The web
//! layer (`crate::web`) plugs the live browser DOM into these.

pub mod buffer;
pub mod chunk;
pub mod console;
pub mod delivery;
pub mod dom;
pub mod event;
pub mod incremental;
pub mod input;
pub mod json;
pub mod lifecycle;
pub mod mirror;
pub mod mutation;
pub mod options;
pub mod outbox;
pub mod privacy;
pub mod replay_id;
pub mod sampling;
pub mod session;
pub mod snapshot;
pub mod url;

#[cfg(test)]
pub(crate) mod memory_dom;
