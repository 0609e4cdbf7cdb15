//! The access-control matrix against a real `trygg-server` on 127.0.0.1:
//! every role × organisation (kind) × document kind × operation. Each
//! cell's expected answer comes from the tables below, written out by hand
//! from PRODUCT §3 (not computed by `trygg_core::access`); the test asserts
//! exactly the allowed cells, and that every refused read looks exactly like
//! a read of something that does not exist. It prints how many cells it
//! checked. People (dashboard users: viewers and coordinators) of each
//! organisation count exactly the observations their column may read.
//!
//! The district owns every document; the walk and the action are shared with
//! the police; the housing company is responsible for the action; the
//! association has no tie to any of them.

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail, ensure};
use automerge::sync::{self, SyncDoc};
use automerge::transaction::Transactable;
use automerge::{Automerge, ROOT, ReadDoc};
use reqwest::StatusCode;
use support::people::{add_person, cookie_of, login};
use support::raw::{RawPeer, Val, frame, join};
use support::server::{DeviceToken, Server, add_device, add_org, free_port};
use support::world::{eventually, new_report, new_walk, observation};
use trygg_core::model::{ActionStatus, PhotoRef, Sensitivity, Walk};
use trygg_core::seed::{self, demo};
use trygg_core::{DocId, DocKind, Timestamp, document, edit};
use trygg_store::Store;
use trygg_sync::api::RegisterDocument;
use trygg_sync::client::{ClientConfig, SyncClient};
use trygg_sync::photo::{clean, fixtures, sha256_hex};

/// Organisations (id = kind), in the tables' column order.
const ORGS: [&str; 4] = ["district", "police", "housing", "association"];
const ROLES: [&str; 4] = ["field", "coordinator", "viewer", "admin"];

/// Access per document (rows) and organisation × role (columns, as in
/// `ORGS` × `ROLES`): `w` reads and writes, `r` reads, `-` nothing.
const ACCESS: &str = "
#            district     police       housing      association
#            f  c  v  a   f  c  v  a   f  c  v  a   f  c  v  a
walk         w  w  r  -   w  w  r  -   -  -  -  -   -  -  -  -
report       w  w  r  -   r  r  r  -   r  r  r  -   r  r  r  -
restricted   w  w  r  -   -  -  -  -   -  -  -  -   -  -  -  -
action       r  w  r  -   r  r  r  -   w  w  r  -   -  -  -  -
vocabulary   r  w  r  -   r  r  r  -   r  r  r  -   r  r  r  -
template     r  w  r  -   r  r  r  -   r  r  r  -   r  r  r  -
directory    r  w  r  -   r  r  r  -   r  r  r  -   r  r  r  -
";

/// Who may change who shares a document (`PATCH`): `y` or `n`.
const SHARE: &str = "
#            district     police       housing      association
walk         y  y  n  n   n  n  n  n   n  n  n  n   n  n  n  n
report       y  y  n  n   n  n  n  n   n  n  n  n   n  n  n  n
restricted   n  n  n  n   n  n  n  n   n  n  n  n   n  n  n  n
action       y  y  n  n   n  n  n  n   n  n  n  n   n  n  n  n
vocabulary   n  n  n  n   n  n  n  n   n  n  n  n   n  n  n  n
template     n  n  n  n   n  n  n  n   n  n  n  n   n  n  n  n
directory    n  n  n  n   n  n  n  n   n  n  n  n   n  n  n  n
";

/// Documents that carry a photo (in an observation): its download follows
/// the document's read access.
const WITH_PHOTO: [&str; 3] = ["walk", "report", "restricted"];

/// A table's cells: (document, org, role) → the cell's letter.
fn parse_table(table: &str) -> BTreeMap<(String, &'static str, &'static str), char> {
    let mut cells = BTreeMap::new();
    for line in table.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut words = line.split_whitespace();
        let doc = words.next().expect("a row name").to_string();
        let letters: Vec<char> = words.map(|w| w.chars().next().unwrap()).collect();
        assert_eq!(letters.len(), ORGS.len() * ROLES.len(), "row {doc}");
        for (i, letter) in letters.into_iter().enumerate() {
            cells.insert(
                (doc.clone(), ORGS[i / ROLES.len()], ROLES[i % ROLES.len()]),
                letter,
            );
        }
    }
    cells
}

struct Doc {
    name: &'static str,
    id: DocId,
    shared_with: BTreeSet<String>,
    photo: Option<String>,
}

/// A document to create: its name in the tables, content, registration and
/// the photo its observation shows.
type ToCreate = (
    &'static str,
    automerge::AutoCommit,
    RegisterDocument,
    Option<Photo>,
);

struct Photo {
    sha: String,
    bytes: Vec<u8>,
    reference: PhotoRef,
}

fn photo(seed: u32) -> Result<Photo> {
    let photo = clean(&fixtures::plain_jpeg(8 + seed, 8), "image/jpeg")?;
    let sha = sha256_hex(photo.bytes());
    Ok(Photo {
        reference: PhotoRef {
            sha256: sha.clone(),
            size: photo.bytes().len() as u64,
            media_type: photo.media_type().into(),
            caption: String::new(),
        },
        sha,
        bytes: photo.bytes().to_vec(),
    })
}

/// The seven documents, owned by the district, with a photo in each
/// observation-carrying one.
fn documents(creator: &str) -> Result<Vec<ToCreate>> {
    let mut out: Vec<ToCreate> = Vec::new();
    // The walk, shared with the police, with an observation and its photo.
    let (mut walk_doc, walk_reg) = new_walk("district", &["police"]);
    let walk_id = walk_reg.id;
    let walk_photo = photo(0)?;
    let mut obs = observation("district", creator, "Matrisvandring", Sensitivity::Shared);
    obs.photos.push(walk_photo.reference.clone());
    edit::put_observation(&mut walk_doc, &obs)?;
    more_observations(&mut walk_doc, creator, "walk", Sensitivity::Shared)?;
    let walk: Walk = document::read(&walk_doc)?;
    out.push(("walk", walk_doc, walk_reg, Some(walk_photo)));

    for (name, restricted, seed) in [("report", false, 1), ("restricted", true, 2)] {
        let (mut doc, reg) = new_report("district", restricted, "Matrisrapport");
        let shown = photo(seed)?;
        let sensitivity = if restricted {
            Sensitivity::Restricted
        } else {
            Sensitivity::Shared
        };
        let mut with_photo = observation("district", creator, "Med foto", sensitivity);
        with_photo.photos.push(shown.reference.clone());
        edit::put_observation(&mut doc, &with_photo)?;
        more_observations(&mut doc, creator, name, sensitivity)?;
        out.push((name, doc, reg, Some(shown)));
    }

    // The action: proposed by the district, the housing company carries it
    // out, the police follow it.
    let action = demo::action(
        &walk_id.to_string(),
        &walk,
        &obs.id,
        "housing",
        ActionStatus::Proposed,
    );
    let action_reg = RegisterDocument {
        id: DocId::random(),
        kind: DocKind::Action,
        area: Some(action.area.clone()),
        shared_with: ["police".to_string()].into(),
        restricted: false,
        responsible_org: Some("housing".into()),
    };
    out.push(("action", document::create(&action)?, action_reg, None));

    let common = |kind: DocKind| RegisterDocument {
        id: DocId::random(),
        kind,
        area: None,
        shared_with: BTreeSet::new(),
        restricted: false,
        responsible_org: None,
    };
    out.push((
        "vocabulary",
        document::create(&seed::vocabulary())?,
        common(DocKind::Vocabulary),
        None,
    ));
    let template = seed::default_template("district", Timestamp::now());
    out.push((
        "template",
        document::create(&template)?,
        common(DocKind::Template),
        None,
    ));
    out.push((
        "directory",
        document::create(&seed::directory())?,
        common(DocKind::Directory),
        None,
    ));
    Ok(out)
}

/// Creates the documents as the district's coordinator and uploads their photos.
async fn create_documents(
    server: &Server,
    creator: &DeviceToken,
    dir: &std::path::Path,
) -> Result<Vec<Doc>> {
    let mut config = ClientConfig::new(server.base(), &creator.token, &creator.id);
    config.refresh_every = Duration::from_millis(500);
    let client =
        SyncClient::start(dir.join("creator.db"), dir.join("creator-photos"), config).await?;
    let mut docs = Vec::new();
    for (name, mut content, reg, shown) in documents(&creator.id)? {
        if let Some(p) = &shown {
            client
                .api()?
                .put_photo(&p.sha, "image/jpeg", p.bytes.clone())
                .await?;
        }
        docs.push(Doc {
            name,
            id: reg.id,
            shared_with: reg.shared_with.clone(),
            photo: shown.map(|p| p.sha),
        });
        client.create(&mut content, reg).await?;
    }
    ensure!(
        client.all_on_server(Duration::from_secs(30)).await,
        "the documents did not reach the server"
    );
    client.stop().await;
    Ok(docs)
}

/// Observations in each document that holds any (see `documents`): at
/// least 5 each, so that no organisation's total is suppressed as too small
/// a count of another organisation's observations (the dashboard's k = 5),
/// and every set of them adds up to a different total.
const OBSERVATIONS_IN: [(&str, u64); 3] = [("walk", 5), ("report", 6), ("restricted", 7)];

/// Adds observations to document `name` until it holds its `OBSERVATIONS_IN`.
fn more_observations(
    doc: &mut automerge::AutoCommit,
    creator: &str,
    name: &str,
    sensitivity: Sensitivity,
) -> Result<()> {
    let want = OBSERVATIONS_IN
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, n)| *n)
        .context("a document with observations")?;
    let mut have = match document::read_any(doc)? {
        trygg_core::document::AnyDocument::Walk(w) => w.observations.len(),
        trygg_core::document::AnyDocument::Report(r) => r.observations.len(),
        other => anyhow::bail!("{name} is a {:?}", other.kind()),
    } as u64;
    while have < want {
        let extra = observation("district", creator, "", sensitivity);
        edit::put_observation(doc, &extra)?;
        have += 1;
    }
    Ok(())
}

/// The dashboard: a person of each organisation, as viewer and as
/// coordinator, logs in and reads the week's lägesbild; its total must be
/// exactly the observations in the documents the table lets their column
/// read. Returns the number of cells checked.
async fn dashboard_cells(
    server: &Server,
    data: &std::path::Path,
    access: &BTreeMap<(String, &'static str, &'static str), char>,
    wrong: &mut Vec<String>,
) -> Result<usize> {
    let http = reqwest::Client::new();
    let base = server.base();
    let mut people = Vec::new();
    for org in ORGS {
        for role in ["viewer", "coordinator"] {
            let (_, link) = add_person(data, &base, org, role, "Matris (test)");
            let resp = login(&http, &base, &link).await?;
            ensure!(resp.status() == StatusCode::OK, "{org} {role} logs in");
            let cookie = cookie_of(&resp)?;
            let expected: u64 = OBSERVATIONS_IN
                .iter()
                .filter(|(doc, _)| access[&(doc.to_string(), org, role)] != '-')
                .map(|(_, n)| n)
                .sum();
            people.push((org, role, cookie, expected));
        }
    }
    let total = |cookie: &str| {
        let request = base
            .join("/dashboard/api/lagesbild")
            .map(|url| http.get(url).header("cookie", cookie));
        async move {
            let picture: serde_json::Value =
                request?.send().await?.error_for_status()?.json().await?;
            picture["total"]["in_period"]
                .as_u64()
                .context("a total for the week")
        }
    };
    // The index follows the documents within a fraction of a second: wait
    // until the person who may read everything counts everything.
    let all: u64 = OBSERVATIONS_IN.iter().map(|(_, n)| n).sum();
    let (_, _, district, _) = people
        .iter()
        .find(|(o, r, _, _)| *o == "district" && *r == "coordinator")
        .context("the district's coordinator")?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while total(district).await? != all && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for (org, role, cookie, expected) in &people {
        let found = total(cookie).await?;
        if found != *expected {
            wrong.push(format!(
                "{org} {role} person × dashboard lägesbild: counts {found}, expected {expected}"
            ));
        }
    }
    Ok(people.len())
}

/// One principal's answers, gathered through every interface.
#[derive(Default)]
struct Answers {
    listed: BTreeSet<DocId>,
    http_read: HashMap<DocId, (StatusCode, String)>,
    sync_read: HashMap<DocId, Result<(), Vec<u8>>>,
    share: HashMap<DocId, (StatusCode, String)>,
    photo: HashMap<String, (StatusCode, Vec<u8>)>,
    /// The same questions about a document and a photo that do not exist.
    unknown_http: (StatusCode, String),
    unknown_share: (StatusCode, String),
    unknown_photo: (StatusCode, Vec<u8>),
    /// `doc-unavailable` frames for unknown ids, by the id's text.
    unknown_sync: HashMap<String, Vec<u8>>,
}

async fn text(resp: reqwest::Response) -> Result<(StatusCode, String)> {
    Ok((resp.status(), resp.text().await?))
}

/// Syncs one document over a raw automerge-repo connection: `Ok` once every
/// head the server advertised is here, `Err(frame)` with a `doc-unavailable`.
async fn sync_read(
    peer: &mut RawPeer,
    me: &str,
    id: &str,
    doc: &mut Automerge,
) -> Result<Result<(), Vec<u8>>> {
    let mut state = sync::State::new();
    let first = doc
        .generate_sync_message(&mut state)
        .context("a first message")?;
    peer.send(doc_frame("request", me, id, &first.encode()))
        .await;
    loop {
        let msg = recv_about(peer, id, Duration::from_secs(10))
            .await
            .with_context(|| format!("no answer about {id}"))?;
        match msg.kind.as_str() {
            "doc-unavailable" => return Ok(Err(msg.raw)),
            "sync" => {
                let m = sync::Message::decode(msg.data.as_deref().context("sync data")?)?;
                let heads = m.heads.clone();
                doc.receive_sync_message(&mut state, m)?;
                if !heads.is_empty() && heads.iter().all(|h| doc.get_change_by_hash(h).is_some()) {
                    return Ok(Ok(()));
                }
                if let Some(next) = doc.generate_sync_message(&mut state) {
                    peer.send(doc_frame("sync", me, id, &next.encode())).await;
                }
            }
            other => bail!("unexpected `{other}` about {id}"),
        }
    }
}

fn doc_frame(kind: &str, me: &str, id: &str, data: &[u8]) -> Vec<u8> {
    frame(&[
        ("type", Val::S(kind)),
        ("senderId", Val::S(me)),
        ("targetId", Val::S("trygg-server")),
        ("documentId", Val::S(id)),
        ("data", Val::B(data)),
    ])
}

/// Sends one change that sets `matrix-<device>` at the document's root, on
/// top of whatever this peer has of it (nothing, for a non-reader), and waits
/// briefly for whatever the server answers.
async fn sync_write(
    peer: &mut RawPeer,
    me: &str,
    id: &str,
    doc: &mut Automerge,
    device: &str,
) -> Result<()> {
    let mut tx = doc.transaction();
    tx.put(ROOT, marker(device), true)?;
    tx.commit();
    let change = doc
        .get_last_local_change()
        .context("the change")?
        .raw_bytes()
        .to_vec();
    let msg = sync::Message {
        heads: doc.get_heads(),
        need: Vec::new(),
        have: Vec::new(),
        changes: vec![change].into(),
        flags: None,
        version: sync::MessageVersion::V1,
    };
    peer.send(doc_frame("sync", me, id, &msg.encode())).await;
    // A writer's change is answered once stored; others may get no answer.
    let _answer = recv_about(peer, id, Duration::from_millis(700)).await;
    Ok(())
}

/// The next message about document `id`, skipping those about others (the
/// server keeps this peer up to date with documents it read before, which
/// other devices are writing to meanwhile).
async fn recv_about(peer: &mut RawPeer, id: &str, wait: Duration) -> Option<support::raw::Msg> {
    let deadline = tokio::time::Instant::now() + wait;
    loop {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let msg = peer.recv(left).await?;
        if msg.document.as_deref() == Some(id) {
            return Some(msg);
        }
    }
}

/// `haystack` with every `from` replaced by `to` (of the same length).
fn replace_bytes(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let mut out = haystack.to_vec();
    let mut i = 0;
    while i + from.len() <= out.len() {
        if &out[i..i + from.len()] == from {
            out[i..i + from.len()].copy_from_slice(to);
            i += from.len();
        } else {
            i += 1;
        }
    }
    out
}

fn marker(device: &str) -> String {
    format!("matrix-{device}")
}

/// A random document id whose text is as long as `like`'s (so a frame about
/// it can be compared byte for byte once the ids are swapped).
fn unknown_like(like: &str) -> String {
    loop {
        let id = DocId::random().to_string();
        if id.len() == like.len() {
            return id;
        }
    }
}

async fn ask_everything(
    server: Arc<Server>,
    device: DeviceToken,
    docs: Arc<Vec<Doc>>,
) -> Result<Answers> {
    let http = reqwest::Client::new();
    let base = server.base();
    let api = |path: String| base.join(&format!("api/v1/{path}"));
    let mut a = Answers::default();
    let listed: Vec<serde_json::Value> = http
        .get(api("documents".into())?)
        .bearer_auth(&device.token)
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    for entry in listed {
        a.listed.insert(
            entry["id"]
                .as_str()
                .context("an id")?
                .parse()
                .map_err(|_| anyhow::anyhow!("a document id"))?,
        );
    }
    let nothing = DocId::random();
    a.unknown_http = text(
        http.get(api(format!("documents/{nothing}"))?)
            .bearer_auth(&device.token)
            .send()
            .await?,
    )
    .await?;
    a.unknown_share = text(
        http.patch(api(format!("documents/{nothing}"))?)
            .bearer_auth(&device.token)
            .json(&serde_json::json!({"shared_with": []}))
            .send()
            .await?,
    )
    .await?;
    let unknown_photo = http
        .get(api(format!("photos/{}", sha256_hex(b"no such photo")))?)
        .bearer_auth(&device.token)
        .send()
        .await?;
    a.unknown_photo = (
        unknown_photo.status(),
        unknown_photo.bytes().await?.to_vec(),
    );

    let me = trygg_sync::api::peer_id_of(&device.id);
    let mut peer = RawPeer::connect(&server.ws(), &device.token).await?;
    peer.send(join(&me)).await;
    let answer = peer
        .recv(Duration::from_secs(10))
        .await
        .context("an answer to join")?;
    ensure!(answer.kind == "peer", "{answer:?}");
    for doc in docs.iter() {
        let id = doc.id.to_string();
        a.http_read.insert(
            doc.id,
            text(
                http.get(api(format!("documents/{id}"))?)
                    .bearer_auth(&device.token)
                    .send()
                    .await?,
            )
            .await?,
        );
        let mut local = Automerge::new();
        a.sync_read
            .insert(doc.id, sync_read(&mut peer, &me, &id, &mut local).await?);
        let unknown = unknown_like(&id);
        let Err(frame) = sync_read(&mut peer, &me, &unknown, &mut Automerge::new()).await? else {
            bail!("a document that does not exist was served");
        };
        a.unknown_sync.insert(unknown, frame);
        sync_write(&mut peer, &me, &id, &mut local, &device.id).await?;
        a.share.insert(
            doc.id,
            text(
                http.patch(api(format!("documents/{id}"))?)
                    .bearer_auth(&device.token)
                    .json(&serde_json::json!({"shared_with": doc.shared_with}))
                    .send()
                    .await?,
            )
            .await?,
        );
        if let Some(sha) = &doc.photo {
            let resp = http
                .get(api(format!("photos/{sha}"))?)
                .bearer_auth(&device.token)
                .send()
                .await?;
            a.photo
                .insert(sha.clone(), (resp.status(), resp.bytes().await?.to_vec()));
        }
    }
    Ok(a)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_role_organisation_document_and_operation_gets_exactly_its_access() -> Result<()> {
    let access = parse_table(ACCESS);
    let share = parse_table(SHARE);
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("server");
    std::fs::create_dir_all(&data)?;
    for org in ORGS {
        add_org(&data, org, org);
    }
    let mut devices = Vec::new();
    for org in ORGS {
        for role in ROLES {
            devices.push((org, role, add_device(&data, org, role)));
        }
    }
    let server = Arc::new(Server::start(&data, free_port(), &[]));
    let creator = &devices
        .iter()
        .find(|(o, r, _)| *o == "district" && *r == "coordinator")
        .unwrap()
        .2;
    let docs = Arc::new(create_documents(&server, creator, dir.path()).await?);

    let mut tasks = Vec::new();
    for (org, role, device) in &devices {
        let (server, docs, device) = (server.clone(), docs.clone(), device.clone());
        tasks.push((
            *org,
            *role,
            device.id.clone(),
            tokio::spawn(ask_everything(server, device, docs)),
        ));
    }
    let mut cells = 0usize;
    let mut wrong = Vec::new();
    let mut writers: HashMap<DocId, BTreeSet<String>> = HashMap::new();
    for (org, role, device_id, task) in tasks {
        let a = task.await?.with_context(|| format!("{org} {role}"))?;
        for doc in docs.iter() {
            let cell = |op: &str| format!("{org} {role} × {} × {op}", doc.name);
            let letter = access[&(doc.name.to_string(), org, role)];
            let (reads, writes) = (letter != '-', letter == 'w');
            if writes {
                writers
                    .entry(doc.id)
                    .or_default()
                    .insert(marker(&device_id));
            }
            let mut check = |ok: bool, op: &str, detail: String| {
                cells += 1;
                if !ok {
                    wrong.push(format!("{}: {detail}", cell(op)));
                }
            };
            check(
                a.listed.contains(&doc.id) == reads,
                "list",
                format!("listed: {}", a.listed.contains(&doc.id)),
            );
            let (status, body) = &a.http_read[&doc.id];
            check(
                if reads {
                    *status == StatusCode::OK
                } else {
                    (status, body) == (&a.unknown_http.0, &a.unknown_http.1)
                },
                "HTTP read",
                format!("{status} {body} (unknown: {:?})", a.unknown_http),
            );
            let served = &a.sync_read[&doc.id];
            let looks_unknown = match served {
                Ok(()) => false,
                Err(frame) => a.unknown_sync.iter().any(|(unknown, reference)| {
                    unknown.len() == doc.id.to_string().len()
                        && replace_bytes(frame, doc.id.to_string().as_bytes(), unknown.as_bytes())
                            == *reference
                }),
            };
            check(
                if reads { served.is_ok() } else { looks_unknown },
                "sync read",
                format!("served: {}", served.is_ok()),
            );
            let (status, body) = &a.share[&doc.id];
            let may_share = share[&(doc.name.to_string(), org, role)] == 'y';
            check(
                if may_share {
                    *status == StatusCode::OK
                } else if reads {
                    matches!(*status, StatusCode::FORBIDDEN | StatusCode::BAD_REQUEST)
                } else {
                    (status, body) == (&a.unknown_share.0, &a.unknown_share.1)
                },
                "sharing change",
                format!("{status} {body}"),
            );
            if let Some(sha) = &doc.photo {
                let (status, bytes) = &a.photo[sha];
                check(
                    if reads {
                        *status == StatusCode::OK && sha256_hex(bytes) == *sha
                    } else {
                        (status, bytes) == (&a.unknown_photo.0, &a.unknown_photo.1)
                    },
                    "photo download",
                    format!("{status}"),
                );
            }
        }
    }
    ensure!(
        docs.iter()
            .all(|d| WITH_PHOTO.contains(&d.name) == d.photo.is_some())
    );

    // Writes: exactly the allowed devices' markers are stored, and nothing
    // else, as the server's document file holds them.
    let store_path = data.join("documents.db");
    let stored_markers = |id: &DocId| -> Result<BTreeSet<String>> {
        let store = Store::open(&store_path)?;
        let handle = store.load(*id)?;
        Ok(handle
            .doc()
            .keys(ROOT)
            .filter(|k| k.starts_with("matrix-"))
            .collect())
    };
    for doc in docs.iter() {
        let expected = writers.remove(&doc.id).unwrap_or_default();
        let settled = eventually(Duration::from_secs(10), || {
            stored_markers(&doc.id).is_ok_and(|found| found == expected)
        })
        .await;
        let found = stored_markers(&doc.id)?;
        cells += ORGS.len() * ROLES.len();
        if !settled {
            wrong.push(format!(
                "{} × sync write: stored {found:?}, expected {expected:?}",
                doc.name
            ));
        }
    }
    cells += dashboard_cells(&server, &data, &access, &mut wrong).await?;
    println!(
        "access matrix: {cells} cells checked, {} wrong",
        wrong.len()
    );
    ensure!(
        wrong.is_empty(),
        "{} cells wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    Ok(())
}
