//! The *parse limit*: what kubepatrol would cost if checking and reporting were free. It walks
//! the same way, reads every file and builds the same span-carrying trees with the same parser,
//! in parallel, then only prints how many documents it built.

use kubepatrol::{discover, load};

fn main() {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    let paths = if paths.is_empty() {
        vec![".".to_owned()]
    } else {
        paths
    };
    let discovery = discover::discover(&paths, &discover::DiscoverOptions::default());
    let loaded = load::load(&discovery.inputs, load::LoadLimits::default());
    let documents: usize = loaded.files.iter().map(|file| file.documents.len()).sum();
    println!("{} files, {documents} documents", discovery.inputs.len());
}
