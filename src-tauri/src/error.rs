//! Errors the UI can act on. Each has a stable `code` the UI translates and,
//! for form input, the fields that need attention.

use serde::Serialize;
use serde::ser::SerializeStruct;
use trygg_core::{DocError, ValidationErrors};
use trygg_store::StoreError;
use trygg_sync::SyncError;

/// Messages per form field, in the order found.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct FieldErrors(pub Vec<(String, String)>);

impl FieldErrors {
    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push((field.into(), message.into()));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_result(self) -> Result<(), AppError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(AppError::Invalid(self))
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Form input that needs correcting; the UI shows each message by its field.
    #[error("some fields need attention")]
    Invalid(FieldErrors),
    #[error("the device is not set up yet: pair it or continue offline")]
    NotOnboarded,
    #[error("{0} was not found on this device")]
    NotFound(String),
    #[error("the server address is not valid: {0}")]
    BadServerAddress(String),
    #[error("the server did not answer; check the address and the network")]
    Unreachable(String),
    #[error("the server refused the token: {0}")]
    TokenRefused(String),
    #[error("the photo is {size} bytes; the limit is {limit}")]
    PhotoTooLarge { size: u64, limit: u64 },
    #[error("{0}")]
    Forbidden(String),
    /// The document may only be read by this device (the server's access rule).
    #[error("document {0} can only be read on this device")]
    ReadOnly(String),
    #[error("could not save on this device: {0}")]
    Storage(String),
    #[error("{0}")]
    Other(String),
}

impl AppError {
    pub fn code(&self) -> &'static str {
        match self {
            AppError::Invalid(_) => "invalid",
            AppError::NotOnboarded => "not_onboarded",
            AppError::NotFound(_) => "not_found",
            AppError::BadServerAddress(_) => "bad_server_address",
            AppError::Unreachable(_) => "unreachable",
            AppError::TokenRefused(_) => "token_refused",
            AppError::PhotoTooLarge { .. } => "photo_too_large",
            AppError::Forbidden(_) => "forbidden",
            AppError::ReadOnly(_) => "read_only",
            AppError::Storage(_) => "storage",
            AppError::Other(_) => "other",
        }
    }
}

/// `{"code": "...", "message": "...", "fields": [["field", "message"], ...]}`
impl Serialize for AppError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("AppError", 3)?;
        st.serialize_field("code", self.code())?;
        st.serialize_field("message", &self.to_string())?;
        match self {
            AppError::Invalid(fields) => st.serialize_field("fields", fields)?,
            _ => st.serialize_field("fields", &FieldErrors::default())?,
        }
        st.end()
    }
}

/// The core's rule violations, each at its path.
impl From<ValidationErrors> for AppError {
    fn from(errors: ValidationErrors) -> Self {
        let mut f = FieldErrors::default();
        for p in errors.0 {
            f.push(p.path, p.message);
        }
        AppError::Invalid(f)
    }
}

impl From<DocError> for AppError {
    fn from(e: DocError) -> Self {
        match e {
            DocError::Invalid { errors, .. } => AppError::from(errors),
            DocError::NotFound { what, id } => AppError::NotFound(format!("{what} {id}")),
            DocError::Forbidden(msg) => AppError::Forbidden(msg),
            other => AppError::Other(other.to_string()),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Doc(d) | StoreError::Document { source: d, .. } => AppError::from(*d),
            StoreError::NotFound(id) => AppError::NotFound(format!("document {id}")),
            other => AppError::Storage(other.to_string()),
        }
    }
}

impl From<SyncError> for AppError {
    fn from(e: SyncError) -> Self {
        match e {
            SyncError::Document(d) => AppError::from(*d),
            SyncError::Store(s) => AppError::from(s),
            SyncError::Unreachable(m) => AppError::Unreachable(m),
            SyncError::TokenRefused => {
                AppError::TokenRefused("ask your coordinator for a new device token".into())
            }
            SyncError::BadAddress(m) => AppError::BadServerAddress(m),
            SyncError::Api {
                status: 401,
                message,
            } => AppError::TokenRefused(message),
            SyncError::Unavailable(id) => AppError::NotFound(format!("document {id}")),
            SyncError::NotOpen(id) => AppError::NotFound(format!("document {id}")),
            other => AppError::Other(other.to_string()),
        }
    }
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;
