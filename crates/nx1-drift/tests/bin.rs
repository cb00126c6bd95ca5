//! The installable `nx1-drift` binary: the flags and exit codes of `cargo xtask drift`.

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn the_binary_checks_against_the_offline_mirror() {
    let mirror = root().join("../shared/nx1-docs");
    assert!(
        mirror.is_dir(),
        "{} is absent: this test needs the offline docs mirror beside the project",
        mirror.display()
    );
    let output = Command::new(env!("CARGO_BIN_EXE_nx1-drift"))
        .args(["check", "--format", "json", "--docs"])
        .arg(&mirror)
        .arg("--spec")
        .arg(root().join("openapi.yaml"))
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["in_sync"], true);

    let help = Command::new(env!("CARGO_BIN_EXE_nx1-drift"))
        .args(["check", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for flag in [
        "--docs",
        "--spec",
        "--against",
        "--format",
        "--ignore",
        "--deadline",
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
    // A missing spec is an error (1), said in one line.
    let output = Command::new(env!("CARGO_BIN_EXE_nx1-drift"))
        .args(["check", "--spec", "/nonexistent/openapi.yaml", "--docs"])
        .arg(&mirror)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("/nonexistent/openapi.yaml"));
}
