//! Sync across real processes: a `trygg-server` on 127.0.0.1 and several
//! devices (our sync client, each with its own SQLite store), plus hand-made
//! protocol frames for what a well-behaved client never sends.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;
use support::raw::{self, RawPeer, Val};
use support::server::admin;
use support::world::*;
use trygg_core::model::{Sensitivity, Walk};
use trygg_core::{DocId, document, edit};
use trygg_sync::client::{ConnectionState, SyncClient};
use trygg_sync::{SyncError, api};

const WAIT: Duration = Duration::from_secs(30);

fn read_walk(client: &SyncClient, id: &DocId) -> Walk {
    client
        .read(id, document::read::<Walk, _>)
        .expect("the walk is open")
        .expect("the walk reads")
}

fn has_observation(client: &SyncClient, walk: &DocId, obs: &str) -> bool {
    read_walk(client, walk).observations.contains_key(obs)
}

fn heads(client: &SyncClient, id: &DocId) -> Vec<automerge::ChangeHash> {
    let mut h = client.read(id, |doc| doc.get_heads()).expect("open");
    h.sort();
    h
}

/// `GET /api/v1/me` with `token`, which must be refused: returns the message.
async fn me_refused(w: &World, token: &str) -> Result<String> {
    let resp = reqwest::Client::new()
        .get(w.server.base().join("api/v1/me")?)
        .bearer_auth(token)
        .send()
        .await?;
    assert_eq!(resp.status().as_u16(), 401);
    let body: serde_json::Value = resp.json().await?;
    Ok(body["error"].as_str().expect("a JSON error").to_string())
}

/// Opens `id` on `client` once the server lists it.
async fn receive(client: &SyncClient, id: &DocId) {
    let deadline = Instant::now() + WAIT;
    loop {
        client.refresh_now();
        if client.open_documents().contains(id) {
            return;
        }
        assert!(Instant::now() < deadline, "document {id} never arrived");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn file_bytes(path: &std::path::Path) -> Vec<u8> {
    let mut all = std::fs::read(path).unwrap_or_default();
    for suffix in ["-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        all.extend(std::fs::read(p).unwrap_or_default());
    }
    all
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_organisations_converge_offline_and_restricted_notes_stay_home() -> Result<()> {
    let mut w = World::new(&[]);
    let [d, p, h] = w.field_devices();
    let district = w.client("district", &d).await;
    let police = w.client("police", &p).await;
    let housing = w.client("housing", &h).await;
    for c in [&district, &police, &housing] {
        assert!(c.connected(WAIT).await, "a client did not connect");
    }

    // The district starts a walk with the police and the housing company.
    let (mut walk, reg) = new_walk(DISTRICT, &[POLICE, HOUSING]);
    let walk_id = reg.id;
    district.create(&mut walk, reg).await?;
    let lamp = observation(DISTRICT, &d.id, "Lampan", Sensitivity::Shared);
    district
        .edit(&walk_id, |tx| edit::put_observation(tx, &lamp))
        .await?;
    assert!(district.all_on_server(WAIT).await);
    receive(&police, &walk_id).await;
    receive(&housing, &walk_id).await;
    assert!(eventually(WAIT, || has_observation(&housing, &walk_id, &lamp.id)).await);

    // The server goes away; all three keep working on the same walk.
    w.server.kill();
    for c in [&district, &police, &housing] {
        assert!(eventually(WAIT, || !c.is_connected()).await);
    }
    let items: Vec<String> = read_walk(&district, &walk_id)
        .answers
        .keys()
        .cloned()
        .collect();
    let mut expected = vec![lamp.id.clone()];
    for (client, org, device) in [
        (&district, DISTRICT, &d.id),
        (&police, POLICE, &p.id),
        (&housing, HOUSING, &h.id),
    ] {
        let obs = observation(
            org,
            device,
            &format!("offline från {org}"),
            Sensitivity::Shared,
        );
        client
            .edit(&walk_id, |tx| edit::put_observation(tx, &obs))
            .await?;
        expected.push(obs.id.clone());
        let item = format!("item-{org}");
        client
            .edit(&walk_id, |tx| edit::set_answer(tx, &item, &yes(device)))
            .await?;
    }
    // Two people edit the same note at once, at either end.
    police
        .edit(&walk_id, |tx| {
            edit::splice_note(tx, &lamp.id, 6, 0, " är trasig")
        })
        .await?;
    housing
        .edit(&walk_id, |tx| {
            edit::splice_note(tx, &lamp.id, 0, 0, "Vid porten: ")
        })
        .await?;
    let mut status = police.status();
    tokio::time::timeout(
        WAIT,
        status.wait_for(|s| s.connection == ConnectionState::Offline),
    )
    .await??;
    assert!(
        status.borrow().unsynced_documents >= 1,
        "the indicator counts the offline edits"
    );

    w.restart();
    for c in [&district, &police, &housing] {
        assert!(
            c.all_on_server(WAIT).await,
            "a client never got everything onto the server"
        );
    }
    assert!(
        eventually(WAIT, || {
            let hd = heads(&district, &walk_id);
            hd == heads(&police, &walk_id) && hd == heads(&housing, &walk_id)
        })
        .await,
        "the three copies did not converge"
    );
    let walks = [&district, &police, &housing].map(|c| read_walk(c, &walk_id));
    assert_eq!(walks[0], walks[1]);
    assert_eq!(walks[0], walks[2]);
    let mut got: Vec<String> = walks[0].observations.keys().cloned().collect();
    got.sort();
    expected.sort();
    assert_eq!(got, expected, "every offline observation survived");
    for org in [DISTRICT, POLICE, HOUSING] {
        assert!(walks[0].answers.contains_key(&format!("item-{org}")));
    }
    assert!(items.iter().all(|i| walks[0].answers.contains_key(i)));
    assert_eq!(
        walks[0].observations[&lamp.id].note.as_str(),
        "Vid porten: Lampan är trasig"
    );

    // The police keep a restricted note. The housing company never gets it.
    let marker = format!("HEMLIG-{}", DocId::random());
    let (mut report, reg) = new_report(POLICE, true, &marker);
    let report_id = reg.id;
    police.create(&mut report, reg).await?;
    assert!(police.all_on_server(WAIT).await);
    housing.refresh_now();
    district.refresh_now();
    tokio::time::sleep(Duration::from_secs(2)).await;
    for c in [&housing, &district] {
        let listed = c.api()?.documents().await?;
        assert!(
            listed.iter().all(|d| d.doc.id != report_id),
            "listed to another org"
        );
        assert!(matches!(
            c.open(&report_id).await,
            Err(SyncError::Unavailable(_))
        ));
        assert!(c.api()?.document(&report_id).await?.is_none());
    }
    district.stop().await;
    housing.stop().await;
    police.stop().await;
    let housing_bytes = file_bytes(&w.store_path("housing"));
    let police_bytes = file_bytes(&w.store_path("police"));
    assert!(
        contains(&police_bytes, marker.as_bytes()),
        "the check itself works: the police store holds the note's bytes"
    );
    assert!(
        !contains(&housing_bytes, marker.as_bytes()),
        "the restricted note's bytes reached the housing company's store"
    );
    let conn = rusqlite::Connection::open(w.store_path("housing"))?;
    let chunks: i64 = conn.query_row(
        "SELECT count(*) FROM chunks WHERE doc_id = ?1",
        [report_id.to_string()],
        |r| r.get(0),
    )?;
    assert_eq!(
        chunks, 0,
        "the housing store holds chunks of the police report"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_revoked_token_is_cut_off_within_a_second_and_cannot_reconnect() -> Result<()> {
    let w = World::new(&[]);
    let d = w.device(DISTRICT, "field");
    let client = w.client("district", &d).await;
    assert!(client.connected(WAIT).await);
    let mut peer = RawPeer::connect(&w.server.ws(), &d.token).await?;
    peer.handshake(&api::peer_id_of(&d.id)).await;

    admin(w.data_dir(), &["device", "revoke", &d.id]);
    let revoked = Instant::now();
    assert!(
        peer.is_closed_within(Duration::from_secs(1)).await,
        "the open connection was not cut within a second"
    );
    eprintln!(
        "raw connection closed {:?} after the revoke",
        revoked.elapsed()
    );
    assert!(eventually(Duration::from_secs(1), || !client.is_connected()).await);
    eprintln!(
        "client disconnected {:?} after the revoke",
        revoked.elapsed()
    );

    let mut status = client.status();
    let t = Instant::now();
    tokio::time::timeout(
        WAIT,
        status.wait_for(|s| s.connection == ConnectionState::TokenRefused),
    )
    .await??;
    eprintln!("status says token refused after {:?}", t.elapsed());
    match RawPeer::connect(&w.server.ws(), &d.token).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status().as_u16(), 401)
        }
        Err(e) => panic!("unexpected error {e}"),
        Ok(_) => panic!("a revoked token reconnected"),
    }
    assert!(me_refused(&w, &d.token).await?.contains("revoked"));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_and_foreign_documents_are_unavailable_alike() -> Result<()> {
    let w = World::new(&[]);
    let [d, p, h] = w.field_devices();
    let district = w.client("district", &d).await;
    let police = w.client("police", &p).await;
    let (mut walk, reg) = new_walk(DISTRICT, &[POLICE]);
    let walk_id = reg.id;
    district.create(&mut walk, reg).await?;
    let (mut report, reg) = new_report(POLICE, true, "endast polisen");
    let report_id = reg.id;
    police.create(&mut report, reg).await?;
    assert!(district.all_on_server(WAIT).await && police.all_on_server(WAIT).await);

    let mut peer = RawPeer::connect(&w.server.ws(), &h.token).await?;
    let me = api::peer_id_of(&h.id);
    peer.handshake(&me).await;
    let unknown = DocId::random();
    for id in [walk_id, report_id, unknown] {
        peer.send(raw::request(&me, &id.to_string())).await;
        let answer = peer.recv(WAIT).await.expect("an answer");
        assert_eq!(answer.kind, "doc-unavailable", "for {id}");
        assert_eq!(answer.document.as_deref(), Some(id.to_string().as_str()));
    }
    // Over HTTP too, a foreign id and an unknown id look the same.
    let http = reqwest::Client::new();
    for id in [walk_id, unknown] {
        let resp = http
            .get(w.server.base().join(&format!("api/v1/documents/{id}"))?)
            .bearer_auth(&h.token)
            .send()
            .await?;
        assert_eq!(resp.status().as_u16(), 404);
        assert_eq!(resp.text().await?, r#"{"error":"not found"}"#);
    }
    Ok(())
}

/// A device whose first connection failed (the server was down) and whose
/// dialer waits to retry still opens a document from the server once it is
/// back: "unavailable" must come from the server, not from having no
/// connection at that moment. With no server at all, the error says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opening_a_document_waits_for_a_server_that_was_down() -> Result<()> {
    let mut w = World::new(&[]);
    let [d, p, _] = w.field_devices();
    let district = w.client("district", &d).await;
    let (mut walk, reg) = new_walk(DISTRICT, &[POLICE]);
    let walk_id = reg.id;
    district.create(&mut walk, reg).await?;
    assert!(district.all_on_server(WAIT).await);
    district.stop().await;

    w.server.kill();
    let police = w.client("police", &p).await;
    // Dials fail and the dialer backs off (200 ms, 400 ms, 800 ms, …).
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!police.is_connected());
    let offline = police.open(&walk_id).await;
    assert!(
        matches!(&offline, Err(SyncError::Unreachable(why)) if why.contains("not reachable")),
        "with the server down: {offline:?}"
    );
    w.restart();
    police.open(&walk_id).await?;
    assert!(
        !heads(&police, &walk_id).is_empty(),
        "the walk's changes arrived"
    );
    assert!(matches!(
        police.open(&DocId::random()).await,
        Err(SyncError::Unavailable(_))
    ));
    police.stop().await;
    Ok(())
}

/// Connects, runs `bad`, and checks that the server closed the connection.
async fn refused(url: &str, token: &str, bad: Vec<Vec<u8>>) -> Result<bool> {
    let mut peer = RawPeer::connect(url, token).await?;
    for frame in bad {
        peer.send(frame).await;
    }
    Ok(peer.is_closed_within(WAIT).await)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_input_is_refused_clearly_and_the_server_keeps_serving() -> Result<()> {
    let mut w = World::new(&[
        "--max-message-bytes",
        "65536",
        "--max-photo-bytes",
        "100000",
    ]);
    let (d, p) = (w.device(DISTRICT, "field"), w.device(POLICE, "field"));
    let healthy = w.client("district", &d).await;
    let (mut walk, reg) = new_walk(DISTRICT, &[]);
    let walk_id = reg.id;
    healthy.create(&mut walk, reg).await?;
    assert!(healthy.all_on_server(WAIT).await);
    let url = w.server.ws();
    let me = api::peer_id_of(&d.id);
    let sync_garbage = raw::frame(&[
        ("type", Val::S("sync")),
        ("senderId", Val::S(&me)),
        ("targetId", Val::S("trygg-server")),
        ("documentId", Val::S(&walk_id.to_string())),
        ("data", Val::B(b"these are not automerge bytes")),
    ]);
    let huge = raw::frame(&[
        ("type", Val::S("sync")),
        ("senderId", Val::S(&me)),
        ("documentId", Val::S(&walk_id.to_string())),
        ("data", Val::B(&vec![7u8; 70_000])),
    ]);
    let cases: Vec<(&str, &str, Vec<Vec<u8>>, &str)> = vec![
        (
            "malformed CBOR",
            &d.token,
            vec![b"\xff\xfenot cbor at all".to_vec()],
            "malformed CBOR frame",
        ),
        (
            "garbage Automerge bytes",
            &d.token,
            vec![raw::join(&me), sync_garbage],
            "not an Automerge sync message",
        ),
        (
            "oversized message",
            &d.token,
            vec![raw::join(&me), huge],
            "receive failed",
        ),
        (
            "no join first",
            &d.token,
            vec![raw::request(&me, &walk_id.to_string())],
            "the first message must be `join`",
        ),
        (
            "no protocol version in common",
            &d.token,
            vec![raw::frame(&[
                ("type", Val::S("join")),
                ("senderId", Val::S(&me)),
                ("supportedProtocolVersions", Val::A(&["99"])),
            ])],
            "no protocol version in common",
        ),
        (
            "a document id that is none",
            &d.token,
            vec![raw::join(&me), raw::request(&me, "not-a-document")],
            "which is not a document id",
        ),
        (
            "second join",
            &d.token,
            vec![raw::join(&me), raw::join(&me)],
            "a second `join`",
        ),
        (
            "wrong peer id for the token",
            &p.token,
            vec![raw::join(&me)],
            "but the token belongs to",
        ),
    ];
    for (what, token, frames, log_line) in cases {
        assert!(
            refused(&url, token, frames).await?,
            "{what}: connection stayed open"
        );
        assert!(
            eventually(Duration::from_secs(5), || w
                .server
                .log_text()
                .contains(log_line))
            .await,
            "{what}: no log line containing `{log_line}`"
        );
        // The well-behaved device still syncs.
        let obs = observation(DISTRICT, &d.id, what, Sensitivity::Shared);
        healthy
            .edit(&walk_id, |tx| edit::put_observation(tx, &obs))
            .await?;
        assert!(
            healthy.all_on_server(WAIT).await,
            "{what}: the healthy client stopped syncing"
        );
    }

    // A text frame: the protocol is binary.
    let mut peer = RawPeer::connect(&url, &d.token).await?;
    peer.handshake(&me).await;
    peer.send_text("{\"type\":\"join\"}").await;
    assert!(
        peer.is_closed_within(WAIT).await,
        "text frame: connection stayed open"
    );
    assert!(
        eventually(Duration::from_secs(5), || w
            .server
            .log_text()
            .contains("the text frame was refused"))
        .await,
        "text frame: not logged"
    );

    // HTTP: each bad request gets its status and a JSON error.
    let http = reqwest::Client::new();
    let base = w.server.base();
    let docs = base.join("api/v1/documents")?;
    let register = |body: String| {
        http.post(docs.clone())
            .bearer_auth(&d.token)
            .header("content-type", "application/json")
            .body(body)
    };
    let photo = |name: String, body: Vec<u8>| {
        http.put(base.join(&format!("api/v1/photos/{name}")).unwrap())
            .bearer_auth(&d.token)
            .header("content-type", "image/jpeg")
            .body(body)
    };
    let sha = trygg_sync::photo::sha256_hex;
    let big = vec![1u8; 100_001];
    let cases: Vec<(&str, reqwest::RequestBuilder, u16, &str)> = vec![
        ("no token", http.get(docs.clone()), 401, "missing token"),
        (
            "unknown token",
            http.get(docs.clone()).bearer_auth("trygg_x"),
            401,
            "invalid token",
        ),
        ("malformed JSON", register("{not json".into()), 400, ""),
        (
            "oversized JSON",
            register(format!(
                r#"{{"id":"{}","kind":"walk","pad":"{}"}}"#,
                DocId::random(),
                "x".repeat(100_000)
            )),
            413,
            "",
        ),
        (
            "id registered already",
            register(format!(r#"{{"id":"{walk_id}","kind":"walk"}}"#)),
            409,
            "conflict",
        ),
        (
            "field device makes a template",
            register(format!(
                r#"{{"id":"{}","kind":"template"}}"#,
                DocId::random()
            )),
            403,
            "coordinator",
        ),
        (
            "unknown partner",
            register(format!(
                r#"{{"id":"{}","kind":"walk","shared_with":["nobody"]}}"#,
                DocId::random()
            )),
            400,
            "nobody",
        ),
        (
            "malformed since",
            http.get(base.join("api/v1/documents?since=yesterday")?)
                .bearer_auth(&d.token),
            400,
            "RFC 3339",
        ),
        (
            "malformed document id",
            http.get(base.join("api/v1/documents/not-an-id")?)
                .bearer_auth(&d.token),
            400,
            "not a document id",
        ),
        (
            "photo too large",
            photo(sha(&big), big.clone()),
            413,
            "larger than",
        ),
        (
            "photo under another hash",
            photo(sha(b"other"), b"photo".to_vec()),
            400,
            "hash",
        ),
        (
            "path in a photo name",
            photo("..%2F..%2Fregistry.db".into(), vec![]),
            400,
            "SHA-256",
        ),
    ];
    for (what, request, status, says) in cases {
        let resp = request.send().await?;
        assert_eq!(resp.status().as_u16(), status, "{what}");
        let body: serde_json::Value = resp.json().await?;
        let error = body["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: no JSON error"));
        assert!(
            error.contains(says),
            "{what}: `{error}` does not say `{says}`"
        );
    }

    assert!(w.server.is_running(), "the server died");
    let health = reqwest::get(w.server.base().join("healthz")?).await?;
    assert_eq!(health.status().as_u16(), 200);
    Ok(())
}

/// A photo travels through the device's queue and is downloadable by exactly
/// those who may read a document that references it: to everyone else (another
/// organisation, an admin, or a photo no document references) it does not exist.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn photos_upload_through_the_queue_and_only_readers_download_them() -> Result<()> {
    use trygg_core::model::PhotoRef;
    use trygg_sync::client::ApiClient;
    use trygg_sync::photo::{clean, fixtures, metadata_found, sha256_hex};
    let mut w = World::new(&[]);
    let d = w.device(DISTRICT, "field");
    let client = w.client("district", &d).await;
    assert!(client.connected(WAIT).await);
    let (mut walk, reg) = new_walk(DISTRICT, &[POLICE]);
    let walk_id = reg.id;
    client.create(&mut walk, reg).await?;
    assert!(client.all_on_server(WAIT).await);
    w.server.kill();
    // Taken offline as a phone writes it (EXIF with GPS, XMP, a comment, a
    // second picture): cleaned on the device, then waits in the queue while
    // the observation that shows it waits to sync.
    let photo = clean(&fixtures::multi_picture_jpeg(), "image/jpeg")?;
    let sha = client.add_photo(photo.clone()).await?;
    assert_eq!(client.queued_photos().await?.len(), 1);
    let mut tunnel = observation(DISTRICT, &d.id, "Tunneln", Sensitivity::Shared);
    tunnel.photos.push(PhotoRef {
        sha256: sha.clone(),
        size: photo.bytes().len() as u64,
        media_type: photo.media_type().into(),
        caption: String::new(),
    });
    client
        .edit(&walk_id, |tx| edit::put_observation(tx, &tunnel))
        .await?;
    w.restart();
    assert!(
        eventually_async(WAIT, || async {
            client.queued_photos().await.is_ok_and(|q| q.is_empty())
        })
        .await,
        "the queued photo was never uploaded"
    );
    assert!(client.all_on_server(WAIT).await);

    // The police, a partner on the walk, may download it; the bytes are the
    // cleaned ones, with nothing left to tell where or with what it was taken.
    let police = ApiClient::new(&w.server.base(), &w.device(POLICE, "viewer").token)?;
    let stored = police.get_photo(&sha).await?;
    assert_eq!(sha256_hex(&stored), sha);
    assert_eq!(stored, photo.bytes());
    assert_eq!(metadata_found(&stored, "image/jpeg")?, Vec::<String>::new());

    // Everyone else gets the answer for a photo that does not exist.
    let unknown = match police.get_photo(&sha256_hex(b"no such photo")).await {
        Err(SyncError::Api {
            status: 404,
            message,
        }) => message,
        other => panic!("an unknown photo: {other:?}"),
    };
    let housing = ApiClient::new(&w.server.base(), &w.device(HOUSING, "field").token)?;
    let admin = ApiClient::new(&w.server.base(), &w.device(DISTRICT, "admin").token)?;
    for (who, api) in [("another organisation", &housing), ("an admin", &admin)] {
        match api.get_photo(&sha).await {
            Err(SyncError::Api {
                status: 404,
                message,
            }) => assert_eq!(message, unknown),
            other => panic!("{who} downloading the photo: {other:?}"),
        }
    }
    // A photo no document references is not downloadable, not even by its uploader.
    let loose = clean(&fixtures::plain_jpeg(8, 8), "image/jpeg")?;
    let uploader = client.api()?;
    let loose_sha = sha256_hex(loose.bytes());
    uploader
        .put_photo(&loose_sha, "image/jpeg", loose.bytes().to_vec())
        .await?;
    assert!(matches!(
        uploader.get_photo(&loose_sha).await,
        Err(SyncError::Api { status: 404, .. })
    ));

    // A repeated upload is accepted and changes nothing.
    let again = uploader
        .put_photo(&sha, "image/jpeg", stored.clone())
        .await?;
    assert!(!again.created);
    // A viewer may not upload.
    assert!(matches!(
        police.put_photo(&sha, "image/jpeg", stored).await,
        Err(SyncError::Api { status: 403, .. })
    ));
    Ok(())
}

/// A device registers a document as one thing and sends another: a
/// police-restricted report registered as a walk shared with the housing
/// company. The server compares the content with the registration when it
/// arrives, refuses it (and after a restart, again when it loads it), and the
/// housing company never receives a byte of it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_document_whose_content_contradicts_its_registration_is_refused() -> Result<()> {
    let mut w = World::new(&[]);
    let (p, h) = (w.device(POLICE, "field"), w.device(HOUSING, "field"));
    let police = w.client("police", &p).await;
    let housing = w.client("housing", &h).await;
    assert!(police.connected(WAIT).await && housing.connected(WAIT).await);
    let (mut report, mut reg) = new_report(POLICE, true, "Hemlig spaning");
    reg.kind = trygg_core::DocKind::Walk;
    reg.restricted = false;
    reg.shared_with = [HOUSING.to_string()].into();
    let id = reg.id;
    police.create(&mut report, reg).await?;
    // The housing company sees the registration (it is a partner on paper)
    // but the server never serves it the content.
    let has_content = |c: &SyncClient| {
        c.refresh_now();
        matches!(c.read(&id, |doc| !doc.get_heads().is_empty()), Ok(true))
    };
    assert!(
        !eventually(Duration::from_secs(5), || has_content(&housing)).await,
        "the housing company received it"
    );
    let refused = |log: &str| log.matches("contradicts its registration").count();
    let log = w.server.log_text();
    assert_eq!(refused(&log), 1, "{log}");
    assert!(
        log.contains("kind is report in the document, walk in its registration"),
        "{log}"
    );

    let before = refused(&w.server.log_text());
    w.server.kill();
    w.restart();
    let housing = w.client("housing-again", &w.device(HOUSING, "field")).await;
    assert!(housing.connected(WAIT).await);
    assert!(
        !eventually(Duration::from_secs(5), || has_content(&housing)).await,
        "received after a restart"
    );
    assert!(
        eventually(WAIT, || refused(&w.server.log_text()) > before).await,
        "not refused again when loaded after the restart"
    );
    Ok(())
}

/// The server cannot strip a photo (its name is its hash), so it refuses any
/// upload that still carries metadata, from whatever client sent it.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_server_refuses_photos_that_carry_metadata() -> Result<()> {
    use trygg_sync::photo::{fixtures, sha256_hex};
    let w = World::new(&[]);
    let d = w.device(DISTRICT, "field");
    let api = trygg_sync::client::ApiClient::new(&w.server.base(), &d.token)?;
    for (bytes, media_type, named) in [
        (fixtures::multi_picture_jpeg(), "image/jpeg", "EXIF"),
        (fixtures::webp_with_exif_and_xmp(), "image/webp", "XMP"),
        (fixtures::png_with_exif(), "image/png", "eXIf"),
    ] {
        let sha = sha256_hex(&bytes);
        match api.put_photo(&sha, media_type, bytes).await {
            Err(SyncError::Api {
                status: 400,
                message,
            }) => assert!(
                message.contains(named),
                "{media_type}: the refusal does not name {named}: {message}"
            ),
            other => panic!("{media_type} with metadata was not refused: {other:?}"),
        }
        assert!(
            matches!(
                api.get_photo(&sha).await,
                Err(SyncError::Api { status: 404, .. })
            ),
            "{media_type}: a refused photo was stored"
        );
    }
    // HEIC is not accepted at all; the app converts before it uploads.
    let heic = b"\0\0\0\x18ftypheic\0\0\0\0".to_vec();
    let refused = api.put_photo(&sha256_hex(&heic), "image/heic", heic).await;
    assert!(
        matches!(refused, Err(SyncError::Api { status: 415, .. })),
        "{refused:?}"
    );
    // The same picture, cleaned, is accepted.
    let clean = trygg_sync::photo::clean(&fixtures::multi_picture_jpeg(), "image/jpeg")?;
    let stored = api
        .put_photo(
            &sha256_hex(clean.bytes()),
            clean.media_type(),
            clean.bytes().to_vec(),
        )
        .await?;
    assert!(stored.created);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_killed_during_a_sync_storm_loses_nothing_acknowledged() -> Result<()> {
    const EACH: usize = 40;
    let mut w = World::new(&[]);
    let devices = [
        (DISTRICT, w.device(DISTRICT, "field")),
        (POLICE, w.device(POLICE, "field")),
        (HOUSING, w.device(HOUSING, "field")),
    ];
    let mut clients = Vec::new();
    for (org, dev) in &devices {
        clients.push(Arc::new(w.client(org, dev).await));
    }
    let (mut walk, reg) = new_walk(DISTRICT, &[POLICE, HOUSING]);
    let walk_id = reg.id;
    clients[0].create(&mut walk, reg).await?;
    assert!(clients[0].all_on_server(WAIT).await);
    for c in &clients[1..] {
        receive(c, &walk_id).await;
    }

    let mut writers = Vec::new();
    for (c, (org, dev)) in clients.iter().zip(&devices) {
        let (c, org, device) = (c.clone(), org.to_string(), dev.id.clone());
        writers.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for i in 0..EACH {
                let obs = observation(
                    &org,
                    &device,
                    &format!("storm {org} {i}"),
                    Sensitivity::Shared,
                );
                c.edit(&walk_id, |tx| edit::put_observation(tx, &obs))
                    .await
                    .expect("a local edit never fails");
                ids.push(obs.id);
                tokio::time::sleep(Duration::from_millis(15)).await;
            }
            ids
        }));
    }
    tokio::time::sleep(Duration::from_millis(250)).await;
    w.server.kill();
    tokio::time::sleep(Duration::from_millis(300)).await;
    w.restart();
    let mut all = Vec::new();
    for writer in writers {
        all.extend(writer.await?);
    }
    for c in &clients {
        assert!(c.all_on_server(Duration::from_secs(60)).await);
    }
    assert!(
        eventually(WAIT, || {
            let h0 = heads(&clients[0], &walk_id);
            clients.iter().all(|c| heads(c, &walk_id) == h0)
        })
        .await
    );
    for c in &clients {
        let walk = read_walk(c, &walk_id);
        assert!(all.iter().all(|id| walk.observations.contains_key(id)));
    }
    // And the server's own file has all of it, after a clean stop.
    for c in clients {
        Arc::into_inner(c).expect("writers finished").stop().await;
    }
    w.server.stop();
    let store = trygg_store::Store::open(w.data_dir().join("documents.db"))?;
    let walk: Walk = store.load(walk_id)?.read()?;
    let missing = all
        .iter()
        .filter(|id| !walk.observations.contains_key(*id))
        .count();
    assert_eq!(
        missing,
        0,
        "{missing} of {} observations are missing on the server",
        all.len()
    );
    Ok(())
}

fn trygg(store: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(support::trygg_bin())
        .arg("--store")
        .arg(store)
        .args(["--org", DISTRICT])
        .args(args)
        .output()
        .expect("running trygg")
}

fn stdout_of(out: &std::process::Output) -> String {
    assert!(
        out.status.success(),
        "trygg failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_trygg_tool_registers_and_syncs_a_walk_recorded_before_pairing() {
    let w = World::new(&[]);
    let (one, two) = (w.device(DISTRICT, "field"), w.device(DISTRICT, "field"));
    let (a, b) = (w.store_path("cli-a"), w.store_path("cli-b"));
    let server = w.server.base().to_string();
    // Recorded offline, before the device ever met the server.
    stdout_of(&trygg(&a, &["init"]));
    let walk = stdout_of(&trygg(
        &a,
        &[
            "walk",
            "start",
            "--area",
            "sodermalm",
            "--route",
            "Slussen – Medborgarplatsen",
        ],
    ))
    .trim()
    .to_string();
    stdout_of(&trygg(
        &a,
        &[
            "walk",
            "observe",
            &walk,
            "--category",
            "belysning",
            "--note",
            "Släckt lampa (test)",
        ],
    ));
    let synced = stdout_of(&trygg(
        &a,
        &[
            "sync",
            "--server",
            &server,
            "--token",
            &one.token,
            "--timeout",
            "120",
        ],
    ));
    assert!(synced.contains("everything on the server"), "{synced}");
    assert!(synced.contains("registering"), "{synced}");

    let pulled = stdout_of(&trygg(
        &b,
        &[
            "sync",
            "--server",
            &server,
            "--token",
            &two.token,
            "--timeout",
            "120",
        ],
    ));
    assert!(pulled.contains("everything on the server"), "{pulled}");
    let shown = stdout_of(&trygg(&b, &["walk", "show", &walk]));
    assert!(shown.contains("Släckt lampa (test)"), "{shown}");
    let walks = stdout_of(&trygg(&b, &["walks"]));
    assert!(walks.contains(&walk), "{walks}");

    // A refused token says so and fails (once the server has seen the
    // revocation: within its 200 ms poll).
    admin(w.data_dir(), &["device", "revoke", &two.id]);
    std::thread::sleep(Duration::from_millis(600));
    let refused = trygg(
        &b,
        &[
            "sync",
            "--server",
            &server,
            "--token",
            &two.token,
            "--timeout",
            "120",
        ],
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("token"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_server_ignores_writes_a_device_may_not_make() -> Result<()> {
    let w = World::new(&[]);
    let (d, v) = (w.device(DISTRICT, "field"), w.device(POLICE, "viewer"));
    let district = w.client("district", &d).await;
    let viewer = w.client("viewer", &v).await;
    let (mut walk, reg) = new_walk(DISTRICT, &[POLICE]);
    let walk_id = reg.id;
    district.create(&mut walk, reg).await?;
    assert!(district.all_on_server(WAIT).await);
    receive(&viewer, &walk_id).await;

    // The viewer may read the walk; its own edit stays on its device.
    let forged = observation(POLICE, &v.id, "från en läsenhet", Sensitivity::Shared);
    viewer
        .edit(&walk_id, |tx| edit::put_observation(tx, &forged))
        .await?;
    // A later edit by the district still reaches the viewer...
    let real = observation(DISTRICT, &d.id, "från distriktet", Sensitivity::Shared);
    district
        .edit(&walk_id, |tx| edit::put_observation(tx, &real))
        .await?;
    assert!(district.all_on_server(WAIT).await);
    assert!(eventually(WAIT, || has_observation(&viewer, &walk_id, &real.id)).await);
    // ...but the viewer's never reaches the district.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(!has_observation(&district, &walk_id, &forged.id));
    assert_ne!(
        viewer.status().borrow().connection,
        ConnectionState::AllOnServer,
        "the viewer's indicator must not claim its edit is on the server"
    );

    // An expired token is refused like a revoked one, with its own message.
    let out = admin(
        w.data_dir(),
        &[
            "device",
            "add",
            "--org",
            DISTRICT,
            "--role",
            "field",
            "--expires-in-days",
            "0",
        ],
    );
    let token = out.lines().last().unwrap();
    let refusal = me_refused(&w, token).await?;
    assert!(refusal.contains("expired"), "{refusal}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_owner_changes_who_shares_a_walk_and_access_follows() -> Result<()> {
    let w = World::new(&[]);
    let [d, p, h] = w.field_devices();
    let district = w.client("district", &d).await;
    let police = w.client("police", &p).await;
    let housing = w.client("housing", &h).await;
    let (mut walk, reg) = new_walk(DISTRICT, &[POLICE]);
    let walk_id = reg.id;
    district.create(&mut walk, reg).await?;
    assert!(district.all_on_server(WAIT).await);
    receive(&police, &walk_id).await;
    assert!(housing.api()?.document(&walk_id).await?.is_none());

    // Only the owner decides; unknown organisations are named.
    let not_owner = police
        .api()?
        .set_sharing(&walk_id, [POLICE, HOUSING].map(String::from).into())
        .await;
    assert!(matches!(not_owner, Err(SyncError::Api { status: 403, .. })));
    let unknown = district
        .api()?
        .set_sharing(&walk_id, ["nobody".to_string()].into())
        .await;
    assert!(
        matches!(unknown, Err(SyncError::Api { status: 400, ref message }) if message.contains("nobody"))
    );

    // The housing company joins the walk and receives it...
    let before = trygg_core::Timestamp::now().to_rfc3339();
    let info = district
        .api()?
        .set_sharing(&walk_id, [POLICE, HOUSING].map(String::from).into())
        .await?;
    assert_eq!(info.doc.shared_with.len(), 2);
    receive(&housing, &walk_id).await;
    // A device listing only what changed sees the newly shared walk.
    let changed = housing.api()?.documents_since(Some(&before)).await?;
    assert!(changed.iter().any(|d| d.doc.id == walk_id));
    let future = housing
        .api()?
        .documents_since(Some("2999-01-01T00:00:00Z"))
        .await?;
    assert!(future.is_empty());
    // ...and the police leave it: their open connection stops getting changes.
    district
        .api()?
        .set_sharing(&walk_id, [HOUSING.to_string()].into())
        .await?;
    assert!(police.api()?.document(&walk_id).await?.is_none());
    let later = observation(
        DISTRICT,
        &d.id,
        "efter att polisen lämnat",
        Sensitivity::Shared,
    );
    district
        .edit(&walk_id, |tx| edit::put_observation(tx, &later))
        .await?;
    assert!(district.all_on_server(WAIT).await);
    assert!(eventually(WAIT, || has_observation(&housing, &walk_id, &later.id)).await);
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(!has_observation(&police, &walk_id, &later.id));
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_device_used_offline_pairs_later_and_its_walk_reaches_the_server() -> Result<()> {
    let w = World::new(&[]);
    let store = w.store_path("tablet");
    let photos = w.dir.path().join("tablet-photos");
    // First run: "continue offline".
    let offline = SyncClient::start(
        &store,
        &photos,
        trygg_sync::client::ClientConfig::offline("not-paired"),
    )
    .await?;
    let (mut walk, reg) = new_walk(DISTRICT, &[POLICE]);
    let walk_id = reg.id;
    offline.create(&mut walk, reg).await?;
    let obs = observation(DISTRICT, "not-paired", "innan parning", Sensitivity::Shared);
    offline
        .edit(&walk_id, |tx| edit::put_observation(tx, &obs))
        .await?;
    assert!(matches!(offline.api(), Err(SyncError::NotPaired)));
    let mut status = offline.status();
    tokio::time::timeout(WAIT, status.wait_for(|s| s.unsynced_documents == 1)).await??;
    assert_eq!(status.borrow().connection, ConnectionState::Offline);
    offline.stop().await;

    // Paired: the same store, now with a server and a token.
    let d = w.device(DISTRICT, "field");
    let paired = w.client("tablet", &d).await;
    assert!(paired.all_on_server(WAIT).await);
    let p = w.device(POLICE, "field");
    let police = w.client("police", &p).await;
    receive(&police, &walk_id).await;
    assert!(eventually(WAIT, || has_observation(&police, &walk_id, &obs.id)).await);
    Ok(())
}

/// A queued photo whose file is gone is never "on the server": the indicator
/// says the device has a problem, the photo stays queued with the reason,
/// and once the file is back it goes up and everything is on the server.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_queued_photo_whose_file_is_gone_is_a_problem_not_all_on_server() -> Result<()> {
    use trygg_sync::photo::{clean, fixtures};
    let mut w = World::new(&[]);
    let d = w.device(DISTRICT, "field");
    let client = w.client("district", &d).await;
    assert!(client.connected(WAIT).await);
    w.server.kill();
    let photo = clean(&fixtures::plain_jpeg(16, 16), "image/jpeg")?;
    let sha = client.add_photo(photo.clone()).await?;
    let file = w.dir.path().join("district-photos").join(&sha);
    let kept = w.dir.path().join("kept.jpg");
    std::fs::rename(&file, &kept)?;
    w.restart();
    assert!(client.connected(WAIT).await);

    let problem = eventually(WAIT, || {
        let s = client.status().borrow().clone();
        s.connection == ConnectionState::DeviceProblem && s.photos_missing == 1
    })
    .await;
    let status = client.status_now().await;
    assert!(problem, "{status:?}");
    assert_eq!((status.photos_queued, status.problem), (0, None));
    client.upload_photos_now();
    assert!(
        eventually_async(WAIT, || async {
            client.queued_photos().await.is_ok_and(|q| {
                q.first()
                    .and_then(|p| p.last_error.as_deref())
                    .is_some_and(|e| e.contains("file not readable"))
            })
        })
        .await,
        "the queue keeps the photo with the reason: {:?}",
        client.queued_photos().await
    );
    assert_eq!(client.queued_photos().await?.len(), 1, "kept in the queue");

    // The file is back: it goes up, and everything is on the server.
    std::fs::rename(&kept, &file)?;
    client.upload_photos_now();
    assert!(
        eventually_async(WAIT, || async {
            client.queued_photos().await.is_ok_and(|q| q.is_empty())
        })
        .await,
        "uploaded once the file was back"
    );
    assert!(client.all_on_server(WAIT).await);
    Ok(())
}

/// The indicator follows events, not a clock: a device with documents open
/// and nothing happening leaves them alone, and what happens still shows on
/// the published status within a moment (no one asking `status_now`).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_idle_device_leaves_its_documents_alone_and_its_status_follows_events() -> Result<()> {
    let mut w = World::new(&[]);
    let d = w.device(DISTRICT, "field");
    let client = w.client("district", &d).await;
    let t0 = Instant::now();
    for _ in 0..20 {
        let (mut doc, reg) = new_walk(DISTRICT, &[]);
        client.create(&mut doc, reg).await?;
    }
    assert!(client.all_on_server(WAIT).await);
    println!("20 walks on the server after {:?}", t0.elapsed());
    let published = |c: &SyncClient| c.status().borrow().clone();
    assert!(
        eventually(WAIT, || published(&client).connection
            == ConnectionState::AllOnServer)
        .await
    );

    // Idle for 3 s, refreshes of the document list included (every 500 ms
    // here): a loop on a 200 ms clock gathers the status 15 times in that span.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = client.status_scans();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle = client.status_scans() - before;
    assert!(
        idle <= 1,
        "an idle device gathered its status {idle} times in 3 s"
    );

    // The server goes away, a walk is started offline, the server comes back:
    // each shows on the published status (the fallback gathering is 5 s apart).
    w.server.kill();
    assert!(
        eventually(Duration::from_secs(2), || published(&client).connection
            == ConnectionState::Offline)
        .await,
        "{:?}",
        published(&client)
    );
    let offline = published(&client).unsynced_documents;
    let started = Instant::now();
    let (mut doc, reg) = new_walk(DISTRICT, &[]);
    client.create(&mut doc, reg).await?;
    assert!(
        eventually(Duration::from_secs(2), || published(&client)
            .unsynced_documents
            == offline + 1)
        .await,
        "the walk started offline is counted: {:?}",
        published(&client)
    );
    let counted = started.elapsed();
    let t1 = Instant::now();
    w.restart();
    assert!(
        eventually(WAIT, || {
            let s = published(&client);
            s.connection == ConnectionState::AllOnServer && s.unsynced_documents == 0
        })
        .await,
        "{:?}",
        published(&client)
    );
    println!(
        "status: gathered {idle} times in 3 s idle; a walk started offline counted after {counted:?}; all on the server {:?} after the restart",
        t1.elapsed()
    );
    Ok(())
}
