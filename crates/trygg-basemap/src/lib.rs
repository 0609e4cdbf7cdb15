//! The offline basemap: Stockholm's 11 stadsdelsområden and its water as
//! GeoJSON (WGS 84, `[lon, lat]`), made by `build.rs` from the open data in
//! `data/stockholm/` (CC0, see its SOURCE.md) and embedded at compile time,
//! so neither the dashboard nor the field app needs the internet to draw it.
//!
//! Each district is a `Feature` whose `properties` hold its `code` (the
//! directory's area code, `trygg_core::seed::areas`) and its `name`.

/// The 11 stadsdelsområden, merged from the 117 stadsdelar.
pub const DISTRICTS_GEOJSON: &str = include_str!(concat!(env!("OUT_DIR"), "/districts.geojson"));

/// Lakes, the sea and the rivers, as one shape.
pub const WATER_GEOJSON: &str = include_str!(concat!(env!("OUT_DIR"), "/water.geojson"));

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn the_districts_are_the_seed_directorys_eleven_areas_with_names() {
        let map: Value = serde_json::from_str(DISTRICTS_GEOJSON).unwrap();
        let features = map["features"].as_array().unwrap();
        let mut codes: Vec<&str> = features
            .iter()
            .map(|f| f["properties"]["code"].as_str().unwrap())
            .collect();
        codes.sort();
        assert_eq!(codes.len(), 11, "{codes:?}");
        assert!(codes.contains(&"jarva") && codes.contains(&"norra-innerstaden"));
        for f in features {
            assert!(!f["properties"]["name"].as_str().unwrap().is_empty());
            let kind = f["geometry"]["type"].as_str().unwrap();
            assert!(kind == "Polygon" || kind == "MultiPolygon", "{kind}");
        }
    }

    /// Every `[lon, lat]` pair under `value`.
    fn positions(value: &Value, out: &mut Vec<(f64, f64)>) {
        match value.as_array() {
            Some(pair) if pair.len() == 2 && pair.iter().all(Value::is_f64) => {
                out.push((pair[0].as_f64().unwrap(), pair[1].as_f64().unwrap()));
            }
            Some(items) => items.iter().for_each(|v| positions(v, out)),
            None => {}
        }
    }

    #[test]
    fn every_position_lies_in_stockholm_as_lon_lat() {
        for (name, text) in [("districts", DISTRICTS_GEOJSON), ("water", WATER_GEOJSON)] {
            let map: Value = serde_json::from_str(text).unwrap();
            let mut all = Vec::new();
            for f in map["features"].as_array().unwrap() {
                positions(&f["geometry"]["coordinates"], &mut all);
            }
            assert!(all.len() > 1000, "{name}: {} positions", all.len());
            for (lon, lat) in all {
                assert!(
                    (17.6..18.4).contains(&lon) && (59.1..59.5).contains(&lat),
                    "{name}: ({lon}, {lat}) is not in Stockholm as [lon, lat]"
                );
            }
        }
    }

    /// A district's (multi)polygon as `geo` reads it.
    fn shape(geometry: &Value) -> geo::MultiPolygon {
        let ring = |r: &Value| -> geo::LineString {
            let mut points = Vec::new();
            positions(r, &mut points);
            points
                .into_iter()
                .map(|(x, y)| geo::coord! { x: x, y: y })
                .collect()
        };
        let polygon = |rings: &Value| {
            let rings = rings.as_array().unwrap();
            geo::Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect())
        };
        let coordinates = &geometry["coordinates"];
        match geometry["type"].as_str().unwrap() {
            "Polygon" => geo::MultiPolygon(vec![polygon(coordinates)]),
            _ => coordinates
                .as_array()
                .unwrap()
                .iter()
                .map(polygon)
                .collect(),
        }
    }

    #[test]
    fn every_named_place_of_the_seed_directory_lies_in_its_district() {
        use geo::Contains;
        let map: Value = serde_json::from_str(DISTRICTS_GEOJSON).unwrap();
        let outlines: std::collections::BTreeMap<String, geo::MultiPolygon> = map["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let code = f["properties"]["code"].as_str().unwrap().to_string();
                (code, shape(&f["geometry"]))
            })
            .collect();
        let mut checked = 0;
        for (code, area) in trygg_core::seed::areas() {
            let outline = &outlines[&code];
            for place in area.places.values() {
                let p = place.point.expect("every seed place has a position");
                assert!(
                    outline.contains(&geo::point! { x: p.lon, y: p.lat }),
                    "{} ({}, {}) is not inside {code}",
                    place.name,
                    p.lat,
                    p.lon
                );
                checked += 1;
            }
        }
        assert!(checked >= 28, "{checked} places");
    }
}
