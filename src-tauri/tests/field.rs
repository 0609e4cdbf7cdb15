//! The app's behaviour without a window: `Field` on a real SQLite store in a
//! temporary folder, offline. Every refusal names its field; nothing a user
//! entered is lost across a restart.

use std::time::Duration;

use trygg_app::dto::*;
use trygg_app::error::AppError;
use trygg_app::field::Field;

fn fields(e: AppError) -> Vec<String> {
    match e {
        AppError::Invalid(f) => f.0.into_iter().map(|(field, _)| field).collect(),
        other => panic!("expected field errors, got {other:?}"),
    }
}

async fn eventually<T>(mut f: impl FnMut() -> Option<T>) -> T {
    for _ in 0..100 {
        if let Some(v) = f() {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("condition not met within 5 s");
}

fn place(id: &str) -> Option<LocationInput> {
    Some(LocationInput {
        place_id: Some(id.into()),
        ..Default::default()
    })
}

fn observation(category: &str, severity: u8, location: Option<LocationInput>) -> ObservationInput {
    ObservationInput {
        category: category.into(),
        severity,
        note: "Lampan vid porten är trasig".into(),
        location,
        photos: vec![],
        item_id: None,
    }
}

async fn onboarded(dir: &std::path::Path) -> Field {
    let field = Field::open(dir).await.unwrap();
    assert!(!field.info().onboarded);
    assert_eq!(
        fields(field.continue_offline(" ").await.unwrap_err()),
        ["organisation"]
    );
    field.continue_offline("demo-sdf-norr").await.unwrap();
    field
}

async fn start(field: &Field) -> String {
    let template = field.templates().await.unwrap().remove(0);
    field
        .start_walk(StartWalk {
            template_doc: template.doc_id,
            area: "jarva".into(),
            route_name: "Torget – tunneln".into(),
            light: "dark".into(),
            organisations: vec!["demo-polis".into()],
            start_now: true,
            exercise: false,
            planned_at: None,
        })
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_walk_from_start_to_completion_with_every_refusal_named() {
    let dir = tempfile::tempdir().unwrap();
    let field = onboarded(dir.path()).await;

    // Starting: missing route and unknown area and light are named.
    let template = field.templates().await.unwrap().remove(0);
    let err = field
        .start_walk(StartWalk {
            template_doc: template.doc_id.clone(),
            area: "atlantis".into(),
            route_name: "  ".into(),
            light: "dusk".into(),
            organisations: vec![],
            start_now: true,
            exercise: false,
            planned_at: None,
        })
        .await
        .unwrap_err();
    assert_eq!(fields(err), ["route_name", "area", "light"]);
    let id = start(&field).await;
    let walk = field.walk(&id).await.unwrap();
    assert_eq!(walk.status, "in_progress");
    assert_eq!(walk.organisations, ["demo-polis", "demo-sdf-norr"]);
    let items: Vec<ItemView> = walk.sections.iter().flat_map(|s| s.items.clone()).collect();
    assert!(items.len() > 5);

    // Completing with nothing answered names every required item.
    let required: Vec<String> = items
        .iter()
        .filter(|i| i.required)
        .map(|i| i.id.clone())
        .collect();
    assert!(!required.is_empty());
    assert_eq!(
        fields(field.complete_walk(&id).await.unwrap_err()),
        required
    );

    // A rating out of range is refused at its item.
    let rating = items.iter().find(|i| i.kind == "rating").unwrap();
    let err = field
        .answer(&id, &rating.id, Some(AnswerInput::Rating(9)))
        .await
        .unwrap_err();
    assert_eq!(fields(err), std::slice::from_ref(&rating.id));

    // A text item takes keystrokes on top of what the field showed: a
    // keystroke from a field that had not yet shown "tunnel" keeps it.
    let text_item = items
        .iter()
        .find(|i| i.kind == "text")
        .expect("a text item");
    for (before, after) in [
        ("", "Mörk"),
        ("Mörk", "Mörk tunnel"),
        ("Mörk", "Mycket mörk"),
    ] {
        field
            .answer_text(&id, &text_item.id, before, after)
            .await
            .unwrap();
    }
    let walk = field.walk(&id).await.unwrap();
    assert_eq!(
        walk.answers[&text_item.id],
        AnswerInput::Text("Mycket mörk tunnel".into())
    );
    // Typed empty, the item is unanswered again.
    field
        .answer_text(&id, &text_item.id, "Mycket mörk tunnel", "")
        .await
        .unwrap();
    assert!(
        !field
            .walk(&id)
            .await
            .unwrap()
            .answers
            .contains_key(&text_item.id)
    );

    for item in items.iter().filter(|i| i.required) {
        let answer = match item.kind.as_str() {
            "yes_no" => AnswerInput::YesNo("yes".into()),
            "rating" => AnswerInput::Rating(4),
            "number" => AnswerInput::Number(2.0),
            "choice" => AnswerInput::Choice("belysning".into()),
            "location" => AnswerInput::Location(place("jarva/rinkeby-torg").unwrap()),
            _ => AnswerInput::Text("Bra".into()),
        };
        field.answer(&id, &item.id, Some(answer)).await.unwrap();
    }

    // An observation without a place, without a category, with a bad severity.
    let err = field
        .add_observation(
            ObservationTarget::Walk { walk: id.clone() },
            observation("", 7, None),
        )
        .await
        .unwrap_err();
    assert_eq!(fields(err), ["category", "severity", "location"]);
    let err = field
        .add_observation(
            ObservationTarget::Walk { walk: id.clone() },
            observation("no-such-term", 2, place("x")),
        )
        .await
        .unwrap_err();
    assert_eq!(fields(err), ["category"]);

    // A photo: too large or not an image is refused before anything is kept.
    let big = vec![0u8; 20 * 1024 * 1024 + 1];
    assert!(matches!(
        field.add_photo(&big, "image/jpeg").await.unwrap_err(),
        AppError::PhotoTooLarge { .. }
    ));
    assert_eq!(
        fields(
            field
                .add_photo(b"%PDF-1.4", "application/pdf")
                .await
                .unwrap_err()
        ),
        ["photos"]
    );
    // HEIC is refused with a message that says how to get a JPEG.
    let heic = fields(
        field
            .add_photo(b"\0\0\0\x18ftypheic", "image/heic")
            .await
            .unwrap_err(),
    );
    assert_eq!(heic, ["photos"]);
    // A phone's WebP, with its position in EXIF and XMP, is kept as a plain JPEG.
    let webp = trygg_sync::photo::fixtures::webp_with_exif_and_xmp();
    let photo = field.add_photo(&webp, "image/webp").await.unwrap();
    assert_eq!(photo.media_type, "image/jpeg");
    let kept = field.photo(&photo.sha256).await.unwrap();
    assert_eq!(kept.len() as u64, photo.size);
    assert_eq!(
        trygg_sync::photo::metadata_found(&kept, "image/jpeg"),
        Ok(vec![])
    );

    let mut ok = observation("klotter", 3, place("jarva/rinkeby-torg"));
    ok.photos.push(photo);
    let saved = field
        .add_observation(ObservationTarget::Walk { walk: id.clone() }, ok)
        .await
        .unwrap();
    assert_eq!(saved.doc_id, id);

    // A note edit that builds on what the field showed.
    field
        .set_note(
            &id,
            &saved.id,
            "Lampan vid porten är trasig",
            "Lampan vid porten är trasig igen",
        )
        .await
        .unwrap();
    field.set_severity(&id, &saved.id, 4).await.unwrap();
    let walk = field.walk(&id).await.unwrap();
    let obs = &walk.observations[0];
    assert_eq!(
        (obs.note.as_str(), obs.severity, obs.photos.len()),
        ("Lampan vid porten är trasig igen", 4, 1)
    );

    field.complete_walk(&id).await.unwrap();
    assert_eq!(field.walk(&id).await.unwrap().status, "completed");
    let listed = eventually(|| {
        field
            .walks(WalkQuery {
                status: Some("completed".into()),
                area: Some("jarva".into()),
                ..Default::default()
            })
            .unwrap()
            .walks
            .into_iter()
            .find(|w| w.doc_id == id)
    })
    .await;
    assert_eq!(listed.observation_count, 1);

    // Restart: everything is still there.
    field.shutdown().await;
    drop(field);
    let again = Field::open(dir.path()).await.unwrap();
    assert!(again.info().onboarded);
    let walk = again.walk(&id).await.unwrap();
    assert_eq!(walk.status, "completed");
    assert_eq!(
        walk.observations[0].note,
        "Lampan vid porten är trasig igen"
    );
    assert!(walk.answers.len() >= required.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_walks_list_comes_a_page_at_a_time_and_finds_a_route_by_any_part() {
    let dir = tempfile::tempdir().unwrap();
    let field = onboarded(dir.path()).await;
    let template = field.templates().await.unwrap().remove(0);
    let routes = [
        "Östra parken",
        "Torget – tunneln",
        "Skolvägen",
        "Parkstråket",
        "Torget runt",
    ];
    for route in routes {
        field
            .start_walk(StartWalk {
                template_doc: template.doc_id.clone(),
                area: "jarva".into(),
                route_name: route.into(),
                light: "dark".into(),
                organisations: vec![],
                start_now: false,
                exercise: false,
                planned_at: None,
            })
            .await
            .unwrap();
    }
    let page = |route: Option<&str>, limit: Option<u32>| {
        field.walks(WalkQuery {
            route: route.map(String::from),
            limit,
            ..Default::default()
        })
    };
    eventually(|| (page(None, None).unwrap().walks.len() == routes.len()).then_some(())).await;

    let first = page(None, Some(2)).unwrap();
    assert_eq!((first.walks.len(), first.more), (2, true));
    let more = page(None, Some(4)).unwrap();
    assert_eq!((more.walks.len(), more.more), (4, true));
    assert_eq!(
        more.walks[..2],
        first.walks[..],
        "a longer page starts as the shorter one"
    );
    let all = page(None, Some(5)).unwrap();
    assert_eq!((all.walks.len(), all.more), (5, false));
    // The page size the UI steps by comes from here, not from a copy in the UI.
    assert_eq!(all.page, WALK_PAGE);

    let names = |p: WalkPage| {
        let mut n: Vec<String> = p.walks.into_iter().map(|w| w.route_name).collect();
        n.sort();
        n
    };
    assert_eq!(
        names(page(Some(" torget "), None).unwrap()),
        ["Torget runt", "Torget – tunneln"]
    );
    assert_eq!(
        names(page(Some("PARK"), None).unwrap()),
        ["Parkstråket", "Östra parken"]
    );
    assert_eq!(names(page(Some("öst"), None).unwrap()), ["Östra parken"]);
    assert!(page(Some("norr"), None).unwrap().walks.is_empty());
    for bad in [0, MAX_WALKS + 1] {
        assert_eq!(fields(page(None, Some(bad)).unwrap_err()), ["limit"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_walk_whose_checklist_is_not_on_the_device_cannot_be_completed() {
    let dir = tempfile::tempdir().unwrap();
    let field = onboarded(dir.path()).await;
    let template: trygg_core::DocId = field
        .templates()
        .await
        .unwrap()
        .remove(0)
        .doc_id
        .parse()
        .unwrap();
    let id = start(&field).await;
    field.shutdown().await;
    drop(field);
    // The template goes (as if this device never received it).
    let mut store = trygg_store::Store::open(Field::store_path(dir.path())).unwrap();
    store.forget(&[template]).unwrap();
    drop(store);

    let field = Field::open(dir.path()).await.unwrap();
    let err = field.complete_walk(&id).await.unwrap_err();
    assert!(
        matches!(&err, AppError::NotFound(what) if what.contains("required items cannot be checked")),
        "{err:?}"
    );
    assert_eq!(field.walk(&id).await.unwrap().status, "in_progress");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exercise_walk_is_marked_in_the_list_and_on_its_screen() {
    let dir = tempfile::tempdir().unwrap();
    let field = onboarded(dir.path()).await;
    let real = start(&field).await;
    let template = field.templates().await.unwrap().remove(0);
    let drill = field
        .start_walk(StartWalk {
            template_doc: template.doc_id,
            area: "jarva".into(),
            route_name: "Övningsrundan".into(),
            light: "daylight".into(),
            organisations: vec![],
            start_now: true,
            exercise: true,
            planned_at: None,
        })
        .await
        .unwrap();
    assert!(field.walk(&drill).await.unwrap().exercise);
    assert!(!field.walk(&real).await.unwrap().exercise);
    let listed = eventually(|| {
        let page = field.walks(WalkQuery::default()).unwrap();
        (page.walks.len() == 2).then_some(page.walks)
    })
    .await;
    for w in listed {
        assert_eq!(w.exercise, w.doc_id == drill, "{w:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn est_reports_gather_per_week_and_actions_follow_their_owner() {
    let dir = tempfile::tempdir().unwrap();
    let field = onboarded(dir.path()).await;

    let report = |area: &str| ObservationTarget::Report {
        area: area.into(),
        restricted: false,
        exercise: false,
    };
    assert_eq!(
        fields(
            field
                .add_observation(report("atlantis"), observation("brand", 4, place("x")))
                .await
                .unwrap_err()
        ),
        ["area"]
    );
    let first = field
        .add_observation(
            report("jarva"),
            observation("brand", 4, place("jarva/tensta-centrum")),
        )
        .await
        .unwrap();
    let second = field
        .add_observation(
            report("jarva"),
            observation("skadegorelse", 2, place("jarva/tensta-centrum")),
        )
        .await
        .unwrap();
    assert_eq!(first.doc_id, second.doc_id, "one report per area and week");
    let restricted = field
        .add_observation(
            ObservationTarget::Report {
                area: "jarva".into(),
                restricted: true,
                exercise: false,
            },
            observation("hot_och_vald", 3, place("jarva/tensta-centrum")),
        )
        .await
        .unwrap();
    assert_ne!(restricted.doc_id, first.doc_id, "restricted ones go apart");
    // An exercise's everyday observation goes into a report of its own,
    // marked, and the real report is left as it was.
    let drill = field
        .add_observation(
            ObservationTarget::Report {
                area: "jarva".into(),
                restricted: false,
                exercise: true,
            },
            observation("brand", 2, place("jarva/tensta-centrum")),
        )
        .await
        .unwrap();
    assert_ne!(drill.doc_id, first.doc_id, "an exercise is its own report");
    let recent = eventually(|| {
        let r = field.recent_reports().unwrap();
        (r.len() == 4).then_some(r)
    })
    .await;
    for r in &recent {
        assert_eq!(r.exercise, r.doc_id == drill.doc_id, "{r:?}");
    }

    // An action from the fire, for the housing company.
    let propose = |responsible: &str, description: &str, due: Option<&str>| ProposeAction {
        observation_doc: first.doc_id.clone(),
        observation_id: first.id.clone(),
        responsible_org: responsible.into(),
        description: description.into(),
        due_date: due.map(String::from),
    };
    let err = field
        .propose_action(propose("nobody", " ", Some("31/12")))
        .await
        .unwrap_err();
    assert_eq!(fields(err), ["description", "responsible_org", "due_date"]);
    let action = field
        .propose_action(propose(
            "demo-bostad",
            "Byt belysning vid garaget",
            Some("2027-01-31"),
        ))
        .await
        .unwrap();
    let listed = eventually(|| {
        field
            .actions()
            .unwrap()
            .into_iter()
            .find(|a| a.id == action)
    })
    .await;
    assert_eq!(listed.status, "proposed");
    assert_eq!(listed.description, "Byt belysning vid garaget");
    assert!(
        !listed.may_update,
        "a field device may not change its org's proposal"
    );
    // The same rule as the server's: refused before anything is written.
    assert!(matches!(
        field.set_action_status(&action, "accepted").await,
        Err(AppError::ReadOnly(_))
    ));
    assert!(matches!(
        fields(field.set_action_status(&action, "maybe").await.unwrap_err()).as_slice(),
        [f] if f == "status"
    ));
    assert_eq!(
        field
            .actions()
            .unwrap()
            .into_iter()
            .find(|a| a.id == action)
            .unwrap()
            .status,
        "proposed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pairing_with_an_unreachable_server_or_bad_address_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let field = Field::open(dir.path()).await.unwrap();
    assert_eq!(
        fields(field.pair("", "").await.unwrap_err()),
        ["server", "token"]
    );
    assert!(matches!(
        field.pair("http://[::1", "t").await.unwrap_err(),
        AppError::BadServerAddress(_)
    ));
    // Nothing listens on port 9 of the loopback.
    assert!(matches!(
        field.pair("127.0.0.1:9", "trygg_x").await.unwrap_err(),
        AppError::Unreachable(_)
    ));
    assert!(!field.info().onboarded, "a failed pairing changes nothing");
    assert!(matches!(
        field
            .walks(WalkQuery::default())
            .map(|p| (p.walks.len(), p.more)),
        Ok((0, false))
    ));
    assert!(matches!(
        field.walk("not-an-id").await.unwrap_err(),
        AppError::NotFound(_)
    ));
}

/// What a `walk_update` carried: heads, answers, observations, removed ids.
type Parts = (
    Vec<String>,
    std::collections::BTreeMap<String, Option<AnswerInput>>,
    Vec<ObservationView>,
    Vec<String>,
);

/// The parts a `walk_update` carries; panics on a whole walk.
fn parts(u: WalkUpdate) -> Parts {
    match u {
        WalkUpdate::Parts {
            heads,
            answers,
            observations,
            removed,
            ..
        } => (heads, answers, observations, removed),
        WalkUpdate::Whole { walk } => panic!("expected parts, got the whole walk {}", walk.id),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_walk_screen_reads_only_what_changed_since_the_heads_it_shows() {
    let dir = tempfile::tempdir().unwrap();
    let field = onboarded(dir.path()).await;
    let id = start(&field).await;
    let mut saved = Vec::new();
    for severity in 1..=3 {
        let s = field
            .add_observation(
                ObservationTarget::Walk { walk: id.clone() },
                observation("klotter", severity, place("jarva/rinkeby-torg")),
            )
            .await
            .unwrap();
        saved.push(s.id);
    }
    let shown = field.walk(&id).await.unwrap();

    // Nothing changed: nothing to redraw.
    let (heads, answers, observations, removed) =
        parts(field.walk_update(&id, &shown.heads).await.unwrap());
    assert_eq!(heads, shown.heads);
    assert!(answers.is_empty() && observations.is_empty() && removed.is_empty());

    // One note typed in: that observation alone, as the whole walk has it.
    field
        .set_note(
            &id,
            &saved[1],
            "Lampan vid porten är trasig",
            "Lampan vid porten är trasig!",
        )
        .await
        .unwrap();
    let rating = shown
        .sections
        .iter()
        .flat_map(|s| &s.items)
        .find(|i| i.kind == "rating")
        .unwrap()
        .id
        .clone();
    field
        .answer(&id, &rating, Some(AnswerInput::Rating(2)))
        .await
        .unwrap();
    let (heads, answers, observations, removed) =
        parts(field.walk_update(&id, &shown.heads).await.unwrap());
    let now = field.walk(&id).await.unwrap();
    assert_eq!(heads, now.heads);
    assert_eq!(observations.len(), 1, "{observations:?}");
    assert_eq!(observations[0].id, saved[1]);
    assert_eq!(
        serde_json::to_value(&observations[0]).unwrap(),
        serde_json::to_value(now.observations.iter().find(|o| o.id == saved[1]).unwrap()).unwrap()
    );
    assert_eq!(
        answers.into_iter().collect::<Vec<_>>(),
        [(rating.clone(), Some(AnswerInput::Rating(2)))]
    );
    assert!(removed.is_empty());

    // A cleared answer comes as `None`.
    field.answer(&id, &rating, None).await.unwrap();
    let (_, answers, observations, _) = parts(field.walk_update(&id, &now.heads).await.unwrap());
    assert_eq!(
        answers.into_iter().collect::<Vec<_>>(),
        [(rating.clone(), None)]
    );
    assert!(observations.is_empty());

    // Heads that are not this walk's, or not heads at all: the whole walk.
    for heads in [vec!["not a head".to_string()], vec!["00".repeat(32)]] {
        match field.walk_update(&id, &heads).await.unwrap() {
            WalkUpdate::Whole { walk } => assert_eq!(walk.observations.len(), 3),
            other => panic!("expected the whole walk, got {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planned_walk_keeps_its_date_and_a_date_that_has_passed_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let field = onboarded(dir.path()).await;
    let template = field.templates().await.unwrap().remove(0);
    let plan = |at: i64| StartWalk {
        template_doc: template.doc_id.clone(),
        area: "jarva".into(),
        route_name: "Nästa vecka".into(),
        light: "dark".into(),
        organisations: vec![],
        start_now: false,
        exercise: false,
        planned_at: Some(at),
    };
    let now = trygg_core::Timestamp::now().millis();
    let week = 7 * 86_400_000;
    assert_eq!(
        fields(field.start_walk(plan(now - week)).await.unwrap_err()),
        ["planned_at"]
    );
    let id = field.start_walk(plan(now + week)).await.unwrap();
    let walk = field.walk(&id).await.unwrap();
    assert_eq!(
        (walk.status.as_str(), walk.planned_at),
        ("planned", Some(now + week))
    );
    assert!(walk.groups.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_change_redraws_the_whole_walk() {
    let dir = tempfile::tempdir().unwrap();
    let field = onboarded(dir.path()).await;
    let template = field.templates().await.unwrap().remove(0);
    let id = field
        .start_walk(StartWalk {
            template_doc: template.doc_id,
            area: "jarva".into(),
            route_name: "Planerad runda".into(),
            light: "daylight".into(),
            organisations: vec![],
            start_now: false,
            exercise: false,
            planned_at: None,
        })
        .await
        .unwrap();
    let shown = field.walk(&id).await.unwrap();
    assert_eq!(shown.status, "planned");
    // Answering a planned walk starts it: not a part the screen can redraw alone.
    let item = shown.sections[0].items[0].clone();
    let answer = match item.kind.as_str() {
        "yes_no" => AnswerInput::YesNo("yes".into()),
        "rating" => AnswerInput::Rating(3),
        other => panic!("first item is a {other}"),
    };
    field.answer(&id, &item.id, Some(answer)).await.unwrap();
    match field.walk_update(&id, &shown.heads).await.unwrap() {
        WalkUpdate::Whole { walk } => assert_eq!(walk.status, "in_progress"),
        other => panic!("expected the whole walk, got {other:?}"),
    }
}
