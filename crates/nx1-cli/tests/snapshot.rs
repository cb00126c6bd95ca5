//! The generated subcommands for `openapi.yaml`, as a reviewable snapshot: a spec change or
//! an emitter change shows up as a diff of `tests/snapshots/snapshot__cli.snap`.

#[test]
fn generated_cli() {
    let code = include_str!(concat!(env!("OUT_DIR"), "/cli.rs"));
    insta::assert_snapshot!("cli", code);
}
