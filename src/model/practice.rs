//! How GPs practise, as the DREES APL counts their activity, and the five-year age bands of
//! its age pyramids: shared by the readers of GP and age files and by the APL itself.

/// The five-year age bands of the DREES sheet, youngest first.
pub const AGE_BANDS: [&str; 19] = [
    "0-4", "5-9", "10-14", "15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49", "50-54", "55-59", "60-64",
    "65-69", "70-74", "75-79", "80-84", "85-89", "90+",
];

/// How a GP's activity is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Practice {
    /// Liberal GP with a known activity the year before: the caps apply.
    #[default]
    Liberal,
    /// Liberal GP with no liberal activity the year before: 5,400 imputed.
    NewLiberal,
    /// Salaried in a health centre: no caps.
    HealthCentre,
}
