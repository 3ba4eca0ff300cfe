//! The callback XML: a writer for what Herald pushes (text in CDATA, numbers bare) and a small
//! tree parser for what developer servers answer.

use quick_xml::events::Event;
use quick_xml::Reader;

/// One node of a pushed message.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Text(&'static str, String),
    Num(&'static str, i64),
    Float(&'static str, f64),
    Node(&'static str, Vec<Field>),
}

fn cdata(out: &mut String, s: &str) {
    out.push_str("<![CDATA[");
    // A literal "]]>" must be split across two CDATA sections.
    out.push_str(&s.replace("]]>", "]]]]><![CDATA[>"));
    out.push_str("]]>");
}

fn write(out: &mut String, f: &Field) {
    use std::fmt::Write;
    match f {
        Field::Text(n, v) => {
            let _ = write!(out, "<{n}>");
            cdata(out, v);
            let _ = write!(out, "</{n}>");
        }
        Field::Num(n, v) => {
            let _ = write!(out, "<{n}>{v}</{n}>");
        }
        Field::Float(n, v) => {
            let _ = write!(out, "<{n}>{v}</{n}>");
        }
        Field::Node(n, children) => {
            let _ = write!(out, "<{n}>");
            for c in children {
                write(out, c);
            }
            let _ = write!(out, "</{n}>");
        }
    }
}

/// `<xml>…</xml>` of the fields, in order.
pub fn render(fields: &[Field]) -> String {
    let mut out = String::with_capacity(256);
    out.push_str("<xml>");
    for f in fields {
        write(&mut out, f);
    }
    out.push_str("</xml>");
    out
}

/// A parsed XML element: its name, its text (CDATA and text joined, trimmed), its children.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The text of a direct child, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }
}

/// The largest document either reader accepts (callback replies and v2 pay bodies are a few
/// KiB; a news reply of 8 articles stays far below this).
pub const MAX_DOC_BYTES: usize = 1 << 20;
/// The deepest nesting accepted. WeChat's documents nest four deep at most
/// (`<xml><Articles><item><Title>`); the limit keeps the tree, and dropping it, off the stack's
/// edge whatever comes in.
pub const MAX_DEPTH: usize = 16;
/// The most elements a parsed tree holds.
pub const MAX_ELEMENTS: usize = 10_000;

fn check_size(doc: &str) -> Result<(), String> {
    if doc.len() > MAX_DOC_BYTES {
        return Err(format!("the document is larger than {MAX_DOC_BYTES} bytes"));
    }
    Ok(())
}

fn too_deep() -> String {
    format!("elements nest deeper than {MAX_DEPTH}")
}

/// Parses a document into its root element. Fails on anything that is not well-formed XML,
/// and on documents over `MAX_DOC_BYTES`, nested deeper than `MAX_DEPTH` or holding more than
/// `MAX_ELEMENTS` elements, checked while it reads: no input grows the stack or the heap
/// beyond those bounds.
pub fn parse(doc: &str) -> Result<Element, String> {
    check_size(doc)?;
    let mut reader = Reader::from_str(doc);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut elements = 0usize;
    loop {
        let event = reader.read_event();
        if matches!(event, Ok(Event::Start(_) | Event::Empty(_))) {
            elements += 1;
            if elements > MAX_ELEMENTS {
                return Err(format!("more than {MAX_ELEMENTS} elements"));
            }
        }
        match event {
            Ok(Event::Start(e)) => {
                if root.is_some() {
                    return Err("content after the root element".into());
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(too_deep());
                }
                stack.push(Element { name: String::from_utf8_lossy(e.name().as_ref()).into_owned(), ..Default::default() });
            }
            Ok(Event::Empty(e)) => {
                if root.is_some() {
                    return Err("content after the root element".into());
                }
                let el = Element { name: String::from_utf8_lossy(e.name().as_ref()).into_owned(), ..Default::default() };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Ok(Event::End(_)) => {
                let mut el = stack.pop().ok_or("unbalanced end tag")?;
                el.text = el.text.trim().to_string();
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Ok(Event::Text(t)) => {
                if let Some(el) = stack.last_mut() {
                    let s = t.unescape().map_err(|e| e.to_string())?;
                    el.text.push_str(&s);
                } else if !t.iter().all(|b| b.is_ascii_whitespace()) {
                    return Err("text outside the root element".into());
                }
            }
            Ok(Event::CData(c)) => {
                if let Some(el) = stack.last_mut() {
                    el.text.push_str(&String::from_utf8_lossy(&c));
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    if !stack.is_empty() {
        return Err("unclosed element".into());
    }
    root.ok_or_else(|| "no root element".into())
}

/// The texts of the root's direct children named in `names`, read without building the tree:
/// it stops once each has been found (the first of each name counts, as with `parse` and
/// `get`). Fails on malformed XML read up to that point.
pub fn fields<const N: usize>(doc: &str, names: [&str; N]) -> Result<[Option<String>; N], String> {
    check_size(doc)?;
    let mut reader = Reader::from_str(doc);
    let mut out: [Option<String>; N] = std::array::from_fn(|_| None);
    let mut depth = 0usize;
    // The wanted child being read (its index in `names`) and its text so far.
    let mut reading: Option<(usize, String)> = None;
    let mut left = N;
    while left > 0 {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(too_deep());
                }
                if depth == 2 {
                    let name = e.name();
                    reading = names
                        .iter()
                        .position(|n| n.as_bytes() == name.as_ref())
                        .filter(|&i| out[i].is_none())
                        .map(|i| (i, String::new()));
                }
            }
            Event::Empty(e) if depth == 1 => {
                if let Some(i) = names.iter().position(|n| n.as_bytes() == e.name().as_ref()).filter(|&i| out[i].is_none()) {
                    out[i] = Some(String::new());
                    left -= 1;
                }
            }
            Event::End(_) => {
                if depth == 2 {
                    if let Some((i, text)) = reading.take() {
                        out[i] = Some(text.trim().to_string());
                        left -= 1;
                    }
                }
                depth = depth.checked_sub(1).ok_or("unbalanced end tag")?;
            }
            Event::Text(t) if depth == 2 => {
                if let Some((_, text)) = reading.as_mut() {
                    text.push_str(&t.unescape().map_err(|e| e.to_string())?);
                }
            }
            Event::CData(c) if depth == 2 => {
                if let Some((_, text)) = reading.as_mut() {
                    text.push_str(&String::from_utf8_lossy(&c));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_reads_the_roots_children_like_parse() {
        let doc = "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[ o1 ]]></FromUserName>\
                   <Node><MsgType>inner</MsgType></Node><Empty/><MsgType>te&amp;xt</MsgType><MsgType>second</MsgType></xml>";
        let tree = parse(doc).unwrap();
        let [from, ty, empty, missing] = fields(doc, ["FromUserName", "MsgType", "Empty", "Missing"]).unwrap();
        assert_eq!(from.as_deref(), tree.get("FromUserName"));
        assert_eq!(from.as_deref(), Some("o1"));
        assert_eq!(ty.as_deref(), Some("te&xt"), "the root's child, not the nested one; the first of its name");
        assert_eq!(ty.as_deref(), tree.get("MsgType"));
        assert_eq!(empty.as_deref(), Some(""));
        assert_eq!(missing, None);
        assert!(fields("<xml><A>1</B></xml>", ["A"]).is_err());
        // It stops once all are found: what follows is not read.
        assert_eq!(fields("<xml><A>1</A><", ["A"]).unwrap()[0].as_deref(), Some("1"));
    }

    #[test]
    fn renders_like_wechat() {
        let x = render(&[
            Field::Text("ToUserName", "gh_1".into()),
            Field::Num("CreateTime", 1348831860),
            Field::Text("Content", "a ]]> b".into()),
            Field::Node("SendLocationInfo", vec![Field::Float("Location_X", 23.5)]),
        ]);
        assert_eq!(
            x,
            "<xml><ToUserName><![CDATA[gh_1]]></ToUserName><CreateTime>1348831860</CreateTime>\
             <Content><![CDATA[a ]]]]><![CDATA[> b]]></Content>\
             <SendLocationInfo><Location_X>23.5</Location_X></SendLocationInfo></xml>"
        );
        let back = parse(&x).unwrap();
        assert_eq!(back.get("Content"), Some("a ]]> b"));
        assert_eq!(back.child("SendLocationInfo").unwrap().get("Location_X"), Some("23.5"));
    }

    #[test]
    fn parses_whitespace_entities_and_nesting() {
        let e = parse("<xml>\n  <A>x &amp; y</A>\n  <B><![CDATA[<b>]]></B><C/><D><item><T>1</T></item><item><T>2</T></item></D></xml>").unwrap();
        assert_eq!(e.get("A"), Some("x & y"));
        assert_eq!(e.get("B"), Some("<b>"));
        assert_eq!(e.get("C"), Some(""));
        assert_eq!(e.child("D").unwrap().children.len(), 2);
        let t = parse("<xml><P>  padded \n</P><Q> a <![CDATA[ b ]]> </Q><R>\t</R><S><![CDATA[  c  ]]></S></xml>").unwrap();
        assert_eq!((t.get("P"), t.get("Q"), t.get("R"), t.get("S")), (Some("padded"), Some("a  b"), Some(""), Some("c")), "texts are trimmed");
        assert!(parse("<xml><a></xml>").is_err());
        assert!(parse("{\"json\": true}").is_err());
        assert!(parse("").is_err());
    }

    /// About 350 KB of nesting once aborted the process (the tree's drop overflowed the stack).
    #[test]
    fn deep_wide_and_large_documents_are_refused_while_reading() {
        let deep = format!("<xml>{}{}</xml>", "<a>".repeat(40_000), "</a>".repeat(40_000));
        assert!(deep.len() > 280_000);
        assert_eq!(parse(&deep).unwrap_err(), too_deep());
        assert_eq!(fields(&deep, ["Missing"]).unwrap_err(), too_deep());
        // Within the depth limit, it parses.
        let ok = format!("<xml>{}x{}</xml>", "<a>".repeat(MAX_DEPTH - 1), "</a>".repeat(MAX_DEPTH - 1));
        assert!(parse(&ok).is_ok());
        let too = format!("<xml>{}x{}</xml>", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
        assert!(parse(&too).is_err());
        let wide = format!("<xml>{}</xml>", "<a/>".repeat(MAX_ELEMENTS + 1));
        assert!(parse(&wide).unwrap_err().contains("elements"));
        let large = format!("<xml><a>{}</a></xml>", "x".repeat(MAX_DOC_BYTES));
        assert!(parse(&large).unwrap_err().contains("larger"));
        assert!(fields(&large, ["a"]).unwrap_err().contains("larger"));
        assert!(parse("<xml/><xml/>").is_err(), "one root only");
    }
}
