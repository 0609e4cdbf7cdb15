//! Exports as plain data (no IO): the selected observations as CSV (for a
//! spreadsheet) and as GeoJSON (for a GIS). Coded fields — when, where, what
//! and how serious — never photos or who recorded them; the free-text notes
//! of the person's own organisation's observations only when its
//! coordinators allow it (`registry::settings`), as a last column or
//! property. And only what the person may read (the rows come in filtered by
//! the caller, with the same decisions as every other view, and partners'
//! observations already coarsened by `suppress::coarsen`).

use std::collections::BTreeMap;

use jiff::tz::TimeZone;
use serde::Serialize;
use serde_json::{Value, json};
use trygg_core::model::{Area, Vocabulary};

use super::picture::{Seen, Week, local_time};
use super::places;

/// One exported observation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    /// Local time in Stockholm, `YYYY-MM-DD HH:MM` (a partner's: the day).
    pub observed: String,
    /// ISO week, `YYYY-Www`.
    pub week: String,
    pub district: String,
    /// The named place, or empty.
    pub place: String,
    pub group: String,
    /// The term's label as the vocabulary has it today (a deprecated term's
    /// replacement), so counts in a spreadsheet match the dashboard's.
    pub category: String,
    pub category_code: String,
    pub severity: u8,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// The note, when it was read (the person's own organisation's, in an
    /// export that carries notes); never a partner's.
    pub note: Option<String>,
    /// Recorded in an exercise (*övning*).
    pub exercise: bool,
}

/// The columns an export has beyond the coded fields.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Columns {
    /// The person's organisation lets its exports carry its notes.
    pub notes: bool,
    /// The export was asked to hold exercises: each row says whether it is one.
    pub exercise: bool,
}

/// The rows to export, oldest first.
pub fn rows(
    seen: &[Seen],
    vocabulary: &Vocabulary,
    districts: &BTreeMap<String, Area>,
    tz: &TimeZone,
) -> Vec<Row> {
    let mut seen: Vec<&Seen> = seen.iter().collect();
    seen.sort_by_key(|s| s.observed_at);
    seen.into_iter()
        .map(|s| {
            let term = vocabulary.current_term(&s.category);
            let group = term
                .and_then(|t| vocabulary.groups.get(&t.group))
                .map_or_else(String::new, |g| g.label_sv.clone());
            // A partner's observation: the day, not the minute (`suppress`).
            let format = if s.partner {
                "%Y-%m-%d"
            } else {
                "%Y-%m-%d %H:%M"
            };
            let observed = local_time(s.observed_at, tz, format);
            let point = s.point(districts);
            Row {
                observed,
                week: Week::containing(s.observed_at, tz).to_string(),
                district: places::name(districts, &s.area),
                place: s
                    .place_id
                    .as_deref()
                    .and_then(|id| districts.get(&s.area)?.places.get(id))
                    .map_or_else(String::new, |p| p.name.clone()),
                group,
                category: term.map_or_else(|| s.category.clone(), |t| t.label_sv.clone()),
                category_code: term.map_or_else(|| s.category.clone(), |t| t.code.clone()),
                severity: s.severity,
                lat: point.map(|p| p.0),
                lon: point.map(|p| p.1),
                note: s.note.clone().filter(|_| !s.partner),
                exercise: s.exercise,
            }
        })
        .collect()
}

/// The CSV header, in Swedish as the dashboard is.
const HEADER: [&str; 10] = [
    "observerad",
    "vecka",
    "stadsdelsområde",
    "plats",
    "grupp",
    "kategori",
    "kategorikod",
    "allvarlighet",
    "lat",
    "lon",
];

/// The column of an export that holds exercises: `ja` for an exercise's row.
const EXERCISE_COLUMN: &str = "övning";

/// The last column of an export that carries notes.
const NOTE_COLUMN: &str = "anteckning";

/// CSV as Excel opens it in Sweden: UTF-8 with a byte-order mark, `;`
/// between fields, points as `59.33` (text a GIS reads as is). With
/// `columns.exercise`, a column says `ja` or `nej` for an exercise; with
/// `columns.notes`, a last column holds each row's note (empty where none
/// was read).
pub fn csv(rows: &[Row], columns: Columns) -> Result<Vec<u8>, csv::Error> {
    let mut out = csv::WriterBuilder::new()
        .delimiter(b';')
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    let mut header = HEADER.to_vec();
    if columns.exercise {
        header.push(EXERCISE_COLUMN);
    }
    if columns.notes {
        header.push(NOTE_COLUMN);
    }
    out.write_record(header)?;
    for r in rows {
        let coordinate = |c: Option<f64>| c.map_or_else(String::new, |c| format!("{c:.6}"));
        let severity = r.severity.to_string();
        let (lat, lon) = (coordinate(r.lat), coordinate(r.lon));
        let mut record = vec![
            r.observed.as_str(),
            &r.week,
            &r.district,
            &r.place,
            &r.group,
            &r.category,
            &r.category_code,
            &severity,
            &lat,
            &lon,
        ];
        if columns.exercise {
            record.push(if r.exercise { "ja" } else { "nej" });
        }
        if columns.notes {
            record.push(r.note.as_deref().unwrap_or(""));
        }
        out.write_record(record)?;
    }
    out.into_inner().map_err(|e| e.into_error().into())
}

/// A GeoJSON FeatureCollection: one Point feature per observation (WGS 84,
/// `[lon, lat]`); one without a known place has a `null` geometry, as the
/// format allows, so nothing selected is left out. With `columns.exercise`,
/// each feature has an `exercise` property; with `columns.notes`, a `note`
/// property (`null` where none was read).
pub fn geojson(rows: &[Row], columns: Columns) -> Value {
    let features: Vec<Value> = rows
        .iter()
        .map(|r| {
            let geometry = match (r.lat, r.lon) {
                (Some(lat), Some(lon)) => json!({ "type": "Point", "coordinates": [lon, lat] }),
                _ => Value::Null,
            };
            let mut properties = json!({
                "observed": r.observed,
                "week": r.week,
                "district": r.district,
                "place": r.place,
                "group": r.group,
                "category": r.category,
                "category_code": r.category_code,
                "severity": r.severity,
            });
            if columns.exercise {
                properties["exercise"] = json!(r.exercise);
            }
            if columns.notes {
                properties["note"] = json!(r.note);
            }
            json!({ "type": "Feature", "geometry": geometry, "properties": properties })
        })
        .collect();
    json!({ "type": "FeatureCollection", "features": features })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOTES: Columns = Columns {
        notes: true,
        exercise: false,
    };

    fn seen(category: &str, at: i64, place: Option<&str>, area: &str) -> Seen {
        Seen {
            category: category.into(),
            severity: 3,
            area: area.into(),
            place_id: place.map(String::from),
            observed_at: at,
            lat: None,
            lon: None,
            partner: false,
            note: None,
            exercise: false,
        }
    }

    #[test]
    fn rows_are_named_placed_counted_under_replacements_and_in_time_order() {
        let vocabulary = trygg_core::seed::vocabulary();
        let districts = trygg_core::seed::areas();
        let tz = super::super::picture::time_zone();
        let (code, district) = districts.iter().next().unwrap();
        let (place_id, place) = district.places.iter().next().unwrap();
        // 2026-12-01 08:00 UTC = 09:00 in Stockholm; "skrap" is deprecated
        // for "nedskrapning".
        let at = 1_796_112_000_000;
        let mut unplaced = seen("brand", at + 60_000, None, code);
        unplaced.severity = 5;
        let rows = rows(
            &[unplaced, seen("skrap", at, Some(place_id), code)],
            &vocabulary,
            &districts,
            &tz,
        );
        assert_eq!(rows.len(), 2);
        let first = &rows[0];
        assert_eq!(first.observed, "2026-12-01 09:00");
        assert_eq!(first.week, "2026-W49");
        assert_eq!(first.category_code, "nedskrapning");
        assert_eq!(first.district, district.name);
        assert_eq!(first.place, place.name);
        let point = place.point.as_ref().unwrap();
        assert_eq!((first.lat, first.lon), (Some(point.lat), Some(point.lon)));
        assert_eq!(rows[1].severity, 5);
        assert_eq!((rows[1].lat, rows[1].place.as_str()), (None, ""));

        let text = String::from_utf8(csv(&rows, Columns::default()).unwrap()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("\u{feff}observerad;vecka;stadsdelsområde;"));
        assert_eq!(lines.len(), 3);
        assert!(lines[1].contains(";nedskrapning;3;"), "{}", lines[1]);
        assert!(lines[2].ends_with(";5;;"), "{}", lines[2]);

        let geo = geojson(&rows, Columns::default());
        assert_eq!(geo["features"].as_array().unwrap().len(), 2);
        assert_eq!(
            geo["features"][0]["geometry"]["coordinates"],
            json!([point.lon, point.lat])
        );
        assert_eq!(geo["features"][1]["geometry"], Value::Null);
    }

    #[test]
    fn fields_with_separators_and_quotes_stay_one_field() {
        let row = Row {
            observed: "2026-12-01 09:00".into(),
            week: "2026-W49".into(),
            district: "Söder; \"Mitt\"".into(),
            place: String::new(),
            group: String::new(),
            category: "okänd".into(),
            category_code: "okand".into(),
            severity: 1,
            lat: None,
            lon: None,
            note: Some("rad ett;\n\"rad två\"".into()),
            exercise: false,
        };
        let bytes = csv(&[row], NOTES).unwrap();
        let mut read = ::csv::ReaderBuilder::new()
            .delimiter(b';')
            .from_reader(&bytes[3..]);
        let record = read.records().next().unwrap().unwrap();
        assert_eq!(&record[2], "Söder; \"Mitt\"");
        assert_eq!(&record[10], "rad ett;\n\"rad två\"");
        assert_eq!(record.len(), HEADER.len() + 1);
    }

    #[test]
    fn notes_go_out_only_when_asked_for_and_only_as_read() {
        let vocabulary = trygg_core::seed::vocabulary();
        let districts = trygg_core::seed::areas();
        let tz = super::super::picture::time_zone();
        let code = districts.keys().next().unwrap();
        let mut own = seen("brand", 1_796_112_000_000, None, code);
        own.note = Some("Trasig lampa vid entrén".into());
        let mut partner = seen("brand", 1_796_112_060_000, None, code);
        partner.partner = true;
        partner.note = Some("en partners anteckning".into());
        let rows = rows(&[own, partner], &vocabulary, &districts, &tz);
        assert_eq!(rows[1].note, None, "a partner's note never goes out");

        let without = String::from_utf8(csv(&rows, Columns::default()).unwrap()).unwrap();
        assert!(!without.contains("anteckning") && !without.contains("Trasig"));
        let with = String::from_utf8(csv(&rows, NOTES).unwrap()).unwrap();
        let lines: Vec<&str> = with.lines().collect();
        assert!(lines[0].ends_with(";lon;anteckning"), "{}", lines[0]);
        assert!(
            lines[1].ends_with(";Trasig lampa vid entrén"),
            "{}",
            lines[1]
        );
        assert!(lines[2].ends_with(';'), "{}", lines[2]);

        let geo = geojson(&rows, Columns::default());
        assert!(geo["features"][0]["properties"].get("note").is_none());
        let geo = geojson(&rows, NOTES);
        assert_eq!(
            geo["features"][0]["properties"]["note"],
            "Trasig lampa vid entrén"
        );
        assert_eq!(geo["features"][1]["properties"]["note"], Value::Null);
    }

    #[test]
    fn an_export_with_exercises_marks_each_row() {
        let vocabulary = trygg_core::seed::vocabulary();
        let districts = trygg_core::seed::areas();
        let tz = super::super::picture::time_zone();
        let code = districts.keys().next().unwrap();
        let real = seen("brand", 1_796_112_000_000, None, code);
        let drill = Seen {
            exercise: true,
            note: Some("övningens anteckning".into()),
            ..seen("brand", 1_796_112_060_000, None, code)
        };
        let rows = rows(&[real, drill], &vocabulary, &districts, &tz);
        let both = Columns {
            notes: true,
            exercise: true,
        };
        let text = String::from_utf8(csv(&rows, both).unwrap()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].ends_with(";lon;övning;anteckning"), "{}", lines[0]);
        assert!(lines[1].ends_with(";nej;"), "{}", lines[1]);
        assert!(
            lines[2].ends_with(";ja;övningens anteckning"),
            "{}",
            lines[2]
        );
        let plain = String::from_utf8(csv(&rows, Columns::default()).unwrap()).unwrap();
        assert!(!plain.contains("övning"), "{plain}");

        let geo = geojson(&rows, both);
        assert_eq!(geo["features"][0]["properties"]["exercise"], false);
        assert_eq!(geo["features"][1]["properties"]["exercise"], true);
        let geo = geojson(&rows, Columns::default());
        assert!(geo["features"][1]["properties"].get("exercise").is_none());
    }
}
