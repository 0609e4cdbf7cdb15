//! District comparison, as plain data: per district, the weekly counts of a
//! period (a trend line), its total against the same number of weeks
//! before, and a colour grade for the map. No IO: the rows come in already
//! filtered by what the person may read; partners' counts are suppressed as
//! in the lägesbild (`suppress`).

use std::collections::BTreeMap;

use jiff::tz::TimeZone;
use serde::Serialize;

use super::picture::{Seen, Week};
use super::suppress::{Cell, Sum, hidden};

/// Grades run from 1 (fewest) to this (most); 0 is a district with none.
pub const GRADES: u8 = 5;

#[derive(Debug, Serialize, PartialEq)]
pub struct District {
    pub code: String,
    pub name: String,
    /// Per week of the period, oldest first; `None` where suppressed.
    pub weeks: Vec<Option<u32>>,
    /// The whole period.
    pub total: Option<u32>,
    /// The same number of weeks just before the period.
    pub previous: Option<u32>,
    /// 0 for none, else 1–[`GRADES`] by `total` against the largest total
    /// shown (equal steps); `None` where the total is suppressed.
    pub grade: Option<u8>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Comparison {
    /// The period's weeks, oldest first (`YYYY-Www`).
    pub weeks: Vec<String>,
    pub from_ms: i64,
    pub to_ms: i64,
    /// The largest total shown: grade `g` holds totals up to
    /// `ceil(g × max_total / GRADES)`.
    pub max_total: u32,
    pub districts: Vec<District>,
    /// All districts per week, oldest first.
    pub city: Vec<Option<u32>>,
    pub city_total: Option<u32>,
    /// Counts were suppressed to protect partners' observations.
    pub suppressed: bool,
}

/// The starts of `n` weeks ending with `last`, then of the week after.
fn boundaries(last: Week, n: usize, tz: &TimeZone) -> Vec<i64> {
    (0..=n)
        .map(|i| last.back(n as i64 - 1 - i as i64, tz).start_ms(tz))
        .collect()
}

/// The `weeks` weeks ending with `last`, for every district in `districts`
/// (code → name, in display order), from `rows` spanning those weeks and
/// the as many before them ([`window`]). Rows of other districts are left
/// out.
pub fn compare(
    last: Week,
    weeks: usize,
    rows: &[Seen],
    districts: &[(String, String)],
    tz: &TimeZone,
) -> Comparison {
    let n = weeks.max(1);
    let starts = boundaries(last, n, tz);
    let (from, to) = (starts[0], starts[n]);
    let previous_from = last.back(2 * n as i64 - 1, tz).start_ms(tz);
    let index: BTreeMap<&str, usize> = districts
        .iter()
        .enumerate()
        .map(|(i, (code, _))| (code.as_str(), i))
        .collect();

    // Cells: per district its weeks, its total, its previous total; then
    // the city's weeks and total.
    let d = districts.len();
    let per = n + 2;
    let week_cell = |di: usize, w: usize| di * per + w;
    let total_cell = |di: usize| di * per + n;
    let previous_cell = |di: usize| di * per + n + 1;
    let city_week = |w: usize| d * per + w;
    let city_total = d * per + n;
    let mut cells = vec![Cell::default(); d * per + n + 1];
    for row in rows {
        let Some(&di) = index.get(row.area.as_str()) else {
            continue;
        };
        if row.observed_at >= from && row.observed_at < to {
            let w = starts.partition_point(|s| *s <= row.observed_at) - 1;
            cells[week_cell(di, w)].add(row.partner);
            cells[total_cell(di)].add(row.partner);
            cells[city_week(w)].add(row.partner);
            cells[city_total].add(row.partner);
        } else if row.observed_at >= previous_from && row.observed_at < from {
            cells[previous_cell(di)].add(row.partner);
        }
    }
    let mut sums = Vec::new();
    for di in 0..d {
        sums.push(Sum {
            total: total_cell(di),
            parts: (0..n).map(|w| week_cell(di, w)).collect(),
        });
    }
    for w in 0..n {
        sums.push(Sum {
            total: city_week(w),
            parts: (0..d).map(|di| week_cell(di, w)).collect(),
        });
    }
    sums.push(Sum {
        total: city_total,
        parts: (0..d).map(total_cell).collect(),
    });
    sums.push(Sum {
        total: city_total,
        parts: (0..n).map(city_week).collect(),
    });
    let hide = hidden(&cells, &sums);
    let shown = |i: usize| cells[i].shown(hide[i]);

    let max_total = (0..d)
        .filter_map(|di| shown(total_cell(di)))
        .max()
        .unwrap_or(0);
    let out = districts
        .iter()
        .enumerate()
        .map(|(di, (code, name))| {
            let total = shown(total_cell(di));
            District {
                code: code.clone(),
                name: name.clone(),
                weeks: (0..n).map(|w| shown(week_cell(di, w))).collect(),
                total,
                previous: shown(previous_cell(di)),
                grade: total.map(|t| grade(t, max_total)),
            }
        })
        .collect();
    Comparison {
        weeks: (0..n)
            .map(|i| last.back(n as i64 - 1 - i as i64, tz).to_string())
            .collect(),
        from_ms: from,
        to_ms: to,
        max_total,
        districts: out,
        city: (0..n).map(|w| shown(city_week(w))).collect(),
        city_total: shown(city_total),
        suppressed: hide.iter().any(|h| *h),
    }
}

/// Observed at or after / before: the period and the as many weeks before it.
pub fn window(last: Week, weeks: usize, tz: &TimeZone) -> (i64, i64) {
    let n = weeks.max(1) as i64;
    (
        last.back(2 * n - 1, tz).start_ms(tz),
        last.back(-1, tz).start_ms(tz),
    )
}

/// 0 for none; else 1 to [`GRADES`] in equal steps of `max`.
fn grade(total: u32, max: u32) -> u8 {
    if total == 0 || max == 0 {
        return 0;
    }
    let g = (u64::from(total) * u64::from(GRADES)).div_ceil(u64::from(max));
    g.clamp(1, u64::from(GRADES)) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dashboard::picture::time_zone;

    fn seen(area: &str, at: i64, partner: bool) -> Seen {
        Seen {
            category: "ls.belysning".into(),
            severity: 3,
            area: area.into(),
            place_id: None,
            observed_at: at,
            lat: None,
            lon: None,
            partner,
            note: None,
            exercise: false,
        }
    }

    fn districts() -> Vec<(String, String)> {
        [
            ("farsta", "Farsta"),
            ("skarpnack", "Skarpnäck"),
            ("enskede", "Enskede"),
        ]
        .iter()
        .map(|(c, n)| (c.to_string(), n.to_string()))
        .collect()
    }

    /// Noon on Tuesday of the week `back` weeks before `last`.
    fn in_week(last: Week, back: i64, tz: &TimeZone) -> i64 {
        last.back(back, tz).start_ms(tz) + 36 * 3_600_000
    }

    #[test]
    fn counts_per_district_and_week_with_the_period_before_and_grades() {
        let tz = time_zone();
        let last = Week::parse("2026-W10").unwrap();
        let mut rows = Vec::new();
        // Farsta: 3 in the last week, 1 three weeks back; Skarpnäck: 2 in
        // the first week; 1 in Farsta in the period before; one elsewhere.
        for _ in 0..3 {
            rows.push(seen("farsta", in_week(last, 0, &tz), false));
        }
        rows.push(seen("farsta", in_week(last, 3, &tz), false));
        rows.push(seen("skarpnack", in_week(last, 3, &tz), false));
        rows.push(seen("skarpnack", in_week(last, 3, &tz), false));
        rows.push(seen("farsta", in_week(last, 5, &tz), false));
        rows.push(seen("norrmalm", in_week(last, 0, &tz), false));
        // Outside both periods.
        rows.push(seen("farsta", in_week(last, 9, &tz), false));
        rows.push(seen("farsta", in_week(last, -1, &tz), false));
        let c = compare(last, 4, &rows, &districts(), &tz);
        assert_eq!(c.weeks, ["2026-W07", "2026-W08", "2026-W09", "2026-W10"]);
        assert_eq!(
            (c.from_ms, c.to_ms),
            (
                last.back(3, &tz).start_ms(&tz),
                last.back(-1, &tz).start_ms(&tz)
            )
        );
        let farsta = &c.districts[0];
        assert_eq!(farsta.weeks, [Some(1), Some(0), Some(0), Some(3)]);
        assert_eq!((farsta.total, farsta.previous), (Some(4), Some(1)));
        let skarpnack = &c.districts[1];
        assert_eq!(skarpnack.weeks, [Some(2), Some(0), Some(0), Some(0)]);
        assert_eq!(c.districts[2].total, Some(0));
        assert_eq!(c.max_total, 4);
        let grades: Vec<_> = c.districts.iter().map(|d| d.grade).collect();
        assert_eq!(grades, [Some(5), Some(3), Some(0)]);
        assert_eq!(c.city, [Some(3), Some(0), Some(0), Some(3)]);
        assert_eq!(c.city_total, Some(6));
        assert!(!c.suppressed);
    }

    #[test]
    fn partners_small_counts_are_suppressed_and_cannot_be_worked_out() {
        let tz = time_zone();
        let last = Week::parse("2026-W10").unwrap();
        let mut rows = Vec::new();
        // Two partners' observations in Farsta's last week; 6 of the
        // person's own in Skarpnäck.
        rows.push(seen("farsta", in_week(last, 0, &tz), true));
        rows.push(seen("farsta", in_week(last, 0, &tz), true));
        for _ in 0..6 {
            rows.push(seen("skarpnack", in_week(last, 1, &tz), false));
        }
        let c = compare(last, 2, &rows, &districts(), &tz);
        assert!(c.suppressed);
        let farsta = &c.districts[0];
        assert_eq!(farsta.weeks[1], None);
        assert_eq!(farsta.total, None);
        assert_eq!(farsta.grade, None);
        // Neither the city's week nor its total gives the 2 back.
        assert!(c.city[1].is_none() || c.city_total.is_none());
        assert!(c.city_total.is_none() || farsta.total.is_some());
        // The person's own counts stay.
        assert_eq!(c.districts[1].weeks, [Some(6), Some(0)]);
    }

    #[test]
    fn grades_are_equal_steps_of_the_largest_total() {
        assert_eq!(grade(0, 10), 0);
        assert_eq!(grade(1, 10), 1);
        assert_eq!(grade(2, 10), 1);
        assert_eq!(grade(3, 10), 2);
        assert_eq!(grade(10, 10), 5);
        assert_eq!(grade(7, 0), 0);
    }
}
