//! Tile rendering on the embedded default (Auvergne): preparing the tile set, and rendering
//! tiles at low, middle and high zoom without cache or compression.
//! `cargo bench --bench tiles`

use criterion::{Criterion, criterion_group, criterion_main};
use medatlas::atlas::Atlas;
use medatlas::tiles::compress;
use medatlas::tiles::grid::TileCoord;
use medatlas::tiles::{LayerId, TileSet};
use std::hint::black_box;

fn tiles(c: &mut Criterion) {
    let atlas = Atlas::load_default().expect("embedded default");
    c.bench_function("tileset_build_auvergne", |b| b.iter(|| TileSet::build(black_box(&atlas))));
    let set = TileSet::build(&atlas);
    // z5: the whole region in one tile; z9 and z12: Montluçon.
    for (name, z, x, y) in [("render_z5_auvergne", 5, 16, 11), ("render_z9_montlucon", 9, 259, 181), ("render_z12_montlucon", 12, 2077, 1451)] {
        let t = TileCoord::new(z, x, y).expect("on the grid");
        c.bench_function(name, |b| b.iter(|| set.render(black_box(t), &[LayerId::Communes]).expect("renders")));
    }
    let raw = set.render(TileCoord::new(9, 259, 181).expect("on the grid"), &LayerId::ALL).expect("renders");
    c.bench_function("gzip_z9_tile", |b| b.iter(|| compress::gzip(black_box(&raw))));
    c.bench_function("brotli_z9_tile", |b| b.iter(|| compress::brotli(black_box(&raw))));
}

criterion_group!(benches, tiles);
criterion_main!(benches);
