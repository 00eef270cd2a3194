//! A small XML writer for query-protocol answers: elements and escaped text.

pub struct XmlWriter {
    out: String,
    open: Vec<String>,
}

impl Default for XmlWriter {
    fn default() -> Self {
        XmlWriter::new()
    }
}

impl XmlWriter {
    pub fn new() -> XmlWriter {
        XmlWriter {
            out: String::new(),
            open: Vec::new(),
        }
    }

    pub fn open_with_namespace(&mut self, name: &str, namespace: &str) {
        self.out
            .push_str(&format!("<{name} xmlns=\"{}\">", quick_xml::escape::escape(namespace)));
        self.open.push(name.to_string());
    }

    pub fn open(&mut self, name: &str) {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        self.open.push(name.to_string());
    }

    /// Closes the innermost open element.
    pub fn close(&mut self) {
        let name = self.open.pop().expect("close matches an open element");
        self.out.push_str("</");
        self.out.push_str(&name);
        self.out.push('>');
    }

    /// `<name>text</name>`, the text escaped.
    pub fn element(&mut self, name: &str, text: &str) {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        self.out.push_str(&quick_xml::escape::escape(text));
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
    }

    /// Escaped text inside the innermost open element.
    pub fn text(&mut self, text: &str) {
        self.out.push_str(&quick_xml::escape::escape(text));
    }

    /// `element`, when there is a value.
    pub fn optional(&mut self, name: &str, text: Option<&str>) {
        if let Some(text) = text {
            self.element(name, text);
        }
    }

    /// `<name><member>..</member>...</name>`, each member written by `write`.
    pub fn members<T>(&mut self, name: &str, items: impl IntoIterator<Item = T>, mut write: impl FnMut(&mut Self, T)) {
        self.open(name);
        for item in items {
            self.open("member");
            write(self, item);
            self.close();
        }
        self.close();
    }

    pub fn finish(self) -> String {
        debug_assert!(self.open.is_empty(), "every element closed");
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text() {
        let mut xml = XmlWriter::new();
        xml.open("A");
        xml.element("B", "x<y & \"z\"");
        xml.members("L", ["1", "2"], |xml, v| xml.element("V", v));
        xml.close();
        assert_eq!(
            xml.finish(),
            "<A><B>x&lt;y &amp; &quot;z&quot;</B><L><member><V>1</V></member><member><V>2</V></member></L></A>"
        );
    }
}
