//! Vector tiles (MVT), generalisation and PMTiles export: built in the tiles issue.
