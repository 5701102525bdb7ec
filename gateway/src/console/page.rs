//! The frame every console page shares, and small pieces pages are made of.

use axum::response::Html;
use maud::{DOCTYPE, Markup, html};

use super::session::Signed;

/// The console's sections, in the order of the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    Overview,
    Settings,
    Users,
    Groups,
    Log,
    Rules,
    Tenants,
}

impl Section {
    const ALL: [Section; 7] = [
        Section::Overview,
        Section::Settings,
        Section::Users,
        Section::Groups,
        Section::Log,
        Section::Rules,
        Section::Tenants,
    ];

    fn path(self) -> &'static str {
        match self {
            Section::Overview => "/admin",
            Section::Settings => "/admin/settings",
            Section::Users => "/admin/users",
            Section::Groups => "/admin/groups",
            Section::Log => "/admin/log",
            Section::Rules => "/admin/rules",
            Section::Tenants => "/admin/tenants",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Section::Overview => "Overview",
            Section::Settings => "API Settings",
            Section::Users => "Users",
            Section::Groups => "Groups",
            Section::Log => "Provisioning log",
            Section::Rules => "Rules",
            Section::Tenants => "Tenants",
        }
    }
}

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            title { (title) " · idsync" }
            link rel="stylesheet" href="/admin/assets/console.css";
            script src="/admin/assets/console.js" defer {}
        }
    }
}

/// A page of a signed-in admin: navigation, the tenant's name, sign-out, and `body`.
pub(crate) fn layout(signed: &Signed, current: Section, title: &str, body: Markup) -> Html<String> {
    let session = &signed.session;
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    span.brand { "idsync" }
                    span.tenant data-testid="tenant-name" { (session.who.tenant_name) }
                    form.sign-out method="post" action="/admin/sign-out" {
                        (csrf_field(signed))
                        button type="submit" { "Sign out" }
                    }
                }
                nav aria-label="Console" {
                    ul {
                        @for section in Section::ALL {
                            @if section != Section::Tenants || session.who.operator {
                                li {
                                    a href=(section.path()) aria-current=[(section == current).then_some("page")] {
                                        (section.label())
                                    }
                                }
                            }
                        }
                    }
                }
                main id="main" tabindex="-1" {
                    (body)
                }
            }
        }
    };
    Html(markup.into_string())
}

/// A page outside a session: sign-in, and errors.
pub(crate) fn bare(title: &str, body: Markup) -> Html<String> {
    let markup = html! {
        (DOCTYPE)
        html lang="en" {
            (head(title))
            body.bare {
                header.top { span.brand { "idsync" } }
                main id="main" { (body) }
            }
        }
    };
    Html(markup.into_string())
}

/// The hidden field every form of a session carries.
pub(crate) fn csrf_field(signed: &Signed) -> Markup {
    html! { input type="hidden" name="csrf" value=(signed.session.csrf); }
}

/// A table's header row: one column header per name.
pub(crate) fn table_head(columns: &[&str]) -> Markup {
    html! {
        thead {
            tr {
                @for column in columns {
                    th scope="col" { (column) }
                }
            }
        }
    }
}

/// A timestamp as the console shows it, in UTC; "—" when there is none.
pub(crate) fn time(at: Option<&prost_types::Timestamp>) -> String {
    at.and_then(|at| chrono::DateTime::from_timestamp(at.seconds, u32::try_from(at.nanos).unwrap_or(0)))
        .map(|at| at.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_else(|| "—".to_owned())
}

/// A value and a button that copies it (the one place the console needs JavaScript).
pub(crate) fn copyable(test_id: &str, value: &str) -> Markup {
    html! {
        span.copyable {
            code id=(test_id) data-testid=(test_id) { (value) }
            button.copy type="button" data-copy=(test_id) aria-label="Copy to clipboard" { "Copy" }
        }
    }
}

/// Links to the previous and next page of a list that starts at `start` (1-based),
/// shows `count` per page and has `total` items. `href` builds a page's link from its
/// start index.
pub(crate) fn pager(start: u64, count: u64, total: u64, href: impl Fn(u64) -> String) -> Markup {
    let count = count.max(1);
    let last = (start + count - 1).min(total);
    html! {
        nav.pager aria-label="Pages" {
            @if total == 0 {
                span { "Nothing to show." }
            } @else {
                span { (start) "–" (last) " of " (total) }
            }
            @if start > 1 {
                a rel="prev" href=(href(start.saturating_sub(count).max(1))) { "← Previous" }
            }
            @if last < total {
                a rel="next" href=(href(last + 1)) { "Next →" }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_utc_to_the_second_and_a_missing_one_is_a_dash() {
        let at = prost_types::Timestamp {
            seconds: 1_700_000_000,
            nanos: 5,
        };
        assert_eq!(time(Some(&at)), "2023-11-14 22:13:20 UTC");
        assert_eq!(time(None), "—");
    }

    #[test]
    fn the_pager_links_only_to_pages_that_exist() {
        let html = pager(1, 10, 25, |start| format!("?start={start}")).into_string();
        assert!(html.contains("1–10 of 25"));
        assert!(html.contains(r#"href="?start=11""#));
        assert!(!html.contains("prev"));
        let html = pager(21, 10, 25, |start| format!("?start={start}")).into_string();
        assert!(html.contains("21–25 of 25"));
        assert!(html.contains(r#"href="?start=11""#));
        assert!(!html.contains("next"));
    }

    #[test]
    fn values_are_escaped() {
        let html = copyable("tenant-url", "<script>").into_string();
        assert!(html.contains("&lt;script&gt;"));
    }
}
