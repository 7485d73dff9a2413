//! Bad input never panics and never loses a good article (issue: batch labeling at scale).
//! One test per row of the robustness table; model-file refusals are in `tests/model.rs`
//! and `tests/label.rs`.

use std::io::Write;
use std::path::Path;

mod common;
use common::stance;

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    std::fs::write(dir.join(name), bytes).unwrap();
}

const GOOD: &str = "“We will not accept a deal without Ukraine,” Zelensky said on Tuesday.\n";

/// Runs `stance quotes` and `stance label` (default model) on `args`: both must report the
/// same failures, exit the same way and emit one line per quote. Returns the `quotes` run.
fn quotes(args: &[&str]) -> (i32, String, String) {
    let q = common::run(&[&["quotes"], args].concat());
    let l = common::run(&[&["label", "--quiet"], args].concat());
    assert_eq!(q.0, l.0, "exit codes differ; label stderr: {}", l.2);
    assert_eq!(q.2, l.2, "quotes and label report failures differently");
    assert_eq!(
        q.1.lines().count(),
        l.1.lines().count(),
        "label lost or added quotes"
    );
    q
}

#[test]
fn invalid_utf8_binary_and_empty_files_are_reported_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a_good.txt", GOOD.as_bytes());
    write(dir.path(), "b_latin1.txt", b"\xabCaf\xe9\xbb, he said.");
    write(dir.path(), "c_binary.txt", b"\x7fELF\x00\x00\x01\x02binary");
    write(dir.path(), "d_empty.txt", b"");
    write(dir.path(), "e_good.txt", GOOD.as_bytes());
    let (code, stdout, stderr) = quotes(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, 1, "some inputs failed → exit 1; stderr: {stderr}");
    assert!(
        stderr.contains("b_latin1.txt") && stderr.contains("UTF-8"),
        "{stderr}"
    );
    assert!(
        stderr.contains("c_binary.txt") && stderr.contains("binary"),
        "{stderr}"
    );
    assert!(
        stderr.contains("d_empty.txt") && stderr.contains("empty"),
        "{stderr}"
    );
    let articles: Vec<&str> = stdout
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            if v["article"] == "a_good" {
                "a"
            } else if v["article"] == "e_good" {
                "e"
            } else {
                "?"
            }
        })
        .collect();
    assert_eq!(
        articles,
        vec!["a", "e"],
        "both good articles labeled, in order"
    );
}

#[test]
fn missing_path_dangling_symlink_and_directory_loop_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "good.txt", GOOD.as_bytes());
    std::os::unix::fs::symlink(
        dir.path().join("nowhere.txt"),
        dir.path().join("dangling.txt"),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::os::unix::fs::symlink(dir.path(), dir.path().join("sub/loop")).unwrap();
    let missing = dir.path().join("missing.txt");
    let (code, stdout, stderr) = quotes(&[missing.to_str().unwrap(), dir.path().to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("missing.txt") && stderr.contains("no such file"),
        "{stderr}"
    );
    assert!(stderr.contains("dangling.txt"), "{stderr}");
    assert!(stderr.contains("loop"), "{stderr}");
    assert_eq!(
        stdout.lines().count(),
        1,
        "the good article is still extracted once"
    );
}

#[test]
fn unreadable_file_is_reported() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("secret.txt");
    write(dir.path(), "secret.txt", GOOD.as_bytes());
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::File::open(&p).is_ok() {
        eprintln!("skipped: running as root, a mode-000 file is still readable");
        return;
    }
    let (code, _, stderr) = quotes(&[p.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(stderr.contains("permission denied"), "{stderr}");
}

#[test]
fn large_jsonl_with_a_malformed_line_reports_its_number() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("big.jsonl");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
    let n = 200_000;
    for i in 1..=n {
        if i == 100_000 {
            writeln!(f, "{{\"id\": \"broken\", \"text\": ").unwrap();
        } else if i % 1000 == 0 {
            writeln!(
                f,
                "{}",
                serde_json::json!({"id": format!("q{i}"), "text": GOOD})
            )
            .unwrap();
        } else {
            writeln!(
                f,
                "{}",
                serde_json::json!({"id": format!("n{i}"), "text": "No quotes here."})
            )
            .unwrap();
        }
    }
    drop(f);
    let (code, stdout, stderr) = quotes(&[p.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("big.jsonl:100000"),
        "line number reported: {stderr}"
    );
    assert!(stderr.contains("malformed JSON"), "{stderr}");
    // Every 1000th line bears a quote (200 lines) but line 100,000 is the broken one: the
    // other 199 are all extracted, none lost around the bad line.
    assert_eq!(stdout.lines().count(), 199);
}

#[test]
fn stdin_jsonl_is_a_streaming_filter_keeping_ids() {
    let input = format!(
        "{}\n{}\n",
        serde_json::json!({"id": "x-1", "text": GOOD}),
        serde_json::json!({"id": "x-2", "text": GOOD})
    );
    let out = stance()
        .args(["quotes", "-"])
        .write_stdin(input)
        .output()
        .unwrap();
    assert!(out.status.success());
    let ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["article"].to_string())
        .collect();
    assert_eq!(ids, vec!["\"x-1\"", "\"x-2\""]);
}

#[test]
fn writing_to_a_full_disk_is_a_clear_error() {
    if !Path::new("/dev/full").exists() {
        eprintln!("skipped: no /dev/full on this system");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let big: String = GOOD.repeat(20_000);
    write(dir.path(), "a.txt", big.as_bytes());
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_stance"))
        .args(["quotes", dir.path().join("a.txt").to_str().unwrap()])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("No space left on device"), "{stderr}");
}

#[test]
fn unwritable_out_file_is_a_clear_error_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.txt", GOOD.as_bytes());
    let target = dir.path().join("no/such/dir/out.jsonl");
    let out = stance()
        .args(["quotes", "--out", target.to_str().unwrap()])
        .arg(dir.path().join("a.txt"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("cannot write output"), "{stderr}");
    assert!(!target.exists());
}

#[test]
fn out_file_appears_whole_or_not_at_all() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.txt", GOOD.as_bytes());
    let target = dir.path().join("out.jsonl");
    stance()
        .args(["quotes", "--out", target.to_str().unwrap()])
        .arg(dir.path().join("a.txt"))
        .assert()
        .success();
    let written = std::fs::read_to_string(&target).unwrap();
    assert_eq!(written.lines().count(), 1);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        .collect();
    assert!(leftovers.is_empty(), "temp files left behind");
}

#[test]
fn a_100_mb_article_is_processed() {
    // Quotes every ~2 KB across 100 MB: extraction must stay linear and not fall over.
    let dir = tempfile::tempdir().unwrap();
    let para = format!(
        "{GOOD}\n{}\n\n",
        "Reporting without quotation marks. ".repeat(55)
    );
    let reps = 100 * 1024 * 1024 / para.len() + 1;
    let p = dir.path().join("huge.txt");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
        for _ in 0..reps {
            f.write_all(para.as_bytes()).unwrap();
        }
    }
    let out = stance()
        .args(["quotes", p.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout.iter().filter(|&&b| b == b'\n').count(), reps);
}

/// Kills a run mid-way: the output path must not exist (no half file); same for a model
/// being trained into `--out DIR`.
#[test]
fn an_interrupted_run_leaves_no_half_output() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("big.jsonl");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
        for i in 0..400_000 {
            writeln!(f, "{}", serde_json::json!({"id": i, "text": GOOD})).unwrap();
        }
    }
    let target = dir.path().join("labeled.jsonl");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_stance"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "label",
            "--quiet",
            "--out",
            target.to_str().unwrap(),
            input.to_str().unwrap(),
        ])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until it has started writing its temp file, then kill it.
    let started = (0..400).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(25));
        std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .any(|e| e.file_name().to_string_lossy().contains(".tmp-"))
    });
    let finished_early = child.try_wait().unwrap().is_some();
    child.kill().ok();
    child.wait().unwrap();
    if finished_early {
        eprintln!("skipped: the run finished before it could be interrupted");
        return;
    }
    assert!(started, "the run never opened its temp output");
    assert!(
        !target.exists(),
        "an interrupted run left a (half) output file"
    );

    // train --out: an interrupted training leaves no model directory behind.
    let model = dir.path().join("model");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_stance"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "train",
            "--quiet",
            "--cv",
            "5",
            "--data",
            "data/train/authored.jsonl",
        ])
        .args(["--out", model.to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let done = child.try_wait().unwrap().is_some();
    child.kill().ok();
    child.wait().unwrap();
    if !done {
        assert!(
            !model.exists(),
            "an interrupted training left a model directory"
        );
    }
}
