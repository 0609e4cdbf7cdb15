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
}
