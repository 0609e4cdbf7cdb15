//! A walk's protocol as a PDF, the form that gets archived (no IO). Written
//! with `pdf-writer`: A4 pages of text in Helvetica, one of the standard
//! fonts every PDF reader has (so nothing is fetched or embedded), with
//! Swedish letters through the WinAnsi encoding; long lines wrap, pages
//! break, and every page says which of how many it is.

use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use super::protocol::{Protocol, ProtocolAction};

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

/// Pages of text, top to bottom.
struct Layout {
    pages: Vec<Content>,
    page: Content,
    y: f32,
}

impl Layout {
    fn new() -> Self {
        Self {
            pages: Vec::new(),
            page: Content::new(),
            y: PAGE.1 - MARGIN,
        }
    }

    fn break_page(&mut self) {
        let done = std::mem::replace(&mut self.page, Content::new());
        self.pages.push(done);
        self.y = PAGE.1 - MARGIN;
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
        for (i, mut content) in self.pages.into_iter().enumerate() {
            let footer = format!("{title} · sida {} av {count}", i + 1);
            Self::text_at(&mut content, REGULAR, 8.0, MARGIN, MARGIN - 20.0, &footer);
            let mut page = pdf.page(page_ref(i));
            page.media_box(Rect::new(0.0, 0.0, PAGE.0, PAGE.1))
                .parent(tree)
                .contents(content_ref(i));
            let mut resources = page.resources();
            resources.fonts().pair(REGULAR, regular).pair(BOLD, bold);
            resources.finish();
            page.finish();
            pdf.stream(content_ref(i), &content.finish());
        }
        pdf.finish()
    }
}

fn action_line(a: &ProtocolAction) -> String {
    format!(
        "Åtgärd: {} — ansvarig: {}, senast {}, status: {}",
        a.description,
        a.responsible,
        a.due_date.as_deref().unwrap_or("inget datum"),
        a.status
    )
}

/// The protocol as a PDF.
pub fn protocol_pdf(p: &Protocol) -> Vec<u8> {
    let title = format!("Protokoll, trygghetsvandring: {}", p.route);
    let mut doc = Layout::new();
    doc.text(BOLD, 16.0, 0.0, 0.0, &title);
    let facts = [
        ("Stadsdelsområde", p.district.clone()),
        ("Status", p.status.clone()),
        ("Ljus", p.light.clone()),
        ("Ansvarig organisation", p.owner.clone()),
        ("Deltagande organisationer", p.organisations.join(", ")),
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
        if f.photos > 0 {
            where_when = format!("{where_when}, {} foto", f.photos);
        }
        doc.text(REGULAR, 10.0, 12.0, 0.0, &where_when);
        if let Some(note) = &f.note {
            doc.text(REGULAR, 10.0, 12.0, 0.0, note);
        }
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
        let finding = |i: usize| super::super::protocol::Finding {
            observed: "2026-12-01 21:00".into(),
            category: format!("Nedskräpning {i}"),
            severity: 2,
            place: "Torget".into(),
            note: None,
            photos: 0,
            actions: vec![],
        };
        let p = Protocol {
            doc_id: "x".into(),
            route: "Runt torget".into(),
            district: "Järva".into(),
            light: "Mörker".into(),
            status: "Genomförd".into(),
            owner: "Stadsdelsförvaltningen".into(),
            organisations: vec!["Stadsdelsförvaltningen".into()],
            started: None,
            ended: None,
            findings: (0..80).map(finding).collect(),
            other_actions: vec![],
            notes: None,
        };
        let pdf = protocol_pdf(&p);
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
}
