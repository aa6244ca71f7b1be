//! After a (re)load, the low zooms of the viewer's tiles are rendered in the background into the
//! tile cache, so that the first visitors never wait for them (on the national atlas a z0–z8
//! tile takes 50–250 ms to render uncached). The tiles are those of the viewer's layer set and
//! of the coding browsers negotiate (brotli), under the current generation's keys: exactly
//! what the viewer asks for first. One tile at a time, so that requests keep the other cores.

use super::AppState;
use crate::tiles::LayerId;
use crate::tiles::cache::{CacheKey, EncodedTile};
use crate::tiles::compress::Coding;
use crate::tiles::export::coverage::Coverage;

/// The layer set the viewer's styles ask for (`/tiles/communes,departements,msp…`).
pub const VIEWER_LAYERS: [LayerId; 3] = [LayerId::Communes, LayerId::Departements, LayerId::Msp];
/// Zooms rendered ahead by default: 0 to this one.
pub const DEFAULT_PREWARM_ZOOM: u8 = 8;

/// Renders every candidate tile of zooms 0..=`max_zoom` of the current atlas into the cache.
/// Returns the number of tiles rendered or found there; stops early when the atlas is swapped
/// (the next generation starts its own).
pub async fn prewarm(state: AppState, max_zoom: u8) -> usize {
    if !state.tile_cache().enabled() {
        return 0;
    }
    let snapshot = state.snapshot();
    let coverage = {
        let snapshot = snapshot.clone();
        match tokio::task::spawn_blocking(move || Coverage::new(&snapshot.atlas, &VIEWER_LAYERS)).await {
            Ok(c) => c,
            Err(_) => return 0,
        }
    };
    let mut done = 0;
    for z in 0..=max_zoom {
        for tile in coverage.tiles(z) {
            if state.snapshot().generation != snapshot.generation {
                return done;
            }
            let key = CacheKey {
                generation: snapshot.generation,
                layers: VIEWER_LAYERS.to_vec(),
                tile,
                coding: Coding::Brotli,
                scenario: None,
                projection: None,
            };
            let snap = snapshot.clone();
            let render = async move {
                tokio::task::spawn_blocking(move || EncodedTile::render(snap.tiles(), tile, &VIEWER_LAYERS, Coding::Brotli))
                    .await
                    .map_err(|e| crate::tiles::TileError::Stopped(e.to_string()))?
            };
            if state.tile_cache().get_or_render(key, render).await.is_ok() {
                done += 1;
            }
        }
    }
    done
}
