//! An XLSForm's rows onto a template version's sections and items, with a
//! report of every row (see the table in [`super`]). Pure: strings in, a
//! [`Form`] out.

use std::collections::{BTreeMap, BTreeSet};

use trygg_core::model::{Item, ItemKind, Section, Vocabulary};

use super::{Book, Outcome, RowReport, Sheet};
use crate::FileError;

/// A form as Trygg takes it, and what became of each row.
#[derive(Clone, Debug, PartialEq)]
pub struct Form {
    /// `form_id` from the settings sheet.
    pub form_id: Option<String>,
    /// `form_title` (and `form_title::en`) from the settings sheet.
    pub title_sv: String,
    pub title_en: String,
    /// `version` from the settings sheet, as written.
    pub version: Option<String>,
    pub sections: Vec<Section>,
    /// The survey sheet's rows, then the choices sheet's.
    pub report: Vec<RowReport>,
}

impl Form {
    /// How many rows were not taken.
    pub fn not_taken(&self) -> usize {
        self.report
            .iter()
            .filter(|r| matches!(r.outcome, Outcome::NotTaken { .. }))
            .count()
    }
}

const METADATA: &[&str] = &[
    "start",
    "end",
    "today",
    "deviceid",
    "subscriberid",
    "simserial",
    "phonenumber",
    "username",
    "email",
    "audit",
    "start-geopoint",
];

/// The section that takes questions outside any group.
const LOOSE_SECTION: (&str, &str, &str) = ("fragor", "Frågor", "Questions");

/// Maps the sheets of `book`; choice lists bind to `vocabulary`'s groups.
pub fn map(book: &Book, vocabulary: &Vocabulary) -> Result<Form, FileError> {
    let survey = &book.survey;
    let columns = Columns::of(survey)?;
    let lists = Lists::of(&book.choices, vocabulary)?;
    let mut m = Mapper {
        vocabulary,
        lists,
        sections: Vec::new(),
        open: None,
        depth: 0,
        pending_note: None,
        names: BTreeMap::new(),
        report: Vec::new(),
        used_lists: BTreeSet::new(),
        asked: BTreeMap::new(),
    };
    for (line, cells) in &survey.rows {
        m.row(*line, cells, &columns);
    }
    m.close_section();
    let Mapper {
        sections,
        mut report,
        lists,
        used_lists,
        asked,
        ..
    } = m;
    report.extend(lists.report(&used_lists, &asked));
    let settings = &book.settings;
    let first = settings
        .rows
        .first()
        .map(|(_, c)| c.as_slice())
        .unwrap_or(&[]);
    let setting = |name: &str| Sheet::cell(first, settings.column(name)).to_string();
    let title_sv = Some(setting("form_title"))
        .filter(|t| !t.is_empty())
        .or_else(|| {
            settings
                .language_column("form_title", "sv")
                .map(|c| Sheet::cell(first, Some(c)).to_string())
        })
        .unwrap_or_default();
    let title_en = settings
        .language_column("form_title", "en")
        .map(|c| Sheet::cell(first, Some(c)).to_string())
        .unwrap_or_default();
    let non_empty = |s: String| Some(s).filter(|s| !s.is_empty());
    Ok(Form {
        form_id: non_empty(setting("form_id")),
        title_sv,
        title_en,
        version: non_empty(setting("version")),
        sections,
        report,
    })
}

/// Where the survey sheet keeps what the mapping reads.
struct Columns {
    kind: usize,
    name: usize,
    label_sv: usize,
    label_en: Option<usize>,
    hint_sv: Option<usize>,
    required: Option<usize>,
    conditions: Vec<(usize, String)>,
}

impl Columns {
    fn of(s: &Sheet) -> Result<Columns, FileError> {
        let need = |name: &str, found: Option<usize>| {
            found.ok_or_else(|| {
                FileError::Columns(format!(
                    "the survey sheet has no {name} column (its columns: {})",
                    s.header.join(", ")
                ))
            })
        };
        Ok(Columns {
            kind: need("type", s.column("type"))?,
            name: need("name", s.column("name"))?,
            label_sv: need(
                "label::sv (or label)",
                s.language_column("label", "sv").or(s.column("label")),
            )?,
            label_en: s.language_column("label", "en"),
            hint_sv: s.language_column("hint", "sv").or(s.column("hint")),
            required: s.column("required"),
            conditions: ["relevant", "constraint", "calculation", "repeat_count"]
                .iter()
                .filter_map(|c| s.column(c).map(|i| (i, c.to_string())))
                .collect(),
        })
    }
}

/// How a choice list is used.
#[derive(Clone, Debug, PartialEq)]
enum ListUse {
    YesNo,
    Rating,
    /// Bound to a vocabulary group; a note when the list's name is not the
    /// group's, and the choices that are not terms of it.
    Group {
        group: String,
        note: Option<String>,
        strangers: Vec<String>,
    },
    Unbound(String),
}

struct Lists {
    /// Each list's choices: line and name.
    choices: BTreeMap<String, Vec<(u32, String)>>,
    /// Each choice's label in Swedish and English, by list and name.
    labels: BTreeMap<(String, String), (String, String)>,
    uses: BTreeMap<String, ListUse>,
}

impl Lists {
    fn of(s: &Sheet, vocabulary: &Vocabulary) -> Result<Lists, FileError> {
        let mut choices: BTreeMap<String, Vec<(u32, String)>> = BTreeMap::new();
        let mut labels = BTreeMap::new();
        if !s.rows.is_empty() {
            let list = s
                .column("list_name")
                .or(s.column("list name"))
                .ok_or_else(|| {
                    FileError::Columns("the choices sheet has no list_name column".into())
                })?;
            let name = s
                .column("name")
                .ok_or_else(|| FileError::Columns("the choices sheet has no name column".into()))?;
            let label_sv = s.language_column("label", "sv").or(s.column("label"));
            let label_en = s.language_column("label", "en");
            for (line, cells) in &s.rows {
                let (list, name) = (
                    Sheet::cell(cells, Some(list)),
                    Sheet::cell(cells, Some(name)),
                );
                choices
                    .entry(list.to_string())
                    .or_default()
                    .push((*line, name.to_string()));
                labels.insert(
                    (list.to_string(), name.to_string()),
                    (
                        Sheet::cell(cells, label_sv).to_string(),
                        Sheet::cell(cells, label_en).to_string(),
                    ),
                );
            }
        }
        let uses = choices
            .keys()
            .map(|l| (l.clone(), classify(l, choices.get(l), vocabulary)))
            .collect();
        Ok(Lists {
            choices,
            labels,
            uses,
        })
    }

    fn use_of(&self, list: &str, vocabulary: &Vocabulary) -> ListUse {
        self.uses
            .get(list)
            .cloned()
            .unwrap_or_else(|| classify(list, None, vocabulary))
    }

    /// A report row for each choice: taken with its list, or why not;
    /// `asked` holds what became of choices a select_multiple asks.
    fn report(
        &self,
        used: &BTreeSet<String>,
        asked: &BTreeMap<(String, String), Outcome>,
    ) -> Vec<RowReport> {
        let mut out = Vec::new();
        for (list, choices) in &self.choices {
            for (line, name) in choices {
                let outcome = if let Some(o) = asked.get(&(list.clone(), name.clone())) {
                    o.clone()
                } else if !used.contains(list) {
                    Outcome::NotTaken {
                        reason: format!(
                            "list {list:?} is named by no select_one or select_multiple question"
                        ),
                    }
                } else {
                    match &self.uses[list] {
                        ListUse::YesNo => taken("a yes/no answer"),
                        ListUse::Rating => taken("a rating step"),
                        ListUse::Group {
                            group, strangers, ..
                        } if strangers.contains(name) => Outcome::NotTaken {
                            reason: format!(
                                "not a term of the vocabulary group {group:?} in use: add it to the vocabulary, and the question offers it"
                            ),
                        },
                        ListUse::Group { group, .. } => {
                            taken(&format!("the term {name} of group {group}"))
                        }
                        ListUse::Unbound(why) => Outcome::NotTaken {
                            reason: why.clone(),
                        },
                    }
                };
                out.push(RowReport {
                    sheet: "choices",
                    line: *line,
                    name: format!("{list}/{name}"),
                    outcome,
                });
            }
        }
        out.sort_by_key(|r| r.line);
        out
    }
}

fn classify(list: &str, choices: Option<&Vec<(u32, String)>>, v: &Vocabulary) -> ListUse {
    let names: BTreeSet<String> = choices
        .into_iter()
        .flatten()
        .map(|(_, n)| n.to_lowercase())
        .collect();
    let set = |items: &[&str]| items.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    if names == set(&["yes", "no"]) || names == set(&["yes", "no", "na"]) {
        return ListUse::YesNo;
    }
    if names == set(&["1", "2", "3", "4", "5"]) {
        return ListUse::Rating;
    }
    let in_use = |group: &str, code: &str| {
        v.terms
            .get(code)
            .is_some_and(|t| t.group == group && !t.deprecated)
    };
    if v.groups.contains_key(list) {
        let strangers = choices
            .into_iter()
            .flatten()
            .filter(|(_, n)| !in_use(list, n))
            .map(|(_, n)| n.clone())
            .collect();
        return ListUse::Group {
            group: list.to_string(),
            note: None,
            strangers,
        };
    }
    let Some(choices) = choices else {
        return ListUse::Unbound(format!(
            "no list {list:?} on the choices sheet, and no vocabulary group of that name"
        ));
    };
    let groups: BTreeSet<&str> = choices
        .iter()
        .filter_map(|(_, n)| v.terms.get(n).map(|t| t.group.as_str()))
        .collect();
    match groups.into_iter().collect::<Vec<_>>().as_slice() {
        [group] if choices.iter().all(|(_, n)| in_use(group, n)) => ListUse::Group {
            group: group.to_string(),
            note: Some(format!(
                "list {list:?} is bound to the vocabulary group {group:?}, whose terms it names: the question offers all the group's terms in use"
            )),
            strangers: Vec::new(),
        },
        _ => ListUse::Unbound(format!(
            "list {list:?} is not a vocabulary group, its choices are not terms of one group, and it is not yes/no or 1–5: add the choices to the vocabulary as a group and name the list after it"
        )),
    }
}

struct Mapper<'a> {
    vocabulary: &'a Vocabulary,
    lists: Lists,
    sections: Vec<Section>,
    /// The section being filled and the report row that opened it.
    open: Option<(Section, Option<usize>)>,
    /// Groups open (Trygg's sections do not nest).
    depth: u32,
    /// Notes waiting for the question after them: their report rows and
    /// their text.
    pending_note: Option<(Vec<usize>, String)>,
    /// Names taken, with their line.
    names: BTreeMap<String, u32>,
    report: Vec<RowReport>,
    /// Lists a select_one names.
    used_lists: BTreeSet<String>,
    /// Choices a select_multiple asks as yes/no questions, by list and
    /// name: what became of each.
    asked: BTreeMap<(String, String), Outcome>,
}

impl Mapper<'_> {
    fn row(&mut self, line: u32, cells: &[String], c: &Columns) {
        let kind_cell = Sheet::cell(cells, Some(c.kind));
        let name = Sheet::cell(cells, Some(c.name)).to_string();
        let mut words = kind_cell.split_whitespace();
        let kind = words.next().unwrap_or_default().to_lowercase();
        let argument = words.next().map(str::to_string);
        let rest: Vec<&str> = words.collect();
        let label_sv = Sheet::cell(cells, Some(c.label_sv)).to_string();
        let label_en = Sheet::cell(cells, c.label_en).to_string();
        let outcome = match kind.replace(' ', "_").as_str() {
            "" => return,
            "begin_group" | "begin" if kind_cell.to_lowercase().contains("group") => {
                self.begin_group(line, &name, label_sv, label_en)
            }
            "end_group" | "end" if kind_cell.to_lowercase().contains("group") => {
                self.end_group()
            }
            "begin_repeat" | "end_repeat" => Outcome::NotTaken {
                reason: "a repeat: Trygg answers each question once per walk, so its questions are taken once".into(),
            },
            "note" => {
                if label_sv.is_empty() {
                    Outcome::NotTaken {
                        reason: "a note without Swedish text".into(),
                    }
                } else {
                    let at = self.report.len();
                    match &mut self.pending_note {
                        Some((rows, text)) => {
                            rows.push(at);
                            text.push('\n');
                            text.push_str(&label_sv);
                        }
                        None => self.pending_note = Some((vec![at], label_sv)),
                    }
                    // Rewritten when the question after it is taken.
                    Outcome::NotTaken {
                        reason: "a note with no question after it in its group".into(),
                    }
                }
            }
            k if METADATA.contains(&k) => Outcome::NotTaken {
                reason: "metadata: Trygg records who, when and on which device itself".into(),
            },
            "select_multiple" => {
                let (help_sv, required, notes) = question_parts(cells, c);
                self.select_multiple(
                    line,
                    &name,
                    argument.as_deref(),
                    Item {
                        id: name.clone(),
                        kind: ItemKind::YesNo,
                        prompt_sv: label_sv,
                        prompt_en: label_en,
                        help_sv,
                        required,
                        vocabulary_group: None,
                    },
                    notes,
                )
            }
            k => match self.item_kind(k, argument.as_deref(), &rest) {
                Ok((kind, group, note)) => {
                    let (help_sv, required, mut notes) = question_parts(cells, c);
                    if let Some(note) = note {
                        notes.insert(0, note);
                    }
                    self.item(
                        line,
                        Item {
                            id: name.clone(),
                            kind,
                            prompt_sv: label_sv,
                            prompt_en: label_en,
                            help_sv,
                            required,
                            vocabulary_group: group,
                        },
                        notes,
                    )
                }
                Err(reason) => Outcome::NotTaken { reason },
            },
        };
        self.report.push(RowReport {
            sheet: "survey",
            line,
            name,
            outcome,
        });
    }

    /// The item kind of a survey type, with its vocabulary group and a note.
    fn item_kind(
        &mut self,
        kind: &str,
        argument: Option<&str>,
        rest: &[&str],
    ) -> Result<(ItemKind, Option<String>, Option<String>), String> {
        let plain = |k| Ok((k, None, None));
        match kind {
            "integer" | "decimal" => plain(ItemKind::Number),
            "text" => plain(ItemKind::Text),
            "image" => plain(ItemKind::Photo),
            "geopoint" => plain(ItemKind::Location),
            "select_one" => {
                let list = argument.ok_or("select_one names no choice list")?;
                let other = (rest.first() == Some(&"or_other"))
                    .then(|| "or_other is not taken: only the list's answers".to_string());
                self.used_lists.insert(list.to_string());
                match self.lists.use_of(list, self.vocabulary) {
                    ListUse::YesNo => Ok((ItemKind::YesNo, None, other)),
                    ListUse::Rating => Ok((ItemKind::Rating, None, other)),
                    ListUse::Group { group, note, .. } => {
                        let note = [note, other].into_iter().flatten().collect::<Vec<_>>();
                        Ok((
                            ItemKind::Choice,
                            Some(group),
                            (!note.is_empty()).then(|| note.join("; ")),
                        ))
                    }
                    ListUse::Unbound(why) => Err(why),
                }
            }
            other => Err(format!(
                "type {other:?} has no Trygg item kind (Trygg takes select_one, select_multiple, integer, decimal, text, image, geopoint, note and groups)"
            )),
        }
    }

    /// `select_multiple L`: a Trygg question takes one answer, so each of
    /// L's choices becomes a yes/no question of its own (`NAME_CHOICE`,
    /// worded "label – choice's label"), asked where the row stands.
    fn select_multiple(
        &mut self,
        line: u32,
        name: &str,
        list: Option<&str>,
        question: Item,
        mut notes: Vec<String>,
    ) -> Outcome {
        let Some(list) = list else {
            return Outcome::NotTaken {
                reason: "select_multiple names no choice list".into(),
            };
        };
        if question.prompt_sv.is_empty() {
            return Outcome::NotTaken {
                reason: "no Swedish label (label::sv, or label)".into(),
            };
        }
        let Some(choices) = self.lists.choices.get(list).cloned() else {
            return Outcome::NotTaken {
                reason: format!("select_multiple: no list {list:?} on the choices sheet"),
            };
        };
        if let Err(reason) = self.check_name(line, name) {
            return Outcome::NotTaken { reason };
        }
        if question.required {
            notes.push("required: each choice's question must be answered".into());
        }
        let mut made = Vec::new();
        let mut refused = Vec::new();
        for (_, choice) in &choices {
            let (sv, en) = self
                .lists
                .labels
                .get(&(list.to_string(), choice.clone()))
                .cloned()
                .unwrap_or_default();
            let sv = if sv.is_empty() { choice.clone() } else { sv };
            let item = Item {
                id: format!("{name}_{choice}"),
                prompt_sv: format!("{} – {sv}", question.prompt_sv),
                prompt_en: match (question.prompt_en.is_empty(), en.is_empty()) {
                    (false, false) => format!("{} – {en}", question.prompt_en),
                    _ => String::new(),
                },
                // The hint once, with the first of them.
                help_sv: if made.is_empty() {
                    question.help_sv.clone()
                } else {
                    String::new()
                },
                ..question.clone()
            };
            let id = item.id.clone();
            let outcome = match self.item(line, item, Vec::new()) {
                Outcome::NotTaken { reason } => {
                    refused.push(format!("{choice}: {reason}"));
                    Outcome::NotTaken { reason }
                }
                _ => {
                    made.push(id.clone());
                    taken(&format!("the yes/no question {id}"))
                }
            };
            self.asked
                .insert((list.to_string(), choice.clone()), outcome);
        }
        if made.is_empty() {
            return Outcome::NotTaken {
                reason: format!(
                    "select_multiple: none of list {list:?}'s choices could be asked ({})",
                    refused.join("; ")
                ),
            };
        }
        notes.insert(
            0,
            "a Trygg question takes one answer, so each choice is asked yes/no".into(),
        );
        if !refused.is_empty() {
            notes.push(format!("not asked: {}", refused.join("; ")));
        }
        with_note(
            &format!("{} yes/no questions ({})", made.len(), made.join(", ")),
            Some(notes.join("; ")),
        )
    }

    fn begin_group(&mut self, line: u32, name: &str, sv: String, en: String) -> Outcome {
        self.depth += 1;
        if self.depth > 1 {
            let outer = self.open.as_ref().map_or("", |(s, _)| s.id.as_str());
            return Outcome::NotTaken {
                reason: format!(
                    "a group inside the group {outer:?}: Trygg's sections do not nest, so its questions go into {outer:?}"
                ),
            };
        }
        self.close_section();
        if let Err(reason) = self.check_name(line, name) {
            // Its questions still go somewhere: a section of their own.
            self.open = Some((loose_section(&self.sections), None));
            return Outcome::NotTaken { reason };
        }
        let (title_sv, note) = if sv.is_empty() {
            (
                name.to_string(),
                Some("no Swedish label: the name is the title".to_string()),
            )
        } else {
            (sv, None)
        };
        self.open = Some((
            Section {
                id: name.to_string(),
                title_sv,
                title_en: en,
                items: Vec::new(),
            },
            Some(self.report.len()),
        ));
        with_note("a section", note)
    }

    fn end_group(&mut self) -> Outcome {
        match self.depth {
            0 => Outcome::NotTaken {
                reason: "an end_group with no group open".into(),
            },
            1 => {
                self.depth = 0;
                self.close_section();
                taken("the end of its section")
            }
            _ => {
                self.depth -= 1;
                taken("the end of a group inside a group")
            }
        }
    }

    fn item(&mut self, line: u32, mut item: Item, notes: Vec<String>) -> Outcome {
        if let Err(reason) = self.check_name(line, &item.id) {
            return Outcome::NotTaken { reason };
        }
        if item.prompt_sv.is_empty() {
            return Outcome::NotTaken {
                reason: "no Swedish label (label::sv, or label)".into(),
            };
        }
        if let Some((rows, note)) = self.pending_note.take() {
            item.help_sv = [note, item.help_sv]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join("\n");
            for at in rows {
                self.report[at].outcome = taken(&format!("help text of {}", item.id));
            }
        }
        let what = describe(&item);
        if self.open.is_none() {
            self.open = Some((loose_section(&self.sections), None));
        }
        if let Some((section, _)) = &mut self.open {
            section.items.push(item);
        }
        with_note(&what, (!notes.is_empty()).then(|| notes.join("; ")))
    }

    fn check_name(&mut self, line: u32, name: &str) -> Result<(), String> {
        let ok = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
        if !ok {
            return Err(format!(
                "name {name:?}: a name starts with a letter or _ and has only a-z, 0-9, _, - and ."
            ));
        }
        if let Some(first) = self.names.get(name) {
            return Err(format!("the name {name:?} is on line {first} already"));
        }
        self.names.insert(name.to_string(), line);
        Ok(())
    }

    /// Ends the open section: kept when it has questions; a group none of
    /// whose questions could be taken is reported as not taken.
    fn close_section(&mut self) {
        self.pending_note = None;
        let Some((section, opened_at)) = self.open.take() else {
            return;
        };
        if section.items.is_empty() {
            if let Some(at) = opened_at {
                self.report[at].outcome = Outcome::NotTaken {
                    reason: "a group with no question Trygg takes".into(),
                };
            }
        } else {
            self.sections.push(section);
        }
    }
}

/// A question row's help text, whether it is required, and notes on what
/// of it is not taken (a required expression, conditions).
fn question_parts(cells: &[String], c: &Columns) -> (String, bool, Vec<String>) {
    let help_sv = Sheet::cell(cells, c.hint_sv).to_string();
    let (required, required_note) = required(Sheet::cell(cells, c.required));
    let conditions: Vec<&str> = c
        .conditions
        .iter()
        .filter(|(i, _)| !Sheet::cell(cells, Some(*i)).is_empty())
        .map(|(_, n)| n.as_str())
        .collect();
    let condition_note = (!conditions.is_empty()).then(|| {
        format!(
            "its {} is not taken: Trygg shows every question",
            conditions.join(" and ")
        )
    });
    let notes = [required_note, condition_note]
        .into_iter()
        .flatten()
        .collect();
    (help_sv, required, notes)
}

fn loose_section(sections: &[Section]) -> Section {
    let (id, sv, en) = LOOSE_SECTION;
    let n = sections.iter().filter(|s| s.id.starts_with(id)).count();
    Section {
        id: if n == 0 {
            id.to_string()
        } else {
            format!("{id}-{}", n + 1)
        },
        title_sv: sv.into(),
        title_en: en.into(),
        items: Vec::new(),
    }
}

fn describe(item: &Item) -> String {
    match (item.kind, &item.vocabulary_group) {
        (ItemKind::Choice, Some(g)) => format!("a choice question (vocabulary group {g})"),
        (kind, _) => format!("a {} question", kind.as_str().replace('_', "/")),
    }
}

/// `required` as yes or no, with a note when it was an expression.
fn required(cell: &str) -> (bool, Option<String>) {
    match cell.to_lowercase().as_str() {
        "yes" | "true" | "true()" | "1" | "ja" => (true, None),
        "" | "no" | "false" | "false()" | "0" | "nej" => (false, None),
        other => (
            false,
            Some(format!(
                "required {other:?} is an expression: Trygg takes yes or no, so the question is not required"
            )),
        ),
    }
}

fn taken(what: &str) -> Outcome {
    Outcome::Taken {
        what: what.to_string(),
    }
}

fn with_note(what: &str, note: Option<String>) -> Outcome {
    match note {
        Some(note) => Outcome::TakenWithNote {
            what: what.to_string(),
            note,
        },
        None => taken(what),
    }
}
