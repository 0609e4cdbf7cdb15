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

use super::suppress::{Cell, Sum, hidden};

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
    /// Recorded in a document another organisation owns: the person sees
    /// it only in aggregates (`suppress`).
    pub partner: bool,
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

/// A row of counts; a count is `None` where it is suppressed (`suppress`).
#[derive(Debug, Serialize, PartialEq)]
pub struct Count {
    pub code: String,
    pub label: String,
    /// The term's group (empty for a group's own row).
    pub group: String,
    pub this_week: Option<u32>,
    /// Mean per week over the 4 weeks before.
    pub mean_4: Option<f64>,
    /// Mean per week over the 52 weeks before.
    pub mean_52: Option<f64>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct HotSpot {
    /// A named place's id, or the district's code when no place was named.
    pub place: String,
    /// What people call it.
    pub name: String,
    pub area: String,
    pub this_week: u32,
    /// `None` where suppressed.
    pub previous_4: Option<u32>,
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
    /// `grid[weekday][band]`: Monday first; bands of 6 hours from midnight;
    /// `None` where suppressed.
    pub grid: [[Option<u32>; 4]; 7],
    /// Counts were suppressed to protect partners' observations.
    pub suppressed: bool,
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
    /// The three measures of one row: this week, the 4 and the 52 weeks before.
    #[derive(Default, Clone, Copy)]
    struct Tally {
        this: Cell,
        last_4: Cell,
        last_52: Cell,
    }
    impl Tally {
        fn add(&mut self, w: usize, partner: bool) {
            match w {
                52 => self.this.add(partner),
                48..=51 => {
                    self.last_4.add(partner);
                    self.last_52.add(partner)
                }
                _ => self.last_52.add(partner),
            }
        }
    }
    let mut total = Tally::default();
    let mut terms: BTreeMap<String, Tally> = BTreeMap::new();
    let mut groups: BTreeMap<String, Tally> = BTreeMap::new();
    // Per place: counts in the 5 weeks that matter (48..=52).
    let mut places: HashMap<(String, String), [Cell; 5]> = HashMap::new();
    let mut grid = [[Cell::default(); 4]; 7];
    for r in rows {
        let Some(w) = week_of(r.observed_at) else {
            continue;
        };
        let code = vocabulary.current_code(&r.category).to_string();
        let group = vocabulary
            .terms
            .get(&code)
            .map_or_else(|| "okand".to_string(), |t| t.group.clone());
        total.add(w, r.partner);
        terms.entry(code).or_default().add(w, r.partner);
        groups.entry(group).or_default().add(w, r.partner);
        if w >= 48 {
            let place = r.place_id.clone().unwrap_or_else(|| r.area.clone());
            places.entry((place, r.area.clone())).or_default()[w - 48].add(r.partner);
        }
        if w == 52 {
            let local = Instant::from_millisecond(r.observed_at)
                .unwrap_or(Instant::UNIX_EPOCH)
                .to_zoned_datetime(tz.clone());
            let day = Weekday::Monday.until(local.weekday()) as usize;
            let band = (local.hour() / 6) as usize;
            grid[day][band.min(3)].add(r.partner);
        }
    }

    // The table as the equations it publishes: the total is the sum of
    // the groups, each group the sum of its terms, and (this week) the
    // total the sum of the grid's cells. Each measure is protected alone.
    let group_codes: Vec<&String> = groups.keys().collect();
    let term_codes: Vec<&String> = terms.keys().collect();
    let term_group = |code: &str| {
        vocabulary
            .terms
            .get(code)
            .map_or("okand", |t| t.group.as_str())
    };
    let first_term = 1 + group_codes.len();
    let first_grid = first_term + term_codes.len();
    let mut sums = vec![Sum {
        total: 0,
        parts: (1..first_term).collect(),
    }];
    for (g, code) in group_codes.iter().enumerate() {
        sums.push(Sum {
            total: 1 + g,
            parts: term_codes
                .iter()
                .enumerate()
                .filter(|(_, t)| term_group(t) == code.as_str())
                .map(|(i, _)| first_term + i)
                .collect(),
        });
    }
    let table = |measure: fn(&Tally) -> Cell| -> Vec<Cell> {
        std::iter::once(measure(&total))
            .chain(groups.values().map(measure))
            .chain(terms.values().map(measure))
            .collect()
    };
    let mut this = table(|t| t.this);
    this.extend(grid.iter().flatten().copied());
    let mut this_sums = sums.clone();
    this_sums.push(Sum {
        total: 0,
        parts: (first_grid..first_grid + 28).collect(),
    });
    let hidden_this = hidden(&this, &this_sums);
    let hidden_4 = hidden(&table(|t| t.last_4), &sums);
    let hidden_52 = hidden(&table(|t| t.last_52), &sums);
    let suppressed = [&hidden_this, &hidden_4, &hidden_52]
        .iter()
        .any(|h| h.iter().any(|h| *h));

    let count = |at: usize, code: String, label: String, group: String, t: &Tally| Count {
        code,
        label,
        group,
        this_week: t.this.shown(hidden_this[at]),
        mean_4: t.last_4.shown(hidden_4[at]).map(|n| f64::from(n) / 4.0),
        mean_52: t.last_52.shown(hidden_52[at]).map(|n| f64::from(n) / 52.0),
    };
    let mut term_rows: Vec<Count> = terms
        .iter()
        .enumerate()
        .map(|(i, (code, t))| {
            let term = vocabulary.terms.get(code);
            let label = term.map_or_else(|| code.clone(), |t| t.label_sv.clone());
            count(
                first_term + i,
                code.clone(),
                label,
                term_group(code).to_string(),
                t,
            )
        })
        .collect();
    // Most first; a suppressed count sorts as if it were none.
    term_rows.sort_by(|a, b| {
        b.this_week
            .unwrap_or(0)
            .cmp(&a.this_week.unwrap_or(0))
            .then_with(|| a.label.cmp(&b.label))
    });
    // The table holds the groups in `groups`' order from index 1.
    let mut group_rows: Vec<(u32, Count)> = groups
        .iter()
        .enumerate()
        .map(|(i, (code, t))| {
            let g = vocabulary.groups.get(code);
            let label = g.map_or_else(|| "Okänd term".to_string(), |g| g.label_sv.clone());
            let order = g.map_or(u32::MAX, |g| g.order);
            (order, count(1 + i, code.clone(), label, String::new(), t))
        })
        .collect();
    group_rows.sort_by_key(|(order, _)| *order);
    // A hot-spot is a subset, not part of an equation: it shows when its
    // own count may be published.
    let mut hot_spots: Vec<HotSpot> = places
        .into_iter()
        .filter(|(_, weeks)| weeks[4].all >= HOT_SPOT_MIN && !weeks[4].sensitive())
        .map(|((place, area), weeks)| {
            let mut before = Cell::default();
            for w in &weeks[..4] {
                before.all += w.all;
                before.partners += w.partners;
            }
            HotSpot {
                name: name(&place),
                place,
                area,
                this_week: weeks[4].all,
                previous_4: before.shown(before.sensitive()),
                kind: if weeks[..4].iter().any(|n| n.all >= HOT_SPOT_MIN) {
                    "recurring"
                } else {
                    "new"
                },
            }
        })
        .collect();
    hot_spots.sort_by(|a, b| {
        b.this_week
            .cmp(&a.this_week)
            .then_with(|| a.place.cmp(&b.place))
    });
    let mut shown_grid = [[None; 4]; 7];
    for (i, c) in grid.iter().flatten().enumerate() {
        shown_grid[i / 4][i % 4] = c.shown(hidden_this[first_grid + i]);
    }
    Picture {
        week: week.to_string(),
        from_ms: starts[52],
        to_ms: starts[53],
        total: count(0, "total".into(), "Alla".into(), String::new(), &total),
        groups: group_rows.into_iter().map(|(_, c)| c).collect(),
        terms: term_rows,
        hot_spots,
        grid: shown_grid,
        suppressed,
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
            partner: false,
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
        assert_eq!(p.total.this_week, Some(4));
        assert_eq!(p.total.mean_4, Some(1.0));
        assert_eq!(p.total.mean_52, Some(5.0 / 52.0));
        assert!(!p.suppressed, "the person's own observations");
        let brand = p.terms.iter().find(|t| t.code == "brand").unwrap();
        assert_eq!((brand.this_week, brand.mean_4), (Some(3), Some(1.0)));
        // `skrap` was replaced by `nedskrapning`: counted there.
        assert!(p.terms.iter().all(|t| t.code != "skrap"));
        let litter = p.terms.iter().find(|t| t.code == "nedskrapning").unwrap();
        assert_eq!(litter.this_week, Some(1));
        assert_eq!(p.hot_spots.len(), 1);
        assert_eq!(p.hot_spots[0].place, "jarva/tensta-centrum");
        assert_eq!(p.hot_spots[0].kind, "new");
        assert_eq!(p.hot_spots[0].name, "JARVA/TENSTA-CENTRUM");
        // Monday 21:00 and Tuesday 22:00 in Stockholm are evening; Wednesday
        // 10:00 and Thursday 10:00 morning.
        assert_eq!(p.grid[0][3], Some(1));
        assert_eq!(p.grid[1][3], Some(1));
        assert_eq!(p.grid[2][1], Some(1));
        assert_eq!(p.grid[3][1], Some(1));
        assert_eq!(p.grid.iter().flatten().flatten().sum::<u32>(), 4);

        // The place that was hot two weeks ago and again now is recurring.
        let mut again = rows.clone();
        for _ in 0..3 {
            again.push(seen("brand", "jarva/x", "2026-12-01T10:00:00Z"));
        }
        let p = picture(week, &again, &vocabulary(), &tz, |p| p.to_uppercase());
        let x = p.hot_spots.iter().find(|h| h.place == "jarva/x").unwrap();
        assert_eq!(
            (x.kind, x.this_week, x.previous_4),
            ("recurring", 3, Some(4))
        );
    }

    #[test]
    fn a_partners_small_counts_are_suppressed_and_cannot_be_subtracted_back() {
        let tz = time_zone();
        let week = Week::parse("2026-W49").unwrap();
        let partner = |category: &str, place: &str| Seen {
            partner: true,
            ..seen(category, place, "2026-12-01T09:00:00Z")
        };
        // Six fires at one place and three litter at another, all a partner's.
        let mut rows: Vec<Seen> = (0..6).map(|_| partner("brand", "jarva/a")).collect();
        rows.extend((0..3).map(|_| partner("nedskrapning", "jarva/b")));
        let p = picture(week, &rows, &vocabulary(), &tz, |p| p.to_string());
        assert!(p.suppressed);
        assert_eq!(p.total.this_week, Some(9));
        let term = |code: &str| p.terms.iter().find(|t| t.code == code).unwrap();
        // 3 is below 5; 6 would give it back (9 - 6).
        assert_eq!(term("nedskrapning").this_week, None);
        assert_eq!(term("brand").this_week, None);
        // Both terms are in one group: it shows the nine, as the total does.
        assert_eq!(p.groups.len(), 1);
        assert_eq!(p.groups[0].this_week, Some(9));
        // All nine in one cell of the grid: the same as the total, shown.
        assert_eq!(p.grid[1][1], Some(9));
        // The fires' place is a hot-spot (six); the litter's three are not shown.
        assert_eq!(p.hot_spots.len(), 1);
        assert_eq!(p.hot_spots[0].place, "jarva/a");
        assert_eq!(p.hot_spots[0].previous_4, Some(0));

        // The same rows as the owning organisation's: nothing suppressed.
        let own: Vec<Seen> = rows
            .iter()
            .map(|r| Seen {
                partner: false,
                ..r.clone()
            })
            .collect();
        let p = picture(week, &own, &vocabulary(), &tz, |p| p.to_string());
        assert!(!p.suppressed);
        assert_eq!(
            p.terms
                .iter()
                .find(|t| t.code == "nedskrapning")
                .unwrap()
                .this_week,
            Some(3)
        );
        assert_eq!(p.hot_spots.len(), 2);
    }
}
