//! docs/openapi.yaml's schemas of the platform's typed requests and answers are generated from
//! the Rust types; this keeps them equal (and writes them with HERALD_WRITE_OPENAPI=1). It lives
//! in the wire crate so that rewriting them builds nothing else (not the web app, whose type check
//! reads the document).

const BEGIN: &str = "    # BEGIN schemas generated from crates/wire";
const END: &str = "    # END schemas generated from crates/wire";

/// The platform types' schemas as docs/openapi.yaml holds them: each one's JSON (valid YAML),
/// indented under `components.schemas`.
fn generated_block() -> String {
    let mut out = String::new();
    for (name, schema) in herald_wire::platform::schemas() {
        out.push_str(&format!("    {name}:\n"));
        for line in serde_json::to_string_pretty(&schema).unwrap().lines() {
            out.push_str(&format!("      {line}\n"));
        }
    }
    out
}

/// The schemas of the platform's typed requests and answers in docs/openapi.yaml are generated
/// from the Rust types (utoipa) and must equal them: a change to a type fails here until
/// `HERALD_WRITE_OPENAPI=1 cargo test -p herald-wire --test openapi_schemas` rewrites the block
/// (and web/src/api-schema.d.ts is regenerated from the document, checked by the web tests).
#[test]
fn openapi_schemas_are_generated_from_the_types() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.yaml");
    let doc = std::fs::read_to_string(path).unwrap();
    let start = doc.find(BEGIN).expect("the generated block's BEGIN line");
    let body_start = start + doc[start..].find('\n').unwrap() + 1;
    let end = doc.find(END).expect("the generated block's END line");
    let want = generated_block();
    if doc[body_start..end] != want {
        if std::env::var_os("HERALD_WRITE_OPENAPI").is_some() {
            std::fs::write(path, format!("{}{}{}", &doc[..body_start], want, &doc[end..])).unwrap();
        } else {
            panic!("docs/openapi.yaml's generated schemas differ from crates/wire's types: run HERALD_WRITE_OPENAPI=1 cargo test -p herald-wire --test openapi_schemas");
        }
    }
}
