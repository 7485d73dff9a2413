//! The open-addressing map from an xxh3 key to a `u32` (a vocabulary column, an embedding
//! row) that the vectorizer and the embedding table look words up in.
//!
//! Linear probing over a power-of-two array of `(key, value)` slots, so that a lookup usually
//! touches a single cache line (vocabularies outgrow the CPU caches, and lookups are the hot
//! path's main cost). Keys are xxh3 hashes, so their low bits index the array directly. Never
//! iterated into outputs.

use super::vectorize::prefetch_read;

/// Value marking an empty slot (stored values are < `u32::MAX`).
pub(crate) const EMPTY: u32 = u32::MAX;

#[derive(Clone, Default)]
pub(crate) struct KeyTable {
    slots: Vec<(u64, u32)>,
    mask: usize,
}

impl KeyTable {
    /// An empty table of at least `min_slots` slots (the caller picks its load factor).
    pub(crate) fn with_min_slots(min_slots: usize) -> KeyTable {
        let cap = min_slots.next_power_of_two().max(16);
        KeyTable {
            slots: vec![(0, EMPTY); cap],
            mask: cap - 1,
        }
    }

    /// Inserts `key → value`; on a key already present returns its value. The table must
    /// have a free slot and `value` must not be [`EMPTY`].
    pub(crate) fn insert(&mut self, key: u64, value: u32) -> Result<(), u32> {
        let mut i = key as usize & self.mask;
        loop {
            let (k, v) = self.slots[i];
            if v == EMPTY {
                self.slots[i] = (key, value);
                return Ok(());
            }
            if k == key {
                return Err(v);
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Hints the CPU to start loading the slot of `key`; lookups are cache misses on large
    /// vocabularies, and issuing them ahead overlaps their latency.
    #[inline]
    pub(crate) fn prefetch(&self, key: u64) {
        if let Some(slot) = self.slots.get(key as usize & self.mask) {
            prefetch_read(slot);
        }
    }

    /// The value of `key`, if it is in the table.
    #[inline]
    pub(crate) fn get(&self, key: u64) -> Option<u32> {
        if self.slots.is_empty() {
            return None; // a `Default` table
        }
        let mut i = key as usize & self.mask;
        loop {
            let (k, v) = self.slots[i];
            if v == EMPTY {
                return None;
            }
            if k == key {
                return Some(v);
            }
            i = (i + 1) & self.mask;
        }
    }
}
