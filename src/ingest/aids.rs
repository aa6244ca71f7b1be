//! Reader for the table of departmental aids (`geodata/aides_departementales_2022.csv`,
//! extracted from seed 002 by `scripts/extract_default_geodata.py`): one row per département,
//! one column per aid category, `x` for a mark, any other text is the table's note.

use crate::model::{AID_CATEGORIES, DepartmentAids};
use crate::error::{Error, Result};
use crate::model::report::{ImportReport, RejectReason};
use std::collections::BTreeMap;

pub fn parse_aids(name: &str, text: &str) -> Result<(BTreeMap<String, DepartmentAids>, ImportReport)> {
    let mut report = ImportReport::new(name, "aids-2022");
    let mut reader = csv::ReaderBuilder::new().from_reader(text.as_bytes());
    let header: Vec<String> =
        reader.headers().map_err(|e| Error::format(name, 1, "header", e.to_string()))?.iter().map(String::from).collect();
    let col = |f: &str| header.iter().position(|h| h == f).ok_or_else(|| Error::format(name, 1, f, "column missing"));
    let dep_col = col("dep")?;
    let name_col = col("nom_source")?;
    let cat_cols: Vec<(usize, &str)> = AID_CATEGORIES.iter().map(|c| col(c).map(|i| (i, *c))).collect::<Result<_>>()?;
    let mut out = BTreeMap::new();
    for record in reader.records() {
        let record = record.map_err(|e| Error::format(name, e.position().map_or(0, |p| p.line()), "-", e.to_string()))?;
        let line = record.position().map_or(0, |p| p.line());
        report.rows_read += 1;
        let Some(dep) = record.get(dep_col).filter(|d| !d.is_empty()) else {
            report.reject(line, RejectReason::MissingField { field: "dep".into() });
            continue;
        };
        let categories = cat_cols
            .iter()
            .filter_map(|&(i, cat)| {
                let v = record.get(i).unwrap_or("").trim();
                (!v.is_empty()).then(|| (cat.to_string(), if v == "x" { String::new() } else { v.to_string() }))
            })
            .collect();
        let aids = DepartmentAids { source_name: record.get(name_col).unwrap_or("").to_string(), categories };
        if out.insert(dep.to_string(), aids).is_some() {
            report.reject(line, RejectReason::Conflict { key: dep.to_string(), detail: "département listed twice".into() });
        } else {
            report.rows_used += 1;
        }
    }
    Ok((out, report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_and_notes_become_categories() {
        let mut text = String::from("dep,nom_source");
        for c in AID_CATEGORIES {
            text.push(',');
            text.push_str(c);
        }
        text.push_str("\n03,ALLIER,,,,,x,,,,,,,\n07,ARDÈCHE,400 €/MOIS,x,x,,,x,x,x,x,,x,\n43,HAUTE-LOIRE,,,,,,,,,,,,\n");
        let (aids, report) = parse_aids("t.csv", &text).expect("parses");
        assert_eq!(report.rows_used, 3);
        let allier = &aids["03"];
        assert_eq!(allier.categories.keys().collect::<Vec<_>>(), vec!["bourse_etude_contre_installation"]);
        assert_eq!(aids["07"].categories["aide_financiere_internes_stage"], "400 €/MOIS");
        assert_eq!(aids["07"].categories.len(), 8);
        assert!(aids["43"].categories.is_empty());
        assert!(parse_aids("bad.csv", "dep,nom_source\n03,ALLIER\n").is_err());
    }
}
