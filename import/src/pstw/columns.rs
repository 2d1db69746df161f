//! The columns of a Public Sector Tech Watch CSV: which ones this importer reads, by what names
//! a release may call them, and which a complete release has.
//!
//! Columns are found by folded name, never by position, so a later release may add, drop,
//! reorder or respell them (`' Status'`, `NUTS 2024`, `Responsible organization`): each kind of
//! change is a name in a table here, not a special case in the reader.

/// The columns this importer reads, by their canonical names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Col {
    Id,
    Name,
    Website,
    Description,
    Extent,
    Country,
    Nuts,
    Organisation,
    OrganisationCategory,
    Cofog1,
    Cofog2,
    Status,
    StartYear,
    EndYear,
    ProcessType,
    ApplicationType,
    PrimaryTechnology,
    SecondaryTechnology,
    Interaction,
    Source,
    AiClass,
    AiSub(u8),
    AiKeywords,
    StoriesLink,
    DateUpdated,
    Benefit(&'static str),
}

/// The benefit columns (`x` flags) and the benefit term each one means. Several columns can mean
/// the same term; the record lists it once.
pub(super) const BENEFIT_COLUMNS: &[(&str, &str)] = &[
    ("improved public service", "quality"),
    ("personalized services", "x-personalisation"),
    ("public (citizen)-centered services", "x-citizen-centred"),
    ("increase quality of psi and services", "quality"),
    (
        "more responsive, efficient, and cost-effective public services",
        "responsiveness",
    ),
    ("new services or channels", "x-new-channels"),
    ("improved administrative efficiency", "efficiency"),
    ("cost-reduction", "cost-reduction"),
    ("responsiveness of government operation", "responsiveness"),
    (
        "improved management of public resources",
        "x-resource-management",
    ),
    (
        "increased quality of processes and systems",
        "effectiveness",
    ),
    (
        "better collaboration and better communication",
        "x-collaboration",
    ),
    (
        "reduced or eliminated the risk of corruption and abuse of the law by public servants",
        "accountability",
    ),
    ("enabled greater fairness, honesty, equality", "inclusion"),
    ("open government capabilities", "openness"),
    (
        "increased transparency of public sector operations",
        "transparency",
    ),
    (
        "increased public participation in government actions and policy making",
        "participation",
    ),
    (
        "improved public control and influence on government actions and policies",
        "trust",
    ),
];

/// Columns of the release this importer was written against that it reads no value from; their
/// presence is expected, so they cause no "unknown column" warning.
pub(super) const KNOWN_UNUSED: &[&str] = &[
    "cross border",
    "cross sector",
    "collaboration type",
    "procurement (eu model contractual ai)",
    "funding source",
    "govtech",
    "company name or govtech id",
    "govtech initiative + id",
    "open components in input",
    "open components in output",
];

/// A header or a term folded for matching: trimmed (non-breaking spaces too), lowercased, inner
/// runs of space collapsed. Underscores count as spaces, as spreadsheet exports sometimes write
/// them in headers.
pub(super) fn fold(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c == '\u{a0}' || c == '_')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The column a folded header names: the names of the June 2025 release, and the plausible
/// variants of a later one (singular and plural, British and American spelling, a shorter name).
pub(super) fn column(folded: &str) -> Option<Col> {
    Some(match folded {
        "pstw id" | "pstw-id" | "pstwid" => Col::Id,
        "name" | "case name" | "title" => Col::Name,
        "website" | "web site" | "url" => Col::Website,
        "description" => Col::Description,
        "geographical extent" => Col::Extent,
        "geographical coverage (country)"
        | "geographical coverage (countries)"
        | "geographical coverage"
        | "country"
        | "countries" => Col::Country,
        "nuts 2021" | "nuts 2024" | "nuts" | "nuts code" => Col::Nuts,
        "responsible organisation"
        | "responsible organization"
        | "organisation"
        | "organization" => Col::Organisation,
        "responsible organisation category" | "responsible organization category" => {
            Col::OrganisationCategory
        }
        "functions of government (cofog level i)" => Col::Cofog1,
        "functions of government (cofog level ii)" => Col::Cofog2,
        "status" => Col::Status,
        "start year" => Col::StartYear,
        "end year" => Col::EndYear,
        "process type" => Col::ProcessType,
        "application type" => Col::ApplicationType,
        "primary technology" => Col::PrimaryTechnology,
        "secondary technology" => Col::SecondaryTechnology,
        "interaction" => Col::Interaction,
        "source" => Col::Source,
        "ai classification (i)" => Col::AiClass,
        "ai classification subdomain (ii) (main)" => Col::AiSub(0),
        "ai classification subdomain (ii) (other i)" => Col::AiSub(1),
        "ai classification subdomain (ii) (other ii)" => Col::AiSub(2),
        "ai classification subdomain (ii) (other iii)" => Col::AiSub(3),
        "ai keywords" => Col::AiKeywords,
        "stories link" => Col::StoriesLink,
        "date updated" | "last updated" | "updated" => Col::DateUpdated,
        other => {
            let (_, term) = BENEFIT_COLUMNS.iter().find(|(name, _)| *name == other)?;
            Col::Benefit(term)
        }
    })
}

/// The columns a complete release has (for the "missing columns" warning).
pub(super) const EXPECTED: &[(&str, Col)] = &[
    ("PSTW ID", Col::Id),
    ("Name", Col::Name),
    ("Website", Col::Website),
    ("Description", Col::Description),
    ("Geographical coverage (country)", Col::Country),
    ("NUTS 2021", Col::Nuts),
    ("Responsible organisation", Col::Organisation),
    ("Functions of Government (COFOG level I)", Col::Cofog1),
    ("Functions of Government (COFOG level II)", Col::Cofog2),
    ("Status", Col::Status),
    ("Start Year", Col::StartYear),
    ("End Year", Col::EndYear),
    ("Process type", Col::ProcessType),
    ("Application type", Col::ApplicationType),
    ("Primary Technology", Col::PrimaryTechnology),
    ("Interaction", Col::Interaction),
    ("Date updated", Col::DateUpdated),
];
