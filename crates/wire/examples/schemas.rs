fn main() {
    println!("{}", serde_json::to_string_pretty(&herald_wire::platform::schemas()).unwrap());
}
