//! Resolves the ways source files name a commune — INSEE code, arrondissement code, former
//! commune code, postal code + town name — to a commune of the current geography.
//!
//! Every reader goes through this one place so that all imports place rows the same way and
//! report the same reasons when they cannot.

use super::entities::{Arrondissement, Commune, FormerCommune};
use super::report::RejectReason;
use std::collections::{BTreeSet, HashMap};

/// How an INSEE code maps onto the current geography.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeMatch {
    /// A current commune.
    Commune(String),
    /// A municipal arrondissement; its data is counted in the parent commune.
    Arrondissement { code: String, parent: String },
    /// A former commune merged into `successor`.
    Merged { code: String, successor: String },
    Unknown,
}

/// Key used to compare commune names across sources: no accents, no case, no leading article,
/// "ST"/"STE" expanded, punctuation as spaces, "CEDEX" and arrondissement numbers dropped.
pub fn name_key(name: &str) -> String {
    let ascii = deunicode::deunicode(name).to_ascii_uppercase();
    let spaced: String = ascii
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect();
    let mut words: Vec<&str> = spaced.split_whitespace().collect();
    // A trailing CEDEX (optionally numbered) is a delivery office, not a place.
    if let Some(pos) = words.iter().position(|w| *w == "CEDEX") {
        words.truncate(pos);
    }
    if words.len() > 1 && matches!(words[0], "LE" | "LA" | "LES" | "L" | "AUX" | "LAS" | "LOS") {
        words.remove(0);
    }
    words
        .iter()
        .map(|w| match *w {
            "ST" => "SAINT",
            "STE" => "SAINTE",
            other => other,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Normalises a postal code: digits only, left-padded to 5 (files that stored it as an integer
/// lost the leading zero of départements 01–09). Returns `None` when it cannot be one.
pub fn normalize_postal_code(raw: &str) -> Option<String> {
    let t = raw.trim();
    if t.is_empty() || t.len() > 5 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(format!("{t:0>5}"))
}

/// Normalises an INSEE commune code: trimmed, upper-case ("2a004" -> "2A004"), left-padded
/// to 5 when it is all digits and lost its leading zero.
pub fn normalize_insee_code(raw: &str) -> Option<String> {
    let t = raw.trim().to_ascii_uppercase();
    if t.bytes().all(|b| b.is_ascii_digit()) && (4..=5).contains(&t.len()) {
        return Some(format!("{t:0>5}"));
    }
    let corsica = t.len() == 5 && (t.starts_with("2A") || t.starts_with("2B")) && t[2..].bytes().all(|b| b.is_ascii_digit());
    corsica.then_some(t)
}

/// Normalises a département code: trimmed, upper-case ("2a" -> "2A"). Département codes are
/// "01" to "95" without "20" (Corsica has been 2A and 2B since 1976), "2A", "2B", and "971" to
/// "976" overseas. Returns `None` for anything else ("3", "69M", "abc").
pub fn normalize_department_code(raw: &str) -> Option<String> {
    let t = raw.trim().to_ascii_uppercase();
    let ok = match t.len() {
        2 if t == "2A" || t == "2B" => true,
        2 => t.parse::<u8>().is_ok_and(|n| (1..=95).contains(&n) && n != 20) && t.bytes().all(|b| b.is_ascii_digit()),
        3 => t.parse::<u16>().is_ok_and(|n| (971..=976).contains(&n)) && t.bytes().all(|b| b.is_ascii_digit()),
        _ => false,
    };
    ok.then_some(t)
}

/// Lookup tables over the current geography.
#[derive(Debug, Clone, Default)]
pub struct CommuneRegistry {
    communes: HashMap<String, String>, // code -> name key (current communes)
    arrondissements: HashMap<String, String>, // code -> parent
    former: HashMap<String, String>,  // code -> successor
    /// postal code -> codes of the communes and arrondissements it serves
    postal: HashMap<String, Vec<String>>,
    /// successor code -> (name key, code) of its former communes, for old names in postal files
    former_names: HashMap<String, Vec<(String, String)>>,
    names: HashMap<String, String>, // code -> display name (communes and arrondissements)
    arrondissement_keys: HashMap<String, String>, // code -> name key, computed once
}

impl CommuneRegistry {
    pub fn new(
        communes: &[Commune],
        arrondissements: &[Arrondissement],
        former: &[FormerCommune],
        postal: &[(String, String)],
    ) -> Self {
        let mut r = CommuneRegistry::default();
        for c in communes {
            r.communes.insert(c.code.clone(), name_key(&c.name));
            r.names.insert(c.code.clone(), c.name.clone());
        }
        r.add_rest(arrondissements, former, postal);
        r
    }

    /// Starts a hand-made registry (tests, fixtures).
    pub fn builder() -> RegistryBuilder {
        RegistryBuilder::default()
    }

    fn add_rest(&mut self, arrondissements: &[Arrondissement], former: &[FormerCommune], postal: &[(String, String)]) {
        let r = self;
        for a in arrondissements {
            r.arrondissements.insert(a.code.clone(), a.parent.clone());
            r.names.insert(a.code.clone(), a.name.clone());
            r.arrondissement_keys.insert(a.code.clone(), name_key(&a.name));
        }
        for f in former {
            // A commune nouvelle usually keeps the code of its chef-lieu: that code is current.
            if !r.communes.contains_key(&f.code) {
                r.former.insert(f.code.clone(), f.successor.clone());
            }
            r.former_names.entry(f.successor.clone()).or_default().push((name_key(&f.name), f.code.clone()));
        }
        for (postal_code, code) in postal {
            let list = r.postal.entry(postal_code.clone()).or_default();
            if !list.contains(code) {
                list.push(code.clone());
            }
        }
    }

    pub fn commune_count(&self) -> usize {
        self.communes.len()
    }

    pub fn postal_code_count(&self) -> usize {
        self.postal.len()
    }

    /// Every postal code with the codes of the communes and arrondissements it serves, in no
    /// particular order.
    pub fn postal_codes(&self) -> impl Iterator<Item = (&str, &[String])> + '_ {
        self.postal.iter().map(|(p, codes)| (p.as_str(), codes.as_slice()))
    }

    pub fn display_name(&self, code: &str) -> Option<&str> {
        self.names.get(code).map(String::as_str)
    }

    /// Resolves an INSEE code (already normalised or not).
    pub fn resolve_code(&self, raw: &str) -> CodeMatch {
        let Some(code) = normalize_insee_code(raw) else { return CodeMatch::Unknown };
        if self.communes.contains_key(&code) {
            CodeMatch::Commune(code)
        } else if let Some(parent) = self.arrondissements.get(&code) {
            CodeMatch::Arrondissement { parent: parent.clone(), code }
        } else if let Some(successor) = self.former.get(&code) {
            CodeMatch::Merged { successor: successor.clone(), code }
        } else {
            CodeMatch::Unknown
        }
    }

    /// The current commune an INSEE code counts in, or the reason it cannot be placed.
    /// Arrondissements count in their parent; former communes are rejected unless
    /// `remap_merged` (then they count in their successor).
    pub fn commune_for_code(&self, raw: &str, remap_merged: bool) -> Result<String, RejectReason> {
        match self.resolve_code(raw) {
            CodeMatch::Commune(c) => Ok(c),
            CodeMatch::Arrondissement { parent, .. } => Ok(parent),
            CodeMatch::Merged { successor, .. } if remap_merged => Ok(successor),
            CodeMatch::Merged { code, successor } => Err(RejectReason::MergedCommune { code, successor }),
            CodeMatch::Unknown => Err(RejectReason::UnknownCommune { code: raw.trim().to_string() }),
        }
    }

    /// Finds the current commune for a postal code and a town name. A former commune's name
    /// under its successor's postal code resolves to the successor (reported by the caller
    /// through the returned flag). Arrondissements resolve to their parent.
    pub fn commune_for_postal(&self, raw_postal: &str, name: &str) -> Result<PostalMatch, RejectReason> {
        let Some(postal_code) = normalize_postal_code(raw_postal) else {
            return Err(RejectReason::UnknownPostalCode { postal_code: raw_postal.trim().to_string() });
        };
        let Some(codes) = self.postal.get(&postal_code) else {
            return Err(RejectReason::UnknownPostalCode { postal_code });
        };
        let key = name_key(name);
        let parent_of = |code: &String| self.arrondissements.get(code).cloned().unwrap_or_else(|| code.clone());
        let mut direct: BTreeSet<String> = BTreeSet::new();
        for code in codes {
            let matches = self.communes.get(code).is_some_and(|k| *k == key)
                || self.arrondissement_keys.get(code).is_some_and(|k| *k == key)
                || self.arrondissements.get(code).and_then(|p| self.communes.get(p)).is_some_and(|k| *k == key);
            if matches {
                direct.insert(parent_of(code));
            }
        }
        if direct.is_empty() {
            for code in codes {
                let parent = parent_of(code);
                if let Some(former) = self.former_names.get(&parent)
                    && former.iter().any(|(k, _)| *k == key) {
                        direct.insert(parent);
                    }
            }
            if direct.len() == 1 {
                let code = direct.into_iter().next().unwrap_or_default();
                return Ok(PostalMatch { code, via_former_name: true });
            }
        }
        match direct.len() {
            1 => Ok(PostalMatch { code: direct.into_iter().next().unwrap_or_default(), via_former_name: false }),
            0 => Err(RejectReason::NameNotInPostalCode {
                postal_code,
                name: name.trim().to_string(),
                candidates: codes.iter().map(|c| self.label(c)).collect(),
            }),
            _ => Err(RejectReason::AmbiguousPostalCode {
                postal_code,
                name: name.trim().to_string(),
                candidates: direct.iter().map(|c| self.label(c)).collect(),
            }),
        }
    }

    fn label(&self, code: &str) -> String {
        match self.names.get(code) {
            Some(n) => format!("{code} {n}"),
            None => code.to_string(),
        }
    }
}

/// Builds a small registry by hand, for tests and fixtures.
#[derive(Debug, Default)]
pub struct RegistryBuilder {
    communes: Vec<(String, String)>,
    arrondissements: Vec<(String, String, String)>,
    former: Vec<FormerCommune>,
    postal: Vec<(String, String)>,
}

impl RegistryBuilder {
    pub fn commune(mut self, code: &str, name: &str) -> Self {
        self.communes.push((code.into(), name.into()));
        self
    }
    pub fn arrondissement(mut self, code: &str, name: &str, parent: &str) -> Self {
        self.arrondissements.push((code.into(), name.into(), parent.into()));
        self
    }
    pub fn former(mut self, code: &str, name: &str, successor: &str) -> Self {
        self.former.push(FormerCommune { code: code.into(), name: name.into(), successor: successor.into() });
        self
    }
    pub fn postal(mut self, postal_code: &str, code: &str) -> Self {
        self.postal.push((postal_code.into(), code.into()));
        self
    }
    pub fn build(self) -> CommuneRegistry {
        let mut r = CommuneRegistry::default();
        for (code, name) in self.communes {
            r.communes.insert(code.clone(), name_key(&name));
            r.names.insert(code, name);
        }
        let arms: Vec<Arrondissement> = self
            .arrondissements
            .into_iter()
            .map(|(code, name, parent)| Arrondissement {
                code,
                name,
                parent,
                population: 0,
                geometry: geo::MultiPolygon::new(vec![]),
                town_hall: None,
            })
            .collect();
        r.add_rest(&arms, &self.former, &self.postal);
        r
    }
}

/// A commune found from a postal code and a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostalMatch {
    pub code: String,
    /// True when the name was that of a former commune now part of `code`.
    pub via_former_name: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{MultiPolygon, Point};

    fn commune(code: &str, name: &str) -> Commune {
        Commune {
            code: code.into(),
            name: name.into(),
            dep: code[..2].into(),
            region: None,
            epci: None,
            population: 0,
            geometry: MultiPolygon::new(vec![]),
            town_hall: None,
            repr_point: Point::new(0.0, 0.0),
            arrondissements: vec![],
            gp: None,
            zoning: None,
            extra: Default::default(),
            apl_official: None,
        }
    }

    fn registry() -> CommuneRegistry {
        let communes = vec![
            commune("03185", "Montluçon"),
            commune("03140", "Lavault-Sainte-Anne"),
            commune("01001", "L'Abergement-Clémenciat"),
            commune("01033", "Valserhône"),
            commune("13055", "Marseille"),
            commune("03250", "Saint-Pourçain-sur-Sioule"),
        ];
        let arm = vec![Arrondissement {
            code: "13201".into(),
            name: "Marseille 1er Arrondissement".into(),
            parent: "13055".into(),
            population: 0,
            geometry: MultiPolygon::new(vec![]),
            town_hall: None,
        }];
        let former = vec![
            FormerCommune { code: "01091".into(), name: "Châtillon-en-Michaille".into(), successor: "01033".into() },
            FormerCommune { code: "01033".into(), name: "Bellegarde-sur-Valserine".into(), successor: "01033".into() },
        ];
        let postal = vec![
            ("03100".into(), "03185".into()),
            ("03100".into(), "03140".into()),
            ("01400".into(), "01001".into()),
            ("01200".into(), "01033".into()),
            ("13001".into(), "13201".into()),
            ("03500".into(), "03250".into()),
        ];
        CommuneRegistry::new(&communes, &arm, &former, &postal)
    }

    #[test]
    fn name_keys_ignore_accents_articles_and_saint_abbreviations() {
        assert_eq!(name_key("L'Abergement-Clémenciat"), name_key("ABERGEMENT CLEMENCIAT"));
        assert_eq!(name_key("ST POURCAIN SUR SIOULE"), name_key("Saint-Pourçain-sur-Sioule"));
        assert_eq!(name_key("MONTLUCON CEDEX 9"), "MONTLUCON");
        assert_ne!(name_key("Le Puy-en-Velay"), name_key("Puy-Guillaume"));
    }

    #[test]
    fn postal_codes_lose_no_leading_zero() {
        assert_eq!(normalize_postal_code("3100").as_deref(), Some("03100"));
        assert_eq!(normalize_postal_code("GL"), None);
        assert_eq!(normalize_insee_code("2a004").as_deref(), Some("2A004"));
        assert_eq!(normalize_insee_code("3185").as_deref(), Some("03185"));
        assert_eq!(normalize_insee_code("abc"), None);
    }

    #[test]
    fn department_codes_have_two_digits_or_are_corsican_or_overseas() {
        for (raw, want) in [("03", "03"), (" 2a", "2A"), ("2B", "2B"), ("95", "95"), ("971", "971"), ("976", "976"), ("01", "01")] {
            assert_eq!(normalize_department_code(raw).as_deref(), Some(want), "{raw}");
        }
        for raw in ["3", "00", "20", "96", "970", "977", "69M", "abc", "", "+3", "+97", "2C", "0003"] {
            assert_eq!(normalize_department_code(raw), None, "{raw:?}");
        }
    }

    #[test]
    fn codes_resolve_to_commune_parent_or_merged() {
        let r = registry();
        assert_eq!(r.commune_for_code("03185", false), Ok("03185".into()));
        assert_eq!(r.commune_for_code("13201", false), Ok("13055".into()));
        // The chef-lieu's code is still current: it is not reported as merged.
        assert_eq!(r.commune_for_code("01033", false), Ok("01033".into()));
        assert_eq!(
            r.commune_for_code("01091", false),
            Err(RejectReason::MergedCommune { code: "01091".into(), successor: "01033".into() })
        );
        assert_eq!(r.commune_for_code("01091", true), Ok("01033".into()));
        assert!(matches!(r.commune_for_code("99999", false), Err(RejectReason::UnknownCommune { .. })));
    }

    #[test]
    fn postal_code_and_name_pick_one_commune_among_several() {
        let r = registry();
        assert_eq!(r.commune_for_postal("3100", "MONTLUCON").map(|m| m.code), Ok("03185".into()));
        assert_eq!(r.commune_for_postal("03100", "Lavault Ste Anne").map(|m| m.code), Ok("03140".into()));
        let m = r.commune_for_postal("1200", "Châtillon-en-Michaille").unwrap();
        assert!(m.via_former_name && m.code == "01033");
        assert_eq!(r.commune_for_postal("13001", "Marseille").map(|m| m.code), Ok("13055".into()));
        assert!(matches!(r.commune_for_postal("03100", "Vichy"), Err(RejectReason::NameNotInPostalCode { .. })));
        assert!(matches!(r.commune_for_postal("99999", "X"), Err(RejectReason::UnknownPostalCode { .. })));
    }
}
