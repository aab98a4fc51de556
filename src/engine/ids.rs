//! Index newtypes: a message, a consumer group, a consumer and a producer are told apart by type,
//! not by which `u32` a function happens to take. Each converts to an index once, here.

use serde::Serialize;

macro_rules! index_type {
    ($(#[$doc:meta])* $name:ident($inner:ty)) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(pub $inner);

        impl $name {
            /// The index into the vectors this id names an element of.
            #[must_use]
            #[inline]
            pub fn ix(self) -> usize {
                // Ids are made from indexes of vectors that fit in memory.
                self.0 as usize
            }
            /// The id of element `i`, if it fits the id's width.
            #[must_use]
            pub fn from_ix(i: usize) -> Option<Self> {
                <$inner>::try_from(i).ok().map($name)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

index_type!(
    /// A message, numbered in the order producers created it (the same in every variant).
    MsgId(u32)
);
index_type!(
    /// A consumer group of one variant, numbered in the order groups first joined.
    GroupId(u32)
);
index_type!(
    /// A consumer: the scenario's consumers, then those its add-consumer faults bring.
    ConsumerId(u32)
);
index_type!(
    /// A producer, in scenario order.
    ProducerId(u16)
);

/// The ids `0..n` of a collection of `n` elements (every one fits: `n` came from such ids).
pub fn ids<T>(n: usize, make: fn(usize) -> Option<T>) -> impl Iterator<Item = T> + Clone {
    (0..n).filter_map(make)
}
