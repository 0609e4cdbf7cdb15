//! Observations: in a walk, or in the organisation's report for its area
//! (restricted ones in a report of their own), and their notes and severity.

use super::*;

impl Field {
    fn check_observation(&self, input: &ObservationInput) -> Result<(Severity, Location, u64)> {
        let mut errors = FieldErrors::default();
        let vocabulary = self.vocabulary()?;
        if input.category.is_empty() {
            errors.push("category", "required");
        } else if let Some(v) = &vocabulary
            && !v.terms.contains_key(&input.category)
        {
            errors.push("category", "not in the vocabulary");
        }
        let severity = Severity::new(input.severity);
        if let Err(e) = &severity {
            errors.push("severity", e.clone());
        }
        let location = input.location.clone().map(LocationInput::into_location);
        match &location {
            None => errors.push("location", "required"),
            Some(l) => {
                if let Err(e) = l.validate() {
                    for p in e.0 {
                        errors.push("location", p.message);
                    }
                }
            }
        }
        for p in &input.photos {
            if let Err(e) = p.clone().into_ref().validate() {
                for problem in e.0 {
                    errors.push("photos", problem.message);
                }
            }
        }
        errors.into_result()?;
        Ok((
            severity.expect("checked"),
            location.expect("checked"),
            vocabulary.map_or(0, |v| v.version),
        ))
    }

    /// This week's EST report of the device's organisation for `area` (its
    /// exercise report with `exercise`).
    async fn report_for(
        &self,
        c: &SyncClient,
        area: &str,
        restricted: bool,
        exercise: bool,
    ) -> Result<DocId> {
        let (org, _) = self.me()?;
        let now = Timestamp::now();
        let week = iso_week(now);
        let sensitivity = if restricted {
            Sensitivity::Restricted
        } else {
            Sensitivity::Shared
        };
        // Exercise reports have keys of their own; real ones keep the keys
        // settings written before exercises existed hold.
        let key = if exercise {
            format!("{area}|{week}|{sensitivity}|{org}|exercise")
        } else {
            format!("{area}|{week}|{sensitivity}|{org}")
        };
        if let Some(id) = self.settings().est_reports.get(&key)
            && let Ok(id) = id.parse::<DocId>()
        {
            return Ok(id);
        }
        let report = Report {
            organisation: org,
            area: area.to_string(),
            sensitivity,
            walk: None,
            period: Some(week),
            created_at: now,
            observations: BTreeMap::new(),
            exercise,
        };
        let mut doc = document::create(&report)?;
        let id = DocId::random();
        let registration = RegisterDocument {
            id,
            kind: DocKind::Report,
            area: Some(area.to_string()),
            shared_with: BTreeSet::new(),
            restricted,
            responsible_org: None,
        };
        self.require_register(&registration)?;
        c.create(&mut doc, registration).await?;
        self.update_settings(|s| {
            s.est_reports.insert(key, id.to_string());
        })?;
        Ok(id)
    }

    /// Saves a new observation; durable on this device when it returns.
    pub async fn add_observation(
        &self,
        target: ObservationTarget,
        input: ObservationInput,
    ) -> Result<Saved> {
        if matches!(target, ObservationTarget::Report { .. }) {
            self.require_records()?;
        }
        let started = Instant::now();
        let (org, device) = self.me()?;
        if let ObservationTarget::Report { area, .. } = &target
            && !self.directory()?.areas.contains_key(area)
        {
            return Err(invalid("area", "required"));
        }
        let (severity, location, vocabulary_version) = self.check_observation(&input)?;
        let restricted = matches!(
            target,
            ObservationTarget::Report {
                restricted: true,
                ..
            }
        );
        let observation = Observation {
            id: new_entity_id(),
            category: input.category.clone(),
            vocabulary_version,
            severity,
            note: Text::with_value(input.note.as_str()),
            location: Some(location),
            observed_at: Timestamp::now(),
            recorded_by: device,
            organisation: org,
            photos: input
                .photos
                .iter()
                .cloned()
                .map(PhotoView::into_ref)
                .collect(),
            sensitivity: if restricted {
                Sensitivity::Restricted
            } else {
                Sensitivity::Shared
            },
            item_id: input.item_id.clone(),
        };
        let doc_id = self
            .with_client(async |c| {
                let id = match &target {
                    ObservationTarget::Walk { walk } => parse_id(walk)?,
                    ObservationTarget::Report {
                        area,
                        restricted,
                        exercise,
                    } => self.report_for(c, area, *restricted, *exercise).await?,
                };
                c.open(&id).await?;
                self.require_write(c, &id)?;
                c.edit(&id, |tx| edit::put_observation(tx, &observation))
                    .await?;
                Ok(id)
            })
            .await?;
        Ok(Saved {
            doc_id: doc_id.to_string(),
            id: observation.id,
            durable_us: started.elapsed().as_micros() as u64,
        })
    }

    /// Applies a note field's change from `before` to `text`, keeping edits
    /// from other devices that the field has not shown yet.
    pub async fn set_note(
        &self,
        doc: &str,
        observation: &str,
        before: &str,
        text: &str,
    ) -> Result<()> {
        let id = parse_id(doc)?;
        self.edit_document(id, |tx| edit::rebase_note(tx, observation, before, text))
            .await
    }

    pub async fn set_severity(&self, doc: &str, observation: &str, level: u8) -> Result<()> {
        let id = parse_id(doc)?;
        let severity = Severity::new(level).map_err(|e| invalid("severity", e))?;
        self.edit_document(id, |tx| edit::set_severity(tx, observation, severity))
            .await
    }

    /// The newest EST observations this device can see (outside walks).
    pub fn recent_reports(&self) -> Result<Vec<ReportSummary>> {
        let store = lock(&self.store);
        Ok(store
            .observations(&ObservationFilter {
                limit: Some(200),
                ..Default::default()
            })?
            .into_iter()
            .filter(|o| o.doc_kind == DocKind::Report.as_str())
            .take(50)
            .map(ReportSummary::from)
            .collect())
    }
}
