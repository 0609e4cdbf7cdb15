//! Trygg's domain model.
//!
//! Every shared record lives in an [Automerge](automerge) document. This crate
//! says what those documents look like ([`model`]), how a document is read
//! and checked ([`document`]), how a device edits one without clobbering a
//! concurrent edit from another device ([`edit`]), and what a fresh
//! installation starts with ([`seed`]).
//!
//! The crate does no IO: no files, no network, no clock other than the one a
//! caller passes in. Storage lives in `trygg-store`, sync in `trygg-sync`.

pub mod access;
pub mod chunk;
pub mod codes;
pub mod document;
pub mod edit;
pub mod error;
pub mod ids;
pub mod model;
pub mod retention;
pub mod seed;
pub mod time;
pub mod vocabulary_history;
pub mod walk_delta;

pub use document::{DocKind, DocumentSchema, Header};
pub use error::{DocError, Problem, ValidationErrors};
pub use ids::{DocId, new_entity_id};
pub use time::Timestamp;
