//! Database URLs as operators write them: swapping the database of an admin URL (a fresh
//! database per test or benchmark run) and hiding the password for messages.

/// The admin URL with its database replaced by `database`, keeping any parameters.
pub fn with_database(admin_url: &str, database: &str) -> String {
    let (base, params) = match admin_url.split_once('?') {
        Some((base, params)) => (base, Some(params)),
        None => (admin_url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match params {
        Some(params) => format!("{server}/{database}?{params}"),
        None => format!("{server}/{database}"),
    }
}

/// The URL with its password hidden (`scheme://user:***@host…`), for messages and logs.
pub fn redact(url: &str) -> String {
    let Some(start) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let Some(at) = url[start..].find('@').map(|i| start + i) else {
        return url.to_owned();
    };
    match url[start..at].find(':') {
        Some(colon) => format!("{}:***{}", &url[..start + colon], &url[at..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_is_swapped_and_parameters_kept() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/postgres", "t"),
            "postgres://postgres@127.0.0.1:5432/t"
        );
        assert_eq!(
            with_database("postgres://u:p@h/db?sslmode=require", "t"),
            "postgres://u:p@h/t?sslmode=require"
        );
        assert_eq!(with_database("postgresql://h:5432", "t"), "postgresql://h:5432/t");
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact("/tmp/x.sqlite3"), "/tmp/x.sqlite3");
    }
}
