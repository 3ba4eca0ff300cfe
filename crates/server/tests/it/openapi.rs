//! docs/openapi.yaml must describe exactly the routes the server registers.

use std::collections::BTreeSet;

#[test]
fn openapi_matches_routes() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.yaml");
    let doc: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut documented = BTreeSet::new();
    for (p, item) in doc["paths"].as_mapping().expect("paths").iter() {
        for (m, _) in item.as_mapping().unwrap() {
            let m = m.as_str().unwrap().to_uppercase();
            if ["GET", "POST", "PUT", "DELETE", "PATCH"].contains(&m.as_str()) {
                documented.insert((m, p.as_str().unwrap().to_string()));
            }
        }
    }
    let served: BTreeSet<(String, String)> =
        herald_server::routes::ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    let undocumented: Vec<_> = served.difference(&documented).collect();
    let unserved: Vec<_> = documented.difference(&served).collect();
    assert!(undocumented.is_empty(), "routes missing from docs/openapi.yaml: {undocumented:?}");
    assert!(unserved.is_empty(), "docs/openapi.yaml documents routes the server lacks: {unserved:?}");
}

/// Every `$ref` in the document names a schema, parameter or response it has.
#[test]
fn openapi_refs_resolve() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/openapi.yaml");
    let doc: serde_yaml::Value = serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    fn refs(v: &serde_yaml::Value, out: &mut BTreeSet<String>) {
        match v {
            serde_yaml::Value::Mapping(m) => {
                for (k, v) in m {
                    if k.as_str() == Some("$ref") {
                        out.insert(v.as_str().unwrap_or_default().to_string());
                    }
                    refs(v, out);
                }
            }
            serde_yaml::Value::Sequence(s) => s.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    let mut all = BTreeSet::new();
    refs(&doc, &mut all);
    assert!(all.len() > 20, "{all:?}");
    let missing: Vec<_> = all
        .iter()
        .filter(|r| {
            let parts: Vec<&str> = r.trim_start_matches("#/").split('/').collect();
            parts.iter().try_fold(&doc, |v, p| v.get(*p)).is_none()
        })
        .collect();
    assert!(missing.is_empty(), "unresolved $refs: {missing:?}");
}
