//! The admin console over plain HTTP: sign in with a token, then GET pages and POST
//! forms with the session's cookie and CSRF token. Redirects are not followed, so a test
//! sees the `303` and where it points. The browser tests drive the same pages in
//! chromium (`browser`).

use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Response, StatusCode};

use crate::TestApp;

/// A signed-in console session.
pub struct ConsoleClient {
    http: reqwest::Client,
    /// `<public URL>/admin`.
    pub base: String,
    /// `idsync_console=<id>`, sent as the `Cookie` header.
    pub cookie: String,
    /// The session's CSRF token, read from a page's form.
    pub csrf: String,
}

/// The console's base URL, `<public URL>/admin`, of `app`.
pub fn console_url(app: &TestApp) -> String {
    format!("{}/admin", app.tenant_url.trim_end_matches("/scim/v2"))
}

/// A client that does not follow redirects.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("HTTP client")
}

/// The value of the first `name="csrf"` field in `html`.
pub fn csrf_of(html: &str) -> Option<String> {
    let at = html.find(r#"name="csrf" value=""#)? + r#"name="csrf" value=""#.len();
    let end = html[at..].find('"')?;
    Some(html[at..at + end].to_owned())
}

/// The `name=value` of cookie `name` among a response's `Set-Cookie` headers.
pub fn set_cookie(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.split(';').next())
        .find(|pair| pair.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// Sends the sign-in form with `token`, as a browser would (sign-in cookie and CSRF
/// field from the form first); returns the answer to the POST.
pub async fn try_sign_in(base: &str, token: &str) -> Response {
    let http = client();
    let form = http.get(format!("{base}/sign-in")).send().await.expect("sign-in form");
    assert_eq!(form.status(), StatusCode::OK);
    let cookie = set_cookie(&form, "idsync_console_sign_in").expect("the form sets its CSRF cookie");
    let csrf = csrf_of(&form.text().await.expect("form body")).expect("the form has a CSRF field");
    http.post(format!("{base}/sign-in"))
        .header(COOKIE, cookie)
        .form(&[("csrf", csrf.as_str()), ("token", token)])
        .send()
        .await
        .expect("sign-in POST")
}

impl ConsoleClient {
    /// Signs in to `app`'s console with `token`; panics unless the console accepts it.
    pub async fn sign_in(app: &TestApp, token: &str) -> ConsoleClient {
        let base = console_url(app);
        let answer = try_sign_in(&base, token).await;
        assert_eq!(answer.status(), StatusCode::SEE_OTHER, "sign-in accepted");
        let cookie = set_cookie(&answer, "idsync_console").expect("a session cookie");
        let mut console = ConsoleClient {
            http: client(),
            base,
            cookie,
            csrf: String::new(),
        };
        let (status, page) = console.get("").await;
        assert_eq!(status, StatusCode::OK, "the overview after sign-in: {page}");
        console.csrf = csrf_of(&page).expect("every page has the sign-out form's CSRF field");
        console
    }

    /// `GET <base><path>` with the session: the status and the body.
    pub async fn get(&self, path: &str) -> (StatusCode, String) {
        let response = self.get_response(path).await;
        (response.status(), response.text().await.expect("page body"))
    }

    /// `GET <base><path>` with the session.
    pub async fn get_response(&self, path: &str) -> Response {
        self.http
            .get(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .send()
            .await
            .expect("console GET")
    }

    /// `POST <base><path>` of `fields` with the session's CSRF token added.
    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let mut form = vec![("csrf", self.csrf.as_str())];
        form.extend_from_slice(fields);
        self.post_raw(path, &form).await
    }

    /// `POST <base><path>` of exactly `fields` (no CSRF token unless given).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.http
            .post(format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .form(fields)
            .send()
            .await
            .expect("console POST")
    }
}

/// Where a redirect points.
pub fn location(response: &Response) -> Option<&str> {
    response.headers().get(LOCATION).and_then(|value| value.to_str().ok())
}
