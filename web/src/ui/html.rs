//! A tiny HTML writer whose only way to emit markup is a `&'static str`.
//!
//! Everything that comes from a record, a request or the catalogue goes through [`Html::text`]
//! or an attribute value, both escaped. Markup itself can only be written from string literals
//! (`&'static str`), so no code path can turn a runtime value into tags: the type system is the
//! auto-escaping. This is the whole template engine; it compiles in no time and keeps the
//! markup next to the code that decides what to show.

/// A page or fragment being written.
#[derive(Debug, Default)]
pub struct Html {
    out: String,
}

/// Escapes text for element content and quoted attribute values alike.
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
}

/// The escaped form of `text`.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}

impl Html {
    /// An empty writer.
    pub fn new() -> Self {
        Html {
            out: String::with_capacity(16 * 1024),
        }
    }

    /// Markup from the program's own literals.
    pub fn raw(&mut self, markup: &'static str) -> &mut Self {
        self.out.push_str(markup);
        self
    }

    /// Text, escaped.
    pub fn text(&mut self, text: &str) -> &mut Self {
        escape_into(&mut self.out, text);
        self
    }

    /// ` name="value"` with the value escaped.
    pub fn attr(&mut self, name: &'static str, value: &str) -> &mut Self {
        self.out.push(' ');
        self.out.push_str(name);
        self.out.push_str("=\"");
        escape_into(&mut self.out, value);
        self.out.push('"');
        self
    }

    /// `<tag a="v"…>`.
    pub fn open(&mut self, tag: &'static str, attrs: &[(&'static str, &str)]) -> &mut Self {
        self.out.push('<');
        self.out.push_str(tag);
        for (name, value) in attrs {
            self.attr(name, value);
        }
        self.out.push('>');
        self
    }

    /// `</tag>`.
    pub fn close(&mut self, tag: &'static str) -> &mut Self {
        self.out.push_str("</");
        self.out.push_str(tag);
        self.out.push('>');
        self
    }

    /// `<tag a="v"…>text</tag>`.
    pub fn elem(
        &mut self,
        tag: &'static str,
        attrs: &[(&'static str, &str)],
        text: &str,
    ) -> &mut Self {
        self.open(tag, attrs).text(text).close(tag)
    }

    /// A link.
    pub fn link(&mut self, href: &str, text: &str) -> &mut Self {
        self.elem("a", &[("href", href)], text)
    }

    /// Appends another fragment (already safe: it was written by an `Html`).
    pub fn append(&mut self, fragment: Html) -> &mut Self {
        self.out.push_str(&fragment.out);
        self
    }

    /// Text in which the escaped forms of `<mark>` and `</mark>` are turned back into markup.
    /// Used for search snippets from the backend: every other character stays escaped, so the
    /// only tags that can appear are those two.
    pub fn text_with_marks(&mut self, text: &str) -> &mut Self {
        let escaped = escape(text)
            .replace("&lt;mark&gt;", "<mark>")
            .replace("&lt;/mark&gt;", "</mark>");
        self.out.push_str(&escaped);
        self
    }

    /// The finished text.
    pub fn into_string(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_attributes_are_escaped() {
        let mut h = Html::new();
        h.open("a", &[("href", "\"><script>alert(1)</script>")])
            .text("<b>&'")
            .close("a");
        assert_eq!(
            h.into_string(),
            "<a href=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\">&lt;b&gt;&amp;&#39;</a>"
        );
    }

    #[test]
    fn only_mark_tags_survive_in_snippets() {
        let mut h = Html::new();
        h.text_with_marks("<mark>data</mark> <img src=x onerror=alert(1)>");
        assert_eq!(
            h.into_string(),
            "<mark>data</mark> &lt;img src=x onerror=alert(1)&gt;"
        );
    }
}
