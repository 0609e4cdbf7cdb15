//! Errors the UI can act on. Each has a stable `code` the UI translates and,
//! for form input, the fields that need attention.

use serde::Serialize;
use trygg_core::{DocError, ValidationErrors};
use trygg_store::StoreError;
use trygg_sync::SyncError;
use ts_rs::TS;

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

/// What kind of error the UI got: it chooses where to show the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Invalid,
    NotOnboarded,
    NotFound,
    BadServerAddress,
    Unreachable,
    TokenRefused,
    PhotoTooLarge,
    Forbidden,
    ReadOnly,
    Storage,
    Other,
}

impl AppError {
    pub fn code(&self) -> ErrorCode {
        match self {
            AppError::Invalid(_) => ErrorCode::Invalid,
            AppError::NotOnboarded => ErrorCode::NotOnboarded,
            AppError::NotFound(_) => ErrorCode::NotFound,
            AppError::BadServerAddress(_) => ErrorCode::BadServerAddress,
            AppError::Unreachable(_) => ErrorCode::Unreachable,
            AppError::TokenRefused(_) => ErrorCode::TokenRefused,
            AppError::PhotoTooLarge { .. } => ErrorCode::PhotoTooLarge,
            AppError::Forbidden(_) => ErrorCode::Forbidden,
            AppError::ReadOnly(_) => ErrorCode::ReadOnly,
            AppError::Storage(_) => ErrorCode::Storage,
            AppError::Other(_) => ErrorCode::Other,
        }
    }
}

/// An error as the UI gets it from a command that failed.
#[derive(Clone, Debug, Serialize, TS)]
#[ts(rename = "AppError")]
pub struct ErrorView {
    pub code: ErrorCode,
    pub message: String,
    /// Messages per form field (`invalid` only), in the order found.
    pub fields: Vec<(String, String)>,
}

impl From<&AppError> for ErrorView {
    fn from(e: &AppError) -> Self {
        Self {
            code: e.code(),
            message: e.to_string(),
            fields: match e {
                AppError::Invalid(fields) => fields.0.clone(),
                _ => Vec::new(),
            },
        }
    }
}

impl Serialize for AppError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ErrorView::from(self).serialize(s)
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
