//! A server with three organisations and the devices and clients tests need.

use std::path::Path;
use std::time::Duration;

use automerge::AutoCommit;
use tempfile::TempDir;
use trygg_core::model::{Answer, AnswerValue, Observation, Report, Sensitivity, Walk, YesNoNa};
use trygg_core::seed::{self, demo};
use trygg_core::{DocId, Timestamp, document};
use trygg_sync::api::RegisterDocument;
use trygg_sync::client::{ClientConfig, SyncClient};

use super::server::{DeviceToken, Server, add_device, add_org, free_port};

pub const DISTRICT: &str = "district";
pub const POLICE: &str = "police";
pub const HOUSING: &str = "housing";

pub struct World {
    pub dir: TempDir,
    pub server: Server,
    extra: Vec<String>,
}

impl World {
    /// A server on a fixed free port (so it can restart on it) with the
    /// organisations `district`, `police` and `housing`.
    pub fn new(extra: &[&str]) -> World {
        let dir = tempfile::tempdir().expect("temp dir");
        let data = dir.path().join("server");
        std::fs::create_dir_all(&data).unwrap();
        add_org(&data, DISTRICT, "district");
        add_org(&data, POLICE, "police");
        add_org(&data, HOUSING, "housing");
        let server = Server::start(&data, free_port(), extra);
        World {
            dir,
            server,
            extra: extra.iter().map(|s| s.to_string()).collect(),
        }
    }

    pub fn data_dir(&self) -> &Path {
        &self.server.dir
    }

    pub fn device(&self, org: &str, role: &str) -> DeviceToken {
        add_device(self.data_dir(), org, role)
    }

    /// One field device each for the district, the police and the housing company.
    pub fn field_devices(&self) -> [DeviceToken; 3] {
        [DISTRICT, POLICE, HOUSING].map(|org| self.device(org, "field"))
    }

    /// Starts the server again on the same port and data.
    pub fn restart(&mut self) {
        let extra: Vec<&str> = self.extra.iter().map(String::as_str).collect();
        let (dir, port) = (self.server.dir.clone(), self.server.port);
        self.server = Server::start(&dir, port, &extra);
    }

    /// Starts the server again on the same port and data, with `extra`
    /// arguments from now on.
    pub fn restart_with(&mut self, extra: &[&str]) {
        self.extra = extra.iter().map(|s| s.to_string()).collect();
        self.server.kill();
        self.restart();
    }

    /// A device's sync client with its own store file `<name>.db`.
    pub async fn client(&self, name: &str, device: &DeviceToken) -> SyncClient {
        let mut config = ClientConfig::new(self.server.base(), &device.token, &device.id);
        config.refresh_every = Duration::from_millis(500);
        SyncClient::start(
            self.store_path(name),
            self.dir.path().join(format!("{name}-photos")),
            config,
        )
        .await
        .expect("starting a sync client")
    }

    pub fn store_path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(format!("{name}.db"))
    }
}

/// A walk owned by `owner` with `partners`, ready to create and register.
pub fn new_walk(owner: &str, partners: &[&str]) -> (AutoCommit, RegisterDocument) {
    let vocabulary = seed::vocabulary();
    let template = seed::default_template(owner, Timestamp::now());
    let version = template.latest_published().expect("a published version");
    let mut rng = demo::DemoRng::new(7);
    let mut walk: Walk = demo::walk(
        &mut rng,
        &demo::WalkSpec {
            template_doc_id: &DocId::random().to_string(),
            template: version,
            vocabulary: &vocabulary,
            observations: 0,
            at: Timestamp::now(),
        },
    );
    walk.owner_org = owner.into();
    walk.organisations = std::iter::once(owner)
        .chain(partners.iter().copied())
        .map(|o| (o.to_string(), Timestamp::now()))
        .collect();
    let id = DocId::random();
    let reg = RegisterDocument {
        id,
        kind: trygg_core::DocKind::Walk,
        area: Some(walk.area.clone()),
        shared_with: partners.iter().map(|s| s.to_string()).collect(),
        restricted: false,
        responsible_org: None,
    };
    (document::create(&walk).expect("a valid walk"), reg)
}

/// A report of `org` with one observation whose note is `note`.
pub fn new_report(org: &str, restricted: bool, note: &str) -> (AutoCommit, RegisterDocument) {
    let sensitivity = if restricted {
        Sensitivity::Restricted
    } else {
        Sensitivity::Shared
    };
    let mut rng = demo::DemoRng::new(11);
    let mut report: Report = demo::report(
        &mut rng,
        &seed::vocabulary(),
        org,
        sensitivity,
        0,
        Timestamp::now(),
    );
    let obs = observation(org, "test-device", note, sensitivity);
    report.observations.insert(obs.id.clone(), obs);
    let reg = RegisterDocument {
        id: DocId::random(),
        kind: trygg_core::DocKind::Report,
        area: Some(report.area.clone()),
        shared_with: Default::default(),
        restricted,
        responsible_org: None,
    };
    (document::create(&report).expect("a valid report"), reg)
}

pub fn observation(org: &str, device: &str, note: &str, sensitivity: Sensitivity) -> Observation {
    let mut rng = demo::DemoRng::new(rand_seed());
    let mut obs = demo::observation(
        &mut rng,
        &seed::vocabulary(),
        trygg_core::model::GeoPoint::new(59.4, 17.9),
        org,
        device,
        Timestamp::now(),
        sensitivity,
    );
    obs.note = autosurgeon::Text::with_value(note);
    obs
}

fn rand_seed() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(0u8)
}

pub fn yes(device: &str) -> Answer {
    Answer {
        value: AnswerValue::YesNo(YesNoNa::Yes),
        answered_by: device.into(),
        answered_at: Timestamp::now(),
    }
}

/// Polls `check` until it holds or `timeout` passes.
/// Whether an async `check` holds within `timeout` (asked every 50 ms).
pub async fn eventually_async<F: std::future::Future<Output = bool>>(
    timeout: Duration,
    mut check: impl FnMut() -> F,
) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn eventually(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if check() {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
