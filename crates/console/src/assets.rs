//! The console's static files, built into the binary.

/// A file and its content type.
pub struct Asset {
    pub bytes: &'static [u8],
    pub content_type: &'static str,
}

macro_rules! assets {
    ($($path:literal => $content_type:literal),* $(,)?) => {
        /// The file at `path` (relative to `/console/`; empty for the page).
        pub fn get(path: &str) -> Option<Asset> {
            let path = if path.is_empty() { "index.html" } else { path };
            match path {
                $($path => Some(Asset {
                    bytes: include_bytes!(concat!("../assets/", $path)),
                    content_type: $content_type,
                }),)*
                _ => None,
            }
        }
    };
}

assets! {
    "index.html" => "text/html; charset=utf-8",
    "console.css" => "text/css; charset=utf-8",
    "js/main.js" => "text/javascript; charset=utf-8",
    "js/api.js" => "text/javascript; charset=utf-8",
    "js/dom.js" => "text/javascript; charset=utf-8",
    "js/dynamo.js" => "text/javascript; charset=utf-8",
    "js/tables.js" => "text/javascript; charset=utf-8",
    "js/create_table.js" => "text/javascript; charset=utf-8",
    "js/items.js" => "text/javascript; charset=utf-8",
    "js/editor.js" => "text/javascript; charset=utf-8",
    "js/form.js" => "text/javascript; charset=utf-8",
    "js/partiql.js" => "text/javascript; charset=utf-8",
    "js/import.js" => "text/javascript; charset=utf-8",
    "js/streams.js" => "text/javascript; charset=utf-8",
    "js/iam.js" => "text/javascript; charset=utf-8",
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_page_is_served_for_the_console_root_and_unknown_paths_are_not() {
        assert!(super::get("").unwrap().content_type.starts_with("text/html"));
        assert!(super::get("../Cargo.toml").is_none());
        assert!(super::get("js/main.js").is_some());
    }
}
