//! Paging cursors (RFC 9865): the opaque, URL-safe strings that carry a keyset position
//! from one page of a list to the next.
//!
//! A cursor is the URL-safe base64 (no padding, so only RFC 3986 unreserved characters)
//! of a small binary record, sealed with a MAC:
//!
//! ```text
//! version | flags (listing, direction) | issued at (s) | query fingerprint | position | tag
//! ```
//!
//! * The **position** is the last (or first) row's sort value, creation time and id:
//!   storage seeks to it in the index, so a cursor never grows stale the way an offset
//!   does, and costs the same at any depth (see `idsync_storage::keyset`).
//! * The **fingerprint** binds the cursor to the listing and to the filter and sort it was
//!   issued for, as the core resolved them: RFC 9865 §2 has the client repeat the same
//!   query, and a cursor replayed against another query is refused instead of seeking a
//!   position that means something else there.
//! * The **tag** is HMAC-SHA-256 (truncated to 128 bits) under a key derived from the
//!   caller's bearer token and tenant. A changed bit, a cursor made up by a client, or one
//!   issued to another token is `invalidCursor` (400). A cursor can never reach another
//!   tenant's rows in any case: the tenant and the filter come from the authenticated
//!   request, and the position only says where to start inside them. Revoking the token
//!   ends its cursors, as RFC 9865 §6.2 asks after a change of permissions.
//! * **issued at** makes a cursor expire after `cursorTimeout` (`expiredCursor`, 400).
//!
//! Pure: no I/O. `Cursors` is built per request with the key, the query and the time.

#[cfg(test)]
mod tests;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use idsync_storage::keyset::{Position, Seek, SortValue};
use sha2::{Digest, Sha256};
use tonic::metadata::MetadataMap;

use crate::error::{CoreError, CoreResult, ScimType};

const VERSION: u8 = 1;
const TAG_LEN: usize = 16;
/// Longest cursor read: a position with a long sort value stays well inside it.
const MAX_CURSOR_LEN: usize = 8 * 1024;
/// How far a cursor's issue time may lie in the future (clocks of replicas differ).
const CLOCK_SKEW_S: u64 = 300;

/// Which list a cursor pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Listing {
    /// `GET /Users`.
    Users = 1,
    /// `GET /Groups`.
    Groups = 2,
}

/// The MAC key of one caller's cursors.
#[derive(Clone)]
pub(crate) struct CursorKey([u8; 32]);

impl CursorKey {
    /// The key of cursors issued to the bearer token `secret` in `tenant_id`.
    pub(crate) fn derive(secret: &str, tenant_id: &str) -> Self {
        let digest = Sha256::new()
            .chain_update(b"idsync paging cursor v1\0")
            .chain_update(Sha256::digest(secret.as_bytes()))
            .chain_update(tenant_id.as_bytes())
            .finalize();
        CursorKey(digest.into())
    }

    /// The key of the call's bearer token (the call is already authenticated, so the
    /// header is there; an empty secret only yields cursors that nothing else accepts).
    pub(crate) fn of_call(metadata: &MetadataMap, tenant_id: &str) -> Self {
        let secret = metadata
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(crate::auth::bearer_secret)
            .unwrap_or_default();
        Self::derive(secret, tenant_id)
    }

    fn tag(&self, message: &[u8]) -> [u8; TAG_LEN] {
        // HMAC (RFC 2104) over SHA-256 with a 32-byte key.
        let mut inner_pad = [0x36u8; 64];
        let mut outer_pad = [0x5cu8; 64];
        for (i, b) in self.0.iter().enumerate() {
            inner_pad[i] ^= b;
            outer_pad[i] ^= b;
        }
        let inner = Sha256::new().chain_update(inner_pad).chain_update(message).finalize();
        let outer = Sha256::new().chain_update(outer_pad).chain_update(inner).finalize();
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(&outer[..TAG_LEN]);
        tag
    }
}

/// Reads and issues the cursors of one list request.
pub(crate) struct Cursors {
    key: CursorKey,
    listing: Listing,
    fingerprint: [u8; 8],
    now_s: u64,
    timeout_s: u64,
}

impl Cursors {
    /// The cursors of `listing` under `key` for the query `resolved` describes (the
    /// filter and sort as the core resolved them), at `now_s`, valid for `timeout_s`.
    pub(crate) fn new(key: CursorKey, listing: Listing, resolved: &str, now_s: u64, timeout_s: u64) -> Self {
        let digest = Sha256::new()
            .chain_update([listing as u8])
            .chain_update(resolved.as_bytes())
            .finalize();
        let mut fingerprint = [0u8; 8];
        fingerprint.copy_from_slice(&digest[..8]);
        Cursors {
            key,
            listing,
            fingerprint,
            now_s,
            timeout_s,
        }
    }

    /// The page a `cursor` parameter asks for: empty is the first page (RFC 9865 §2).
    pub(crate) fn read(&self, cursor: &str) -> CoreResult<Seek> {
        let cursor = cursor.trim();
        if cursor.is_empty() {
            return Ok(Seek::First);
        }
        let sealed = (cursor.len() <= MAX_CURSOR_LEN)
            .then(|| URL_SAFE_NO_PAD.decode(cursor).ok())
            .flatten()
            .ok_or_else(invalid)?;
        if sealed.len() < TAG_LEN {
            return Err(invalid());
        }
        let (body, tag) = sealed.split_at(sealed.len() - TAG_LEN);
        if !same(&self.key.tag(body), tag) {
            return Err(invalid());
        }
        let mut r = Reader(body);
        let (version, flags) = (r.byte()?, r.byte()?);
        let issued_s = r.u64()?;
        let fingerprint = r.take(8)?;
        if version != VERSION || flags & 0x7f != self.listing as u8 || fingerprint != self.fingerprint {
            return Err(invalid());
        }
        if issued_s > self.now_s.saturating_add(CLOCK_SKEW_S) {
            return Err(invalid());
        }
        if self.now_s.saturating_sub(issued_s) > self.timeout_s {
            return Err(CoreError::invalid(
                ScimType::ExpiredCursor,
                format!(
                    "the cursor has expired: a cursor is valid for {} s; start again with an empty cursor",
                    self.timeout_s
                ),
            ));
        }
        let position = r.position()?;
        if !r.0.is_empty() {
            return Err(invalid());
        }
        Ok(if flags & 0x80 != 0 {
            Seek::Before(position)
        } else {
            Seek::After(position)
        })
    }

    /// The cursor of the page after `position` (`backwards`: before it).
    pub(crate) fn issue(&self, position: &Position, backwards: bool) -> String {
        let mut body = Vec::with_capacity(64 + position.id.len());
        body.push(VERSION);
        body.push(self.listing as u8 | if backwards { 0x80 } else { 0 });
        body.extend_from_slice(&self.now_s.to_be_bytes());
        body.extend_from_slice(&self.fingerprint);
        write_position(&mut body, position);
        let tag = self.key.tag(&body);
        body.extend_from_slice(&tag);
        URL_SAFE_NO_PAD.encode(body)
    }
}

/// One answer for every cursor that cannot be used, whatever the reason (RFC 9865 §6.2:
/// identical errors disclose nothing).
fn invalid() -> CoreError {
    CoreError::invalid(
        ScimType::InvalidCursor,
        "the cursor is not valid for this query: send an empty cursor for the first page, then nextCursor or previousCursor of the previous answer with the same filter and sort",
    )
}

/// Compares tags in time independent of where they differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

const SORT_NONE: u8 = 0;
const SORT_NULL: u8 = 1;
const SORT_TEXT: u8 = 2;
const SORT_FALSE: u8 = 3;
const SORT_TRUE: u8 = 4;
const SORT_TIMESTAMP: u8 = 5;

fn write_text(body: &mut Vec<u8>, text: &str) {
    let len = u32::try_from(text.len()).unwrap_or(u32::MAX);
    body.extend_from_slice(&len.to_be_bytes());
    body.extend_from_slice(&text.as_bytes()[..len as usize]);
}

fn write_position(body: &mut Vec<u8>, position: &Position) {
    body.extend_from_slice(&position.created_us.to_be_bytes());
    write_text(body, &position.id);
    match &position.sort {
        None => body.push(SORT_NONE),
        Some(SortValue::Null) => body.push(SORT_NULL),
        Some(SortValue::Text(text)) => {
            body.push(SORT_TEXT);
            write_text(body, text);
        }
        Some(SortValue::Bool(false)) => body.push(SORT_FALSE),
        Some(SortValue::Bool(true)) => body.push(SORT_TRUE),
        Some(SortValue::Timestamp(t)) => {
            body.push(SORT_TIMESTAMP);
            body.extend_from_slice(&t.to_be_bytes());
        }
    }
}

/// Reads a sealed body; any shortfall is an invalid cursor.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> CoreResult<&'a [u8]> {
        if self.0.len() < n {
            return Err(invalid());
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn byte(&mut self) -> CoreResult<u8> {
        Ok(self.take(1)?[0])
    }

    fn u64(&mut self) -> CoreResult<u64> {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(self.take(8)?);
        Ok(u64::from_be_bytes(bytes))
    }

    fn i64(&mut self) -> CoreResult<i64> {
        Ok(self.u64()? as i64)
    }

    fn text(&mut self) -> CoreResult<String> {
        let mut len = [0u8; 4];
        len.copy_from_slice(self.take(4)?);
        let bytes = self.take(u32::from_be_bytes(len) as usize)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| invalid())
    }

    fn position(&mut self) -> CoreResult<Position> {
        let created_us = self.i64()?;
        let id = self.text()?;
        let sort = match self.byte()? {
            SORT_NONE => None,
            SORT_NULL => Some(SortValue::Null),
            SORT_TEXT => Some(SortValue::Text(self.text()?)),
            SORT_FALSE => Some(SortValue::Bool(false)),
            SORT_TRUE => Some(SortValue::Bool(true)),
            SORT_TIMESTAMP => Some(SortValue::Timestamp(self.i64()?)),
            _ => return Err(invalid()),
        };
        Ok(Position { sort, created_us, id })
    }
}

/// RFC 9865 lets a client choose a paging method per request but defines no meaning
/// for both at once: a `startIndex` past the first result together with a `cursor` is
/// refused rather than guessed at (400 `invalidValue`).
pub(crate) fn refuse_mixed_paging(start_index: u32) -> CoreResult<()> {
    if start_index > 1 {
        return Err(CoreError::invalid_value(
            "startIndex and cursor cannot be combined: page by index or by cursor",
        ));
    }
    Ok(())
}

impl crate::Core {
    /// The cursors of one list request of `listing` whose resolved filter and sort
    /// `resolved` describes, valid for the configured `cursor_timeout`.
    pub(crate) fn cursors(&self, key: CursorKey, listing: Listing, resolved: &str) -> Cursors {
        let now_s = u64::try_from(crate::clock::now_us() / 1_000_000).unwrap_or(0);
        Cursors::new(key, listing, resolved, now_s, self.settings.cursor_timeout.as_secs())
    }
}
