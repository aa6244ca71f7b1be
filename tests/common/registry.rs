//! The communes the reader tests share, as the COG names them: a registry builder each test
//! file extends with the codes of its own fixtures.

use medatlas::model::CommuneRegistry;
use medatlas::model::registry::RegistryBuilder;

/// Allier's three largest towns, Valserhône with its former commune Châtillon-en-Michaille,
/// Marseille with two arrondissements, Ajaccio (a Corsican code), Clermont-Ferrand and Thiers.
pub fn shared_communes() -> RegistryBuilder {
    CommuneRegistry::builder()
        .commune("01033", "Valserhône")
        .former("01091", "Châtillon-en-Michaille", "01033")
        .commune("03185", "Montluçon")
        .commune("03190", "Moulins")
        .commune("03310", "Vichy")
        .commune("13055", "Marseille")
        .arrondissement("13201", "Marseille 1er Arrondissement", "13055")
        .arrondissement("13202", "Marseille 2e Arrondissement", "13055")
        .commune("2A004", "Ajaccio")
        .commune("63113", "Clermont-Ferrand")
        .commune("63430", "Thiers")
}
