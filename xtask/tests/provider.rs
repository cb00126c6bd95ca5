//! Provider verification: `cargo xtask contract --against URL` against a small FastAPI app
//! started here. Findings are reported (and in the JUnit file); without --allow-write no
//! write method reaches the app.
//!
//! Needs schemathesis and a virtualenv with FastAPI and uvicorn (`target/provider-venv`,
//! or `NX1_PROVIDER_PYTHON`), which `.ci/run` installs before it runs this test.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

struct App(Child, String);

impl Drop for App {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_app() -> App {
    let python = std::env::var_os("NX1_PROVIDER_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/provider-venv/bin/python"));
    assert!(
        python.exists(),
        "{} is missing: create it with `python3 -m venv target/provider-venv && \
         target/provider-venv/bin/pip install fastapi uvicorn` (.ci/run does)",
        python.display()
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(python)
        .args(["-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port"])
        .arg(port.to_string())
        .args(["--log-level", "warning"])
        .current_dir(root().join("xtask/tests/provider"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("uvicorn starts");
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "uvicorn did not start"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    App(child, base)
}

fn writes(base: &str) -> serde_json::Value {
    let body = Command::new("python3")
        .args(["-c", "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode())"])
        .arg(format!("{base}/__writes"))
        .output()
        .unwrap();
    serde_json::from_slice(&body.stdout).unwrap()
}

#[test]
#[ignore = "needs schemathesis and the FastAPI virtualenv; .ci/run installs them and runs it"]
fn a_deployment_is_verified_read_only_and_its_findings_reported() {
    let app = start_app();
    let junit = root().join("target/contract/provider-junit.xml");
    let _ = std::fs::remove_file(&junit);
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args([
            "contract",
            "--against",
            &app.1,
            "--max-examples",
            "5",
            "--junit",
        ])
        .arg(&junit)
        .env("NX1_PSK", "provider-test-psk")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(1),
        "findings expected:\n{stdout}\n{stderr}"
    );
    assert!(
        !stdout.contains("provider-test-psk"),
        "the PSK is never printed"
    );
    let report = std::fs::read_to_string(&junit).expect("a JUnit report");
    assert!(report.contains("<failure"), "{report}");
    assert!(report.contains("/api/automl/train/jobs/status"), "{report}");
    let seen = writes(&app.1);
    assert_eq!(seen["count"], 0, "writes reached the app: {seen}");

    // With --allow-write, writes do go out.
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args([
            "contract",
            "--against",
            &app.1,
            "--max-examples",
            "2",
            "--allow-write",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(writes(&app.1)["count"].as_u64().unwrap() > 0);

    // Nothing listening: could not run (2), not findings.
    drop(app);
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["contract", "--against", "http://127.0.0.1:9"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("does not answer"));
}
