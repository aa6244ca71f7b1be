//! The communes of a panorama map (seed 000's "Panorama de l'offre de soins": zoning classes,
//! GP counts and GPs near retirement per commune, with labels): a named preset, a list of
//! INSEE codes, or a département.
//!
//! The Montluçon preset is built from the seed itself: the seed names the basin's main
//! communes on its map but does not list the basin; the basin is taken as every commune of the
//! EPCIs those named communes belong to. On the 2024 geography that gives 90 communes — the
//! seed's 56 + 27 + 7 = 90 — which is why this rule was kept. The zoning counts then differ
//! from the seed's (its zoning is older than our zoning file); both are reported, never forced.

use crate::atlas::{Atlas, CommuneCodeError};
use crate::model::Zoning;
use serde::Serialize;
use std::collections::BTreeSet;
use thiserror::Error;

/// How many codes `?communes=` may list (a département has at most ~900 communes).
pub const MAX_CODES: usize = 2_000;

/// Without named communes (a code list or a département), this many communes with the most
/// GPs get a label; a list this short is labelled entirely.
pub const LABELLED_BY_DEFAULT: usize = 15;

/// Zoning class counts as a source states them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ReferenceZoning {
    pub zip: u32,
    pub zac: u32,
    pub hz: u32,
    /// Where the figures come from.
    pub source: &'static str,
}

/// A named panorama.
#[derive(Debug)]
pub struct Preset {
    /// URL name: `/panorama/{name}`.
    pub name: &'static str,
    pub title: &'static str,
    /// Communes named on the source's map (current INSEE codes): labelled, and their EPCIs
    /// make the basin.
    pub named: &'static [&'static str],
    /// The source's own zoning counts for the basin, shown beside ours.
    pub reference: Option<ReferenceZoning>,
}

/// The seed's Montluçon basin. "Meaulne" on the seed's map is now Meaulne-Vitray (03168);
/// "St-Victor" is Saint-Victor (03262).
pub const MONTLUCON: Preset = Preset {
    name: "montlucon",
    title: "Bassin montluçonnais",
    named: &[
        "03185", // Montluçon
        "03082", // Commentry
        "03101", // Domérat
        "03098", // Désertines
        "03195", // Néris-les-Bains
        "03128", // Huriel
        "03161", // Marcillat-en-Combraille
        "03127", // Hérisson
        "03084", // Cosne-d'Allier
        "03111", // Estivareilles
        "03262", // Saint-Victor
        "03168", // Meaulne-Vitray
        "03297", // Vallon-en-Sully
        "03315", // Villefranche-d'Allier
        "03211", // Prémilhat
    ],
    reference: Some(ReferenceZoning { zip: 56, zac: 27, hz: 7, source: "seed 000 (Panorama de l'offre de soins, bassin montluçonnais)" }),
};

pub const PRESETS: &[Preset] = &[MONTLUCON];

pub fn preset(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

/// What a panorama shows.
#[derive(Debug, Clone)]
pub enum Selection {
    Preset(&'static Preset),
    /// INSEE codes as the user typed them.
    Communes(Vec<String>),
    Departement(String),
}

/// A code of a list that names no commune of the atlas, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedCode {
    pub input: String,
    pub reason: String,
    /// For a merged commune, the commune it now belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub successor: Option<String>,
}

/// Communes of a code list ([`Atlas::resolve_commune_list`]), each rejected code with its
/// reason and, for a merged commune, its successor.
pub fn resolve_codes(atlas: &Atlas, codes: &[String]) -> (Vec<usize>, Vec<RejectedCode>) {
    let (found, rejected) = atlas.resolve_commune_list(codes);
    let rejected = rejected
        .into_iter()
        .map(|(input, e)| {
            let successor = match &e {
                CommuneCodeError::Merged { successor, .. } => Some(successor.clone()),
                _ => None,
            };
            RejectedCode { input, reason: e.to_string(), successor }
        })
        .collect();
    (found, rejected)
}

/// Zoning classes of a set of communes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ZoningCounts {
    pub zip: u32,
    pub zac: u32,
    pub hz: u32,
    /// Another class (e.g. a regional ZAR).
    pub other: u32,
    /// No class in the zoning file.
    pub none: u32,
}

impl ZoningCounts {
    pub fn of(atlas: &Atlas, communes: &[usize]) -> Self {
        let mut c = ZoningCounts::default();
        for &i in communes {
            match &atlas.communes()[i].zoning {
                Some(Zoning::Zip) => c.zip += 1,
                Some(Zoning::Zac) => c.zac += 1,
                Some(Zoning::Hz) => c.hz += 1,
                Some(Zoning::Other(_)) => c.other += 1,
                None => c.none += 1,
            }
        }
        c
    }
}

/// The communes of a panorama.
#[derive(Debug, Clone)]
pub struct Panorama {
    pub title: String,
    /// How the communes were chosen, in words.
    pub definition: String,
    /// Atlas indexes, ascending.
    pub communes: Vec<usize>,
    /// Those that get a label on the map.
    pub labelled: Vec<usize>,
    pub rejected: Vec<RejectedCode>,
    pub zoning: ZoningCounts,
    pub reference: Option<ReferenceZoning>,
}

#[derive(Debug, Error, PartialEq)]
pub enum PanoramaError {
    #[error("the {preset} panorama needs commune(s) {missing} that this atlas does not hold (load a geography that includes them)")]
    PresetOutsideAtlas { preset: &'static str, missing: String },
    #[error("{count} codes listed; at most {MAX_CODES}")]
    TooManyCodes { count: usize },
    #[error("no commune code given")]
    NoCodes,
    #[error("no département {0} in this atlas")]
    UnknownDepartement(String),
}

pub fn panorama(atlas: &Atlas, selection: &Selection) -> Result<Panorama, PanoramaError> {
    let (title, definition, communes, labelled, rejected, reference) = match selection {
        Selection::Preset(p) => {
            let missing: Vec<&str> = p.named.iter().copied().filter(|c| atlas.commune_index(c).is_none()).collect();
            if !missing.is_empty() {
                return Err(PanoramaError::PresetOutsideAtlas { preset: p.name, missing: missing.join(", ") });
            }
            let named: Vec<usize> = p.named.iter().filter_map(|c| atlas.commune_index(c)).collect();
            let epcis: BTreeSet<&str> =
                named.iter().filter_map(|&i| atlas.communes()[i].epci.as_deref()).collect();
            let communes: Vec<usize> = (0..atlas.communes().len())
                .filter(|&i| atlas.communes()[i].epci.as_deref().is_some_and(|e| epcis.contains(e)))
                .collect();
            let definition = format!(
                "the {} communes of the {} EPCI ({}) of the {} communes named on the source's map",
                communes.len(),
                epcis.len(),
                epcis.iter().map(|e| atlas.epci(e).map_or(*e, |x| x.name.as_str())).collect::<Vec<_>>().join(", "),
                named.len()
            );
            (p.title.to_string(), definition, communes, named, Vec::new(), p.reference)
        }
        Selection::Communes(codes) => {
            if codes.is_empty() {
                return Err(PanoramaError::NoCodes);
            }
            if codes.len() > MAX_CODES {
                return Err(PanoramaError::TooManyCodes { count: codes.len() });
            }
            let (communes, rejected) = resolve_codes(atlas, codes);
            let labelled = most_gps(atlas, &communes);
            let definition = format!("{} commune(s) listed in the address", communes.len());
            ("Panorama".to_string(), definition, communes, labelled, rejected, None)
        }
        Selection::Departement(code) => {
            let dep = atlas.department(code.trim()).ok_or_else(|| PanoramaError::UnknownDepartement(code.trim().to_string()))?;
            let communes: Vec<usize> = (0..atlas.communes().len()).filter(|&i| atlas.communes()[i].dep == dep.code).collect();
            let labelled = most_gps(atlas, &communes);
            let definition = format!("the {} communes of {} ({})", communes.len(), dep.name, dep.code);
            (dep.name.clone(), definition, communes, labelled, Vec::new(), None)
        }
    };
    let zoning = ZoningCounts::of(atlas, &communes);
    Ok(Panorama { title, definition, communes, labelled, rejected, zoning, reference })
}

/// The [`LABELLED_BY_DEFAULT`] communes with the most GPs (ties: the more populous first, then
/// by code), or all of them when there are that few.
fn most_gps(atlas: &Atlas, communes: &[usize]) -> Vec<usize> {
    let mut ranked: Vec<usize> = communes.to_vec();
    let key = |i: usize| {
        let c = &atlas.communes()[i];
        (c.gp.as_ref().map_or(0, |g| g.gp), c.population)
    };
    ranked.sort_by(|&a, &b| key(b).cmp(&key(a)).then_with(|| atlas.communes()[a].code.cmp(&atlas.communes()[b].code)));
    ranked.truncate(LABELLED_BY_DEFAULT);
    ranked
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    fn default_atlas() -> &'static Atlas {
        static ATLAS: OnceLock<Atlas> = OnceLock::new();
        ATLAS.get_or_init(|| Atlas::load_default().expect("the embedded default loads"))
    }

    #[test]
    fn montlucon_preset_names_current_allier_communes() {
        let atlas = default_atlas();
        for code in MONTLUCON.named {
            let c = atlas.commune(code).unwrap_or_else(|| panic!("{code} is not a current commune"));
            assert_eq!(c.dep, "03", "{code} {}", c.name);
        }
        let names: Vec<&str> = MONTLUCON.named.iter().map(|c| atlas.commune(c).unwrap().name.as_str()).collect();
        for expected in ["Montluçon", "Commentry", "Domérat", "Néris-les-Bains", "Cosne-d'Allier", "Meaulne-Vitray", "Saint-Victor"] {
            assert!(names.contains(&expected), "{expected} missing from {names:?}");
        }
    }

    #[test]
    fn montlucon_basin_is_whole_epcis_and_has_the_seeds_size() {
        let atlas = default_atlas();
        let p = panorama(atlas, &Selection::Preset(&MONTLUCON)).unwrap();
        // The seed's classes add up to 56 + 27 + 7 = 90 communes.
        assert_eq!(p.communes.len(), 90);
        let epcis: BTreeSet<_> = p.communes.iter().map(|&i| atlas.communes()[i].epci.clone().unwrap()).collect();
        assert_eq!(epcis.len(), 5);
        // Whole EPCIs: no commune of those EPCIs is left out.
        let outside = (0..atlas.communes().len())
            .filter(|i| !p.communes.contains(i))
            .filter(|&i| atlas.communes()[i].epci.as_ref().is_some_and(|e| epcis.contains(e)))
            .count();
        assert_eq!(outside, 0);
        let z = p.zoning;
        assert_eq!(z.zip + z.zac + z.hz + z.other + z.none, 90);
        assert_eq!(p.labelled.len(), MONTLUCON.named.len());
        assert!(p.definition.contains("90 communes of the 5 EPCI"), "{}", p.definition);
    }

    #[test]
    fn a_code_list_reports_each_rejected_code_and_keeps_the_rest() {
        let atlas = default_atlas();
        let codes: Vec<String> = ["03185", "03185", "99999", "abc", "03082", " 03101 "].iter().map(|s| s.to_string()).collect();
        let p = panorama(atlas, &Selection::Communes(codes)).unwrap();
        let got: Vec<&str> = p.communes.iter().map(|&i| atlas.communes()[i].code.as_str()).collect();
        assert_eq!(got, ["03082", "03101", "03185"]);
        let inputs: Vec<&str> = p.rejected.iter().map(|r| r.input.as_str()).collect();
        assert_eq!(inputs, ["99999", "abc"]);
        assert!(p.rejected[1].reason.contains("not an INSEE"), "{:?}", p.rejected[1]);
        assert_eq!(p.labelled.len(), 3);
    }

    #[test]
    fn a_merged_commune_names_its_successor() {
        let atlas = default_atlas();
        let former = atlas.former_communes().first().expect("the default atlas knows former communes");
        let (found, rejected) = resolve_codes(atlas, std::slice::from_ref(&former.code));
        assert!(found.is_empty());
        assert_eq!(rejected[0].successor.as_deref(), Some(former.successor.as_str()));
    }

    #[test]
    fn a_departement_panorama_labels_the_communes_with_most_gps() {
        let atlas = default_atlas();
        let p = panorama(atlas, &Selection::Departement("03".into())).unwrap();
        assert_eq!(p.communes.len(), atlas.department("03").unwrap().commune_count);
        assert_eq!(p.labelled.len(), LABELLED_BY_DEFAULT);
        let gp = |i: usize| atlas.communes()[i].gp.as_ref().map_or(0, |g| g.gp);
        let least_labelled = p.labelled.iter().map(|&i| gp(i)).min().unwrap();
        let most_unlabelled = p.communes.iter().filter(|i| !p.labelled.contains(i)).map(|&i| gp(i)).max().unwrap();
        assert!(least_labelled >= most_unlabelled);
        assert_eq!(panorama(atlas, &Selection::Departement("99".into())).unwrap_err(), PanoramaError::UnknownDepartement("99".into()));
    }

    #[test]
    fn empty_and_oversized_lists_are_errors() {
        let atlas = default_atlas();
        assert_eq!(panorama(atlas, &Selection::Communes(vec![])).unwrap_err(), PanoramaError::NoCodes);
        let many = vec!["03185".to_string(); MAX_CODES + 1];
        assert_eq!(panorama(atlas, &Selection::Communes(many)).unwrap_err(), PanoramaError::TooManyCodes { count: MAX_CODES + 1 });
    }
}
