//! Helpers shared by the CLI integration tests: the binary, run from the project root.

use assert_cmd::Command;
use std::path::PathBuf;

/// The project root (where `models/default` and `data/` are).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The `stance` binary, with the project root as its working directory.
pub fn stance() -> Command {
    let mut c = Command::cargo_bin("stance").expect("binary builds");
    c.current_dir(root());
    c
}

/// Runs `stance ARGS…` and returns (exit code, stdout, stderr).
pub fn run(args: &[&str]) -> (i32, String, String) {
    let out = stance().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
