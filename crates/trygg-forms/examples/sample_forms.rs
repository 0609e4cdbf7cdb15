//! Writes the sample XLSForms the project ships (docs/examples/xlsform/),
//! written for the project; no form of a real organisation. Run from the
//! workspace root:
//!
//! `cargo run -p trygg-forms --example sample_forms -- docs/examples/xlsform`
//!
//! `trygghetsvandring-park.xlsx` is a walk checklist every row of which
//! Trygg takes, in the layout a coordinator writes by hand (`label::sv`).
//! `est-fran-kobo.xlsx` is laid out as KoboToolbox exports a form
//! (`label::Swedish (sv)`, `begin group` with a space, metadata rows) and
//! has rows Trygg cannot take, on purpose: the import report names each.

use std::path::PathBuf;

use rust_xlsxwriter::{Workbook, XlsxError};

type Sheet<'a> = &'a [&'a [&'a str]];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = PathBuf::from(std::env::args().nth(1).ok_or("usage: sample_forms DIR")?);
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("trygghetsvandring-park.xlsx"), park()?)?;
    std::fs::write(dir.join("est-fran-kobo.xlsx"), kobo()?)?;
    println!("wrote 2 forms to {}", dir.display());
    Ok(())
}

fn park() -> Result<Vec<u8>, XlsxError> {
    let survey: Sheet = &[
        &[
            "type",
            "name",
            "label::sv",
            "label::en",
            "hint::sv",
            "required",
        ],
        &[
            "begin_group",
            "entre",
            "Entréer och gångvägar",
            "Entrances and paths",
            "",
            "",
        ],
        &[
            "note",
            "entre_info",
            "Gå in i parken från varje entré.",
            "Enter the park from each entrance.",
            "",
            "",
        ],
        &[
            "select_one yes_no",
            "entre_upplyst",
            "Är entréerna upplysta?",
            "Are the entrances lit?",
            "",
            "yes",
        ],
        &[
            "integer",
            "entre_trasiga",
            "Antal trasiga lampor vid entréerna",
            "Broken lamps at the entrances",
            "",
            "",
        ],
        &[
            "select_one betyg",
            "entre_overblick",
            "Hur bra överblick har man från entrén?",
            "How good is the overview from the entrance?",
            "1 dålig, 5 bra",
            "yes",
        ],
        &["end_group", "", "", "", "", ""],
        &[
            "begin_group",
            "lekplats",
            "Lekplatsen",
            "The playground",
            "",
            "",
        ],
        &[
            "select_one fysisk_miljo",
            "lekplats_brist",
            "Största bristen i den fysiska miljön",
            "The main shortcoming of the physical environment",
            "",
            "",
        ],
        &[
            "select_one skotsel",
            "lekplats_skotsel",
            "Vad behöver skötas?",
            "What needs maintenance?",
            "",
            "",
        ],
        &[
            "image",
            "lekplats_foto",
            "Foto på bristen",
            "Photo of the shortcoming",
            "",
            "",
        ],
        &[
            "geopoint",
            "lekplats_plats",
            "Var är bristen?",
            "Where is the shortcoming?",
            "",
            "",
        ],
        &[
            "decimal",
            "lekplats_avstand",
            "Avstånd till närmaste belysning (meter)",
            "Distance to the nearest light (metres)",
            "",
            "",
        ],
        &["end_group", "", "", "", "", ""],
        &[
            "text",
            "ovrigt",
            "Övriga synpunkter",
            "Other remarks",
            "",
            "",
        ],
    ];
    let choices: Sheet = &[
        &["list_name", "name", "label::sv", "label::en"],
        &["yes_no", "yes", "Ja", "Yes"],
        &["yes_no", "no", "Nej", "No"],
        &["yes_no", "na", "Ej aktuellt", "Not applicable"],
        &["betyg", "1", "1", "1"],
        &["betyg", "2", "2", "2"],
        &["betyg", "3", "3", "3"],
        &["betyg", "4", "4", "4"],
        &["betyg", "5", "5", "5"],
        &["fysisk_miljo", "belysning", "Belysning", "Lighting"],
        &[
            "fysisk_miljo",
            "vegetation",
            "Vegetation och buskage",
            "Vegetation and shrubs",
        ],
        &["fysisk_miljo", "sikt", "Sikt och överblick", "Sightlines"],
        &["skotsel", "klotter", "Klotter", "Graffiti"],
        &["skotsel", "nedskrapning", "Nedskräpning", "Litter"],
        &[
            "skotsel",
            "trasig_utrustning",
            "Trasig utrustning",
            "Broken equipment",
        ],
    ];
    let settings: Sheet = &[
        &["form_title", "form_title::en", "form_id", "version"],
        &[
            "Trygghetsvandring i park",
            "Safety walk in a park",
            "trygghetsvandring-park",
            "3",
        ],
    ];
    book(&[
        ("survey", survey),
        ("choices", choices),
        ("settings", settings),
    ])
}

fn kobo() -> Result<Vec<u8>, XlsxError> {
    let survey: Sheet = &[
        &[
            "type",
            "name",
            "label::Swedish (sv)",
            "label::English (en)",
            "required",
            "relevant",
        ],
        &["start", "start", "", "", "", ""],
        &["end", "end", "", "", "", ""],
        &["begin group", "plats", "Platsen", "The place", "", ""],
        &[
            "geopoint",
            "position",
            "Var var du?",
            "Where were you?",
            "yes",
            "",
        ],
        &[
            "select_one social_miljo",
            "handelse",
            "Vad hände?",
            "What happened?",
            "yes",
            "",
        ],
        &[
            "select_multiple tider",
            "tider",
            "När på dygnet?",
            "What time of day?",
            "",
            "",
        ],
        &["date", "datum", "Datum", "Date", "", ""],
        &["begin group", "detaljer", "Detaljer", "Details", "", ""],
        &[
            "integer",
            "antal",
            "Hur många personer?",
            "How many people?",
            "${handelse} = 'hotfull_folksamling'",
            "${handelse} != ''",
        ],
        &["end group", "", "", "", "", ""],
        &[
            "select_one lokal_lista",
            "lokal",
            "Lokal kategori",
            "Local category",
            "",
            "",
        ],
        &[
            "text",
            "position",
            "Beskriv platsen",
            "Describe the place",
            "",
            "",
        ],
        &["calculate", "summa", "", "", "", ""],
        &["end group", "", "", "", "", ""],
        &["end group", "", "", "", "", ""],
        &[
            "text",
            "beskrivning",
            "Beskriv vad du såg",
            "Describe what you saw",
            "",
            "",
        ],
        &[
            "note",
            "tack",
            "Tack för din rapport!",
            "Thank you!",
            "",
            "",
        ],
    ];
    let choices: Sheet = &[
        &[
            "list_name",
            "name",
            "label::Swedish (sv)",
            "label::English (en)",
        ],
        &[
            "social_miljo",
            "ordningsstorning",
            "Ordningsstörning",
            "Public disorder",
        ],
        &[
            "social_miljo",
            "hotfull_folksamling",
            "Hotfull folksamling",
            "Threatening crowd",
        ],
        &["social_miljo", "fyrverkerier", "Fyrverkerier", "Fireworks"],
        &["tider", "dag", "Dag", "Day"],
        &["tider", "kvall", "Kväll", "Evening"],
        &[
            "lokal_lista",
            "ungdomsgard",
            "Ungdomsgården",
            "Youth centre",
        ],
        &["lokal_lista", "torget", "Torget", "The square"],
    ];
    let settings: Sheet = &[
        &["form_title", "form_id", "version", "default_language"],
        &[
            "Social oro – snabbrapport",
            "social-oro-snabb",
            "2026112001",
            "Swedish (sv)",
        ],
    ];
    book(&[
        ("survey", survey),
        ("choices", choices),
        ("settings", settings),
    ])
}

fn book(sheets: &[(&str, Sheet)]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    for (name, rows) in sheets {
        let sheet = book.add_worksheet().set_name(*name)?;
        for (r, row) in rows.iter().enumerate() {
            for (c, text) in row.iter().enumerate() {
                if !text.is_empty() {
                    sheet.write_string(r as u32, c as u16, *text)?;
                }
            }
        }
    }
    book.save_to_buffer()
}
