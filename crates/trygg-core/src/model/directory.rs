//! The directory: organisations, areas and named places everyone refers to.

use std::collections::BTreeMap;

use autosurgeon::{Hydrate, Reconcile};

use super::{GeoPoint, check_key, require_text};
use crate::document::{DocKind, DocumentSchema};
use crate::error::ValidationErrors;

crate::code_enum! {
    /// What kind of organisation takes part.
    pub enum OrgKind {
        District = "district",
        Police = "police",
        Rescue = "rescue",
        Housing = "housing",
        PropertyOwner = "property_owner",
        Business = "business",
        Association = "association",
        CityOffice = "city_office",
    }
}

/// An organisation. It may have no devices at all (a private property owner
/// can still be responsible for an action).
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate)]
pub struct Organisation {
    pub id: String,
    pub name: String,
    pub kind: OrgKind,
    /// How to reach it, for those without devices above all: the protocol
    /// names it beside the actions the organisation is responsible for.
    /// Documents written before contacts were kept have none (the key is
    /// missing there, which reads as `None`).
    #[autosurgeon(missing = "Option::default")]
    pub contact: Option<Contact>,
}

/// An organisation's contact: a function or office, a phone number and an
/// e-mail address, each optional but not all empty.
#[derive(Clone, Debug, PartialEq, Eq, Reconcile, Hydrate, serde::Serialize, serde::Deserialize)]
pub struct Contact {
    /// Who answers, e.g. "Förvaltare" or "Fastighetsjouren".
    pub name: String,
    pub phone: String,
    pub email: String,
}

impl Contact {
    /// The longest field taken, in characters.
    pub const MAX_CHARS: usize = 120;

    /// The contact in one line, empty fields left out.
    pub fn line(&self) -> String {
        [&self.name, &self.phone, &self.email]
            .into_iter()
            .map(|f| f.trim())
            .filter(|f| !f.is_empty())
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        for (path, value) in [
            ("name", &self.name),
            ("phone", &self.phone),
            ("email", &self.email),
        ] {
            if value.trim().chars().count() > Self::MAX_CHARS {
                e.push(path, format!("at most {} characters", Self::MAX_CHARS));
            }
        }
        if self.line().is_empty() {
            e.push(
                "contact",
                "give a name, a phone number or an e-mail address",
            );
        }
        let email = self.email.trim();
        if !email.is_empty()
            && !email
                .split_once('@')
                .is_some_and(|(a, b)| !a.is_empty() && b.contains('.'))
        {
            e.push("email", format!("{email:?} is not an e-mail address"));
        }
        let phone = self.phone.trim();
        if !phone.is_empty()
            && !phone
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '+' | '(' | ')'))
        {
            e.push(
                "phone",
                format!("{phone:?}: digits, spaces, +, - and brackets only"),
            );
        }
        e.into_result()
    }
}

/// A named place inside an area: a square, a tunnel, a park.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate)]
pub struct Place {
    pub id: String,
    pub name: String,
    pub point: Option<GeoPoint>,
}

/// A district (stadsdelsområde) or another area walks and reports belong to.
#[derive(Clone, Debug, PartialEq, Reconcile, Hydrate)]
pub struct Area {
    /// Stable code, e.g. `jarva`.
    pub code: String,
    pub name: String,
    /// A point to centre maps on.
    pub centre: Option<GeoPoint>,
    /// Outline as a closed ring of points, when known.
    pub outline: Vec<GeoPoint>,
    pub places: BTreeMap<String, Place>,
}

/// The directory document.
#[derive(Clone, Debug, PartialEq, Default, Reconcile, Hydrate)]
pub struct Directory {
    pub organisations: BTreeMap<String, Organisation>,
    pub areas: BTreeMap<String, Area>,
}

impl Directory {
    /// The area a place belongs to.
    pub fn area_of_place(&self, place_id: &str) -> Option<&Area> {
        self.areas
            .values()
            .find(|a| a.places.contains_key(place_id))
    }
}

impl DocumentSchema for Directory {
    const KIND: DocKind = DocKind::Directory;
    const SCHEMA_VERSION: u64 = 1;

    fn validate(&self) -> Result<(), ValidationErrors> {
        let mut e = ValidationErrors::new();
        for (key, org) in &self.organisations {
            let path = format!("organisations.{key}");
            check_key(&mut e, &path, key, &org.id);
            require_text(&mut e, &format!("{path}.name"), &org.name);
            if let Some(Err(inner)) = org.contact.as_ref().map(Contact::validate) {
                e.nest(&format!("{path}.contact"), inner);
            }
        }
        for (key, area) in &self.areas {
            let path = format!("areas.{key}");
            check_key(&mut e, &path, key, &area.code);
            require_text(&mut e, &format!("{path}.name"), &area.name);
            if let Some(Err(inner)) = area.centre.as_ref().map(GeoPoint::validate) {
                e.nest(&format!("{path}.centre"), inner);
            }
            for (i, p) in area.outline.iter().enumerate() {
                if let Err(inner) = p.validate() {
                    e.nest(&format!("{path}.outline.{i}"), inner);
                }
            }
            for (pkey, place) in &area.places {
                let ppath = format!("{path}.places.{pkey}");
                check_key(&mut e, &ppath, pkey, &place.id);
                require_text(&mut e, &format!("{ppath}.name"), &place.name);
                if let Some(Err(inner)) = place.point.as_ref().map(GeoPoint::validate) {
                    e.nest(&format!("{ppath}.point"), inner);
                }
            }
        }
        e.into_result()
    }
}
