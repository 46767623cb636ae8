//! The bundled font: DejaVu Sans 2.37 (Bitstream Vera licence, `assets/fonts/LICENSE-DejaVu.txt`),
//! compiled into the binary and registered with plotters' `ab_glyph` text renderer, so PNG
//! charts draw their text on a machine with no system fonts at all. SVG charts name the family
//! (`FONT_FAMILY`, falling back to the viewer's sans-serif) and keep their labels as text.

use std::sync::Once;

use plotters::style::FontStyle;

/// The font family every chart uses.
pub const FONT_FAMILY: &str = "sans-serif";

/// DejaVu Sans, regular.
static DEJAVU_SANS: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

/// Registers the bundled font for [`FONT_FAMILY`] (every style falls back to it). Idempotent;
/// the bundled file is checked by a unit test, so registration cannot fail at run time.
pub fn register() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for style in [FontStyle::Normal, FontStyle::Bold] {
            // A font that failed to parse would leave the family unregistered; text would then
            // fail to draw and the chart return an error, never panic.
            let _ = plotters::style::register_font(FONT_FAMILY, style, DEJAVU_SANS);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_font_parses() {
        assert!(
            plotters::style::register_font("test-family", FontStyle::Normal, DEJAVU_SANS).is_ok()
        );
    }
}
