//! Organisations without devices (over HTTP, real server and devices): a
//! coordinator sets the contact of an organisation that has no devices in
//! the dashboard; the directory edit reaches devices by sync, and the walk
//! protocol's PDF names the contact beside the action that organisation is
//! responsible for. A viewer reads but may not edit; bad input is refused
//! with what is wrong, and nothing changes.

mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use serde_json::{Value, json};
use support::dashboard::{fire, get_json, pdf_text};
use support::people::{add_person, cookie_of, login};
use support::world::{DISTRICT, HOUSING, POLICE, World, eventually, new_walk};
use trygg_core::model::{ActionStatus, Directory, OrgKind, Organisation, Walk};
use trygg_core::seed::demo;
use trygg_core::{DocId, DocKind, document, edit, seed};
use trygg_sync::api::RegisterDocument;

const WAIT: Duration = Duration::from_secs(30);

fn register(
    id: DocId,
    kind: DocKind,
    area: Option<String>,
    responsible: Option<&str>,
) -> RegisterDocument {
    RegisterDocument {
        id,
        kind,
        area,
        shared_with: BTreeSet::new(),
        restricted: false,
        responsible_org: responsible.map(str::to_string),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_protocol_names_the_contact_of_an_organisation_without_devices() -> Result<()> {
    let w = World::new(&[]);
    let d = w.device(DISTRICT, "field");
    let field = w.client("field", &d).await;
    let c = w.device(DISTRICT, "coordinator");
    let coordinator = w.client("coordinator", &c).await;
    // The directory, with the housing company (which has no devices).
    let mut directory = seed::directory();
    for (id, name, kind) in [
        (DISTRICT, "Stadsdelen (test)", OrgKind::District),
        (POLICE, "Polisen (test)", OrgKind::Police),
        (HOUSING, "Bostadsbolaget (test)", OrgKind::Housing),
    ] {
        directory.organisations.insert(
            id.into(),
            Organisation {
                id: id.into(),
                name: name.into(),
                kind,
                contact: None,
            },
        );
    }
    let directory_id = DocId::random();
    coordinator
        .create(
            &mut document::create(&directory)?,
            register(directory_id, DocKind::Directory, None, None),
        )
        .await?;
    // A walk with a fire, and an action from it for the housing company.
    let (mut walk, reg) = new_walk(DISTRICT, &[]);
    let (walk_id, area) = (reg.id, reg.area.clone().context("area")?);
    let place = seed::areas()[&area]
        .places
        .keys()
        .next()
        .context("a place")?
        .clone();
    edit::put_observation(&mut walk, &fire(&d.id, &area, &place)?)?;
    field.create(&mut walk, reg).await?;
    let walk_now: Walk = document::read(&walk)?;
    let observation = walk_now.observations.keys().next().context("fire")?;
    let action = demo::action(
        &walk_id.to_string(),
        &walk_now,
        observation,
        HOUSING,
        ActionStatus::Proposed,
    );
    coordinator
        .create(
            &mut document::create(&action)?,
            register(
                DocId::random(),
                DocKind::Action,
                Some(action.area.clone()),
                Some(HOUSING),
            ),
        )
        .await?;
    ensure!(field.all_on_server(WAIT).await && coordinator.all_on_server(WAIT).await);

    let http = reqwest::Client::new();
    let base = w.server.base();
    let (_, link) = add_person(w.data_dir(), &base, DISTRICT, "viewer", "Analytiker (test)");
    let viewer = cookie_of(&login(&http, &base, &link).await?)?;
    let (_, link) = add_person(
        w.data_dir(),
        &base,
        DISTRICT,
        "coordinator",
        "Samordnare (test)",
    );
    let writer = cookie_of(&login(&http, &base, &link).await?)?;
    let put = |cookie: &str, org: &str, body: Value| {
        http.put(
            base.join(&format!("/dashboard/api/organisations/{org}/contact"))
                .expect("url"),
        )
        .header("cookie", cookie)
        .json(&body)
        .send()
    };
    let org = |view: &Value, id: &str| -> Value {
        view["organisations"]
            .as_array()
            .and_then(|o| o.iter().find(|o| o["id"] == id))
            .cloned()
            .unwrap_or(Value::Null)
    };

    let view = get_json(&http, &base, &viewer, "/dashboard/api/organisations").await?;
    ensure!(
        view["can_edit"] == false
            && org(&view, DISTRICT)["has_devices"] == true
            && org(&view, HOUSING)["has_devices"] == false
            && org(&view, HOUSING)["contact"].is_null(),
        "{view}"
    );
    let contact = json!({ "contact": {
        "name": "Förvaltare (test)", "phone": "08-465 004 19", "email": "forvaltning@bostad.example"
    }});
    let refused = put(&viewer, HOUSING, contact.clone()).await?;
    ensure!(refused.status() == 403, "{refused:?}");
    for (org_id, body, status, says) in [
        (
            HOUSING,
            json!({ "contact": { "name": "X", "phone": "", "email": "ingen-adress" } }),
            400,
            "not an e-mail address",
        ),
        (
            HOUSING,
            json!({ "contact": { "name": "", "phone": "", "email": "" } }),
            400,
            "give a name",
        ),
        (HOUSING, json!({ "kontakt": null }), 400, "unknown field"),
        ("okand", contact.clone(), 400, "is not in this document"),
    ] {
        let answer = put(&writer, org_id, body).await?;
        let got = answer.status().as_u16();
        let text = answer.text().await?;
        ensure!(
            got == status && text.contains(says),
            "{org_id}: {got} {text}"
        );
    }
    let set: Value = put(&writer, HOUSING, contact)
        .await?
        .error_for_status()?
        .json()
        .await?;
    ensure!(
        set["can_edit"] == true && org(&set, HOUSING)["contact"]["phone"] == "08-465 004 19",
        "{set}"
    );

    // Devices receive it with the directory.
    field.open(&directory_id).await?;
    let received = eventually(WAIT, || {
        field
            .read(&directory_id, document::read::<Directory, _>)
            .is_ok_and(|d| d.is_ok_and(|d| d.organisations[HOUSING].contact.is_some()))
    })
    .await;
    ensure!(received, "the field device did not receive the contact");

    // The protocol names it beside the action.
    let protocol = get_json(
        &http,
        &base,
        &writer,
        &format!("/dashboard/api/walks/{walk_id}/protocol"),
    )
    .await?;
    let shown = protocol.to_string();
    ensure!(
        shown.contains("Förvaltare (test), 08-465 004 19, forvaltning@bostad.example"),
        "{protocol}"
    );
    let pdf = http
        .get(base.join(&format!("/dashboard/api/walks/{walk_id}/protocol.pdf"))?)
        .header("cookie", &writer)
        .send()
        .await?
        .error_for_status()?
        .bytes()
        .await?;
    let path = w.dir.path().join("protocol.pdf");
    std::fs::write(&path, &pdf)?;
    let text = pdf_text(path.to_str().context("path")?)?;
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    ensure!(
        words.contains("kontakt: Förvaltare (test), 08-465 004 19, forvaltning@bostad.example"),
        "the PDF names the contact:\n{text}"
    );
    Ok(())
}
