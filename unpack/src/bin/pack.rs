//! The packer: `pack STREAMS < image > packed` (scripts/pack-wasm.mjs runs
//! it at build time). STREAMS is the number of stream lengths in the
//! image's header.
use std::io::{Read, Write};

fn main() {
    let streams: usize = match std::env::args().nth(1).map(|arg| arg.parse()) {
        Some(Ok(streams)) => streams,
        _ => {
            eprintln!("usage: pack STREAMS < image > packed (STREAMS: the number of stream lengths in the image's header)");
            std::process::exit(2);
        }
    };
    let mut image = Vec::new();
    std::io::stdin()
        .read_to_end(&mut image)
        .expect("pack: could not read the image from stdin");
    if image.is_empty() || image.len() > rewind_unpack::MAX_SIZE {
        eprintln!(
            "pack: the image is {} bytes; it must be 1 to {} bytes",
            image.len(),
            rewind_unpack::MAX_SIZE
        );
        std::process::exit(1);
    }
    let packed = rewind_unpack::pack(&image, streams);
    std::io::stdout()
        .write_all(&packed)
        .expect("pack: could not write the packed image to stdout");
}
