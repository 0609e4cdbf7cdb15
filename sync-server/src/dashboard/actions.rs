//! The actions view as plain data (no IO): the open actions per responsible
//! organisation, overdue ones first, each linked to the walk or report it
//! came from.

use std::collections::BTreeMap;

use serde::Serialize;

use super::read::OpenAction;

#[derive(Debug, Serialize, PartialEq)]
pub struct Owner {
    pub org: String,
    pub name: String,
    pub open: u32,
    pub overdue: u32,
    pub actions: Vec<Item>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Item {
    pub doc_id: String,
    pub description: String,
    pub status: String,
    /// `YYYY-MM-DD`.
    pub due_date: Option<String>,
    pub overdue: bool,
    pub area: String,
    pub source: Option<Source>,
    /// Whether the person asking may change its status (set by the caller,
    /// from the access table).
    pub writable: bool,
}

/// The walk or report an action answers.
#[derive(Debug, Serialize, PartialEq)]
pub struct Source {
    pub doc_id: String,
    pub label: String,
}

/// Groups `actions` by responsible organisation: organisations with the most
/// overdue actions first (then the most open, then by name); within one,
/// overdue first, then by due date, those without a date last. `today` is
/// `YYYY-MM-DD` in the city's time zone: an action due today is not overdue.
pub fn by_owner(
    actions: Vec<OpenAction>,
    today: &str,
    org_name: impl Fn(&str) -> String,
    area_name: impl Fn(&str) -> String,
) -> Vec<Owner> {
    let mut owners: BTreeMap<String, Vec<Item>> = BTreeMap::new();
    for a in actions {
        let overdue = a.due_date.as_deref().is_some_and(|d| d < today);
        let source = a.source_doc.map(|doc_id| Source {
            label: match &a.source_route {
                Some(route) => format!("Trygghetsvandring: {route}"),
                None => "EST-rapport".to_string(),
            },
            doc_id,
        });
        owners.entry(a.responsible_org).or_default().push(Item {
            doc_id: a.doc_id,
            description: a.description,
            status: a.status,
            due_date: a.due_date,
            overdue,
            area: area_name(&a.area),
            source,
            writable: false,
        });
    }
    let mut out: Vec<Owner> = owners
        .into_iter()
        .map(|(org, mut actions)| {
            actions.sort_by(|a, b| {
                (!a.overdue, a.due_date.is_none(), &a.due_date, &a.doc_id).cmp(&(
                    !b.overdue,
                    b.due_date.is_none(),
                    &b.due_date,
                    &b.doc_id,
                ))
            });
            Owner {
                name: org_name(&org),
                open: actions.len() as u32,
                overdue: actions.iter().filter(|a| a.overdue).count() as u32,
                org,
                actions,
            }
        })
        .collect();
    out.sort_by(|a, b| (b.overdue, b.open, &a.name).cmp(&(a.overdue, a.open, &b.name)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(id: &str, org: &str, due: Option<&str>, route: Option<&str>) -> OpenAction {
        OpenAction {
            doc_id: id.into(),
            responsible_org: org.into(),
            area: "farsta".into(),
            status: "accepted".into(),
            due_date: due.map(String::from),
            description: format!("Åtgärd {id}"),
            source_doc: Some(format!("doc-of-{id}")),
            source_route: route.map(String::from),
        }
    }

    #[test]
    fn overdue_first_per_owner_and_owners_with_most_overdue_first() {
        let owners = by_owner(
            vec![
                open("a", "bostad", Some("2026-12-10"), Some("Farsta centrum")),
                open("b", "bostad", None, None),
                open("c", "bostad", Some("2026-11-01"), None),
                open("d", "polis", Some("2026-12-03"), None),
                open("e", "kommun", Some("2026-12-02"), None),
                open("f", "kommun", Some("2026-11-30"), None),
            ],
            "2026-12-03",
            |o| format!("{o} (namn)"),
            |a| a.to_uppercase(),
        );
        let order: Vec<(&str, u32, u32)> = owners
            .iter()
            .map(|o| (o.org.as_str(), o.open, o.overdue))
            .collect();
        assert_eq!(order, [("kommun", 2, 2), ("bostad", 3, 1), ("polis", 1, 0)]);
        let bostad: Vec<&str> = owners[1]
            .actions
            .iter()
            .map(|a| a.doc_id.as_str())
            .collect();
        assert_eq!(
            bostad,
            ["c", "a", "b"],
            "overdue, then by date, undated last"
        );
        assert!(!owners[2].actions[0].overdue, "due today is not overdue");
        assert_eq!(owners[1].name, "bostad (namn)");
        assert_eq!(owners[1].actions[0].area, "FARSTA");
        let walk = &owners[1].actions[1].source;
        assert_eq!(
            walk.as_ref().map(|s| s.label.as_str()),
            Some("Trygghetsvandring: Farsta centrum")
        );
        assert_eq!(
            owners[1].actions[0]
                .source
                .as_ref()
                .map(|s| s.label.as_str()),
            Some("EST-rapport")
        );
    }

    #[test]
    fn no_actions_no_owners() {
        let same = |s: &str| s.to_string();
        assert!(by_owner(Vec::new(), "2026-12-03", same, same).is_empty());
    }
}
