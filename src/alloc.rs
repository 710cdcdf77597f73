//! rewind's allocator in the wasm: blocks in power-of-two size classes,
//! each class with a free list, cut from memory the module grows.
//!
//! Why not Talc (or Rust's default dlmalloc): the download. Talc was 0.8
//! KB of the wasm's gzip (dlmalloc 2.4 KB); this is about a fifth of
//! that. What it gives up is coalescing: a freed block is reused for its
//! class only. The recorder's allocations suit that: its vectors and
//! strings grow by doubling, so their capacities are powers of two
//! already, and each phase (a snapshot, a mutation batch, a chunk) repeats
//! the sizes of the one before. `npm run soak` checks that the memory
//! stops growing over a long session, and `npm run bench` reports the
//! wasm memory of every scenario.
//!
//! The module is single-threaded (no `atomics`), so the state needs no
//! lock; lib.rs installs this only then.

use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr::null_mut;

/// One class per power of two from 8 bytes (which a free block needs for
/// the next one's address) to 2^31, half of a 32-bit memory.
const CLASSES: usize = 32;
const WASM_PAGE: usize = 65536;

pub struct SizeClasses {
    state: UnsafeCell<State>,
}

struct State {
    /// Each class's first free block (0: none).
    free: [usize; CLASSES],
    /// Where the next new block is cut, and the end of the grown memory
    /// it is cut from.
    next: usize,
    end: usize,
}

// SAFETY: only built for single-threaded wasm (lib.rs), where no two calls
// overlap.
unsafe impl Sync for SizeClasses {}

impl SizeClasses {
    pub const fn new() -> Self {
        SizeClasses {
            state: UnsafeCell::new(State {
                free: [0; CLASSES],
                next: 0,
                end: 0,
            }),
        }
    }
}

/// A layout's block size and class: the power of two at or above its size
/// and alignment, at least 8 bytes, and its log2. (Quarter steps between
/// the powers, a block at most a quarter larger than what it holds, took
/// the soak's wasm memory to 4.1 MB against 2.75: more classes strand more
/// freed blocks.)
fn block_of(layout: Layout) -> Option<(usize, usize)> {
    let size = layout.size().max(layout.align()).max(8);
    let class = (usize::BITS - (size - 1).leading_zeros()) as usize;
    (class < CLASSES).then(|| (1 << class, class))
}

unsafe impl GlobalAlloc for SizeClasses {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let Some((size, class)) = block_of(layout) else {
            return null_mut();
        };
        // SAFETY: no other call runs at the same time (see `Sync`).
        let state = unsafe { &mut *self.state.get() };
        let align = layout.align().max(8);
        let head = state.free[class];
        // A free block is 8-aligned; a rarer, larger alignment takes a new
        // block unless this one happens to meet it.
        if head != 0 && head & (align - 1) == 0 {
            // SAFETY: a free block's first word is the next free block.
            state.free[class] = unsafe { *(head as *const usize) };
            return head as *mut u8;
        }
        let mut start = (state.next + align - 1) & !(align - 1);
        loop {
            // (Past 4 GiB no memory could hold it.)
            let Some(block_end) = start.checked_add(size) else {
                return null_mut();
            };
            if block_end <= state.end {
                break;
            }
            let pages = (block_end - state.end).div_ceil(WASM_PAGE);
            let previous = core::arch::wasm32::memory_grow::<0>(pages);
            if previous == usize::MAX {
                return null_mut();
            }
            let grown_from = previous * WASM_PAGE;
            if grown_from != state.end {
                // Not right after what this allocator had (its first
                // growth): blocks are cut from the new memory.
                start = (grown_from + align - 1) & !(align - 1);
            }
            state.end = grown_from + pages * WASM_PAGE;
        }
        state.next = start + size;
        start as *mut u8
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as in `alloc`; `ptr` is a block of this class, no longer
        // used, so its first word may hold the list.
        let state = unsafe { &mut *self.state.get() };
        let Some((_, class)) = block_of(layout) else {
            return;
        };
        unsafe { *(ptr as *mut usize) = state.free[class] };
        state.free[class] = ptr as usize;
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's layout rules, with the alignment kept.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // The block already holds any size of its class.
        if block_of(new_layout) == block_of(layout) {
            return ptr;
        }
        let moved = unsafe { self.alloc(new_layout) };
        if !moved.is_null() {
            unsafe {
                core::ptr::copy_nonoverlapping(ptr, moved, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
        }
        moved
    }
}
