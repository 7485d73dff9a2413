//! Helpers shared by the integration tests: the binary run from the project root, and skips
//! that show.
#![allow(dead_code)] // each test crate uses its own subset

use assert_cmd::Command;
use std::io::Write;
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

/// A program of `examples/`, which `cargo test` builds next to the test binaries.
pub fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let examples = exe.parent().unwrap().parent().unwrap().join("examples");
    let bin = examples.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(bin.exists(), "example not built at {}", bin.display());
    bin
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

/// Asserts that a finished command exited 0, showing its stderr when it did not.
#[track_caller]
pub fn assert_success(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Says on the real stderr that a test did not run its checks, and why. The test harness
/// captures `eprintln!` of passing tests, so the line is written past it: `cargo test` shows
/// `SKIPPED: …` whatever its flags.
pub fn skip(test: &str, reason: &str) {
    let _ = writeln!(std::io::stderr(), "SKIPPED: {test}: {reason}");
}

/// `../shared/corpora/REL` when present; otherwise says the test is skipped and why.
pub fn shared(test: &str, rel: &str) -> Option<PathBuf> {
    let p = root().join("../shared/corpora").join(rel);
    if p.exists() {
        Some(p)
    } else {
        skip(
            test,
            &format!("{} not found (../shared absent)", p.display()),
        );
        None
    }
}
