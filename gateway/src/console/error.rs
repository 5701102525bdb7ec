//! What a console page answers when it cannot show what was asked: an HTML page with
//! the status, never a stack trace or a SCIM JSON body.

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::html;

use super::page;
use crate::ApiError;

/// Where the sign-in page lives.
pub(crate) const SIGN_IN_PATH: &str = "/admin/sign-in";

/// A console request that failed.
#[derive(Debug)]
pub(crate) enum ConsoleError {
    /// No session, or one sync-core no longer accepts: to the sign-in page.
    SignIn,
    /// A form without this session's CSRF token.
    Csrf,
    /// No such page or resource.
    NotFound(String),
    /// What sync-core (or the gateway) answered, as the SCIM error it stands for.
    Api(ApiError),
}

impl From<tonic::Status> for ConsoleError {
    fn from(status: tonic::Status) -> Self {
        match status.code() {
            // The session's token was revoked or has expired.
            tonic::Code::Unauthenticated => ConsoleError::SignIn,
            _ => ConsoleError::Api(ApiError::from(status)),
        }
    }
}

impl From<ApiError> for ConsoleError {
    fn from(error: ApiError) -> Self {
        ConsoleError::Api(error)
    }
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        let (status, title, detail) = match self {
            ConsoleError::SignIn => {
                return (StatusCode::SEE_OTHER, [(header::LOCATION, SIGN_IN_PATH)]).into_response();
            }
            ConsoleError::Csrf => (
                StatusCode::FORBIDDEN,
                "This form has expired",
                "The form was not sent with this session's security token. Go back, reload the page and try again."
                    .to_owned(),
            ),
            ConsoleError::NotFound(what) => (StatusCode::NOT_FOUND, "Not found", what),
            ConsoleError::Api(error) => {
                let title = match error.status() {
                    StatusCode::FORBIDDEN => "Not allowed",
                    StatusCode::NOT_FOUND => "Not found",
                    StatusCode::TOO_MANY_REQUESTS => "Too many requests",
                    StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT => "Service unavailable",
                    status if status.is_server_error() => "Something went wrong",
                    _ => "The request was refused",
                };
                (error.status(), title, error.detail().to_owned())
            }
        };
        let body = html! {
            h1 { (title) }
            p.error-detail { (detail) }
            p { a href="/admin" { "Back to the overview" } }
        };
        (status, page::bare(title, body)).into_response()
    }
}
