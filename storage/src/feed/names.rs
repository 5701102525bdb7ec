//! How the change feed and the provisioning log store a list of attribute names: one
//! character per well-known name instead of the name itself. A user's create names a
//! dozen attributes, several of them the enterprise extension's 60-byte URNs; spelled
//! out, comma-separated, the list was 147 bytes in each of its two rows per write, the
//! largest part of what a user costs on disk after its own rows.
//!
//! The packed form starts with [`PACKED`]; then each name is one character of
//! [`CODES`] (its index in [`KNOWN`]), or, for a name not in the table, `(`, its length
//! in bytes, `:` and the name. An empty list is the empty string. Rows written before
//! the packed form (names joined by `,`, which never start with `~`) still read.
//!
//! [`KNOWN`] is part of the stored format: names may be appended, never moved or removed.

/// Marks a packed list.
const PACKED: char = '~';

/// Opens a name spelled out in a packed list.
const SPELLED: char = '(';

/// The names that get one character each, in the order of [`CODES`].
const KNOWN: [&str; 36] = [
    "userName",
    "externalId",
    "displayName",
    "nickName",
    "profileUrl",
    "title",
    "userType",
    "preferredLanguage",
    "locale",
    "timezone",
    "active",
    "password",
    "name.formatted",
    "name.familyName",
    "name.givenName",
    "name.middleName",
    "name.honorificPrefix",
    "name.honorificSuffix",
    "emails",
    "phoneNumbers",
    "ims",
    "photos",
    "addresses",
    "entitlements",
    "roles",
    "x509Certificates",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
    "members",
    "groups",
    "name",
    "parent",
];

/// One character per entry of [`KNOWN`]; room for 62.
const CODES: &[u8; 62] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// `names`, packed.
pub(crate) fn pack_names(names: &[String]) -> String {
    if names.is_empty() {
        return String::new();
    }
    let mut packed = String::with_capacity(1 + names.len());
    packed.push(PACKED);
    for name in names {
        match KNOWN.iter().position(|known| known == name) {
            Some(index) => packed.push(char::from(CODES[index])),
            None => {
                packed.push(SPELLED);
                packed.push_str(&name.len().to_string());
                packed.push(':');
                packed.push_str(name);
            }
        }
    }
    packed
}

/// The names of a stored list, packed or (written before packing) comma-separated. A
/// damaged packed list yields the names read before the damage.
pub(crate) fn unpack_names(stored: &str) -> Vec<String> {
    let Some(mut rest) = stored.strip_prefix(PACKED) else {
        return stored.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect();
    };
    let mut names = Vec::new();
    while let Some(first) = rest.chars().next() {
        rest = &rest[first.len_utf8()..];
        if first == SPELLED {
            let Some((len, after)) = rest.split_once(':') else {
                break;
            };
            let Some(name) = len.parse::<usize>().ok().and_then(|len| after.get(..len)) else {
                break;
            };
            names.push(name.to_owned());
            rest = &after[name.len()..];
            continue;
        }
        let known = u8::try_from(first)
            .ok()
            .and_then(|code| CODES.iter().position(|c| *c == code))
            .and_then(|index| KNOWN.get(index));
        let Some(known) = known else { break };
        names.push((*known).to_owned());
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn known_names_take_one_character_and_others_are_spelled_out_in_order() {
        let list = names(&[
            "userName",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            "a(b):c,d",
            "émails",
            "parent",
        ]);
        let packed = pack_names(&list);
        assert_eq!(packed, "~Ae(8:a(b):c,d(7:émailsj");
        assert_eq!(unpack_names(&packed), list);
        assert_eq!(pack_names(&[]), "");
        assert!(unpack_names("").is_empty());
    }

    #[test]
    fn every_known_name_round_trips_and_has_its_own_code() {
        assert!(KNOWN.len() <= CODES.len());
        let all = names(&KNOWN);
        let packed = pack_names(&all);
        assert_eq!(packed.len(), 1 + KNOWN.len());
        assert_eq!(unpack_names(&packed), all);
        for (i, name) in KNOWN.iter().enumerate() {
            assert!(!KNOWN[..i].contains(name), "{name} twice");
            assert!(!name.starts_with(PACKED));
        }
    }

    #[test]
    fn lists_written_before_packing_still_read() {
        assert_eq!(
            unpack_names("userName,displayName,emails"),
            names(&["userName", "displayName", "emails"])
        );
    }

    #[test]
    fn a_damaged_list_keeps_what_it_could_read() {
        assert_eq!(unpack_names("~AB?C"), names(&["userName", "externalId"]));
        assert_eq!(unpack_names("~A(99:short"), names(&["userName"]));
        assert_eq!(unpack_names("~A(x:y"), names(&["userName"]));
        assert_eq!(unpack_names("~A(3"), names(&["userName"]));
    }
}
