//! The generated server for `openapi.yaml`, as a reviewable snapshot. The embedded spec is
//! left out: `openapi.yaml` itself shows that change.

#[test]
fn generated_server() {
    let code = include_str!(concat!(env!("OUT_DIR"), "/server.rs"));
    let code: String = code
        .lines()
        .map(|line| {
            if line.starts_with("pub const SPEC_JSON: &str = ") {
                "pub const SPEC_JSON: &str = \"<openapi.yaml as JSON>\";"
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!("server", code);
}
