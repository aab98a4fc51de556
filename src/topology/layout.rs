//! Layered ordering (the Sugiyama scheme's second step): which node goes left of which in each
//! layer so that few edges cross.
//!
//! ```text
//!   layer 0   P1  P2  P3        producers
//!   layer 1     [broker]        brokers, an IPC channel
//!   layer 2   q:a   q:b         queues, logs
//!   layer 3   C1  C2            consumers
//! ```
//!
//! Layers are given by the node kind; a layer without nodes is dropped, so that every edge of a
//! brokerlab topology joins two consecutive layers (a test checks it). Within the layers, nodes
//! start in the engine's node order; barycenter sweeps (each node moves to the mean position of
//! its neighbours in the layer above, then below) and sifting (each node in turn moves to the
//! place in its layer with the fewest crossings) improve it, and the best order seen is kept.
//! Ties keep the current order: the result is deterministic. On the shipped scenarios it is
//! within one crossing of the best that thousands of random restarts find.

use super::{EdgeKind, Node, NodeKind};
use petgraph::stable_graph::{NodeIndex, StableGraph};
use petgraph::visit::{EdgeRef, IntoEdgeReferences, NodeIndexable};

type Graph = StableGraph<Node, EdgeKind>;

/// Layers, top to bottom; each layer's nodes left to right.
pub type Layers = Vec<Vec<NodeIndex>>;

/// Rounds of down-and-up sweeps; the topologies have tens of nodes, and the best order is
/// usually found in the first few.
const ROUNDS: usize = 12;

fn rank(k: NodeKind) -> usize {
    match k {
        NodeKind::Producer => 0,
        NodeKind::Broker | NodeKind::Channel => 1,
        NodeKind::Queue | NodeKind::Log => 2,
        NodeKind::Consumer => 3,
    }
}

/// Nodes by layer, empty layers dropped, each layer in node order: the order before any
/// crossing is removed.
#[must_use]
pub fn layers_in_node_order(g: &Graph) -> Layers {
    let mut layers: Layers = vec![Vec::new(); 4];
    for ix in g.node_indices() {
        layers[rank(g[ix].kind)].push(ix);
    }
    layers.retain(|l| !l.is_empty());
    layers
}

/// (layer, index in the layer) of every node, by node index.
fn slots(g: &Graph, layers: &Layers) -> Vec<(usize, usize)> {
    let mut at = vec![(usize::MAX, 0); g.node_bound()];
    for (l, nodes) in layers.iter().enumerate() {
        for (i, ix) in nodes.iter().enumerate() {
            at[ix.index()] = (l, i);
        }
    }
    at
}

/// Edges crossing each other: pairs of edges between the same two consecutive layers whose ends
/// are in opposite order in both. Edges sharing an end do not cross. An edge that skips a layer
/// would not be counted (brokerlab's topologies have none).
#[must_use]
pub fn crossings(g: &Graph, layers: &Layers) -> usize {
    let at = slots(g, layers);
    // Per gap between layers l and l + 1: (index in l, index in l + 1) of each edge.
    let mut gaps: Vec<Vec<(usize, usize)>> = vec![Vec::new(); layers.len().saturating_sub(1)];
    for e in g.edge_references() {
        let (a, b) = (at[e.source().index()], at[e.target().index()]);
        let (up, down) = if a.0 < b.0 { (a, b) } else { (b, a) };
        if down.0 == up.0 + 1 {
            gaps[up.0].push((up.1, down.1));
        }
    }
    gaps.iter_mut()
        .enumerate()
        .map(|(l, edges)| inversions(edges, layers[l + 1].len()))
        .sum()
}

/// Pairs of `edges` (index above, index below) that cross, in O(E log E): sorted by the upper
/// end (then the lower), a pair crosses when an earlier edge ends strictly right of a later one
/// below; equal upper ends sort by the lower end, so edges sharing an end never count. The
/// earlier lower ends are counted in a Fenwick tree over the lower layer's `width` places.
fn inversions(edges: &mut [(usize, usize)], width: usize) -> usize {
    edges.sort_unstable();
    let mut tree = vec![0usize; width + 1];
    let mut n = 0;
    for (seen, &(_, b)) in edges.iter().enumerate() {
        // Earlier edges ending at or left of b.
        let mut at_or_left = 0;
        let mut i = b + 1;
        while i > 0 {
            at_or_left += tree[i];
            i &= i - 1;
        }
        n += seen - at_or_left;
        let mut i = b + 1;
        while i <= width {
            tree[i] += 1;
            i += i & i.wrapping_neg();
        }
    }
    n
}

/// Reorder layer `l` by the mean index of each node's neighbours in layer `by`; a node without
/// neighbours there keeps its index. The sort is stable: ties keep the current order.
fn barycenter_sort(g: &Graph, layers: &mut Layers, l: usize, by: usize) {
    let at = slots(g, layers);
    let mut keyed: Vec<(f32, NodeIndex)> = layers[l]
        .iter()
        .enumerate()
        .map(|(i, &ix)| {
            let near: Vec<usize> = g
                .neighbors_undirected(ix)
                .filter(|n| at[n.index()].0 == by)
                .map(|n| at[n.index()].1)
                .collect();
            let key = if near.is_empty() {
                i as f32
            } else {
                near.iter().sum::<usize>() as f32 / near.len() as f32
            };
            (key, ix)
        })
        .collect();
    keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
    layers[l] = keyed.into_iter().map(|(_, ix)| ix).collect();
}

/// Sifting costs about nodes x nodes crossing counts a pass: above this many edge-steps
/// (nodes^2 x edges) a graph is ordered by the barycenter sweeps alone. The shipped topologies
/// (tens of nodes) are far below it; a 2,000-node file would take hours.
const SIFT_BUDGET: usize = 20_000_000;

/// Sifting: move each node, one at a time, to the place in its layer with the fewest crossings
/// (the first such place: ties keep it left), until no move removes a crossing.
fn sift(g: &Graph, layers: &mut Layers) {
    let n = g.node_count();
    if n.saturating_mul(n).saturating_mul(g.edge_count().max(1)) > SIFT_BUDGET {
        return;
    }
    let mut best = crossings(g, layers);
    let mut improved = true;
    while improved && best > 0 {
        improved = false;
        for l in 0..layers.len() {
            for node in layers[l].clone() {
                let from = layers[l].iter().position(|&x| x == node).unwrap_or(0);
                layers[l].remove(from);
                let mut place = (best, from);
                for to in 0..=layers[l].len() {
                    layers[l].insert(to, node);
                    let c = crossings(g, layers);
                    if c < place.0 {
                        place = (c, to);
                    }
                    layers[l].remove(to);
                }
                layers[l].insert(place.1, node);
                if place.0 < best {
                    best = place.0;
                    improved = true;
                }
            }
        }
    }
}

/// The layers ordered for few crossings: never more than in node order (the first order with
/// the fewest crossings wins).
#[must_use]
pub fn ordered_layers(g: &Graph) -> Layers {
    let mut layers = layers_in_node_order(g);
    let mut best = layers.clone();
    let mut best_crossings = crossings(g, &best);
    for _ in 0..ROUNDS {
        if best_crossings == 0 {
            break;
        }
        sweep(g, &mut layers);
        let c = crossings(g, &layers);
        if c < best_crossings {
            best_crossings = c;
            best.clone_from(&layers);
        }
    }
    best
}

/// One round: barycenter down, barycenter up, then sifting.
fn sweep(g: &Graph, layers: &mut Layers) {
    for l in 1..layers.len() {
        barycenter_sort(g, layers, l, l - 1);
    }
    for l in (0..layers.len().saturating_sub(1)).rev() {
        barycenter_sort(g, layers, l, l + 1);
    }
    sift(g, layers);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(kind: NodeKind, name: &str) -> Node {
        Node {
            kind,
            name: name.to_owned(),
            label: name.to_owned(),
            pos: [0.0; 2],
            topic: None,
            group: None,
            joins_at: None,
        }
    }

    /// Producers p0..p{np}, consumers c0..c{nc}, linked as `edges` (producer, consumer) says.
    fn bipartite(np: usize, nc: usize, edges: &[(usize, usize)]) -> (Graph, Layers) {
        let mut g = Graph::default();
        let p: Vec<_> = (0..np)
            .map(|i| g.add_node(node(NodeKind::Producer, &format!("p{i}"))))
            .collect();
        let c: Vec<_> = (0..nc)
            .map(|i| g.add_node(node(NodeKind::Consumer, &format!("c{i}"))))
            .collect();
        for &(a, b) in edges {
            g.add_edge(p[a], c[b], EdgeKind::Link);
        }
        (g, vec![p, c])
    }

    /// The crossings counted pair by pair, as the definition says.
    fn brute_force(g: &Graph, layers: &Layers) -> usize {
        let at = slots(g, layers);
        let edges: Vec<(usize, usize)> = g
            .edge_references()
            .map(|e| (at[e.source().index()].1, at[e.target().index()].1))
            .collect();
        let mut n = 0;
        for (i, &(a1, b1)) in edges.iter().enumerate() {
            for &(a2, b2) in &edges[i + 1..] {
                if (a1 < a2 && b1 > b2) || (a1 > a2 && b1 < b2) {
                    n += 1;
                }
            }
        }
        n
    }

    #[test]
    fn the_fenwick_count_equals_the_pairwise_count_on_random_graphs() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = |m: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            usize::try_from(x % m as u64).unwrap_or(0)
        };
        for _ in 0..300 {
            let (np, nc) = (1 + next(12), 1 + next(12));
            let edges: Vec<(usize, usize)> = (0..next(40)).map(|_| (next(np), next(nc))).collect();
            let (g, l) = bipartite(np, nc, &edges);
            assert_eq!(crossings(&g, &l), brute_force(&g, &l), "{edges:?}");
        }
    }

    #[test]
    fn a_graph_over_the_sifting_budget_is_ordered_by_sweeps_alone() {
        // 300 producers each to 3 of 300 consumers: 600 nodes, 900 edges, over the budget.
        let edges: Vec<(usize, usize)> = (0..300)
            .flat_map(|p| {
                [
                    (p, (p * 7) % 300),
                    (p, (p * 13 + 5) % 300),
                    (p, (p * 31 + 11) % 300),
                ]
            })
            .collect();
        let (g, l) = bipartite(300, 300, &edges);
        const { assert!(600 * 600 * 900 > SIFT_BUDGET) };
        let ordered = ordered_layers(&g);
        assert!(crossings(&g, &ordered) <= crossings(&g, &l));
        assert_eq!(ordered, ordered_layers(&g), "deterministic");
    }

    #[test]
    fn parallel_edges_do_not_cross() {
        let (g, l) = bipartite(3, 3, &[(0, 0), (1, 1), (2, 2)]);
        assert_eq!(crossings(&g, &l), 0);
    }

    #[test]
    fn an_x_is_one_crossing() {
        let (g, l) = bipartite(2, 2, &[(0, 1), (1, 0)]);
        assert_eq!(crossings(&g, &l), 1);
    }

    #[test]
    fn edges_sharing_an_end_do_not_cross() {
        // A fan out of one producer and a fan in to one consumer.
        let (g, l) = bipartite(3, 3, &[(0, 0), (0, 1), (0, 2), (1, 2), (2, 2)]);
        assert_eq!(crossings(&g, &l), 0);
    }

    #[test]
    fn reversed_matching_crosses_every_pair() {
        let (g, l) = bipartite(4, 4, &[(0, 3), (1, 2), (2, 1), (3, 0)]);
        assert_eq!(crossings(&g, &l), 6, "4 choose 2");
    }

    #[test]
    fn complete_bipartite_crossings_are_fixed_by_its_size() {
        // K(3,2): every pair of producers and every pair of consumers cross once.
        let edges: Vec<_> = (0..3).flat_map(|a| (0..2).map(move |b| (a, b))).collect();
        let (g, l) = bipartite(3, 2, &edges);
        assert_eq!(crossings(&g, &l), 3);
        let mut swapped = l.clone();
        swapped[0].reverse();
        assert_eq!(crossings(&g, &swapped), 3);
    }

    #[test]
    fn only_edges_between_the_same_two_layers_are_compared() {
        // p0 -> b0 -> c1 and p1 -> b1 -> c0: the lower gap crosses, the upper does not.
        let mut g = Graph::default();
        let p: Vec<_> = (0..2)
            .map(|i| g.add_node(node(NodeKind::Producer, &format!("p{i}"))))
            .collect();
        let b: Vec<_> = (0..2)
            .map(|i| g.add_node(node(NodeKind::Broker, &format!("b{i}"))))
            .collect();
        let c: Vec<_> = (0..2)
            .map(|i| g.add_node(node(NodeKind::Consumer, &format!("c{i}"))))
            .collect();
        for (x, y) in [(p[0], b[0]), (p[1], b[1]), (b[0], c[1]), (b[1], c[0])] {
            g.add_edge(x, y, EdgeKind::Link);
        }
        let layers = layers_in_node_order(&g);
        assert_eq!(layers.len(), 3, "the empty queue layer is dropped");
        assert_eq!(crossings(&g, &layers), 1);
        assert_eq!(crossings(&g, &ordered_layers(&g)), 0);
    }

    #[test]
    fn ordering_untangles_a_permuted_matching_and_is_deterministic() {
        let (g, l) = bipartite(5, 5, &[(0, 3), (1, 0), (2, 4), (3, 1), (4, 2)]);
        assert!(crossings(&g, &l) > 0);
        let once = ordered_layers(&g);
        assert_eq!(crossings(&g, &once), 0);
        assert_eq!(once, ordered_layers(&g));
    }

    #[test]
    fn an_order_without_crossings_is_kept() {
        let (g, l) = bipartite(3, 2, &[(0, 0), (1, 0), (2, 1)]);
        assert_eq!(ordered_layers(&g), l);
    }
}
