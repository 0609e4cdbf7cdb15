//! Who may read or write which document: the rules of PRODUCT §3 as plain
//! functions over plain data.
//!
//! The server keeps the facts (devices, and each document's owner and sharing)
//! in its access table, outside the CRDTs; these functions turn the facts into
//! a decision. The server's sync engine (`trygg-engine`) enforces it per
//! document and connection, and asks again when the facts change, so a
//! revoked device loses access on connections that are already open.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;

use crate::document::{self, AnyDocument};
use crate::model::Sensitivity;
use crate::{DocError, DocId, DocKind, Timestamp};
use serde::{Deserialize, Serialize};

/// What a device is for (PRODUCT §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Records walks and observations.
    Field,
    /// Also maintains templates, vocabulary and actions of its organisation.
    Coordinator,
    /// Reads (dashboards); never writes.
    Viewer,
    /// Administers the server; sees no documents.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Field, Role::Coordinator, Role::Viewer, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Field => "field",
            Role::Coordinator => "coordinator",
            Role::Viewer => "viewer",
            Role::Admin => "admin",
        }
    }

    /// Whether this role records: starts walks, reports, proposes actions.
    pub fn records(self) -> bool {
        matches!(self, Role::Field | Role::Coordinator)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| {
                format!("unknown role `{s}` (expected field, coordinator, viewer or admin)")
            })
    }
}

/// The device a request or connection was authenticated as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    pub device_id: String,
    pub org: String,
    pub role: Role,
}

/// The access table's facts about one document.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocAccess {
    pub id: DocId,
    pub kind: DocKind,
    /// The organisation that registered the document.
    pub owner_org: String,
    pub area: Option<String>,
    /// Other organisations that share the document (a walk's participants, an
    /// action's walk partners).
    pub shared_with: BTreeSet<String>,
    /// Only the owner organisation may see it (a police report, say).
    pub restricted: bool,
    /// For an action: the organisation that must carry it out.
    pub responsible_org: Option<String>,
}

/// A device's access to one document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    None,
    Read,
    ReadWrite,
}

impl Access {
    pub fn can_read(self) -> bool {
        self != Access::None
    }

    pub fn can_write(self) -> bool {
        self == Access::ReadWrite
    }
}

/// Decides `who`'s access to `doc`.
pub fn decide(who: &Principal, doc: &DocAccess) -> Access {
    let own = who.org == doc.owner_org;
    let shared = doc.shared_with.contains(&who.org);
    let write_if = |may_write: bool| {
        if may_write {
            Access::ReadWrite
        } else {
            Access::Read
        }
    };
    if who.role == Role::Admin {
        return Access::None;
    }
    match doc.kind {
        // Common ground: everyone reads; the owner's coordinators maintain it.
        DocKind::Directory | DocKind::Vocabulary | DocKind::Template => {
            write_if(own && who.role == Role::Coordinator)
        }
        DocKind::Walk => {
            if own || shared {
                write_if(who.role.records())
            } else {
                Access::None
            }
        }
        DocKind::Report => {
            if doc.restricted {
                if own {
                    write_if(who.role.records())
                } else {
                    Access::None
                }
            } else {
                // An EST report is part of the shared picture: all read it.
                write_if(own && who.role.records())
            }
        }
        DocKind::Action => {
            // The proposer's coordinators and the responsible organisation's
            // recording devices carry it forward (an organisation may be
            // both); the rest of both, and partners, follow it.
            let responsible = doc.responsible_org.as_deref() == Some(who.org.as_str());
            if (own && who.role == Role::Coordinator) || (responsible && who.role.records()) {
                Access::ReadWrite
            } else if own || responsible || shared {
                Access::Read
            } else {
                Access::None
            }
        }
    }
}

/// The access facts a document's own content implies: the owner and partners
/// a walk names, a report's organisation and sensitivity, an action's
/// proposer and responsible organisation. Common documents (directory,
/// vocabulary) name no owner; `fallback_owner` is used for them.
///
/// The server uses this to register documents it creates itself (demo data);
/// a device sends the same facts when it registers a document.
pub fn access_of(id: DocId, doc: &AnyDocument, fallback_owner: &str) -> DocAccess {
    let mut access = DocAccess {
        id,
        kind: doc.kind(),
        owner_org: fallback_owner.to_string(),
        area: None,
        shared_with: BTreeSet::new(),
        restricted: false,
        responsible_org: None,
    };
    match doc {
        AnyDocument::Directory(_) | AnyDocument::Vocabulary(_) => {}
        AnyDocument::Template(t) => access.owner_org = t.owner_org.clone(),
        AnyDocument::Walk(w) => {
            access.owner_org = w.owner_org.clone();
            access.area = Some(w.area.clone());
            access.shared_with = w
                .organisations
                .keys()
                .filter(|o| **o != w.owner_org)
                .cloned()
                .collect();
        }
        AnyDocument::Report(r) => {
            access.owner_org = r.organisation.clone();
            access.area = Some(r.area.clone());
            access.restricted = r.sensitivity == Sensitivity::Restricted;
        }
        AnyDocument::Action(a) => {
            access.owner_org = a.proposed_by_org.clone();
            access.area = Some(a.area.clone());
            access.responsible_org = Some(a.responsible_org.clone());
        }
    }
    access
}

/// [`access_of`] read from the document itself, taking only the fields
/// access depends on (a walk's owner, area and organisations, not its
/// hundreds of observations): what a device asks before each keystroke it
/// saves into a document the server has not listed for it. The body is not
/// checked here; a document of a newer schema than this build reads is
/// refused as [`document::read_any`] refuses it.
pub fn access_in<D: automerge::ReadDoc + autosurgeon::ReadDoc>(
    id: DocId,
    doc: &D,
    fallback_owner: &str,
) -> Result<DocAccess, DocError> {
    let h = document::header(doc)?;
    let supported = document::schema_version(h.kind);
    if h.schema_version > supported || h.schema_version == 0 {
        return Err(DocError::UnsupportedVersion {
            kind: h.kind,
            found: h.schema_version,
            supported,
        });
    }
    fn get<T: autosurgeon::Hydrate>(
        doc: &(impl automerge::ReadDoc + autosurgeon::ReadDoc),
        kind: DocKind,
        key: &str,
    ) -> Result<T, DocError> {
        autosurgeon::hydrate_prop(doc, automerge::ROOT, key).map_err(|e| DocError::Malformed {
            kind,
            detail: format!("{key}: {e}"),
        })
    }
    let mut access = DocAccess {
        id,
        kind: h.kind,
        owner_org: fallback_owner.to_string(),
        area: None,
        shared_with: BTreeSet::new(),
        restricted: false,
        responsible_org: None,
    };
    let k = h.kind;
    match k {
        DocKind::Directory | DocKind::Vocabulary => {}
        DocKind::Template => access.owner_org = get(doc, k, "owner_org")?,
        DocKind::Walk => {
            access.owner_org = get(doc, k, "owner_org")?;
            access.area = Some(get(doc, k, "area")?);
            let organisations: BTreeMap<String, Timestamp> = get(doc, k, "organisations")?;
            access.shared_with = organisations
                .into_keys()
                .filter(|o| *o != access.owner_org)
                .collect();
        }
        DocKind::Report => {
            access.owner_org = get(doc, k, "organisation")?;
            access.area = Some(get(doc, k, "area")?);
            access.restricted =
                get::<Sensitivity>(doc, k, "sensitivity")? == Sensitivity::Restricted;
        }
        DocKind::Action => {
            access.owner_org = get(doc, k, "proposed_by_org")?;
            access.area = Some(get(doc, k, "area")?);
            access.responsible_org = Some(get(doc, k, "responsible_org")?);
        }
    }
    Ok(access)
}

/// What a document's content says about its registration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContentCheck {
    /// The content is a readable Trygg document whose facts match.
    Matches,
    /// Not (yet) a readable Trygg document: nothing to compare. A document
    /// whose first changes carry only part of it is checked again later.
    Unreadable,
    /// The content contradicts the registration: each entry names one fact.
    Contradicts(Vec<String>),
}

/// Compares a document's content with its registration: kind, owner, area,
/// restriction and responsible organisation, as [`access_of`] derives them.
/// Sharing is not compared: the owner changes it through the server.
pub fn check_content<D>(registered: &DocAccess, content: &D) -> ContentCheck
where
    D: automerge::ReadDoc + autosurgeon::ReadDoc,
{
    let header = match crate::document::header(content) {
        Ok(h) => h,
        Err(_) => return ContentCheck::Unreadable,
    };
    if header.kind != registered.kind {
        return ContentCheck::Contradicts(vec![format!(
            "kind is {} in the document, {} in its registration",
            header.kind, registered.kind
        )]);
    }
    let Ok(doc) = crate::document::read_any(content) else {
        return ContentCheck::Unreadable;
    };
    let found = access_of(registered.id, &doc, &registered.owner_org);
    let mut differ = Vec::new();
    let mut compare = |fact: &str, content: String, registration: String| {
        if content != registration {
            differ.push(format!(
                "{fact} is {content} in the document, {registration} in its registration"
            ));
        }
    };
    let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "none".into());
    compare("owner", found.owner_org, registered.owner_org.clone());
    if found.area.is_some() {
        compare("area", text(&found.area), text(&registered.area));
    }
    compare(
        "restricted",
        found.restricted.to_string(),
        registered.restricted.to_string(),
    );
    compare(
        "responsible organisation",
        text(&found.responsible_org),
        text(&registered.responsible_org),
    );
    if differ.is_empty() {
        ContentCheck::Matches
    } else {
        ContentCheck::Contradicts(differ)
    }
}

/// Why a device may not register a document.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RegisterRefusal {
    #[error("a {role} device cannot create documents")]
    RoleCannotCreate { role: Role },
    #[error("only a coordinator can create a {kind} document")]
    CoordinatorOnly { kind: DocKind },
    #[error("only walks, reports and actions are shared with other organisations")]
    SharingNotAllowed,
    #[error("a restricted document cannot be shared with other organisations")]
    RestrictedShared,
    #[error("only reports can be restricted")]
    RestrictedKind,
    #[error("an action needs a responsible organisation")]
    ActionWithoutResponsible,
    #[error("only the owning organisation decides who shares a document")]
    NotOwner,
}

/// Checks that `who` may register `doc` for its own organisation.
pub fn may_register(who: &Principal, doc: &DocAccess) -> Result<(), RegisterRefusal> {
    if !who.role.records() {
        return Err(RegisterRefusal::RoleCannotCreate { role: who.role });
    }
    let common = matches!(
        doc.kind,
        DocKind::Directory | DocKind::Vocabulary | DocKind::Template
    );
    if common && who.role != Role::Coordinator {
        return Err(RegisterRefusal::CoordinatorOnly { kind: doc.kind });
    }
    if common && !doc.shared_with.is_empty() {
        return Err(RegisterRefusal::SharingNotAllowed);
    }
    if doc.restricted && doc.kind != DocKind::Report {
        return Err(RegisterRefusal::RestrictedKind);
    }
    if doc.restricted && !doc.shared_with.is_empty() {
        return Err(RegisterRefusal::RestrictedShared);
    }
    if doc.kind == DocKind::Action && doc.responsible_org.is_none() {
        return Err(RegisterRefusal::ActionWithoutResponsible);
    }
    Ok(())
}

/// Checks that `who` may change who shares `doc`: only its own organisation's
/// recording devices, and only for documents that are shared at all.
pub fn may_share(who: &Principal, doc: &DocAccess) -> Result<(), RegisterRefusal> {
    if !who.role.records() {
        return Err(RegisterRefusal::RoleCannotCreate { role: who.role });
    }
    if who.org != doc.owner_org {
        return Err(RegisterRefusal::NotOwner);
    }
    if doc.restricted {
        return Err(RegisterRefusal::RestrictedShared);
    }
    if matches!(
        doc.kind,
        DocKind::Directory | DocKind::Vocabulary | DocKind::Template
    ) {
        return Err(RegisterRefusal::SharingNotAllowed);
    }
    Ok(())
}

/// Whether `who` may change what organisation `org` decided for itself (its
/// settings, such as whether its exports carry notes): only that
/// organisation's coordinators.
pub fn may_change_settings(who: &Principal, org: &str) -> bool {
    who.org == org && who.role == Role::Coordinator
}

#[cfg(test)]
mod tests {
    use super::*;

    fn who(org: &str, role: Role) -> Principal {
        Principal {
            device_id: format!("{org}-{role}"),
            org: org.into(),
            role,
        }
    }

    fn doc(kind: DocKind, owner: &str, shared: &[&str]) -> DocAccess {
        DocAccess {
            id: DocId::random(),
            kind,
            owner_org: owner.into(),
            area: None,
            shared_with: shared.iter().map(|s| s.to_string()).collect(),
            restricted: false,
            responsible_org: None,
        }
    }

    #[test]
    fn a_walk_is_for_its_organisations_only() {
        let walk = doc(DocKind::Walk, "district", &["police"]);
        assert_eq!(
            decide(&who("district", Role::Field), &walk),
            Access::ReadWrite
        );
        assert_eq!(
            decide(&who("police", Role::Field), &walk),
            Access::ReadWrite
        );
        assert_eq!(decide(&who("police", Role::Viewer), &walk), Access::Read);
        assert_eq!(decide(&who("housing", Role::Field), &walk), Access::None);
        assert_eq!(decide(&who("district", Role::Admin), &walk), Access::None);
    }

    #[test]
    fn a_restricted_report_stays_with_its_organisation() {
        let mut report = doc(DocKind::Report, "police", &[]);
        report.restricted = true;
        assert_eq!(
            decide(&who("police", Role::Field), &report),
            Access::ReadWrite
        );
        assert_eq!(
            decide(&who("district", Role::Coordinator), &report),
            Access::None
        );
        report.restricted = false;
        assert_eq!(
            decide(&who("district", Role::Coordinator), &report),
            Access::Read
        );
        assert_eq!(decide(&who("police", Role::Viewer), &report), Access::Read);
    }

    #[test]
    fn common_documents_are_read_by_all_and_written_by_the_owners_coordinators() {
        for kind in [DocKind::Vocabulary, DocKind::Template, DocKind::Directory] {
            let d = doc(kind, "city", &[]);
            assert_eq!(
                decide(&who("city", Role::Coordinator), &d),
                Access::ReadWrite
            );
            assert_eq!(decide(&who("city", Role::Field), &d), Access::Read);
            assert_eq!(decide(&who("police", Role::Coordinator), &d), Access::Read);
        }
    }

    #[test]
    fn an_action_is_written_by_the_coordinator_and_the_responsible_organisation() {
        let mut action = doc(DocKind::Action, "district", &["police"]);
        action.responsible_org = Some("housing".into());
        assert_eq!(
            decide(&who("district", Role::Coordinator), &action),
            Access::ReadWrite
        );
        assert_eq!(decide(&who("district", Role::Field), &action), Access::Read);
        assert_eq!(
            decide(&who("housing", Role::Field), &action),
            Access::ReadWrite
        );
        assert_eq!(
            decide(&who("police", Role::Coordinator), &action),
            Access::Read
        );
        assert_eq!(
            decide(&who("rescue", Role::Coordinator), &action),
            Access::None
        );
        assert_eq!(decide(&who("housing", Role::Viewer), &action), Access::Read);
        // An action the district gives itself: its field staff carry it out.
        action.responsible_org = Some("district".into());
        assert_eq!(
            decide(&who("district", Role::Field), &action),
            Access::ReadWrite
        );
        assert_eq!(
            decide(&who("district", Role::Viewer), &action),
            Access::Read
        );
    }

    #[test]
    fn registration_follows_role_and_kind() {
        let field = who("district", Role::Field);
        assert!(may_register(&field, &doc(DocKind::Walk, "district", &["police"])).is_ok());
        assert_eq!(
            may_register(&field, &doc(DocKind::Template, "district", &[])),
            Err(RegisterRefusal::CoordinatorOnly {
                kind: DocKind::Template
            })
        );
        assert_eq!(
            may_register(
                &who("district", Role::Viewer),
                &doc(DocKind::Walk, "district", &[])
            ),
            Err(RegisterRefusal::RoleCannotCreate { role: Role::Viewer })
        );
        let mut restricted = doc(DocKind::Report, "police", &["housing"]);
        restricted.restricted = true;
        assert_eq!(
            may_register(&who("police", Role::Field), &restricted),
            Err(RegisterRefusal::RestrictedShared)
        );
        assert_eq!(
            may_register(&field, &doc(DocKind::Action, "district", &[])),
            Err(RegisterRefusal::ActionWithoutResponsible)
        );
    }

    #[test]
    fn only_the_owner_changes_sharing() {
        let walk = doc(DocKind::Walk, "district", &["police"]);
        assert!(may_share(&who("district", Role::Field), &walk).is_ok());
        assert_eq!(
            may_share(&who("police", Role::Coordinator), &walk),
            Err(RegisterRefusal::NotOwner)
        );
        assert!(may_share(&who("district", Role::Viewer), &walk).is_err());
        let mut report = doc(DocKind::Report, "police", &[]);
        report.restricted = true;
        assert_eq!(
            may_share(&who("police", Role::Field), &report),
            Err(RegisterRefusal::RestrictedShared)
        );
    }

    #[test]
    fn roles_parse_from_their_names() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn content_that_contradicts_its_registration_is_named() {
        use crate::seed::{self, demo};
        use crate::time::Timestamp;
        let mut rng = demo::DemoRng::new(3);
        let vocabulary = seed::vocabulary();
        let report = demo::report(
            &mut rng,
            &vocabulary,
            "police",
            Sensitivity::Restricted,
            1,
            Timestamp(0),
        );
        let content = crate::document::create(&report).unwrap();
        let id = DocId::random();
        let registered = access_of(id, &AnyDocument::Report(report.clone()), "police");
        assert_eq!(check_content(&registered, &content), ContentCheck::Matches);

        // Registered as shared, elsewhere, by the district: every fact named.
        let claimed = DocAccess {
            owner_org: "district".into(),
            area: Some("somewhere-else".into()),
            restricted: false,
            ..registered.clone()
        };
        let ContentCheck::Contradicts(facts) = check_content(&claimed, &content) else {
            panic!("a contradiction was not found");
        };
        assert_eq!(facts.len(), 3, "{facts:?}");
        for fact in ["owner is police", "area is", "restricted is true"] {
            assert!(
                facts.iter().any(|f| f.starts_with(fact)),
                "{fact}: {facts:?}"
            );
        }
        // Another kind.
        let walk = DocAccess {
            kind: DocKind::Walk,
            ..registered.clone()
        };
        assert!(matches!(
            check_content(&walk, &content),
            ContentCheck::Contradicts(f) if f[0].starts_with("kind is report")
        ));
        // Not a Trygg document, or not yet all of one: nothing to compare.
        let mut foreign = automerge::AutoCommit::new();
        automerge::transaction::Transactable::put(&mut foreign, automerge::ROOT, "title", "x")
            .unwrap();
        assert_eq!(
            check_content(&registered, &foreign),
            ContentCheck::Unreadable
        );
        let mut partial = automerge::AutoCommit::new();
        automerge::transaction::Transactable::put(
            &mut partial,
            automerge::ROOT,
            crate::document::KIND_KEY,
            "report",
        )
        .unwrap();
        assert_eq!(
            check_content(&registered, &partial),
            ContentCheck::Unreadable
        );
    }

    #[test]
    fn only_an_organisations_own_coordinators_change_its_settings() {
        assert!(may_change_settings(
            &who("district", Role::Coordinator),
            "district"
        ));
        for role in [Role::Field, Role::Viewer, Role::Admin] {
            assert!(!may_change_settings(&who("district", role), "district"));
        }
        assert!(!may_change_settings(
            &who("police", Role::Coordinator),
            "district"
        ));
    }
}
