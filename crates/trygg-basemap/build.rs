//! Builds the offline basemap that the dashboard and the field app draw,
//! from open data in `data/stockholm/` (see its SOURCE.md): the city's 117 stadsdelar merged into its 11
//! stadsdelsområden by the mapping in `stadsdelar.csv`, and the water, both
//! simplified and written as GeoJSON into `OUT_DIR` for `include_str!`.
//!
//! A stadsdel missing from the mapping, or a mapping row naming no stadsdel,
//! stops the build with its name.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use geo::{
    Area, BooleanOps, Coord, LineString, MapCoords, MultiPolygon, Polygon, Simplify, unary_union,
};
use serde_json::{Value, json};

const DATA: &str = "data/stockholm";
/// Douglas–Peucker tolerance in degrees (about 6 m north–south, 11 m east–west here).
const SIMPLIFY: f64 = 0.0001;
/// Rings smaller than this (square degrees, about 10,000 m² at 59° N) are
/// dropped: slivers where two simplified neighbours did not quite meet, and specks.
const SPECK: f64 = 1.6e-6;
/// Coordinates keep five decimals (about 1 m).
const DECIMALS: f64 = 1e5;

fn main() {
    for file in ["stadsdelar.geo.json", "stadsdelar.csv", "vatten.geo.json"] {
        println!("cargo:rerun-if-changed={DATA}/{file}");
    }
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let districts = districts();
    write(&out, "districts.geojson", &districts);
    let water = water();
    write(&out, "water.geojson", &water);
}

fn write(out: &str, name: &str, value: &Value) {
    let path = Path::new(out).join(name);
    std::fs::write(&path, serde_json::to_string(value).expect("JSON"))
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

fn read_json(name: &str) -> Value {
    let path = format!("{DATA}/{name}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `stadsdel → (code, name)` from the mapping file.
fn mapping() -> BTreeMap<String, (String, String)> {
    let path = format!("{DATA}/stadsdelar.csv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("stadsdel,code,stadsdelsomrade"),
        "{path}: unexpected header"
    );
    lines
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, line)| {
            let cells: Vec<&str> = line.split(',').collect();
            let [stadsdel, code, name] = cells[..] else {
                panic!("{path} line {}: expected 3 cells, got `{line}`", i + 2)
            };
            (stadsdel.into(), (code.into(), name.into()))
        })
        .collect()
}

fn districts() -> Value {
    let source = read_json("stadsdelar.geo.json");
    let mapping = mapping();
    let mut parts: BTreeMap<(String, String), Vec<MultiPolygon>> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for feature in features(&source) {
        let name = feature["properties"]["name"]
            .as_str()
            .expect("every stadsdel has a name");
        let area = mapping
            .get(name)
            .unwrap_or_else(|| panic!("stadsdel {name} is not in stadsdelar.csv"));
        seen.insert(name.to_string());
        parts
            .entry(area.clone())
            .or_default()
            .push(geometry(&feature["geometry"]));
    }
    if let Some(extra) = mapping.keys().find(|k| !seen.contains(*k)) {
        panic!("stadsdelar.csv names {extra}, which the boundaries do not have");
    }
    let features: Vec<Value> = parts
        .into_iter()
        .map(|((code, name), pieces)| {
            let merged = unary_union(&pieces);
            json!({
                "type": "Feature",
                "properties": { "code": code, "name": name },
                "geometry": to_geojson(&tidy(merged)),
            })
        })
        .collect();
    json!({ "type": "FeatureCollection", "features": features })
}

fn water() -> Value {
    let source = read_json("vatten.geo.json");
    let pieces: Vec<MultiPolygon> = features(&source)
        .iter()
        .map(|f| geometry(&f["geometry"]))
        .collect();
    let all = pieces
        .iter()
        .fold(MultiPolygon::new(Vec::new()), |acc, p| acc.union(p));
    json!({
        "type": "FeatureCollection",
        "features": [{
            "type": "Feature",
            "properties": {},
            "geometry": to_geojson(&tidy(all)),
        }],
    })
}

fn features(collection: &Value) -> &Vec<Value> {
    collection["features"]
        .as_array()
        .expect("a FeatureCollection")
}

fn ring(value: &Value) -> LineString {
    value
        .as_array()
        .expect("a ring is an array of positions")
        .iter()
        .map(|p| Coord {
            x: p[0].as_f64().expect("longitude"),
            y: p[1].as_f64().expect("latitude"),
        })
        .collect()
}

fn polygon(value: &Value) -> Polygon {
    let rings = value.as_array().expect("a polygon is an array of rings");
    Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect())
}

fn geometry(value: &Value) -> MultiPolygon {
    let coordinates = &value["coordinates"];
    match value["type"].as_str() {
        Some("Polygon") => MultiPolygon::new(vec![polygon(coordinates)]),
        Some("MultiPolygon") => MultiPolygon::new(
            coordinates
                .as_array()
                .expect("polygons")
                .iter()
                .map(polygon)
                .collect(),
        ),
        other => panic!("unexpected geometry {other:?}"),
    }
}

/// Drops specks and slivers, simplifies, rounds.
fn tidy(shape: MultiPolygon) -> MultiPolygon {
    let kept = shape
        .into_iter()
        .filter(|p| p.exterior().unsigned_area_ring() >= SPECK)
        .map(|p| {
            let (exterior, interiors) = p.into_inner();
            let interiors = interiors
                .into_iter()
                .filter(|r| r.unsigned_area_ring() >= SPECK)
                .collect();
            Polygon::new(exterior, interiors)
        })
        .collect::<MultiPolygon>()
        .simplify(SIMPLIFY);
    kept.map_coords(|c| Coord {
        x: (c.x * DECIMALS).round() / DECIMALS,
        y: (c.y * DECIMALS).round() / DECIMALS,
    })
}

trait RingArea {
    fn unsigned_area_ring(&self) -> f64;
}

impl RingArea for LineString {
    fn unsigned_area_ring(&self) -> f64 {
        Polygon::new(self.clone(), Vec::new()).unsigned_area()
    }
}

fn to_geojson(shape: &MultiPolygon) -> Value {
    let ring = |r: &LineString| -> Value { r.coords().map(|c| json!([c.x, c.y])).collect() };
    let polygons: Vec<Value> = shape
        .iter()
        .map(|p| {
            let mut rings = vec![ring(p.exterior())];
            rings.extend(p.interiors().iter().map(ring));
            Value::Array(rings)
        })
        .collect();
    json!({ "type": "MultiPolygon", "coordinates": polygons })
}
