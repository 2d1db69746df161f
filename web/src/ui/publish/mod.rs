//! Publishing from the staff UI: the form for new records and new versions, and retraction.
//!
//! The form works without JavaScript: adding or removing a language is a submit button that
//! re-renders the form with one row more or less. Validation runs the protocol's own rules, so
//! the messages next to each field are the API's, tied to their fields with `aria-describedby`.
//!
//! Rooms: `form` (the model: posted text to draft, field errors), `controls` (one form control
//! with its label, hint and errors), `render` (the form section by section, and its page),
//! `handlers` (the form's routes) and `retract`. Signing in lives next door, in `ui::signin`.

mod controls;
mod form;
mod handlers;
mod render;
mod retract;

pub(crate) use handlers::{edit_form, new_form, submit};
pub(crate) use retract::{retract, retract_confirm};
