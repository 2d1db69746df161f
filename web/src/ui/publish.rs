//! Signing in and out, the publish form (new records and new versions), and retraction.
//!
//! The form works without JavaScript: adding or removing a language is a submit button that
//! re-renders the form with one row more or less. Validation runs the protocol's own rules, so
//! the messages next to each field are the API's, tied to their fields with `aria-describedby`.

use crate::backend::Role;
use std::collections::{BTreeMap, HashMap};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Extension, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::Response;
use mosaico_protocol::draft::{Draft, DraftError};
use mosaico_protocol::validate::validate;
use mosaico_protocol::vocab::{
    Benefit, DevelopmentStatus, Interaction, Kind, MaintenanceType, SoftwareType, Status, Theme,
};
use mosaico_protocol::{Body, FieldError, Header, Limits, RecordError};
use serde_json::{Map, Value, json};

use super::html::Html;
use super::i18n::Tr;
use super::layout::{Section, error_page, page, page_with_status};
use super::record::{details, load};
use super::session::{
    CSRF_COOKIE, SESSION_COOKIE, SESSION_IDLE, Sessions, cookie, random_token, same_secret,
    set_cookie,
};
use super::{Ctx, redirect};
use crate::backend::{Backend, PublishError};

type FormPairs = Result<Form<Vec<(String, String)>>, FormRejection>;

fn field_value<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

fn csrf_refused(ctx: &Ctx) -> Response {
    error_page(
        ctx,
        StatusCode::FORBIDDEN,
        ctx.tr.t("csrf.title"),
        ctx.tr.t("csrf.text"),
    )
}

/// The checks every signed-in form post makes: a session (otherwise off to sign in), a readable
/// form, and the session's CSRF token in it. Gives the session's role and the form's fields.
// The refusal is the page the caller returns as is, once per request: boxing it buys nothing.
#[allow(clippy::result_large_err)]
fn signed_in_post(ctx: &Ctx, form: FormPairs) -> Result<(Role, Vec<(String, String)>), Response> {
    let Some((_, session, role)) = &ctx.session else {
        return Err(redirect("/signin", &[]));
    };
    let Ok(Form(pairs)) = form else {
        return Err(bad_form(ctx));
    };
    if !same_secret(
        &session.csrf,
        field_value(&pairs, "csrf").unwrap_or_default(),
    ) {
        return Err(csrf_refused(ctx));
    }
    Ok((*role, pairs))
}

fn bad_form(ctx: &Ctx) -> Response {
    error_page(
        ctx,
        StatusCode::BAD_REQUEST,
        ctx.tr.t("form.bad.title"),
        ctx.tr.t("form.bad.text"),
    )
}

// ---------------------------------------------------------------------------------------------
// Sign in and out.

fn signin_page(ctx: &Ctx, csrf: &str, error: Option<&str>, status: StatusCode) -> Response {
    let tr = &ctx.tr;
    let mut h = Html::new();
    let heading = tr.t("signin.title");
    h.elem("h1", &[], heading);
    h.elem("p", &[], tr.t("signin.lead"));
    h.raw("<form method=\"post\" action=\"/signin\" class=\"form\" novalidate>");
    h.raw("<input type=\"hidden\" name=\"csrf\"")
        .attr("value", csrf)
        .raw(">");
    let described = if error.is_some() {
        "token-hint token-error"
    } else {
        "token-hint"
    };
    h.raw("<div class=\"field\">");
    h.elem("label", &[("for", "token")], tr.t("signin.token"));
    h.elem(
        "p",
        &[("id", "token-hint"), ("class", "hint")],
        tr.t("signin.hint"),
    );
    if let Some(error) = error {
        h.raw("<p id=\"token-error\" class=\"error\"><strong>")
            .text(tr.t("form.error_prefix"))
            .raw("</strong> ")
            .text(error)
            .raw("</p>");
    }
    h.raw("<input type=\"password\" id=\"token\" name=\"token\" autocomplete=\"current-password\" required")
        .attr("aria-describedby", described);
    if error.is_some() {
        h.raw(" aria-invalid=\"true\"");
    }
    h.raw("></div><button type=\"submit\">")
        .text(tr.t("signin.button"))
        .raw("</button></form>");
    let mut response = page_with_status(ctx, status, Section::Publish, heading, h);
    let cookie = set_cookie(CSRF_COOKIE, csrf, None, ctx.secure);
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// The sign-in form.
pub(crate) async fn signin_form<B: Backend>(
    State(backend): State<B>,
    Extension(sessions): Extension<Sessions>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let ctx = Ctx::new(&backend, &headers, &uri, &sessions);
    if ctx.session.is_some() {
        return redirect("/publish", &[]);
    }
    let csrf = cookie(&headers, CSRF_COOKIE)
        .filter(|c| c.len() == 64)
        .map(str::to_owned)
        .unwrap_or_else(random_token);
    signin_page(&ctx, &csrf, None, StatusCode::OK)
}

/// Signs in with a publisher token.
pub(crate) async fn signin<B: Backend>(
    State(backend): State<B>,
    Extension(sessions): Extension<Sessions>,
    headers: HeaderMap,
    uri: Uri,
    form: FormPairs,
) -> Response {
    let ctx = Ctx::new(&backend, &headers, &uri, &sessions);
    let Ok(Form(pairs)) = form else {
        return bad_form(&ctx);
    };
    let expected = cookie(&headers, CSRF_COOKIE).unwrap_or_default();
    let given = field_value(&pairs, "csrf").unwrap_or_default();
    if expected.is_empty() || !same_secret(expected, given) {
        return csrf_refused(&ctx);
    }
    let token = field_value(&pairs, "token").unwrap_or_default().trim();
    if token.is_empty() || backend.authorize(token).is_none() {
        let message = if token.is_empty() {
            ctx.tr.t("signin.empty")
        } else {
            ctx.tr.t("signin.unknown")
        };
        return signin_page(&ctx, expected, Some(message), StatusCode::UNAUTHORIZED);
    }
    let id = sessions.create(token);
    if let Some((old, _, _)) = &ctx.session {
        sessions.remove(old);
    }
    redirect(
        "/publish",
        &[set_cookie(
            SESSION_COOKIE,
            &id,
            Some(SESSION_IDLE),
            ctx.secure,
        )],
    )
}

/// Signs out.
pub(crate) async fn signout<B: Backend>(
    State(backend): State<B>,
    Extension(sessions): Extension<Sessions>,
    headers: HeaderMap,
    uri: Uri,
    form: FormPairs,
) -> Response {
    let ctx = Ctx::new(&backend, &headers, &uri, &sessions);
    let Ok(Form(pairs)) = form else {
        return bad_form(&ctx);
    };
    let Some((id, session, _)) = &ctx.session else {
        return redirect("/", &[]);
    };
    if !same_secret(
        &session.csrf,
        field_value(&pairs, "csrf").unwrap_or_default(),
    ) {
        return csrf_refused(&ctx);
    }
    sessions.remove(id);
    redirect(
        "/",
        &[set_cookie(
            SESSION_COOKIE,
            "",
            Some(std::time::Duration::ZERO),
            ctx.secure,
        )],
    )
}

// ---------------------------------------------------------------------------------------------
// The form's model.

/// One language's texts.
#[derive(Debug, Clone, Default)]
struct LangRow {
    lang: String,
    title: String,
    summary: String,
    description: String,
}

/// Everything the form holds, as the text the user typed.
#[derive(Debug, Clone, Default)]
struct RecordForm {
    kind: String,
    slug: String,
    /// The version an edit will create; empty for a new record.
    version: String,
    rows: Vec<LangRow>,
    organisation: String,
    country: String,
    nuts: String,
    themes: Vec<String>,
    technologies: String,
    status: String,
    licence: String,
    tags: String,
    links: String,
    contacts: String,
    cofog: String,
    process_types: String,
    application_types: String,
    interaction: Vec<String>,
    benefits: Vec<String>,
    start_year: String,
    end_year: String,
    url: String,
    landing_url: String,
    development_status: String,
    software_type: String,
    platforms: String,
    categories: String,
    maintenance: String,
    used_by: String,
}

fn split_list(text: &str) -> Vec<String> {
    text.split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn non_empty(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

impl RecordForm {
    fn new(kind: &Kind, lang: &str) -> Self {
        RecordForm {
            kind: kind.as_str().to_owned(),
            rows: vec![LangRow {
                lang: lang.to_owned(),
                ..LangRow::default()
            }],
            ..RecordForm::default()
        }
    }

    fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut form = RecordForm::default();
        let mut rows: BTreeMap<usize, LangRow> = BTreeMap::new();
        for (name, value) in pairs {
            if let Some((field, index)) = name.rsplit_once('-')
                && let Ok(index) = index.parse::<usize>()
                && index < Limits::MAX_LANGUAGES
                && matches!(field, "lang" | "title" | "summary" | "description")
            {
                let row = rows.entry(index).or_default();
                let slot = match field {
                    "lang" => &mut row.lang,
                    "title" => &mut row.title,
                    "summary" => &mut row.summary,
                    _ => &mut row.description,
                };
                *slot = value.clone();
                continue;
            }
            let slot = match name.as_str() {
                "kind" => &mut form.kind,
                "slug" => &mut form.slug,
                "version" => &mut form.version,
                "organisation" => &mut form.organisation,
                "country" => &mut form.country,
                "nuts" => &mut form.nuts,
                "technologies" => &mut form.technologies,
                "status" => &mut form.status,
                "licence" => &mut form.licence,
                "tags" => &mut form.tags,
                "links" => &mut form.links,
                "contacts" => &mut form.contacts,
                "cofog" => &mut form.cofog,
                "process_types" => &mut form.process_types,
                "application_types" => &mut form.application_types,
                "start_year" => &mut form.start_year,
                "end_year" => &mut form.end_year,
                "url" => &mut form.url,
                "landing_url" => &mut form.landing_url,
                "development_status" => &mut form.development_status,
                "software_type" => &mut form.software_type,
                "platforms" => &mut form.platforms,
                "categories" => &mut form.categories,
                "maintenance" => &mut form.maintenance,
                "used_by" => &mut form.used_by,
                "themes" => {
                    form.themes.push(value.clone());
                    continue;
                }
                "interaction" => {
                    form.interaction.push(value.clone());
                    continue;
                }
                "benefits" => {
                    form.benefits.push(value.clone());
                    continue;
                }
                _ => continue,
            };
            *slot = value.clone();
        }
        form.rows = rows.into_values().collect();
        if form.rows.is_empty() {
            form.rows.push(LangRow::default());
        }
        form
    }

    fn from_record(header: &Header, body: &Body, next_version: u64) -> Self {
        let mut langs: Vec<&String> = body
            .title
            .keys()
            .chain(body.summary.keys())
            .chain(body.description.keys())
            .collect();
        langs.sort();
        langs.dedup();
        let text = |map: &mosaico_protocol::LangMap, lang: &str| {
            map.get(lang).cloned().unwrap_or_default()
        };
        let cs = body.case_study.clone().unwrap_or_default();
        let s = body.solution.clone().unwrap_or_default();
        let opt = |v: Option<&str>| v.unwrap_or_default().to_owned();
        RecordForm {
            kind: header.kind.as_str().to_owned(),
            slug: header.slug.clone(),
            version: next_version.to_string(),
            rows: langs
                .into_iter()
                .map(|lang| LangRow {
                    lang: lang.clone(),
                    title: text(&body.title, lang),
                    summary: text(&body.summary, lang),
                    description: text(&body.description, lang),
                })
                .collect(),
            organisation: opt(body.organisation.as_deref()),
            country: opt(body.country.as_deref()),
            nuts: opt(body.nuts.as_deref()),
            themes: body.themes.iter().map(|t| t.as_str().to_owned()).collect(),
            technologies: body.technologies.join(", "),
            status: body
                .status
                .as_ref()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            licence: opt(body.licence.as_deref()),
            tags: body.tags.join(", "),
            links: body
                .links
                .iter()
                .map(|l| match &l.title {
                    Some(title) => format!("{} {title}", l.url),
                    None => l.url.clone(),
                })
                .collect::<Vec<_>>()
                .join("\n"),
            contacts: body
                .contacts
                .iter()
                .map(|c| {
                    format!(
                        "{} | {} | {} | {}",
                        c.name,
                        opt(c.email.as_deref()),
                        opt(c.role.as_deref()),
                        opt(c.organisation.as_deref())
                    )
                    .trim_end_matches([' ', '|'])
                    .to_owned()
                })
                .collect::<Vec<_>>()
                .join("\n"),
            cofog: cs.cofog.join(", "),
            process_types: cs.process_types.join(", "),
            application_types: cs.application_types.join(", "),
            interaction: cs
                .interaction
                .iter()
                .map(|i| i.as_str().to_owned())
                .collect(),
            benefits: cs.benefits.iter().map(|b| b.as_str().to_owned()).collect(),
            start_year: cs.start_year.map(|y| y.to_string()).unwrap_or_default(),
            end_year: cs.end_year.map(|y| y.to_string()).unwrap_or_default(),
            url: opt(s.url.as_deref()),
            landing_url: opt(s.landing_url.as_deref()),
            development_status: s
                .development_status
                .map(|v| v.as_str().to_owned())
                .unwrap_or_default(),
            software_type: s
                .software_type
                .map(|v| v.as_str().to_owned())
                .unwrap_or_default(),
            platforms: s.platforms.join(", "),
            categories: s.categories.join(", "),
            maintenance: s
                .maintenance
                .map(|v| v.as_str().to_owned())
                .unwrap_or_default(),
            used_by: s.used_by.join(", "),
        }
    }

    /// The draft's JSON, plus the errors found while reading the text (a year that is no number).
    fn to_value(&self) -> (Value, Vec<FieldError>) {
        let mut errors = Vec::new();
        let mut record = Map::new();
        record.insert("kind".into(), json!(self.kind));
        record.insert("slug".into(), json!(self.slug.trim()));
        if let Ok(version) = self.version.trim().parse::<u64>() {
            record.insert("version".into(), json!(version));
        }
        for (name, pick) in [
            (
                "title",
                (|r: &LangRow| r.title.clone()) as fn(&LangRow) -> String,
            ),
            ("summary", |r: &LangRow| r.summary.clone()),
            ("description", |r: &LangRow| r.description.clone()),
        ] {
            let mut map = Map::new();
            for row in &self.rows {
                let text = pick(row).replace("\r\n", "\n");
                if !row.lang.trim().is_empty() && !text.trim().is_empty() {
                    map.insert(row.lang.trim().to_owned(), json!(text.trim()));
                }
            }
            if !map.is_empty() {
                record.insert(name.into(), Value::Object(map));
            }
        }
        let mut put = |name: &str, value: Option<String>| {
            if let Some(value) = value {
                record.insert(name.into(), json!(value));
            }
        };
        put("organisation", non_empty(&self.organisation));
        put(
            "country",
            non_empty(&self.country).map(|c| c.to_ascii_uppercase()),
        );
        put(
            "nuts",
            non_empty(&self.nuts).map(|c| c.to_ascii_uppercase()),
        );
        put("status", non_empty(&self.status));
        put("licence", non_empty(&self.licence));
        let mut put_list = |name: &str, items: Vec<String>| {
            if !items.is_empty() {
                record.insert(name.into(), json!(items));
            }
        };
        put_list("themes", self.themes.clone());
        put_list("technologies", split_list(&self.technologies));
        put_list("tags", split_list(&self.tags));
        let links: Vec<Value> = self
            .links
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|line| match line.split_once(char::is_whitespace) {
                Some((url, title)) => json!({"url": url, "title": title.trim()}),
                None => json!({"url": line}),
            })
            .collect();
        if !links.is_empty() {
            record.insert("links".into(), Value::Array(links));
        }
        let contacts: Vec<Value> = self
            .contacts
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(|line| {
                let parts: Vec<&str> = line.split('|').map(str::trim).collect();
                let mut contact = Map::new();
                contact.insert("name".into(), json!(parts[0]));
                for (i, name) in [(1, "email"), (2, "role"), (3, "organisation")] {
                    if let Some(value) = parts.get(i).filter(|v| !v.is_empty()) {
                        contact.insert(name.into(), json!(value));
                    }
                }
                Value::Object(contact)
            })
            .collect();
        if !contacts.is_empty() {
            record.insert("contacts".into(), Value::Array(contacts));
        }
        let mut year = |field: &str, text: &str| -> Option<Value> {
            let text = text.trim();
            if text.is_empty() {
                return None;
            }
            match text.parse::<u16>() {
                Ok(year) => Some(json!(year)),
                Err(_) => {
                    errors.push(FieldError::new(
                        format!("case_study.{field}"),
                        "wrong_type",
                        "must be a year, such as 2024",
                    ));
                    None
                }
            }
        };
        if self.kind == Kind::CaseStudy.as_str() {
            let mut cs = Map::new();
            for (name, items) in [
                ("cofog", split_list(&self.cofog)),
                ("process_types", split_list(&self.process_types)),
                ("application_types", split_list(&self.application_types)),
                ("interaction", self.interaction.clone()),
                ("benefits", self.benefits.clone()),
            ] {
                if !items.is_empty() {
                    cs.insert(name.into(), json!(items));
                }
            }
            if let Some(y) = year("start_year", &self.start_year) {
                cs.insert("start_year".into(), y);
            }
            if let Some(y) = year("end_year", &self.end_year) {
                cs.insert("end_year".into(), y);
            }
            if !cs.is_empty() {
                record.insert("case_study".into(), Value::Object(cs));
            }
        }
        if self.kind == Kind::Solution.as_str() {
            let mut s = Map::new();
            for (name, value) in [
                ("url", &self.url),
                ("landing_url", &self.landing_url),
                ("development_status", &self.development_status),
                ("software_type", &self.software_type),
                ("maintenance", &self.maintenance),
            ] {
                if let Some(value) = non_empty(value) {
                    s.insert(name.into(), json!(value));
                }
            }
            for (name, items) in [
                ("platforms", split_list(&self.platforms)),
                ("categories", split_list(&self.categories)),
                ("used_by", split_list(&self.used_by)),
            ] {
                if !items.is_empty() {
                    s.insert(name.into(), json!(items));
                }
            }
            if !s.is_empty() {
                record.insert("solution".into(), Value::Object(s));
            }
        }
        (Value::Object(record), errors)
    }

    /// The id of the form control an error's field path belongs to.
    fn control_for(&self, field: &str) -> Option<String> {
        let (head, rest) = match field.find(['.', '[']) {
            Some(at) => (&field[..at], &field[at..]),
            None => (field, ""),
        };
        match head {
            "title" | "summary" | "description" => {
                let lang = rest.strip_prefix('.').unwrap_or_default();
                let row = self
                    .rows
                    .iter()
                    .position(|r| r.lang.trim() == lang)
                    .unwrap_or(0);
                if rest.is_empty() || self.rows.iter().any(|r| r.lang.trim() == lang) {
                    Some(format!("{head}-{row}"))
                } else {
                    Some(format!("lang-{row}"))
                }
            }
            "kind" | "slug" | "organisation" | "country" | "nuts" | "themes" | "technologies"
            | "status" | "licence" | "tags" | "links" | "contacts" => Some(head.to_owned()),
            "case_study" | "solution" => {
                let name = rest
                    .trim_start_matches('.')
                    .split(['.', '['])
                    .next()
                    .unwrap_or_default();
                (!name.is_empty()).then(|| name.to_owned())
            }
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Rendering the form.

/// Error messages per control id, and those that belong to no control.
struct Errors<'a> {
    by_control: HashMap<String, Vec<&'a FieldError>>,
    general: Vec<&'a FieldError>,
}

impl<'a> Errors<'a> {
    fn sort(form: &RecordForm, errors: &'a [FieldError]) -> Self {
        let mut sorted = Errors {
            by_control: HashMap::new(),
            general: Vec::new(),
        };
        for error in errors {
            match form.control_for(&error.field) {
                Some(control) => sorted.by_control.entry(control).or_default().push(error),
                None => sorted.general.push(error),
            }
        }
        sorted
    }
}

fn error_text(h: &mut Html, tr: &Tr, error: &FieldError) {
    // The code in the reader's language, then the API's own message, which is in English.
    h.elem("strong", &[], &tr.term("code", &error.code));
    h.raw(" ").elem(
        "span",
        &[("lang", "en")],
        &format!("{}: {}", error.field, error.message),
    );
}

struct Control<'a> {
    id: String,
    name: String,
    label: &'a str,
    hint: Option<&'a str>,
    required: bool,
}

impl<'a> Control<'a> {
    fn new(id: impl Into<String>, label: &'a str) -> Self {
        let id = id.into();
        Control {
            name: id.clone(),
            id,
            label,
            hint: None,
            required: false,
        }
    }
    fn hint(mut self, hint: &'a str) -> Self {
        self.hint = Some(hint);
        self
    }
    fn required(mut self) -> Self {
        self.required = true;
        self
    }
}

/// The label, hint and errors of a control; returns the `aria-describedby` value.
fn control_head(h: &mut Html, tr: &Tr, c: &Control<'_>, errors: &Errors<'_>) -> (String, bool) {
    h.open("label", &[("for", &c.id)]).text(c.label);
    if c.required {
        h.raw(" <span class=\"req\">")
            .text(tr.t("form.required"))
            .raw("</span>");
    }
    h.raw("</label>");
    let mut described = Vec::new();
    if let Some(hint) = c.hint {
        let hint_id = format!("{}-hint", c.id);
        h.elem("p", &[("id", &hint_id), ("class", "hint")], hint);
        described.push(hint_id);
    }
    let has_errors = error_list(h, tr, &c.id, errors);
    if has_errors {
        described.push(format!("{}-error", c.id));
    }
    (described.join(" "), has_errors)
}

fn error_list(h: &mut Html, tr: &Tr, id: &str, errors: &Errors<'_>) -> bool {
    let Some(list) = errors.by_control.get(id) else {
        return false;
    };
    h.open("div", &[("id", &format!("{id}-error")), ("class", "error")]);
    for error in list {
        h.raw("<p>");
        error_text(h, tr, error);
        h.raw("</p>");
    }
    h.raw("</div>");
    true
}

fn control_attrs(h: &mut Html, c: &Control<'_>, described: &str, invalid: bool) {
    h.attr("id", &c.id).attr("name", &c.name);
    if !described.is_empty() {
        h.attr("aria-describedby", described);
    }
    if invalid {
        h.raw(" aria-invalid=\"true\"");
    }
    if c.required {
        h.raw(" aria-required=\"true\"");
    }
}

fn text_input(
    h: &mut Html,
    tr: &Tr,
    c: Control<'_>,
    value: &str,
    errors: &Errors<'_>,
    autofocus: bool,
) {
    h.raw("<div class=\"field\">");
    let (described, invalid) = control_head(h, tr, &c, errors);
    h.raw("<input type=\"text\"");
    control_attrs(h, &c, &described, invalid);
    h.attr("value", value);
    if autofocus {
        h.raw(" autofocus");
    }
    h.raw("></div>");
}

fn textarea(
    h: &mut Html,
    tr: &Tr,
    c: Control<'_>,
    value: &str,
    rows: &'static str,
    errors: &Errors<'_>,
) {
    h.raw("<div class=\"field\">");
    let (described, invalid) = control_head(h, tr, &c, errors);
    h.raw("<textarea rows=\"").raw(rows).raw("\"");
    control_attrs(h, &c, &described, invalid);
    h.raw(">").text(value).raw("</textarea></div>");
}

fn select(
    h: &mut Html,
    tr: &Tr,
    c: Control<'_>,
    value: &str,
    options: &[(String, String)],
    errors: &Errors<'_>,
) {
    h.raw("<div class=\"field\">");
    let (described, invalid) = control_head(h, tr, &c, errors);
    h.raw("<select");
    control_attrs(h, &c, &described, invalid);
    h.raw(">");
    h.elem("option", &[("value", "")], tr.t("form.not_set"));
    for (option, label) in options {
        let mut attrs = vec![("value", option.as_str())];
        if option == value {
            attrs.push(("selected", "selected"));
        }
        h.elem("option", &attrs, label);
    }
    h.raw("</select></div>");
}

fn checkboxes(
    h: &mut Html,
    tr: &Tr,
    name: &'static str,
    legend: &str,
    chosen: &[String],
    options: &[(String, String)],
    errors: &Errors<'_>,
) {
    let error_id = format!("{name}-error");
    let mut attrs = vec![("class", "checks"), ("id", name)];
    if errors.by_control.contains_key(name) {
        attrs.push(("aria-describedby", error_id.as_str()));
    }
    h.open("fieldset", &attrs);
    h.elem("legend", &[], legend);
    error_list(h, tr, name, errors);
    for (i, (value, label)) in options.iter().enumerate() {
        let id = format!("{name}-{i}");
        h.raw("<div class=\"check\"><input type=\"checkbox\"")
            .attr("id", &id)
            .attr("name", name)
            .attr("value", value);
        if chosen.contains(value) {
            h.raw(" checked");
        }
        h.raw(">")
            .elem("label", &[("for", &id)], label)
            .raw("</div>");
    }
    h.raw("</fieldset>");
}

fn options<T>(
    known: &[T],
    label: impl Fn(&T) -> String,
    value: impl Fn(&T) -> String,
) -> Vec<(String, String)> {
    known
        .iter()
        .map(|item| (value(item), label(item)))
        .collect()
}

#[allow(clippy::too_many_lines)]
fn render_form(
    h: &mut Html,
    ctx: &Ctx,
    form: &RecordForm,
    errors: &[FieldError],
    focus_row: Option<usize>,
) {
    let tr = &ctx.tr;
    let errors = Errors::sort(form, errors);
    if !errors.by_control.is_empty() || !errors.general.is_empty() {
        h.raw("<div class=\"error-summary\" role=\"alert\" aria-labelledby=\"h-errors\">");
        h.elem("h2", &[("id", "h-errors")], tr.t("form.problems"));
        h.raw("<ul>");
        let mut listed: Vec<(&String, &Vec<&FieldError>)> = errors.by_control.iter().collect();
        listed.sort_by(|a, b| a.0.cmp(b.0));
        for (control, list) in listed {
            for error in list {
                h.raw("<li>").open("a", &[("href", &format!("#{control}"))]);
                error_text(h, tr, error);
                h.raw("</a></li>");
            }
        }
        for error in &errors.general {
            h.raw("<li>");
            error_text(h, tr, error);
            h.raw("</li>");
        }
        h.raw("</ul></div>");
    }
    let csrf = ctx.csrf().unwrap_or_default();
    h.raw("<form method=\"post\" action=\"/publish\" class=\"form record-form\" novalidate>");
    // The first submit button is the one Enter presses in a text field: make it the harmless
    // preview, not "remove this language".
    h.raw("<button type=\"submit\" name=\"action\" value=\"preview\" class=\"default-action\" tabindex=\"-1\" aria-hidden=\"true\">")
        .text(tr.t("form.preview"))
        .raw("</button>");
    h.raw("<input type=\"hidden\" name=\"csrf\"")
        .attr("value", csrf)
        .raw(">");
    h.raw("<input type=\"hidden\" name=\"kind\"")
        .attr("value", &form.kind)
        .raw(">");
    h.raw("<input type=\"hidden\" name=\"version\"")
        .attr("value", &form.version)
        .raw(">");
    h.raw("<p class=\"kind-line\">")
        .text(tr.t("field.kind"))
        .raw(": ")
        .elem("strong", &[], &tr.term("kind", &form.kind))
        .raw("</p>");
    error_list(h, tr, "kind", &errors);
    if form.version.is_empty() {
        text_input(
            h,
            tr,
            Control::new("slug", tr.t("field.slug"))
                .hint(tr.t("hint.slug"))
                .required(),
            &form.slug,
            &errors,
            false,
        );
    } else {
        h.raw("<input type=\"hidden\" name=\"slug\"")
            .attr("value", &form.slug)
            .raw(">");
        h.raw("<p>")
            .text(tr.t("field.slug"))
            .raw(": <code>")
            .text(&form.slug)
            .raw("</code></p>");
    }

    h.raw("<section aria-labelledby=\"h-texts\">");
    h.elem("h2", &[("id", "h-texts")], tr.t("form.texts"));
    h.elem("p", &[("class", "hint")], tr.t("hint.texts"));
    for (i, row) in form.rows.iter().enumerate() {
        let n = (i + 1).to_string();
        h.raw("<fieldset class=\"language\">");
        h.elem("legend", &[], &tr.tf("form.language_n", &[("n", &n)]));
        text_input(
            h,
            tr,
            Control::new(format!("lang-{i}"), tr.t("field.language"))
                .hint(tr.t("hint.language"))
                .required(),
            &row.lang,
            &errors,
            focus_row == Some(i),
        );
        text_input(
            h,
            tr,
            Control::new(format!("title-{i}"), tr.t("field.title")).required(),
            &row.title,
            &errors,
            false,
        );
        textarea(
            h,
            tr,
            Control::new(format!("summary-{i}"), tr.t("field.summary"))
                .hint(tr.t("hint.summary"))
                .required(),
            &row.summary,
            "3",
            &errors,
        );
        textarea(
            h,
            tr,
            Control::new(format!("description-{i}"), tr.t("field.description"))
                .hint(tr.t("hint.description")),
            &row.description,
            "8",
            &errors,
        );
        if form.rows.len() > 1 {
            let remove_label = tr.tf("form.remove_language", &[("n", &n)]);
            h.raw("<button type=\"submit\" name=\"action\" class=\"secondary\"")
                .attr("value", &format!("remove-language-{i}"))
                .raw(">")
                .text(&remove_label)
                .raw("</button>");
        }
        h.raw("</fieldset>");
    }
    if form.rows.len() < Limits::MAX_LANGUAGES {
        h.raw(
            "<button type=\"submit\" name=\"action\" value=\"add-language\" class=\"secondary\">",
        )
        .text(tr.t("form.add_language"))
        .raw("</button>");
    }
    h.raw("</section>");

    h.raw("<section aria-labelledby=\"h-about\">");
    h.elem("h2", &[("id", "h-about")], tr.t("form.about"));
    text_input(
        h,
        tr,
        Control::new("organisation", tr.t("field.organisation")).required(),
        &form.organisation,
        &errors,
        false,
    );
    text_input(
        h,
        tr,
        Control::new("country", tr.t("field.country"))
            .hint(tr.t("hint.country"))
            .required(),
        &form.country,
        &errors,
        false,
    );
    text_input(
        h,
        tr,
        Control::new("nuts", tr.t("field.nuts")).hint(tr.t("hint.nuts")),
        &form.nuts,
        &errors,
        false,
    );
    checkboxes(
        h,
        tr,
        "themes",
        tr.t("field.themes"),
        &form.themes,
        &options(
            Theme::KNOWN,
            |t| tr.term("theme", t.as_str()),
            |t| t.as_str().to_owned(),
        ),
        &errors,
    );
    text_input(
        h,
        tr,
        Control::new("technologies", tr.t("field.technologies")).hint(tr.t("hint.list")),
        &form.technologies,
        &errors,
        false,
    );
    select(
        h,
        tr,
        Control::new("status", tr.t("field.status")),
        &form.status,
        &options(
            Status::KNOWN,
            |s| tr.term("status", s.as_str()),
            |s| s.as_str().to_owned(),
        ),
        &errors,
    );
    text_input(
        h,
        tr,
        Control::new("licence", tr.t("field.licence")).hint(tr.t("hint.licence")),
        &form.licence,
        &errors,
        false,
    );
    text_input(
        h,
        tr,
        Control::new("tags", tr.t("field.tags")).hint(tr.t("hint.list")),
        &form.tags,
        &errors,
        false,
    );
    textarea(
        h,
        tr,
        Control::new("links", tr.t("field.links")).hint(tr.t("hint.links")),
        &form.links,
        "3",
        &errors,
    );
    textarea(
        h,
        tr,
        Control::new("contacts", tr.t("field.contacts")).hint(tr.t("hint.contacts")),
        &form.contacts,
        "3",
        &errors,
    );
    h.raw("</section>");

    if form.kind == Kind::CaseStudy.as_str() {
        h.raw("<section aria-labelledby=\"h-case\">");
        h.elem("h2", &[("id", "h-case")], tr.t("form.case_study"));
        text_input(
            h,
            tr,
            Control::new("cofog", tr.t("field.cofog")).hint(tr.t("hint.cofog")),
            &form.cofog,
            &errors,
            false,
        );
        text_input(
            h,
            tr,
            Control::new("process_types", tr.t("field.process_types")).hint(tr.t("hint.list")),
            &form.process_types,
            &errors,
            false,
        );
        text_input(
            h,
            tr,
            Control::new("application_types", tr.t("field.application_types"))
                .hint(tr.t("hint.list")),
            &form.application_types,
            &errors,
            false,
        );
        checkboxes(
            h,
            tr,
            "interaction",
            tr.t("field.interaction"),
            &form.interaction,
            &options(
                Interaction::KNOWN,
                |i| tr.term("interaction", i.as_str()),
                |i| i.as_str().to_owned(),
            ),
            &errors,
        );
        checkboxes(
            h,
            tr,
            "benefits",
            tr.t("field.benefits"),
            &form.benefits,
            &options(
                Benefit::KNOWN,
                |b| tr.term("benefit", b.as_str()),
                |b| b.as_str().to_owned(),
            ),
            &errors,
        );
        text_input(
            h,
            tr,
            Control::new("start_year", tr.t("field.start_year")),
            &form.start_year,
            &errors,
            false,
        );
        text_input(
            h,
            tr,
            Control::new("end_year", tr.t("field.end_year")),
            &form.end_year,
            &errors,
            false,
        );
        h.raw("</section>");
    }
    if form.kind == Kind::Solution.as_str() {
        h.raw("<section aria-labelledby=\"h-solution\">");
        h.elem("h2", &[("id", "h-solution")], tr.t("form.solution"));
        text_input(
            h,
            tr,
            Control::new("url", tr.t("field.url")),
            &form.url,
            &errors,
            false,
        );
        text_input(
            h,
            tr,
            Control::new("landing_url", tr.t("field.landing_url")),
            &form.landing_url,
            &errors,
            false,
        );
        select(
            h,
            tr,
            Control::new("development_status", tr.t("field.development_status")),
            &form.development_status,
            &options(
                DevelopmentStatus::KNOWN,
                |v| v.as_str().to_owned(),
                |v| v.as_str().to_owned(),
            ),
            &errors,
        );
        select(
            h,
            tr,
            Control::new("software_type", tr.t("field.software_type")),
            &form.software_type,
            &options(
                SoftwareType::KNOWN,
                |v| v.as_str().to_owned(),
                |v| v.as_str().to_owned(),
            ),
            &errors,
        );
        text_input(
            h,
            tr,
            Control::new("platforms", tr.t("field.platforms")).hint(tr.t("hint.list")),
            &form.platforms,
            &errors,
            false,
        );
        text_input(
            h,
            tr,
            Control::new("categories", tr.t("field.categories")).hint(tr.t("hint.list")),
            &form.categories,
            &errors,
            false,
        );
        select(
            h,
            tr,
            Control::new("maintenance", tr.t("field.maintenance")),
            &form.maintenance,
            &options(
                MaintenanceType::KNOWN,
                |v| v.as_str().to_owned(),
                |v| v.as_str().to_owned(),
            ),
            &errors,
        );
        text_input(
            h,
            tr,
            Control::new("used_by", tr.t("field.used_by")).hint(tr.t("hint.list")),
            &form.used_by,
            &errors,
            false,
        );
        h.raw("</section>");
    }
    h.raw("<div class=\"buttons\">");
    h.raw("<button type=\"submit\" id=\"preview-button\" name=\"action\" value=\"preview\" class=\"secondary\">").text(tr.t("form.preview")).raw("</button>");
    h.raw("<button type=\"submit\" id=\"publish-button\" name=\"action\" value=\"publish\">")
        .text(tr.t("form.publish"))
        .raw("</button>");
    h.raw("</div></form>");
}

fn form_page(
    ctx: &Ctx,
    form: &RecordForm,
    errors: &[FieldError],
    preview: Option<&Body>,
    focus_row: Option<usize>,
    status: StatusCode,
) -> Response {
    let tr = &ctx.tr;
    let mut h = Html::new();
    let heading = if form.version.is_empty() {
        tr.tf("form.title_new", &[("kind", &tr.term("kind", &form.kind))])
    } else {
        tr.tf("form.title_version", &[("n", &form.version)])
    };
    h.elem("h1", &[], &heading);
    if let Some(body) = preview {
        h.raw("<section class=\"preview\" aria-labelledby=\"h-preview\" role=\"status\">");
        h.elem("h2", &[("id", "h-preview")], tr.t("form.preview_title"));
        h.elem("p", &[], tr.t("form.preview_ok"));
        let prefs = vec![tr.lang.tag().to_owned()];
        if let Some((lang, title)) = crate::views::pick_language(&body.title, &prefs) {
            super::layout::open_in(&mut h, tr, "h3", &[], Some(lang));
            h.text(title).raw("</h3>");
        }
        if let Some((lang, summary)) = crate::views::pick_language(&body.summary, &prefs) {
            super::layout::open_in(&mut h, tr, "div", &[], Some(lang));
            super::layout::paragraphs(&mut h, summary);
            h.raw("</div>");
        }
        details(&mut h, tr, body);
        h.raw("</section>");
    }
    render_form(&mut h, ctx, form, errors, focus_row);
    page_with_status(ctx, status, Section::Publish, &heading, h)
}

// ---------------------------------------------------------------------------------------------
// Handlers.

/// The kind choice, or a new record's form (`?kind=`).
pub(crate) async fn new_form<B: Backend>(
    State(backend): State<B>,
    Extension(sessions): Extension<Sessions>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let ctx = Ctx::new(&backend, &headers, &uri, &sessions);
    if ctx.session.is_none() {
        return redirect("/signin", &[]);
    }
    let tr = &ctx.tr;
    match ctx.param("kind").map(Kind::parse) {
        Some(Ok(kind)) if kind.is_content() => {
            let form = RecordForm::new(&kind, tr.lang.tag());
            form_page(&ctx, &form, &[], None, None, StatusCode::OK)
        }
        _ => {
            let mut h = Html::new();
            let heading = tr.t("publish.title");
            h.elem("h1", &[], heading);
            h.elem("p", &[], tr.t("publish.lead"));
            h.raw("<ul class=\"kinds\">");
            for kind in Kind::CONTENT {
                h.raw("<li>")
                    .link(
                        &format!("/publish?kind={}", kind.as_str()),
                        &tr.tf("publish.new", &[("kind", &tr.term("kind", kind.as_str()))]),
                    )
                    .raw(" — ")
                    .text(&tr.term("kind_help", kind.as_str()))
                    .raw("</li>");
            }
            h.raw("</ul>");
            page(&ctx, Section::Publish, heading, h)
        }
    }
}

/// The form for a new version, filled in from the record.
pub(crate) async fn edit_form<B: Backend>(
    State(backend): State<B>,
    Extension(sessions): Extension<Sessions>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let ctx = Ctx::new(&backend, &headers, &uri, &sessions);
    if ctx.session.is_none() {
        return redirect("/signin", &[]);
    }
    let record = match load(&backend, &ctx, &id) {
        Ok(record) => record,
        Err(response) => return response,
    };
    if let Some(refusal) = refuse_foreign(&backend, &ctx, &record) {
        return refusal;
    }
    let head = backend.head(&record.logical_key()).ok().flatten();
    let next = head.map_or(record.header().version, |h| h.header().version) + 1;
    let form = RecordForm::from_record(record.header(), record.body(), next);
    form_page(&ctx, &form, &[], None, None, StatusCode::OK)
}

fn refuse_foreign<B: Backend>(
    backend: &B,
    ctx: &Ctx,
    record: &mosaico_protocol::Record<mosaico_protocol::Verified>,
) -> Option<Response> {
    (record.header().author != backend.status().public_key || !record.header().kind.is_content())
        .then(|| {
            error_page(
                ctx,
                StatusCode::FORBIDDEN,
                ctx.tr.t("publish.foreign.title"),
                ctx.tr.t("publish.foreign.text"),
            )
        })
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

/// Checks a form as the node would, without signing: the draft's rules, then every field rule.
fn check<B: Backend>(backend: &B, form: &RecordForm) -> Result<(Draft, Body), Vec<FieldError>> {
    let (value, mut errors) = form.to_value();
    let draft = match Draft::from_value(value) {
        Ok(draft) => draft,
        Err(DraftError::Invalid(list)) => {
            errors.extend(list);
            return Err(errors);
        }
        Err(other) => {
            errors.push(FieldError::new("(record)", "bad_format", other.to_string()));
            return Err(errors);
        }
    };
    let version = form.version.trim().parse::<u64>().unwrap_or(1);
    let author = backend.status().public_key;
    let unsigned = match draft.clone().into_unsigned(author, version, now_millis()) {
        Ok(unsigned) => unsigned,
        Err(e) => {
            errors.push(FieldError::new("version", "inconsistent", e.to_string()));
            return Err(errors);
        }
    };
    let parsed = serde_json::from_value::<Header>(unsigned.clone())
        .and_then(|header| Ok((header, serde_json::from_value::<Body>(unsigned)?)));
    match parsed {
        Ok((header, body)) => {
            errors.extend(validate(&header, &body, true));
            if errors.is_empty() {
                Ok((draft, body))
            } else {
                Err(errors)
            }
        }
        Err(e) => {
            errors.push(FieldError::new("(record)", "bad_format", e.to_string()));
            Err(errors)
        }
    }
}

/// Every button of the form: add or remove a language, preview, publish.
pub(crate) async fn submit<B: Backend>(
    State(backend): State<B>,
    Extension(sessions): Extension<Sessions>,
    headers: HeaderMap,
    uri: Uri,
    form: FormPairs,
) -> Response {
    let ctx = Ctx::new(&backend, &headers, &uri, &sessions);
    let (role, pairs) = match signed_in_post(&ctx, form) {
        Ok(checked) => checked,
        Err(refusal) => return refusal,
    };
    let mut form = RecordForm::from_pairs(&pairs);
    let kind = match Kind::parse(&form.kind) {
        Ok(kind) if kind.is_content() && role.may_publish(&kind) => kind,
        _ => return bad_form(&ctx),
    };
    let action = field_value(&pairs, "action").unwrap_or("preview");
    if action == "add-language" {
        if form.rows.len() < Limits::MAX_LANGUAGES {
            form.rows.push(LangRow::default());
        }
        let focus = form.rows.len() - 1;
        return form_page(&ctx, &form, &[], None, Some(focus), StatusCode::OK);
    }
    if let Some(index) = action
        .strip_prefix("remove-language-")
        .and_then(|i| i.parse::<usize>().ok())
    {
        if form.rows.len() > 1 && index < form.rows.len() {
            form.rows.remove(index);
        }
        return form_page(&ctx, &form, &[], None, None, StatusCode::OK);
    }
    let (draft, body) = match check(&backend, &form) {
        Ok(checked) => checked,
        Err(errors) => {
            return form_page(
                &ctx,
                &form,
                &errors,
                None,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
    };
    if action != "publish" {
        return form_page(&ctx, &form, &[], Some(&body), None, StatusCode::OK);
    }
    debug_assert_eq!(draft.kind(), &kind);
    match backend.publish(draft).await {
        Ok(published) => redirect(&format!("/records/{}?published=1", published.id), &[]),
        Err(error) => {
            let errors = publish_errors(&ctx, error);
            form_page(
                &ctx,
                &form,
                &errors,
                None,
                None,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    }
}

/// A refused publish as field errors (general ones under the field `(record)`).
fn publish_errors(ctx: &Ctx, error: PublishError) -> Vec<FieldError> {
    match error {
        PublishError::Invalid(RecordError::Invalid(errors)) => errors,
        PublishError::Draft(DraftError::Invalid(errors)) => errors,
        PublishError::Invalid(other) => {
            vec![FieldError::new("(record)", other.code(), other.to_string())]
        }
        PublishError::Draft(other) => vec![FieldError::new(
            "version",
            "inconsistent",
            other.to_string(),
        )],
        PublishError::NotAllowed(text) | PublishError::Unavailable(text) => {
            vec![FieldError::new("(record)", "not_allowed", text)]
        }
        PublishError::NotFound => vec![FieldError::new("(record)", "not_found", "no such record")],
        PublishError::Internal(cause) => {
            tracing::error!(%cause, "publish from the web form failed");
            vec![FieldError::new(
                "(record)",
                "internal",
                ctx.tr.t("error.backend.text"),
            )]
        }
    }
}

/// The confirmation step before a retraction.
pub(crate) async fn retract_confirm<B: Backend>(
    State(backend): State<B>,
    Extension(sessions): Extension<Sessions>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
) -> Response {
    let ctx = Ctx::new(&backend, &headers, &uri, &sessions);
    if ctx.session.is_none() {
        return redirect("/signin", &[]);
    }
    let record = match load(&backend, &ctx, &id) {
        Ok(record) => record,
        Err(response) => return response,
    };
    if let Some(refusal) = refuse_foreign(&backend, &ctx, &record) {
        return refusal;
    }
    retract_page(&ctx, &record, StatusCode::OK)
}

fn retract_page(
    ctx: &Ctx,
    record: &mosaico_protocol::Record<mosaico_protocol::Verified>,
    status: StatusCode,
) -> Response {
    let tr = &ctx.tr;
    let prefs = vec![tr.lang.tag().to_owned()];
    let title = crate::views::pick_language(&record.body().title, &prefs)
        .map(|(_, t)| t.to_owned())
        .unwrap_or_else(|| record.header().slug.clone());
    let mut h = Html::new();
    let heading = tr.t("retract.title");
    h.elem("h1", &[], heading);
    h.elem(
        "p",
        &[("class", "lead")],
        &tr.tf("retract.question", &[("title", &title)]),
    );
    h.elem("p", &[], tr.t("retract.explain"));
    h.open(
        "form",
        &[
            ("method", "post"),
            ("action", &format!("/records/{}/retract", record.id())),
            ("class", "form"),
        ],
    );
    h.raw("<input type=\"hidden\" name=\"csrf\"")
        .attr("value", ctx.csrf().unwrap_or_default())
        .raw(">");
    h.raw("<input type=\"hidden\" name=\"confirm\" value=\"yes\">");
    h.raw("<div class=\"buttons\"><button type=\"submit\" class=\"danger\">")
        .text(tr.t("retract.confirm"))
        .raw("</button> ")
        .link(&format!("/records/{}", record.id()), tr.t("retract.cancel"))
        .raw("</div></form>");
    page_with_status(ctx, status, Section::Publish, heading, h)
}

/// Publishes the retraction, once confirmed.
pub(crate) async fn retract<B: Backend>(
    State(backend): State<B>,
    Extension(sessions): Extension<Sessions>,
    Path(id): Path<String>,
    headers: HeaderMap,
    uri: Uri,
    form: FormPairs,
) -> Response {
    let ctx = Ctx::new(&backend, &headers, &uri, &sessions);
    let (role, pairs) = match signed_in_post(&ctx, form) {
        Ok(checked) => checked,
        Err(refusal) => return refusal,
    };
    let record = match load(&backend, &ctx, &id) {
        Ok(record) => record,
        Err(response) => return response,
    };
    if let Some(refusal) = refuse_foreign(&backend, &ctx, &record) {
        return refusal;
    }
    if field_value(&pairs, "confirm") != Some("yes") || !role.may_publish(&record.header().kind) {
        return retract_page(&ctx, &record, StatusCode::OK);
    }
    match backend.retract(record.logical_key()).await {
        Ok(published) => redirect(&format!("/records/{}", published.id), &[]),
        Err(error) => {
            let message = match error {
                PublishError::Internal(cause) => {
                    tracing::error!(%cause, "retraction from the web UI failed");
                    ctx.tr.t("error.backend.text").to_owned()
                }
                other => other.to_string(),
            };
            error_page(
                &ctx,
                StatusCode::CONFLICT,
                ctx.tr.t("retract.failed"),
                &message,
            )
        }
    }
}
