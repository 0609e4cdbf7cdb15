//! What a person sees of other organisations' observations (no IO).
//!
//! Someone outside the organisation that owns an observation (a housing
//! company's viewer looking at the district's walks, say) sees it only in
//! aggregates, as Swedish official statistics publish them:
//!
//! * **where**: at the centre of its H3 cell ([`RESOLUTION`], about 0.7 km²),
//!   never its exact point or named place, and only when at least [`K`] of
//!   the partners' observations the person selected fall in that cell; the
//!   others are withheld from the map and the exports ([`coarsen`]);
//! * **how many**: a published count to which partners' observations add
//!   between 1 and `K - 1` is suppressed, and so many more cells with it
//!   (complementary suppression, [`hidden`]) that no total minus the counts
//!   still shown gives a suppressed count back.
//!
//! The person knows their own organisation's counts, so a cell's risk is
//! the part other organisations added to it: [`Cell::partners`].

use std::collections::{BTreeMap, HashMap};

use h3o::{CellIndex, LatLng, Resolution};
use trygg_core::model::Area;

use super::picture::Seen;

/// The smallest number of partners' observations a published count may hold.
pub const K: u32 = 5;

/// The H3 cells partners' observations are placed in (average area 0.74 km²).
pub const RESOLUTION: Resolution = Resolution::Eight;

/// One published count: all of it, and the part partners' observations add.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cell {
    pub all: u32,
    pub partners: u32,
}

impl Cell {
    pub fn add(&mut self, partner: bool) {
        self.all += 1;
        self.partners += u32::from(partner);
    }

    /// Too few partners' observations to publish.
    pub fn sensitive(&self) -> bool {
        (1..K).contains(&self.partners)
    }

    /// The count, unless `hidden`.
    pub fn shown(&self, hidden: bool) -> Option<u32> {
        (!hidden).then_some(self.all)
    }
}

/// A published equation: the cell at `total` is the sum of the cells at `parts`.
#[derive(Clone, Debug)]
pub struct Sum {
    pub total: usize,
    pub parts: Vec<usize>,
}

/// Which of `cells` to hide so that nothing sensitive can be read or worked
/// out from `sums`: every sensitive cell (primary suppression), and then,
/// until no equation gives one back, in each equation with a hidden cell,
/// more cells until at least two are hidden and the hidden parts hold at
/// least `K` partners' observations between them — the smallest visible
/// part with partners' observations first, else the total (complementary
/// suppression). A cell without partners' observations is never hidden:
/// the person knows it already.
pub fn hidden(cells: &[Cell], sums: &[Sum]) -> Vec<bool> {
    let mut hide: Vec<bool> = cells.iter().map(Cell::sensitive).collect();
    loop {
        let mut changed = false;
        for sum in sums {
            let hidden_parts: Vec<usize> = sum.parts.iter().copied().filter(|i| hide[*i]).collect();
            let total_hidden = hide[sum.total];
            if hidden_parts.is_empty() && !total_hidden {
                continue;
            }
            let safe = if total_hidden {
                // Two unknowns at least: the total and a part.
                !hidden_parts.is_empty()
            } else {
                let partners: u32 = hidden_parts.iter().map(|i| cells[*i].partners).sum();
                hidden_parts.len() >= 2 && partners >= K
            };
            if safe {
                continue;
            }
            let next = sum
                .parts
                .iter()
                .copied()
                .filter(|i| !hide[*i] && cells[*i].partners > 0)
                .min_by_key(|i| (cells[*i].partners, *i));
            match next {
                Some(i) => hide[i] = true,
                None if !total_hidden && cells[sum.total].partners > 0 => hide[sum.total] = true,
                // Nothing left that could be hidden: what is visible here
                // holds no partners' observations the person could work out.
                None => continue,
            }
            changed = true;
        }
        if !changed {
            return hide;
        }
    }
}

/// The H3 cell a point lies in; none for a point that is not on the earth.
pub fn cell_of(lat: f64, lon: f64) -> Option<CellIndex> {
    LatLng::new(lat, lon).ok().map(|p| p.to_cell(RESOLUTION))
}

/// The rows as the map and exports may show them to the person: their own
/// organisation's as they are; partners' at their cell's centre without a
/// named place or a note, and only from cells (per the whole selection) holding at
/// least `K` of them — observations with no position count as one cell of
/// their own. Returns the rows kept and how many were withheld.
pub fn coarsen(rows: Vec<Seen>, districts: &BTreeMap<String, Area>) -> (Vec<Seen>, u32) {
    let mut per_cell: HashMap<Option<CellIndex>, u32> = HashMap::new();
    let mut placed = Vec::with_capacity(rows.len());
    for row in rows {
        let cell = if row.partner {
            let cell = row
                .point(districts)
                .and_then(|(lat, lon)| cell_of(lat, lon));
            *per_cell.entry(cell).or_default() += 1;
            Some(cell)
        } else {
            None
        };
        placed.push((row, cell));
    }
    let mut withheld = 0;
    let kept = placed
        .into_iter()
        .filter_map(|(mut row, cell)| {
            let Some(cell) = cell else {
                return Some(row); // the person's own
            };
            if per_cell[&cell] < K {
                withheld += 1;
                return None;
            }
            let centre = cell.map(LatLng::from);
            row.lat = centre.map(|c| c.lat());
            row.lon = centre.map(|c| c.lng());
            row.place_id = None;
            row.note = None;
            Some(row)
        })
        .collect();
    (kept, withheld)
}

/// A count of withheld observations as it may be published: none between 1
/// and `K - 1`.
pub fn publishable(count: u32) -> Option<u32> {
    (!(1..K).contains(&count)).then_some(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(all: u32, partners: u32) -> Cell {
        Cell { all, partners }
    }

    /// Every equation with a hidden cell leaves at least two unknowns, and
    /// hidden parts under a shown total hold at least K partners' observations.
    fn protected(cells: &[Cell], sums: &[Sum], hide: &[bool]) -> bool {
        cells.iter().zip(hide).all(|(c, h)| *h || !c.sensitive())
            && sums.iter().all(|s| {
                let parts: Vec<usize> = s.parts.iter().copied().filter(|i| hide[*i]).collect();
                match (hide[s.total], parts.len()) {
                    (false, 0) => true,
                    (true, n) => n >= 1,
                    (false, n) => {
                        n >= 2 && parts.iter().map(|i| cells[*i].partners).sum::<u32>() >= K
                    }
                }
            })
    }

    #[test]
    fn a_count_of_three_is_hidden_and_so_is_the_one_it_could_be_worked_out_from() {
        // Total 9 = fires 6 + litter 3, all a partner's.
        let cells = [cell(9, 9), cell(6, 6), cell(3, 3)];
        let sums = [Sum {
            total: 0,
            parts: vec![1, 2],
        }];
        let hide = hidden(&cells, &sums);
        assert_eq!(hide, vec![false, true, true]);
        assert!(protected(&cells, &sums, &hide));
    }

    #[test]
    fn the_persons_own_counts_are_never_hidden() {
        let cells = [cell(9, 0), cell(6, 0), cell(3, 0)];
        let sums = [Sum {
            total: 0,
            parts: vec![1, 2],
        }];
        assert_eq!(hidden(&cells, &sums), vec![false; 3]);
        // A part with own observations only is no help in hiding another:
        // the person knows it. Here the total goes instead.
        let cells = [cell(12, 3), cell(9, 0), cell(3, 3)];
        assert_eq!(hidden(&cells, &sums), vec![true, false, true]);
    }

    #[test]
    fn two_small_hidden_parts_are_not_enough_when_their_sum_is_small() {
        // 1 + 1 hidden under a shown total would say "two, one each".
        let cells = [cell(20, 20), cell(18, 18), cell(1, 1), cell(1, 1)];
        let sums = [Sum {
            total: 0,
            parts: vec![1, 2, 3],
        }];
        let hide = hidden(&cells, &sums);
        assert_eq!(hide, vec![false, true, true, true]);
        assert!(protected(&cells, &sums, &hide));
    }

    #[test]
    fn suppression_follows_a_hierarchy_until_nothing_gives_a_cell_back() {
        // total = g1 + g2; g1 = t1 + t2; g2 = t3. Only t2 (2) is sensitive.
        let cells = [
            cell(30, 30), // 0 total
            cell(12, 12), // 1 g1
            cell(18, 18), // 2 g2
            cell(10, 10), // 3 t1
            cell(2, 2),   // 4 t2
            cell(18, 18), // 5 t3
        ];
        let sums = [
            Sum {
                total: 0,
                parts: vec![1, 2],
            },
            Sum {
                total: 1,
                parts: vec![3, 4],
            },
            Sum {
                total: 2,
                parts: vec![5],
            },
        ];
        let hide = hidden(&cells, &sums);
        assert!(hide[4], "the sensitive cell");
        assert!(protected(&cells, &sums, &hide), "{hide:?}");
    }

    #[test]
    fn random_tables_are_always_protected() {
        // A small deterministic generator: many shapes, no new dependency.
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |n: u32| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % u64::from(n)) as u32
        };
        for _ in 0..2_000 {
            let groups = 1 + next(4) as usize;
            let mut cells = vec![Cell::default()];
            let mut sums = vec![Sum {
                total: 0,
                parts: vec![],
            }];
            for _ in 0..groups {
                let g = cells.len();
                cells.push(Cell::default());
                sums[0].parts.push(g);
                let mut parts = vec![];
                for _ in 0..1 + next(4) {
                    let partners = next(9);
                    let own = next(3);
                    let t = cell(partners + own, partners);
                    parts.push(cells.len());
                    cells.push(t);
                    for i in [0, g] {
                        cells[i].all += t.all;
                        cells[i].partners += t.partners;
                    }
                }
                sums.push(Sum { total: g, parts });
            }
            let hide = hidden(&cells, &sums);
            assert!(protected(&cells, &sums, &hide), "{cells:?} {hide:?}");
        }
    }

    fn seen(partner: bool, lat: f64, lon: f64) -> Seen {
        Seen {
            category: "brand".into(),
            severity: 3,
            area: "jarva".into(),
            place_id: Some("jarva/x".into()),
            observed_at: 0,
            lat: Some(lat),
            lon: Some(lon),
            partner,
            note: None,
            exercise: false,
        }
    }

    #[test]
    fn partners_observations_show_at_their_cells_centre_and_only_from_full_cells() {
        let districts = BTreeMap::new();
        let mut own = seen(false, 59.4, 17.9);
        own.note = Some("egen anteckning".into());
        let mut rows = vec![own.clone()];
        // Five in one cell (a few metres apart), two in a cell far away.
        for i in 0..5 {
            let mut partner = seen(true, 59.4 + f64::from(i) * 1e-5, 17.9);
            partner.note = Some("en partners anteckning".into());
            rows.push(partner);
        }
        rows.push(seen(true, 59.3, 18.1));
        rows.push(seen(true, 59.3, 18.1));
        let (kept, withheld) = coarsen(rows, &districts);
        assert_eq!((kept.len(), withheld), (6, 2));
        assert_eq!(kept[0], own, "the person's own, as is");
        let centre = LatLng::from(cell_of(59.4, 17.9).unwrap());
        for r in &kept[1..] {
            assert_eq!((r.lat, r.lon), (Some(centre.lat()), Some(centre.lng())));
            assert_eq!((&r.place_id, &r.note), (&None, &None));
        }
        assert_eq!(publishable(2), None);
        assert_eq!(publishable(0), Some(0));
        assert_eq!(publishable(5), Some(5));
    }
}
