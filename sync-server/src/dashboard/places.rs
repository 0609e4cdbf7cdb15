//! Naming and placing what the index records as a place id
//! (`district/place`) or a district's code, from the directory's districts.
//! No IO.

use std::collections::BTreeMap;

use trygg_core::model::Area;

fn district_of<'a>(districts: &'a BTreeMap<String, Area>, id: &str) -> Option<&'a Area> {
    districts.get(id.split('/').next()?)
}

/// What people call a place or a district: `Place, District`, the
/// district's name, or the id itself when the directory lacks it.
pub fn name(districts: &BTreeMap<String, Area>, id: &str) -> String {
    match district_of(districts, id) {
        Some(d) if d.code == id => d.name.clone(),
        Some(d) => d
            .places
            .get(id)
            .map_or_else(|| id.to_string(), |p| format!("{}, {}", p.name, d.name)),
        None => id.to_string(),
    }
}

/// A named place's point (latitude, longitude), if the directory has one.
pub fn point(districts: &BTreeMap<String, Area>, id: &str) -> Option<(f64, f64)> {
    let point = district_of(districts, id)?.places.get(id)?.point.as_ref()?;
    Some((point.lat, point.lon))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_and_districts_are_named_and_unknown_ids_stay_as_they_are() {
        let districts = trygg_core::seed::areas();
        let (code, district) = districts.iter().next().unwrap();
        assert_eq!(name(&districts, code), district.name);
        let (place_id, place) = district.places.iter().next().unwrap();
        assert_eq!(
            name(&districts, place_id),
            format!("{}, {}", place.name, district.name)
        );
        assert_eq!(name(&districts, "nowhere/at-all"), "nowhere/at-all");
        assert_eq!(
            name(&districts, &format!("{code}/no-such")),
            format!("{code}/no-such")
        );
        assert_eq!(
            point(&districts, place_id),
            place.point.as_ref().map(|p| (p.lat, p.lon))
        );
        assert_eq!(point(&districts, "nowhere/at-all"), None);
    }
}
