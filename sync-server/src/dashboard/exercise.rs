//! One exercise (*övning*) across districts, side by side, as plain data
//! (no IO): the walks marked as exercises that followed one template
//! version, one column each, with every question's answer and the findings
//! per term. What a column shows is what the walk's protocol shows the
//! person (its free text only to the organisation that arranged it), so no
//! count here needs the lägesbild's suppression.

use std::collections::BTreeMap;

use jiff::tz::TimeZone;
use serde::Serialize;
use trygg_core::model::{AnswerValue, Area, TemplateVersion, Vocabulary, Walk, YesNoNa};

use super::{picture, places, protocol};

/// One exercise walk, as the comparison gets it.
pub struct ExerciseWalk {
    pub doc_id: String,
    pub walk: Walk,
    /// The person's organisation arranged it: its free text may be shown.
    pub own: bool,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Comparison {
    pub template_id: String,
    pub template_name: String,
    pub version: u32,
    /// One per walk, by district, then date.
    pub walks: Vec<Column>,
    /// Every question of the version, in the template's order.
    pub questions: Vec<Question>,
    /// Findings per term (as counted today, under replacements), most first.
    pub findings: Vec<TermRow>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Column {
    pub doc_id: String,
    pub district: String,
    pub route: String,
    /// `YYYY-MM-DD`: its start, else when it was created.
    pub date: String,
    pub status: String,
    pub findings: u32,
    /// Questions answered, of all the version asks.
    pub answered: u32,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Question {
    pub section: String,
    pub prompt: String,
    /// Per walk, in the columns' order: the answer as people read it, or
    /// `None` when the walk did not answer.
    pub answers: Vec<Option<String>>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct TermRow {
    pub code: String,
    pub label: String,
    /// Per walk, in the columns' order.
    pub counts: Vec<u32>,
}

/// What the comparison needs besides the walks.
pub struct Context<'a> {
    pub vocabulary: &'a Vocabulary,
    pub districts: &'a BTreeMap<String, Area>,
    pub tz: &'a TimeZone,
}

/// `walks` (every one an exercise on `version` of template `template_id`,
/// named `name`) side by side.
pub fn compare(
    template_id: &str,
    name: &str,
    version: &TemplateVersion,
    mut walks: Vec<ExerciseWalk>,
    cx: &Context<'_>,
) -> Comparison {
    let district = |w: &Walk| places::name(cx.districts, &w.area);
    let at = |w: &Walk| w.started_at.unwrap_or(w.created_at).millis();
    walks.sort_by(|a, b| {
        (district(&a.walk), at(&a.walk), &a.doc_id).cmp(&(
            district(&b.walk),
            at(&b.walk),
            &b.doc_id,
        ))
    });
    let asked = version.items().count() as u32;
    let columns = walks
        .iter()
        .map(|e| Column {
            doc_id: e.doc_id.clone(),
            district: district(&e.walk),
            route: e.walk.route_name.clone(),
            date: picture::local_time(at(&e.walk), cx.tz, "%Y-%m-%d"),
            status: protocol::walk_status_sv(e.walk.status).to_string(),
            findings: e.walk.observations.len() as u32,
            answered: (version
                .items()
                .filter(|i| e.walk.answers.contains_key(&i.id))
                .count() as u32)
                .min(asked),
        })
        .collect();
    let questions = version
        .sections
        .iter()
        .flat_map(|s| s.items.iter().map(move |i| (s, i)))
        .map(|(section, item)| Question {
            section: section.title_sv.clone(),
            prompt: item.prompt_sv.clone(),
            answers: walks
                .iter()
                .map(|e| {
                    let answer = e.walk.answers.get(&item.id)?;
                    Some(answer_text(&answer.value, e.own, cx.vocabulary))
                })
                .collect(),
        })
        .collect();
    Comparison {
        template_id: template_id.to_string(),
        template_name: name.to_string(),
        version: version.version,
        walks: columns,
        questions,
        findings: findings(&walks, cx.vocabulary),
    }
}

/// Findings per current term, per walk; the most found first.
fn findings(walks: &[ExerciseWalk], vocabulary: &Vocabulary) -> Vec<TermRow> {
    let mut counts: BTreeMap<String, Vec<u32>> = BTreeMap::new();
    for (i, e) in walks.iter().enumerate() {
        for o in e.walk.observations.values() {
            let code = vocabulary.current_code(&o.category).to_string();
            counts.entry(code).or_insert_with(|| vec![0; walks.len()])[i] += 1;
        }
    }
    let mut rows: Vec<TermRow> = counts
        .into_iter()
        .map(|(code, counts)| TermRow {
            label: vocabulary
                .terms
                .get(&code)
                .map_or_else(|| code.clone(), |t| t.label_sv.clone()),
            code,
            counts,
        })
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.counts.iter().sum::<u32>()));
    rows
}

/// An answer as people read it; free text only from the person's own
/// organisation's walk.
fn answer_text(value: &AnswerValue, own: bool, vocabulary: &Vocabulary) -> String {
    match value {
        AnswerValue::YesNo(YesNoNa::Yes) => "Ja".into(),
        AnswerValue::YesNo(YesNoNa::No) => "Nej".into(),
        AnswerValue::YesNo(YesNoNa::NotApplicable) => "Ej aktuellt".into(),
        AnswerValue::Rating(r) => format!("{r} av 5"),
        AnswerValue::Number(n) => format!("{n}"),
        AnswerValue::Text(t) if own => t.as_str().trim().to_string(),
        AnswerValue::Text(_) => "(fritext)".into(),
        AnswerValue::Choice(code) => {
            let code = vocabulary.current_code(code);
            vocabulary
                .terms
                .get(code)
                .map_or_else(|| code.to_string(), |t| t.label_sv.clone())
        }
        AnswerValue::Photos(p) => format!("{} foto", p.len()),
        AnswerValue::Location(_) => "Plats angiven".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trygg_core::model::{Answer, AnswerText, Sensitivity, Severity};
    use trygg_core::seed::{self, demo};
    use trygg_core::time::Timestamp;

    fn drill(rng: &mut demo::DemoRng, version: &TemplateVersion, area: &Area) -> Walk {
        let vocabulary = seed::vocabulary();
        demo::exercise(
            rng,
            &demo::WalkSpec {
                template_doc_id: "t",
                template: version,
                vocabulary: &vocabulary,
                observations: 0,
                at: Timestamp(1_796_112_000_000),
            },
            area,
        )
    }

    #[test]
    fn walks_stand_side_by_side_with_their_answers_and_findings() {
        let template = seed::default_template("demo-sdf-norr", Timestamp(0));
        let version = template.latest_published().unwrap().clone();
        let vocabulary = seed::vocabulary();
        let districts = seed::areas();
        let tz = picture::time_zone();
        let mut rng = demo::DemoRng::new(1);
        let mut areas = districts.values();
        let (first, second) = (areas.next().unwrap(), areas.next().unwrap());
        let mut a = drill(&mut rng, &version, second);
        let mut b = drill(&mut rng, &version, first);
        let yes_no = version
            .items()
            .find(|i| i.kind == trygg_core::model::ItemKind::YesNo)
            .unwrap();
        let text = version
            .items()
            .find(|i| i.kind == trygg_core::model::ItemKind::Text)
            .unwrap();
        let answer = |value| Answer {
            value,
            answered_by: "d".into(),
            answered_at: Timestamp(1),
        };
        a.answers.clear();
        b.answers.clear();
        a.answers
            .insert(yes_no.id.clone(), answer(AnswerValue::YesNo(YesNoNa::No)));
        b.answers.insert(
            text.id.clone(),
            answer(AnswerValue::Text(AnswerText::new("Mörkt vid bron"))),
        );
        a.answers.insert(
            text.id.clone(),
            answer(AnswerValue::Text(AnswerText::new("en partners ord"))),
        );
        // Two findings in `a`, one under a deprecated code ("skrap" counts
        // as "nedskrapning"), one in `b`.
        let finding = |category: &str, org: &str| trygg_core::model::Observation {
            id: trygg_core::new_entity_id(),
            category: category.into(),
            vocabulary_version: 1,
            severity: Severity::new(2).unwrap(),
            note: autosurgeon::Text::with_value(""),
            location: None,
            observed_at: Timestamp(1),
            recorded_by: "d".into(),
            organisation: org.into(),
            photos: vec![],
            sensitivity: Sensitivity::Shared,
            item_id: None,
        };
        a.observations.clear();
        b.observations.clear();
        for o in [finding("skrap", "x"), finding("nedskrapning", "x")] {
            a.observations.insert(o.id.clone(), o);
        }
        let o = finding("brand", "x");
        b.observations.insert(o.id.clone(), o);

        let walks = vec![
            ExerciseWalk {
                doc_id: "a".into(),
                walk: a,
                own: false,
            },
            ExerciseWalk {
                doc_id: "b".into(),
                walk: b,
                own: true,
            },
        ];
        let cx = Context {
            vocabulary: &vocabulary,
            districts: &districts,
            tz: &tz,
        };
        let c = compare("trygghetsvandring", "Vandring", &version, walks, &cx);
        // Columns go by district name.
        let mut names = [first.name.clone(), second.name.clone()];
        names.sort();
        let order: Vec<&str> = c.walks.iter().map(|w| w.district.as_str()).collect();
        assert_eq!(order, names.iter().map(String::as_str).collect::<Vec<_>>());
        let col = |doc: &str| c.walks.iter().position(|w| w.doc_id == doc).unwrap();
        let (ia, ib) = (col("a"), col("b"));
        assert_eq!(c.walks[ia].findings, 2);
        assert_eq!(c.walks[ia].answered, 2);
        assert_eq!(c.questions.len(), version.items().count());
        let q = |prompt: &str| c.questions.iter().find(|q| q.prompt == prompt).unwrap();
        assert_eq!(q(&yes_no.prompt_sv).answers[ia].as_deref(), Some("Nej"));
        assert_eq!(q(&yes_no.prompt_sv).answers[ib], None);
        // Free text only from the person's own organisation's walk.
        assert_eq!(
            q(&text.prompt_sv).answers[ib].as_deref(),
            Some("Mörkt vid bron")
        );
        assert_eq!(q(&text.prompt_sv).answers[ia].as_deref(), Some("(fritext)"));
        // Counted under today's term, the most found first.
        assert_eq!(c.findings[0].code, "nedskrapning");
        assert_eq!(c.findings[0].counts[ia], 2);
        assert_eq!(c.findings[0].counts[ib], 0);
        let fire = c.findings.iter().find(|r| r.code == "brand").unwrap();
        assert_eq!(fire.counts[ib], 1);
    }
}
