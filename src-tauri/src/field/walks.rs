//! Walks: listing, starting, answering the checklist, completing.

use super::*;

impl Field {
    /// The walks `query` selects, newest first, a page at a time.
    pub fn walks(&self, query: WalkQuery) -> Result<WalkPage> {
        let limit = query.limit.unwrap_or(WALK_PAGE);
        if !(1..=MAX_WALKS).contains(&limit) {
            return Err(invalid("limit", format!("1 to {MAX_WALKS}, not {limit}")));
        }
        let store = lock(&self.store);
        let mut walks = store.walks(&WalkFilter {
            area: query.area.filter(|a| !a.is_empty()),
            status: query.status.filter(|s| !s.is_empty()),
            route: query
                .route
                .filter(|r| !r.trim().is_empty())
                .map(|r| r.trim().to_string()),
            // One more than shown tells whether there are more.
            limit: Some(limit + 1),
        })?;
        let more = walks.len() > limit as usize;
        walks.truncate(limit as usize);
        Ok(WalkPage {
            walks: walks.into_iter().map(WalkSummary::from).collect(),
            more,
            page: WALK_PAGE,
        })
    }

    pub async fn start_walk(&self, input: StartWalk) -> Result<String> {
        let (org, device) = self.me()?;
        self.require_records()?;
        let mut errors = FieldErrors::default();
        if input.route_name.trim().is_empty() {
            errors.push("route_name", "required");
        }
        if input.area.is_empty() {
            errors.push("area", "required");
        } else if !self.directory()?.areas.contains_key(&input.area) {
            errors.push("area", "unknown area");
        }
        let light = input.light.parse::<Light>();
        if light.is_err() {
            errors.push("light", "daylight or dark");
        }
        let template_id = input.template_doc.parse::<DocId>().ok();
        if template_id.is_none() {
            errors.push("template_doc", "required");
        }
        let now = Timestamp::now();
        let planned_at = match input.planned_at {
            Some(ms) if !input.start_now => Timestamp(ms),
            _ => now,
        };
        if planned_at.millis() < now.millis() - trygg_core::edit::plan::PAST_GRACE_MS {
            errors.push("planned_at", "that date has passed");
        }
        errors.into_result()?;
        let template_doc = template_id.expect("checked above");
        let template = self.template(template_doc)?;
        let version = template
            .latest_published()
            .ok_or_else(|| invalid("template_doc", "the template has no published version"))?;
        let organisations: BTreeMap<String, Timestamp> = input
            .organisations
            .iter()
            .cloned()
            .chain([org.clone()])
            .map(|o| (o, now))
            .collect();
        let walk = Walk {
            template: TemplateRef {
                doc_id: template_doc.to_string(),
                template_id: template.template_id.clone(),
                version: version.version,
            },
            area: input.area.clone(),
            route_name: input.route_name.trim().to_string(),
            light: light.expect("checked above"),
            status: if input.start_now {
                WalkStatus::InProgress
            } else {
                WalkStatus::Planned
            },
            planned_at: Some(planned_at),
            started_at: input.start_now.then_some(now),
            ended_at: None,
            owner_org: org.clone(),
            organisations,
            created_by: device,
            created_at: now,
            answers: BTreeMap::new(),
            observations: BTreeMap::new(),
            notes: Text::with_value(""),
            exercise: input.exercise,
            groups: BTreeMap::new(),
            follows: None,
        };
        let mut doc = document::create(&walk)?;
        let id = DocId::random();
        let shared_with: BTreeSet<String> = walk
            .organisations
            .keys()
            .filter(|o| **o != org)
            .cloned()
            .collect();
        let registration = RegisterDocument {
            id,
            kind: DocKind::Walk,
            area: Some(walk.area.clone()),
            shared_with,
            restricted: false,
            responsible_org: None,
        };
        self.require_register(&registration)?;
        self.with_client(async |c| {
            c.create(&mut doc, registration).await?;
            Ok(())
        })
        .await?;
        Ok(id.to_string())
    }

    async fn read_walk(&self, id: DocId) -> Result<(Walk, Vec<String>)> {
        self.with_client(async |c| {
            c.open(&id).await?;
            let (walk, heads) = c.read(&id, |d| {
                let heads: Vec<String> = d.get_heads().iter().map(|h| h.to_string()).collect();
                (document::read::<Walk, _>(d), heads)
            })?;
            Ok((walk?, heads))
        })
        .await
    }

    pub async fn walk(&self, id: &str) -> Result<WalkView> {
        let doc_id = parse_id(id)?;
        let (walk, heads) = self.read_walk(doc_id).await?;
        let access = self
            .with_client(async |c| self.access_to(c, &doc_id))
            .await?;
        let template = self.template_of(&walk);
        let version = template
            .as_ref()
            .and_then(|t| t.version(walk.template.version));
        let mut observations: Vec<ObservationView> = walk
            .observations
            .values()
            .map(|o| ObservationView::of(id, o))
            .collect();
        observations.sort_by_key(|o| (o.observed_at, o.id.clone()));
        Ok(WalkView {
            id: id.to_string(),
            area: walk.area.clone(),
            route_name: walk.route_name.clone(),
            light: walk.light.as_str().into(),
            status: walk.status.as_str().into(),
            owner_org: walk.owner_org.clone(),
            organisations: walk.organisations.keys().cloned().collect(),
            planned_at: walk.planned_at.map(Timestamp::millis),
            started_at: walk.started_at.map(Timestamp::millis),
            ended_at: walk.ended_at.map(Timestamp::millis),
            template_title_sv: template
                .as_ref()
                .map(|t| t.title_sv.clone())
                .unwrap_or_default(),
            template_title_en: template
                .as_ref()
                .map(|t| t.title_en.clone())
                .unwrap_or_default(),
            sections: version.map(sections_of).unwrap_or_default(),
            answers: walk
                .answers
                .iter()
                .map(|(k, a)| (k.clone(), AnswerInput::from_value(&a.value)))
                .collect(),
            observations,
            heads,
            editable: access.can_write() && editable_status(walk.status),
            read_only: !access.can_write(),
            exercise: walk.exercise,
            groups: {
                let mut groups: Vec<WalkGroupView> = walk
                    .groups
                    .values()
                    .map(|g| WalkGroupView {
                        name: g.name.clone(),
                        route: g.route.clone(),
                    })
                    .collect();
                groups.sort_by(|a, b| a.name.cmp(&b.name));
                groups
            },
        })
    }

    /// What changed in walk `id` since `heads` (what the screen shows): the
    /// changed answers and observations read one by one, so a refresh costs
    /// what changed, not the size of the walk. The walk read whole when
    /// anything else changed or the heads are not this walk's.
    pub async fn walk_update(&self, id: &str, heads: &[String]) -> Result<WalkUpdate> {
        let doc_id = parse_id(id)?;
        let before: Option<Vec<automerge::ChangeHash>> =
            heads.iter().map(|h| h.parse().ok()).collect();
        let Some(before) = before else {
            return Ok(WalkUpdate::Whole {
                walk: Box::new(self.walk(id).await?),
            });
        };
        let parts = self
            .with_client(async |c| {
                c.open(&doc_id).await?;
                let access = self.access_to(c, &doc_id)?;
                let parts = c.read(&doc_id, |d| read_parts(d, id, &before))??;
                Ok(parts.map(|p| (access, p)))
            })
            .await?;
        let Some((access, mut p)) = parts else {
            return Ok(WalkUpdate::Whole {
                walk: Box::new(self.walk(id).await?),
            });
        };
        p.observations
            .sort_by_key(|o| (o.observed_at, o.id.clone()));
        Ok(WalkUpdate::Parts {
            heads: p.heads,
            editable: access.can_write() && editable_status(p.status),
            read_only: !access.can_write(),
            answers: p.answers,
            observations: p.observations,
            removed: p.removed,
        })
    }

    pub async fn answer(
        &self,
        walk: &str,
        item_id: &str,
        input: Option<AnswerInput>,
    ) -> Result<()> {
        let (_, device) = self.me()?;
        let id = parse_id(walk)?;
        let value = input.map(AnswerInput::into_value).transpose()?;
        if let Some(v) = &value {
            v.validate().map_err(|e| {
                let mut f = FieldErrors::default();
                for p in e.0 {
                    f.push(item_id, p.message);
                }
                AppError::Invalid(f)
            })?;
        }
        self.edit_document(id, |tx| match &value {
            Some(value) => {
                start_if_planned(tx)?;
                edit::set_answer(
                    tx,
                    item_id,
                    &Answer {
                        value: value.clone(),
                        answered_by: device.clone(),
                        answered_at: Timestamp::now(),
                    },
                )
            }
            None => edit::clear_answer(tx, item_id),
        })
        .await
    }

    /// What a person typed into a text item: `before` is what the field
    /// showed before the keystroke, so an edit from someone else that it has
    /// not shown yet is kept (see `edit::rebase_text_answer`).
    pub async fn answer_text(
        &self,
        walk: &str,
        item_id: &str,
        before: &str,
        text: &str,
    ) -> Result<()> {
        let (_, device) = self.me()?;
        let id = parse_id(walk)?;
        self.edit_document(id, |tx| {
            if !text.is_empty() {
                start_if_planned(tx)?;
            }
            edit::rebase_text_answer(tx, item_id, before, text, &device, Timestamp::now())
        })
        .await
    }

    /// The template a walk was started from, if this device has it.
    fn template_of(&self, walk: &Walk) -> Option<ChecklistTemplate> {
        let id = walk.template.doc_id.parse::<DocId>().ok()?;
        self.template(id).ok()
    }

    /// Required items of the walk's template that have no answer. Without
    /// the template (not synced yet, or its version unknown here) nobody can
    /// tell which items are required: that is an error, never "none".
    fn unanswered_required(&self, walk: &Walk) -> Result<Vec<String>> {
        let missing = || {
            AppError::NotFound(format!(
                "the checklist this walk follows (template {} version {}), so its required items cannot be checked",
                walk.template.doc_id, walk.template.version
            ))
        };
        let id = walk
            .template
            .doc_id
            .parse::<DocId>()
            .map_err(|_| missing())?;
        let template = self.template(id).map_err(|e| match e {
            AppError::NotFound(_) => missing(),
            other => other,
        })?;
        let version = template
            .version(walk.template.version)
            .ok_or_else(missing)?;
        Ok(version
            .items()
            .filter(|i| i.required && !walk.answers.contains_key(&i.id))
            .map(|i| i.id.clone())
            .collect())
    }

    /// Marks a walk completed; refused, naming each item, while required
    /// items are unanswered.
    pub async fn complete_walk(&self, walk: &str) -> Result<()> {
        let id = parse_id(walk)?;
        let (w, _) = self.read_walk(id).await?;
        self.with_client(async |c| {
            // A walk this device may only read is refused as such first.
            self.require_write(c, &id)?;
            let mut errors = FieldErrors::default();
            for item in self.unanswered_required(&w)? {
                errors.push(item, "required");
            }
            errors.into_result()?;
            c.edit(&id, |tx| {
                edit::set_walk_status(tx, WalkStatus::Completed, Timestamp::now())
            })
            .await?;
            Ok(())
        })
        .await
    }

    pub async fn set_walk_status(&self, walk: &str, status: &str) -> Result<()> {
        let id = parse_id(walk)?;
        let next: WalkStatus = status.parse().map_err(|e: String| invalid("status", e))?;
        if next == WalkStatus::Completed {
            return self.complete_walk(walk).await;
        }
        self.edit_document(id, |tx| edit::set_walk_status(tx, next, Timestamp::now()))
            .await
    }
}

/// Answering a planned walk starts it.
fn start_if_planned(tx: &mut impl edit::EditDoc) -> std::result::Result<(), trygg_core::DocError> {
    let status: WalkStatus =
        autosurgeon::hydrate_prop(&*tx, automerge::ROOT, "status").map_err(|e| {
            trygg_core::DocError::Malformed {
                kind: DocKind::Walk,
                detail: e.to_string(),
            }
        })?;
    if status == WalkStatus::Planned {
        edit::set_walk_status(tx, WalkStatus::InProgress, Timestamp::now())?;
    }
    Ok(())
}

/// Whether a walk in `status` takes answers and observations.
fn editable_status(status: WalkStatus) -> bool {
    matches!(status, WalkStatus::Planned | WalkStatus::InProgress)
}

/// The parts of a walk that changed since the heads a screen shows.
struct Parts {
    status: WalkStatus,
    heads: Vec<String>,
    /// `None`: cleared.
    answers: BTreeMap<String, Option<AnswerInput>>,
    observations: Vec<ObservationView>,
    removed: Vec<String>,
}

/// The changed parts of a walk since `before`; `None` when it must be read
/// whole (see [`walk_delta::since`]).
fn read_parts(
    d: &automerge::Automerge,
    id: &str,
    before: &[automerge::ChangeHash],
) -> std::result::Result<Option<Parts>, trygg_core::DocError> {
    let Some(changed) = walk_delta::since(d, before)? else {
        return Ok(None);
    };
    if changed.rest {
        return Ok(None);
    }
    let status: WalkStatus =
        autosurgeon::hydrate_prop(d, automerge::ROOT, "status").map_err(|e| {
            trygg_core::DocError::Malformed {
                kind: DocKind::Walk,
                detail: e.to_string(),
            }
        })?;
    let heads = d.get_heads().iter().map(|h| h.to_string()).collect();
    let mut answers = BTreeMap::new();
    for item in &changed.answers {
        let now = walk_delta::answer(d, item)?;
        answers.insert(item.clone(), now.map(|a| AnswerInput::from_value(&a.value)));
    }
    let (mut observations, mut removed) = (Vec::new(), Vec::new());
    for o in &changed.observations {
        match walk_delta::observation(d, o)? {
            Some(now) => observations.push(ObservationView::of(id, &now)),
            None => removed.push(o.clone()),
        }
    }
    Ok(Some(Parts {
        status,
        heads,
        answers,
        observations,
        removed,
    }))
}
