//! The form's controls: a text field, a text area, a select and a set of checkboxes, each with
//! its label, hint and errors tied to it by `aria-describedby`, so a screen reader announces
//! what is wrong where the user is.

use std::collections::HashMap;

use mosaico_protocol::FieldError;

use super::form::RecordForm;
use crate::ui::html::Html;
use crate::ui::i18n::Tr;

/// Error messages per control id, and those that belong to no control.
pub(super) struct ErrorsByControl<'a> {
    pub by_control: HashMap<String, Vec<&'a FieldError>>,
    pub general: Vec<&'a FieldError>,
}

impl<'a> ErrorsByControl<'a> {
    /// Sorts `errors` by the control each one belongs to in `form`.
    pub fn sort(form: &RecordForm, errors: &'a [FieldError]) -> Self {
        let mut sorted = ErrorsByControl {
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

/// One error: its code in the reader's language, then the API's own words.
pub(super) fn error_text(h: &mut Html, tr: &Tr, error: &FieldError) {
    // The code in the reader's language, then the API's own message, which is in English.
    h.elem("strong", &[], &tr.term("code", &error.code));
    h.raw(" ").elem(
        "span",
        &[("lang", "en")],
        &format!("{}: {}", error.field, error.message),
    );
}

/// What a control shows besides its value: id, name, label, hint, whether it is required.
pub(super) struct FormControl<'a> {
    id: String,
    name: String,
    label: &'a str,
    hint: Option<&'a str>,
    required: bool,
}

impl<'a> FormControl<'a> {
    /// A control whose form field is named like its id.
    pub fn new(id: impl Into<String>, label: &'a str) -> Self {
        let id = id.into();
        FormControl {
            name: id.clone(),
            id,
            label,
            hint: None,
            required: false,
        }
    }
    /// Adds a hint below the label.
    pub fn hint(mut self, hint: &'a str) -> Self {
        self.hint = Some(hint);
        self
    }
    /// Marks the control as required, visibly and for assistive technology.
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
}

/// The label, hint and errors of a control; returns the `aria-describedby` value.
fn control_head(
    h: &mut Html,
    tr: &Tr,
    c: &FormControl<'_>,
    errors: &ErrorsByControl<'_>,
) -> (String, bool) {
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

/// The errors of control `id`, if any, in a block the control names; returns whether there
/// were any.
pub(super) fn error_list(h: &mut Html, tr: &Tr, id: &str, errors: &ErrorsByControl<'_>) -> bool {
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

/// The attributes every control carries: id, name, description, invalid and required marks.
fn control_attrs(h: &mut Html, c: &FormControl<'_>, described: &str, invalid: bool) {
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

/// A one-line text field.
pub(super) fn text_input(
    h: &mut Html,
    tr: &Tr,
    c: FormControl<'_>,
    value: &str,
    errors: &ErrorsByControl<'_>,
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

/// A text area of `rows` lines.
pub(super) fn textarea(
    h: &mut Html,
    tr: &Tr,
    c: FormControl<'_>,
    value: &str,
    rows: &'static str,
    errors: &ErrorsByControl<'_>,
) {
    h.raw("<div class=\"field\">");
    let (described, invalid) = control_head(h, tr, &c, errors);
    h.raw("<textarea rows=\"").raw(rows).raw("\"");
    control_attrs(h, &c, &described, invalid);
    h.raw(">").text(value).raw("</textarea></div>");
}

/// A select with a "not set" option first.
pub(super) fn select(
    h: &mut Html,
    tr: &Tr,
    c: FormControl<'_>,
    value: &str,
    options: &[(String, String)],
    errors: &ErrorsByControl<'_>,
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

/// A fieldset of checkboxes, one per option, for a field that takes several values.
pub(super) fn checkboxes(
    h: &mut Html,
    tr: &Tr,
    name: &'static str,
    legend: &str,
    chosen: &[String],
    options: &[(String, String)],
    errors: &ErrorsByControl<'_>,
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

/// The (value, label) pairs of a vocabulary's known terms.
pub(super) fn options<T>(
    known: &[T],
    label: impl Fn(&T) -> String,
    value: impl Fn(&T) -> String,
) -> Vec<(String, String)> {
    known
        .iter()
        .map(|item| (value(item), label(item)))
        .collect()
}
