//! The generated client for `openapi.yaml`, as a reviewable snapshot: a spec change or a
//! generator change shows up as a diff of `tests/snapshots/snapshot__client.snap`.

#[test]
fn generated_client() {
    let code = include_str!(concat!(env!("OUT_DIR"), "/client.rs"));
    insta::assert_snapshot!("client", code);
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
