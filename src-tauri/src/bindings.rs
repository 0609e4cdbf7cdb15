//! The TypeScript declarations of everything that crosses the bridge, made
//! from the Rust types with `ts-rs`: the UI imports them from
//! `ui/src/bindings.ts`, and `tests/bindings.rs` fails when that file is not
//! what these types make, so the two cannot drift apart.

use ts_rs::{Config, TS};

use crate::dto::*;
use crate::error::{ErrorCode, ErrorView};
use crate::field::Saved;
use trygg_sync::client::{ConnectionState, SyncStatus};

/// Where the declarations go, from the workspace's root.
pub const PATH: &str = "ui/src/bindings.ts";

/// One declared type: its TypeScript name, declaration and the names it uses.
struct Declared {
    name: String,
    text: String,
    uses: Vec<String>,
}

fn declared<T: TS + 'static>(cfg: &Config) -> Declared {
    Declared {
        name: T::name(cfg),
        text: format!("{}export {}\n", T::docs().unwrap_or_default(), T::decl(cfg)),
        uses: T::dependencies(cfg)
            .into_iter()
            .map(|d| d.ts_name)
            .collect(),
    }
}

/// Every type the commands take or give, in the file's order.
fn all() -> Vec<Declared> {
    // JSON numbers: the timestamps (ms) and sizes the bridge carries stay
    // far below 2^53, and serde_json writes them as numbers, not strings.
    let cfg = Config::new().with_large_int("number");
    vec![
        declared::<AppInfo>(&cfg),
        declared::<ErrorView>(&cfg),
        declared::<ErrorCode>(&cfg),
        declared::<SyncStatus>(&cfg),
        declared::<ConnectionState>(&cfg),
        declared::<WalkQuery>(&cfg),
        declared::<WalkPage>(&cfg),
        declared::<WalkSummary>(&cfg),
        declared::<StartWalk>(&cfg),
        declared::<WalkView>(&cfg),
        declared::<WalkGroupView>(&cfg),
        declared::<WalkUpdate>(&cfg),
        declared::<SectionView>(&cfg),
        declared::<ItemView>(&cfg),
        declared::<AnswerInput>(&cfg),
        declared::<LocationInput>(&cfg),
        declared::<PhotoView>(&cfg),
        declared::<ObservationInput>(&cfg),
        declared::<ObservationTarget>(&cfg),
        declared::<ObservationView>(&cfg),
        declared::<Saved>(&cfg),
        declared::<ReportSummary>(&cfg),
        declared::<TemplateChoice>(&cfg),
        declared::<VocabularyView>(&cfg),
        declared::<GroupView>(&cfg),
        declared::<TermView>(&cfg),
        declared::<DirectoryView>(&cfg),
        declared::<OrgView>(&cfg),
        declared::<AreaView>(&cfg),
        declared::<PlaceView>(&cfg),
        declared::<ProposeAction>(&cfg),
        declared::<ActionView>(&cfg),
    ]
}

/// The file `ui/src/bindings.ts` must hold.
pub fn typescript() -> String {
    let mut out = String::from(
        "// Generated from the Rust types that cross the bridge (src-tauri/src/bindings.rs)\n\
         // by ts-rs. Do not edit: change the Rust types, then write this file with\n\
         // `TRYGG_WRITE_BINDINGS=1 cargo test -p trygg-app --test bindings`.\n",
    );
    for d in all() {
        out.push('\n');
        out.push_str(&d.text);
    }
    out
}

/// Types a declaration uses that the file does not declare (it would not
/// compile in the UI); empty when the list above is complete.
pub fn undeclared() -> Vec<String> {
    let all = all();
    let mut missing: Vec<String> = all
        .iter()
        .flat_map(|d| d.uses.iter())
        .filter(|u| !all.iter().any(|d| &d.name == *u))
        .cloned()
        .collect();
    missing.sort();
    missing.dedup();
    missing
}
