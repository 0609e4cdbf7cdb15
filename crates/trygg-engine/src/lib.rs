//! Trygg's server-side sync engine: the automerge-repo wire protocol on the
//! `automerge` crate.
//!
//! Why not samod on the server (it stays on the devices): samod's hub walks
//! every connection × every loaded document after every event, subscribes
//! every connection to every document, and answers a change before storage
//! has it. Here work follows subscriptions, and nothing is answered before it
//! is on disk.
//!
//! * [`wire`]: the protocol's CBOR messages (decode borrowed, encode exact).
//! * [`gate`]: per-connection rules (one `join`, first; the token's peer id).
//! * [`doc`]: one document's sync with its subscribers — plain data, no IO:
//!   stage what is new, apply it once stored, generate answers.
//! * [`engine`]: the runtime: connections, routing to documents' tasks.
//! * `task`: one loaded document's task: rounds of group commit through
//!   [`trygg_store::GroupCommit`], answers and fan-out; eviction, retirement.
//! * [`store`]: reading documents for the engine.
//! * [`stats`]: what it counts, for `/metrics` and benchmarks.

pub mod doc;
pub mod engine;
pub mod gate;
pub mod stats;
pub mod store;
mod task;
pub mod wire;

pub use engine::{
    AccessSource, Audit, Connection, EditError, Engine, EngineConfig, Out, Outbox, Stats, SyncEvent,
};
pub use gate::Refusal;
pub use store::Readers;
