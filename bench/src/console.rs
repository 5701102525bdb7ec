//! The `console` mode's reads: an admin signs in as a browser does (the sign-in form's
//! CSRF field and cookie, an admin token, then the session cookie), and one keep-alive
//! client reads each console page `repeat` times in turn, after a few unmeasured reads,
//! with the server's CPU read around each page. Every read must answer 200: a redirect
//! to the sign-in page or an error page is a failure, counted and shown, never a time
//! that passes for a rendered page.
//!
//! Latency is taken at the client on loopback: sending the request to having read the
//! whole page. It bounds the server-side render time from above.

use std::time::Instant;

use anyhow::{Context, Result, bail};
use hyper::Method;
use hyper::header::{HeaderMap, LOCATION, SET_COOKIE};

use crate::client::{Answer, Connection};
use crate::driver::Meters;
use crate::measure::{Measured, cpu_between};
use crate::scim;

/// Unmeasured reads of each page before its measured ones (caches, the first query plan).
pub const WARM_UP: usize = 10;

/// The sign-in form's CSRF cookie.
const SIGN_IN_COOKIE: &str = "idsync_console_sign_in";
/// The session cookie.
const SESSION_COOKIE: &str = "idsync_console";
/// Rows per page of the console's lists.
const LIST_PAGE: usize = 25;
/// How many failures of one page are kept as text.
const SAMPLES_KEPT: usize = 3;

/// A console page to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// Its name in the report: the path, with `{id}` standing for an id.
    pub name: String,
    /// The path read.
    pub path: String,
}

/// What the pages are about: the tenant's size and a user and a group of it.
#[derive(Debug, Clone)]
pub struct Targets {
    /// Users in the tenant.
    pub users: usize,
    /// The number of the user whose page is read (its userName gives the search too).
    pub user: usize,
    /// That user's id.
    pub user_id: String,
    /// The id of the group whose page is read.
    pub group_id: String,
}

/// The pages measured, in order: the overview, settings, the users list plain,
/// searched by userName, by family name and by an email address no user has, filtered and paged deep, a user, the groups list and a group, the log
/// plain and filtered to failures, and the rules.
pub fn pages(targets: &Targets) -> Vec<Page> {
    let page = |name: &str, path: String| Page {
        name: name.to_owned(),
        path,
    };
    let fixed = |path: &str| page(path, path.to_owned());
    let search = format!("/admin/users?q={}", search_prefix(targets.user));
    // No userName starts with it, so the console's second step compares the names.
    let by_name = format!("/admin/users?q=Family{}", targets.user / 100);
    // Text with an `@` that no userName starts with: the second step compares the emails.
    let by_email = "/admin/users?q=nobody%40contoso".to_owned();
    let deep = format!("/admin/users?start={}", targets.users.saturating_sub(LIST_PAGE).max(1));
    vec![
        fixed("/admin"),
        fixed("/admin/settings"),
        fixed("/admin/users"),
        page(&search, search.clone()),
        page(&by_name, by_name.clone()),
        page(&by_email, by_email.clone()),
        fixed("/admin/users?filter=active+eq+false"),
        page(&deep, deep.clone()),
        page("/admin/users/{id}", format!("/admin/users/{}", targets.user_id)),
        fixed("/admin/groups"),
        page("/admin/groups/{id}", format!("/admin/groups/{}", targets.group_id)),
        fixed("/admin/log"),
        fixed("/admin/log?outcome=failure"),
        fixed("/admin/rules"),
    ]
}

/// What an admin types to find user `n`: its userName up to the `@` without the last two
/// digits, which up to a hundred users share (`bench.user00500` for user 50 000).
pub fn search_prefix(n: usize) -> String {
    let name = scim::user_name(n);
    let local = name.split('@').next().unwrap_or_default();
    local[..local.len().saturating_sub(2)].to_owned()
}

/// Signs in with the admin `token` over `conn`; the `Cookie` value of the session.
pub async fn sign_in(conn: &mut Connection, token: &str) -> Result<String> {
    let form = conn.browse(Method::GET, "/admin/sign-in", None, None).await?;
    if form.status != 200 {
        bail!("GET /admin/sign-in: {}", describe(&form));
    }
    let csrf_cookie = set_cookie(&form.headers, SIGN_IN_COOKIE).context("GET /admin/sign-in set no CSRF cookie")?;
    let body = String::from_utf8_lossy(&form.body);
    let csrf = hidden_field(&body, "csrf").context("the sign-in form has no csrf field")?;
    let fields = form_urlencoded::Serializer::new(String::new())
        .append_pair("csrf", &csrf)
        .append_pair("token", token)
        .finish();
    let cookie = format!("{SIGN_IN_COOKIE}={csrf_cookie}");
    let answer = conn
        .browse(Method::POST, "/admin/sign-in", Some(&cookie), Some(fields))
        .await?;
    if answer.status != 303 {
        bail!("POST /admin/sign-in: {} instead of 303", describe(&answer));
    }
    let session = set_cookie(&answer.headers, SESSION_COOKIE)
        .filter(|value| !value.is_empty())
        .context("POST /admin/sign-in set no session cookie")?;
    Ok(format!("{SESSION_COOKIE}={session}"))
}

/// Reads each page `repeat` times after [`WARM_UP`] unmeasured reads, one request at a
/// time over `conn` with the session `cookie`; one [`Measured`] per page.
pub async fn read_pages(
    conn: &mut Connection,
    cookie: &str,
    pages: &[Page],
    repeat: usize,
    meters: &Meters<'_>,
) -> Vec<Measured> {
    let mut measured = Vec::with_capacity(pages.len());
    for page in pages {
        for _ in 0..WARM_UP {
            let _ = conn.browse(Method::GET, &page.path, Some(cookie), None).await;
        }
        let mut phase = Measured {
            name: page.name.clone(),
            samples: Vec::with_capacity(repeat),
            ..Measured::default()
        };
        let before = meters.snapshot();
        let started = Instant::now();
        for _ in 0..repeat {
            let sent = Instant::now();
            let answer = conn.browse(Method::GET, &page.path, Some(cookie), None).await;
            phase
                .samples
                .push(u64::try_from(sent.elapsed().as_micros()).unwrap_or(u64::MAX));
            let failure = match answer {
                Ok(answer) if answer.status == 200 => continue,
                Ok(answer) => format!("GET {}: {} instead of 200", page.path, describe(&answer)),
                Err(error) => format!("GET {}: {error:#}", page.path),
            };
            phase.errors += 1;
            if phase.error_samples.len() < SAMPLES_KEPT {
                phase.error_samples.push(failure);
            }
        }
        phase.seconds = started.elapsed().as_secs_f64();
        let after = meters.snapshot();
        (phase.server_cpu_us, phase.client_cpu_us, phase.db_cpu_us) = cpu_between(&before, &after);
        eprintln!(
            "{:>22} {:<40} {:>5} requests {:>5} errors {:>7.1} s",
            "console", page.name, repeat, phase.errors, phase.seconds
        );
        measured.push(phase);
    }
    measured
}

/// An answer that was not the expected one, in a few words: its status, where a
/// redirect pointed, the start of its body.
fn describe(answer: &Answer) -> String {
    if let Some(location) = answer.headers.get(LOCATION) {
        return format!("{} to {}", answer.status, String::from_utf8_lossy(location.as_bytes()));
    }
    let text: String = String::from_utf8_lossy(&answer.body).chars().take(200).collect();
    format!("{}: {text}", answer.status)
}

/// The value a `Set-Cookie` header of `headers` gives cookie `name`.
fn set_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.split(';').next()?.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// The `value` of the `<input name="<name>">` in `html` (the CSRF token: URL-safe, so
/// never escaped).
fn hidden_field(html: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("name=\"{name}\""))?;
    let start = html[..at].rfind('<')?;
    let end = at + html[at..].find('>')?;
    let tag = &html[start..end];
    let value = tag.split_once("value=\"")?.1;
    Some(value[..value.find('"')?].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use hyper::header::HeaderValue;

    #[test]
    fn the_pages_name_ids_but_read_the_real_ones() {
        let targets = Targets {
            users: 100_000,
            user: 50_000,
            user_id: "u-1".into(),
            group_id: "g-1".into(),
        };
        let pages = pages(&targets);
        assert_eq!(pages.len(), 14);
        let user = pages.iter().find(|p| p.name == "/admin/users/{id}").unwrap();
        assert_eq!(user.path, "/admin/users/u-1");
        let group = pages.iter().find(|p| p.name == "/admin/groups/{id}").unwrap();
        assert_eq!(group.path, "/admin/groups/g-1");
        let paths: Vec<&str> = pages.iter().map(|p| p.path.as_str()).collect();
        assert!(paths.contains(&"/admin/users?q=bench.user00500"), "{paths:?}");
        assert!(paths.contains(&"/admin/users?q=Family500"), "{paths:?}");
        assert!(paths.contains(&"/admin/users?q=nobody%40contoso"), "{paths:?}");
        assert!(paths.contains(&"/admin/users?start=99975"), "{paths:?}");
        assert!(paths.contains(&"/admin/log?outcome=failure"));
        assert!(pages.iter().all(|p| p.path.starts_with("/admin")));
    }

    #[test]
    fn a_tiny_tenant_pages_from_its_first_row() {
        let targets = Targets {
            users: 10,
            user: 5,
            user_id: "u".into(),
            group_id: "g".into(),
        };
        let paths: Vec<String> = pages(&targets).into_iter().map(|p| p.path).collect();
        assert!(paths.contains(&"/admin/users?start=1".to_owned()), "{paths:?}");
        assert!(paths.contains(&"/admin/users?q=bench.user00000".to_owned()));
    }

    #[test]
    fn the_search_prefix_is_shared_by_a_hundred_user_names() {
        let prefix = search_prefix(50_042);
        assert_eq!(prefix, "bench.user00500");
        assert!(scim::user_name(50_000).starts_with(&prefix) && scim::user_name(50_099).starts_with(&prefix));
        assert!(!scim::user_name(50_100).starts_with(&prefix));
    }

    #[test]
    fn the_csrf_field_and_the_cookies_are_read_as_sent() {
        let html = r#"<form method="post" action="/admin/sign-in"><input type="hidden" name="csrf" value="abc-_1"><input id="token" name="token"></form>"#;
        assert_eq!(hidden_field(html, "csrf").as_deref(), Some("abc-_1"));
        assert_eq!(hidden_field(html, "token"), None);
        assert_eq!(hidden_field("<p>no form</p>", "csrf"), None);

        let mut headers = HeaderMap::new();
        for value in [
            "idsync_console=s3ss; Path=/admin; Max-Age=28800; HttpOnly; SameSite=Strict",
            "idsync_console_sign_in=; Path=/admin; Max-Age=0; HttpOnly; SameSite=Strict",
        ] {
            headers.append(SET_COOKIE, HeaderValue::from_static(value));
        }
        assert_eq!(set_cookie(&headers, SESSION_COOKIE).as_deref(), Some("s3ss"));
        assert_eq!(set_cookie(&headers, SIGN_IN_COOKIE).as_deref(), Some(""));
        assert_eq!(set_cookie(&headers, "idsync"), None);
    }
}
