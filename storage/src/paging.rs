//! What a page of a list costs: the total is counted only when the page cannot tell it.

use crate::conn::AnyConnection;
use crate::error::StorageError;

/// `LIMIT` and `OFFSET` as SQL takes them (saturated).
pub(crate) fn limit_offset(limit: u64, offset: u64) -> (i64, i64) {
    (
        i64::try_from(limit).unwrap_or(i64::MAX),
        i64::try_from(offset).unwrap_or(i64::MAX),
    )
}

/// How many rows match in all, given the page that `offset`/`limit` returned. The
/// `count` statement runs only when the page does not tell: it does when it is the last
/// page and not empty, or the first page and not full — the common case of a lookup
/// such as `userName eq "…"`, which then costs a single statement even when nothing
/// matches.
pub(crate) fn total(
    offset: u64,
    limit: u64,
    returned: usize,
    count: impl FnOnce() -> Result<i64, StorageError>,
) -> Result<u64, StorageError> {
    let returned = returned as u64;
    if returned < limit && (returned > 0 || offset == 0) {
        return Ok(offset.saturating_add(returned));
    }
    Ok(u64::try_from(count()?).unwrap_or(0))
}

/// From this `OFFSET` on, a list counts its rows first and reads a page in their second
/// half from the end ([`far_page`]).
pub(crate) const FAR_OFFSET: u64 = 10_000;

/// How to read the page at `offset` (`limit` rows) of a list of `total` rows: `None`
/// when plain `LIMIT`/`OFFSET` is the cheaper way, else `Some((limit, offset))` to use in
/// the list's exact reverse order, whose rows, turned around, are the page. A page by
/// `OFFSET` steps over every row before it, so the last page of a million rows costs a
/// million rows forward and only its own rows backward.
pub(crate) fn far_page(offset: u64, limit: u64, total: u64) -> Option<(i64, i64)> {
    if offset >= total || offset <= total / 2 {
        return None;
    }
    let after = total - offset;
    let len = after.min(limit);
    Some(limit_offset(len, after - len))
}

/// A page of an ordered list by `offset` and `limit` over `far_offset`'s rule, and how
/// many rows match in all. `count` counts the matching rows; `load(conn, backward,
/// limit, offset)` reads a page of them, in the list's order or (`backward`) its exact
/// reverse. Far pages count first, and one in the second half is read from the end and
/// turned around ([`far_page`]); others count only when the page does not tell
/// ([`total`]). Users and groups list through this one function.
pub(crate) fn offset_page<R>(
    conn: &mut AnyConnection,
    offset: u64,
    limit: u64,
    far_offset: u64,
    count: impl Fn(&mut AnyConnection) -> Result<i64, StorageError>,
    load: impl FnOnce(&mut AnyConnection, bool, i64, i64) -> Result<Vec<R>, StorageError>,
) -> Result<(u64, Vec<R>), StorageError> {
    let (sql_limit, sql_offset) = limit_offset(limit, offset);
    let counted = if sql_limit > 0 && offset >= far_offset {
        Some(u64::try_from(count(conn)?).unwrap_or(0))
    } else {
        None
    };
    let backward = counted.and_then(|total| far_page(offset, limit, total));
    let rows = match (counted, backward) {
        _ if sql_limit == 0 => Vec::new(),
        (Some(total), _) if offset >= total => Vec::new(),
        (_, Some((len, from_end))) => {
            let mut rows = load(conn, true, len, from_end)?;
            rows.reverse();
            rows
        }
        _ => load(conn, false, sql_limit, sql_offset)?,
    };
    let total = match counted {
        Some(total) => total,
        None => total(offset, limit, rows.len(), || count(conn))?,
    };
    Ok((total, rows))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_in_the_second_half_is_read_from_the_end() {
        // 100 rows: rows 90..100 are the first 10 from the end.
        assert_eq!(far_page(90, 10, 100), Some((10, 0)));
        assert_eq!(far_page(60, 10, 100), Some((10, 30)));
        // A page running past the end holds what is left.
        assert_eq!(far_page(95, 10, 100), Some((5, 0)));
        assert_eq!(far_page(51, u64::MAX, 100), Some((49, 0)));
        // The first half, and past the end, read forward.
        assert_eq!(far_page(50, 10, 100), None);
        assert_eq!(far_page(0, 10, 100), None);
        assert_eq!(far_page(100, 10, 100), None);
        assert_eq!(far_page(500, 10, 100), None);
    }
}
