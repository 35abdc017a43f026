//! Hostile and careless input: oversized summary values, outputs that would replace their
//! input, pipes and standard input, line ends of every kind, failing standard output,
//! customer ids `crm import` refuses, and JSON with a byte-order mark or invalid UTF-8.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::{arg, crm, stderr, stdout};

const TX_HEADER: &str = "customer_id,timestamp,amount\n";

/// Writes `content` to `dir/name` and returns the path as an argument.
fn write(dir: &Path, name: &str, content: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write the input");
    arg(&path)
}

/// Runs `crm` with `input` on standard input.
fn crm_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_crm"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the crm binary runs");
    let mut stdin = child.stdin.take().expect("stdin");
    let bytes = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&bytes);
    });
    let out = child.wait_with_output().expect("crm ends");
    writer.join().expect("writer");
    out
}

/// Asserts the exit status and that standard error contains `message`.
fn assert_fails(o: &Output, code: i32, message: &str) {
    let e = stderr(o);
    assert_eq!(o.status.code(), Some(code), "{e}");
    assert!(e.contains(message), "{e:?} should contain {message:?}");
    assert!(
        !e.contains("panicked") && !e.contains("internal error"),
        "{e}"
    );
}

/// A transaction file with a few customers.
fn transactions() -> String {
    let mut text = String::from(TX_HEADER);
    for i in 0..40 {
        text.push_str(&format!("c{},2024-01-{:02},{}.25\n", i % 7, 1 + i % 28, i));
    }
    text
}

// 1. Summary values that would make the models allocate without bound.

#[test]
fn huge_or_fractional_frequencies_are_input_errors() {
    let dir = tempfile::tempdir().unwrap();
    let head = "customer_id,frequency,recency,T\na,2,30,39\nb,0,0,39\nc,1,10,39\n";
    for (bad, found) in [
        ("z,1e300,38,39", "1e300"),
        ("z,100000000,38,39", "100000000"),
        ("z,1000001,38,39", "1000001"),
        ("z,4294967296,38,39", "4294967296"),
        ("z,1.5,38,39", "1.5"),
    ] {
        let f = write(dir.path(), "s.csv", format!("{head}{bad}\n").as_bytes());
        let o = crm(&["churn", "fit", "--summary", &f]);
        assert_fails(&o, 3, "line 5, column 2 (frequency)");
        assert_fails(
            &o,
            3,
            "a whole number of repeat purchases from 0 to 1000000",
        );
        assert_fails(&o, 3, &format!("found \"{found}\""));
    }
    for (bad, column) in [
        ("z,1,inf,39", "column 3 (recency)"),
        ("z,1,NaN,39", "column 3 (recency)"),
        ("z,1,-1,39", "column 3 (recency)"),
        ("z,1,3,-39", "column 4 (T)"),
        (
            "z,1,40,39",
            "column 3 (recency): expected a recency no larger than T",
        ),
    ] {
        let f = write(dir.path(), "s.csv", format!("{head}{bad}\n").as_bytes());
        assert_fails(&crm(&["churn", "fit", "--summary", &f]), 3, column);
    }
    // The bound itself is accepted.
    let f = write(
        dir.path(),
        "s.csv",
        format!("{head}z,1000000,38,39\n").as_bytes(),
    );
    let o = crm(&["churn", "fit", "--summary", &f]);
    assert_ne!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(!stderr(&o).contains("memory allocation"), "{}", stderr(&o));
}

// 2. An output that is an input; outputs written whole or not at all.

#[test]
fn an_output_that_is_an_input_is_refused_and_the_input_kept() {
    let dir = tempfile::tempdir().unwrap();
    let text = transactions();
    let tx = write(dir.path(), "tx.csv", text.as_bytes());
    std::fs::hard_link(dir.path().join("tx.csv"), dir.path().join("link.csv")).unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.path().join("tx.csv"), dir.path().join("sym.csv")).unwrap();
    let dotted = arg(&dir.path().join(".").join("tx.csv"));
    let mut outputs = vec![tx.clone(), dotted, arg(&dir.path().join("link.csv"))];
    if cfg!(unix) {
        outputs.push(arg(&dir.path().join("sym.csv")));
    }
    for out in &outputs {
        for command in [&["rfm"][..], &["abc"][..], &["churn", "fit"][..]] {
            let mut args = command.to_vec();
            args.extend(["--transactions", &tx, "--output", out]);
            let o = crm(&args);
            assert_fails(&o, 2, "refusing to overwrite an input");
            assert_eq!(std::fs::read_to_string(&tx).unwrap(), text, "{args:?}");
        }
    }
    let s = write(
        dir.path(),
        "s.csv",
        b"frequency,recency,T\n2,30,39\n0,0,39\n1,10,39\n",
    );
    let o = crm(&["churn", "fit", "--summary", &s, "--output", &s]);
    assert_fails(&o, 2, "refusing to overwrite an input");
    let r = write(
        dir.path(),
        "r.csv",
        b"response_id,customer_id,timestamp,score\nr1,c1,2024-01-01,9\nr2,c2,2024-01-02,3\n",
    );
    let o = crm(&["nps", "--responses", &r, "--output", &r]);
    assert_fails(&o, 2, "refusing to overwrite an input");
    let names: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(names.len(), 4 + usize::from(cfg!(unix)), "{names:?}");
}

#[test]
fn a_failed_output_leaves_no_temporary_file_and_a_good_one_replaces_the_old() {
    let dir = tempfile::tempdir().unwrap();
    let tx = write(dir.path(), "tx.csv", transactions().as_bytes());
    // The target is a directory: the write fails, nothing is left behind.
    std::fs::create_dir(dir.path().join("out.csv")).unwrap();
    let out = arg(&dir.path().join("out.csv"));
    let o = crm(&["rfm", "--transactions", &tx, "--output", &out]);
    assert_fails(&o, 1, "cannot write");
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(left.len(), 2, "{left:?}");
    // An existing output is replaced whole, through a symbolic link to it as well.
    std::fs::write(dir.path().join("old.csv"), b"old").unwrap();
    let old = arg(&dir.path().join("old.csv"));
    let o = crm(&["rfm", "--transactions", &tx, "--output", &old]);
    assert!(o.status.success(), "{}", stderr(&o));
    let written = std::fs::read_to_string(&old).unwrap();
    assert!(written.starts_with("customer_id,"), "{written}");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(dir.path().join("old.csv"), dir.path().join("via.csv")).unwrap();
        std::fs::write(dir.path().join("old.csv"), b"old").unwrap();
        let via = arg(&dir.path().join("via.csv"));
        let o = crm(&["abc", "--transactions", &tx, "--output", &via]);
        assert!(o.status.success(), "{}", stderr(&o));
        let meta = std::fs::symlink_metadata(dir.path().join("via.csv")).unwrap();
        assert!(meta.file_type().is_symlink(), "the link stays a link");
        assert!(
            std::fs::read_to_string(&old)
                .unwrap()
                .starts_with("customer_id,")
        );
    }
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(left.iter().all(|n| !n.contains(".tmp")), "{left:?}");
}

// 3. Inputs read once: FIFOs, `-` and `/dev/stdin`.

/// Runs `crm` reading `content` through a FIFO named `name` in `dir`, fed by a thread.
#[cfg(unix)]
fn through_fifo(dir: &Path, name: &str, content: &[u8], args: &[&str]) -> Output {
    let fifo = dir.join(name);
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let bytes = content.to_vec();
    let target = fifo.clone();
    let writer = std::thread::spawn(move || {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(&target)
            .expect("open the FIFO");
        let _ = f.write_all(&bytes);
    });
    let fifo_arg = arg(&fifo);
    let args: Vec<&str> = args
        .iter()
        .map(|a| if *a == "FIFO" { fifo_arg.as_str() } else { a })
        .collect();
    let o = crm(&args);
    writer.join().expect("writer");
    std::fs::remove_file(&fifo).unwrap();
    o
}

/// Inputs for each reading command: (command, flag, file content).
fn readers() -> Vec<(Vec<&'static str>, &'static str, String)> {
    let summary = "customer_id,frequency,recency,T\na,2,30,39\nb,0,0,39\nc,1,10,39\n";
    let responses = "response_id,customer_id,timestamp,score\nr1,c1,2024-01-01,9\nr2,c2,2024-01-02,3\nr3,c3,2024-01-03,10\n";
    vec![
        (vec!["rfm"], "--transactions", transactions()),
        (vec!["abc"], "--transactions", transactions()),
        (vec!["churn", "fit"], "--transactions", transactions()),
        (vec!["churn", "fit"], "--summary", summary.to_string()),
        (vec!["nps"], "--responses", responses.to_string()),
    ]
}

#[cfg(unix)]
#[test]
fn every_input_can_be_a_fifo_or_standard_input() {
    let dir = tempfile::tempdir().unwrap();
    for (command, flag, content) in readers() {
        let file = write(dir.path(), "in.csv", content.as_bytes());
        let mut args = command.clone();
        args.extend([flag, &file, "--json"]);
        let from_file = crm(&args);
        assert!(
            from_file.status.success(),
            "{args:?}: {}",
            stderr(&from_file)
        );
        let expected = stdout(&from_file);
        for source in ["FIFO", "-", "/dev/stdin"] {
            let mut args = command.clone();
            args.extend([flag, source, "--json"]);
            let o = if source == "FIFO" {
                through_fifo(dir.path(), "in.fifo", content.as_bytes(), &args)
            } else {
                crm_stdin(&args, content.as_bytes())
            };
            assert!(o.status.success(), "{args:?}: {}", stderr(&o));
            assert_eq!(stdout(&o), expected, "{args:?}");
        }
    }
}

#[cfg(unix)]
#[test]
fn a_large_piped_file_reads_as_the_same_file_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from(TX_HEADER);
    for i in 0..200_000u64 {
        text.push_str(&format!(
            "customer-{:06},2024-{:02}-{:02},{}.{:02}\n",
            (i * 7919) % 30_011,
            1 + i % 12,
            1 + i % 28,
            i % 500,
            i % 100
        ));
    }
    let tx = write(dir.path(), "tx.csv", text.as_bytes());
    let a = arg(&dir.path().join("a.csv"));
    let b = arg(&dir.path().join("b.csv"));
    let o = crm(&["rfm", "--transactions", &tx, "--output", &a]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = crm_stdin(
        &["rfm", "--transactions", "-", "--output", &b],
        text.as_bytes(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    // An error in piped input names its line, as for a file.
    let bad = text.replacen("customer-000000,", "customer-000000,x", 1);
    let o = crm_stdin(&["rfm", "--transactions", "-"], bad.as_bytes());
    assert_fails(&o, 3, "-, line 2, column 2 (timestamp)");
}

// 4. Line numbers with LF, CRLF and bare CR line ends.

#[test]
fn errors_name_the_right_line_for_every_line_end() {
    let dir = tempfile::tempdir().unwrap();
    for (end, name) in [("\n", "lf"), ("\r\n", "crlf"), ("\r", "cr")] {
        let rows = [
            "customer_id,timestamp,amount",
            "a,2024-01-01,1",
            "",
            "b,2024-01-02,2",
            "c,2024-01-03,x",
        ];
        let text = rows.join(end) + end;
        let f = write(dir.path(), &format!("{name}.csv"), text.as_bytes());
        // `rfm` reads with the fast reader first, `abc` and `churn` with the csv reader.
        for command in [&["rfm"][..], &["abc"][..], &["churn", "fit"][..]] {
            let mut args = command.to_vec();
            args.extend(["--transactions", &f]);
            assert_fails(&crm(&args), 3, "line 5, column 3 (amount)");
        }
        // Wrong number of fields.
        let text = rows[..4].join(end) + end + "c,2024-01-03" + end;
        let f = write(dir.path(), &format!("{name}2.csv"), text.as_bytes());
        assert_fails(
            &crm(&["rfm", "--transactions", &f]),
            3,
            "line 5: expected 3 comma-separated fields",
        );
        let summary = ["frequency,recency,T", "1,2,3", "1,9,3"].join(end) + end;
        let f = write(dir.path(), &format!("{name}3.csv"), summary.as_bytes());
        assert_fails(
            &crm(&["churn", "fit", "--summary", &f]),
            3,
            "line 3, column 2 (recency)",
        );
        let responses = [
            "response_id,customer_id,timestamp,score",
            "r1,c1,2024-01-01,9",
            "r2,c2,2024-01-02,11",
        ]
        .join(end)
            + end;
        let f = write(dir.path(), &format!("{name}4.csv"), responses.as_bytes());
        assert_fails(
            &crm(&["nps", "--responses", &f]),
            3,
            "line 3, column 4 (score)",
        );
        let cdnow = ["00001 19970101 1 11.77", "", "00002 19971301 2 20.00"].join(end) + end;
        let f = write(dir.path(), &format!("{name}5.txt"), cdnow.as_bytes());
        assert_fails(
            &crm(&["abc", "--transactions", &f, "--format", "cdnow"]),
            3,
            "line 3, column 2 (date)",
        );
    }
}

// 5. Standard output that fails.

#[cfg(unix)]
#[test]
fn a_full_standard_output_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let tx = write(dir.path(), "tx.csv", transactions().as_bytes());
    let runs: [&[&str]; 5] = [
        &["lifecycle", "dot", "--builtin", "customer"],
        &["lifecycle", "mermaid", "--builtin", "ticket"],
        &["rfm", "--transactions", &tx],
        &["abc", "--transactions", &tx, "--json"],
        &["churn", "fit", "--transactions", &tx],
    ];
    for args in runs {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let o = Command::new(env!("CARGO_BIN_EXE_crm"))
            .args(args)
            .stdout(full)
            .stderr(Stdio::piped())
            .output()
            .expect("crm runs");
        assert_fails(&o, 1, "cannot write standard output");
    }
}

#[test]
fn a_closed_pipe_ends_quietly_with_the_sigpipe_status() {
    for args in [
        &["lifecycle", "dot", "--builtin", "customer"][..],
        &["lifecycle", "mermaid", "--builtin", "deal"][..],
    ] {
        // The reader goes away before anything is written (and before the child starts,
        // so that no other process started meanwhile holds it open).
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        let o = Command::new(env!("CARGO_BIN_EXE_crm"))
            .args(args)
            .stdout(writer)
            .stderr(Stdio::piped())
            .output()
            .expect("crm runs");
        assert_eq!(o.status.code(), Some(141), "{}", stderr(&o));
        assert_eq!(stderr(&o), "", "nothing is printed");
    }
}

// 6. One customer id rule for every reader.

/// Ids `crm import` refuses, with what the message says.
fn bad_ids() -> Vec<(String, &'static str)> {
    vec![
        ("a\u{0}b".to_string(), "control character at byte 1"),
        ("a\u{1}b".to_string(), "control character at byte 1"),
        ("ab\u{7f}".to_string(), "control character at byte 2"),
        ("a\u{85}b".to_string(), "control character at byte 1"),
        (
            "x".repeat(1 << 20),
            "1048576 bytes is longer than the maximum of 128",
        ),
        (
            "x".repeat(129),
            "129 bytes is longer than the maximum of 128",
        ),
        ("\"a\nb\"".to_string(), "control character at byte 1"),
        (String::new(), "a non-empty customer id"),
    ]
}

#[test]
fn every_reader_refuses_the_ids_import_refuses() {
    let dir = tempfile::tempdir().unwrap();
    let db = arg(&dir.path().join("crm.db"));
    for (id, message) in bad_ids() {
        let cases: Vec<(Vec<&str>, &str, String, usize)> = vec![
            (
                vec!["rfm"],
                "--transactions",
                format!("{TX_HEADER}ok,2024-01-01,1\n{id},2024-01-02,2\n"),
                1,
            ),
            (
                vec!["abc"],
                "--transactions",
                format!("{TX_HEADER}ok,2024-01-01,1\n{id},2024-01-02,2\n"),
                1,
            ),
            (
                vec!["churn", "fit"],
                "--summary",
                format!("customer_id,frequency,recency,T\nok,1,2,3\n{id},1,2,3\n"),
                1,
            ),
            (
                vec!["nps"],
                "--responses",
                format!(
                    "response_id,customer_id,timestamp,score\nr1,ok,2024-01-01,9\nr2,{id},2024-01-02,3\n"
                ),
                2,
            ),
            (
                vec!["import", "--db", &db, "transactions"],
                "",
                format!("{TX_HEADER}ok,2024-01-01,1\n{id},2024-01-02,2\n"),
                1,
            ),
        ];
        for (command, flag, content, column) in cases {
            let f = write(dir.path(), "in.csv", content.as_bytes());
            let mut args = command.clone();
            if !flag.is_empty() {
                args.push(flag);
            }
            args.push(&f);
            let o = crm(&args);
            let want = format!("line 3, column {column} (customer_id): expected ");
            assert_fails(&o, 3, &want);
            assert_fails(&o, 3, message);
            assert!(stderr(&o).len() < 2_000, "a long id is cut in messages");
        }
    }
    // CDNOW ids are checked too.
    let f = write(
        dir.path(),
        "c.txt",
        "00001 19970101 1 11.77\n0\u{1}2 19970102 1 1.00\n".as_bytes(),
    );
    assert_fails(
        &crm(&["rfm", "--transactions", &f, "--format", "cdnow"]),
        3,
        "line 2, column 1 (customer_id): expected a valid customer_id",
    );
}

#[test]
fn ids_import_accepts_are_read_by_every_reader() {
    let dir = tempfile::tempdir().unwrap();
    let ids = ["é", "a b", "x".repeat(128).leak() as &str, "José-1", "42"];
    let mut text = String::from(TX_HEADER);
    for (i, id) in ids.iter().enumerate() {
        text.push_str(&format!("{id},2024-01-{:02},{}\n", i + 1, i + 1));
    }
    let f = write(dir.path(), "tx.csv", text.as_bytes());
    for command in ["rfm", "abc"] {
        let o = crm(&[command, "--transactions", &f, "--json"]);
        assert!(o.status.success(), "{command}: {}", stderr(&o));
        assert_eq!(common::json_of(&o)["customers"], 5, "{command}");
    }
}

// 7. JSON: a byte-order mark is accepted, invalid UTF-8 is an input error.

const MACHINE: &str = r#"{"name": "m", "initial": "a", "terminal": ["b"],
  "transition": [{"from": "a", "event": "go", "to": "b"}]}"#;

#[test]
fn json_with_a_byte_order_mark_or_invalid_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let plain = write(dir.path(), "plain.json", MACHINE.as_bytes());
    let o = crm(&["lifecycle", "validate", &plain]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(MACHINE.as_bytes());
    let with_bom = write(dir.path(), "bom.json", &bom);
    let o = crm(&["lifecycle", "validate", &with_bom]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = crm(&["lifecycle", "dot", &with_bom]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut bad = MACHINE.as_bytes().to_vec();
    bad[11] = 0xff;
    let bad = write(dir.path(), "bad.json", &bad);
    let o = crm(&["lifecycle", "validate", &bad]);
    assert_fails(
        &o,
        3,
        "bad.json, line 1: expected UTF-8 text (an invalid byte at offset 11)",
    );
    let mut bad2 = b"\xEF\xBB\xBF".to_vec();
    bad2.extend_from_slice(b"{\n\"name\": \"\xC3\x28\"}");
    let bad2 = write(dir.path(), "bad2.json", &bad2);
    assert_fails(
        &crm(&["lifecycle", "validate", &bad2]),
        3,
        "line 2: expected UTF-8 text (an invalid byte at offset 14)",
    );
    // `-` is standard input (read as TOML, the format of a name without `.json`).
    let toml = std::fs::read(common::fixture("machines/ticket.toml")).unwrap();
    let o = crm_stdin(&["lifecycle", "validate", "-"], &toml);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn amounts_a_decimal_cannot_hold_exactly_are_refused_with_their_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let f = write(
        dir.path(),
        "fine.csv",
        format!("{TX_HEADER}a,2024-01-01,10\nb,2024-01-02,1.12345678901234567890123456789\n")
            .as_bytes(),
    );
    let db = arg(&dir.path().join("crm.db"));
    for args in [
        vec!["rfm", "--transactions", &f],
        vec!["abc", "--transactions", &f],
        vec!["import", "transactions", &f, "--db", &db],
    ] {
        let o = crm(&args);
        assert_fails(&o, 3, "fine.csv, line 3, column 3 (amount)");
        assert!(stderr(&o).contains("rounded"), "{}", stderr(&o));
    }
    assert!(
        !dir.path().join("crm.db").exists() || {
            let o = crm(&["rfm", "--db", &db, "--json"]);
            stdout(&o).contains("\"customers\": 0")
        }
    );
}

#[test]
fn an_overflowing_sum_is_an_error_naming_the_customer_by_id() {
    let dir = tempfile::tempdir().expect("temp dir");
    let f = write(
        dir.path(),
        "big.csv",
        format!(
            "{TX_HEADER}first-customer,2024-01-01,50000000000000000000000000000\n\
             second-customer,2024-01-02,50000000000000000000000000000\n"
        )
        .as_bytes(),
    );
    for command in ["rfm", "abc"] {
        let o = crm(&[command, "--transactions", &f]);
        assert_fails(&o, 1, "overflows a decimal");
        // RFM knows whose value overflowed; the Lorenz curve of ABC sums bare values.
        let named = stderr(&o).contains("customer first-customer")
            || stderr(&o).contains("customer second-customer");
        assert!(
            named || (command == "abc" && stderr(&o).contains("when adding a value")),
            "{command}: {}",
            stderr(&o)
        );
        assert!(!stdout(&o).contains('%'), "no share may be printed");
    }
}

#[cfg(unix)]
#[test]
fn databases_crm_creates_are_readable_by_their_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let f = write(dir.path(), "tx.csv", transactions().as_bytes());
    let db = dir.path().join("crm.db");
    let o = crm(&["import", "transactions", &f, "--db", &arg(&db)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mode = std::fs::metadata(&db).expect("db").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn empty_and_control_names_in_a_machine_are_findings_and_never_reach_a_diagram() {
    let dir = tempfile::tempdir().expect("temp dir");
    let f = write(
        dir.path(),
        "m.json",
        br#"{"name":"","initial":"","terminal":["b\u001b[31m"],"transition":[{"from":"","event":"","to":"b\u001b[31m","guard":" "}]}"#,
    );
    let o = crm(&["lifecycle", "validate", &f]);
    assert_fails(&o, 4, "machine name \"\" is empty");
    for finding in [
        "state name \"\" is empty",
        "holds a control character",
        "event name \"\" is empty",
        "guard name \" \" is only white space",
    ] {
        assert!(stderr(&o).contains(finding), "{}", stderr(&o));
    }
    for command in ["dot", "mermaid"] {
        let o = crm(&["lifecycle", command, &f]);
        assert_ne!(o.status.code(), Some(0), "{command}");
        assert!(
            !o.stdout.contains(&0x1b) && !o.stderr.contains(&0x1b),
            "{command}"
        );
    }
}

#[test]
fn a_discount_rate_of_zero_is_taken_and_a_horizon_of_zero_refused() {
    // A nearly geometric cohort (churn 0.2): 4 periods ahead without discounting.
    let o = crm(&[
        "retention",
        "fit",
        "--survivors",
        "1000,800,640,512,410,328,262",
        "--discount-rate",
        "0",
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    let derl = v["discounted_expected_residual_lifetime"]
        .as_f64()
        .expect("a number");
    assert!((derl - 4.0).abs() < 0.05, "{derl}");
    // A heterogeneous cohort with alpha <= 1: unbounded, said so, not a failure.
    let o = crm(&[
        "retention",
        "fit",
        "--survivors",
        "1000,631,468,382,326,289,262,241",
        "--discount-rate",
        "0",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("unbounded"), "{}", stdout(&o));

    let summary = common::fixture_arg("cdnow_customers_summary.csv");
    let o = crm(&["clv", "score", "--summary", &summary, "--horizon", "0"]);
    assert_fails(&o, 2, "above 0");
}

#[test]
fn mixed_currencies_are_refused_with_the_file_and_line_or_the_customer() {
    let dir = tempfile::tempdir().expect("temp dir");
    let f = write(
        dir.path(),
        "mix.csv",
        b"customer_id,timestamp,amount,currency\na,2024-01-01,5,EUR\nb,2024-01-02,6,EUR\nc,2024-01-03,7,USD\n",
    );
    for command in ["rfm", "abc", "tiers", "cohorts"] {
        let o = crm(&[command, "--transactions", &f]);
        assert_fails(
            &o,
            3,
            "mix.csv, line 4, column 4 (currency): expected EUR as on line 2",
        );
    }
    let db = arg(&dir.path().join("mix.db"));
    let o = crm(&["import", "transactions", &f, "--db", &db]);
    assert!(
        o.status.success(),
        "import keeps each row's currency: {}",
        stderr(&o)
    );
    for command in ["rfm", "abc"] {
        let o = crm(&[command, "--db", &db]);
        assert_fails(
            &o,
            1,
            "customer c has amounts in USD, other customers in EUR",
        );
    }
}

#[test]
fn a_degenerate_fit_is_reported_with_warnings_and_refused_under_strict() {
    let dir = tempfile::tempdir().expect("temp dir");
    let f = write(dir.path(), "tx.csv", transactions().as_bytes());
    let o = crm(&["churn", "fit", "--transactions", &f]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("crm: warning: churn model: parameter"),
        "{}",
        stderr(&o)
    );
    let o = crm(&["churn", "fit", "--transactions", &f, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    let kinds: Vec<&str> = v["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| w["kind"].as_str().expect("kind"))
        .collect();
    assert!(kinds.contains(&"parameter_at_bound"), "{kinds:?}");
    assert!(
        stderr(&o).is_empty(),
        "JSON carries the warnings: {}",
        stderr(&o)
    );
    assert_fails(
        &crm(&["churn", "fit", "--transactions", &f, "--strict"]),
        1,
        "refused under --strict",
    );
    // A well-determined fit has none, and --strict lets it through.
    let cdnow = common::fixture_arg("cdnow_customers_summary.csv");
    let o = crm(&["churn", "fit", "--summary", &cdnow, "--strict", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(v["warnings"], serde_json::json!([]));
}

#[test]
fn a_failed_or_degenerate_spend_fit_names_its_model_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut text = String::from("customer_id,frequency,recency,T,monetary_value\n");
    for i in 1..=50 {
        text.push_str(&format!("c{i},{},{},30,25\n", i % 4 + 1, i % 5 + 10));
    }
    let f = write(dir.path(), "same.csv", text.as_bytes());
    for strict in [false, true] {
        let mut args = vec!["clv", "fit", "--summary", &f];
        if strict {
            args.push("--strict");
        }
        let o = crm(&args);
        let e = stderr(&o);
        assert_eq!(e.matches("Gamma-Gamma").count(), e.lines().count(), "{e}");
        assert!(!e.contains("Gamma-Gamma fit: Gamma-Gamma"), "{e}");
        assert_eq!(o.status.success(), !strict, "{e}");
    }
}

#[test]
fn errors_about_personal_data_show_it_masked() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = arg(&dir.path().join("crm.db"));
    for (content, raw, masked) in [
        (
            "customer_id,name,email\nc1,Ann Lee,ann.lee@example\n",
            "ann.lee@example",
            "a**.l**@e******",
        ),
        (
            "customer_id,name,phone\nc1,Ann Lee,+44 20 79x6 0958\n",
            "+44 20 79x6 0958",
            "+4* 2* 7*** 0***",
        ),
    ] {
        let f = write(dir.path(), "people.csv", content.as_bytes());
        let o = crm(&["import", "customers", &f, "--db", &db]);
        assert_fails(&o, 3, "people.csv, line 2");
        assert!(!stderr(&o).contains(raw), "{}", stderr(&o));
        assert!(stderr(&o).contains(masked), "{}", stderr(&o));
    }
}

#[test]
fn currency_rates_convert_every_amount_exactly_from_a_file_or_a_database() {
    let dir = tempfile::tempdir().expect("temp dir");
    let f = write(
        dir.path(),
        "mix.csv",
        b"customer_id,timestamp,amount,currency\na,2024-01-01,5,EUR\nb,2024-01-02,6,EUR\nc,2024-01-03,7,USD\n",
    );
    let rates = write(dir.path(), "rates.csv", b"currency,rate\nEUR,1.1\n");
    // Values as numbers: a database keeps amounts at their currency's scale (19.100).
    let value = |v: &serde_json::Value| -> Vec<f64> {
        v["classes"]
            .as_array()
            .expect("classes")
            .iter()
            .map(|c| c["value"].as_str().expect("value").parse().expect("number"))
            .collect()
    };
    // 5 × 1.1 + 6 × 1.1 + 7 = 19.1 USD, all in class A.
    let o = crm(&[
        "abc",
        "--transactions",
        &f,
        "--currency-rates",
        &rates,
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let from_file: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(value(&from_file)[0], 19.1);

    let db = arg(&dir.path().join("mix.db"));
    assert!(
        crm(&["import", "transactions", &f, "--db", &db])
            .status
            .success()
    );
    let o = crm(&["abc", "--db", &db, "--currency-rates", &rates, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let from_db: serde_json::Value = serde_json::from_str(&stdout(&o)).expect("json");
    assert_eq!(value(&from_db), value(&from_file));
    for command in ["rfm", "tiers", "cohorts"] {
        let o = crm(&[command, "--transactions", &f, "--currency-rates", &rates]);
        assert!(o.status.success(), "{command}: {}", stderr(&o));
    }

    // A currency without a rate is named with its line; a bad rate with its column.
    let gbp = write(
        dir.path(),
        "gbp.csv",
        b"customer_id,timestamp,amount,currency\na,2024-01-01,5,EUR\nb,2024-01-02,6,GBP\n",
    );
    let o = crm(&["rfm", "--transactions", &gbp, "--currency-rates", &rates]);
    assert_fails(&o, 3, "gbp.csv, line 3 (currency)");
    assert!(stderr(&o).contains("none for GBP"), "{}", stderr(&o));
    let bad = write(dir.path(), "bad-rates.csv", b"currency,rate\nEUR,-2\n");
    let o = crm(&["rfm", "--transactions", &f, "--currency-rates", &bad]);
    assert_fails(&o, 3, "bad-rates.csv, line 2, column 2 (rate)");
}

#[test]
fn currency_rates_are_refused_where_nothing_is_converted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let rates = write(dir.path(), "rates.csv", b"currency,rate\nEUR,1.1\n");
    let summary = common::fixture_arg("cdnow_customers_summary.csv");
    for command in ["churn", "clv"] {
        let o = crm(&[
            command,
            "fit",
            "--summary",
            &summary,
            "--currency-rates",
            &rates,
        ]);
        assert_fails(&o, 2, "--currency-rates converts a transaction file");
    }
}
