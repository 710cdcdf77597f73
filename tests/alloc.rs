//! The wasm's global allocator (Talc, src/lib.rs), as any wasm build that
//! links rewind has it, this test's included: blocks never overlap, meet
//! their alignment, keep their bytes across a realloc, and freed blocks
//! are used again rather than growing the memory. (Written for an
//! allocator of rewind's own, tried on December 5 and not kept: README,
//! "Build and size"; each test failed on a mutation of that allocator.)
#![cfg(target_arch = "wasm32")]

use std::alloc::{alloc, dealloc, realloc, Layout};

// Links rewind, and with it its #[global_allocator], into this test,
// which uses nothing else of it.
extern crate rewind;

use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// A block filled with a pattern of its own, so an overlap shows.
struct Block {
    ptr: *mut u8,
    layout: Layout,
    seed: u8,
}

impl Block {
    fn new(size: usize, align: usize, seed: u8) -> Block {
        let layout = Layout::from_size_align(size, align).unwrap();
        let ptr = unsafe { alloc(layout) };
        assert!(!ptr.is_null(), "{size} bytes aligned to {align}");
        assert_eq!(ptr as usize % align, 0, "{size} bytes aligned to {align}");
        let block = Block { ptr, layout, seed };
        block.fill();
        block
    }

    fn byte(&self, at: usize) -> u8 {
        self.seed.wrapping_add((at % 251) as u8)
    }

    fn fill(&self) {
        for at in 0..self.layout.size() {
            unsafe { *self.ptr.add(at) = self.byte(at) };
        }
    }

    fn check(&self) {
        for at in 0..self.layout.size() {
            assert_eq!(
                unsafe { *self.ptr.add(at) },
                self.byte(at),
                "block {} byte {at}",
                self.seed
            );
        }
    }

    fn free(self) {
        unsafe { dealloc(self.ptr, self.layout) };
    }
}

/// Sizes of every class the recorder uses and the edges between them.
fn sizes() -> Vec<usize> {
    let mut sizes = vec![1, 7, 8, 9, 15, 16, 17, 100, 1000, 4095, 4096, 4097, 70_000];
    sizes.extend((3..20).map(|shift| (1usize << shift) + 3));
    sizes
}

fn memory_pages() -> usize {
    core::arch::wasm32::memory_size::<0>()
}

#[wasm_bindgen_test]
fn blocks_do_not_overlap_and_meet_their_alignment() {
    let mut blocks = Vec::new();
    let mut seed = 0u8;
    for &size in &sizes() {
        for align in [1, 2, 8, 16, 64, 4096] {
            seed = seed.wrapping_add(1);
            blocks.push(Block::new(size, align, seed));
        }
    }
    for block in &blocks {
        block.check();
    }
    // Every other one freed, then the sizes again: the new blocks take the
    // freed places and must disturb none of the kept ones.
    let mut kept = Vec::new();
    for (index, block) in blocks.into_iter().enumerate() {
        if index % 2 == 0 {
            block.free();
        } else {
            kept.push(block);
        }
    }
    let mut again = Vec::new();
    for &size in &sizes() {
        seed = seed.wrapping_add(1);
        again.push(Block::new(size, 8, seed));
    }
    for block in kept.iter().chain(&again) {
        block.check();
    }
    for block in kept.into_iter().chain(again) {
        block.free();
    }
}

#[wasm_bindgen_test]
fn realloc_keeps_the_bytes_growing_and_shrinking() {
    let mut block = Block::new(10, 8, 200);
    for new_size in [12, 16, 17, 1000, 70_000, 300, 9, 3] {
        let kept = block.layout.size().min(new_size);
        let ptr = unsafe { realloc(block.ptr, block.layout, new_size) };
        assert!(!ptr.is_null());
        for at in 0..kept {
            assert_eq!(
                unsafe { *ptr.add(at) },
                block.byte(at),
                "byte {at} after realloc to {new_size}"
            );
        }
        block = Block {
            ptr,
            layout: Layout::from_size_align(new_size, 8).unwrap(),
            seed: block.seed,
        };
        block.fill();
    }
    block.free();
}

#[wasm_bindgen_test]
fn freed_blocks_are_used_again_without_growing_the_memory() {
    // One round to reach the high-water mark, then many more of the same:
    // the memory must not grow after the first.
    let round = |seed: u8| {
        let mut strings: Vec<String> = Vec::new();
        for index in 0..2000usize {
            strings.push(
                char::from(b'a' + (index % 26) as u8)
                    .to_string()
                    .repeat(index % 700 + 1),
            );
        }
        let mut big = String::new();
        for text in &strings {
            big.push_str(text);
        }
        assert_eq!(
            big.len(),
            strings.iter().map(String::len).sum::<usize>(),
            "round {seed}"
        );
    };
    round(0);
    let pages = memory_pages();
    for seed in 1..30 {
        round(seed);
    }
    assert_eq!(
        memory_pages(),
        pages,
        "the memory grew after the first round"
    );
}
