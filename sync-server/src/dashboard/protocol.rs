//! A walk's protocol as plain data (no IO): what was found, where and how
//! serious, which actions were proposed for it, who owns each, by when and
//! how far it has come. The page shows it and [`super::pdf`] prints it.

use std::collections::BTreeMap;

use jiff::tz::TimeZone;
use serde::Serialize;
use trygg_core::model::{
    Action, ActionStatus, Area, Light, Observation, Vocabulary, Walk, WalkStatus,
};

use super::places;

#[derive(Debug, Serialize, PartialEq)]
pub struct Protocol {
    pub doc_id: String,
    pub route: String,
    pub district: String,
    /// `Dagsljus` or `Mörker`.
    pub light: String,
    pub status: String,
    /// The arranging organisation's name.
    pub owner: String,
    /// Every participating organisation's name, the arranging one first.
    pub organisations: Vec<String>,
    /// Local time, `YYYY-MM-DD HH:MM`.
    pub started: Option<String>,
    pub ended: Option<String>,
    pub findings: Vec<Finding>,
    /// Actions that answer no finding of this walk in particular.
    pub other_actions: Vec<ProtocolAction>,
    /// The walk's general notes, when the person may read free text.
    pub notes: Option<String>,
    /// The walk was an exercise (*övning*): the page and the PDF say so.
    pub exercise: bool,
    /// Local time it was planned for, `YYYY-MM-DD HH:MM`.
    pub planned: Option<String>,
    /// Its sub-groups, each with its own route, by name.
    pub groups: Vec<ProtocolGroup>,
    /// The walk it walked again, by document id.
    pub follows: Option<String>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct ProtocolGroup {
    pub name: String,
    pub route: String,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Finding {
    /// Local time, `YYYY-MM-DD HH:MM`.
    pub observed: String,
    pub category: String,
    pub severity: u8,
    /// The named place, or empty.
    pub place: String,
    /// Free text, when the person may read it.
    pub note: Option<String>,
    pub photos: Vec<ProtocolPhoto>,
    pub actions: Vec<ProtocolAction>,
}

/// A photo of a finding: its bytes are at
/// `/dashboard/api/walks/{walk}/photos/{sha256}`.
#[derive(Debug, Serialize, PartialEq)]
pub struct ProtocolPhoto {
    pub sha256: String,
    /// The caption, when the person may read free text.
    pub caption: Option<String>,
    /// Whether the server has the bytes yet (a device uploads them after
    /// the observation that names them, when it has a connection).
    pub uploaded: bool,
}

#[derive(Debug, Serialize, PartialEq, Clone)]
pub struct ProtocolAction {
    pub doc_id: String,
    pub description: String,
    /// The responsible organisation's name.
    pub responsible: String,
    /// How to reach it, from the directory, when the directory says.
    pub contact: Option<String>,
    /// `YYYY-MM-DD`.
    pub due_date: Option<String>,
    /// In Swedish, as the page shows it.
    pub status: String,
}

/// An action's status as people read it.
pub fn status_sv(status: ActionStatus) -> &'static str {
    match status {
        ActionStatus::Proposed => "Föreslagen",
        ActionStatus::Accepted => "Accepterad",
        ActionStatus::InProgress => "Pågår",
        ActionStatus::Done => "Klar",
        ActionStatus::Rejected => "Avvisad",
    }
}

pub fn walk_status_sv(status: WalkStatus) -> &'static str {
    match status {
        WalkStatus::Planned => "Planerad",
        WalkStatus::InProgress => "Pågår",
        WalkStatus::Completed => "Genomförd",
        WalkStatus::Reported => "Återrapporterad",
    }
}

/// A moment as the protocol writes it: date and minute, Stockholm time.
pub fn local(at: trygg_core::Timestamp, tz: &TimeZone) -> String {
    super::picture::local_time(at.millis(), tz, "%Y-%m-%d %H:%M")
}

/// What the protocol needs besides the walk.
pub struct Context<'a> {
    pub vocabulary: &'a Vocabulary,
    pub districts: &'a BTreeMap<String, Area>,
    pub tz: &'a TimeZone,
    /// An organisation's name by its id.
    pub org_name: &'a dyn Fn(&str) -> String,
    /// Organisations' contacts by id, each in one line.
    pub contacts: &'a BTreeMap<String, String>,
    /// Whether the person may read free text (notes, photo captions).
    pub free_text: bool,
    /// Whether the server has the photo with this SHA-256.
    pub uploaded: &'a dyn Fn(&str) -> bool,
}

/// One action as the protocol shows it.
fn protocol_action((id, a): &(String, Action), cx: &Context) -> ProtocolAction {
    ProtocolAction {
        doc_id: id.clone(),
        description: a.description.as_str().to_string(),
        responsible: (cx.org_name)(&a.responsible_org),
        contact: cx.contacts.get(&a.responsible_org).cloned(),
        due_date: a.due_date.clone(),
        status: status_sv(a.status).to_string(),
    }
}

/// Observation `o` of `walk` (document `doc_id`) as a finding, with the
/// `actions` that answer it.
pub fn finding(
    doc_id: &str,
    walk: &Walk,
    o: &Observation,
    actions: &[(String, Action)],
    cx: &Context,
) -> Finding {
    let term = cx.vocabulary.current_term(&o.category);
    Finding {
        observed: local(o.observed_at, cx.tz),
        category: term.map_or_else(|| o.category.clone(), |t| t.label_sv.clone()),
        severity: o.severity.level(),
        place: o
            .location
            .as_ref()
            .and_then(|l| l.place_id.as_deref())
            .and_then(|id| cx.districts.get(&walk.area)?.places.get(id))
            .map_or_else(String::new, |p| p.name.clone()),
        note: cx
            .free_text
            .then(|| o.note.as_str().trim().to_string())
            .filter(|n| !n.is_empty()),
        photos: o
            .photos
            .iter()
            .map(|p| ProtocolPhoto {
                sha256: p.sha256.clone(),
                caption: cx
                    .free_text
                    .then(|| p.caption.trim().to_string())
                    .filter(|c| !c.is_empty()),
                uploaded: (cx.uploaded)(&p.sha256),
            })
            .collect(),
        actions: actions
            .iter()
            .filter(|(_, a)| {
                a.observations
                    .iter()
                    .any(|r| r.doc_id == doc_id && r.observation_id == o.id)
            })
            .map(|a| protocol_action(a, cx))
            .collect(),
    }
}

/// A walk's observations in time order.
pub fn in_time_order(walk: &Walk) -> Vec<&Observation> {
    let mut observations: Vec<_> = walk.observations.values().collect();
    observations.sort_by_key(|o| (o.observed_at, o.id.clone()));
    observations
}

/// The protocol of `walk` (document `doc_id`) with the `actions` proposed
/// from it that the person may read: findings in time order, each with
/// the actions that answer it.
pub fn protocol(doc_id: &str, walk: &Walk, actions: &[(String, Action)], cx: &Context) -> Protocol {
    let findings = in_time_order(walk)
        .into_iter()
        .map(|o| finding(doc_id, walk, o, actions, cx))
        .collect();
    let other_actions = actions
        .iter()
        .filter(|(_, a)| {
            !a.observations
                .iter()
                .any(|r| r.doc_id == doc_id && walk.observations.contains_key(&r.observation_id))
        })
        .map(|a| protocol_action(a, cx))
        .collect();
    let organisations = std::iter::once(&walk.owner_org)
        .chain(walk.organisations.keys().filter(|o| **o != walk.owner_org))
        .map(|o| (cx.org_name)(o))
        .collect();
    Protocol {
        doc_id: doc_id.to_string(),
        route: walk.route_name.clone(),
        district: places::name(cx.districts, &walk.area),
        light: match walk.light {
            Light::Daylight => "Dagsljus",
            Light::Dark => "Mörker",
        }
        .to_string(),
        status: walk_status_sv(walk.status).to_string(),
        owner: (cx.org_name)(&walk.owner_org),
        organisations,
        started: walk.started_at.map(|t| local(t, cx.tz)),
        ended: walk.ended_at.map(|t| local(t, cx.tz)),
        findings,
        other_actions,
        notes: cx
            .free_text
            .then(|| walk.notes.as_str().trim().to_string())
            .filter(|n| !n.is_empty()),
        exercise: walk.exercise,
        planned: walk.planned_at.map(|t| local(t, cx.tz)),
        groups: {
            let mut groups: Vec<ProtocolGroup> = walk
                .groups
                .values()
                .map(|g| ProtocolGroup {
                    name: g.name.clone(),
                    route: g.route.clone(),
                })
                .collect();
            groups.sort_by(|a, b| a.name.cmp(&b.name));
            groups
        },
        follows: walk.follows.clone(),
    }
}
