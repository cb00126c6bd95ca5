//! The generated client for `openapi.yaml`, committed as `src/generated/client.rs`: what
//! users build (without the generator), and the reviewable snapshot of it. A spec change or
//! a generator change shows up as a diff of that file.

/// With `regenerate` (on in `cargo test --workspace`), `OUT_DIR/client.rs` is generated
/// now; the committed client must be exactly that. `NX1_BLESS=1` writes it.
#[test]
#[cfg_attr(
    not(feature = "regenerate"),
    ignore = "compares a fresh generation: run with --features regenerate (cargo test --workspace does)"
)]
fn committed_client_is_what_the_pipeline_generates() {
    let generated = include_str!(concat!(env!("OUT_DIR"), "/client.rs"));
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/generated/client.rs");
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    if committed == generated {
        return;
    }
    if std::env::var_os("NX1_BLESS").is_some() {
        std::fs::write(path, generated).expect("src/generated/client.rs is writable");
        return;
    }
    let first = committed
        .lines()
        .zip(generated.lines())
        .position(|(a, b)| a != b)
        .unwrap_or(committed.lines().count().min(generated.lines().count()));
    panic!(
        "src/generated/client.rs differs from the client generated from openapi.yaml (first at \
         line {}); review the change and run `NX1_BLESS=1 cargo test --workspace --test snapshot`",
        first + 1
    );
}

#[test]
fn every_operation_has_a_method() {
    let code = include_str!(concat!(env!("OUT_DIR"), "/client.rs"));
    let methods = code.matches("pub async fn ").count();
    let operations = nx1_client::security::OPERATIONS.len();
    assert_eq!(operations, 41, "the vendored spec has 41 operations");
    assert_eq!(methods, operations);
    for (operation, _) in nx1_client::security::OPERATIONS {
        assert!(
            code.contains(&format!("pub async fn {operation}<")),
            "no method for {operation}"
        );
    }
}
