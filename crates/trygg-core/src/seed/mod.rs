//! What a fresh installation starts with: the 11 districts of Stockholm, the
//! default vocabulary from the product specification, and a default
//! *trygghetsvandring* checklist built from that vocabulary. Plus clearly
//! invented demo data ([`demo`]) for trying the system out.

mod areas;
pub mod demo;
mod template;
mod vocabulary;

pub use areas::{areas, directory};
pub use template::{DEFAULT_TEMPLATE_ID, default_template};
pub use vocabulary::vocabulary;
