//! A process killed with SIGKILL in the middle of a stream of writes leaves a
//! store that opens cleanly and holds every write it acknowledged.

mod support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use trygg_core::DocId;
use trygg_core::model::Walk;
use trygg_store::{ObservationFilter, Store};

/// Runs the writer, kills it after `acks` acknowledgements plus `extra` more
/// microseconds of writing, and returns the walk id and every acknowledged id.
fn write_then_kill(store: &std::path::Path, acks: usize, extra: Duration) -> (DocId, Vec<String>) {
    let mut child = Command::new(support::trygg_bin())
        .args(["--store"])
        .arg(store)
        .arg("write-stream")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the writer");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let first = lines.next().expect("walk line").expect("read");
    let walk: DocId = first
        .strip_prefix("walk ")
        .expect("first line names the walk")
        .parse()
        .expect("walk id");
    let mut acked = Vec::new();
    for line in lines.by_ref() {
        let line = line.expect("read");
        acked.push(line.strip_prefix("ack ").expect("ack line").to_string());
        if acked.len() == acks {
            break;
        }
    }
    // Let it get into the next writes, then kill it without warning.
    std::thread::sleep(extra);
    let pid = child.id().to_string();
    let status = Command::new("kill")
        .args(["-KILL", &pid])
        .status()
        .expect("kill");
    assert!(status.success());
    // Acks already in the pipe count as acknowledged too.
    for line in lines {
        match line {
            Ok(l) => acked.push(l.strip_prefix("ack ").expect("ack line").to_string()),
            Err(_) => break,
        }
    }
    let exit = child.wait().expect("wait");
    assert!(
        !exit.success(),
        "the writer must have been killed, not finished"
    );
    (walk, acked)
}

#[test]
fn killed_writer_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    // Several kills at different moments, into the same store: each run adds a walk.
    let rounds = [(40, 0), (75, 3), (150, 7), (90, 1)];
    let mut expected_obs = 0;
    for (round, (acks, extra_ms)) in rounds.into_iter().enumerate() {
        let path = dir.path().join("trygg.db");
        let (walk_id, acked) = write_then_kill(&path, acks, Duration::from_millis(extra_ms));
        assert!(acked.len() >= acks);

        let mut store = Store::open(&path).expect("a killed writer leaves a store that opens");
        let walk: Walk = store.load(walk_id).unwrap().read().unwrap();
        let stored: BTreeSet<&String> = walk.observations.keys().collect();
        for id in &acked {
            assert!(
                stored.contains(id),
                "round {round}: acknowledged observation {id} lost"
            );
        }
        // At most the one write in flight may have landed without its ack.
        assert!(
            stored.len() <= acked.len() + 1,
            "round {round}: {} stored, {} acked",
            stored.len(),
            acked.len()
        );

        // The index agrees with the documents, before and after a rebuild.
        let indexed = store
            .observations(&ObservationFilter {
                walk_doc_id: Some(walk_id.to_string()),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(
            indexed.len(),
            stored.len(),
            "round {round}: index and document disagree"
        );
        let before = store.index_dump().unwrap();
        store.rebuild_index().unwrap();
        assert_eq!(before, store.index_dump().unwrap());
        expected_obs += stored.len();
        let all = store.observations(&ObservationFilter::default()).unwrap();
        assert_eq!(all.len(), expected_obs);

        // SQLite's own check.
        let conn = rusqlite::Connection::open(&path).unwrap();
        let ok: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(ok, "ok");
    }
}

#[test]
fn samod_adapter_stops_the_process_rather_than_pretend_a_write_succeeded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("trygg.db");
    let id = DocId::random();
    let key = format!("{id}/incremental/{}", "ab".repeat(32));

    // Works on a healthy store.
    let ok = Command::new(support::trygg_bin())
        .arg("--store")
        .arg(&path)
        .args(["samod-put", &key, "bytes"])
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );

    // Break the store under it: the chunks table is gone.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("DROP TABLE chunks;").unwrap();
    drop(conn);
    let out = Command::new(support::trygg_bin())
        .arg("--store")
        .arg(&path)
        .args(["samod-put", &key, "bytes"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "a failed put must not exit cleanly");
    assert!(
        !stdout.contains("stored"),
        "it must not report success: {stdout}"
    );
    assert!(stderr.contains("stopping rather than pretend"), "{stderr}");
    assert!(stderr.contains("no such table: chunks"), "{stderr}");
}
