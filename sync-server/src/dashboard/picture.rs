//! The situational picture (lägesbild), as plain data: counts per
//! vocabulary group and term for a period of whole ISO weeks (one week by
//! default; a month's 4 or a quarter's 13 for the deeper analysis) against
//! the 4 periods and the 52 weeks before it, hot-spots, and a weekday ×
//! time-of-day grid. No IO: the rows come in already filtered by what the
//! person may read.

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

/// An instant (milliseconds since the epoch) in Stockholm's time, in a
/// `strftime` format; the milliseconds themselves if it is out of range.
pub fn local_time(ms: i64, tz: &TimeZone, format: &str) -> String {
    Instant::from_millisecond(ms).map_or_else(
        |_| ms.to_string(),
        |t| t.to_zoned_datetime(tz.clone()).strftime(format).to_string(),
    )
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
    /// Its free text, read only for an export the person's organisation lets
    /// carry notes, and only when it is the person's own (`read::Filter`).
    pub note: Option<String>,
    /// Recorded in an exercise (*övning*); a view has such rows only when
    /// it asked for them ([`super::read::Exercises`]).
    pub exercise: bool,
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
    /// In the period.
    pub in_period: Option<u32>,
    /// Mean per period over the 4 periods before.
    pub mean_4: Option<f64>,
    /// Mean per period (per week × the period's weeks) over the 52 weeks
    /// before the period.
    pub mean_52: Option<f64>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct HotSpot {
    /// A named place's id, or the district's code when no place was named.
    pub place: String,
    /// What people call it.
    pub name: String,
    pub area: String,
    pub in_period: u32,
    /// In the 4 periods before; `None` where suppressed.
    pub previous_4: Option<u32>,
    /// `new` or `recurring` (also a hot-spot in one of the 4 periods before).
    pub kind: &'static str,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Picture {
    /// The period's last week.
    pub week: String,
    /// The period's first week.
    pub first_week: String,
    /// How many weeks the period holds.
    pub weeks: u8,
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

/// A place with at least this many observations a week (on average over
/// the period) is a hot-spot.
pub const HOT_SPOT_MIN: u32 = 3;

/// The longest period, in weeks.
pub const MAX_WEEKS: u8 = 52;

/// The period of `weeks` whole weeks ending with `week`: what the picture
/// shows and what it compares with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Period {
    pub week: Week,
    /// 1 to [`MAX_WEEKS`].
    pub weeks: u8,
}

impl Period {
    /// The period's weeks, held to 1 to [`MAX_WEEKS`].
    fn len(self) -> u8 {
        self.weeks.clamp(1, MAX_WEEKS)
    }

    /// How many weeks the picture reads: the period and, before it, the
    /// longer of its 4 periods and 52 weeks.
    fn span(self) -> i64 {
        let n = i64::from(self.len());
        n + (4 * n).max(52)
    }

    /// The rows this picture reads, from the start of [`Period::span`]'s
    /// first week to the end of `week`.
    pub fn window(self, tz: &TimeZone) -> (i64, i64) {
        (
            self.week.back(self.span() - 1, tz).start_ms(tz),
            self.week.back(-1, tz).start_ms(tz),
        )
    }
}

/// The picture of `period` from `rows` (anything outside its window is
/// ignored); `name` names a place or district by its id.
pub fn picture(
    period: Period,
    rows: &[Seen],
    vocabulary: &Vocabulary,
    tz: &TimeZone,
    name: impl Fn(&str) -> String,
) -> Picture {
    let week = period.week;
    let n = usize::from(period.len());
    let span = period.span();
    let starts: Vec<i64> = (0..=span)
        .map(|i| week.back(span - 1 - i, tz).start_ms(tz))
        .collect();
    // How many weeks before `week` an instant is (0: `week` itself).
    let back_of = |t: i64| -> Option<usize> {
        if t < starts[0] || t >= starts[starts.len() - 1] {
            return None;
        }
        let at = starts.partition_point(|s| *s <= t) - 1;
        Some(starts.len() - 2 - at)
    };
    /// The three measures of one row: the period, the 4 periods and the 52
    /// weeks before.
    #[derive(Default, Clone, Copy)]
    struct Tally {
        this: Cell,
        last_4: Cell,
        last_52: Cell,
    }
    impl Tally {
        /// Counts an observation `back` weeks before the period's last week.
        fn add(&mut self, back: usize, n: usize, partner: bool) {
            if back < n {
                self.this.add(partner);
                return;
            }
            if back < 5 * n {
                self.last_4.add(partner);
            }
            if back < n + 52 {
                self.last_52.add(partner);
            }
        }
    }
    let mut total = Tally::default();
    let mut terms: BTreeMap<String, Tally> = BTreeMap::new();
    let mut groups: BTreeMap<String, Tally> = BTreeMap::new();
    // Per place: counts in the 5 periods that matter, oldest first (4:
    // this period).
    let mut places: HashMap<(String, String), [Cell; 5]> = HashMap::new();
    let mut grid = [[Cell::default(); 4]; 7];
    for r in rows {
        let Some(back) = back_of(r.observed_at) else {
            continue;
        };
        let code = vocabulary.current_code(&r.category).to_string();
        let group = vocabulary
            .terms
            .get(&code)
            .map_or_else(|| "okand".to_string(), |t| t.group.clone());
        total.add(back, n, r.partner);
        terms.entry(code).or_default().add(back, n, r.partner);
        groups.entry(group).or_default().add(back, n, r.partner);
        if back < 5 * n {
            let place = r.place_id.clone().unwrap_or_else(|| r.area.clone());
            places.entry((place, r.area.clone())).or_default()[4 - back / n].add(r.partner);
        }
        if back < n {
            let local = Instant::from_millisecond(r.observed_at)
                .unwrap_or(Instant::UNIX_EPOCH)
                .to_zoned_datetime(tz.clone());
            let day = Weekday::Monday.until(local.weekday()) as usize;
            let band = (local.hour() / 6) as usize;
            grid[day][band.min(3)].add(r.partner);
        }
    }

    // The table as the equations it publishes: the total is the sum of
    // the groups, each group the sum of its terms, and (the period) the
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
        in_period: t.this.shown(hidden_this[at]),
        mean_4: t.last_4.shown(hidden_4[at]).map(|c| f64::from(c) / 4.0),
        mean_52: t
            .last_52
            .shown(hidden_52[at])
            .map(|c| f64::from(c) * n as f64 / 52.0),
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
        b.in_period
            .unwrap_or(0)
            .cmp(&a.in_period.unwrap_or(0))
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
    let hot = HOT_SPOT_MIN * n as u32;
    let mut hot_spots: Vec<HotSpot> = places
        .into_iter()
        .filter(|(_, periods)| periods[4].all >= hot && !periods[4].sensitive())
        .map(|((place, area), periods)| {
            let mut before = Cell::default();
            for w in &periods[..4] {
                before.all += w.all;
                before.partners += w.partners;
            }
            HotSpot {
                name: name(&place),
                place,
                area,
                in_period: periods[4].all,
                previous_4: before.shown(before.sensitive()),
                kind: if periods[..4].iter().any(|p| p.all >= hot) {
                    "recurring"
                } else {
                    "new"
                },
            }
        })
        .collect();
    hot_spots.sort_by(|a, b| {
        b.in_period
            .cmp(&a.in_period)
            .then_with(|| a.place.cmp(&b.place))
    });
    let mut shown_grid = [[None; 4]; 7];
    for (i, c) in grid.iter().flatten().enumerate() {
        shown_grid[i / 4][i % 4] = c.shown(hidden_this[first_grid + i]);
    }
    Picture {
        week: week.to_string(),
        first_week: week.back(n as i64 - 1, tz).to_string(),
        weeks: n as u8,
        from_ms: starts[starts.len() - 1 - n],
        to_ms: starts[starts.len() - 1],
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
            note: None,
            exercise: false,
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
        let p = picture(Period { week, weeks: 1 }, &rows, &vocabulary(), &tz, |p| {
            p.to_uppercase()
        });
        assert_eq!(p.total.in_period, Some(4));
        assert_eq!(p.total.mean_4, Some(1.0));
        assert_eq!(p.total.mean_52, Some(5.0 / 52.0));
        assert!(!p.suppressed, "the person's own observations");
        let brand = p.terms.iter().find(|t| t.code == "brand").unwrap();
        assert_eq!((brand.in_period, brand.mean_4), (Some(3), Some(1.0)));
        // `skrap` was replaced by `nedskrapning`: counted there.
        assert!(p.terms.iter().all(|t| t.code != "skrap"));
        let litter = p.terms.iter().find(|t| t.code == "nedskrapning").unwrap();
        assert_eq!(litter.in_period, Some(1));
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
        let p = picture(Period { week, weeks: 1 }, &again, &vocabulary(), &tz, |p| {
            p.to_uppercase()
        });
        let x = p.hot_spots.iter().find(|h| h.place == "jarva/x").unwrap();
        assert_eq!(
            (x.kind, x.in_period, x.previous_4),
            ("recurring", 3, Some(4))
        );
    }

    #[test]
    fn a_period_of_weeks_is_compared_with_as_long_periods_before() {
        let tz = time_zone();
        let period = Period {
            week: Week::parse("2026-W49").unwrap(),
            weeks: 4,
        };
        // The period is weeks 46 to 49: Monday 9 November to Sunday 6 December.
        let (from, to) = period.window(&tz);
        assert_eq!(to, at("2026-12-06T23:00:00Z"));
        // The 4 periods before (16 weeks) are shorter than 52 weeks: it reads 56.
        assert_eq!(from, Week::parse("2025-W46").unwrap().start_ms(&tz));
        let mut rows = vec![
            // In the period: 12 at one place (3 a week: a hot-spot), in
            // weeks 46 and 49; one elsewhere.
            seen("brand", "jarva/a", "2026-11-30T20:00:00Z"),
            seen("brand", "jarva/b", "2026-11-10T09:00:00Z"),
        ];
        rows.extend((0..11).map(|_| seen("brand", "jarva/a", "2026-11-10T10:00:00Z")));
        // The period before (weeks 42–45): 8 at the same place, not hot (fewer than 12).
        rows.extend((0..8).map(|_| seen("brand", "jarva/a", "2026-10-20T10:00:00Z")));
        // Weeks 30–33, the fourth period before: 4.
        rows.extend((0..4).map(|_| seen("brand", "jarva/c", "2026-07-21T10:00:00Z")));
        // 40 weeks before the period: in the year, not in the 4 periods.
        rows.extend((0..2).map(|_| seen("brand", "jarva/c", "2026-02-03T10:00:00Z")));
        // Just before the window, and after the period: neither.
        rows.push(seen("brand", "jarva/c", "2025-11-09T10:00:00Z"));
        rows.push(seen("brand", "jarva/c", "2026-12-07T10:00:00Z"));
        let p = picture(period, &rows, &vocabulary(), &tz, |p| p.to_string());
        assert_eq!(
            (p.week.as_str(), p.first_week.as_str(), p.weeks),
            ("2026-W49", "2026-W46", 4)
        );
        assert_eq!(p.from_ms, Week::parse("2026-W46").unwrap().start_ms(&tz));
        assert_eq!(p.total.in_period, Some(13));
        // 12 in the 4 periods before: a mean of 3 per period.
        assert_eq!(p.total.mean_4, Some(3.0));
        // 14 in the 52 weeks before: per 4 weeks, 14 × 4 / 52.
        assert_eq!(p.total.mean_52, Some(14.0 * 4.0 / 52.0));
        assert_eq!(p.hot_spots.len(), 1);
        let hot = &p.hot_spots[0];
        assert_eq!(
            (hot.place.as_str(), hot.in_period, hot.previous_4, hot.kind),
            ("jarva/a", 12, Some(8), "new")
        );
        // The grid covers the whole period: 11 on Tuesday morning, and so on.
        assert_eq!(p.grid.iter().flatten().flatten().sum::<u32>(), 13);
        assert_eq!(p.grid[1][1], Some(12));

        // A year: the 4 years before are read for the 4 periods.
        let year = Period {
            week: period.week,
            weeks: 52,
        };
        assert_eq!(
            year.window(&tz).0,
            Week::parse("2021-W50").unwrap().start_ms(&tz)
        );
        let p = picture(year, &rows, &vocabulary(), &tz, |p| p.to_string());
        assert_eq!(p.total.in_period, Some(27));
        assert_eq!(p.total.mean_4, Some(1.0 / 4.0));
        assert_eq!(p.total.mean_52, Some(1.0));
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
        let p = picture(Period { week, weeks: 1 }, &rows, &vocabulary(), &tz, |p| {
            p.to_string()
        });
        assert!(p.suppressed);
        assert_eq!(p.total.in_period, Some(9));
        let term = |code: &str| p.terms.iter().find(|t| t.code == code).unwrap();
        // 3 is below 5; 6 would give it back (9 - 6).
        assert_eq!(term("nedskrapning").in_period, None);
        assert_eq!(term("brand").in_period, None);
        // Both terms are in one group: it shows the nine, as the total does.
        assert_eq!(p.groups.len(), 1);
        assert_eq!(p.groups[0].in_period, Some(9));
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
        let p = picture(Period { week, weeks: 1 }, &own, &vocabulary(), &tz, |p| {
            p.to_string()
        });
        assert!(!p.suppressed);
        assert_eq!(
            p.terms
                .iter()
                .find(|t| t.code == "nedskrapning")
                .unwrap()
                .in_period,
            Some(3)
        );
        assert_eq!(p.hot_spots.len(), 2);
    }
}
