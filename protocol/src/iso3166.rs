//! ISO 3166-1 alpha-2 country codes, and how NUTS writes them.
//!
//! A record's `country` is one of the assigned codes or `EU`, which says the record concerns the
//! whole European Union (a case run by an EU agency, a project across the member states). ISO
//! 3166-1 reserves `EU` for the European Union ("exceptionally reserved", like `UK`), so it can
//! never be assigned to a country and is read the same way everywhere; no NUTS region lies under
//! it. Where a real country is meant (a node's own region, publiccode.yml's audiences), only the
//! assigned codes are accepted: [`is_country_code`] says which.

/// The 249 officially assigned ISO 3166-1 alpha-2 codes, sorted for binary search.
const ASSIGNED: &[&str] = &[
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// Whether `code` is an assigned ISO 3166-1 alpha-2 code.
pub fn is_country_code(code: &str) -> bool {
    ASSIGNED.binary_search(&code).is_ok()
}

/// The code a record's `country` takes when it concerns the whole European Union: reserved by
/// ISO 3166-1 for it, and never assigned to a country.
pub const EUROPEAN_UNION: &str = "EU";

/// Whether `code` may be a record's `country`: an assigned ISO 3166-1 alpha-2 code, or
/// [`EUROPEAN_UNION`] for a record that concerns the whole Union.
pub fn is_record_country(code: &str) -> bool {
    code == EUROPEAN_UNION || is_country_code(code)
}

/// The two letters NUTS codes start with in `country`: the country code, except Greece (`EL`) and
/// the United Kingdom (`UK`), which Eurostat writes differently from ISO.
pub fn nuts_prefix(country: &str) -> &str {
    match country {
        "GR" => "EL",
        "GB" => "UK",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_is_sorted_and_complete() {
        assert!(ASSIGNED.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(ASSIGNED.len(), 249);
        assert!(is_country_code("IT") && is_country_code("ES") && is_country_code("FI"));
        assert!(!is_country_code("EL") && !is_country_code("UK") && !is_country_code("it"));
        assert!(!is_country_code("EU"), "EU is reserved, not assigned");
    }

    #[test]
    fn a_record_may_say_eu_wide_and_nothing_else_unassigned() {
        assert!(is_record_country("EU"));
        assert!(is_record_country("IT") && is_record_country("FI"));
        for refused in ["eu", "EUR", "E", "", "UK", "EL", "XK", "ZZ", "EU "] {
            assert!(!is_record_country(refused), "{refused}");
        }
    }
}
