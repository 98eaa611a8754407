use std::thread;

use anyhow::{Context, Result};

fn main() -> Result<()> {
    let worker = thread::Builder::new()
        .name("doomed".to_owned())
        .spawn(|| -> u32 {
            let empty: Vec<u32> = Vec::new();
            empty[0] // index out of bounds: this thread panics
        })
        .context("cannot spawn")?;

    // join() reports the panic as an Err carrying the panic's payload.
    match worker.join() {
        Ok(value) => println!("the worker returned {value}"),
        Err(payload) => {
            let message = payload
                .downcast_ref::<String>()
                .map(String::as_str)
                .unwrap_or("(not a string)");
            println!(
                "join() returned Err: the worker panicked with {message:?}"
            );
        }
    }
    println!("main is still running, and exits normally");
    Ok(())
}
