use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Result;

/// A binary tree stored in a slice: node i has children 2i+1 and 2i+2.
struct Tree<'a> {
    values: &'a [u64],
}

impl Tree<'_> {
    /// Visits the subtree under `node`, one rayon task per child.
    /// The tasks borrow the tree and the totals: the scope outlives them.
    fn visit<'s>(
        &'s self,
        node: usize,
        s: &rayon::Scope<'s>,
        sum: &'s AtomicU64,
        tasks: &'s AtomicU64,
    ) {
        // Relaxed: totals read after the scope, which joins every task.
        sum.fetch_add(self.values[node], Ordering::Relaxed);
        for child in [2 * node + 1, 2 * node + 2] {
            if child < self.values.len() {
                tasks.fetch_add(1, Ordering::Relaxed);
                s.spawn(move |s| self.visit(child, s, sum, tasks));
            }
        }
    }
}

fn main() -> Result<()> {
    let values: Vec<u64> = (1..=1023).collect(); // a full tree, 10 levels
    let tree = Tree { values: &values };
    let (sum, tasks) = (AtomicU64::new(0), AtomicU64::new(0));
    // scope() returns only when every task spawned in it, at any depth,
    // has finished: that is what lets them borrow `tree`, `sum` and `tasks`.
    rayon::scope(|s| tree.visit(0, s, &sum, &tasks));
    println!("nodes: {}", values.len());
    println!("tasks spawned: {}", tasks.load(Ordering::Relaxed));
    println!(
        "sum: {} (expected {})",
        sum.load(Ordering::Relaxed),
        1023 * 1024 / 2
    );
    Ok(())
}
