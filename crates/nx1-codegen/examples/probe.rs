fn main() {
    let args: Vec<String> = std::env::args().collect();
    let text = std::fs::read_to_string(&args[1]).unwrap();
    let doc = nx1_codegen::load_str(&args[1], &text, args[1].ends_with(".json")).unwrap();
    match nx1_codegen::prepare(doc).and_then(|p| nx1_codegen::generate_client(&p, &Default::default())) {
        Ok(c) => { println!("OK"); if args.len() > 2 { std::fs::write(&args[2], c.code).unwrap(); } }
        Err(e) => println!("ERR {e}"),
    }
}
