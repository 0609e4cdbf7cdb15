//! Actions: proposing one from observations, listing, changing status.

use super::*;

impl Field {
    pub async fn propose_action(&self, input: ProposeAction) -> Result<String> {
        let (org, _) = self.me()?;
        self.require_records()?;
        let mut errors = FieldErrors::default();
        if input.description.trim().is_empty() {
            errors.push("description", "required");
        }
        if input.responsible_org.is_empty() {
            errors.push("responsible_org", "required");
        } else if !self
            .directory()?
            .organisations
            .contains_key(&input.responsible_org)
        {
            errors.push("responsible_org", "unknown organisation");
        }
        let due_date = input.due_date.clone().filter(|d| !d.is_empty());
        if let Some(d) = &due_date
            && d.parse::<jiff::civil::Date>().is_err()
        {
            errors.push("due_date", "a date (YYYY-MM-DD)");
        }
        errors.into_result()?;
        let source = parse_id(&input.observation_doc)?;
        // The action is seen by the organisations of the walk it came from.
        let (area, partners) = self
            .with_client(async |c| {
                c.open(&source).await?;
                c.read(&source, |d| match document::read_any(d) {
                    Ok(AnyDocument::Walk(w)) => Ok((w.area, w.organisations.into_keys().collect())),
                    Ok(AnyDocument::Report(r)) => Ok((r.area, BTreeSet::new())),
                    Ok(_) => Err(invalid("observation_doc", "not a walk or report")),
                    Err(e) => Err(AppError::from(e)),
                })?
            })
            .await?;
        let partners: BTreeSet<String> = partners;
        let action = Action {
            observations: vec![ObservationRef {
                doc_id: input.observation_doc.clone(),
                observation_id: input.observation_id.clone(),
            }],
            responsible_org: input.responsible_org.clone(),
            proposed_by_org: org.clone(),
            area: area.clone(),
            description: Text::with_value(input.description.trim()),
            due_date,
            status: ActionStatus::Proposed,
            created_at: Timestamp::now(),
            comments: BTreeMap::new(),
        };
        action.validate()?;
        let mut doc = document::create(&action)?;
        let id = DocId::random();
        let shared_with = partners
            .into_iter()
            .filter(|o| *o != org && *o != input.responsible_org)
            .collect();
        let registration = RegisterDocument {
            id,
            kind: DocKind::Action,
            area: Some(area),
            shared_with,
            restricted: false,
            responsible_org: Some(input.responsible_org.clone()),
        };
        self.require_register(&registration)?;
        self.with_client(async |c| {
            c.create(&mut doc, registration).await?;
            Ok(())
        })
        .await?;
        Ok(id.to_string())
    }

    /// Actions this organisation must carry out, and those it proposed.
    pub fn actions(&self) -> Result<Vec<ActionView>> {
        let who = self.principal()?;
        let org = who.org.clone();
        let store = lock(&self.store);
        let mut rows = store.actions(&ActionFilter {
            responsible_org: Some(org.clone()),
            ..Default::default()
        })?;
        rows.extend(
            store
                .actions(&ActionFilter::default())?
                .into_iter()
                .filter(|a| a.proposed_by_org == org && a.responsible_org != org),
        );
        let mut out = Vec::new();
        for row in rows {
            let Ok(id) = row.doc_id.parse::<DocId>() else {
                continue;
            };
            let action = match store.load(id).and_then(|h| h.read::<Action>()) {
                Ok(a) => a,
                Err(_) => continue,
            };
            let description = action.description.as_str().to_string();
            let facts = access::access_of(id, &AnyDocument::Action(action), &org);
            out.push(ActionView {
                may_update: access::decide(&who, &facts).can_write(),
                id: row.doc_id,
                description,
                responsible_org: row.responsible_org,
                proposed_by_org: row.proposed_by_org,
                area: row.area,
                due_date: row.due_date,
                status: row.status,
                created_at: row.created_at,
            });
        }
        Ok(out)
    }

    pub async fn set_action_status(&self, action: &str, status: &str) -> Result<()> {
        let id = parse_id(action)?;
        let next: ActionStatus = status.parse().map_err(|e: String| invalid("status", e))?;
        self.edit_document(id, |tx| edit::set_action_status(tx, next))
            .await
    }
}
