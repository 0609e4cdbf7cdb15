use std::collections::BTreeMap;

use crate::ids::slug;
use crate::model::{Area, Directory, GeoPoint, Place};

/// (code, name, approximate centre, a few public places).
const DISTRICTS: &[(&str, &str, f64, f64, &[&str])] = &[
    (
        "jarva",
        "Järva",
        59.4000,
        17.9150,
        &[
            "Rinkeby torg",
            "Kista centrum",
            "Husby centrum",
            "Tensta centrum",
            "Spånga station",
        ],
    ),
    (
        "hasselby-vallingby",
        "Hässelby-Vällingby",
        59.3650,
        17.8700,
        &["Vällingby centrum", "Hässelby gård"],
    ),
    (
        "bromma",
        "Bromma",
        59.3400,
        17.9400,
        &["Brommaplan", "Alvik"],
    ),
    (
        "kungsholmen",
        "Kungsholmen",
        59.3320,
        18.0280,
        &["Fridhemsplan", "Rålambshovsparken"],
    ),
    (
        "norra-innerstaden",
        "Norra innerstaden",
        59.3400,
        18.0700,
        &["Sergels torg", "Vasaparken", "Stureplan", "Karlaplan"],
    ),
    (
        "sodermalm",
        "Södermalm",
        59.3150,
        18.0700,
        &["Medborgarplatsen", "Slussen", "Skanstull"],
    ),
    (
        "enskede-arsta-vantor",
        "Enskede-Årsta-Vantör",
        59.2800,
        18.0700,
        &["Högdalen centrum", "Rågsveds centrum"],
    ),
    (
        "skarpnack",
        "Skarpnäck",
        59.2670,
        18.1300,
        &["Skarpnäcks centrum", "Bagarmossen centrum"],
    ),
    (
        "farsta",
        "Farsta",
        59.2450,
        18.0900,
        &["Farsta centrum", "Hökarängen centrum"],
    ),
    (
        "hagersten-alvsjo",
        "Hägersten-Älvsjö",
        59.2950,
        17.9900,
        &["Liljeholmstorget", "Älvsjö station"],
    ),
    (
        "skarholmen",
        "Skärholmen",
        59.2770,
        17.9070,
        &["Skärholmens centrum", "Bredäng centrum"],
    ),
];

/// The 11 districts (stadsdelsområden) of Stockholm since 1 July 2023, with a
/// few named places each; the same codes as the dashboard's map outlines.
/// Centres are approximate and only meant to centre a map.
pub fn areas() -> BTreeMap<String, Area> {
    DISTRICTS
        .iter()
        .map(|&(code, name, lat, lon, places)| {
            let places = places
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let id = format!("{code}/{}", slug(p));
                    // Spread places a little around the centre so a map shows them apart.
                    let offset = (i as f64 + 1.0) * 0.002;
                    let place = Place {
                        id: id.clone(),
                        name: (*p).to_string(),
                        point: Some(GeoPoint::new(lat + offset, lon - offset)),
                    };
                    (id, place)
                })
                .collect();
            let area = Area {
                code: code.to_string(),
                name: name.to_string(),
                centre: Some(GeoPoint::new(lat, lon)),
                outline: Vec::new(),
                places,
            };
            (code.to_string(), area)
        })
        .collect()
}

/// A directory with the districts and no organisations (the server adds those).
pub fn directory() -> Directory {
    Directory {
        organisations: BTreeMap::new(),
        areas: areas(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DocumentSchema;

    #[test]
    fn thirteen_valid_districts() {
        let d = directory();
        assert_eq!(d.areas.len(), 11);
        d.validate().unwrap();
        assert!(
            d.areas["sodermalm"]
                .places
                .contains_key("sodermalm/medborgarplatsen")
        );
        assert_eq!(
            d.area_of_place("farsta/farsta-centrum").unwrap().code,
            "farsta"
        );
    }
}
