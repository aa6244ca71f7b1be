//! In-memory cache of encoded, compressed tiles, bounded in bytes (LRU-like: quick_cache's
//! CLOCK-Pro keeps recently and frequently used tiles).
//!
//! The key holds everything that changes the bytes: the atlas generation (bumped when the
//! atlas is replaced), the layer list in its order, the tile and the content coding.

use super::compress::{self, Coding};
use super::{LayerId, TileSet, grid::TileCoord};
use super::TileError;
use bytes::Bytes;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    pub generation: u64,
    pub layers: Vec<LayerId>,
    pub tile: TileCoord,
    pub coding: Coding,
    /// The scenario whose values the commune features carry, if any.
    pub scenario: Option<String>,
    /// The projection (canonical `years,horizon,replacement`) whose values they carry, if any.
    pub projection: Option<String>,
}

/// A tile as served: its body (empty for a tile without features) and strong ETag.
#[derive(Debug, Clone)]
pub struct EncodedTile {
    pub body: Bytes,
    pub etag: Arc<str>,
    pub coding: Coding,
}

impl EncodedTile {
    /// Renders and compresses one tile. The ETag is a hash of the uncompressed MVT, suffixed
    /// by the coding, so each representation has its own strong validator and an unchanged
    /// tile keeps its ETag across reloads and restarts.
    pub fn render(tiles: &TileSet, tile: TileCoord, layers: &[LayerId], coding: Coding) -> Result<Self, TileError> {
        Self::render_with(tiles, tile, layers, coding, None)
    }

    /// [`EncodedTile::render`] with other commune attributes (a scenario's).
    pub fn render_with(
        tiles: &TileSet,
        tile: TileCoord,
        layers: &[LayerId],
        coding: Coding,
        communes: Option<&super::LayerAttributes>,
    ) -> Result<Self, TileError> {
        let raw = tiles.render_with(tile, layers, communes)?;
        let hash = xxhash_rust::xxh3::xxh3_64(&raw);
        let body = if raw.is_empty() { Bytes::new() } else { Bytes::from(compress::compress(&raw, coding)) };
        let coding = if raw.is_empty() { Coding::Identity } else { coding };
        Ok(EncodedTile { body, etag: format!("\"{hash:016x}{}\"", coding.etag_suffix()).into(), coding })
    }
}

#[derive(Clone)]
struct ByteWeighter;

/// Bookkeeping per entry besides the body (key, ETag, cache slot), counted in the bound.
const ENTRY_OVERHEAD: u64 = 160;

impl quick_cache::Weighter<CacheKey, EncodedTile> for ByteWeighter {
    fn weight(&self, _key: &CacheKey, val: &EncodedTile) -> u64 {
        val.body.len() as u64 + ENTRY_OVERHEAD
    }
}

type Inner = quick_cache::sync::Cache<CacheKey, EncodedTile, ByteWeighter>;

/// The tile cache; with a capacity of 0 bytes every request renders.
pub struct TileCache {
    inner: Option<Inner>,
    /// Requests answered from the cache, and requests that rendered (for `/metrics`).
    hits: std::sync::atomic::AtomicU64,
    misses: std::sync::atomic::AtomicU64,
}

impl TileCache {
    pub fn new(capacity_bytes: u64) -> Self {
        let inner = (capacity_bytes > 0).then(|| {
            // Sized for ~8 KB tiles; quick_cache only uses this to pre-size its tables.
            let estimated_items = (capacity_bytes / 8192).clamp(64, 1 << 20) as usize;
            Inner::with_weighter(estimated_items, capacity_bytes, ByteWeighter)
        });
        TileCache { inner, hits: Default::default(), misses: Default::default() }
    }

    pub fn enabled(&self) -> bool {
        self.inner.is_some()
    }

    /// Returns the cached tile, or renders it with `render` (once, even when many requests
    /// for the same tile arrive together) and keeps it.
    pub async fn get_or_render<F>(&self, key: CacheKey, render: F) -> Result<EncodedTile, TileError>
    where
        F: Future<Output = Result<EncodedTile, TileError>>,
    {
        use std::sync::atomic::Ordering::Relaxed;
        let Some(inner) = &self.inner else {
            self.misses.fetch_add(1, Relaxed);
            return render.await;
        };
        match inner.get_value_or_guard_async(&key).await {
            Ok(tile) => {
                self.hits.fetch_add(1, Relaxed);
                Ok(tile)
            }
            Err(guard) => {
                self.misses.fetch_add(1, Relaxed);
                let tile = render.await?;
                let _ = guard.insert(tile.clone());
                Ok(tile)
            }
        }
    }

    /// Drops the tiles of generations older than `generation`. After a swap they are never served
    /// again (their keys name the old generation), so their bytes are freed at once rather than
    /// when the bound evicts them. A request still holding the old snapshot may put one back;
    /// the bound evicts it like any other.
    pub fn drop_generations_before(&self, generation: u64) {
        if let Some(inner) = &self.inner {
            inner.retain(|key, _| key.generation >= generation);
        }
    }

    /// Bytes held (bodies plus per-entry overhead), and entries.
    pub fn usage(&self) -> (u64, usize) {
        self.inner.as_ref().map_or((0, 0), |c| (c.weight(), c.len()))
    }

    /// Requests answered from the cache and requests that rendered, since start.
    pub fn hits_and_misses(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering::Relaxed;
        (self.hits.load(Relaxed), self.misses.load(Relaxed))
    }

    pub fn capacity(&self) -> u64 {
        self.inner.as_ref().map_or(0, |c| c.capacity())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tile(body_len: usize) -> EncodedTile {
        EncodedTile { body: Bytes::from(vec![7u8; body_len]), etag: "\"x\"".into(), coding: Coding::Gzip }
    }

    fn key(x: u32) -> CacheKey {
        CacheKey { generation: 1, layers: vec![LayerId::Communes], tile: TileCoord::new(12, x, 0).unwrap(), coding: Coding::Gzip, scenario: None, projection: None }
    }

    #[tokio::test]
    async fn stays_within_its_byte_bound() {
        let cache = TileCache::new(1_000_000);
        for x in 0..500 {
            cache.get_or_render(key(x), async { Ok(tile(10_000)) }).await.unwrap();
        }
        let (bytes, entries) = cache.usage();
        assert!(bytes <= 1_000_000, "{bytes} bytes held");
        assert!(entries > 50 && entries < 100, "{entries} entries of ~10 KB in 1 MB");
    }

    #[tokio::test]
    async fn second_request_is_served_from_cache_and_keys_differ_by_coding() {
        let cache = TileCache::new(1_000_000);
        let calls = std::sync::atomic::AtomicU32::new(0);
        let render = || async {
            calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(tile(100))
        };
        cache.get_or_render(key(1), render()).await.unwrap();
        cache.get_or_render(key(1), render()).await.unwrap();
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
        let mut br = key(1);
        br.coding = Coding::Brotli;
        cache.get_or_render(br, render()).await.unwrap();
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn older_generations_are_dropped_and_the_current_one_kept() {
        let cache = TileCache::new(1_000_000);
        for (generation, x) in [(1, 1), (1, 2), (2, 1)] {
            cache.get_or_render(CacheKey { generation, ..key(x) }, async { Ok(tile(100)) }).await.unwrap();
        }
        assert_eq!(cache.usage().1, 3);
        cache.drop_generations_before(2);
        assert_eq!(cache.usage(), (100 + ENTRY_OVERHEAD, 1));
        let (hits, misses) = cache.hits_and_misses();
        cache.get_or_render(CacheKey { generation: 2, ..key(1) }, async { Ok(tile(100)) }).await.unwrap();
        cache.get_or_render(CacheKey { generation: 1, ..key(1) }, async { Ok(tile(100)) }).await.unwrap();
        assert_eq!(cache.hits_and_misses(), (hits + 1, misses + 1), "generation 2 kept, generation 1 rendered again");
    }

    #[tokio::test]
    async fn disabled_cache_always_renders() {
        let cache = TileCache::new(0);
        assert!(!cache.enabled());
        let calls = std::sync::atomic::AtomicU32::new(0);
        for _ in 0..3 {
            cache.get_or_render(key(1), async { calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst); Ok(tile(1)) }).await.unwrap();
        }
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 3);
    }
}
