//! A re-walk compared with the walk before it on the same route (no IO):
//! what was found then and not again (fixed, or at least gone), what
//! remains, and what is new.
//!
//! A finding of the later walk is the same as one of the earlier walk when
//! both are of the same term (a deprecated one counted as its replacement)
//! and at the same place: the same named place, or points (a named place
//! stands for its point) at most [`SAME_PLACE_METRES`] apart, or neither
//! with any position (then the route is all there is to go by). Each
//! earlier finding takes the nearest such finding not taken yet, in time
//! order.

use serde::Serialize;
use trygg_core::model::{Action, Observation, Walk};

use super::places;
use super::protocol::{Context, Finding, finding, in_time_order, local};

/// Two points at most this far apart are the same place.
pub const SAME_PLACE_METRES: f64 = 75.0;

#[derive(Debug, Serialize, PartialEq)]
pub struct Rewalk {
    pub route: String,
    pub district: String,
    pub earlier: Visit,
    pub later: Visit,
    /// Found the first time and not the second, with the actions taken.
    pub gone: Vec<Finding>,
    /// Found both times.
    pub remains: Vec<Remains>,
    /// Found only the second time.
    pub new: Vec<Finding>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Visit {
    pub doc_id: String,
    /// Local time the walk started (else was created), `YYYY-MM-DD HH:MM`.
    pub when: String,
    pub findings: usize,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Remains {
    pub before: Finding,
    pub now: Finding,
}

/// One walk with the actions proposed from it that the person may read.
pub struct Walked<'a> {
    pub doc_id: &'a str,
    pub walk: &'a Walk,
    pub actions: &'a [(String, Action)],
}

/// Compares `later` with `earlier`.
pub fn compare(earlier: &Walked, later: &Walked, cx: &Context) -> Rewalk {
    let before = in_time_order(earlier.walk);
    let after = in_time_order(later.walk);
    let mut taken = vec![false; after.len()];
    let mut gone = Vec::new();
    let mut remains = Vec::new();
    for o in &before {
        let nearest = after
            .iter()
            .enumerate()
            .filter(|(i, _)| !taken[*i])
            .filter_map(|(i, n)| Some((i, apart(earlier.walk, o, later.walk, n, cx)?)))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        let was = finding(earlier.doc_id, earlier.walk, o, earlier.actions, cx);
        match nearest {
            Some((i, _)) => {
                taken[i] = true;
                remains.push(Remains {
                    before: was,
                    now: finding(later.doc_id, later.walk, after[i], later.actions, cx),
                });
            }
            None => gone.push(was),
        }
    }
    let new = after
        .iter()
        .zip(&taken)
        .filter(|(_, t)| !**t)
        .map(|(n, _)| finding(later.doc_id, later.walk, n, later.actions, cx))
        .collect();
    let visit = |w: &Walked| Visit {
        doc_id: w.doc_id.to_string(),
        when: local(w.walk.started_at.unwrap_or(w.walk.created_at), cx.tz),
        findings: w.walk.observations.len(),
    };
    Rewalk {
        route: later.walk.route_name.clone(),
        district: places::name(cx.districts, &later.walk.area),
        earlier: visit(earlier),
        later: visit(later),
        gone,
        remains,
        new,
    }
}

/// How far apart `a` (of walk `wa`) and `b` (of walk `wb`) are, when they
/// are the same finding; `None` when they are not.
fn apart(wa: &Walk, a: &Observation, wb: &Walk, b: &Observation, cx: &Context) -> Option<f64> {
    if cx.vocabulary.current_code(&a.category) != cx.vocabulary.current_code(&b.category) {
        return None;
    }
    if let (Some(pa), Some(pb)) = (place_of(a), place_of(b)) {
        return (pa == pb).then_some(0.0);
    }
    let point = |w: &Walk, o: &Observation| {
        let l = o.location.as_ref()?;
        match (&l.point, l.place_id.as_deref()) {
            (Some(p), _) => Some((p.lat, p.lon)),
            (None, Some(id)) => {
                let p = cx.districts.get(&w.area)?.places.get(id)?.point.as_ref()?;
                Some((p.lat, p.lon))
            }
            (None, None) => None,
        }
    };
    match (point(wa, a), point(wb, b)) {
        (Some(pa), Some(pb)) => {
            let m = metres(pa, pb)?;
            (m <= SAME_PLACE_METRES).then_some(m)
        }
        (None, None) if a.location.is_none() && b.location.is_none() => Some(0.0),
        _ => None,
    }
}

fn place_of(o: &Observation) -> Option<&str> {
    o.location.as_ref()?.place_id.as_deref()
}

fn metres((lat_a, lon_a): (f64, f64), (lat_b, lon_b): (f64, f64)) -> Option<f64> {
    let a = h3o::LatLng::new(lat_a, lon_a).ok()?;
    let b = h3o::LatLng::new(lat_b, lon_b).ok()?;
    Some(a.distance_m(b))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use trygg_core::Timestamp;
    use trygg_core::model::{
        ActionStatus, GeoPoint, Location, ObservationRef, Sensitivity, Severity,
    };

    use super::*;
    use crate::dashboard::picture::time_zone;

    fn obs(id: &str, category: &str, at: i64, location: Option<Location>) -> Observation {
        Observation {
            id: id.into(),
            category: category.into(),
            vocabulary_version: 1,
            severity: Severity::new(3).unwrap(),
            note: autosurgeon::Text::with_value(""),
            location,
            observed_at: Timestamp(1_796_112_000_000 + at * 60_000),
            recorded_by: "d1".into(),
            organisation: "district".into(),
            photos: Vec::new(),
            sensitivity: Sensitivity::Shared,
            item_id: None,
        }
    }

    fn at_point(lat: f64, lon: f64) -> Option<Location> {
        Some(Location {
            point: Some(GeoPoint::new(lat, lon)),
            place_id: None,
        })
    }

    fn at_place(id: &str) -> Option<Location> {
        Some(Location {
            point: None,
            place_id: Some(id.into()),
        })
    }

    fn walk(observations: Vec<Observation>) -> Walk {
        use trygg_core::seed::demo;
        let at = Timestamp(1_796_112_000_000);
        let template = trygg_core::seed::default_template("district", at);
        let mut w = demo::walk(
            &mut demo::DemoRng::new(7),
            &demo::WalkSpec {
                template_doc_id: "T",
                template: template.latest_published().unwrap(),
                vocabulary: &trygg_core::seed::vocabulary(),
                observations: 0,
                at,
            },
        );
        w.observations = observations
            .into_iter()
            .map(|o| (o.id.clone(), o))
            .collect();
        w
    }

    #[test]
    fn gone_remains_and_new_by_term_and_place() {
        let districts = trygg_core::seed::areas();
        let vocabulary = trygg_core::seed::vocabulary();
        let tz = time_zone();
        let names = |o: &str| o.to_string();
        let cx = Context {
            vocabulary: &vocabulary,
            districts: &districts,
            tz: &tz,
            org_name: &names,
            contacts: &BTreeMap::new(),
            free_text: false,
            uploaded: &|_| true,
        };
        let area = walk(Vec::new()).area;
        let place = districts[&area].places.keys().next().unwrap().clone();
        let earlier = walk(vec![
            // Stays: a fire at the named place (then and now).
            obs("a1", "brand", 0, at_place(&place)),
            // Gone: litter at a point; the later litter is 300 m off.
            obs("a2", "nedskrapning", 1, at_point(59.30, 18.10)),
            // Stays: graffiti 40 m from where it is seen again.
            obs("a3", "klotter", 2, at_point(59.31, 18.10)),
            // Gone: the same term is seen again at another named place
            // only.
            obs("a4", "brand", 3, at_place("elsewhere")),
        ]);
        let later = walk(vec![
            obs("b1", "klotter", 0, at_point(59.31036, 18.10)),
            obs("b2", "brand", 1, at_place(&place)),
            obs("b3", "nedskrapning", 2, at_point(59.30270, 18.10)),
            // New: a term not seen before.
            obs("b4", "belysning", 3, None),
        ]);
        let action = (
            "act1".to_string(),
            Action {
                observations: vec![ObservationRef {
                    doc_id: "W1".into(),
                    observation_id: "a2".into(),
                }],
                responsible_org: "housing".into(),
                proposed_by_org: "district".into(),
                area: area.clone(),
                description: autosurgeon::Text::with_value("Töm soptunnorna"),
                due_date: None,
                status: ActionStatus::Done,
                created_at: Timestamp(1_796_112_000_000),
                comments: BTreeMap::new(),
            },
        );
        let actions = [action];
        let r = compare(
            &Walked {
                doc_id: "W1",
                walk: &earlier,
                actions: &actions,
            },
            &Walked {
                doc_id: "W2",
                walk: &later,
                actions: &[],
            },
            &cx,
        );
        let label = |code: &str| vocabulary.current_term(code).unwrap().label_sv.clone();
        let gone: Vec<_> = r.gone.iter().map(|f| f.category.clone()).collect();
        assert_eq!(gone, [label("nedskrapning"), label("brand")]);
        // The litter that went had its action done.
        assert_eq!(r.gone[0].actions[0].status, "Klar");
        let remains: Vec<_> = r
            .remains
            .iter()
            .map(|p| (p.before.category.clone(), p.now.observed.clone()))
            .collect();
        assert_eq!(
            remains,
            [
                (label("brand"), r.remains[0].now.observed.clone()),
                (label("klotter"), r.remains[1].now.observed.clone()),
            ]
        );
        assert_eq!(r.remains[0].now.place, districts[&area].places[&place].name);
        let new: Vec<_> = r.new.iter().map(|f| f.category.clone()).collect();
        assert_eq!(new, [label("nedskrapning"), label("belysning")]);
        assert_eq!((r.earlier.findings, r.later.findings), (4, 4));
        assert_eq!(r.earlier.doc_id, "W1");
    }

    #[test]
    fn each_earlier_finding_takes_the_nearest_later_one_once() {
        let districts = trygg_core::seed::areas();
        let vocabulary = trygg_core::seed::vocabulary();
        let tz = time_zone();
        let names = |o: &str| o.to_string();
        let cx = Context {
            vocabulary: &vocabulary,
            districts: &districts,
            tz: &tz,
            org_name: &names,
            contacts: &BTreeMap::new(),
            free_text: false,
            uploaded: &|_| true,
        };
        let earlier = walk(vec![
            obs("a1", "klotter", 0, at_point(59.31, 18.10)),
            obs("a2", "klotter", 1, at_point(59.31, 18.10)),
        ]);
        // One later graffiti 60 m off and one 10 m off: the first earlier
        // one takes the nearer, the second the other; none without a
        // position matches one with.
        let later = walk(vec![
            obs("b1", "klotter", 0, at_point(59.31054, 18.10)),
            obs("b2", "klotter", 1, at_point(59.31009, 18.10)),
            obs("b3", "klotter", 2, None),
        ]);
        let r = compare(
            &Walked {
                doc_id: "W1",
                walk: &earlier,
                actions: &[],
            },
            &Walked {
                doc_id: "W2",
                walk: &later,
                actions: &[],
            },
            &cx,
        );
        assert!(r.gone.is_empty());
        let order: Vec<_> = r.remains.iter().map(|p| p.now.observed.clone()).collect();
        let at = |m: i64| local(Timestamp(1_796_112_000_000 + m * 60_000), &tz);
        assert_eq!(order, [at(1), at(0)]);
        assert_eq!(r.new.len(), 1);
    }
}
