//! `cargo xtask generate`: a standalone crate for a spec that is not this workspace's,
//! compiled as a user who vendors it would compile it.

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn a_standalone_crate_for_another_spec_compiles() {
    let shared = root().join("../shared/specs/fastapi-flashnotes.json");
    assert!(
        shared.is_file(),
        "{} is absent: this test needs the shared corpus beside the project",
        shared.display()
    );
    let scratch = root().join("target/generated");
    let fixture = root().join("crates/nx1-codegen/tests/fixtures/repairs.yaml");
    for (spec, name) in [(&shared, "flashnotes"), (&fixture, "repairs")] {
        let out = scratch.join(format!("test-{name}"));
        let _ = std::fs::remove_dir_all(&out);
        let status = Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(["generate", "--spec"])
            .arg(spec)
            .arg("--out")
            .arg(&out)
            .status()
            .expect("xtask runs");
        assert!(status.success(), "generate failed for {}", spec.display());
        let notes = std::fs::read_to_string(out.join("NOTES.md")).unwrap();
        if name == "repairs" {
            // Lossy steps are listed with file, line and pointer.
            assert!(notes.contains("repairs.yaml:"), "{notes}");
            assert!(notes.contains("#/"), "{notes}");
        }
        let lib = std::fs::read_to_string(out.join("src/lib.rs")).unwrap();
        assert!(
            lib.contains("pub struct Client"),
            "no client in {}",
            out.display()
        );
    }
    // One `cargo check` over both, as their users would build them (no build script,
    // nothing generated at build time). A target directory of their own: the workspace's
    // is locked by the `cargo test` running this.
    for name in ["flashnotes", "repairs"] {
        let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["check", "--offline", "--quiet"])
            .current_dir(scratch.join(format!("test-{name}")))
            .env("CARGO_TARGET_DIR", scratch.join("target"))
            .env_remove("RUSTFLAGS")
            .output()
            .expect("cargo runs");
        assert!(
            output.status.success(),
            "the generated `{name}` crate does not compile:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
