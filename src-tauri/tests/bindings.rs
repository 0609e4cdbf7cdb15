//! The UI's TypeScript types are the ones the Rust types make: the checked-in
//! `ui/src/bindings.ts` must equal what `trygg_app::bindings` generates.

use std::path::PathBuf;

use trygg_app::bindings;

fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(bindings::PATH)
}

#[test]
fn the_ui_declarations_are_the_ones_the_rust_types_make() {
    let made = bindings::typescript();
    if std::env::var_os("TRYGG_WRITE_BINDINGS").is_some() {
        std::fs::write(path(), &made).expect("writing the bindings");
        return;
    }
    let on_disk = std::fs::read_to_string(path()).expect("reading ui/src/bindings.ts");
    if on_disk != made {
        let first = on_disk
            .lines()
            .zip(made.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| on_disk.lines().count().min(made.lines().count()));
        panic!(
            "{} is not what the Rust types make (first difference at line {}:\n  file: {:?}\n  made: {:?}).\n\
             Write it with `TRYGG_WRITE_BINDINGS=1 cargo test -p trygg-app --test bindings`.",
            bindings::PATH,
            first + 1,
            on_disk.lines().nth(first).unwrap_or("(end of file)"),
            made.lines().nth(first).unwrap_or("(end of file)"),
        );
    }
}

#[test]
fn every_type_a_declaration_uses_is_declared() {
    assert_eq!(bindings::undeclared(), Vec::<String>::new());
}
