//! The stylesheet and the script, built into the binary (no CDN, no build step).

use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;

const STYLESHEET: &str = include_str!("assets/console.css");
const SCRIPT: &str = include_str!("assets/console.js");

/// Assets change only with the binary; an hour keeps pages fast without stale styles
/// lasting long after an upgrade.
const CACHE: HeaderValue = HeaderValue::from_static("public, max-age=3600");

/// `GET /admin/assets/console.css`.
pub(crate) async fn stylesheet() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, CACHE),
        ],
        STYLESHEET,
    )
}

/// `GET /admin/assets/console.js`.
pub(crate) async fn script() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, CACHE),
        ],
        SCRIPT,
    )
}
