//! A walk's protocol as a PDF, the form that gets archived (no IO). Written
//! with `pdf-writer`: A4 pages of text in Helvetica, one of the standard
//! fonts every PDF reader has (so nothing is fetched or embedded), with
//! Swedish letters through the WinAnsi encoding; long lines wrap, pages
//! break, and every page says which of how many it is. A finding's photos
//! are printed under it, three to a row, as JPEGs made by
//! [`super::pdf_photo`]; a photo that is missing or unreadable is named
//! with the reason instead.

use std::collections::HashMap;

use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use super::pdf_photo::PdfPhoto;
use super::protocol::{Finding, Protocol, ProtocolAction};

const PAGE: (f32, f32) = (595.0, 842.0);
const MARGIN: f32 = 56.0;
const REGULAR: Name = Name(b"F1");
const BOLD: Name = Name(b"F2");
/// Helvetica's widest common letters are about this many ems; wrapping
/// with it keeps every line inside the margins.
const EM_PER_CHAR: f32 = 0.56;

/// `text` in the WinAnsi encoding: Latin-1 as is, the typographic marks
/// WinAnsi adds, and `?` for anything else (which Helvetica cannot draw).
pub fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c {
            ' '..='~' => c as u8,
            '\u{A0}'..='\u{FF}' => c as u32 as u8,
            '€' => 0x80,
            '…' => 0x85,
            '‘' => 0x91,
            '’' => 0x92,
            '“' => 0x93,
            '”' => 0x94,
            '•' => 0x95,
            '–' => 0x96,
            '—' => 0x97,
            '\t' => b' ',
            _ => b'?',
        })
        .collect()
}

/// `text` cut into lines of at most `width` points at `size`, at spaces
/// where it can (a word longer than a line is cut).
fn wrap(text: &str, size: f32, width: f32) -> Vec<String> {
    let max = ((width / (size * EM_PER_CHAR)) as usize).max(8);
    let mut lines = Vec::new();
    for paragraph in text.lines() {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let mut word = word.to_string();
            while word.chars().count() > max {
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line));
                }
                let cut: String = word.chars().take(max).collect();
                word = word.chars().skip(max).collect();
                lines.push(cut);
            }
            let needed =
                line.chars().count() + usize::from(!line.is_empty()) + word.chars().count();
            if needed > max && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(&word);
        }
        lines.push(line);
    }
    lines
}

/// Photos in a row, and the gap between them.
const PHOTOS_PER_ROW: usize = 3;
const PHOTO_GAP: f32 = 8.0;

/// The photos a PDF may print, by SHA-256: ready, or why not.
pub type Photos = HashMap<String, Result<PdfPhoto, String>>;

/// A photo as one row prints it.
struct Shown<'a> {
    label: String,
    sha256: &'a str,
    photo: &'a PdfPhoto,
}

/// Pages of text and photos, top to bottom.
struct Layout<'a> {
    /// Each finished page with the photos (indices into `photos`) it shows.
    pages: Vec<(Content, Vec<usize>)>,
    page: Content,
    on_page: Vec<usize>,
    /// Every photo the document embeds, once, and its index by SHA-256.
    photos: Vec<&'a PdfPhoto>,
    embedded: HashMap<&'a str, usize>,
    y: f32,
}

fn photo_name(i: usize) -> String {
    format!("Im{i}")
}

impl<'a> Layout<'a> {
    fn new() -> Self {
        Self {
            pages: Vec::new(),
            page: Content::new(),
            on_page: Vec::new(),
            photos: Vec::new(),
            embedded: HashMap::new(),
            y: PAGE.1 - MARGIN,
        }
    }

    fn break_page(&mut self) {
        let done = std::mem::replace(&mut self.page, Content::new());
        self.pages.push((done, std::mem::take(&mut self.on_page)));
        self.y = PAGE.1 - MARGIN;
    }

    /// `row` (at most [`PHOTOS_PER_ROW`] photos with their labels) side by
    /// side, `indent` points in, each scaled into its share of the width
    /// keeping its shape, with its label under it.
    fn photo_row(&mut self, indent: f32, row: &[Shown<'a>]) {
        let slots = PHOTOS_PER_ROW as f32;
        let slot = (PAGE.0 - 2.0 * MARGIN - indent - (slots - 1.0) * PHOTO_GAP) / slots;
        let (max_h, label_h) = (slot * 0.75, 12.0);
        let sizes: Vec<(f32, f32)> = row
            .iter()
            .map(|Shown { photo: p, .. }| {
                let scale = (slot / p.width as f32).min(max_h / p.height as f32);
                (p.width as f32 * scale, p.height as f32 * scale)
            })
            .collect();
        let height = sizes.iter().map(|s| s.1).fold(0.0, f32::max) + label_h;
        if self.y - 4.0 - height < MARGIN + 20.0 {
            self.break_page();
        }
        self.y -= 4.0;
        for (i, (shown, (w, h))) in row.iter().zip(sizes).enumerate() {
            let x = MARGIN + indent + i as f32 * (slot + PHOTO_GAP);
            let index = *self.embedded.entry(shown.sha256).or_insert_with(|| {
                self.photos.push(shown.photo);
                self.photos.len() - 1
            });
            if !self.on_page.contains(&index) {
                self.on_page.push(index);
            }
            let name = photo_name(index);
            self.page
                .save_state()
                .transform([w, 0.0, 0.0, h, x, self.y - h])
                .x_object(Name(name.as_bytes()))
                .restore_state();
            Self::text_at(
                &mut self.page,
                REGULAR,
                8.0,
                x,
                self.y - h - 10.0,
                &shown.label,
            );
        }
        self.y -= height;
    }

    fn text_at(page: &mut Content, font: Name, size: f32, x: f32, y: f32, text: &str) {
        page.begin_text();
        page.set_font(font, size);
        page.next_line(x, y);
        page.show(Str(&win_ansi(text)));
        page.end_text();
    }

    /// `text`, wrapped, `indent` points in, with `space` points above.
    fn text(&mut self, font: Name, size: f32, indent: f32, space: f32, text: &str) {
        self.y -= space;
        let leading = size * 1.3;
        for line in wrap(text, size, PAGE.0 - 2.0 * MARGIN - indent) {
            if self.y - leading < MARGIN + 20.0 {
                self.break_page();
            }
            self.y -= leading;
            Self::text_at(&mut self.page, font, size, MARGIN + indent, self.y, &line);
        }
    }

    /// A thin line across the page.
    fn rule(&mut self) {
        self.y -= 6.0;
        self.page
            .set_line_width(0.5)
            .set_stroke_rgb(0.6, 0.6, 0.6)
            .move_to(MARGIN, self.y)
            .line_to(PAGE.0 - MARGIN, self.y)
            .stroke();
    }

    /// The document: every page with its footer.
    fn finish(mut self, title: &str) -> Vec<u8> {
        self.break_page();
        let count = self.pages.len();
        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let (regular, bold, info) = (Ref::new(3), Ref::new(4), Ref::new(5));
        let page_ref = |i: usize| Ref::new(6 + 2 * i as i32);
        let content_ref = |i: usize| Ref::new(7 + 2 * i as i32);
        let photo_ref = |i: usize| Ref::new(6 + 2 * count as i32 + i as i32);
        let mut pdf = Pdf::new();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree)
            .kids((0..count).map(page_ref))
            .count(count as i32);
        pdf.type1_font(regular)
            .base_font(Name(b"Helvetica"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.type1_font(bold)
            .base_font(Name(b"Helvetica-Bold"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.document_info(info)
            .title(TextStr(title))
            .creator(TextStr("Trygg"));
        for (i, (mut content, shown)) in self.pages.into_iter().enumerate() {
            let footer = format!("{title} · sida {} av {count}", i + 1);
            Self::text_at(&mut content, REGULAR, 8.0, MARGIN, MARGIN - 20.0, &footer);
            let mut page = pdf.page(page_ref(i));
            page.media_box(Rect::new(0.0, 0.0, PAGE.0, PAGE.1))
                .parent(tree)
                .contents(content_ref(i));
            let mut resources = page.resources();
            resources.fonts().pair(REGULAR, regular).pair(BOLD, bold);
            if !shown.is_empty() {
                let mut objects = resources.x_objects();
                for p in shown {
                    objects.pair(Name(photo_name(p).as_bytes()), photo_ref(p));
                }
            }
            resources.finish();
            page.finish();
            pdf.stream(content_ref(i), &content.finish());
        }
        for (i, photo) in self.photos.iter().enumerate() {
            let mut image = pdf.image_xobject(photo_ref(i), &photo.jpeg);
            image.filter(Filter::DctDecode);
            image.width(photo.width as i32);
            image.height(photo.height as i32);
            image.color_space().device_rgb();
            image.bits_per_component(8);
        }
        pdf.finish()
    }
}

fn action_line(a: &ProtocolAction) -> String {
    let contact = a
        .contact
        .as_deref()
        .map_or(String::new(), |c| format!(" (kontakt: {c})"));
    format!(
        "Åtgärd: {} — ansvarig: {}{contact}, senast {}, status: {}",
        a.description,
        a.responsible,
        a.due_date.as_deref().unwrap_or("inget datum"),
        a.status
    )
}

/// Finding `f`'s photos in rows; under them, the captions the person may
/// read and, for each photo that cannot be shown, why.
fn finding_photos<'a>(doc: &mut Layout<'a>, f: &'a Finding, photos: &'a Photos) {
    let mut row = Vec::new();
    let mut lines = Vec::new();
    for (n, photo) in f.photos.iter().enumerate() {
        let label = format!("Foto {}", n + 1);
        match photos.get(&photo.sha256) {
            Some(Ok(ready)) => row.push(Shown {
                label: label.clone(),
                sha256: &photo.sha256,
                photo: ready,
            }),
            Some(Err(reason)) => lines.push(format!("{label}: {reason}")),
            None if photo.uploaded => lines.push(format!("{label}: kunde inte hämtas")),
            None => lines.push(format!("{label}: har inte nått servern än")),
        }
        if let Some(caption) = &photo.caption {
            lines.push(format!("{label}: {caption}"));
        }
        if row.len() == PHOTOS_PER_ROW {
            doc.photo_row(12.0, &std::mem::take(&mut row));
        }
    }
    if !row.is_empty() {
        doc.photo_row(12.0, &row);
    }
    for line in lines {
        doc.text(REGULAR, 9.0, 12.0, 0.0, &line);
    }
}

/// The protocol as a PDF, with the finding's `photos` that are ready.
pub fn protocol_pdf(p: &Protocol, photos: &Photos) -> Vec<u8> {
    let title = if p.exercise {
        format!("ÖVNING – Protokoll, trygghetsvandring: {}", p.route)
    } else {
        format!("Protokoll, trygghetsvandring: {}", p.route)
    };
    let mut doc = Layout::new();
    doc.text(BOLD, 16.0, 0.0, 0.0, &title);
    let facts = [
        ("Stadsdelsområde", p.district.clone()),
        ("Status", p.status.clone()),
        ("Ljus", p.light.clone()),
        ("Ansvarig organisation", p.owner.clone()),
        ("Deltagande organisationer", p.organisations.join(", ")),
        ("Planerad", p.planned.clone().unwrap_or_else(|| "–".into())),
        ("Start", p.started.clone().unwrap_or_else(|| "–".into())),
        ("Slut", p.ended.clone().unwrap_or_else(|| "–".into())),
    ];
    for (i, (label, value)) in facts.iter().enumerate() {
        doc.text(
            REGULAR,
            10.0,
            0.0,
            if i == 0 { 6.0 } else { 0.0 },
            &format!("{label}: {value}"),
        );
    }
    if !p.groups.is_empty() {
        doc.text(BOLD, 10.0, 0.0, 8.0, "Grupper");
        for g in &p.groups {
            doc.text(REGULAR, 10.0, 0.0, 0.0, &format!("{}: {}", g.name, g.route));
        }
    }
    if let Some(notes) = &p.notes {
        doc.text(BOLD, 10.0, 0.0, 8.0, "Anteckningar");
        doc.text(REGULAR, 10.0, 0.0, 0.0, notes);
    }
    doc.rule();
    doc.text(
        BOLD,
        13.0,
        0.0,
        6.0,
        &format!("Iakttagelser ({})", p.findings.len()),
    );
    if p.findings.is_empty() {
        doc.text(REGULAR, 10.0, 0.0, 4.0, "Inga iakttagelser.");
    }
    for (i, f) in p.findings.iter().enumerate() {
        doc.text(
            BOLD,
            11.0,
            0.0,
            8.0,
            &format!("{}. {}, allvarlighet {}", i + 1, f.category, f.severity),
        );
        let mut where_when = f.observed.clone();
        if !f.place.is_empty() {
            where_when = format!("{where_when}, {}", f.place);
        }
        if !f.photos.is_empty() {
            where_when = format!("{where_when}, {} foto", f.photos.len());
        }
        doc.text(REGULAR, 10.0, 12.0, 0.0, &where_when);
        if let Some(note) = &f.note {
            doc.text(REGULAR, 10.0, 12.0, 0.0, note);
        }
        finding_photos(&mut doc, f, photos);
        if f.actions.is_empty() {
            doc.text(REGULAR, 10.0, 12.0, 0.0, "Ingen åtgärd föreslagen.");
        }
        for a in &f.actions {
            doc.text(REGULAR, 10.0, 12.0, 0.0, &action_line(a));
        }
    }
    if !p.other_actions.is_empty() {
        doc.rule();
        doc.text(BOLD, 13.0, 0.0, 6.0, "Övriga åtgärder från vandringen");
        for a in &p.other_actions {
            doc.text(REGULAR, 10.0, 0.0, 2.0, &action_line(a));
        }
    }
    doc.finish(&title)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dashboard::protocol::ProtocolPhoto;

    #[test]
    fn an_action_names_its_responsible_organisation_s_contact_when_there_is_one() {
        let a = ProtocolAction {
            doc_id: "a".into(),
            description: "Byt lampor".into(),
            responsible: "Fastighets AB Påhittad (demo)".into(),
            contact: Some("Förvaltare (demo), 08-465 004 17".into()),
            due_date: None,
            status: "Föreslagen".into(),
        };
        assert_eq!(
            action_line(&a),
            "Åtgärd: Byt lampor — ansvarig: Fastighets AB Påhittad (demo) \
             (kontakt: Förvaltare (demo), 08-465 004 17), senast inget datum, status: Föreslagen"
        );
        let without = ProtocolAction { contact: None, ..a };
        assert!(!action_line(&without).contains("kontakt"));
    }

    #[test]
    fn swedish_letters_are_one_byte_each_and_the_rest_a_question_mark() {
        assert_eq!(win_ansi("Åäö é – x"), b"\xC5\xE4\xF6 \xE9 \x96 x");
        assert_eq!(win_ansi("🔥\u{1}"), b"??");
    }

    #[test]
    fn lines_wrap_at_spaces_and_long_words_are_cut() {
        let lines = wrap("ett två tre fyra fem sex sju åtta nio tio", 10.0, 60.0);
        assert!(lines.len() > 1, "{lines:?}");
        assert!(lines.iter().all(|l| l.chars().count() <= 10), "{lines:?}");
        assert_eq!(lines.join(" "), "ett två tre fyra fem sex sju åtta nio tio");
        let long = "x".repeat(25);
        assert_eq!(
            wrap(&long, 10.0, 60.0),
            vec!["x".repeat(10), "x".repeat(10), "x".repeat(5)]
        );
        assert_eq!(wrap("a\nb", 10.0, 600.0), vec!["a", "b"]);
    }

    #[test]
    fn a_long_protocol_breaks_into_numbered_pages() {
        let p = walked(
            (0..80)
                .map(|i| Finding {
                    category: format!("Nedskräpning {i}"),
                    ..finding(vec![])
                })
                .collect(),
        );
        let pdf = protocol_pdf(&p, &Photos::new());
        assert!(pdf.starts_with(b"%PDF-"));
        let text = String::from_utf8_lossy(&pdf);
        let pages: usize = text
            .split("/Count ")
            .nth(1)
            .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
            .and_then(|n| n.parse().ok())
            .unwrap();
        assert!(pages >= 3, "80 findings fill more than two pages: {pages}");
        // One content stream per page (the footers' text is read back with
        // pdftotext in the dashboard's browser test).
        assert_eq!(text.matches("/Contents").count(), pages);
    }

    fn photo(sha: char, uploaded: bool) -> ProtocolPhoto {
        ProtocolPhoto {
            sha256: sha.to_string().repeat(64),
            caption: None,
            uploaded,
        }
    }

    fn ready(width: u32, height: u32) -> PdfPhoto {
        let picture = image::RgbImage::from_pixel(width, height, image::Rgb([40, 90, 160]));
        let mut jpeg = Vec::new();
        image::DynamicImage::ImageRgb8(picture)
            .write_with_encoder(image::codecs::jpeg::JpegEncoder::new(&mut jpeg))
            .unwrap();
        super::super::pdf_photo::prepare(&jpeg).unwrap()
    }

    fn walked(findings: Vec<Finding>) -> Protocol {
        Protocol {
            doc_id: "x".into(),
            route: "Runt torget".into(),
            district: "Järva".into(),
            light: "Mörker".into(),
            status: "Genomförd".into(),
            owner: "Stadsdelsförvaltningen".into(),
            organisations: vec!["Stadsdelsförvaltningen".into()],
            started: None,
            ended: None,
            findings,
            other_actions: vec![],
            notes: None,
            exercise: false,
            planned: None,
            groups: vec![],
            follows: None,
        }
    }

    fn finding(photos: Vec<ProtocolPhoto>) -> Finding {
        Finding {
            observed: "2026-12-01 21:00".into(),
            category: "Belysning".into(),
            severity: 3,
            place: "Torget".into(),
            note: None,
            photos,
            actions: vec![],
        }
    }

    /// The page objects' photo names, page by page.
    fn photos_per_page(pdf: &str) -> Vec<usize> {
        pdf.split("/Type /Page\n")
            .skip(1)
            .map(|page| {
                page.split("endobj")
                    .next()
                    .unwrap_or("")
                    .matches("/Im")
                    .count()
            })
            .collect()
    }

    /// Whether the PDF shows `line` as one string (pdf-writer writes a
    /// string with bytes beyond ASCII in hex).
    fn shows(pdf: &str, line: &str) -> bool {
        let bytes = win_ansi(line);
        pdf.contains(&format!("<{}>", hex::encode_upper(&bytes)))
            || pdf.contains(&format!("({line})"))
    }

    #[test]
    fn ready_photos_are_embedded_once_as_jpegs_and_the_rest_are_named_with_why() {
        let mut photos = Photos::new();
        photos.insert("a".repeat(64), Ok(ready(640, 480)));
        photos.insert("b".repeat(64), Ok(ready(300, 600)));
        photos.insert("c".repeat(64), Err("bilden kan inte läsas (trasig)".into()));
        let mut captioned = photo('a', true);
        captioned.caption = Some("Trasig lampa vid entrén".into());
        let p = walked(vec![
            finding(vec![
                captioned,
                photo('b', true),
                photo('c', true),
                photo('d', false),
            ]),
            // The same photo in a second finding is embedded once.
            finding(vec![photo('a', true)]),
        ]);
        let pdf = protocol_pdf(&p, &photos);
        let text = String::from_utf8_lossy(&pdf);
        assert_eq!(
            text.matches("/Subtype /Image").count(),
            2,
            "two photos, once each"
        );
        assert_eq!(text.matches("/Filter /DCTDecode").count(), 2);
        assert!(text.contains("/Width 300") && text.contains("/Height 600"));
        assert!(text.contains("/ColorSpace /DeviceRGB"));
        // Drawn three times: two in the first finding's row, one in the second's.
        assert_eq!(text.matches(" Do").count(), 3, "{text}");
        assert!(shows(&text, "Foto 1: Trasig lampa vid entrén"));
        assert!(shows(&text, "Foto 3: bilden kan inte läsas (trasig)"));
        assert!(shows(&text, "Foto 4: har inte nått servern än"));
        assert!(!shows(&text, "Foto 2: har inte nått servern än"));
        assert_eq!(photos_per_page(&text), vec![2]);
    }

    #[test]
    fn an_exercise_says_so_in_its_title_and_on_every_page() {
        let mut p = walked(vec![]);
        let real = String::from_utf8_lossy(&protocol_pdf(&p, &Photos::new())).into_owned();
        assert!(!real.contains(&hex::encode_upper(win_ansi("ÖVNING"))));
        p.exercise = true;
        let text = String::from_utf8_lossy(&protocol_pdf(&p, &Photos::new())).into_owned();
        let title = "ÖVNING – Protokoll, trygghetsvandring: Runt torget";
        assert!(shows(&text, title), "{text}");
        assert!(shows(&text, &format!("{title} · sida 1 av 1")), "{text}");
    }

    #[test]
    fn rows_of_photos_break_pages_and_each_page_names_only_its_own() {
        let shas: Vec<char> = "0123456789abcdef".chars().collect();
        let mut photos = Photos::new();
        for c in &shas {
            photos.insert(c.to_string().repeat(64), Ok(ready(640, 480)));
        }
        let findings = shas
            .chunks(2)
            .map(|pair| finding(pair.iter().map(|c| photo(*c, true)).collect()))
            .collect();
        let pdf = protocol_pdf(&walked(findings), &photos);
        let text = String::from_utf8_lossy(&pdf);
        let per_page = photos_per_page(&text);
        assert!(
            per_page.len() >= 2,
            "eight rows of photos fill more than a page: {per_page:?}"
        );
        assert_eq!(per_page.iter().sum::<usize>(), 16, "{per_page:?}");
        assert!(per_page.iter().all(|n| *n > 0), "{per_page:?}");
    }
}
