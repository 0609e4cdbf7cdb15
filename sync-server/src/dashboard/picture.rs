//! The weekly situational picture (lägesbild), as plain data: counts per
//! vocabulary group and term for one ISO week against the 4 and 52 weeks
//! before it, hot-spots, and a weekday × time-of-day grid. No IO: the rows
//! come in already filtered by what the person may read.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp as Instant;
use jiff::civil::{ISOWeekDate, Weekday};
use jiff::tz::TimeZone;
use serde::Serialize;
use trygg_core::model::Vocabulary;

/// Weeks are Swedish weeks: ISO weeks in Stockholm's time.
pub fn time_zone() -> TimeZone {
    TimeZone::get("Europe/Stockholm").expect("the bundled time zone database has Stockholm")
}

const MS_PER_WEEK: i64 = 7 * 86_400_000;

/// One ISO week, e.g. `2026-W49`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Week(ISOWeekDate);

impl Week {
    pub fn containing(at_ms: i64, tz: &TimeZone) -> Week {
        let date = Instant::from_millisecond(at_ms)
            .unwrap_or(Instant::UNIX_EPOCH)
            .to_zoned_datetime(tz.clone())
            .date();
        Week(date.iso_week_date())
    }

    /// Parses `YYYY-Www`.
    pub fn parse(s: &str) -> Result<Week, String> {
        let bad = || format!("`{s}` is not an ISO week like 2026-W49");
        let (year, week) = s.split_once("-W").ok_or_else(bad)?;
        let year: i16 = year.parse().map_err(|_| bad())?;
        let week: i8 = week.parse().map_err(|_| bad())?;
        ISOWeekDate::new(year, week, Weekday::Monday)
            .map(Week)
            .map_err(|_| bad())
    }

    /// Monday 00:00 of this week, milliseconds since the epoch.
    pub fn start_ms(self, tz: &TimeZone) -> i64 {
        self.0
            .date()
            .to_zoned_datetime(tz.clone())
            .map(|z| z.timestamp().as_millisecond())
            .unwrap_or(0)
    }

    /// The week `n` weeks before this one.
    pub fn back(self, n: i64, tz: &TimeZone) -> Week {
        // Noon on Monday, so no daylight-saving shift crosses a week boundary.
        Week::containing(self.start_ms(tz) + 43_200_000 - n * MS_PER_WEEK, tz)
    }
}

impl std::fmt::Display for Week {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-W{:02}", self.0.year(), self.0.week())
    }
}

/// What the picture needs of one observation.
#[derive(Clone, Debug, PartialEq)]
pub struct Seen {
    pub category: String,
    pub severity: u8,
    pub area: String,
    pub place_id: Option<String>,
    pub observed_at: i64,
    /// Where it was observed, when the device knew.
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

impl Seen {
    /// Where it was: the device's point, else its named place's.
    pub fn point(
        &self,
        districts: &BTreeMap<String, trygg_core::model::Area>,
    ) -> Option<(f64, f64)> {
        match (self.lat, self.lon) {
            (Some(lat), Some(lon)) => Some((lat, lon)),
            _ => super::places::point(districts, self.place_id.as_deref()?),
        }
    }
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Count {
    pub code: String,
    pub label: String,
    /// The term's group (empty for a group's own row).
    pub group: String,
    pub this_week: u32,
    /// Mean per week over the 4 weeks before.
    pub mean_4: f64,
    /// Mean per week over the 52 weeks before.
    pub mean_52: f64,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct HotSpot {
    /// A named place's id, or the district's code when no place was named.
    pub place: String,
    /// What people call it.
    pub name: String,
    pub area: String,
    pub this_week: u32,
    pub previous_4: u32,
    /// `new` or `recurring` (also a hot-spot in one of the 4 weeks before).
    pub kind: &'static str,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Picture {
    pub week: String,
    pub from_ms: i64,
    pub to_ms: i64,
    pub total: Count,
    pub groups: Vec<Count>,
    pub terms: Vec<Count>,
    pub hot_spots: Vec<HotSpot>,
    /// `grid[weekday][band]`: Monday first; bands of 6 hours from midnight.
    pub grid: [[u32; 4]; 7],
}

/// A place with at least this many observations in a week is a hot-spot.
pub const HOT_SPOT_MIN: u32 = 3;

/// The rows this picture reads: from 52 weeks before `week` to its end.
pub fn window(week: Week, tz: &TimeZone) -> (i64, i64) {
    (
        week.back(52, tz).start_ms(tz),
        week.back(-1, tz).start_ms(tz),
    )
}

/// The picture of `week` from `rows` (anything outside [`window`] is
/// ignored); `name` names a place or district by its id.
pub fn picture(
    week: Week,
    rows: &[Seen],
    vocabulary: &Vocabulary,
    tz: &TimeZone,
    name: impl Fn(&str) -> String,
) -> Picture {
    let starts: Vec<i64> = (0..=53)
        .map(|n| week.back(52 - n, tz).start_ms(tz))
        .collect();
    // Index 52 is `week` itself; 0..52 the weeks before, oldest first.
    let week_of = |t: i64| -> Option<usize> {
        if t < starts[0] || t >= starts[53] {
            return None;
        }
        Some(starts.partition_point(|s| *s <= t) - 1)
    };
    #[derive(Default, Clone, Copy)]
    struct Tally {
        this: u32,
        last_4: u32,
        last_52: u32,
    }
    impl Tally {
        fn add(&mut self, w: usize) {
            match w {
                52 => self.this += 1,
                48..=51 => {
                    self.last_4 += 1;
                    self.last_52 += 1
                }
                _ => self.last_52 += 1,
            }
        }
    }
    let mut total = Tally::default();
    let mut terms: BTreeMap<String, Tally> = BTreeMap::new();
    let mut groups: BTreeMap<String, Tally> = BTreeMap::new();
    // Per place: counts in the 5 weeks that matter (48..=52).
    let mut places: HashMap<(String, String), [u32; 5]> = HashMap::new();
    let mut grid = [[0u32; 4]; 7];
    for r in rows {
        let Some(w) = week_of(r.observed_at) else {
            continue;
        };
        let code = vocabulary.current_code(&r.category).to_string();
        let group = vocabulary
            .terms
            .get(&code)
            .map_or_else(|| "okand".to_string(), |t| t.group.clone());
        total.add(w);
        terms.entry(code).or_default().add(w);
        groups.entry(group).or_default().add(w);
        if w >= 48 {
            let place = r.place_id.clone().unwrap_or_else(|| r.area.clone());
            places.entry((place, r.area.clone())).or_default()[w - 48] += 1;
        }
        if w == 52 {
            let local = Instant::from_millisecond(r.observed_at)
                .unwrap_or(Instant::UNIX_EPOCH)
                .to_zoned_datetime(tz.clone());
            let day = Weekday::Monday.until(local.weekday()) as usize;
            let band = (local.hour() / 6) as usize;
            grid[day][band.min(3)] += 1;
        }
    }
    let count = |code: String, label: String, group: String, t: Tally| Count {
        code,
        label,
        group,
        this_week: t.this,
        mean_4: f64::from(t.last_4) / 4.0,
        mean_52: f64::from(t.last_52) / 52.0,
    };
    let mut term_rows: Vec<Count> = terms
        .into_iter()
        .map(|(code, t)| {
            let term = vocabulary.terms.get(&code);
            let label = term.map_or_else(|| code.clone(), |t| t.label_sv.clone());
            let group = term.map_or_else(|| "okand".to_string(), |t| t.group.clone());
            count(code, label, group, t)
        })
        .collect();
    term_rows.sort_by(|a, b| {
        b.this_week
            .cmp(&a.this_week)
            .then_with(|| a.label.cmp(&b.label))
    });
    let mut group_rows: Vec<(u32, Count)> = groups
        .into_iter()
        .map(|(code, t)| {
            let g = vocabulary.groups.get(&code);
            let label = g.map_or_else(|| "Okänd term".to_string(), |g| g.label_sv.clone());
            let order = g.map_or(u32::MAX, |g| g.order);
            (order, count(code, label, String::new(), t))
        })
        .collect();
    group_rows.sort_by_key(|(order, _)| *order);
    let mut hot_spots: Vec<HotSpot> = places
        .into_iter()
        .filter(|(_, weeks)| weeks[4] >= HOT_SPOT_MIN)
        .map(|((place, area), weeks)| HotSpot {
            name: name(&place),
            place,
            area,
            this_week: weeks[4],
            previous_4: weeks[..4].iter().sum(),
            kind: if weeks[..4].iter().any(|n| *n >= HOT_SPOT_MIN) {
                "recurring"
            } else {
                "new"
            },
        })
        .collect();
    hot_spots.sort_by(|a, b| {
        b.this_week
            .cmp(&a.this_week)
            .then_with(|| a.place.cmp(&b.place))
    });
    Picture {
        week: week.to_string(),
        from_ms: starts[52],
        to_ms: starts[53],
        total: count("total".into(), "Alla".into(), String::new(), total),
        groups: group_rows.into_iter().map(|(_, c)| c).collect(),
        terms: term_rows,
        hot_spots,
        grid,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use trygg_core::seed::vocabulary;

    fn at(s: &str) -> i64 {
        s.parse::<Instant>().unwrap().as_millisecond()
    }

    fn seen(category: &str, place: &str, when: &str) -> Seen {
        Seen {
            category: category.into(),
            severity: 3,
            area: "jarva".into(),
            place_id: Some(place.into()),
            observed_at: at(when),
            lat: None,
            lon: None,
        }
    }

    #[test]
    fn weeks_are_swedish_iso_weeks() {
        let tz = time_zone();
        let w = Week::parse("2026-W49").unwrap();
        assert_eq!(w.to_string(), "2026-W49");
        // Monday 30 November 2026, midnight in Stockholm (UTC+1).
        assert_eq!(w.start_ms(&tz), at("2026-11-29T23:00:00Z"));
        assert_eq!(w.back(1, &tz).to_string(), "2026-W48");
        assert_eq!(w.back(52, &tz).to_string(), "2025-W49");
        // Sunday night 23:30 in Stockholm is still week 48.
        assert_eq!(
            Week::containing(at("2026-11-29T22:30:00Z"), &tz).to_string(),
            "2026-W48"
        );
        for bad in ["2026-49", "2026-W54", "x-W1", ""] {
            assert!(Week::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn counts_compare_the_week_with_the_weeks_before() {
        let tz = time_zone();
        let week = Week::parse("2026-W49").unwrap();
        let rows = vec![
            // This week: three fires at one place (a hot-spot), one old-code litter.
            seen("brand", "jarva/tensta-centrum", "2026-11-30T20:00:00Z"),
            seen("brand", "jarva/tensta-centrum", "2026-12-01T21:00:00Z"),
            seen("brand", "jarva/tensta-centrum", "2026-12-02T09:00:00Z"),
            seen("skrap", "jarva/tensta-torg", "2026-12-03T09:00:00Z"),
            // Two weeks before: four fires elsewhere.
            seen("brand", "jarva/x", "2026-11-17T10:00:00Z"),
            seen("brand", "jarva/x", "2026-11-17T10:00:00Z"),
            seen("brand", "jarva/x", "2026-11-17T10:00:00Z"),
            seen("brand", "jarva/x", "2026-11-17T10:00:00Z"),
            // Half a year before, and out of the window.
            seen("brand", "jarva/x", "2026-06-01T10:00:00Z"),
            seen("brand", "jarva/x", "2024-06-01T10:00:00Z"),
            seen("brand", "jarva/x", "2026-12-07T10:00:00Z"),
        ];
        let p = picture(week, &rows, &vocabulary(), &tz, |p| p.to_uppercase());
        assert_eq!(p.total.this_week, 4);
        assert_eq!(p.total.mean_4, 1.0);
        assert_eq!(p.total.mean_52, 5.0 / 52.0);
        let brand = p.terms.iter().find(|t| t.code == "brand").unwrap();
        assert_eq!((brand.this_week, brand.mean_4), (3, 1.0));
        // `skrap` was replaced by `nedskrapning`: counted there.
        assert!(p.terms.iter().all(|t| t.code != "skrap"));
        let litter = p.terms.iter().find(|t| t.code == "nedskrapning").unwrap();
        assert_eq!(litter.this_week, 1);
        assert_eq!(p.hot_spots.len(), 1);
        assert_eq!(p.hot_spots[0].place, "jarva/tensta-centrum");
        assert_eq!(p.hot_spots[0].kind, "new");
        assert_eq!(p.hot_spots[0].name, "JARVA/TENSTA-CENTRUM");
        // Monday 21:00 and Tuesday 22:00 in Stockholm are evening; Wednesday
        // 10:00 and Thursday 10:00 morning.
        assert_eq!(p.grid[0][3], 1);
        assert_eq!(p.grid[1][3], 1);
        assert_eq!(p.grid[2][1], 1);
        assert_eq!(p.grid[3][1], 1);
        assert_eq!(p.grid.iter().flatten().sum::<u32>(), 4);

        // The place that was hot two weeks ago and again now is recurring.
        let mut again = rows.clone();
        for _ in 0..3 {
            again.push(seen("brand", "jarva/x", "2026-12-01T10:00:00Z"));
        }
        let p = picture(week, &again, &vocabulary(), &tz, |p| p.to_uppercase());
        let x = p.hot_spots.iter().find(|h| h.place == "jarva/x").unwrap();
        assert_eq!((x.kind, x.this_week, x.previous_4), ("recurring", 3, 4));
    }
}
