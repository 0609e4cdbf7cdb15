//! A coordinator's edits of the directory: an organisation's contact
//! details (PRODUCT §2: an action's responsible organisation may have no
//! devices; the protocol then names how to reach it).

use automerge::ObjType;
use autosurgeon::reconcile_prop;

use super::{EditDoc, child, expect_kind, invalid};
use crate::document::DocKind;
use crate::error::{DocError, ValidationErrors};
use crate::model::Contact;

/// Sets (or, with `None`, removes) organisation `org`'s contact.
pub fn set_contact(
    doc: &mut impl EditDoc,
    org: &str,
    contact: Option<&Contact>,
) -> Result<(), DocError> {
    expect_kind(doc, &[DocKind::Directory])?;
    let trimmed = contact.map(|c| Contact {
        name: c.name.trim().to_string(),
        phone: c.phone.trim().to_string(),
        email: c.email.trim().to_string(),
    });
    if let Some(Err(errors)) = trimmed.as_ref().map(Contact::validate) {
        let mut e = ValidationErrors::new();
        e.nest("contact", errors);
        return Err(invalid(DocKind::Directory, e));
    }
    let orgs = child(
        doc,
        DocKind::Directory,
        &automerge::ROOT,
        "organisations",
        ObjType::Map,
    )?;
    let obj = match automerge::ReadDoc::get(doc, &orgs, org)? {
        Some((automerge::Value::Object(ObjType::Map), id)) => id,
        _ => {
            return Err(DocError::NotFound {
                what: "organisation",
                id: org.to_string(),
            });
        }
    };
    reconcile_prop(doc, &obj, "contact", trimmed)?;
    Ok(())
}
