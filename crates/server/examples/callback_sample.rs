//! Prints a wrk script that POSTs one safe-mode callback (a follower's text message, encrypted
//! and signed as Herald sends it) to a developer server; `bench/echo_floor.sh` drives
//! `herald echo-server` with it to measure the developer server on its own.
//!
//!   callback_sample <token> <encoding_aes_key> <appid>

use herald_wire::callback::crypto::{msg_signature, signature, MsgCrypto};
use herald_wire::callback::xml::{render, Field};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (token, key, appid) = (&args[1], &args[2], &args[3]);
    let crypto = MsgCrypto::new(key, appid).expect("EncodingAESKey");
    let message = render(&[
        Field::Text("ToUserName", "gh_0123456789ab".into()),
        Field::Text("FromUserName", "o_bench_follower_0000000000".into()),
        Field::Num("CreateTime", 1_700_000_000),
        Field::Text("MsgType", "text".into()),
        Field::Text("Content", "message 1".into()),
        Field::Num("MsgId", 1_000_000_001),
    ]);
    let (ts, nonce) = ("1700000000", "1234567");
    let encrypt = crypto.encrypt(&message);
    let body = render(&[Field::Text("ToUserName", "gh_0123456789ab".into()), Field::Text("Encrypt", encrypt.clone())]);
    let path = format!(
        "/wx?signature={}&timestamp={ts}&nonce={nonce}&openid=o_bench_follower_0000000000&encrypt_type=aes&msg_signature={}",
        signature(token, ts, nonce),
        msg_signature(token, ts, nonce, &encrypt)
    );
    println!("wrk.method = \"POST\"\nwrk.path = \"{path}\"\nwrk.body = [==[{body}]==]\nwrk.headers[\"Content-Type\"] = \"text/xml\"");
}
