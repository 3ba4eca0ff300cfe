//! Property tests of every parser that reads outside input: callback XML and replies, v2 pay
//! XML, the AES envelope and the v3 Authorization header. Random and mutated inputs, a fixed
//! number of cases (bounded time in the test command): nothing panics, nothing a parser
//! accepts breaks its limits, and what Herald writes reads back the same.

use herald_wire::callback::crypto::MsgCrypto;
use herald_wire::callback::reply::{parse_answer, parse_reply};
use herald_wire::callback::xml::{self, Element, Field, MAX_DEPTH};
use herald_wire::pay::auth::AuthHeader;
use herald_wire::pay::v2;
use proptest::prelude::*;

fn depth(e: &Element) -> usize {
    1 + e.children.iter().map(depth).max().unwrap_or(0)
}

/// Pieces XML is made of, including broken and hostile ones, joined at random.
fn xmlish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("<xml>".to_string()),
        Just("</xml>".to_string()),
        Just("<a>".to_string()),
        Just("</a>".to_string()),
        Just("<b/>".to_string()),
        Just("<![CDATA[".to_string()),
        Just("]]>".to_string()),
        Just("&amp;".to_string()),
        Just("&#x1F600;".to_string()),
        Just("&#0;".to_string()),
        Just("&bogus;".to_string()),
        Just("<!DOCTYPE x [<!ENTITY e \"eeeeeeeeee\">]>".to_string()),
        Just("&e;".to_string()),
        Just("<?xml version=\"1.0\"?>".to_string()),
        Just("<!-- c -->".to_string()),
        Just("<ToUserName>".to_string()),
        Just("</ToUserName>".to_string()),
        Just("<MsgType>text</MsgType>".to_string()),
        Just("<Encrypt>".to_string()),
        "[a-zA-Z0-9 <>/=\"'&;!\\[\\]\u{feff}\u{0}-\u{1f}]{0,12}",
        "\\PC{0,8}",
    ];
    prop::collection::vec(piece, 0..64).prop_map(|v| v.concat())
}

/// Deeply nested documents with random depth around the limit.
fn nested() -> impl Strategy<Value = String> {
    (0usize..200, "[a-z]{1,3}").prop_map(|(n, name)| format!("<xml>{}x{}</xml>", format!("<{name}>").repeat(n), format!("</{name}>").repeat(n)))
}

fn field_name() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["ToUserName", "FromUserName", "CreateTime", "MsgType", "Content", "MsgId", "Event", "return_code", "mch_billno"])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn xml_parsers_never_panic_and_respect_their_limits(doc in prop_oneof![xmlish(), nested(), "\\PC{0,200}"]) {
        if let Ok(root) = xml::parse(&doc) {
            prop_assert!(depth(&root) <= MAX_DEPTH);
        }
        let _ = xml::fields(&doc, ["ToUserName", "MsgType"]);
        if let Ok(f) = v2::parse(&doc) {
            prop_assert!(f.len() <= xml::MAX_ELEMENTS);
        }
        let _ = parse_answer(&doc);
        let _ = parse_reply(&doc);
    }

    #[test]
    fn what_herald_writes_reads_back(fields in prop::collection::vec((field_name(), "\\PC{0,40}"), 0..12)) {
        let list: Vec<Field> = fields.iter().map(|(n, v)| Field::Text(n, v.clone())).collect();
        let doc = xml::render(&list);
        let root = xml::parse(&doc).unwrap();
        prop_assert_eq!(root.children.len(), fields.len());
        for (child, (name, value)) in root.children.iter().zip(&fields) {
            prop_assert_eq!(&child.name, name);
            prop_assert_eq!(&child.text, value.trim());
        }
        let first = fields.iter().find(|(n, _)| *n == "MsgType").map(|(_, v)| v.trim().to_string());
        prop_assert_eq!(xml::fields(&doc, ["MsgType"]).unwrap()[0].clone(), first);
    }

    #[test]
    fn the_aes_envelope_never_panics_and_round_trips(msg in "\\PC{0,300}", junk in "[A-Za-z0-9+/=]{0,200}", bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let c = MsgCrypto::new("abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG", "wx1234").unwrap();
        prop_assert_eq!(c.decrypt(&c.encrypt(&msg)).unwrap(), msg);
        let _ = c.decrypt(&junk);
        use base64::Engine;
        let _ = c.decrypt(&base64::engine::general_purpose::STANDARD.encode(&bytes));
        // Another account's key never yields a message.
        let other = MsgCrypto::new("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdefg", "wx1234").unwrap();
        prop_assert!(other.decrypt(&c.encrypt("hello")).is_err());
    }

    #[test]
    fn the_v3_authorization_header_never_panics_and_round_trips(
        raw in "\\PC{0,200}",
        soup in prop::collection::vec(prop_oneof![Just("WECHATPAY2-SHA256-RSA2048 ".to_string()), Just("mchid=".to_string()), Just("\"".to_string()), Just(",".to_string()), Just("nonce_str=".to_string()), Just("timestamp=".to_string()), "[a-z0-9 =\",]{0,10}"], 0..20),
        mchid in "[0-9]{1,12}", nonce in "[A-Z0-9]{1,32}", sig in "[A-Za-z0-9+/=]{1,64}", ts in 0i64..4_000_000_000, serial in "[A-F0-9]{1,40}",
    ) {
        let _ = AuthHeader::parse(&raw);
        let _ = AuthHeader::parse(&soup.concat());
        let h = AuthHeader { mchid, nonce_str: nonce, signature: sig, timestamp: ts.to_string(), serial_no: serial };
        prop_assert_eq!(AuthHeader::parse(&h.render()).unwrap(), h);
    }
}
