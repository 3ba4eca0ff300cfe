//! Article HTML, made safe: an allow-list of the tags, attributes and style properties that
//! WeChat articles use (WeChat's own editor writes sections, spans and inline styles), links
//! and images only on http(s), and nothing that runs. Applied when an article is stored and
//! again when it is rendered, so a stored article written before this rule (or edited in the
//! database) is still served clean.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use ammonia::{Builder, UrlRelative};

const TAGS: &[&str] = &[
    "a", "abbr", "b", "big", "blockquote", "br", "caption", "center", "code", "col", "colgroup", "dd", "del", "div", "dl", "dt", "em",
    "figcaption", "figure", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "ins", "li", "mark", "ol", "p", "pre", "q", "s",
    "section", "small", "span", "strike", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
];

/// Attributes any allowed tag may carry.
const GENERIC_ATTRIBUTES: &[&str] = &["style", "class", "title", "align", "lang", "dir", "data-tools", "data-id", "data-role"];

/// Style properties kept; any other is dropped (no positioning, no `url(...)` backgrounds).
const STYLE_PROPERTIES: &[&str] = &[
    "color", "background-color", "font-size", "font-weight", "font-style", "font-family", "text-align", "text-decoration",
    "text-indent", "line-height", "letter-spacing", "word-spacing", "white-space", "word-break", "overflow-wrap", "margin",
    "margin-top", "margin-right", "margin-bottom", "margin-left", "padding", "padding-top", "padding-right", "padding-bottom",
    "padding-left", "border", "border-top", "border-right", "border-bottom", "border-left", "border-color", "border-style",
    "border-width", "border-radius", "border-collapse", "width", "max-width", "min-width", "height", "max-height", "min-height",
    "display", "vertical-align", "box-sizing", "list-style-type", "text-shadow", "opacity",
];

fn builder() -> &'static Builder<'static> {
    static B: OnceLock<Builder<'static>> = OnceLock::new();
    B.get_or_init(|| {
        let mut tag_attributes: HashMap<&'static str, HashSet<&'static str>> = HashMap::new();
        tag_attributes.insert("a", ["href"].into());
        tag_attributes.insert("img", ["src", "data-src", "alt", "width", "height", "data-ratio", "data-w", "data-type"].into());
        tag_attributes.insert("td", ["colspan", "rowspan", "width", "valign"].into());
        tag_attributes.insert("th", ["colspan", "rowspan", "width", "valign"].into());
        tag_attributes.insert("col", ["span", "width"].into());
        tag_attributes.insert("ol", ["start", "type"].into());
        tag_attributes.insert("font", ["color", "size", "face"].into());
        tag_attributes.insert("table", ["width", "border", "cellpadding", "cellspacing"].into());
        let mut b = Builder::default();
        b.tags(TAGS.iter().copied().collect())
            .clean_content_tags(["script", "style", "iframe", "object", "embed", "template", "noscript", "svg", "math"].into())
            .generic_attributes(GENERIC_ATTRIBUTES.iter().copied().collect())
            .tag_attributes(tag_attributes)
            .filter_style_properties(STYLE_PROPERTIES.iter().copied().collect())
            .url_schemes(["http", "https"].into())
            .url_relative(UrlRelative::Deny)
            .link_rel(Some("noopener noreferrer nofollow"))
            // WeChat's lazy images name their source in data-src; it must obey the same
            // scheme rule as src.
            .attribute_filter(|_, attr, value| {
                if attr == "data-src" && !is_http_url(value) {
                    None
                } else {
                    Some(value.into())
                }
            });
        b
    })
}

/// Article HTML with everything outside the allow-list removed.
pub fn article_html(html: &str) -> String {
    builder().clean(html).to_string()
}

/// Is `url` an absolute http(s) URL (the only links an article may carry)?
pub fn is_http_url(url: &str) -> bool {
    match url::Url::parse(url.trim()) {
        Ok(u) => matches!(u.scheme(), "http" | "https") && u.host().is_some(),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every way a hostile tester ran script in an article on the old filter.
    #[test]
    fn nothing_that_runs_survives() {
        let attacks = [
            "<img src=x onerror=alert(1)>",
            "<img src=\"https://a.example/x.png\" onload=\"fetch('/pay')\">",
            "<svg onload=alert(1)><circle/></svg>",
            "<iframe src=\"javascript:alert(1)\"></iframe>",
            "<a href=\"javascript:alert(1)\">x</a>",
            "<a href=\" JaVaScRiPt:alert(1)\">x</a>",
            "<a href=\"data:text/html,<script>alert(1)</script>\">x</a>",
            "<scr<script></script>ipt>alert(1)</script>",
            "<script>alert(1)</script>",
            "<body onload=alert(1)>",
            "<details open ontoggle=alert(1)>",
            "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
            "<form action=\"/pay/cashier\" method=post><button>Pay</button></form>",
            "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
            "<object data=\"javascript:alert(1)\"></object>",
            "<embed src=\"javascript:alert(1)\">",
            "<base href=\"javascript:/\">",
            "<link rel=stylesheet href=\"https://evil.example/x.css\">",
            "<img data-src=\"javascript:alert(1)\">",
            "<p style=\"background:url(javascript:alert(1));position:fixed;top:0\">x</p>",
            "<a href=\"/herald/v1/users\">relative</a>",
            "<input autofocus onfocus=alert(1)>",
            "<video><source onerror=alert(1)></video>",
        ];
        for a in attacks {
            let out = article_html(a).to_ascii_lowercase();
            for bad in ["<script", "onerror", "onload", "ontoggle", "onfocus", "javascript:", "<svg", "<iframe", "<form", "<meta", "<object", "<embed", "<base", "<link", "data:text", "position", "url(", "<input", "href=\"/"] {
                assert!(!out.contains(bad), "{a:?} left {bad:?} in {out:?}");
            }
        }
    }

    #[test]
    fn what_articles_use_is_kept() {
        let html = "<section style=\"text-align:center;color:#333\"><p><strong>Hi</strong> <em>there</em><br><span style=\"font-size:15px\">x</span></p>\
                    <img src=\"https://cdn.example/a.png\" data-src=\"https://cdn.example/a.png\" alt=\"a\" width=\"100\">\
                    <a href=\"https://shop.example/p?id=1\">shop</a><table><tbody><tr><td colspan=\"2\">c</td></tr></tbody></table></section>";
        let out = article_html(html);
        for kept in ["<section style=\"text-align:center;color:#333\">", "<strong>Hi</strong>", "<em>there</em>", "<br>", "font-size:15px",
                     "src=\"https://cdn.example/a.png\"", "data-src=\"https://cdn.example/a.png\"", "href=\"https://shop.example/p?id=1\"",
                     "rel=\"noopener noreferrer nofollow\"", "colspan=\"2\""] {
            assert!(out.contains(kept), "{kept:?} missing from {out}");
        }
        assert_eq!(article_html(&out), out, "cleaning is idempotent");
    }

    #[test]
    fn only_http_urls() {
        assert!(is_http_url("https://shop.example/x"));
        assert!(is_http_url("http://127.0.0.1:8080/"));
        for bad in ["javascript:alert(1)", "data:text/html,x", "/relative", "//evil.example", "ftp://x.example", "", "https://"] {
            assert!(!is_http_url(bad), "{bad}");
        }
    }
}
