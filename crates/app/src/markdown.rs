//! Markdown to safe HTML: rendered with pulldown-cmark, then cleaned by ammonia so that
//! script, event handlers, `javascript:` links and raw HTML tricks come out inert.

use pulldown_cmark::{Options, Parser, html};

/// Renders Markdown to sanitised HTML. Links get `rel="noopener noreferrer nofollow"`.
pub fn render(markdown: &str) -> String {
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    opts.insert(Options::ENABLE_TASKLISTS);
    let parser = Parser::new_ext(markdown, opts);
    let mut raw = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut raw, parser);
    ammonia::Builder::default()
        .link_rel(Some("noopener noreferrer nofollow"))
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .clean(&raw)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn markdown_is_rendered() {
        let h = render("**bold** and [link](https://example.com)\n\n- a\n- b");
        assert!(h.contains("<strong>bold</strong>"), "{h}");
        assert!(h.contains("href=\"https://example.com\""), "{h}");
        assert!(h.contains("rel=\"noopener noreferrer nofollow\""), "{h}");
        assert!(h.contains("<li>a</li>"), "{h}");
    }

    #[test]
    fn script_payloads_come_out_inert() {
        for payload in [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "[click](javascript:alert(1))",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<svg onload=alert(1)>",
            "<iframe src=\"https://evil.example\"></iframe>",
            "<div style=\"background:url(javascript:alert(1))\">x</div>",
        ] {
            let h = render(payload).to_lowercase();
            assert!(!h.contains("<script"), "{payload} → {h}");
            assert!(
                !h.contains("onerror") && !h.contains("onload"),
                "{payload} → {h}"
            );
            assert!(!h.contains("javascript:"), "{payload} → {h}");
            assert!(
                !h.contains("<iframe") && !h.contains("style="),
                "{payload} → {h}"
            );
        }
    }
}
