//! `CoreError`: every failure the core reports, and its gRPC form.
//!
//! Each variant knows its gRPC code; the SCIM `scimType` keyword travels in a
//! `google.rpc.ErrorInfo` detail (domain [`SCIM_ERROR_DOMAIN`]) so the gateway can render
//! the SCIM error without parsing messages. Internal errors are logged once, here, and
//! answered with a generic detail.

use idsync_storage::StorageError;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// The `ErrorInfo.domain` under which the core reports a SCIM `scimType`.
pub const SCIM_ERROR_DOMAIN: &str = "idsync.scim";

/// The SCIM error keywords of RFC 7644 §3.12 that the core uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum ScimType {
    InvalidFilter,
    InvalidPath,
    InvalidValue,
    InvalidSyntax,
    NoTarget,
    Mutability,
    TooMany,
    Uniqueness,
}

impl ScimType {
    /// The keyword as written in a SCIM error.
    pub fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::InvalidPath => "invalidPath",
            ScimType::InvalidValue => "invalidValue",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::NoTarget => "noTarget",
            ScimType::Mutability => "mutability",
            ScimType::TooMany => "tooMany",
            ScimType::Uniqueness => "uniqueness",
        }
    }
}

/// A failure of a core operation.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The request is malformed or violates the schema (400).
    #[error("{detail}")]
    Invalid {
        /// The SCIM keyword.
        scim_type: ScimType,
        /// What is wrong, for a person.
        detail: String,
    },
    /// The tenant's scoping rule refuses the create or update (400 `invalidValue`, as
    /// [`CoreError::Invalid`] on the wire; a variant of its own so that telemetry can
    /// count it as `rejected_out_of_scope` rather than as a failure).
    #[error("{0}")]
    OutOfScope(String),
    /// No or an unknown, revoked or expired token (401).
    #[error("{0}")]
    Unauthenticated(String),
    /// The token may not do this (403).
    #[error("{0}")]
    PermissionDenied(String),
    /// No such resource in the caller's tenant (404).
    #[error("{0}")]
    NotFound(String),
    /// A uniqueness rule is violated (409 `uniqueness`).
    #[error("{0}")]
    Uniqueness(String),
    /// The stored version differs from the one the caller named (412).
    #[error("{0}")]
    VersionMismatch(String),
    /// The database cannot be reached (503).
    #[error("{0}")]
    Unavailable(String),
    /// Anything else (500). The text is logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl CoreError {
    /// A 400 with the given keyword.
    pub fn invalid(scim_type: ScimType, detail: impl Into<String>) -> Self {
        CoreError::Invalid {
            scim_type,
            detail: detail.into(),
        }
    }

    /// A 400 `invalidValue`.
    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::invalid(ScimType::InvalidValue, detail)
    }

    /// A 404 for a resource id.
    pub fn not_found(resource: &str, id: &str) -> Self {
        CoreError::NotFound(format!("{resource} {id:?} not found"))
    }
}

impl From<StorageError> for CoreError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound => CoreError::NotFound("resource not found".into()),
            StorageError::Conflict { .. } => CoreError::Uniqueness("a unique attribute is already taken".into()),
            StorageError::VersionMismatch { current } => CoreError::VersionMismatch(format!(
                "the resource has changed; its current version is W/\"{current}\""
            )),
            StorageError::InvalidQuery(detail) => CoreError::invalid(ScimType::InvalidFilter, detail),
            StorageError::Unavailable(detail) => {
                tracing::warn!(error = %detail, "database unavailable");
                CoreError::Unavailable("the database is unavailable; retry later".into())
            }
            other => CoreError::Internal(other.to_string()),
        }
    }
}

impl From<tokio::task::JoinError> for CoreError {
    fn from(e: tokio::task::JoinError) -> Self {
        CoreError::Internal(format!("blocking task failed: {e}"))
    }
}

impl From<CoreError> for Status {
    fn from(e: CoreError) -> Self {
        let (code, message, scim_type) = match e {
            CoreError::Invalid { scim_type, detail } => (Code::InvalidArgument, detail, Some(scim_type)),
            CoreError::OutOfScope(d) => (Code::InvalidArgument, d, Some(ScimType::InvalidValue)),
            CoreError::Unauthenticated(d) => (Code::Unauthenticated, d, None),
            CoreError::PermissionDenied(d) => (Code::PermissionDenied, d, None),
            CoreError::NotFound(d) => (Code::NotFound, d, None),
            CoreError::Uniqueness(d) => (Code::AlreadyExists, d, Some(ScimType::Uniqueness)),
            CoreError::VersionMismatch(d) => (Code::FailedPrecondition, d, None),
            CoreError::Unavailable(d) => (Code::Unavailable, d, None),
            CoreError::Internal(d) => {
                tracing::error!(error = %d, "internal error");
                (Code::Internal, "internal error".to_string(), None)
            }
        };
        match scim_type {
            Some(t) => {
                let details =
                    ErrorDetails::with_error_info(t.as_str(), SCIM_ERROR_DOMAIN, std::collections::HashMap::new());
                Status::with_error_details(code, message, details)
            }
            None => Status::new(code, message),
        }
    }
}

/// Reads the SCIM keyword back out of a status made by this module.
pub fn scim_type_of(status: &Status) -> Option<String> {
    let details = status.get_error_details();
    details
        .error_info()
        .filter(|i| i.domain == SCIM_ERROR_DOMAIN)
        .map(|i| i.reason.clone())
}

/// Shorthand for core results.
pub type CoreResult<T> = Result<T, CoreError>;
