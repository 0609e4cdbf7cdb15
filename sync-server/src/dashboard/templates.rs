//! Checklist templates in the dashboard (PRODUCT §2): every template the
//! person may read with its versions, a version's questions, and a version
//! as an XLSForm workbook; for a coordinator the access table lets write the
//! template, a draft written in the page's editor or imported from an
//! XLSForm (previewed first, with the report of every row), and publishing
//! a draft; and a new template of the coordinator's organisation. A
//! published version never changes ([`trygg_core::edit::template`]);
//! devices start walks on the newest published one.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use trygg_core::access::access_of;
use trygg_core::document::{self, AnyDocument};
use trygg_core::edit::template as edit;
use trygg_core::model::{ChecklistTemplate, Item, ItemKind, Section, TemplateVersion};
use trygg_core::{DocId, Timestamp};
use trygg_forms::xlsform::{self, RowReport};

use super::edits::{create_doc, edit_doc};
use super::{Person, download};
use crate::http::ApiError;
use crate::serve::AppState;

/// What .xlsx files are sent as.
pub(super) const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
/// The largest workbook taken: forms are small; pictures in one are not read.
pub(super) const MAX_XLSX_BYTES: usize = 4 * 1024 * 1024;

#[derive(Serialize)]
pub(super) struct TemplateView {
    doc_id: String,
    template_id: String,
    title_sv: String,
    title_en: String,
    owner_org: String,
    /// Whether this person may import and publish versions.
    can_edit: bool,
    /// Newest first.
    versions: Vec<VersionView>,
}

#[derive(Serialize)]
struct VersionView {
    version: u32,
    /// Milliseconds; `None` for a draft.
    published_at: Option<i64>,
    sections: usize,
    questions: usize,
}

/// Every template this person may read.
pub(super) async fn list(
    State(state): State<Arc<AppState>>,
    person: Person,
) -> Result<Json<Vec<TemplateView>>, ApiError> {
    let templates = state.index.templates().await.map_err(ApiError::internal)?;
    let snapshot = state.snapshot.borrow().clone();
    let who = person.user.principal();
    Ok(Json(
        templates
            .into_iter()
            .filter_map(|(id, t)| {
                let access = snapshot.decide(&who, &id);
                access.can_read().then(|| view(id, t, access.can_write()))
            })
            .collect(),
    ))
}

fn view(id: DocId, t: ChecklistTemplate, can_edit: bool) -> TemplateView {
    let mut versions: Vec<VersionView> = t
        .versions
        .values()
        .map(|v| VersionView {
            version: v.version,
            published_at: v.published_at.map(Timestamp::millis),
            sections: v.sections.len(),
            questions: v.items().count(),
        })
        .collect();
    versions.sort_by_key(|v| std::cmp::Reverse(v.version));
    TemplateView {
        doc_id: id.to_string(),
        template_id: t.template_id,
        title_sv: t.title_sv,
        title_en: t.title_en,
        owner_org: t.owner_org,
        can_edit,
        versions,
    }
}

#[derive(Serialize)]
pub(super) struct VersionBody {
    version: u32,
    published_at: Option<i64>,
    sections: Vec<SectionView>,
}

#[derive(Serialize)]
struct SectionView {
    id: String,
    title_sv: String,
    title_en: String,
    items: Vec<ItemView>,
}

#[derive(Serialize)]
struct ItemView {
    id: String,
    kind: &'static str,
    prompt_sv: String,
    prompt_en: String,
    help_sv: String,
    required: bool,
    vocabulary_group: Option<String>,
    /// For a choice question: the Swedish labels of the terms it offers
    /// today, as the field app lists them.
    choices: Vec<String>,
}

/// One version's questions, as the field app asks them.
pub(super) async fn version(
    State(state): State<Arc<AppState>>,
    person: Person,
    Path((doc, number)): Path<(String, u32)>,
) -> Result<Json<VersionBody>, ApiError> {
    let (_, t, _) = readable(&state, &person, &doc).await?;
    let v = version_of(&t, number)?;
    let vocabulary = super::vocabulary(&state).await?;
    let sections = v
        .sections
        .iter()
        .map(|s| SectionView {
            id: s.id.clone(),
            title_sv: s.title_sv.clone(),
            title_en: s.title_en.clone(),
            items: s
                .items
                .iter()
                .map(|i| ItemView {
                    id: i.id.clone(),
                    kind: i.kind.as_str(),
                    prompt_sv: i.prompt_sv.clone(),
                    prompt_en: i.prompt_en.clone(),
                    help_sv: i.help_sv.clone(),
                    required: i.required,
                    vocabulary_group: i.vocabulary_group.clone(),
                    choices: vocabulary
                        .active_terms()
                        .into_iter()
                        .filter(|t| Some(&t.group) == i.vocabulary_group.as_ref())
                        .map(|t| t.label_sv.clone())
                        .collect(),
                })
                .collect(),
        })
        .collect();
    Ok(Json(VersionBody {
        version: v.version,
        published_at: v.published_at.map(Timestamp::millis),
        sections,
    }))
}

/// One version as an XLSForm workbook.
pub(super) async fn export(
    State(state): State<Arc<AppState>>,
    person: Person,
    Path((doc, number)): Path<(String, u32)>,
) -> Result<Response, ApiError> {
    let (_, t, _) = readable(&state, &person, &doc).await?;
    let v = version_of(&t, number)?;
    let vocabulary = super::vocabulary(&state).await?;
    let body = xlsform::write(&t, v, &vocabulary).map_err(ApiError::internal)?;
    download(
        body,
        XLSX,
        &format!("{}-v{}.xlsx", t.template_id, v.version),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ImportQuery {
    #[serde(default)]
    dry_run: bool,
}

#[derive(Serialize)]
pub(super) struct Imported {
    /// The draft version made (or that a dry run would make).
    version: u32,
    /// Whether a draft was made.
    made: bool,
    /// How many questions the draft has.
    questions: usize,
    /// Every row of the form: what it became, or why it was not taken.
    rows: Vec<RowReport>,
    not_taken: usize,
    /// Why the draft cannot be made, when it cannot (a choice question whose
    /// group the vocabulary lacks, no question at all).
    problems: Vec<String>,
}

/// Reads an XLSForm and makes its questions a new draft version of the
/// template (or, on a dry run, says what it would be). Only the .xlsx type
/// is taken, so a form on another site cannot send one with the cookie.
pub(super) async fn import(
    State(state): State<Arc<AppState>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    person: Person,
    Path(doc): Path<String>,
    query: Result<Query<ImportQuery>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Imported>, ApiError> {
    let Query(q) = query.map_err(|e| ApiError::bad_request(format!("dry_run: {e}")))?;
    let xlsx = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(XLSX));
    if !xlsx {
        return Err(ApiError::unsupported_media_type(format!(
            "send the form as an .xlsx workbook ({XLSX})"
        )));
    }
    let (id, t, can_write) = readable(&state, &person, &doc).await?;
    if !can_write {
        return Err(ApiError::forbidden(
            "only the coordinators of the organisation that keeps this template may change it",
        ));
    }
    let vocabulary = super::vocabulary(&state).await?;
    let form =
        xlsform::read(&body, &vocabulary).map_err(|e| ApiError::bad_request(e.to_string()))?;
    let mut problems: Vec<String> = edit::check_groups(&form.sections, &vocabulary)
        .0
        .into_iter()
        .map(|p| format!("{}: {}", p.path, p.message))
        .collect();
    if form.sections.is_empty() {
        problems.push("the form has no question Trygg takes".into());
    }
    let next = t.versions.values().map(|v| v.version).max().unwrap_or(0) + 1;
    let mut imported = Imported {
        version: next,
        made: false,
        questions: form.sections.iter().map(|s| s.items.len()).sum(),
        not_taken: form.not_taken(),
        rows: form.report,
        problems,
    };
    if q.dry_run || !imported.problems.is_empty() {
        return Ok(Json(imported));
    }
    let sections: Vec<Section> = form.sections;
    let what = format!(
        "template {}: imported an XLSForm as a draft ({} rows not taken)",
        t.template_id, imported.not_taken
    );
    imported.version = edit_doc(&state, &person, from, id, what, "the template", move |tx| {
        edit::add_draft(tx, sections)
    })
    .await?;
    imported.made = true;
    Ok(Json(imported))
}

#[derive(Serialize)]
pub(super) struct Published {
    version: u32,
}

/// Publishes a draft: from now on devices start walks on it.
pub(super) async fn publish(
    State(state): State<Arc<AppState>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    person: Person,
    Path((doc, number)): Path<(String, u32)>,
) -> Result<Json<Published>, ApiError> {
    let (id, t, can_write) = readable(&state, &person, &doc).await?;
    if !can_write {
        return Err(ApiError::forbidden(
            "only the coordinators of the organisation that keeps this template may publish it",
        ));
    }
    version_of(&t, number)?;
    let what = format!("template {}: published version {number}", t.template_id);
    edit_doc(&state, &person, from, id, what, "the template", move |tx| {
        edit::publish(tx, number, Timestamp::now())
    })
    .await?;
    Ok(Json(Published { version: number }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewTemplate {
    template_id: String,
    title_sv: String,
    #[serde(default)]
    title_en: String,
}

#[derive(Serialize)]
pub(super) struct Created {
    doc_id: String,
}

/// `POST /dashboard/api/templates`: a new template kept by the
/// coordinator's organisation, with no version yet (the editor writes its
/// first draft). Its id must be one no template here has.
pub(super) async fn create(
    State(state): State<Arc<AppState>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    person: Person,
    body: Result<Json<NewTemplate>, JsonRejection>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let Json(body) = body?;
    let t = edit::new_template(
        &body.template_id,
        &body.title_sv,
        &body.title_en,
        &person.user.org,
    )
    .map_err(ApiError::invalid)?;
    let templates = state.index.templates().await.map_err(ApiError::internal)?;
    if templates
        .iter()
        .any(|(_, x)| x.template_id == t.template_id)
    {
        return Err(ApiError::conflict(format!(
            "template_id: there is a template `{}` already",
            t.template_id
        )));
    }
    let id = DocId::random();
    let facts = access_of(id, &AnyDocument::Template(t.clone()), &person.user.org);
    let what = format!("template {} made", t.template_id);
    create_doc(
        &state,
        &person,
        from,
        facts,
        what,
        "the template was not made",
        move |tx| document::write(tx, &t),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(Created {
            doc_id: id.to_string(),
        }),
    ))
}

/// One section as the editor sends it; an empty id asks for a new one.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SectionBody {
    #[serde(default)]
    id: String,
    title_sv: String,
    #[serde(default)]
    title_en: String,
    items: Vec<ItemBody>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ItemBody {
    #[serde(default)]
    id: String,
    kind: ItemKind,
    prompt_sv: String,
    #[serde(default)]
    prompt_en: String,
    #[serde(default)]
    help_sv: String,
    #[serde(default)]
    required: bool,
    #[serde(default)]
    vocabulary_group: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DraftBody {
    sections: Vec<SectionBody>,
}

#[derive(Serialize)]
pub(super) struct Saved {
    version: u32,
}

/// `PUT /dashboard/api/templates/{doc}/draft`: the editor's sections as
/// the template's draft (the newest version when that is a draft, else a
/// new one), checked by the core's rules (each problem under its place in
/// the form) and against the vocabulary (a choice bound to a group it
/// lacks or that has no term in use).
pub(super) async fn save_draft(
    State(state): State<Arc<AppState>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    person: Person,
    Path(doc): Path<String>,
    body: Result<Json<DraftBody>, JsonRejection>,
) -> Result<Json<Saved>, ApiError> {
    let Json(body) = body?;
    let (id, t, can_write) = readable(&state, &person, &doc).await?;
    if !can_write {
        return Err(ApiError::forbidden(
            "only the coordinators of the organisation that keeps this template may change it",
        ));
    }
    let sections = edit::edited_sections(&t, body.sections.into_iter().map(section).collect())
        .map_err(ApiError::invalid)?;
    let vocabulary = super::vocabulary(&state).await?;
    edit::check_groups(&sections, &vocabulary)
        .into_result()
        .map_err(ApiError::invalid)?;
    let what = format!("template {}: draft saved in the editor", t.template_id);
    let version = edit_doc(&state, &person, from, id, what, "the template", move |tx| {
        edit::save_draft(tx, sections)
    })
    .await?;
    Ok(Json(Saved { version }))
}

fn section(s: SectionBody) -> Section {
    Section {
        id: s.id,
        title_sv: s.title_sv,
        title_en: s.title_en,
        items: s
            .items
            .into_iter()
            .map(|i| Item {
                id: i.id,
                kind: i.kind,
                prompt_sv: i.prompt_sv,
                prompt_en: i.prompt_en,
                help_sv: i.help_sv,
                required: i.required,
                vocabulary_group: i.vocabulary_group,
            })
            .collect(),
    }
}

/// The template `doc` if this person may read it (404 as for an unknown id
/// otherwise), and whether they may write it.
async fn readable(
    state: &AppState,
    person: &Person,
    doc: &str,
) -> Result<(DocId, ChecklistTemplate, bool), ApiError> {
    let id: DocId = doc.parse().map_err(|_| ApiError::not_found())?;
    let access = state
        .snapshot
        .borrow()
        .decide(&person.user.principal(), &id);
    if !access.can_read() {
        return Err(ApiError::not_found());
    }
    let stored = state
        .index
        .stored_document(id)
        .await
        .map_err(ApiError::internal)?
        .ok_or_else(ApiError::not_found)?;
    let t: ChecklistTemplate = trygg_core::document::read(&stored)
        .map_err(|e| ApiError::not_found_because(format!("not a readable template: {e}")))?;
    Ok((id, t, access.can_write()))
}

fn version_of(t: &ChecklistTemplate, number: u32) -> Result<&TemplateVersion, ApiError> {
    t.version(number)
        .ok_or_else(|| ApiError::not_found_because(format!("no version {number}")))
}
