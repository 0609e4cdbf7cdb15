use std::collections::BTreeMap;

use crate::ids::slug;
use crate::model::{Area, Directory, GeoPoint, Place};

/// A public place: name, latitude, longitude (approximate, to about 100 m).
type PublicPlace = (&'static str, f64, f64);

/// (code, name, approximate centre, a few public places: squares, centres,
/// stations and parks, nothing about a person).
const DISTRICTS: &[(&str, &str, f64, f64, &[PublicPlace])] = &[
    (
        "jarva",
        "Järva",
        59.4000,
        17.9150,
        &[
            ("Rinkeby torg", 59.3881, 17.9287),
            ("Kista centrum", 59.4031, 17.9445),
            ("Husby centrum", 59.4101, 17.9257),
            ("Tensta centrum", 59.3945, 17.9015),
            ("Spånga station", 59.3833, 17.8983),
        ],
    ),
    (
        "hasselby-vallingby",
        "Hässelby-Vällingby",
        59.3650,
        17.8700,
        &[
            ("Vällingby centrum", 59.3632, 17.8722),
            ("Hässelby gård", 59.3669, 17.8440),
        ],
    ),
    (
        "bromma",
        "Bromma",
        59.3400,
        17.9400,
        &[
            ("Brommaplan", 59.3384, 17.9393),
            ("Alvik", 59.3336, 17.9803),
        ],
    ),
    (
        "kungsholmen",
        "Kungsholmen",
        59.3320,
        18.0280,
        &[
            ("Fridhemsplan", 59.3323, 18.0291),
            ("Rålambshovsparken", 59.3282, 18.0260),
        ],
    ),
    (
        "norra-innerstaden",
        "Norra innerstaden",
        59.3400,
        18.0700,
        &[
            ("Sergels torg", 59.3326, 18.0649),
            ("Vasaparken", 59.3415, 18.0445),
            ("Stureplan", 59.3355, 18.0737),
            ("Karlaplan", 59.3385, 18.0912),
        ],
    ),
    (
        "sodermalm",
        "Södermalm",
        59.3150,
        18.0700,
        &[
            ("Medborgarplatsen", 59.3142, 18.0735),
            ("Slussen", 59.3196, 18.0718),
            ("Skanstull", 59.3079, 18.0763),
        ],
    ),
    (
        "enskede-arsta-vantor",
        "Enskede-Årsta-Vantör",
        59.2800,
        18.0700,
        &[
            ("Högdalen centrum", 59.2636, 18.0430),
            ("Rågsveds centrum", 59.2566, 18.0283),
        ],
    ),
    (
        "skarpnack",
        "Skarpnäck",
        59.2670,
        18.1300,
        &[
            ("Skarpnäcks centrum", 59.2667, 18.1333),
            ("Bagarmossen centrum", 59.2763, 18.1315),
        ],
    ),
    (
        "farsta",
        "Farsta",
        59.2450,
        18.0900,
        &[
            ("Farsta centrum", 59.2433, 18.0930),
            ("Hökarängen centrum", 59.2577, 18.0823),
        ],
    ),
    (
        "hagersten-alvsjo",
        "Hägersten-Älvsjö",
        59.2950,
        17.9900,
        &[
            ("Liljeholmstorget", 59.3099, 18.0226),
            ("Älvsjö station", 59.2786, 18.0104),
        ],
    ),
    (
        "skarholmen",
        "Skärholmen",
        59.2770,
        17.9070,
        &[
            ("Skärholmens centrum", 59.2768, 17.9075),
            ("Bredäng centrum", 59.2949, 17.9336),
        ],
    ),
];

/// The 11 districts (stadsdelsområden) of Stockholm since 1 July 2023, with a
/// few named places each; the same codes as the map outlines
/// (`trygg-basemap`, whose tests check every place lies in its district).
/// Centres are approximate and only meant to centre a map.
pub fn areas() -> BTreeMap<String, Area> {
    DISTRICTS
        .iter()
        .map(|&(code, name, lat, lon, places)| {
            let places = places
                .iter()
                .map(|&(name, lat, lon)| {
                    let id = format!("{code}/{}", slug(name));
                    let place = Place {
                        id: id.clone(),
                        name: name.to_string(),
                        point: Some(GeoPoint::new(lat, lon)),
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
