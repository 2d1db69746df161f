//! Rendering the publish form: the page around it (heading, preview), the form itself section by
//! section, and the page that lets a publisher choose the kind of a new record.
//!
//! Each section of the form has its own function, in the order the form shows them, so a change
//! to one kind's fields touches one function.

use axum::http::StatusCode;
use axum::response::Response;
use mosaico_protocol::vocab::{
    Benefit, DevelopmentStatus, Interaction, Kind, MaintenanceType, SoftwareType, Status, Theme,
};
use mosaico_protocol::{Body, FieldError, Limits};

use super::controls::{
    ErrorsByControl, FormControl, checkboxes, error_list, error_text, options, select, text_input,
    textarea,
};
use super::form::RecordForm;
use crate::ui::context::Ctx;
use crate::ui::html::Html;
use crate::ui::i18n::Tr;
use crate::ui::layout::{NavSection, open_in, page, page_with_status, paragraphs};
use crate::ui::record::details;
use crate::views::pick_language;

/// The publish form: a summary of every error first, then the fields in sections (texts per
/// language, about, and the kind's own fields) and the buttons. `focus_row` is the language row
/// just added, whose first field gets the focus.
fn render_form(
    h: &mut Html,
    ctx: &Ctx,
    form: &RecordForm,
    errors: &[FieldError],
    focus_row: Option<usize>,
) {
    let tr = &ctx.tr;
    let errors = ErrorsByControl::sort(form, errors);
    error_summary(h, tr, &errors);
    form_head(h, tr, ctx.csrf().unwrap_or_default(), form, &errors);
    texts_section(h, tr, form, &errors, focus_row);
    about_section(h, tr, form, &errors);
    if form.kind == Kind::CaseStudy.as_str() {
        case_study_section(h, tr, form, &errors);
    }
    if form.kind == Kind::Solution.as_str() {
        solution_section(h, tr, form, &errors);
    }
    form_buttons(h, tr);
}

/// The list of every error at the top of the form, each linking to its control, so a long
/// form's problems are found without scrolling through it.
fn error_summary(h: &mut Html, tr: &Tr, errors: &ErrorsByControl<'_>) {
    if errors.by_control.is_empty() && errors.general.is_empty() {
        return;
    }
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

/// The form's opening: its hidden fields (CSRF token, kind, version), the kind, and the slug,
/// which only a new record may choose.
fn form_head(h: &mut Html, tr: &Tr, csrf: &str, form: &RecordForm, errors: &ErrorsByControl<'_>) {
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
    error_list(h, tr, "kind", errors);
    if form.version.is_empty() {
        text_input(
            h,
            tr,
            FormControl::new("slug", tr.t("field.slug"))
                .hint(tr.t("hint.slug"))
                .required(),
            &form.slug,
            errors,
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
}

/// The texts section: one fieldset per language, with buttons to add and remove languages.
fn texts_section(
    h: &mut Html,
    tr: &Tr,
    form: &RecordForm,
    errors: &ErrorsByControl<'_>,
    focus_row: Option<usize>,
) {
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
            FormControl::new(format!("lang-{i}"), tr.t("field.language"))
                .hint(tr.t("hint.language"))
                .required(),
            &row.lang,
            errors,
            focus_row == Some(i),
        );
        text_input(
            h,
            tr,
            FormControl::new(format!("title-{i}"), tr.t("field.title")).required(),
            &row.title,
            errors,
            false,
        );
        textarea(
            h,
            tr,
            FormControl::new(format!("summary-{i}"), tr.t("field.summary"))
                .hint(tr.t("hint.summary"))
                .required(),
            &row.summary,
            "3",
            errors,
        );
        textarea(
            h,
            tr,
            FormControl::new(format!("description-{i}"), tr.t("field.description"))
                .hint(tr.t("hint.description")),
            &row.description,
            "8",
            errors,
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
}

/// The fields every content kind has: who, where, themes, status, licence, links, contacts.
fn about_section(h: &mut Html, tr: &Tr, form: &RecordForm, errors: &ErrorsByControl<'_>) {
    h.raw("<section aria-labelledby=\"h-about\">");
    h.elem("h2", &[("id", "h-about")], tr.t("form.about"));
    text_input(
        h,
        tr,
        FormControl::new("organisation", tr.t("field.organisation")).required(),
        &form.organisation,
        errors,
        false,
    );
    text_input(
        h,
        tr,
        FormControl::new("country", tr.t("field.country"))
            .hint(tr.t("hint.country"))
            .required(),
        &form.country,
        errors,
        false,
    );
    text_input(
        h,
        tr,
        FormControl::new("nuts", tr.t("field.nuts")).hint(tr.t("hint.nuts")),
        &form.nuts,
        errors,
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
        errors,
    );
    text_input(
        h,
        tr,
        FormControl::new("technologies", tr.t("field.technologies")).hint(tr.t("hint.list")),
        &form.technologies,
        errors,
        false,
    );
    select(
        h,
        tr,
        FormControl::new("status", tr.t("field.status")),
        &form.status,
        &options(
            Status::KNOWN,
            |s| tr.term("status", s.as_str()),
            |s| s.as_str().to_owned(),
        ),
        errors,
    );
    text_input(
        h,
        tr,
        FormControl::new("licence", tr.t("field.licence")).hint(tr.t("hint.licence")),
        &form.licence,
        errors,
        false,
    );
    text_input(
        h,
        tr,
        FormControl::new("tags", tr.t("field.tags")).hint(tr.t("hint.list")),
        &form.tags,
        errors,
        false,
    );
    textarea(
        h,
        tr,
        FormControl::new("links", tr.t("field.links")).hint(tr.t("hint.links")),
        &form.links,
        "3",
        errors,
    );
    textarea(
        h,
        tr,
        FormControl::new("contacts", tr.t("field.contacts")).hint(tr.t("hint.contacts")),
        &form.contacts,
        "3",
        errors,
    );
    h.raw("</section>");
}

/// The fields of a case study.
fn case_study_section(h: &mut Html, tr: &Tr, form: &RecordForm, errors: &ErrorsByControl<'_>) {
    h.raw("<section aria-labelledby=\"h-case\">");
    h.elem("h2", &[("id", "h-case")], tr.t("form.case_study"));
    text_input(
        h,
        tr,
        FormControl::new("cofog", tr.t("field.cofog")).hint(tr.t("hint.cofog")),
        &form.cofog,
        errors,
        false,
    );
    text_input(
        h,
        tr,
        FormControl::new("process_types", tr.t("field.process_types")).hint(tr.t("hint.list")),
        &form.process_types,
        errors,
        false,
    );
    text_input(
        h,
        tr,
        FormControl::new("application_types", tr.t("field.application_types"))
            .hint(tr.t("hint.list")),
        &form.application_types,
        errors,
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
        errors,
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
        errors,
    );
    text_input(
        h,
        tr,
        FormControl::new("start_year", tr.t("field.start_year")),
        &form.start_year,
        errors,
        false,
    );
    text_input(
        h,
        tr,
        FormControl::new("end_year", tr.t("field.end_year")),
        &form.end_year,
        errors,
        false,
    );
    h.raw("</section>");
}

/// The fields of a solution.
fn solution_section(h: &mut Html, tr: &Tr, form: &RecordForm, errors: &ErrorsByControl<'_>) {
    h.raw("<section aria-labelledby=\"h-solution\">");
    h.elem("h2", &[("id", "h-solution")], tr.t("form.solution"));
    text_input(
        h,
        tr,
        FormControl::new("url", tr.t("field.url")),
        &form.url,
        errors,
        false,
    );
    text_input(
        h,
        tr,
        FormControl::new("landing_url", tr.t("field.landing_url")),
        &form.landing_url,
        errors,
        false,
    );
    select(
        h,
        tr,
        FormControl::new("development_status", tr.t("field.development_status")),
        &form.development_status,
        &options(
            DevelopmentStatus::KNOWN,
            |v| v.as_str().to_owned(),
            |v| v.as_str().to_owned(),
        ),
        errors,
    );
    select(
        h,
        tr,
        FormControl::new("software_type", tr.t("field.software_type")),
        &form.software_type,
        &options(
            SoftwareType::KNOWN,
            |v| v.as_str().to_owned(),
            |v| v.as_str().to_owned(),
        ),
        errors,
    );
    text_input(
        h,
        tr,
        FormControl::new("platforms", tr.t("field.platforms")).hint(tr.t("hint.list")),
        &form.platforms,
        errors,
        false,
    );
    text_input(
        h,
        tr,
        FormControl::new("categories", tr.t("field.categories")).hint(tr.t("hint.list")),
        &form.categories,
        errors,
        false,
    );
    select(
        h,
        tr,
        FormControl::new("maintenance", tr.t("field.maintenance")),
        &form.maintenance,
        &options(
            MaintenanceType::KNOWN,
            |v| v.as_str().to_owned(),
            |v| v.as_str().to_owned(),
        ),
        errors,
    );
    text_input(
        h,
        tr,
        FormControl::new("used_by", tr.t("field.used_by")).hint(tr.t("hint.list")),
        &form.used_by,
        errors,
        false,
    );
    h.raw("</section>");
}

/// The preview and publish buttons, and the form's end.
fn form_buttons(h: &mut Html, tr: &Tr) {
    h.raw("<div class=\"buttons\">");
    h.raw("<button type=\"submit\" id=\"preview-button\" name=\"action\" value=\"preview\" class=\"secondary\">").text(tr.t("form.preview")).raw("</button>");
    h.raw("<button type=\"submit\" id=\"publish-button\" name=\"action\" value=\"publish\">")
        .text(tr.t("form.publish"))
        .raw("</button>");
    h.raw("</div></form>");
}

/// The form's page: its heading, the preview of the checked draft when asked for, and the form
/// with `errors` by their controls, answered with `status`.
pub(super) fn form_page(
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
        if let Some((lang, title)) = pick_language(&body.title, &prefs) {
            open_in(&mut h, tr, "h3", &[], Some(lang));
            h.text(title).raw("</h3>");
        }
        if let Some((lang, summary)) = pick_language(&body.summary, &prefs) {
            open_in(&mut h, tr, "div", &[], Some(lang));
            paragraphs(&mut h, summary);
            h.raw("</div>");
        }
        details(&mut h, tr, body);
        h.raw("</section>");
    }
    render_form(&mut h, ctx, form, errors, focus_row);
    page_with_status(ctx, status, NavSection::Publish, &heading, h)
}

/// The first page of publishing: the content kinds, each a link to its empty form.
pub(super) fn kind_choice_page(ctx: &Ctx) -> Response {
    let tr = &ctx.tr;
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
    page(ctx, NavSection::Publish, heading, h)
}
