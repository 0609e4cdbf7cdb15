//! The map view as plain data (no IO): the week's observations binned into
//! clusters and into a heat grid over the district outlines, which
//! `trygg-basemap` made from open data at build time and which the page draws as
//! its basemap (no internet needed; an operator may add raster tiles under
//! them, see `tiles`).
//!
//! Positions are binned on a grid of cells `cell_lat` = `cell_lon` × cos(mid
//! latitude) degrees. The page draws Web Mercator (as map tiles are), where
//! such a cell is square at the extent's middle latitude and, over a city's
//! few tens of kilometres, within 1 % of square at its edges.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::Serialize;

pub use trygg_basemap::{DISTRICTS_GEOJSON, WATER_GEOJSON};

/// Clusters: the extent's width is cut into this many cells.
pub const CLUSTER_CELLS: u32 = 24;
/// Heat grid: the extent's width is cut into this many cells.
pub const HEAT_CELLS: u32 = 64;
/// Heat cells weaker than this (of the strongest) are left out.
const HEAT_FLOOR: f64 = 0.02;
/// The margin around a district or the city, as a share of its size.
const MARGIN: f64 = 0.04;

/// A box in degrees.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct Extent {
    pub west: f64,
    pub south: f64,
    pub east: f64,
    pub north: f64,
}

impl Extent {
    fn empty() -> Self {
        Self {
            west: f64::INFINITY,
            south: f64::INFINITY,
            east: f64::NEG_INFINITY,
            north: f64::NEG_INFINITY,
        }
    }

    fn include(&mut self, lon: f64, lat: f64) {
        self.west = self.west.min(lon);
        self.east = self.east.max(lon);
        self.south = self.south.min(lat);
        self.north = self.north.max(lat);
    }

    fn union(mut self, other: &Extent) -> Self {
        self.include(other.west, other.south);
        self.include(other.east, other.north);
        self
    }

    fn padded(self) -> Self {
        let dx = (self.east - self.west) * MARGIN;
        let dy = (self.north - self.south) * MARGIN;
        Self {
            west: self.west - dx,
            south: self.south - dy,
            east: self.east + dx,
            north: self.north + dy,
        }
    }

    /// Degrees of longitude per degree of latitude on the page.
    fn lon_scale(&self) -> f64 {
        ((self.south + self.north) / 2.0).to_radians().cos()
    }

    fn contains(&self, lon: f64, lat: f64) -> bool {
        (self.west..=self.east).contains(&lon) && (self.south..=self.north).contains(&lat)
    }

    /// The grid `across` cells wide, of square cells on the page.
    fn grid(&self, across: u32) -> Grid {
        let width = (self.east - self.west) * self.lon_scale();
        let cell = width / f64::from(across);
        let rows = ((self.north - self.south) / cell).ceil().max(1.0) as u32;
        Grid {
            extent: *self,
            cols: across,
            rows,
            cell_lat: cell,
            cell_lon: cell / self.lon_scale(),
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Grid {
    extent: Extent,
    cols: u32,
    rows: u32,
    cell_lat: f64,
    cell_lon: f64,
}

impl Grid {
    /// (column, row) from the north-west corner.
    fn cell(&self, lon: f64, lat: f64) -> (u32, u32) {
        let col = ((lon - self.extent.west) / self.cell_lon) as u32;
        let row = ((self.extent.north - lat) / self.cell_lat) as u32;
        (col.min(self.cols - 1), row.min(self.rows - 1))
    }
}

/// Each district's code, name and box, read once from the built outlines.
static DISTRICTS: LazyLock<BTreeMap<String, (String, Extent)>> = LazyLock::new(|| {
    let collection: serde_json::Value =
        serde_json::from_str(DISTRICTS_GEOJSON).expect("trygg-basemap embeds valid GeoJSON");
    collection["features"]
        .as_array()
        .expect("a FeatureCollection")
        .iter()
        .map(|f| {
            let mut extent = Extent::empty();
            let polygons = f["geometry"]["coordinates"].as_array().expect("polygons");
            for position in polygons
                .iter()
                .flat_map(|p| p[0].as_array().expect("a ring"))
            {
                extent.include(
                    position[0].as_f64().expect("lon"),
                    position[1].as_f64().expect("lat"),
                );
            }
            let code = f["properties"]["code"]
                .as_str()
                .expect("a code")
                .to_string();
            let name = f["properties"]["name"]
                .as_str()
                .expect("a name")
                .to_string();
            (code, (name, extent))
        })
        .collect()
});

/// What the map shows: one district's box, or the whole city's.
pub fn extent(area: Option<&str>) -> Option<Extent> {
    let boxes: Vec<Extent> = DISTRICTS
        .iter()
        .filter(|(code, _)| area.is_none_or(|a| a == code.as_str()))
        .map(|(_, (_, e))| *e)
        .collect();
    let first = *boxes.first()?;
    Some(boxes.iter().fold(first, |acc, e| acc.union(e)).padded())
}

/// One observation where it was made.
#[derive(Clone, Debug, PartialEq)]
pub struct Dot {
    pub lat: f64,
    pub lon: f64,
    pub severity: u8,
    /// Its vocabulary group (for colouring by category).
    pub group: String,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Cluster {
    /// The mean position of its observations.
    pub lat: f64,
    pub lon: f64,
    pub count: u32,
    pub max_severity: u8,
    /// The group most of its observations belong to (ties: the first code).
    pub group: String,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct HeatCell {
    pub col: u32,
    pub row: u32,
    /// 0–1 of the strongest cell, after smoothing.
    pub value: f64,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct Heat {
    pub cols: u32,
    pub rows: u32,
    pub cell_lat: f64,
    pub cell_lon: f64,
    pub cells: Vec<HeatCell>,
}

#[derive(Debug, Serialize, PartialEq)]
pub struct MapView {
    pub extent: Extent,
    pub clusters: Vec<Cluster>,
    pub heat: Heat,
    /// Observations drawn (inside the extent).
    pub placed: u32,
    /// Observations with a position outside the extent.
    pub outside: u32,
    /// Observations with no position at all.
    pub unplaced: u32,
}

/// Bins `dots` into clusters and a heat grid over `extent`; `unplaced`
/// observations had no position and are only counted.
pub fn map_view(dots: &[Dot], unplaced: u32, extent: Extent) -> MapView {
    let inside: Vec<&Dot> = dots
        .iter()
        .filter(|d| extent.contains(d.lon, d.lat))
        .collect();
    MapView {
        extent,
        clusters: clusters(&inside, extent.grid(CLUSTER_CELLS)),
        heat: heat(&inside, extent.grid(HEAT_CELLS)),
        placed: inside.len() as u32,
        outside: (dots.len() - inside.len()) as u32,
        unplaced,
    }
}

fn clusters(dots: &[&Dot], grid: Grid) -> Vec<Cluster> {
    #[derive(Default)]
    struct Bin<'a> {
        lat: f64,
        lon: f64,
        count: u32,
        max_severity: u8,
        groups: BTreeMap<&'a str, u32>,
    }
    let mut bins: BTreeMap<(u32, u32), Bin> = BTreeMap::new();
    for d in dots {
        let bin = bins.entry(grid.cell(d.lon, d.lat)).or_default();
        bin.lat += d.lat;
        bin.lon += d.lon;
        bin.count += 1;
        bin.max_severity = bin.max_severity.max(d.severity);
        *bin.groups.entry(d.group.as_str()).or_default() += 1;
    }
    bins.into_values()
        .map(|b| {
            let most = b.groups.values().copied().max().unwrap_or(0);
            let group = b
                .groups
                .iter()
                .find(|(_, n)| **n == most)
                .map_or_else(String::new, |(g, _)| (*g).to_string());
            Cluster {
                lat: b.lat / f64::from(b.count),
                lon: b.lon / f64::from(b.count),
                count: b.count,
                max_severity: b.max_severity,
                group,
            }
        })
        .collect()
}

/// Counts per cell, smoothed with a 3 × 3 kernel (1 2 1), scaled to the strongest.
fn heat(dots: &[&Dot], grid: Grid) -> Heat {
    let (cols, rows) = (grid.cols as usize, grid.rows as usize);
    let mut counts = vec![0.0_f64; cols * rows];
    for d in dots {
        let (c, r) = grid.cell(d.lon, d.lat);
        counts[r as usize * cols + c as usize] += 1.0;
    }
    let weight = |d: isize| if d == 0 { 2.0 } else { 1.0 };
    let mut smooth = vec![0.0_f64; cols * rows];
    for r in 0..rows {
        for c in 0..cols {
            let mut sum = 0.0;
            for dr in -1..=1_isize {
                for dc in -1..=1_isize {
                    let (rr, cc) = (r as isize + dr, c as isize + dc);
                    if rr < 0 || cc < 0 || rr >= rows as isize || cc >= cols as isize {
                        continue;
                    }
                    sum += weight(dr) * weight(dc) * counts[rr as usize * cols + cc as usize];
                }
            }
            smooth[r * cols + c] = sum / 16.0;
        }
    }
    let strongest = smooth.iter().copied().fold(0.0, f64::max);
    let cells = if strongest > 0.0 {
        smooth
            .iter()
            .enumerate()
            .map(|(i, v)| HeatCell {
                col: (i % cols) as u32,
                row: (i / cols) as u32,
                value: v / strongest,
            })
            .filter(|c| c.value >= HEAT_FLOOR)
            .collect()
    } else {
        Vec::new()
    };
    Heat {
        cols: grid.cols,
        rows: grid.rows,
        cell_lat: grid.cell_lat,
        cell_lon: grid.cell_lon,
        cells,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dot(lat: f64, lon: f64, severity: u8, group: &str) -> Dot {
        Dot {
            lat,
            lon,
            severity,
            group: group.into(),
        }
    }

    #[test]
    fn the_outlines_are_the_eleven_districts_each_in_one_piece() {
        let collection: serde_json::Value = serde_json::from_str(DISTRICTS_GEOJSON).unwrap();
        let features = collection["features"].as_array().unwrap();
        assert_eq!(features.len(), 11);
        for f in features {
            // One polygon and no holes: the mapping put every stadsdel in
            // the område it borders (an enclave would be a second polygon).
            let polygons = f["geometry"]["coordinates"].as_array().unwrap();
            assert_eq!(polygons.len(), 1, "{}", f["properties"]);
            assert_eq!(
                polygons[0].as_array().unwrap().len(),
                1,
                "{}",
                f["properties"]
            );
        }
        let water: serde_json::Value = serde_json::from_str(WATER_GEOJSON).unwrap();
        assert_eq!(water["features"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn the_districts_are_the_ones_observations_are_filed_under() {
        let drawn: Vec<&String> = DISTRICTS.keys().collect();
        let filed = trygg_core::seed::areas();
        assert_eq!(drawn, filed.keys().collect::<Vec<_>>());
        for (code, (name, _)) in DISTRICTS.iter() {
            assert_eq!(name, &filed[code].name);
        }
    }

    #[test]
    fn a_district_s_extent_lies_within_the_city_s() {
        let city = extent(None).unwrap();
        let farsta = extent(Some("farsta")).unwrap();
        assert!(city.west < farsta.west && farsta.east < city.east);
        assert!(city.south < farsta.south && farsta.north < city.north);
        assert_eq!(extent(Some("atlantis")), None);
        // Stockholm, roughly.
        assert!((17.7..17.9).contains(&city.west) && (18.1..18.3).contains(&city.east));
        assert!((59.2..59.3).contains(&city.south) && (59.4..59.5).contains(&city.north));
    }

    #[test]
    fn nearby_observations_cluster_and_far_ones_do_not() {
        let city = extent(None).unwrap();
        let dots = vec![
            dot(59.3300, 18.0600, 2, "ordning"),
            dot(59.3301, 18.0601, 4, "brott"),
            dot(59.3302, 18.0602, 1, "ordning"),
            dot(59.2500, 18.1000, 3, "brott"),
            dot(60.0000, 18.0000, 5, "brott"), // Uppsala: outside the map
        ];
        let view = map_view(&dots, 2, city);
        assert_eq!((view.placed, view.outside, view.unplaced), (4, 1, 2));
        let mut counts: Vec<u32> = view.clusters.iter().map(|c| c.count).collect();
        counts.sort();
        assert_eq!(counts, [1, 3]);
        let big = view.clusters.iter().find(|c| c.count == 3).unwrap();
        assert_eq!(big.max_severity, 4);
        assert_eq!(big.group, "ordning");
        assert!((big.lat - 59.3301).abs() < 1e-9 && (big.lon - 18.0601).abs() < 1e-9);
    }

    #[test]
    fn the_heat_grid_peaks_where_observations_gather() {
        let city = extent(None).unwrap();
        let mut dots = vec![dot(59.33, 18.06, 3, "brott"); 10];
        dots.push(dot(59.25, 18.10, 3, "brott"));
        let view = map_view(&dots, 0, city);
        let peak = view
            .heat
            .cells
            .iter()
            .max_by(|a, b| a.value.total_cmp(&b.value))
            .unwrap();
        assert_eq!(peak.value, 1.0);
        let grid = city.grid(HEAT_CELLS);
        assert_eq!((peak.col, peak.row), grid.cell(18.06, 59.33));
        // The lone observation is a faint spot of its own, not nothing.
        let lone = grid.cell(18.10, 59.25);
        let faint = view
            .heat
            .cells
            .iter()
            .find(|c| (c.col, c.row) == lone)
            .unwrap();
        assert!((faint.value - 0.1).abs() < 1e-9, "{}", faint.value);
        // Cells are square on the page.
        let width = (city.east - city.west) * city.lon_scale();
        assert!((width / f64::from(HEAT_CELLS) - view.heat.cell_lat).abs() < 1e-12);
    }

    #[test]
    fn nothing_observed_is_an_empty_map() {
        let view = map_view(&[], 0, extent(None).unwrap());
        assert!(view.clusters.is_empty() && view.heat.cells.is_empty());
        assert_eq!(view.placed, 0);
    }
}
