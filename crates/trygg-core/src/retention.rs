//! Retention (PRODUCT §6): once older than the retention period, what people
//! wrote and photographed goes; what the shared picture counts stays.
//!
//! Purged from walks and reports: an observation's note and photos (by when
//! it was observed), a text or photo answer (by when it was answered), and a
//! walk's general notes (once the walk ended, or started, before the cutoff).
//! Kept: categories, severities, places, times, statuses, who took part.
//!
//! Clearing a field in an Automerge document keeps the old text in its
//! history, so a purge never edits a document: it makes the purged value,
//! which the server writes as a fresh document that replaces the old one
//! (see the server's `retention` module). This module is the pure part.

use std::collections::BTreeSet;

use autosurgeon::Text;

use crate::document::AnyDocument;
use crate::model::{AnswerText, AnswerValue, Observation, Report, Walk};
use crate::time::Timestamp;

/// What a purge removed from one document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Removed {
    /// Notes and text answers emptied (walk notes count once).
    pub texts: usize,
    /// SHA-256 of every photo the document no longer references.
    pub photos: BTreeSet<String>,
}

impl Removed {
    pub fn is_empty(&self) -> bool {
        self.texts == 0 && self.photos.is_empty()
    }
}

/// The document without what is older than `cutoff`, or `None` when nothing
/// in it has expired (or its kind holds nothing personal: directory,
/// vocabulary, template, action).
pub fn purge(doc: &AnyDocument, cutoff: Timestamp) -> Option<(AnyDocument, Removed)> {
    let mut removed = Removed::default();
    let purged = match doc {
        AnyDocument::Walk(w) => AnyDocument::Walk(purge_walk(w, cutoff, &mut removed)),
        AnyDocument::Report(r) => AnyDocument::Report(purge_report(r, cutoff, &mut removed)),
        _ => return None,
    };
    // A photo still referenced by something kept stays.
    for kept in photos_of(&purged) {
        removed.photos.remove(&kept);
    }
    (!removed.is_empty()).then_some((purged, removed))
}

/// Every photo a document references.
pub fn photos_of(doc: &AnyDocument) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut observations = |obs: &mut dyn Iterator<Item = &Observation>| {
        for o in obs {
            out.extend(o.photos.iter().map(|p| p.sha256.clone()));
        }
    };
    match doc {
        AnyDocument::Walk(w) => {
            observations(&mut w.observations.values());
            for a in w.answers.values() {
                if let AnswerValue::Photos(ps) = &a.value {
                    out.extend(ps.iter().map(|p| p.sha256.clone()));
                }
            }
        }
        AnyDocument::Report(r) => observations(&mut r.observations.values()),
        _ => {}
    }
    out
}

/// A text with the same value and no tie to the document it was read from:
/// a hydrated `Text` remembers that document's heads, and writing it into
/// the fresh document a purge makes would fail on them.
fn detached(text: &Text) -> Text {
    Text::with_value(text.as_str())
}

fn purge_observation(o: &mut Observation, cutoff: Timestamp, removed: &mut Removed) {
    o.note = detached(&o.note);
    if o.observed_at >= cutoff {
        return;
    }
    if !o.note.as_str().is_empty() {
        o.note = Text::with_value("");
        removed.texts += 1;
    }
    removed.photos.extend(o.photos.drain(..).map(|p| p.sha256));
}

fn purge_walk(w: &Walk, cutoff: Timestamp, removed: &mut Removed) -> Walk {
    let mut w = w.clone();
    for o in w.observations.values_mut() {
        purge_observation(o, cutoff, removed);
    }
    for a in w.answers.values_mut() {
        if let AnswerValue::Text(t) = &mut a.value {
            *t = AnswerText::new(t.as_str());
        }
    }
    w.answers.retain(|_, a| {
        if a.answered_at >= cutoff {
            return true;
        }
        match &a.value {
            AnswerValue::Text(_) => {
                removed.texts += 1;
                false
            }
            AnswerValue::Photos(ps) => {
                removed.photos.extend(ps.iter().map(|p| p.sha256.clone()));
                false
            }
            _ => true,
        }
    });
    w.notes = detached(&w.notes);
    let walked = w.ended_at.or(w.started_at).unwrap_or(w.created_at);
    if walked < cutoff && !w.notes.as_str().is_empty() {
        w.notes = Text::with_value("");
        removed.texts += 1;
    }
    w
}

fn purge_report(r: &Report, cutoff: Timestamp, removed: &mut Removed) -> Report {
    let mut r = r.clone();
    for o in r.observations.values_mut() {
        purge_observation(o, cutoff, removed);
    }
    r
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::model::*;

    fn photo(sha: char) -> PhotoRef {
        PhotoRef {
            sha256: sha.to_string().repeat(64),
            size: 10,
            media_type: "image/jpeg".into(),
            caption: String::new(),
        }
    }

    fn obs(id: &str, at: i64, note: &str, photos: Vec<PhotoRef>) -> Observation {
        Observation {
            id: id.into(),
            category: "belysning".into(),
            vocabulary_version: 1,
            severity: Severity::new(2).unwrap(),
            note: Text::with_value(note),
            location: None,
            observed_at: Timestamp(at),
            recorded_by: "device".into(),
            organisation: "district".into(),
            photos,
            sensitivity: Sensitivity::Shared,
            item_id: None,
        }
    }

    fn report(observations: Vec<Observation>) -> AnyDocument {
        AnyDocument::Report(Report {
            organisation: "district".into(),
            area: "farsta".into(),
            sensitivity: Sensitivity::Shared,
            walk: None,
            period: None,
            created_at: Timestamp(0),
            observations: observations
                .into_iter()
                .map(|o| (o.id.clone(), o))
                .collect::<BTreeMap<_, _>>(),
            exercise: false,
        })
    }

    #[test]
    fn expired_notes_and_photos_go_and_everything_counted_stays() {
        let doc = report(vec![
            obs("old", 100, "Blåklockan", vec![photo('a'), photo('b')]),
            obs("new", 300, "färsk", vec![photo('b'), photo('c')]),
        ]);
        let (purged, removed) = purge(&doc, Timestamp(200)).expect("something expired");
        let AnyDocument::Report(r) = &purged else {
            panic!("a report stays a report")
        };
        let old = &r.observations["old"];
        assert_eq!(old.note.as_str(), "");
        assert!(old.photos.is_empty());
        assert_eq!(
            (old.category.as_str(), old.severity.level()),
            ("belysning", 2)
        );
        assert_eq!(r.observations["new"].note.as_str(), "färsk");
        // `b` is still shown by the newer observation: only `a` goes.
        assert_eq!(removed.texts, 1);
        assert_eq!(removed.photos, ["a".repeat(64)].into());
        // Purging again finds nothing: the purge is idempotent.
        assert_eq!(purge(&purged, Timestamp(200)), None);
        // Nothing expired yet: no rewrite.
        assert_eq!(purge(&doc, Timestamp(50)), None);
    }

    #[test]
    fn a_purged_document_read_from_automerge_writes_as_a_fresh_one() {
        let AnyDocument::Report(r) = report(vec![
            obs("old", 100, "Blåklockan", vec![]),
            obs("new", 300, "färsk", vec![]),
        ]) else {
            unreachable!()
        };
        let mut stored = crate::document::create(&r).unwrap();
        let read = AnyDocument::Report(crate::document::read(stored.document()).unwrap());
        let (purged, _) = purge(&read, Timestamp(200)).expect("something expired");
        let AnyDocument::Report(p) = purged else {
            unreachable!()
        };
        let mut fresh =
            crate::document::create(&p).expect("texts are not tied to the old document");
        let again: Report = crate::document::read(fresh.document()).unwrap();
        assert_eq!(again.observations["new"].note.as_str(), "färsk");
        assert_eq!(again.observations["old"].note.as_str(), "");
    }

    #[test]
    fn a_walk_loses_old_text_answers_photo_answers_and_notes() {
        let vocabulary = crate::seed::vocabulary();
        let template = crate::seed::default_template("district", Timestamp(0));
        let mut walk = crate::seed::demo::walk(
            &mut crate::seed::demo::DemoRng::new(3),
            &crate::seed::demo::WalkSpec {
                template_doc_id: "template",
                template: template.latest_published().unwrap(),
                vocabulary: &vocabulary,
                observations: 0,
                at: Timestamp(100),
            },
        );
        walk.started_at = Some(Timestamp(100));
        walk.ended_at = Some(Timestamp(150));
        walk.notes = Text::with_value("Samtal med boende vid porten");
        let answer = |value, at| Answer {
            value,
            answered_by: "device".into(),
            answered_at: Timestamp(at),
        };
        walk.answers = [
            (
                "t".to_string(),
                answer(AnswerValue::Text(AnswerText::new("ord")), 120),
            ),
            (
                "p".to_string(),
                answer(AnswerValue::Photos(vec![photo('d')]), 120),
            ),
            (
                "y".to_string(),
                answer(AnswerValue::YesNo(YesNoNa::Yes), 120),
            ),
            (
                "later".to_string(),
                answer(AnswerValue::Text(AnswerText::new("kvar")), 900),
            ),
        ]
        .into();
        walk.observations = [("o".to_string(), obs("o", 110, "x", vec![]))].into();
        let (purged, removed) = purge(&AnyDocument::Walk(walk), Timestamp(200)).unwrap();
        let AnyDocument::Walk(w) = purged else {
            panic!("a walk stays a walk")
        };
        assert_eq!(w.notes.as_str(), "");
        let mut kept: Vec<&str> = w.answers.keys().map(String::as_str).collect();
        kept.sort();
        assert_eq!(kept, ["later", "y"]);
        assert_eq!(w.observations["o"].note.as_str(), "");
        assert_eq!(removed.texts, 3);
        assert_eq!(removed.photos, ["d".repeat(64)].into());
    }
}
