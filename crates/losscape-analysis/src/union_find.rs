//! The one union-find of the crate: connected components of minima joined by transition states
//! ([`crate::counts::components_of`]) and the basins of a disconnectivity graph
//! ([`crate::disconnectivity`]) both grow sets with it.

/// Disjoint sets of `0..n` with path halving and union by size.
#[derive(Debug, Clone)]
pub(crate) struct UnionFind {
    parent: Vec<usize>,
    size: Vec<usize>,
}

impl UnionFind {
    /// `n` singleton sets.
    pub(crate) fn new(n: usize) -> Self {
        Self {
            parent: (0..n).collect(),
            size: vec![1; n],
        }
    }

    /// The representative of `a`'s set.
    pub(crate) fn find(&mut self, mut a: usize) -> usize {
        while self.parent[a] != a {
            self.parent[a] = self.parent[self.parent[a]];
            a = self.parent[a];
        }
        a
    }

    /// Joins the sets of `a` and `b`; returns whether they were apart. The larger set's
    /// representative (`a`'s on a tie) represents the union.
    pub(crate) fn union(&mut self, a: usize, b: usize) -> bool {
        let (mut ra, mut rb) = (self.find(a), self.find(b));
        if ra == rb {
            return false;
        }
        if self.size[ra] < self.size[rb] {
            std::mem::swap(&mut ra, &mut rb);
        }
        self.parent[rb] = ra;
        self.size[ra] += self.size[rb];
        true
    }
}

#[cfg(test)]
mod tests {
    use super::UnionFind;

    #[test]
    fn unions_join_sets_once_and_the_larger_root_wins() {
        let mut u = UnionFind::new(5);
        assert!(u.union(0, 1));
        assert!(u.union(2, 1), "2 joins {{0, 1}}");
        assert!(!u.union(0, 2), "already together");
        assert_eq!(u.find(2), u.find(0));
        assert_eq!(u.find(2), 0, "the larger set's root represents the union");
        assert_ne!(u.find(3), u.find(0));
        assert_eq!(u.find(4), 4);
    }
}
