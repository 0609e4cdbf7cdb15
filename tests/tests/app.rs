//! The field app end to end: the real `trygg-app` binary in an Xvfb window,
//! driven through tauri-driver + WebKitWebDriver, against a real
//! `trygg-server` on 127.0.0.1 with demo data; a police device (the Rust sync
//! client) edits the same walk at the same time. Before the app starts, a
//! coordinator renames a term and writes and publishes a new template
//! version in the dashboard (chromium); the app then walks on that version,
//! answers the question added in the editor with the renamed term, and
//! records an observation with it.
//!
//! Set `TRYGG_SCREENSHOTS=DIR` to keep the screenshots (docs/screenshots is
//! made that way; a relative DIR is taken from `tests/`, where tests run).

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, ensure};
use fantoccini::{Client, Locator};
use support::app::*;
use support::browser::Browser;
use support::people::add_person;
use support::server::{Server, add_device, admin, free_port};
use support::world::{eventually, observation};
use trygg_core::document;
use trygg_core::model::{Sensitivity, Walk, WalkStatus};
use trygg_core::{DocId, edit};
use trygg_sync::client::{ClientConfig, SyncClient};

const T: Duration = Duration::from_secs(20);

fn shots() -> Option<PathBuf> {
    std::env::var_os("TRYGG_SCREENSHOTS").map(PathBuf::from)
}

/// Takes the screen's screenshot (with `TRYGG_SCREENSHOTS`) and checks it
/// for accessibility (see [`Audit`]).
async fn shot(c: &Client, name: &str, audit: &mut Audit) -> Result<()> {
    if let Some(dir) = shots() {
        screenshot(c, &dir.join(format!("{name}.png"))).await?;
    }
    audit.check(c, name).await
}

/// Accessibility of every screen the test visits: axe-core (the copy the
/// UI's npm packages pin) finds no serious or critical WCAG 2.1 A/AA
/// violation, contrast included; every control a finger taps is at least
/// 44 × 44 CSS px; and the Tab key reaches every control, each showing
/// where the focus is. Problems are gathered over all screens and the test
/// fails at its end naming each one.
#[derive(Default)]
struct Audit {
    problems: Vec<String>,
}

const AXE_RUN: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] }, resultTypes: ["violations"] })
  .then((r) => done(r.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help}: ${v.nodes.slice(0, 4).map((n) => n.target.join(" ")).join(" | ")}`)))
  .catch((e) => done([`axe failed: ${e}`]));
"#;

/// Controls smaller than a fingertip (44 × 44 CSS px), as `tag#id.class WxH`.
const SMALL_TARGETS: &str = r##"
return [...document.querySelectorAll("button, a[href], input:not([type=hidden]), select, textarea, label.file-button, [role=button]")]
  // A check box, radio button or file input is tapped through its label.
  .map((el) => (el.matches("input[type=checkbox], input[type=radio], input[type=file]") && el.closest("label")) || el)
  .filter((el, i, all) => all.indexOf(el) === i)
  .filter((el) => {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0 || getComputedStyle(el).visibility === "hidden") return false;
    return r.width < 44 || r.height < 44;
  })
  .slice(0, 8)
  .map((el) => {
    const r = el.getBoundingClientRect();
    const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "");
    return `${name} ${Math.round(r.width)}×${Math.round(r.height)}`;
  });
"##;

/// Marks every control a person can use now (shown, enabled) with
/// `data-kbd` and returns how many there are; a group of radio buttons is
/// one stop for the Tab key (arrow keys move within it), so it counts once.
const KEYBOARD_MARK: &str = r#"
document.activeElement?.blur();
const stops = new Map();
for (const el of document.querySelectorAll("button, a[href], input:not([type=hidden]), select, textarea, [tabindex]")) {
  delete el.dataset.kbd;
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.height === 0 || getComputedStyle(el).visibility === "hidden" || el.disabled) continue;
  const key = el.type === "radio" ? `radio:${el.name}` : String(stops.size);
  if (!stops.has(key)) stops.set(key, el);
  el.dataset.kbd = key;
}
return stops.size;
"#;

/// The focused control: its mark, whether a focus ring shows (on it, or on
/// the label a check box or file input is drawn as; on the label alone when
/// the control itself is invisible), and a name for it.
const FOCUSED: &str = r##"
const el = document.activeElement;
if (!el || el === document.body) return null;
const ring = (e) => {
  const s = getComputedStyle(e);
  return (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== "none";
};
const label = el.matches("input[type=checkbox], input[type=radio], input[type=file]") ? el.closest("label") : null;
// A control drawn as its label (a file input kept invisible inside it) shows its focus there.
const box = el.getBoundingClientRect();
const invisible = parseFloat(getComputedStyle(el).opacity) === 0 || box.width < 4 || box.height < 4;
const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + (el.className && typeof el.className === "string" ? "." + el.className.trim().split(/\s+/).join(".") : "");
return { kbd: el.dataset.kbd ?? null, ring: invisible ? label !== null && ring(label) : ring(el) || (label !== null && ring(label)), name: `${name} "${(el.textContent || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 30)}"` };
"##;

/// The controls no Tab reached, named.
const UNREACHED: &str = r##"
const reached = new Set(arguments[0]);
return [...document.querySelectorAll("[data-kbd]")]
  .filter((el) => !reached.has(el.dataset.kbd))
  .slice(0, 8)
  .map((el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") + ` "${(el.textContent || el.getAttribute("aria-label") || "").trim().slice(0, 30)}"`);
"##;

impl Audit {
    /// Tabs through the screen from its start: every marked control must
    /// get the focus, and show it.
    async fn keyboard(&mut self, c: &Client, screen: &str) -> Result<()> {
        use fantoccini::actions::{InputSource, KeyAction, KeyActions};
        use fantoccini::key::Key;
        let stops = c
            .execute(KEYBOARD_MARK, vec![])
            .await?
            .as_u64()
            .context("the number of controls")?;
        let mut reached = std::collections::BTreeSet::new();
        let mut no_ring = Vec::new();
        for _ in 0..stops + 2 {
            let tab = KeyActions::new("keyboard".into())
                .then(KeyAction::Down {
                    value: Key::Tab.into(),
                })
                .then(KeyAction::Up {
                    value: Key::Tab.into(),
                });
            c.perform_actions(tab).await?;
            let focused = c.execute(FOCUSED, vec![]).await?;
            if let Some(kbd) = focused["kbd"].as_str() {
                reached.insert(kbd.to_string());
                if focused["ring"] != true {
                    no_ring.push(focused["name"].as_str().unwrap_or("?").to_string());
                }
            }
        }
        let reached: Vec<String> = reached.into_iter().collect();
        println!(
            "keyboard: {screen}: {} of {stops} controls reached with Tab",
            reached.len()
        );
        let unreached = c
            .execute(UNREACHED, vec![serde_json::json!(reached)])
            .await?;
        for v in unreached.as_array().context("unreached controls")? {
            self.problems.push(format!(
                "{screen}: the Tab key does not reach {}",
                v.as_str().unwrap_or("?")
            ));
        }
        no_ring.dedup();
        for name in no_ring.into_iter().take(8) {
            self.problems
                .push(format!("{screen}: no focus ring on {name}"));
        }
        Ok(())
    }

    async fn check(&mut self, c: &Client, screen: &str) -> Result<()> {
        let axe = std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../ui/node_modules/axe-core/axe.min.js"),
        )
        .context("axe-core from ui/node_modules (scripts/setup.sh installs it)")?;
        c.execute(&axe, vec![]).await?;
        let found = c.execute_async(AXE_RUN, vec![]).await?;
        for v in found.as_array().context("axe's answer")? {
            self.problems
                .push(format!("{screen}: {}", v.as_str().unwrap_or("?")));
        }
        let small = c.execute(SMALL_TARGETS, vec![]).await?;
        for v in small.as_array().context("the targets' sizes")? {
            self.problems.push(format!(
                "{screen}: target under 44 × 44 px: {}",
                v.as_str().unwrap_or("?")
            ));
        }
        self.keyboard(c, screen).await
    }

    fn clean(&self) -> Result<()> {
        ensure!(
            self.problems.is_empty(),
            "accessibility problems:\n{}",
            self.problems.join("\n")
        );
        Ok(())
    }
}

async fn attr(c: &Client, css: &str, name: &str) -> Result<String> {
    Ok(wait_for(c, css, T)
        .await?
        .attr(name)
        .await?
        .unwrap_or_default())
}

/// Answers every item the way a finger would: yes, a rating, a short text.
/// Each answer re-renders the walk, so every item is looked up afresh.
/// Buttons draw their icons as inline SVG: no arrow, check mark, symbol or
/// emoji character a device's fonts may lack.
async fn icons_are_drawn(c: &Client, screen: &str) -> Result<()> {
    let glyphs = c
        .execute(
            r"return [...document.querySelectorAll('button, label')].map(b => b.textContent).filter(t => /[\u2190-\u2BFF\u{1F000}-\u{1FFFF}]/u.test(t))",
            vec![],
        )
        .await?;
    ensure!(
        glyphs.as_array().is_some_and(|g| g.is_empty()),
        "{screen}: buttons with glyph icons: {glyphs}"
    );
    Ok(())
}

/// Every field a person fixed has lost its message.
async fn no_messages_left(c: &Client, form: &str) -> Result<()> {
    let left = c
        .execute(
            "return [...document.querySelectorAll('[data-error-for]')].map(e => e.dataset.errorFor + ': ' + e.textContent)",
            vec![],
        )
        .await?;
    ensure!(
        left.as_array().is_some_and(|l| l.is_empty()),
        "{form} still shows messages after its fields were fixed: {left}"
    );
    Ok(())
}

async fn answer_items(c: &Client) -> Result<usize> {
    let items = c
        .execute(
            "return [...document.querySelectorAll('.item')].map(i => [i.dataset.item, i.dataset.kind]);",
            vec![],
        )
        .await?;
    let items: Vec<(String, String)> = serde_json::from_value(items)?;
    let mut answered = 0;
    for (id, kind) in items {
        let control = match kind.as_str() {
            "yes_no" => "[data-answer='yes']",
            "rating" => "[data-rating='4']",
            "text" => "textarea",
            _ => continue,
        };
        let css = format!(".item[data-item='{id}'] {control}");
        if kind == "text" {
            type_into(c, &css, "Bra belysning vid entrén").await?;
        } else {
            click(c, &css).await?;
        }
        wait_for(
            c,
            &format!(".item[data-item='{id}'][data-answered='true']"),
            T,
        )
        .await?;
        answered += 1;
    }
    Ok(answered)
}

/// A question the coordinator adds in the template editor.
const EDITED_QUESTION: &str = "Vilken skadegörelse syns mest vid entrén?";

/// What a coordinator does in the dashboard before the walk, in chromium
/// (the commands its browser tests use): renames `klotter`, imports the
/// shipped park XLSForm as draft version 2 of the district's template, adds
/// a choice question of the renamed term's group in the editor, saves and
/// publishes it.
fn coordinator_changes_the_checklist(data: &std::path::Path, server: &Server) -> Result<()> {
    let (_, link) = add_person(
        data,
        &server.base(),
        "demo-sdf-norr",
        "coordinator",
        "Samordnare (app-test)",
    );
    let mut browser = Browser::open(&link, data)?;
    browser.next()?;
    browser.ask(serde_json::json!({ "vocabulary": true }))?;
    let renamed = browser.ask(serde_json::json!({ "vocab_edit": {
        "code": "klotter", "label_sv": "Klotter och tags", "label_en": "Graffiti and tags",
        "definition_sv": "Klotter och tags på väggar, skyltar och utrustning."
    }}))?;
    ensure!(
        renamed["message"]
            .as_str()
            .is_some_and(|m| m.contains("version")),
        "rename: {renamed}"
    );
    browser.ask(serde_json::json!({ "templates": true }))?;
    let form = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs/examples/xlsform/trygghetsvandring-park.xlsx");
    let imported =
        browser.ask(serde_json::json!({ "tpl_import": { "file": form, "go": true } }))?;
    ensure!(
        imported["facts"]
            .as_str()
            .is_some_and(|f| f.contains("version 2")),
        "import: {imported}"
    );
    let template = trygg_core::seed::DEFAULT_TEMPLATE_ID;
    let opened = browser.ask(serde_json::json!({ "tpl_open": [template, 2] }))?;
    // The first section's questions: the new one goes after them.
    let asked = opened["fields"]
        .as_object()
        .context("the editor's fields")?
        .keys()
        .filter(|k| k.starts_with("sections.0.items.") && k.ends_with(".kind"))
        .count();
    browser.ask(serde_json::json!({ "tpl_click": ["item-add", "sections.0"] }))?;
    let at = format!("sections.0.items.{asked}");
    let filled = browser.ask(serde_json::json!({ "tpl_fill": {
        format!("{at}.kind"): "choice",
        format!("{at}.prompt_sv"): EDITED_QUESTION,
        format!("{at}.vocabulary_group"): "underhall",
    } }))?;
    let shown = filled["preview"][0]["items"][asked].clone();
    ensure!(
        shown[1] == EDITED_QUESTION
            && shown[2]
                .as_array()
                .is_some_and(|o| o.iter().any(|o| o == "Klotter och tags")),
        "the preview offers the renamed term: {filled}"
    );
    let saved = browser.ask(serde_json::json!({ "tpl_save": {} }))?;
    ensure!(
        saved["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("Utkast version 2 är sparat")),
        "save: {saved}"
    );
    let published = browser.ask(serde_json::json!({ "tpl_publish": [template, 2] }))?;
    ensure!(
        published["message"]
            .as_str()
            .is_some_and(|m| m.contains("Version 2")),
        "publish: {published}"
    );
    browser.finish()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_walk_recorded_in_the_app_reaches_the_server_and_converges_with_another_device()
-> Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("server");
    std::fs::create_dir_all(&data)?;
    admin(&data, &["demo-data", "--walks", "3"]);
    let tablet = add_device(&data, "demo-sdf-norr", "field");
    let police = add_device(&data, "demo-polis", "field");
    let checker = add_device(&data, "demo-polis", "field");
    let server = Server::start(&data, free_port(), &[]);
    coordinator_changes_the_checklist(&data, &server)?;

    let display = Display::start()?;
    let app_data = dir.path().join("app");
    let driver = Driver::start(&display, &app_data, dir.path().join("tauri-driver.log"))?;
    let c = driver.session().await?;
    let mut audit = Audit::default();

    // First run: the pairing screen; a wrong token is refused inline.
    wait_for(&c, "#pairing", T).await?;
    shot(&c, "1-first-run", &mut audit).await?;
    type_into(&c, "#pair-server", server.base().as_str()).await?;
    type_into(&c, "#pair-token", "trygg_not-a-token").await?;
    click(&c, "#pair-connect").await?;
    wait_for(&c, "[data-error-for='token']", T).await?;
    c.find(Locator::Css("#pair-token")).await?.clear().await?;
    type_into(&c, "#pair-token", &tablet.token).await?;
    click(&c, "#pair-connect").await?;

    // The walks list, with the demo walks synced from the server.
    wait_for(&c, "#walk-list[data-ready]", T).await?;
    wait_js(
        &c,
        "document.querySelectorAll('[data-walk-id]').length >= 3",
        T,
    )
    .await
    .context("demo walks synced to the app")?;
    wait_for(&c, "#sync-indicator[data-connection='all_on_server']", T).await?;
    // Every walk's area by its name, never its code.
    wait_js(
        &c,
        "[...document.querySelectorAll('.walk-row')].every(r => r.dataset.area && !r.textContent.includes(r.dataset.area) && !r.textContent.includes('Okänt område'))",
        T,
    )
    .await
    .context("the walks list names every area")?;
    icons_are_drawn(&c, "the walks list").await?;
    shot(&c, "2-walks", &mut audit).await?;

    // The token is not in settings.json; with no keyring here it is a file
    // only the user may read.
    let settings = std::fs::read_to_string(app_data.join("settings.json"))?;
    ensure!(
        !settings.contains(&tablet.token),
        "settings.json holds the token"
    );
    let token_file = app_data.join("token");
    let mode = std::fs::metadata(&token_file)
        .context("the token file")?
        .permissions()
        .mode()
        & 0o777;
    ensure!(mode == 0o600, "the token file is {mode:o}, not 600");
    ensure!(std::fs::read_to_string(&token_file)?.trim() == tablet.token);

    // Start a walk: template, area, route, dark, the police with us. The
    // template is the version the coordinator published (synced by now, or
    // the form is opened again until it is).
    let deadline = std::time::Instant::now() + T;
    loop {
        // Back to the top, as a person would: after the keyboard audit the
        // longer list (the demo's exercise walks) is scrolled, and the
        // button would sit under the sticky top bar.
        c.execute("window.scrollTo(0, 0)", vec![]).await?;
        click(&c, "#new-walk").await?;
        wait_for(&c, "#new-walk-form", T).await?;
        let offered = wait_js(
            &c,
            "document.querySelector('#nw-template option')?.textContent ?? null",
            T,
        )
        .await?;
        if offered.as_str().is_some_and(|o| o.ends_with("(v2)")) {
            break;
        }
        ensure!(
            std::time::Instant::now() < deadline,
            "the app does not offer template version 2: {offered}"
        );
        click(&c, "#nav-walks").await?;
        wait_for(&c, "#walk-list[data-ready]", T).await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    click(&c, "#nw-start").await?;
    wait_for(&c, "[data-error-for='area']", T)
        .await
        .context("an empty form names the missing area")?;
    choose(&c, "#nw-area", "jarva").await?;
    type_into(&c, "#nw-route", "Rinkeby torg – tunneln (e2e)").await?;
    click(&c, "[data-light='dark']").await?;
    click(&c, "input[data-org='demo-polis']").await?;
    no_messages_left(&c, "the start-walk form").await?;
    shot(&c, "3-start-walk", &mut audit).await?;
    click(&c, "#nw-start").await?;
    let walk_id = attr(&c, "#walk[data-walk-id]", "data-walk-id").await?;
    let walk_doc: DocId = walk_id.parse().context("walk id")?;

    icons_are_drawn(&c, "the walk").await?;
    // Completing with nothing answered names the required items.
    click(&c, "#complete-walk").await?;
    wait_for(&c, "#missing-required", T).await?;
    ensure!(
        !c.find_all(Locator::Css(".item.missing")).await?.is_empty(),
        "required items are marked"
    );

    // The new version's questions, its note as the help of the question after it.
    wait_for(
        &c,
        "#walk .item[data-item='entre_upplyst'][data-kind='yes_no']",
        T,
    )
    .await
    .context("the walk asks the questions of template version 2")?;
    let answered = answer_items(&c).await?;
    ensure!(answered >= 3, "answered {answered} items");
    // The question added in the editor, offering the renamed term by its new name.
    let edited = wait_js(
        &c,
        &format!(
            "[...document.querySelectorAll('#walk .item[data-kind=choice]')].find(i => i.querySelector('.prompt').textContent === {EDITED_QUESTION:?})?.dataset.item ?? null"
        ),
        T,
    )
    .await
    .context("the walk asks the question added in the editor")?;
    let edited = edited.as_str().context("its id")?.to_string();
    let choice = format!("#walk .item[data-item='{edited}'] select");
    let offered = wait_js(
        &c,
        &format!(
            "document.querySelector(\"{choice} option[value='klotter']\")?.textContent ?? null"
        ),
        T,
    )
    .await?;
    ensure!(
        offered == "Klotter och tags",
        "the edited question offers the renamed term: {offered}"
    );
    choose(&c, &choice, "klotter").await?;
    wait_for(
        &c,
        &format!("#walk .item[data-item='{edited}'][data-answered='true']"),
        T,
    )
    .await?;
    wait_js(
        &c,
        "[...document.querySelectorAll('.item[data-required=true]')].every(i => i.dataset.answered === 'true' || !['yes_no','rating','text'].includes(i.dataset.kind))",
        T,
    )
    .await?;

    // An observation with a photo file: category by search, severity, note, place.
    click(&c, "#add-observation").await?;
    wait_for(&c, "#observation-form", T).await?;
    click(&c, "#obs-save").await?;
    wait_for(&c, "[data-error-for='location']", T)
        .await
        .context("an empty observation names the missing location")?;
    type_into(&c, "#obs-search", "tags").await?;
    let renamed = wait_js(
        &c,
        "document.querySelector(\".term[data-code='klotter']\")?.textContent ?? null",
        T,
    )
    .await?;
    ensure!(
        renamed
            .as_str()
            .is_some_and(|t| t.contains("Klotter och tags")),
        "the search finds the renamed term by its new name: {renamed}"
    );
    click(&c, ".term[data-code='klotter']").await?;
    click(&c, "[data-severity='3']").await?;
    type_into(&c, "#obs-note", "Klotter på tunnelns norra vägg").await?;
    choose(&c, "#obs-place", "jarva/rinkeby-torg").await?;
    // No position fix here (no GPS under Xvfb): the position is picked on
    // the map, which shows the walk's area outlined.
    wait_for(&c, "#obs-map .district.current[data-area='jarva']", T)
        .await
        .context("the observation form's map outlines the walk's area")?;
    click(&c, "#obs-map svg").await?;
    let lat: f64 = attr(&c, "#obs-map[data-lat]", "data-lat").await?.parse()?;
    let lon: f64 = attr(&c, "#obs-map[data-lon]", "data-lon").await?.parse()?;
    ensure!(
        (59.36..59.44).contains(&lat) && (17.75..18.0).contains(&lon),
        "a tap on the map's middle picks a place in Järva, not ({lat}, {lon})"
    );
    let position = wait_js(
        &c,
        "document.querySelector('#obs-position').textContent || null",
        T,
    )
    .await?;
    ensure!(
        position
            .as_str()
            .is_some_and(|p| p.contains("vald på kartan")),
        "the form says the position was picked on the map: {position}"
    );
    let photo_path = dir.path().join("tunnel.jpg");
    // As a phone writes it: EXIF with GPS, XMP, a comment, a second picture.
    std::fs::write(
        &photo_path,
        trygg_sync::photo::fixtures::multi_picture_jpeg(),
    )?;
    wait_for(&c, "#obs-photo", T)
        .await?
        .send_keys(photo_path.to_str().unwrap())
        .await
        .context("choosing a photo file")?;
    let shown = wait_js(
        &c,
        "document.querySelector('#obs-photos .photo-thumb') ? 'thumb' : document.querySelector(\"[data-error-for='photos']\")?.textContent",
        T,
    )
    .await?;
    ensure!(shown == "thumb", "the photo was stored: {shown}");
    let drawn = wait_js(
        &c,
        "(() => { const i = document.querySelector('#obs-photos .photo-thumb'); return i.dataset.error ?? (i.complete && i.naturalWidth > 0 ? 'drawn' : null); })()",
        T,
    )
    .await?;
    ensure!(
        drawn == "drawn",
        "the photo's thumbnail shows the picture: {drawn}"
    );
    no_messages_left(&c, "the observation form").await?;
    wait_for(&c, ".file-button svg.icon-camera", T).await?;
    icons_are_drawn(&c, "the observation form").await?;
    shot(&c, "4-observation", &mut audit).await?;
    click(&c, "#obs-save").await?;
    wait_js(
        &c,
        "document.querySelector('#walk')?.dataset.observations === '1'",
        T,
    )
    .await?;
    // Its pin on the walk's map, coloured by its severity.
    wait_for(&c, "#walk-map[data-pins='1'] .pin.sev-3", T)
        .await
        .context("the walk's map shows the observation as a severity-3 pin")?;
    // A tap on the pin shows its observation in the list.
    click(&c, "#walk-map .pin.sev-3").await?;
    wait_for(&c, "#walk .observation.flash", T)
        .await
        .context("a tap on the pin shows its observation in the list")?;

    // A mark on a checklist item the coming changes leave alone: a screen
    // that redraws only what changed keeps this very element.
    c.execute(
        "document.querySelector('#walk .item[data-item]').dataset.probe = 'kept'",
        vec![],
    )
    .await?;

    // Meanwhile the police tablet (the Rust client) opens the same walk and
    // edits it while the district keeps typing.
    let police_dir = dir.path().join("police");
    std::fs::create_dir_all(&police_dir)?;
    let mut cfg = ClientConfig::new(server.base(), &police.token, &police.id);
    cfg.refresh_every = Duration::from_millis(300);
    let police_client =
        SyncClient::start(police_dir.join("device.db"), police_dir.join("photos"), cfg).await?;
    ensure!(
        eventually(T, || police_client.open_documents().contains(&walk_doc)).await,
        "the walk reached the police device"
    );
    let police_obs = observation(
        "demo-polis",
        &police.id,
        "Narkotikahandel vid trappan",
        Sensitivity::Shared,
    );
    police_client
        .edit(&walk_doc, |tx| edit::put_observation(tx, &police_obs))
        .await?;
    let obs_id = wait_js(
        &c,
        "document.querySelector('.observation[data-obs-id]')?.dataset.obsId",
        T,
    )
    .await?
    .as_str()
    .unwrap_or_default()
    .to_string();
    // Both edit the same note at once: the police at its start, the app at its end.
    police_client
        .edit(&walk_doc, |tx| {
            edit::splice_note(tx, &obs_id, 0, 0, "Polisen: ")
        })
        .await?;
    c.find(Locator::Css(&format!("textarea[data-key='note:{obs_id}']")))
        .await?
        .send_keys(" (sanerat?)")
        .await?;

    // Live: the police observation appears in the open walk without a reload.
    wait_js(
        &c,
        "document.querySelector('#walk')?.dataset.observations === '2'",
        T,
    )
    .await
    .context("the police observation appeared live")?;
    wait_for(&c, "#walk-map[data-pins='2']", T)
        .await
        .context("the police observation's pin appeared live")?;
    ensure!(
        c.execute(
            "return document.querySelector('#walk .item[data-probe=kept]') !== null",
            vec![]
        )
        .await?
            == serde_json::json!(true),
        "the live change redrew only the observations, not the checklist"
    );
    ensure!(
        police_client.all_on_server(T).await,
        "police edits on the server"
    );

    // Both end equal: same heads, same note with both edits.
    let equal = async {
        for _ in 0..200 {
            let app_heads = attr(&c, "#walk", "data-heads").await?;
            let mut ours: Vec<String> = police_client.read(&walk_doc, |d| {
                d.get_heads().iter().map(|h| h.to_string()).collect()
            })?;
            ours.sort();
            let mut theirs: Vec<String> = app_heads.split(',').map(String::from).collect();
            theirs.sort();
            if ours == theirs {
                return Ok::<_, anyhow::Error>(true);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(false)
    };
    ensure!(
        equal.await?,
        "the app and the police device have the same heads"
    );
    let note = wait_js(
        &c,
        &format!("document.querySelector(\"textarea[data-key='note:{obs_id}']\").value"),
        T,
    )
    .await?;
    ensure!(
        note == "Polisen: Klotter på tunnelns norra vägg (sanerat?)",
        "both note edits survive: {note}"
    );
    let police_note = police_client.read(&walk_doc, |d| {
        document::read::<Walk, _>(d).map(|w| w.observations[&obs_id].note.as_str().to_string())
    })??;
    ensure!(
        police_note == note,
        "the police see the same note: {police_note}"
    );
    shot(&c, "5-walk", &mut audit).await?;

    // Complete the walk.
    click(&c, "#complete-walk").await?;
    wait_for(&c, "#walk[data-status='completed']", T).await?;
    wait_for(
        &c,
        "#sync-indicator[data-connection='all_on_server'][data-photos='0']",
        T,
    )
    .await
    .context("the indicator says everything, photos too, is on the server")?;

    // On the server: a device that never saw the app pulls the walk.
    let check_dir = dir.path().join("checker");
    std::fs::create_dir_all(&check_dir)?;
    let checker_client = SyncClient::start(
        check_dir.join("device.db"),
        check_dir.join("photos"),
        ClientConfig::new(server.base(), &checker.token, &checker.id),
    )
    .await?;
    checker_client.refresh().await?;
    checker_client
        .open(&walk_doc)
        .await
        .with_context(|| format!("server log:\n{}", server.log_text()))?;
    let arrived = eventually(T, || {
        checker_client
            .read(&walk_doc, document::read::<Walk, _>)
            .ok()
            .and_then(Result::ok)
            .is_some_and(|w| w.status == WalkStatus::Completed && w.observations.len() == 2)
    })
    .await;
    ensure!(
        arrived,
        "the completed walk with both observations is on the server"
    );
    let walk: Walk = checker_client.read(&walk_doc, document::read)??;
    ensure!(walk.route_name == "Rinkeby torg – tunneln (e2e)");
    ensure!(
        walk.template.version == 2,
        "the walk follows version {}",
        walk.template.version
    );
    ensure!(walk.organisations.contains_key("demo-polis"));
    ensure!(
        walk.answers.len() >= answered,
        "answers on the server: {}",
        walk.answers.len()
    );
    ensure!(
        walk.answers
            .get(&edited)
            .is_some_and(|a| a.value == trygg_core::model::AnswerValue::Choice("klotter".into())),
        "the edited question's answer on the server: {:?}",
        walk.answers.get(&edited).map(|a| &a.value)
    );
    let ours = &walk.observations[&obs_id];
    ensure!(ours.category == "klotter" && ours.severity.level() == 3);
    let photo = ours.photos.first().context("the photo reference")?;
    let bytes = checker_client.api()?.get_photo(&photo.sha256).await?;
    ensure!(
        bytes.len() as u64 == photo.size,
        "the photo's bytes are on the server"
    );
    let left = trygg_sync::photo::metadata_found(&bytes, &photo.media_type)?;
    ensure!(left.is_empty(), "the uploaded photo still carries {left:?}");

    // An EST report outside a walk lands in the same picture.
    click(&c, "#nav-report").await?;
    click(&c, "#report-new").await?;
    choose(&c, "#obs-area", "jarva").await?;
    type_into(&c, "#obs-search", "brand").await?;
    click(&c, ".term[data-code='brand']").await?;
    click(&c, "[data-severity='4']").await?;
    choose(&c, "#obs-place", "jarva/tensta-centrum").await?;
    type_into(&c, "#obs-note", "Bilbrand på parkeringen").await?;
    shot(&c, "6-report", &mut audit).await?;
    click(&c, "#obs-save").await?;
    wait_js(
        &c,
        "document.querySelectorAll('#report-list .observation').length >= 1",
        T,
    )
    .await
    .context("the EST report is listed")?;

    // Swedish first, English through the translation files.
    click(&c, "#nav-settings").await?;
    click(&c, "[data-lang='en']").await?;
    wait_js(
        &c,
        "document.querySelector('#nav-walks')?.textContent === 'Walks'",
        T,
    )
    .await?;
    click(&c, "[data-lang='sv']").await?;
    wait_js(
        &c,
        "document.querySelector('#nav-walks')?.textContent === 'Vandringar'",
        T,
    )
    .await?;
    audit.check(&c, "settings").await?;

    // The walks list finds a route by part of its name, in any case.
    click(&c, "#nav-walks").await?;
    wait_for(&c, "#walk-search", T).await?;
    type_into(&c, "#walk-search", "TUNNELN (E2E").await?;
    wait_js(
        &c,
        "(() => { const rows = [...document.querySelectorAll('.walk-row')]; return rows.length === 1 && rows[0].dataset.walkId === '__WALK__'; })()".replace("__WALK__", &walk_id).as_str(),
        T,
    )
    .await
    .context("searching the route finds the walk and only it")?;
    ensure!(
        c.find(Locator::Css("#walks-more"))
            .await?
            .attr("hidden")
            .await?
            .is_some(),
        "no \"show more\" with everything shown"
    );

    let (app_kib, web_kib) = app_memory_kib();
    println!(
        "app memory: trygg-app {} MiB, WebKit processes {} MiB",
        app_kib / 1024,
        web_kib / 1024
    );
    audit.clean()?;
    c.close().await?;
    checker_client.stop().await;
    police_client.stop().await;
    drop(driver);
    drop(display);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_first_run_records_a_walk_that_survives_a_restart() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let display = Display::start()?;
    let app_data = dir.path().join("app");
    let driver = Driver::start(&display, &app_data, dir.path().join("tauri-driver.log"))?;

    let c = driver.session().await?;
    wait_for(&c, "#pairing", T).await?;
    click(&c, "#pair-offline").await?;
    wait_for(&c, "[data-error-for='organisation']", T).await?;
    choose(&c, "#pair-org", "demo-bostad").await?;
    click(&c, "#pair-offline").await?;
    wait_for(&c, "#sync-indicator[data-tone='offline']", T).await?;
    click(&c, "#new-walk").await?;
    choose(&c, "#nw-area", "skarholmen").await?;
    type_into(&c, "#nw-route", "Offline-rutten").await?;
    click(&c, "#nw-start").await?;
    wait_for(&c, "#walk[data-walk-id]", T).await?;
    // Typing in a text answer; each keystroke is saved, so closing loses nothing.
    let text_item = wait_for(&c, ".item[data-kind='text'] textarea", T).await?;
    text_item.send_keys("Skrivet utan nät").await?;
    wait_js(
        &c,
        "document.querySelector(\".item[data-kind='text']\").dataset.answered === 'true'",
        T,
    )
    .await?;
    c.close().await?;

    // Start again: the walk and the answer are there.
    let c = driver.session().await?;
    wait_for(&c, "#walk-list[data-ready]", T).await?;
    click(&c, "[data-walk-id]").await?;
    let value = wait_js(
        &c,
        "document.querySelector(\".item[data-kind='text'] textarea\")?.value",
        T,
    )
    .await?;
    ensure!(
        value == "Skrivet utan nät",
        "the answer survived a restart: {value}"
    );
    c.close().await?;
    Ok(())
}
