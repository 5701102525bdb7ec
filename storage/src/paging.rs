//! What a page of a list costs: the total is counted only when the page cannot tell it.

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
