//! Planning a walk: the area, the route, the date and the light, the
//! organisations invited (they read it, see it among their walks and may
//! start it), and sub-groups each on a route of its own; or a re-walk,
//! planned from a walk's protocol with the same place, people and groups.
//! A plan is a new walk document with status `planned`: checked here
//! before anything is made, the same rules wherever it is planned.

use std::collections::{BTreeMap, BTreeSet};

use autosurgeon::Text;

use crate::error::ValidationErrors;
use crate::ids::new_entity_id;
use crate::model::{Area, Light, TemplateRef, Walk, WalkGroup, WalkStatus};
use crate::time::Timestamp;

/// The most sub-groups one walk is split into.
pub const MAX_GROUPS: usize = 12;

/// The longest name or route taken.
pub const MAX_TEXT_CHARS: usize = 200;

/// How far back a planned time may lie: a walk planned for earlier today
/// (and entered afterwards) is fine, one planned for last week is a mistake.
pub const PAST_GRACE_MS: i64 = 24 * 3_600_000;

/// One sub-group as the planner names it.
#[derive(Clone, Debug, PartialEq)]
pub struct GroupPlan {
    pub name: String,
    pub route: String,
}

/// What a coordinator plans.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub template: TemplateRef,
    pub area: String,
    pub route_name: String,
    pub light: Light,
    pub planned_at: Timestamp,
    /// The arranging organisation (the planner's own).
    pub owner_org: String,
    /// Other organisations invited to walk.
    pub invited: BTreeSet<String>,
    pub groups: Vec<GroupPlan>,
    pub exercise: bool,
    /// The walk this one walks again, when planned from its protocol.
    pub follows: Option<String>,
    /// Who planned it (a device or a person's id).
    pub created_by: String,
}

/// The areas and organisations a plan may name: the directory's on a
/// device, the districts and the access table's organisations on the server.
#[derive(Debug)]
pub struct Known<'a> {
    pub areas: &'a BTreeMap<String, Area>,
    pub organisations: &'a BTreeSet<String>,
}

/// The planned walk, or every problem with the plan, each under its field;
/// `now` is when it is planned.
pub fn planned_walk(
    plan: &Plan,
    known: &Known<'_>,
    now: Timestamp,
) -> Result<Walk, ValidationErrors> {
    let mut e = ValidationErrors::new();
    let route = plan.route_name.trim();
    text(&mut e, "route_name", route);
    if !known.areas.contains_key(&plan.area) {
        e.push("area", format!("no district `{}`", plan.area));
    }
    if plan.planned_at.millis() < now.millis() - PAST_GRACE_MS {
        e.push("planned_at", "that date has passed");
    }
    for org in plan.invited.iter().chain([&plan.owner_org]) {
        if !known.organisations.contains(org) {
            e.push("invited", format!("no organisation `{org}`"));
        }
    }
    if plan.groups.len() > MAX_GROUPS {
        e.push(
            "groups",
            format!("at most {MAX_GROUPS} groups, not {}", plan.groups.len()),
        );
    }
    let mut names = BTreeSet::new();
    for (i, g) in plan.groups.iter().enumerate() {
        let (name, route) = (g.name.trim(), g.route.trim());
        text(&mut e, &format!("groups.{i}.name"), name);
        text(&mut e, &format!("groups.{i}.route"), route);
        if !name.is_empty() && !names.insert(name.to_lowercase()) {
            e.push(
                format!("groups.{i}.name"),
                format!("`{name}` is named twice"),
            );
        }
    }
    e.into_result()?;
    let organisations = plan
        .invited
        .iter()
        .chain([&plan.owner_org])
        .map(|o| (o.clone(), now))
        .collect();
    let groups = plan
        .groups
        .iter()
        .map(|g| {
            let id = new_entity_id();
            let group = WalkGroup {
                id: id.clone(),
                name: g.name.trim().to_string(),
                route: g.route.trim().to_string(),
            };
            (id, group)
        })
        .collect();
    Ok(Walk {
        template: plan.template.clone(),
        area: plan.area.clone(),
        route_name: route.to_string(),
        light: plan.light,
        status: WalkStatus::Planned,
        planned_at: Some(plan.planned_at),
        started_at: None,
        ended_at: None,
        owner_org: plan.owner_org.clone(),
        organisations,
        created_by: plan.created_by.clone(),
        created_at: now,
        answers: BTreeMap::new(),
        observations: BTreeMap::new(),
        notes: Text::with_value(""),
        exercise: plan.exercise,
        groups,
        follows: plan.follows.clone(),
    })
}

/// A re-walk of `previous` (document `previous_id`): the same district,
/// route, light, organisations (the arranging one invites the others),
/// groups and exercise mark, on `template` (the newest published version
/// of the previous walk's checklist, which the caller looks up), at `at`.
pub fn rewalk(
    previous: &Walk,
    previous_id: &str,
    template: TemplateRef,
    at: Timestamp,
    owner_org: &str,
    created_by: &str,
) -> Plan {
    Plan {
        template,
        area: previous.area.clone(),
        route_name: previous.route_name.clone(),
        light: previous.light,
        planned_at: at,
        owner_org: owner_org.to_string(),
        invited: previous
            .organisations
            .keys()
            .filter(|o| *o != owner_org)
            .cloned()
            .collect(),
        groups: previous
            .groups
            .values()
            .map(|g| GroupPlan {
                name: g.name.clone(),
                route: g.route.clone(),
            })
            .collect(),
        exercise: previous.exercise,
        follows: Some(previous_id.to_string()),
        created_by: created_by.to_string(),
    }
}

fn text(e: &mut ValidationErrors, path: &str, value: &str) {
    if value.is_empty() {
        e.push(path, "required");
    } else if value.chars().count() > MAX_TEXT_CHARS {
        e.push(path, format!("at most {MAX_TEXT_CHARS} characters"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::DocumentSchema;
    use crate::seed;

    const NOW: Timestamp = Timestamp(1_796_112_000_000);

    fn check(p: &Plan) -> Result<Walk, ValidationErrors> {
        let areas = seed::areas();
        let organisations = seed::demo::organisations()
            .into_iter()
            .map(|o| o.id)
            .collect();
        let known = Known {
            areas: &areas,
            organisations: &organisations,
        };
        planned_walk(p, &known, NOW)
    }

    fn plan() -> Plan {
        Plan {
            template: TemplateRef {
                doc_id: "t".into(),
                template_id: seed::DEFAULT_TEMPLATE_ID.into(),
                version: 1,
            },
            area: seed::areas().keys().next().unwrap().clone(),
            route_name: " Torget – tunneln ".into(),
            light: Light::Dark,
            planned_at: Timestamp(NOW.0 + 7 * 86_400_000),
            owner_org: "demo-sdf-norr".into(),
            invited: ["demo-polis".to_string()].into(),
            groups: vec![
                GroupPlan {
                    name: "Grupp 1".into(),
                    route: "Norra slingan".into(),
                },
                GroupPlan {
                    name: "Grupp 2".into(),
                    route: "Södra slingan".into(),
                },
            ],
            exercise: false,
            follows: None,
            created_by: "user-1".into(),
        }
    }

    #[test]
    fn a_plan_becomes_a_planned_walk_with_its_groups_and_invited_organisations() {
        let w = check(&plan()).unwrap();
        w.validate().unwrap();
        assert_eq!(w.status, WalkStatus::Planned);
        assert_eq!(w.route_name, "Torget – tunneln");
        assert_eq!(w.planned_at, Some(Timestamp(NOW.0 + 7 * 86_400_000)));
        assert_eq!(w.started_at, None);
        let orgs: Vec<&str> = w.organisations.keys().map(String::as_str).collect();
        assert_eq!(orgs, ["demo-polis", "demo-sdf-norr"]);
        let mut routes: Vec<&str> = w.groups.values().map(|g| g.route.as_str()).collect();
        routes.sort();
        assert_eq!(routes, ["Norra slingan", "Södra slingan"]);

        // A re-walk: the same place, people and groups, following it.
        let again = rewalk(
            &w,
            "prev",
            plan().template,
            Timestamp(NOW.0 + 90 * 86_400_000),
            "demo-sdf-norr",
            "user-2",
        );
        let w2 = check(&again).unwrap();
        assert_eq!(w2.follows.as_deref(), Some("prev"));
        assert_eq!(
            (w2.area.as_str(), w2.route_name.as_str()),
            (w.area.as_str(), w.route_name.as_str())
        );
        assert_eq!(
            w2.organisations.keys().collect::<Vec<_>>(),
            w.organisations.keys().collect::<Vec<_>>()
        );
        let names = |w: &Walk| {
            let mut n: Vec<String> = w.groups.values().map(|g| g.name.clone()).collect();
            n.sort();
            n
        };
        assert_eq!(names(&w2), names(&w));
    }

    #[test]
    fn every_problem_with_a_plan_is_named_under_its_field() {
        type Spoil = fn(&mut Plan);
        let cases: [(Spoil, &str); 8] = [
            (|p| p.route_name = "  ".into(), "route_name"),
            (|p| p.route_name = "x".repeat(201), "route_name"),
            (|p| p.area = "atlantis".into(), "area"),
            (
                |p| p.planned_at = Timestamp(NOW.0 - 2 * 86_400_000),
                "planned_at",
            ),
            (
                |p| {
                    p.invited.insert("nobody".into());
                },
                "invited",
            ),
            (|p| p.groups[1].name = " grupp 1 ".into(), "groups.1.name"),
            (|p| p.groups[0].route = "".into(), "groups.0.route"),
            (
                |p| {
                    p.groups = (0..13)
                        .map(|i| GroupPlan {
                            name: format!("G{i}"),
                            route: "r".into(),
                        })
                        .collect()
                },
                "groups",
            ),
        ];
        for (spoil, field) in cases {
            let mut p = plan();
            spoil(&mut p);
            let e = check(&p).unwrap_err();
            assert!(
                e.0.iter().any(|problem| problem.path == field),
                "{field}: {e:?}"
            );
        }
        // Earlier today is still a plan (entered after the fact).
        let mut p = plan();
        p.planned_at = Timestamp(NOW.0 - 3_600_000);
        check(&p).unwrap();
    }
}
