//! The dashboard embeds the template preview that `ui/` builds (the field
//! app's own question rendering); say so plainly when it has not been built.

use std::path::Path;

fn main() {
    for file in ["preview.js", "preview.css"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../ui/dist-preview")
            .join(file);
        println!("cargo:rerun-if-changed={}", path.display());
        if !path.exists() {
            panic!(
                "{} is missing: build the UI first (`npm run build` in ui/; scripts/setup.sh does it)",
                path.display()
            );
        }
    }
}
