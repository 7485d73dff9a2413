//! Loading a saved model in another program: label one article file and print, for each
//! quote, who said it and where they stand.
//!
//! ```text
//! cargo run --example label_file -- models/default data/articles/000_43da77a679854bc7.txt
//! ```

use stance::input::{read_text_file, InputOptions};
use stance::pipeline::Pipeline;
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [model_dir, article_path] = args.as_slice() else {
        eprintln!("usage: label_file MODEL_DIR ARTICLE.txt");
        return ExitCode::from(2);
    };
    // Loading checks the model's format version, checksums and topic set.
    let pipeline = match Pipeline::load(model_dir) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("cannot load model: {e}");
            return ExitCode::from(2);
        }
    };
    let article = match read_text_file(Path::new(article_path), &InputOptions::default()) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("cannot read article: {e}");
            return ExitCode::from(1);
        }
    };
    for q in pipeline.label(&article) {
        let speaker = q.quote.speaker.as_deref().unwrap_or("(unknown)");
        let topics: Vec<String> = q
            .topics
            .iter()
            .map(|(topic, label)| format!("{topic}={}", label.stance))
            .collect();
        let tone = q
            .sentiment
            .as_ref()
            .map(|s| s.label.to_string())
            .unwrap_or_default();
        println!(
            "{speaker}\t[{}]\t{tone}\t{}",
            topics.join(" "),
            q.quote.text
        );
    }
    ExitCode::SUCCESS
}
