//! Finding a commune as a person types it into a search box: by INSEE code, by postal code, by
//! its name or by the name of a former commune merged into it, without caring about accents,
//! case, hyphens, apostrophes or the "St"/"Ste" abbreviations.
//!
//! [`CommuneSearch`] is built once per atlas and owns what it answers with (names, codes,
//! town-hall points, bounding boxes), so it can live beside the atlas it was built from. A query
//! scans every folded name (about 35,000 for France): no prefix tree, because a substring match
//! needs the scan anyway.

use crate::model::registry::{normalize_insee_code, normalize_postal_code};
use super::store::Atlas;
use geo::BoundingRect;
use serde::Serialize;
use std::cmp::Reverse;
use std::collections::HashMap;

/// The key names and queries are compared by: lower-case ASCII (accents stripped, "ç" -> "c",
/// "œ" -> "oe", "æ" -> "ae", typographic apostrophes included, by `deunicode`), every character
/// that is not a letter or a digit (apostrophes, hyphens, underscores, dots, ...) turned into a
/// space, spaces collapsed and trimmed, and the whole words "st" / "ste" written out as
/// "saint" / "sainte" (sources write "St-Victor" for Saint-Victor).
///
/// Unlike [`super::registry::name_key`], which joins source files, it keeps leading articles
/// ("Le Puy-en-Velay" is found by "le puy") and "cedex": it folds what a person typed.
pub fn fold(s: &str) -> String {
    let ascii = deunicode::deunicode(s).to_ascii_lowercase();
    let spaced: String = ascii.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' }).collect();
    spaced
        .split_whitespace()
        .map(|w| match w {
            "st" => "saint",
            "ste" => "sainte",
            other => other,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// How a hit matched the query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// The query is the commune's INSEE code, or the code of a former commune merged into it
    /// (then `former_name` names that former commune).
    Code,
    /// The query is one of the commune's postal codes.
    PostalCode,
    /// The query matches the commune's current name.
    Name,
    /// The query matches the name of a former commune merged into this one (`former_name`).
    FormerName,
}

/// One commune found, with what a map needs to fly to it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// INSEE code of the current commune.
    pub code: String,
    /// Current official name.
    pub name: String,
    /// Département code.
    pub dep: String,
    /// Population municipale.
    pub population: u32,
    pub matched: MatchKind,
    /// Name of the former commune the query matched (by name or code); null otherwise.
    pub former_name: Option<String>,
    /// [lon, lat] of the town hall, else of a point inside the commune (`Commune::repr_point`).
    pub center: [f64; 2],
    /// [west, south, east, north] of the commune's polygons (the center point repeated when
    /// the commune has no polygon).
    pub bbox: [f64; 4],
}

/// A current commune, as hits show it.
#[derive(Debug, Clone)]
struct Entry {
    code: String,
    name: String,
    dep: String,
    population: u32,
    center: [f64; 2],
    bbox: [f64; 4],
}

/// A name to match: a commune's current name, or a former commune's name pointing to its
/// successor.
#[derive(Debug, Clone)]
struct NameKey {
    folded: String,
    entry: usize,
    /// The former commune's display name, for a former name.
    former: Option<String>,
}

/// How well a name matched, best first: the first part of the ranking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Tier {
    /// Before the INSEE code: see [`CommuneSearch::search`].
    PostalCode,
    Code,
    Exact,
    Prefix,
    WordPrefix,
    Substring,
}

/// The index of the communes of one atlas by code, postal code, current and former names.
#[derive(Debug, Clone, Default)]
pub struct CommuneSearch {
    entries: Vec<Entry>,
    by_code: HashMap<String, usize>,
    /// Code of a former commune (one no current commune uses) -> (successor entry, its name).
    former_codes: HashMap<String, (usize, String)>,
    /// Postal code -> entries of the communes it serves (an arrondissement's is its parent's).
    postal: HashMap<String, Vec<usize>>,
    names: Vec<NameKey>,
}

impl CommuneSearch {
    /// Indexes the current communes of `atlas`, their postal codes and their former communes.
    pub fn new(atlas: &Atlas) -> Self {
        let mut s = CommuneSearch::default();
        for c in atlas.communes() {
            let center = [c.repr_point.x(), c.repr_point.y()];
            let bbox = c
                .geometry
                .bounding_rect()
                .map(|r| [r.min().x, r.min().y, r.max().x, r.max().y])
                .unwrap_or([center[0], center[1], center[0], center[1]]);
            let i = s.entries.len();
            s.by_code.insert(c.code.clone(), i);
            s.names.push(NameKey { folded: fold(&c.name), entry: i, former: None });
            s.entries.push(Entry { code: c.code.clone(), name: c.name.clone(), dep: c.dep.clone(), population: c.population, center, bbox });
        }
        for f in atlas.former_communes() {
            let Some(&i) = s.by_code.get(&f.successor) else { continue };
            if !s.by_code.contains_key(&f.code) {
                s.former_codes.insert(f.code.clone(), (i, f.name.clone()));
            }
            let folded = fold(&f.name);
            // A commune nouvelle often keeps its chef-lieu's name: that is no former name.
            if folded != s.names[i].folded {
                s.names.push(NameKey { folded, entry: i, former: Some(f.name.clone()) });
            }
        }
        let parents: HashMap<&str, &str> = atlas.arrondissements().iter().map(|a| (a.code.as_str(), a.parent.as_str())).collect();
        for (postal_code, codes) in atlas.registry().postal_codes() {
            let mut found: Vec<usize> = codes
                .iter()
                .filter_map(|code| s.by_code.get(parents.get(code.as_str()).copied().unwrap_or(code)).copied())
                .collect();
            found.sort_unstable();
            found.dedup();
            if !found.is_empty() {
                s.postal.insert(postal_code.to_string(), found);
            }
        }
        s
    }

    /// Number of current communes indexed.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// At most `limit` communes matching `query`, best first. Ranking: every commune of the
    /// postal code, then the commune of the INSEE code, then names (current or former, compared by [`fold`])
    /// equal to the query, starting with it, with a word starting with it (the query may span
    /// several words: "en velay"), containing it; ties by population (largest first), then by a
    /// current name before a former one, then by code. A commune appears once, at its best rank.
    ///
    /// A query shaped like a code (all digits, or 2A/2B and digits) is looked up as an INSEE
    /// code and a postal code only: one that is neither gives no hits rather than names that
    /// happen to contain digits. Many five digits are both: 03100 is Montluçon's postal code
    /// and Diou's INSEE code. Postal codes come first because they are what people know and
    /// type (a map that flies to Diou for "03100" would surprise nearly everyone); the INSEE
    /// hit follows, its `matched` saying `code`.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        let q = query.trim();
        if limit == 0 || q.is_empty() {
            return Vec::new();
        }
        // Commune entry -> its best match so far.
        let mut best: HashMap<usize, Match<'_>> = HashMap::new();
        fn offer<'a>(best: &mut HashMap<usize, Match<'a>>, entry: usize, tier: Tier, former: Option<&'a str>) {
            let candidate = Match { tier, former };
            best.entry(entry).and_modify(|b| if candidate.rank() < b.rank() { *b = candidate }).or_insert(candidate);
        }
        if looks_like_code(q) {
            if let Some(code) = normalize_insee_code(q) {
                if let Some(&i) = self.by_code.get(&code) {
                    offer(&mut best, i, Tier::Code, None);
                } else if let Some((i, name)) = self.former_codes.get(&code) {
                    offer(&mut best, *i, Tier::Code, Some(name));
                }
            }
            if let Some(postal) = normalize_postal_code(q).and_then(|p| self.postal.get(&p)) {
                for &i in postal {
                    offer(&mut best, i, Tier::PostalCode, None);
                }
            }
        } else {
            let folded = fold(q);
            if folded.is_empty() {
                return Vec::new();
            }
            // One searcher for the query, reused on every name: building it per name (as
            // `str::match_indices` does) cost more than the search itself over 36,000 names.
            let finder = memchr::memmem::Finder::new(folded.as_bytes());
            for n in &self.names {
                if let Some(tier) = name_tier(&n.folded, &folded, &finder) {
                    offer(&mut best, n.entry, tier, n.former.as_deref());
                }
            }
        }
        let mut ranked: Vec<(usize, Match<'_>)> = best.into_iter().collect();
        ranked.sort_by_key(|(i, m)| {
            let e = &self.entries[*i];
            (m.tier, Reverse(e.population), m.former.is_some(), e.code.as_str())
        });
        ranked
            .into_iter()
            .take(limit)
            .map(|(i, Match { tier, former })| {
                let e = &self.entries[i];
                let matched = match tier {
                    Tier::Code => MatchKind::Code,
                    Tier::PostalCode => MatchKind::PostalCode,
                    _ if former.is_some() => MatchKind::FormerName,
                    _ => MatchKind::Name,
                };
                Hit {
                    code: e.code.clone(),
                    name: e.name.clone(),
                    dep: e.dep.clone(),
                    population: e.population,
                    matched,
                    former_name: former.map(str::to_string),
                    center: e.center,
                    bbox: e.bbox,
                }
            })
            .collect()
    }
}

/// How one commune matched: the tier, and the former commune's name when through it.
#[derive(Debug, Clone, Copy)]
struct Match<'a> {
    tier: Tier,
    former: Option<&'a str>,
}

impl Match<'_> {
    /// Of two matches of one commune, the smaller is kept: the better tier, then its current
    /// name over a former one.
    fn rank(&self) -> (Tier, bool) {
        (self.tier, self.former.is_some())
    }
}

/// All digits, or "2A"/"2B" followed by digits: what an INSEE or postal code looks like.
fn looks_like_code(q: &str) -> bool {
    let upper = q.to_ascii_uppercase();
    let digits = upper.strip_prefix("2A").or_else(|| upper.strip_prefix("2B")).unwrap_or(&upper);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// How a folded name matches a folded query, if it does.
fn name_tier(name: &str, query: &str, finder: &memchr::memmem::Finder<'_>) -> Option<Tier> {
    if name == query {
        return Some(Tier::Exact);
    }
    let mut tier = None;
    for at in finder.find_iter(name.as_bytes()) {
        if at == 0 {
            return Some(Tier::Prefix);
        }
        let t = if name.as_bytes()[at - 1] == b' ' { Tier::WordPrefix } else { Tier::Substring };
        tier = Some(tier.map_or(t, |prev: Tier| prev.min(t)));
    }
    tier
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::OnceLock;

    fn atlas() -> &'static Atlas {
        static ATLAS: OnceLock<Atlas> = OnceLock::new();
        ATLAS.get_or_init(|| Atlas::load_default().expect("default loads"))
    }

    fn tier(name: &str, query: &str) -> Option<Tier> {
        name_tier(name, query, &memchr::memmem::Finder::new(query.as_bytes()))
    }

    fn index() -> &'static CommuneSearch {
        static INDEX: OnceLock<CommuneSearch> = OnceLock::new();
        INDEX.get_or_init(|| CommuneSearch::new(atlas()))
    }

    fn codes(hits: &[Hit]) -> Vec<&str> {
        hits.iter().map(|h| h.code.as_str()).collect()
    }

    #[test]
    fn folding_drops_accents_case_punctuation_and_saint_abbreviations() {
        assert_eq!(fold("MONTLUÇON"), "montlucon");
        assert_eq!(fold("  Cosne-d’Allier "), "cosne d allier");
        assert_eq!(fold("Cosne-d'Allier"), "cosne d allier");
        assert_eq!(fold("St-Victor"), "saint victor");
        assert_eq!(fold("Ste_Anne.du  lac"), "sainte anne du lac");
        assert_eq!(fold("Bœuf Æther ÿ É"), "boeuf aether y e");
        // Only whole words are abbreviations.
        assert_eq!(fold("Stella Estivareilles"), "stella estivareilles");
        assert_eq!(fold("'-_."), "");
    }

    #[test]
    fn montlucon_is_found_however_it_is_written() {
        for q in ["montlucon", "MONTLUÇON", "Montluçon", "03185", "03100", " montlucon "] {
            let hits = index().search(q, 10);
            assert_eq!(hits.first().map(|h| h.code.as_str()), Some("03185"), "{q}: {:?}", codes(&hits));
            assert_eq!(hits[0].name, "Montluçon");
            assert_eq!(hits[0].dep, "03");
        }
        let by_name = &index().search("montlucon", 1)[0];
        assert_eq!(by_name.matched, MatchKind::Name);
        assert_eq!(index().search("03185", 10)[0].matched, MatchKind::Code);
        assert_eq!(index().search("03185", 10).len(), 1);
        let c = atlas().commune("03185").expect("Montluçon");
        assert_eq!(by_name.population, c.population);
        assert_eq!(by_name.center, [c.repr_point.x(), c.repr_point.y()]);
        let [w, s, e, n] = by_name.bbox;
        assert!(w < by_name.center[0] && by_name.center[0] < e && s < by_name.center[1] && by_name.center[1] < n, "{by_name:?}");
    }

    #[test]
    fn a_postal_code_gives_every_commune_it_serves() {
        let hits: Vec<Hit> =
            index().search("03100", 50).into_iter().filter(|h| h.matched == MatchKind::PostalCode).collect();
        let mut want: Vec<&str> = atlas()
            .registry()
            .postal_codes()
            .find(|(p, _)| *p == "03100")
            .map(|(_, c)| c.iter().map(String::as_str).collect())
            .unwrap_or_default();
        want.sort_unstable();
        let mut got = codes(&hits);
        got.sort_unstable();
        assert_eq!(got, want);
        assert!(hits.len() > 1, "03100 serves Montluçon and its neighbours: {:?}", codes(&hits));
        assert!(hits.windows(2).all(|w| w[0].population >= w[1].population));
    }

    #[test]
    fn a_code_that_is_both_postal_and_insee_gives_the_postal_communes_first() {
        let hits = index().search("03100", 50);
        let diou = hits.iter().position(|h| h.code == "03100").expect("Diou, INSEE 03100, among hits");
        assert_eq!(hits[diou].matched, MatchKind::Code);
        assert_eq!(hits[diou].name, "Diou");
        assert_eq!(diou, hits.len() - 1, "after every commune of postal code 03100: {:?}", codes(&hits));
        assert_eq!(hits[0].code, "03185");
        assert_eq!(hits[0].matched, MatchKind::PostalCode);
    }

    #[test]
    fn names_with_abbreviations_apostrophes_and_hyphens_are_found() {
        let saint_victor = index().search("st victor", 10);
        let hit = saint_victor.iter().find(|h| h.code == "03262").expect("Saint-Victor (Allier) among hits");
        assert_eq!(hit.name, "Saint-Victor");
        assert_eq!(hit.dep, "03");
        assert_eq!(index().search("cosne d allier", 10)[0].code, "03084");
        assert_eq!(index().search("Cosne-d’Allier", 10)[0].code, "03084");
        assert_eq!(index().search("neris les bains", 10)[0].code, "03195");
        assert_eq!(index().search("Néris-les-Bains", 10)[0].matched, MatchKind::Name);
    }

    #[test]
    fn unknown_names_and_codes_give_nothing() {
        for q in ["xyzzy", "99999", "03999", "2A004", "2b", "", "   ", "'-", "63"] {
            assert_eq!(index().search(q, 10), vec![], "{q}");
        }
        assert_eq!(index().search("montlucon", 0), vec![]);
    }

    #[test]
    fn prefix_hits_are_ordered_by_population() {
        let all_saints: Vec<&crate::model::Commune> =
            atlas().communes().iter().filter(|c| fold(&c.name).starts_with("saint")).collect();
        assert!(all_saints.len() > 20);
        let biggest = all_saints.iter().max_by_key(|c| (c.population, Reverse(c.code.clone()))).expect("some Saint-*");
        let hits = index().search("saint", 20);
        assert_eq!(hits.len(), 20);
        assert_eq!(hits[0].code, biggest.code, "{:?}", codes(&hits));
        assert!(hits.windows(2).all(|w| w[0].population >= w[1].population), "{hits:?}");
        // Over every hit, the match tiers never go back up: all prefixes before any substring.
        let every = index().search("saint", usize::MAX);
        let tiers: Vec<Tier> = every
            .iter()
            .map(|h| tier(&fold(h.former_name.as_deref().unwrap_or(&h.name)), "saint").expect("hit matches"))
            .collect();
        assert!(tiers.windows(2).all(|w| w[0] <= w[1]), "{tiers:?}");
        assert_eq!(tiers.iter().filter(|t| **t == Tier::Prefix).count(), all_saints.len() + former_saints());
    }

    /// Former communes named Saint* whose successor is not itself a Saint*.
    fn former_saints() -> usize {
        let a = atlas();
        let mut successors: Vec<&str> = a
            .former_communes()
            .iter()
            .filter(|f| fold(&f.name).starts_with("saint"))
            .filter_map(|f| a.commune(&f.successor))
            .filter(|c| !fold(&c.name).starts_with("saint"))
            .map(|c| c.code.as_str())
            .collect();
        successors.sort_unstable();
        successors.dedup();
        successors.len()
    }

    #[test]
    fn ranking_puts_exact_before_prefix_before_word_before_substring() {
        assert_eq!(tier("vichy", "vichy"), Some(Tier::Exact));
        assert_eq!(tier("saint yorre", "saint"), Some(Tier::Prefix));
        assert_eq!(tier("le puy en velay", "puy en"), Some(Tier::WordPrefix));
        assert_eq!(tier("montlucon", "lucon"), Some(Tier::Substring));
        assert_eq!(tier("abc", "x"), None);
        // "Le Puy-en-Velay" by its second word, before anything that only contains it.
        let hits = index().search("puy en velay", 5);
        assert_eq!(hits[0].name, "Le Puy-en-Velay");
        // A word start beats a larger commune that merely contains the text.
        let hits = index().search("lucon", 50);
        assert!(hits.iter().any(|h| h.code == "03185"), "Montluçon contains lucon: {:?}", codes(&hits));
    }

    #[test]
    fn former_communes_point_to_their_successor() {
        let a = atlas();
        let f = a
            .former_communes()
            .iter()
            .find(|f| a.commune(&f.code).is_none() && a.commune(&f.successor).is_some())
            .expect("the default has former communes merged under another code");
        let successor = a.commune(&f.successor).expect("successor");
        let hits = index().search(&f.name, 50);
        let hit = hits.iter().find(|h| h.code == f.successor).expect("successor among hits");
        if fold(&f.name) != fold(&successor.name) {
            assert_eq!(hit.matched, MatchKind::FormerName, "{hit:?}");
            assert_eq!(hit.former_name.as_deref(), Some(f.name.as_str()));
        }
        let by_code = index().search(&f.code, 10);
        assert_eq!(by_code.len(), 1, "{by_code:?}");
        assert_eq!(by_code[0].code, f.successor);
        assert_eq!(by_code[0].matched, MatchKind::Code);
        assert_eq!(by_code[0].former_name.as_deref(), Some(f.name.as_str()));
        // Every hit is a current commune, once.
        let mut seen: Vec<&str> = codes(&hits);
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), hits.len());
        assert!(hits.iter().all(|h| a.commune(&h.code).is_some()));
    }
}
