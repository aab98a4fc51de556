//! The layered layout of every shipped scenario and lesson, every variant: no edge skips a layer,
//! the ordered layers cross no more edges than the node order did, and no label overlaps
//! another label or a node in the panes the app draws (five, three and one side by side).

use brokerlab::builtin::{LESSONS, SCENARIOS};
use brokerlab::scenario::parse_scenario;
use brokerlab::topology::{crossings, layers_in_node_order, place, Topology};

/// Graph areas of a pane (screen points) as the app lays them out: five panes side by side in
/// the snapshots' 1500 x 950 window and in a 1600 x 900 one, three, two and one pane.
const PANES: [[f32; 2]; 5] = [
    [218.0, 443.0],
    [238.0, 408.0],
    [376.0, 473.0],
    [575.0, 408.0],
    [1150.0, 408.0],
];

/// The smallest label a pane of five may draw, in screen points: readable on a laptop.
const MIN_LABEL: f32 = 9.0;

/// (scenario, variant, topology) of every variant of every built-in scenario and lesson (the
/// files of scenarios/ and scenarios/lessons/, compiled in).
fn every_variant() -> Vec<(String, String, Topology)> {
    let mut out = Vec::new();
    for (name, text) in SCENARIOS.iter().chain(LESSONS) {
        let s = parse_scenario(name, text).unwrap_or_else(|e| panic!("{e}"));
        for v in &s.variants {
            out.push((name.to_string(), v.name.clone(), Topology::build(&s, v)));
        }
    }
    out
}

#[test]
fn every_shipped_file_is_built_in() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut files = 0;
    for dir in [root.clone(), root.join("lessons")] {
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{e}")) {
            let path = entry.unwrap_or_else(|e| panic!("{e}")).path();
            if path.extension().is_some_and(|x| x == "toml") {
                let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
                assert!(
                    SCENARIOS.iter().chain(LESSONS).any(|(_, t)| *t == text),
                    "{} is laid out by these tests only if it is built in",
                    path.display()
                );
                files += 1;
            }
        }
    }
    assert_eq!(files, SCENARIOS.len() + LESSONS.len());
}

#[test]
fn every_edge_joins_consecutive_layers() {
    for (s, v, t) in every_variant() {
        let layer_of = |ix| t.layers.iter().position(|l| l.contains(&ix));
        for e in t.graph.edge_indices() {
            let (a, b) = t
                .graph
                .edge_endpoints(e)
                .unwrap_or_else(|| panic!("{s}/{v}"));
            let (la, lb) = (layer_of(a), layer_of(b));
            assert!(
                la.zip(lb).is_some_and(|(la, lb)| lb == la + 1),
                "{s}/{v}: {} -> {} joins layers {la:?} and {lb:?}",
                t.graph[a].name,
                t.graph[b].name
            );
        }
    }
}

#[test]
fn ordered_layers_cross_fewer_edges_than_the_node_order() {
    let (mut before_total, mut after_total) = (0, 0);
    println!("| scenario | variant | crossings before | after |");
    println!("|---|---|---:|---:|");
    for (s, v, t) in every_variant() {
        let before = crossings(&t.graph, &layers_in_node_order(&t.graph));
        let after = crossings(&t.graph, &t.layers);
        println!("| {s} | {v} | {before} | {after} |");
        assert!(
            after <= before,
            "{s}/{v}: {after} crossings, {before} before"
        );
        let mut sorted: Vec<_> = t.layers.concat();
        sorted.sort_unstable();
        assert_eq!(
            sorted,
            t.graph.node_indices().collect::<Vec<_>>(),
            "{s}/{v}"
        );
        before_total += before;
        after_total += after;
    }
    println!("| all | | {before_total} | {after_total} |");
    assert!(after_total < before_total);
}

#[test]
fn no_label_overlaps_a_label_or_a_node_in_any_pane() {
    println!("| scenario | variant | pane | tiers | zoom | label pt |");
    println!("|---|---|---|---|---:|---:|");
    for (s, v, t) in every_variant() {
        let one_row = t.placement();
        assert_eq!(one_row.overlaps(), vec![], "{s}/{v} in one row per layer");
        for size in PANES {
            let p = t.placement_for(size);
            let names = |(a, b): (usize, usize)| {
                let n = |i: usize| t.node(u32::try_from(i).unwrap_or(0)).label.clone();
                (n(a), n(b))
            };
            let bad: Vec<_> = p.overlaps().into_iter().map(names).collect();
            assert!(bad.is_empty(), "{s}/{v} at {size:?}: {bad:?}");
            let inside = |r: [f32; 4]| {
                r[0] >= p.frame[0] && r[1] >= p.frame[1] && r[2] <= p.frame[2] && r[3] <= p.frame[3]
            };
            assert!(p.body.iter().chain(&p.label).all(|&r| inside(r)), "{s}/{v}");
            let label = place::LABEL_FONT * p.zoom;
            assert!(
                label >= MIN_LABEL,
                "{s}/{v} at {size:?}: labels {label} high"
            );
            if size == PANES[1] || size == PANES[4] {
                println!(
                    "| {s} | {v} | {size:?} | {:?} | {:.2} | {label:.1} |",
                    p.tiers, p.zoom
                );
            }
        }
    }
}
