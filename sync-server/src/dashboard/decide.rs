//! A decision taken in a council meeting becomes an action document there
//! and then: registered in the access table, written as its first change
//! through the sync engine (stored before this answers), and sent to the
//! devices of the organisations that follow it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use autosurgeon::Text;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use trygg_core::access::access_of;
use trygg_core::document::{self, AnyDocument};
use trygg_core::model::{Action as DocAction, ActionStatus};
use trygg_core::seed::areas;
use trygg_core::{DocId, Timestamp};

use super::Person;
use super::edits::create_doc;
use crate::http::ApiError;
use crate::serve::AppState;

/// The longest decision text taken (a meeting's decision is a sentence or
/// a paragraph, not a report).
pub const MAX_DESCRIPTION_CHARS: usize = 2_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Decision {
    description: String,
    responsible_org: String,
    /// A district's id.
    area: String,
    /// `YYYY-MM-DD`.
    due_date: String,
}

#[derive(Serialize)]
pub(super) struct Decided {
    doc_id: String,
    change: String,
}

/// The action a decision becomes, or why the decision cannot be taken.
/// Pure: `orgs` are the organisations the access table knows, `today` the
/// city's date (`YYYY-MM-DD`); a deadline before it is refused.
fn action_of(
    d: &Decision,
    proposer: &str,
    orgs: &BTreeMap<String, String>,
    today: &str,
    now: Timestamp,
) -> Result<DocAction, String> {
    let description = d.description.trim();
    if description.is_empty() {
        return Err("description: say what is to be done".into());
    }
    if description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(format!(
            "description: at most {MAX_DESCRIPTION_CHARS} characters"
        ));
    }
    if !orgs.contains_key(&d.responsible_org) {
        return Err(format!(
            "responsible_org: no organisation `{}`",
            d.responsible_org
        ));
    }
    if !areas().contains_key(&d.area) {
        return Err(format!("area: no district `{}`", d.area));
    }
    let due: jiff::civil::Date = d
        .due_date
        .parse()
        .map_err(|_| format!("due_date: `{}` is not a date (YYYY-MM-DD)", d.due_date))?;
    if due.to_string().as_str() < today {
        return Err(format!("due_date: {due} has passed"));
    }
    Ok(DocAction {
        observations: Vec::new(),
        responsible_org: d.responsible_org.clone(),
        proposed_by_org: proposer.to_string(),
        area: d.area.clone(),
        description: Text::from(description),
        due_date: Some(due.to_string()),
        status: ActionStatus::Proposed,
        created_at: now,
        comments: BTreeMap::new(),
    })
}

/// Takes a decision: only a coordinator may (the access rules' own test,
/// [`trygg_core::access::may_register`]); the action is proposed by the coordinator's
/// organisation and followed by every organisation in the access table,
/// since the council decided it together.
pub(super) async fn decide(
    State(state): State<Arc<AppState>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    person: Person,
    body: Result<Json<Decision>, JsonRejection>,
) -> Result<(StatusCode, Json<Decided>), ApiError> {
    let Json(decision) = body?;
    let who = person.user.principal();
    let orgs = super::org_names(&state);
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(super::picture::time_zone())
        .date()
        .to_string();
    let now = Timestamp::now();
    let action = action_of(&decision, &person.user.org, &orgs, &today, now)
        .map_err(ApiError::bad_request)?;
    let id = DocId::random();
    let mut facts = access_of(id, &AnyDocument::Action(action.clone()), &who.org);
    facts.shared_with = orgs
        .keys()
        .filter(|o| **o != action.proposed_by_org && **o != action.responsible_org)
        .cloned()
        .collect();
    let what = format!("decision responsible={}", decision.responsible_org);
    let change = create_doc(
        &state,
        &person,
        from,
        facts,
        what,
        "the decision was not recorded",
        move |tx| document::write(tx, &action),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(Decided {
            doc_id: id.to_string(),
            change: change.to_string(),
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn orgs() -> BTreeMap<String, String> {
        [("police", "Polisen"), ("sdf", "Stadsdelen")]
            .into_iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    fn decision() -> Decision {
        Decision {
            description: "  Byt belysning i gångtunneln ".into(),
            responsible_org: "police".into(),
            area: areas().keys().next().expect("districts").clone(),
            due_date: "2027-02-01".into(),
        }
    }

    #[test]
    fn a_decision_becomes_a_proposed_action_of_the_proposers_organisation() {
        let a = action_of(&decision(), "sdf", &orgs(), "2026-12-04", Timestamp(5)).unwrap();
        assert_eq!(a.description.as_str(), "Byt belysning i gångtunneln");
        assert_eq!(a.proposed_by_org, "sdf");
        assert_eq!(a.responsible_org, "police");
        assert_eq!(a.status, ActionStatus::Proposed);
        assert_eq!(a.due_date.as_deref(), Some("2027-02-01"));
        assert_eq!(a.created_at, Timestamp(5));
        use trygg_core::document::DocumentSchema;
        a.validate().unwrap();
    }

    #[test]
    fn a_decision_without_what_who_where_or_a_coming_deadline_is_refused() {
        type Spoil = fn(&mut Decision);
        let cases: [(Spoil, &str); 6] = [
            (|d| d.description = " \n".into(), "description"),
            (|d| d.description = "x".repeat(2_001), "at most"),
            (|d| d.responsible_org = "nobody".into(), "no organisation"),
            (|d| d.area = "atlantis".into(), "no district"),
            (|d| d.due_date = "next week".into(), "not a date"),
            (|d| d.due_date = "2026-12-03".into(), "has passed"),
        ];
        for (spoil, says) in cases {
            let mut d = decision();
            spoil(&mut d);
            let e = action_of(&d, "sdf", &orgs(), "2026-12-04", Timestamp(5)).unwrap_err();
            assert!(e.contains(says), "{e}");
        }
        // Today is still a deadline.
        let mut d = decision();
        d.due_date = "2026-12-04".into();
        action_of(&d, "sdf", &orgs(), "2026-12-04", Timestamp(5)).unwrap();
    }
}
