//! Hash maps and sets keyed by node ids and DOM keys: `u32`s that rewind
//! assigns, so nothing a page controls.
//!
//! Why not std's `HashMap`: hashbrown's code is instantiated once per value
//! type, and rewind has five (about 5 KB of wasm code). Here everything
//! that probes, grows or shifts works on `u32`s only and is compiled once;
//! what depends on the value type is a `Vec<V>` push, `swap_remove` and
//! index.
//!
//! Layout: entries are dense (`keys[i]` with `values[i]`), and an open
//! addressing index with linear probing maps a key to its entry. A slot
//! holds the entry's position plus one (0 is an empty slot). The index is
//! kept at most half full, so a probe is short, and removal shifts the
//! following slots back instead of leaving tombstones, so a map that has
//! seen many removals probes as fast as a new one. Removing an entry moves
//! the last entry into its place (`swap_remove`), so iteration order is not
//! insertion order; nothing that uses these maps lets their order reach
//! the output.

use std::marker::PhantomData;

/// A key these tables can hold: a small integer, as `u32`.
pub trait IdKey: Copy {
    fn to_u32(self) -> u32;
    fn from_u32(number: u32) -> Self;
}

impl IdKey for u32 {
    fn to_u32(self) -> u32 {
        self
    }

    fn from_u32(number: u32) -> Self {
        number
    }
}

/// The in-memory DOM of the tests keys its nodes by index.
#[cfg(test)]
impl IdKey for usize {
    fn to_u32(self) -> u32 {
        u32::try_from(self).unwrap_or(u32::MAX)
    }

    fn from_u32(number: u32) -> Self {
        number as usize
    }
}

/// The value-independent half of a table: entry keys and the index.
#[derive(Default)]
struct KeyIndex {
    /// 0: empty; n: the entry at `n - 1`. Its length is 0 or a power of two.
    slots: Vec<u32>,
    /// Each entry's key, in entry order.
    keys: Vec<u32>,
}

/// Where a key is, or where it would go.
enum Probe {
    /// The entry's position in `keys`.
    Found(usize),
    /// The empty slot that ends the key's probe (`usize::MAX`: no slots yet).
    Vacant(usize),
}

impl KeyIndex {
    /// The slot where `key`'s probe starts: Fibonacci hashing, which takes
    /// the top bits of a multiply, so ids that differ in their low bits
    /// (consecutive ones) spread over the whole index.
    fn home(&self, key: u32) -> usize {
        let mixed = u64::from(key.wrapping_mul(0x9E37_79B9));
        ((mixed * self.slots.len() as u64) >> 32) as usize
    }

    fn probe(&self, key: u32) -> Probe {
        if self.slots.is_empty() {
            return Probe::Vacant(usize::MAX);
        }
        let mask = self.slots.len() - 1;
        let mut slot = self.home(key);
        loop {
            match self.slots[slot] {
                0 => return Probe::Vacant(slot),
                entry if self.keys[entry as usize - 1] == key => {
                    return Probe::Found(entry as usize - 1)
                }
                _ => slot = (slot + 1) & mask,
            }
        }
    }

    /// The slot that points at `entry`, which must be in the index.
    fn slot_of(&self, entry: usize) -> usize {
        let mask = self.slots.len() - 1;
        let mut slot = self.home(self.keys[entry]);
        while self.slots[slot] as usize != entry + 1 {
            slot = (slot + 1) & mask;
        }
        slot
    }

    /// Adds `key`, which is not in the index, as the last entry; `vacant`
    /// is what `probe` returned for it.
    fn push(&mut self, key: u32, vacant: usize) {
        let mut slot = vacant;
        // At most half full after this push.
        if (self.keys.len() + 1) * 2 > self.slots.len() {
            self.grow();
            slot = match self.probe(key) {
                Probe::Vacant(slot) => slot,
                Probe::Found(_) => return,
            };
        }
        self.keys.push(key);
        self.slots[slot] = self.keys.len() as u32;
    }

    fn grow(&mut self) {
        let size = (self.slots.len() * 2).max(8);
        self.slots.clear();
        self.slots.resize(size, 0);
        let mask = size - 1;
        for (entry, &key) in self.keys.iter().enumerate() {
            let mut slot = self.home(key);
            while self.slots[slot] != 0 {
                slot = (slot + 1) & mask;
            }
            self.slots[slot] = entry as u32 + 1;
        }
    }

    /// Takes `entry` out of the index and out of `keys`, moving the last
    /// entry into its position (as the caller's `swap_remove` does with
    /// the values).
    fn remove(&mut self, entry: usize) {
        let mask = self.slots.len() - 1;
        // Backward shift: each slot after the hole, up to the next empty
        // one, moves into the hole unless its key's home lies cyclically
        // after the hole and at or before the slot itself (then moving it
        // would put it before its home, where a probe never looks).
        let mut hole = self.slot_of(entry);
        let mut slot = hole;
        loop {
            slot = (slot + 1) & mask;
            let occupant = self.slots[slot];
            if occupant == 0 {
                break;
            }
            let home = self.home(self.keys[occupant as usize - 1]);
            let stays = if hole < slot {
                hole < home && home <= slot
            } else {
                hole < home || home <= slot
            };
            if !stays {
                self.slots[hole] = occupant;
                hole = slot;
            }
        }
        self.slots[hole] = 0;
        let last = self.keys.len() - 1;
        if entry != last {
            let moved = self.slot_of(last);
            self.slots[moved] = entry as u32 + 1;
        }
        self.keys.swap_remove(entry);
    }

    fn clear(&mut self) {
        self.keys.clear();
        self.slots.fill(0);
    }
}

/// A map from node ids or DOM keys to `V` (see the module's notes).
pub struct IdMap<K, V> {
    index: KeyIndex,
    values: Vec<V>,
    key: PhantomData<K>,
}

impl<K, V> Default for IdMap<K, V> {
    fn default() -> Self {
        IdMap {
            index: KeyIndex::default(),
            values: Vec::new(),
            key: PhantomData,
        }
    }
}

impl<K: IdKey, V> IdMap<K, V> {
    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    pub fn get(&self, key: &K) -> Option<&V> {
        match self.index.probe(key.to_u32()) {
            Probe::Found(entry) => Some(&self.values[entry]),
            Probe::Vacant(_) => None,
        }
    }

    pub fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        match self.index.probe(key.to_u32()) {
            Probe::Found(entry) => Some(&mut self.values[entry]),
            Probe::Vacant(_) => None,
        }
    }

    pub fn contains_key(&self, key: &K) -> bool {
        matches!(self.index.probe(key.to_u32()), Probe::Found(_))
    }

    /// Sets `key`'s value; true when the key was not there before.
    pub fn insert(&mut self, key: K, value: V) -> bool {
        let key = key.to_u32();
        match self.index.probe(key) {
            Probe::Found(entry) => {
                self.values[entry] = value;
                false
            }
            Probe::Vacant(slot) => {
                self.index.push(key, slot);
                self.values.push(value);
                true
            }
        }
    }

    /// `key`'s value, inserting `value` first when the key is not there.
    pub fn get_or_insert(&mut self, key: K, value: V) -> &mut V {
        let key = key.to_u32();
        let entry = match self.index.probe(key) {
            Probe::Found(entry) => entry,
            Probe::Vacant(slot) => {
                self.index.push(key, slot);
                self.values.push(value);
                self.values.len() - 1
            }
        };
        &mut self.values[entry]
    }

    pub fn remove(&mut self, key: &K) -> Option<V> {
        match self.index.probe(key.to_u32()) {
            Probe::Found(entry) => {
                self.index.remove(entry);
                Some(self.values.swap_remove(entry))
            }
            Probe::Vacant(_) => None,
        }
    }

    /// Keeps only the entries for which `keep` returns true.
    pub fn retain(&mut self, mut keep: impl FnMut(K, &mut V) -> bool) {
        // From the end: a removal moves the last entry, already visited,
        // into the position just decided.
        let mut entry = self.values.len();
        while entry > 0 {
            entry -= 1;
            if !keep(K::from_u32(self.index.keys[entry]), &mut self.values[entry]) {
                self.index.remove(entry);
                self.values.swap_remove(entry);
            }
        }
    }

    /// The keys, in no meaningful order.
    pub fn keys(&self) -> impl Iterator<Item = K> + '_ {
        self.index.keys.iter().map(|&key| K::from_u32(key))
    }

    pub fn clear(&mut self) {
        self.index.clear();
        self.values.clear();
    }
}

impl<K: IdKey + std::fmt::Debug, V: std::fmt::Debug> std::fmt::Debug for IdMap<K, V> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_map()
            .entries(self.keys().zip(self.values.iter()))
            .finish()
    }
}

/// A set of node ids or DOM keys.
pub struct IdSet<K>(IdMap<K, ()>);

impl<K> Default for IdSet<K> {
    fn default() -> Self {
        IdSet(IdMap::default())
    }
}

impl<K: IdKey> IdSet<K> {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, key: &K) -> bool {
        self.0.contains_key(key)
    }

    /// True when `key` was not in the set.
    pub fn insert(&mut self, key: K) -> bool {
        self.0.insert(key, ())
    }

    /// True when `key` was in the set.
    pub fn remove(&mut self, key: &K) -> bool {
        self.0.remove(key).is_some()
    }

    pub fn clear(&mut self) {
        self.0.clear();
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    /// xorshift: the same sequence on every run.
    struct Steps(u64);

    impl Steps {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    /// Every operation, over many random sequences, agrees with std's map;
    /// then every key std has is found and no other key in the range is.
    fn agrees_with_std(keys_from: impl Fn(u64) -> u32, seed: u64) {
        let mut steps = Steps(seed);
        let mut ours: IdMap<u32, u64> = IdMap::default();
        let mut theirs: HashMap<u32, u64> = HashMap::new();
        let mut seen = Vec::new();
        for round in 0..20_000u64 {
            let key = keys_from(steps.next());
            seen.push(key);
            match steps.next() % 10 {
                0..=4 => assert_eq!(ours.insert(key, round), theirs.insert(key, round).is_none()),
                5..=7 => assert_eq!(ours.remove(&key), theirs.remove(&key)),
                8 => {
                    if let Some(value) = ours.get_mut(&key) {
                        *value += 1;
                    }
                    if let Some(value) = theirs.get_mut(&key) {
                        *value += 1;
                    }
                }
                _ => {
                    if round % 3_000 == 0 {
                        ours.retain(|key, value| (key ^ *value as u32) & 1 == 0);
                        theirs.retain(|key, value| (key ^ *value as u32) & 1 == 0);
                    }
                }
            }
            assert_eq!(ours.get(&key), theirs.get(&key));
            assert_eq!(ours.len(), theirs.len());
        }
        for key in seen {
            assert_eq!(ours.get(&key), theirs.get(&key), "key {key}");
            assert_eq!(ours.contains_key(&key), theirs.contains_key(&key));
        }
        let mut listed: Vec<u32> = ours.keys().collect();
        let mut expected: Vec<u32> = theirs.keys().copied().collect();
        listed.sort_unstable();
        expected.sort_unstable();
        assert_eq!(listed, expected);
    }

    #[test]
    fn agrees_with_std_on_dense_ids() {
        // Few distinct keys: many collisions, removals and reinsertions.
        agrees_with_std(|step| (step % 300) as u32, 0x2545_f491_4f6c_dd1d);
    }

    #[test]
    fn agrees_with_std_on_sparse_and_extreme_keys() {
        // Keys that share low bits, zero and u32::MAX.
        agrees_with_std(
            |step| match step % 4 {
                0 => ((step >> 8) % 500) as u32 * 4096,
                1 => 0,
                2 => u32::MAX - (step >> 8) as u32 % 3,
                _ => (step >> 16) as u32 % 2_000,
            },
            0x9e37_79b9_7f4a_7c15,
        );
    }

    #[test]
    fn sets_say_whether_they_changed() {
        let mut set: IdSet<u32> = IdSet::default();
        assert!(set.is_empty());
        assert!(set.insert(7));
        assert!(!set.insert(7));
        assert!(set.contains(&7));
        assert!(!set.contains(&8));
        assert!(set.remove(&7));
        assert!(!set.remove(&7));
        for id in 0..1_000 {
            set.insert(id);
        }
        assert_eq!(set.len(), 1_000);
        set.clear();
        assert!(set.is_empty() && !set.contains(&5));
        // Still usable after clear (the index kept its size).
        assert!(set.insert(5) && set.contains(&5));
    }

    #[test]
    fn removing_every_key_leaves_an_empty_index() {
        let mut map: IdMap<u32, String> = IdMap::default();
        for id in 0..5_000u32 {
            map.insert(id * 31, id.to_string());
        }
        for id in (0..5_000u32)
            .rev()
            .step_by(2)
            .chain((0..5_000u32).step_by(2))
        {
            assert_eq!(map.remove(&(id * 31)), Some(id.to_string()));
        }
        assert!(map.is_empty());
        assert!(map.index.slots.iter().all(|&slot| slot == 0));
    }
}
