//! `cargo run -p herald-mp --example compile -- DIR`: compiles a package directory and prints
//! the result as JSON (or its errors), for trying the compilers by hand.
fn main() {
    let dir = std::env::args().nth(1).expect("usage: compile DIR");
    let files = herald_mp::read_dir(std::path::Path::new(&dir)).expect("reading the package");
    match herald_mp::compile(&files) {
        Ok(c) => println!("{}", serde_json::to_string_pretty(&c).unwrap_or_default()),
        Err(errs) => {
            for e in errs {
                eprintln!("{e}");
            }
            std::process::exit(1);
        }
    }
}
