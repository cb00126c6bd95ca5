fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let doc = nx1_codegen::load_file(std::path::Path::new(&args[1]))?;
    let prepared = nx1_codegen::prepare(doc)?;
    for n in &prepared.notes { eprintln!("note: {}: {}", n.pointer, n.message); }
    let code = nx1_codegen::generate_client(&prepared, &Default::default())?;
    std::fs::write(&args[2], code)?;
    Ok(())
}
