//! Writes what the users'-build benchmark compares nx1-client against: a plain progenitor
//! client for the same spec. Plain progenitor cannot read OpenAPI 3.1, so it is given the
//! spec as the pipeline adapted it (`spec.json`, 3.0); `plain.rs` is progenitor's default
//! output for it, the way `cargo progenitor` vendors a client.
//! `nx1-bench-plain SPEC OUT_DIR`

use anyhow::{Context, bail};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(spec), Some(out)) = (args.next(), args.next()) else {
        bail!("usage: nx1-bench-plain SPEC OUT_DIR");
    };
    let out = std::path::PathBuf::from(out);
    let prepared = nx1_codegen::load_file(std::path::Path::new(&spec))
        .and_then(nx1_codegen::prepare)
        .with_context(|| format!("cannot prepare {spec}"))?;
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    std::fs::write(
        out.join("spec.json"),
        serde_json::to_string_pretty(&prepared.spec)?,
    )?;
    let mut generator = progenitor::Generator::default();
    let tokens = generator
        .generate_tokens(&prepared.spec)
        .context("progenitor cannot generate a client for the adapted spec")?;
    let file = syn::parse2::<syn::File>(tokens).context("progenitor's output does not parse")?;
    std::fs::write(out.join("plain.rs"), prettyplease::unparse(&file))?;
    println!(
        "plain: wrote {}/spec.json and plain.rs ({} operations)",
        out.display(),
        prepared.spec.operations().count()
    );
    Ok(())
}
